//! The filter language of the dashboard's `/` prompt.
//!
//! A filter is whitespace-separated terms, all of which must match (AND):
//!
//! ```text
//! proto:route type:RTM_NEWLINK pid:1234 comm:ip port:0 group:link dir:k2u result:err "dummy0"
//! family:nl80211 op:get-wiphy attr:ifname=wlan0 attr:IFLA_MTU
//! ```
//!
//! `key:value` terms test one property of a message; anything else (a bare word
//! or a "quoted string") must occur in the decoded summary, ignoring ASCII case.
//! `family:`, `op:` and `attr:` look into the decoded message (see
//! [`Term::Family`], [`Term::Op`], [`Term::Attr`]): they decode each message
//! they test, so they cost more than the others.
//! [`parse`] is a pure function; its errors carry the column of the bad term.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use crate::decode::{decode, summarize, DecodeContext, DecodedMessage, Field};
use crate::event::{CapturedMessage, Direction};
use crate::format::record::RecordError;
use crate::netlink::names::protocol_name;
use crate::netlink::NETLINK_GENERIC;
use crate::store::names;
use crate::store::Stored;

/// Every key the language knows, in the order help and errors list them.
pub const KEYS: &[&str] = &[
    "proto", "type", "pid", "comm", "port", "group", "dir", "result", "family", "op", "attr",
];

/// One term of a filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    Proto(u32),
    /// Matches when any netlink message in the buffer has this type (and,
    /// for protocol-specific names like `RTM_NEWLINK`, is on that protocol).
    Type {
        kind: u16,
        protocol: Option<u32>,
    },
    Pid(u32),
    /// Case-insensitive substring of the task's comm.
    Comm(String),
    /// Source or destination port (a known one).
    Port(u32),
    Group(u32),
    Dir(Direction),
    Result(ResultTerm),
    /// Case-insensitive substring of the summary (stored lowercase).
    Text(String),
    /// The message's family: a generic netlink family's name (`nl80211`)
    /// or the protocol's (`route`). Stored normalized ([`normalize`]).
    Family(String),
    /// The operation: a generic netlink command (`get-wiphy`, `GET_WIPHY`)
    /// or a message type's name (`RTM_NEWLINK`). Stored normalized.
    Op(String),
    /// A decoded field by name, anywhere in the tree, and optionally its
    /// value: `attr:ifname=wlan0` matches IFLA_IFNAME "wlan0" as well as
    /// rt-link's `ifname` (names match when they are the same or one is
    /// the other's last words, ignoring case and `-`/`_`). Stored
    /// normalized.
    Attr {
        name: String,
        value: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultTerm {
    /// Delivered, or no result known, and no NLMSG_ERROR with an error code.
    Ok,
    /// A negative delivery result or an NLMSG_ERROR carrying an error code.
    Err,
    /// This exact delivery result or errno (`result:-19`, `result:19`).
    Code(i64),
}

/// A parsed filter. The empty filter matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub terms: Vec<Term>,
    /// The text it was parsed from.
    pub source: String,
}

/// Why a filter did not parse: where (0-based character column) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column + 1, self.message)
    }
}

impl std::error::Error for FilterError {}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// True when every term matches `event`. Terms on decoded fields and
    /// the summary ask `whole` for the whole message (once, whatever their
    /// number) and decode it with `context`; a message whose bytes cannot
    /// be read matches none of them.
    pub fn matches<'m>(
        &self,
        event: &Stored,
        whole: &dyn Fn() -> Result<Cow<'m, CapturedMessage>, RecordError>,
        context: &DecodeContext,
    ) -> bool {
        let message = OnceCell::new();
        let message = || message.get_or_init(|| whole().ok()).as_deref();
        let decoded = OnceCell::new();
        let summary = OnceCell::new();
        let read = Decoded {
            tree: &|| {
                decoded
                    .get_or_init(|| message().map(|m| decode(m, context)))
                    .as_ref()
            },
            summary: &|| {
                summary
                    .get_or_init(|| message().map(|m| summarize(m, context)))
                    .as_deref()
            },
        };
        self.terms.iter().all(|term| term.matches(event, &read))
    }

    /// True when a term needs the message's bytes (decoded fields, the
    /// summary): on a file, testing it reads the file.
    pub fn reads_bytes(&self) -> bool {
        self.terms.iter().any(Term::reads_bytes)
    }
}

/// A message's decoded forms, worked out when a term first asks; `None`
/// when its bytes could not be read.
pub struct Decoded<'a> {
    pub tree: &'a dyn Fn() -> Option<&'a DecodedMessage>,
    pub summary: &'a dyn Fn() -> Option<&'a str>,
}

impl Term {
    /// See [`Filter::reads_bytes`].
    pub fn reads_bytes(&self) -> bool {
        matches!(
            self,
            Term::Family(_) | Term::Op(_) | Term::Attr { .. } | Term::Text(_)
        )
    }

    /// True when the term matches `event`, whose decoded forms `decoded`
    /// gives (asked for only by the terms on decoded fields and the summary).
    pub fn matches(&self, event: &Stored, decoded: &Decoded<'_>) -> bool {
        let m = &event.message;
        let tree = || (decoded.tree)().map_or(&[][..], |tree| &tree.messages[..]);
        match self {
            Term::Family(family) => {
                normalize(&protocol_name(m.protocol)) == *family
                    || (m.protocol == NETLINK_GENERIC
                        && tree().iter().any(|t| normalize(&t.name) == *family))
            }
            Term::Op(op) => tree().iter().any(|t| {
                normalize(&t.name) == *op
                    || t.children.iter().any(|c| {
                        c.name == "genlmsghdr"
                            && c.children
                                .iter()
                                .any(|f| f.name == "cmd" && names_op(&f.value.text(), op))
                    })
            }),
            Term::Attr { name, value } => {
                tree().iter().any(|t| has_field(t, name, value.as_deref()))
            }
            Term::Proto(p) => m.protocol == *p,
            Term::Type { kind, protocol } => {
                protocol.is_none_or(|p| p == m.protocol) && event.kinds.contains(kind)
            }
            Term::Pid(p) => m.pid == *p,
            Term::Comm(c) => contains_ignore_case(&m.comm, c),
            // An unknown port matches no port number (not even the kernel's 0).
            Term::Port(p) => m.src_port == Some(*p) || m.dst_port == Some(*p),
            Term::Group(g) => m.dst_group == *g,
            Term::Dir(d) => m.direction() == *d,
            Term::Result(ResultTerm::Err) => event.is_error(),
            Term::Result(ResultTerm::Ok) => !event.is_error(),
            Term::Result(ResultTerm::Code(code)) => {
                m.result == Some(*code) || event.errno.is_some_and(|e| e == *code || -e == *code)
            }
            Term::Text(text) => {
                (decoded.summary)().is_some_and(|summary| contains_ignore_case(summary, text))
            }
        }
    }
}

/// A name as the filter compares names: lowercase, `_` read as `-`.
pub fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// `value` of a command field (`13 (get-wiphy)`, `1 (GET_WIPHY)`) names
/// operation `op` (normalized).
fn names_op(value: &str, op: &str) -> bool {
    let named = value
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(value);
    names_field(named, op)
}

/// Whether field name `field` (as decoded) is what `name` (normalized)
/// asks for: the same name, or one is the other's last words (`ifname`
/// asks for IFLA_IFNAME, and IFLA_IFNAME for rt-link's `ifname`).
fn names_field(field: &str, name: &str) -> bool {
    let field = normalize(field);
    let ends_with_words = |long: &str, short: &str| {
        long.strip_suffix(short)
            .is_some_and(|head| head.ends_with('-'))
    };
    field == name || ends_with_words(&field, name) || ends_with_words(name, &field)
}

/// A field of `tree` named `name` whose value (without quotes, normalized
/// as text is compared: ignoring ASCII case) is `value`, when given.
fn has_field(tree: &Field, name: &str, value: Option<&str>) -> bool {
    let here = names_field(&tree.name, name)
        && value.is_none_or(|wanted| {
            let text = tree.value.text();
            let text = text.trim();
            let bare = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            // `2 (AF_INET)` matches `2` and `AF_INET`.
            let (number, named) = match bare.split_once(" (") {
                Some((number, rest)) => (number, rest.strip_suffix(')').unwrap_or(rest)),
                None => (bare, bare),
            };
            [bare, number, named]
                .iter()
                .any(|candidate| candidate.eq_ignore_ascii_case(wanted))
        });
    here || tree
        .children
        .iter()
        .any(|child| has_field(child, name, value))
}

/// `haystack` contains `needle` (already lowercase), ignoring ASCII case.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    h.len() >= n.len()
        && h.windows(n.len()).any(|window| {
            window
                .iter()
                .zip(n)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
}

/// One lexical token: its start column, its key (if `key:`), its value.
struct Token {
    key: Option<(String, usize)>,
    value: String,
    value_column: usize,
    quoted: bool,
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut key = None;
        // A key is letters up to a colon, before any quote or space.
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        if j > i && j < chars.len() && chars[j] == ':' {
            key = Some((chars[i..j].iter().collect::<String>(), i));
            i = j + 1;
        }
        let value_column = i;
        let mut value = String::new();
        let mut quoted = false;
        if i < chars.len() && chars[i] == '"' {
            quoted = true;
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        value.push(chars[i + 1]);
                        i += 2;
                    }
                    '"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    c => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
            if !closed {
                return Err(FilterError {
                    column: value_column,
                    message: "unterminated quote: add a closing \"".into(),
                });
            }
            if i < chars.len() && !chars[i].is_whitespace() {
                return Err(FilterError {
                    column: i,
                    message: "expected a space after the closing quote".into(),
                });
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                value.push(chars[i]);
                i += 1;
            }
        }
        tokens.push(Token {
            key,
            value,
            value_column,
            quoted,
        });
    }
    Ok(tokens)
}

fn number<T: std::str::FromStr>(value: &str, column: usize, what: &str) -> Result<T, FilterError> {
    value.parse().map_err(|_| FilterError {
        column,
        message: format!("{what} must be a number, not `{value}`"),
    })
}

/// Parses filter text. Never panics; every error names a column.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let mut terms = Vec::new();
    for token in tokenize(input)? {
        let Token {
            key,
            value,
            value_column: vc,
            quoted,
        } = token;
        let Some((key, key_column)) = key else {
            terms.push(Term::Text(value.to_ascii_lowercase()));
            continue;
        };
        if value.is_empty() && !quoted {
            return Err(FilterError {
                column: vc,
                message: format!("`{key}:` needs a value"),
            });
        }
        let bad = |message: String| FilterError {
            column: vc,
            message,
        };
        let term = match key.to_ascii_lowercase().as_str() {
            "proto" | "protocol" => Term::Proto(names::protocol_by_name(&value).ok_or_else(|| {
                bad(format!(
                    "unknown protocol `{value}`: use a name (route, generic, audit, ...) or a number"
                ))
            })?),
            "type" => {
                let (kind, protocol) = names::type_by_name(&value).ok_or_else(|| {
                    bad(format!(
                        "unknown message type `{value}`: use a name (RTM_NEWLINK, NLMSG_ERROR, ...) or a number"
                    ))
                })?;
                Term::Type { kind, protocol }
            }
            "pid" => Term::Pid(number(&value, vc, "pid")?),
            "comm" => Term::Comm(value.to_ascii_lowercase()),
            "port" => Term::Port(number(&value, vc, "port")?),
            "group" => Term::Group(names::group_by_name(&value).ok_or_else(|| {
                bad(format!(
                    "unknown group `{value}`: use an rtnetlink group name (link, ipv4_route, ...) or a number"
                ))
            })?),
            // `?`: messages from another tool's file whose direction it does not give.
            "dir" => Term::Dir(Direction::from_short(&value.to_ascii_lowercase()).ok_or_else(|| {
                bad(format!("unknown direction `{value}`: use u2k, k2u, u2u, k2k or ?"))
            })?),
            "family" => Term::Family(normalize(&value)),
            "op" | "cmd" => Term::Op(normalize(&value)),
            "attr" | "field" => {
                let (name, wanted) = match value.split_once('=') {
                    Some((name, wanted)) => (name, Some(wanted.to_string())),
                    None => (value.as_str(), None),
                };
                if name.trim().is_empty() {
                    return Err(bad(format!(
                        "`attr:{value}` needs a field name before `=` (attr:ifname=wlan0)"
                    )));
                }
                Term::Attr {
                    name: normalize(name),
                    value: wanted,
                }
            }
            "result" => Term::Result(match value.to_ascii_lowercase().as_str() {
                "ok" => ResultTerm::Ok,
                "err" | "error" => ResultTerm::Err,
                _ => ResultTerm::Code(value.parse().map_err(|_| {
                    bad(format!("unknown result `{value}`: use ok, err or a number"))
                })?),
            }),
            _ => {
                return Err(FilterError {
                    column: key_column,
                    message: format!("unknown key `{key}`: use one of {}", KEYS.join(", ")),
                });
            }
        };
        terms.push(term);
    }
    Ok(Filter {
        terms,
        source: input.trim().to_string(),
    })
}

/// Quotes `value` if the filter language needs it to (spaces, quotes).
pub fn quote(value: &str) -> String {
    if !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        value.to_string()
    } else {
        let escaped: String = value
            .chars()
            .flat_map(|c| match c {
                '"' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::corpus;
    use crate::store::Store;
    use proptest::prelude::*;

    fn corpus_store() -> Store {
        let mut store = Store::new(1000);
        store.ingest(corpus::messages());
        store
    }

    fn count(store: &Store, text: &str) -> usize {
        let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        store
            .iter()
            .filter(|e| filter.matches(e, &|| store.message(e).map(Cow::Owned), store.context()))
            .count()
    }

    #[test]
    fn the_example_from_the_docs_parses() {
        let filter = parse(
            r#"proto:route type:RTM_NEWLINK pid:1234 comm:ip port:0 group:link dir:k2u result:err "dummy0""#,
        )
        .unwrap();
        assert_eq!(
            filter.terms,
            vec![
                Term::Proto(0),
                Term::Type {
                    kind: 16,
                    protocol: Some(0)
                },
                Term::Pid(1234),
                Term::Comm("ip".into()),
                Term::Port(0),
                Term::Group(1),
                Term::Dir(Direction::KernelToUser),
                Term::Result(ResultTerm::Err),
                Term::Text("dummy0".into()),
            ]
        );
    }

    #[test]
    fn errors_name_the_column_and_the_fix() {
        let e = parse("proto:route bogus:1").unwrap_err();
        assert_eq!(e.column, 12);
        assert!(e.message.contains("unknown key `bogus`"), "{e}");
        assert_eq!(e.to_string().split(':').next(), Some("column 13"));
        let e = parse("pid:abc").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (4, "pid must be a number, not `abc`")
        );
        let e = parse("proto:nope").unwrap_err();
        assert!(e.message.contains("unknown protocol"), "{e}");
        let e = parse("\"open").unwrap_err();
        assert!(e.message.contains("unterminated"), "{e}");
        let e = parse("dir:up").unwrap_err();
        assert!(e.message.contains("u2k"), "{e}");
        let e = parse("type:").unwrap_err();
        assert!(e.message.contains("needs a value"), "{e}");
        assert!(parse("result:maybe").is_err());
        assert!(parse("group:nonesuch").is_err());
    }

    #[test]
    fn empty_filter_matches_everything() {
        let store = corpus_store();
        assert!(parse("   ").unwrap().is_empty());
        assert_eq!(count(&store, ""), store.len());
    }

    #[test]
    fn terms_match_their_property() {
        let store = corpus_store();
        assert_eq!(count(&store, "proto:30"), 2);
        assert_eq!(count(&store, "proto:route"), 5);
        assert_eq!(count(&store, "proto:generic"), 1);
        assert_eq!(count(&store, "type:RTM_NEWLINK"), 2);
        assert_eq!(count(&store, "type:error"), 1);
        assert_eq!(count(&store, "type:16"), 5);
        assert_eq!(count(&store, "pid:1234"), 3);
        assert_eq!(count(&store, "comm:IP"), 5);
        assert_eq!(count(&store, "port:4242"), 2);
        assert_eq!(count(&store, "group:link"), 2);
        assert_eq!(count(&store, "proto:route group:link"), 1);
        assert_eq!(count(&store, "dir:u2k"), 3);
        // Five kernel unicasts and two kernel multicasts (link, uevent).
        assert_eq!(count(&store, "dir:k2u"), 7);
        assert_eq!(count(&store, "result:err"), 2);
        assert_eq!(count(&store, "result:-111"), 1);
        assert_eq!(count(&store, "result:19"), 1);
        assert_eq!(
            count(&store, "result:ok") + count(&store, "result:err"),
            store.len()
        );
    }

    #[test]
    fn terms_are_anded_and_text_matches_the_summary() {
        let store = corpus_store();
        assert_eq!(count(&store, "proto:route dir:u2k"), 1);
        assert_eq!(count(&store, "proto:route pid:4242"), 0);
        let summary = store.summary(&store.iter().next().unwrap());
        let word = summary.split_whitespace().next().unwrap().to_uppercase();
        assert!(count(&store, &word) >= 1);
        assert!(count(&store, &quote(&summary)) >= 1);
        assert_eq!(count(&store, "\"no such text anywhere\""), 0);
    }

    #[test]
    fn terms_reach_decoded_fields_and_names() {
        let store = corpus_store();
        // The nlctrl request, by its family and its command, either spelling.
        assert_eq!(count(&store, "family:nlctrl"), 1);
        assert_eq!(count(&store, "family:route"), 5);
        assert_eq!(count(&store, "op:getfamily"), 1);
        assert_eq!(count(&store, "cmd:CTRL_CMD_GETFAMILY"), 1);
        assert_eq!(count(&store, "op:RTM_NEWLINK"), 2);
        // A field by its full name or its last words, with or without a value.
        assert_eq!(count(&store, "attr:IFLA_IFNAME=dummy0"), 1);
        assert_eq!(count(&store, "attr:ifname=DUMMY0"), 1);
        assert_eq!(count(&store, "attr:ifname=eth0"), 1);
        assert_eq!(count(&store, "attr:ifname"), 2);
        assert_eq!(count(&store, "attr:mtu=1500"), 2);
        assert_eq!(count(&store, "attr:family-name=nl80211"), 1);
        assert_eq!(count(&store, "attr:ifname=nonesuch"), 0);
        assert_eq!(count(&store, "proto:route attr:ifname=lo"), 1);
        let e = parse("attr:=x").unwrap_err();
        assert!(e.message.contains("needs a field name"), "{e}");
        assert!(KEYS.contains(&"attr") && KEYS.contains(&"family") && KEYS.contains(&"op"));
    }

    #[test]
    fn quoting_round_trips() {
        for value in ["plain", "two words", "a\"quote", "back\\slash", ""] {
            let filter = parse(&quote(value)).unwrap();
            assert_eq!(filter.terms, vec![Term::Text(value.to_ascii_lowercase())]);
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = parse(&input);
        }

        #[test]
        fn parse_never_panics_on_filter_like_input(
            input in r#"([a-z]{0,6}:?("[^"]{0,5}"?|[a-zA-Z0-9_\-]{0,8})[ \t]{0,2}){0,6}"#
        ) {
            match parse(&input) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.column <= input.chars().count()),
            }
        }
    }
}
