//! The set of loaded specs: the kernel's, embedded at build time (see
//! `build.rs`), and any a user adds from a directory, which replace the
//! built-in spec of the same family.
//!
//! A spec is kept as text and parsed the first time it is used (most
//! captures touch a few families; nl80211's spec alone is 4,000 lines), once
//! per registry; the built-in registry is one per process ([`Specs::builtin`]),
//! so its names are leaked once. A spec a user adds is parsed when added, so
//! that a broken one is reported at once; it then does not replace anything.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::compile::{compile, Direction, Family, Op, Schema};
use super::spec::SpecFile;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/ynl_specs.rs"));
}

/// Where a spec came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Embedded: the kernel's, from the pinned netlink-bindings package.
    BuiltIn,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built-in"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A spec that does not load: which file, where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The file's name (built-in) or path.
    pub file: String,
    /// Line and column (from 1) of a YAML error.
    pub location: Option<(usize, usize)>,
    /// The definition a semantic error is in
    /// (`attribute-set link-attrs, attribute linkinfo`).
    pub place: Option<String>,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.place) {
            (Some((line, column)), _) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            (None, Some(place)) => write!(f, "{}: {place}: {}", self.file, self.message),
            (None, None) => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for SpecError {}

struct Entry {
    /// The file name (built-in) or path, for messages.
    file: String,
    source: Source,
    /// What it replaced, when it took the place of another spec.
    replaced: Option<Source>,
    text: Cow<'static, str>,
    /// The family's name and protocol number, read from the text without
    /// parsing it (so that a lookup parses only the spec it needs).
    family: String,
    protonum: Option<u32>,
    compiled: OnceLock<Result<Family, SpecError>>,
}

impl Entry {
    fn new(file: String, source: Source, text: Cow<'static, str>) -> Entry {
        let family = top_level(&text, "name")
            .map(str::to_string)
            .unwrap_or_else(|| stem(&file));
        let protonum = top_level(&text, "protonum").and_then(|n| n.parse().ok());
        Entry {
            file,
            source,
            replaced: None,
            text,
            family,
            protonum,
            compiled: OnceLock::new(),
        }
    }

    fn get(&self) -> &Result<Family, SpecError> {
        self.compiled.get_or_init(|| parse(&self.file, &self.text))
    }

    fn family(&self) -> Option<&Family> {
        self.get().as_ref().ok()
    }
}

/// One family in a listing (`nlscope specs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub family: String,
    pub source: Source,
    /// What this spec took the place of.
    pub replaced: Option<Source>,
    /// `genetlink`, `netlink-raw`, ... when it loads.
    pub schema: Option<&'static str>,
    pub ops: usize,
    pub attribute_sets: usize,
    /// Why it does not load.
    pub error: Option<SpecError>,
}

/// A set of specs, by family.
pub struct Specs {
    entries: Vec<Entry>,
}

impl fmt::Debug for Specs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| (&e.family, &e.source)))
            .finish()
    }
}

impl Specs {
    /// No specs at all.
    pub fn empty() -> Specs {
        Specs {
            entries: Vec::new(),
        }
    }

    /// A new registry of the kernel's specs, embedded at build time (see
    /// [`Specs::builtin`] for the shared one).
    pub fn with_builtin() -> Specs {
        Specs {
            entries: embedded::EMBEDDED
                .iter()
                .map(|(file, text)| {
                    Entry::new(file.to_string(), Source::BuiltIn, Cow::Borrowed(text))
                })
                .collect(),
        }
    }

    /// The built-in registry, one per process: each spec in it is parsed
    /// (and its names leaked) at most once, however many decode contexts
    /// share it.
    pub fn builtin() -> Arc<Specs> {
        static BUILTIN: OnceLock<Arc<Specs>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Arc::new(Specs::with_builtin()))
            .clone()
    }

    /// The embedded specs' file names and texts.
    pub fn embedded() -> &'static [(&'static str, &'static str)] {
        embedded::EMBEDDED
    }

    /// Adds a spec from text, parsed now. It replaces a spec of the same
    /// family; a spec that does not load replaces nothing.
    pub fn add_text(&mut self, file: &str, source: Source, text: String) -> Result<(), SpecError> {
        let entry = Entry::new(file.to_string(), source, Cow::Owned(text));
        let family = match entry.get() {
            Ok(family) => family.name,
            Err(e) => return Err(e.clone()),
        };
        let mut entry = entry;
        // The parsed name is the family's; the text's first `name:` was a guess.
        entry.family = family.to_string();
        if let Some(at) = self.entries.iter().position(|e| e.family == family) {
            let old = self.entries.remove(at);
            entry.replaced = Some(old.replaced.unwrap_or(old.source));
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Adds every `*.yaml` of `dir` (see [`Specs::add_text`]), in name order.
    /// Returns what did not load; the rest did.
    pub fn add_dir(&mut self, dir: &Path) -> Vec<SpecError> {
        let mut errors = Vec::new();
        let listing = match std::fs::read_dir(dir) {
            Ok(listing) => listing,
            Err(e) => {
                errors.push(SpecError {
                    file: dir.display().to_string(),
                    location: None,
                    place: None,
                    message: format!("cannot read the directory: {e}"),
                });
                return errors;
            }
        };
        let mut paths: Vec<PathBuf> = listing
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml") && p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let file = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    errors.push(SpecError {
                        file,
                        location: None,
                        place: None,
                        message: format!("cannot read it: {e}"),
                    });
                    continue;
                }
            };
            if let Err(e) = self.add_text(&file, Source::File(path), text) {
                errors.push(e);
            }
        }
        errors
    }

    /// The spec of family `name` (parsed on first use), if it loads.
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.entries
            .iter()
            .find(|e| e.family == name)
            .and_then(Entry::family)
    }

    /// The generic netlink spec of family `name` (not a netlink-raw one).
    pub fn genetlink(&self, name: &str) -> Option<&Family> {
        self.entries
            .iter()
            .filter(|e| e.protonum.is_none() && e.family == name)
            .find_map(Entry::family)
            .filter(|f| f.schema != Schema::NetlinkRaw)
    }

    /// The netlink-raw operations of protocol `protonum` whose message going
    /// `direction` has type `kind`, in the specs' order (rtnetlink's links,
    /// addresses, routes, ... are separate specs on one protocol; nfnetlink's
    /// message types carry the subsystem in their high byte, as the specs'
    /// ids do).
    pub fn raw(
        &self,
        protonum: u32,
        kind: u16,
        direction: Direction,
    ) -> impl Iterator<Item = (&Family, &Op)> {
        self.entries
            .iter()
            .filter(move |e| e.protonum == Some(protonum))
            .filter_map(Entry::family)
            .flat_map(move |family| {
                family
                    .ops_with(kind.into(), direction)
                    .map(move |op| (family, op))
            })
    }

    /// Every family, with where it came from, parsing each.
    pub fn list(&self) -> Vec<Listed> {
        let mut listed: Vec<Listed> = self
            .entries
            .iter()
            .map(|e| {
                let (schema, ops, attribute_sets, error) = match e.get() {
                    Ok(f) => (Some(f.schema.name()), f.ops.len(), f.sets.len(), None),
                    Err(err) => (None, 0, 0, Some(err.clone())),
                };
                Listed {
                    family: e.family.clone(),
                    source: e.source.clone(),
                    replaced: e.replaced.clone(),
                    schema,
                    ops,
                    attribute_sets,
                    error,
                }
            })
            .collect();
        listed.sort_by(|a, b| a.family.cmp(&b.family));
        listed
    }

    /// Parses every spec; what did not load.
    pub fn load_all(&self) -> Vec<SpecError> {
        self.entries
            .iter()
            .filter_map(|e| e.get().as_ref().err().cloned())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Parses and resolves one spec.
pub fn parse(file: &str, text: &str) -> Result<Family, SpecError> {
    let spec: SpecFile = serde_yaml::from_str(text).map_err(|e| {
        let location = e.location().map(|l| (l.line(), l.column()));
        let mut message = e.to_string();
        // serde_yaml says where too; the error says it once, in front.
        if let Some((line, column)) = location {
            for suffix in [
                format!(" at line {line} column {column}"),
                format!(" at position {}", e.location().map_or(0, |l| l.index())),
            ] {
                if let Some(at) = message.find(&suffix) {
                    message.replace_range(at..at + suffix.len(), "");
                }
            }
        }
        SpecError {
            file: file.to_string(),
            location,
            place: None,
            message,
        }
    })?;
    compile(&spec).map_err(|e| SpecError {
        file: file.to_string(),
        location: None,
        place: Some(e.place),
        message: e.message,
    })
}

/// The value of a top-level `key: value` line, unquoted.
fn top_level<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        let value = value.split(" #").next().unwrap_or(value).trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then_some(value)
    })
}

/// `nl80211.yaml` -> `nl80211`.
fn stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string())
}
