//! What installing nlscope adds besides the binary, generated from the
//! clap definitions of [`super::Cli`] so they cannot drift from `--help`:
//! shell completions (`nlscope completions SHELL`) and the man pages (the
//! hidden `nlscope man-pages DIR`, which packaging runs: scripts/build-deb.sh).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, CommandFactory};

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManPagesArgs {
    /// The directory to write nlscope.1 and nlscope-COMMAND.1 into (created
    /// when missing).
    pub dir: PathBuf,
}

/// `nlscope completions SHELL`: the script on standard output.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut completed_command(), "nlscope", &mut script);
    write_stdout(&script).context("cannot write the completion script")
}

/// The command tree the completions offer: nlscope's, less its hidden
/// subcommands (clap_complete would offer them; `man-pages` is for
/// packaging, not for users).
fn completed_command() -> clap::Command {
    let full = Cli::command();
    let visible = full.get_subcommands().filter(|sub| !sub.is_hide_set());
    clap::Command::new("nlscope")
        .about(full.get_about().cloned().unwrap_or_default())
        .version(super::BUILD_VERSION)
        .args(full.get_arguments().cloned())
        .subcommands(visible.cloned())
}

/// Writes `bytes` to standard output; a reader that went away
/// (`nlscope completions bash | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `nlscope man-pages DIR`: one page for nlscope and one per (visible)
/// subcommand, as `man nlscope-record` finds them.
pub fn man_pages(args: &ManPagesArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    // Built, so that each subcommand's page is named nlscope-COMMAND.
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let subcommands = top.get_subcommands().filter(|sub| !sub.is_hide_set());
    for command in std::iter::once(&top).chain(subcommands) {
        let path = write_man_page(command.clone(), &args.dir)?;
        eprintln!("nlscope: wrote {}", path.display());
    }
    Ok(())
}

/// Writes `command`'s page into `dir` and returns its path: clap_mangen's
/// sections, and the examples that end its long help as an EXAMPLES
/// section, one line each (clap_mangen would fill them as a paragraph).
fn write_man_page(command: clap::Command, dir: &Path) -> anyhow::Result<PathBuf> {
    let examples = command
        .get_after_long_help()
        .map(|help| help.to_string())
        .unwrap_or_default();
    let has_subcommands = command.get_subcommands().any(|sub| !sub.is_hide_set());
    let has_version = command.get_version().is_some();
    let man = clap_mangen::Man::new(command.after_long_help(None::<&str>));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    if has_subcommands {
        man.render_subcommands_section(&mut page)?;
    }
    let lines: Vec<&str> = examples
        .lines()
        .filter(|line| !line.trim().is_empty() && line.trim() != "Examples:")
        .collect();
    if !lines.is_empty() {
        page.extend_from_slice(b".SH EXAMPLES\n.nf\n");
        for line in lines {
            page.extend_from_slice(roff_text(line).as_bytes());
            page.push(b'\n');
        }
        page.extend_from_slice(b".fi\n");
    }
    if has_version {
        man.render_version_section(&mut page)?;
    }
    let path = dir.join(man.get_filename());
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A line of text as roff prints it literally: backslashes and dashes
/// escaped (a plain `-` may print as a hyphen, which breaks copying the
/// command), and `\&` first so a leading `.` or `'` is not a request.
fn roff_text(line: &str) -> String {
    format!("\\&{}", line.replace('\\', "\\e").replace('-', "\\-"))
}
