//! The help nlscope prints, checked against clap's command tree: every
//! option only under the commands it affects, every command's long help
//! ending in examples that parse, and `--version` naming the build.

use std::collections::{BTreeMap, BTreeSet};

use clap::CommandFactory;

use super::{Cli, Command, BUILD_VERSION};

/// Every long option, and the commands it affects: exactly the commands
/// whose `--help` lists it. "nlscope" is the top level (the dashboard).
/// A new option needs a line here, which is where one decides where it
/// belongs.
const OPTION_COMMANDS: &[(&str, &[&str])] = &[
    // The dashboard's, on live capture, an agent's stream or a file.
    ("max-events", &["nlscope", "open"]),
    ("memory", &["nlscope", "open"]),
    ("read-only", &["nlscope", "open", "send"]),
    // Where a stream comes from or goes to.
    ("connect", &["nlscope", "record", "send"]),
    // Live capture: the dashboard, record and the agent capture.
    ("attach", &["nlscope", "record", "agent"]),
    ("protocol", &["nlscope", "record", "agent", "send"]),
    ("pid", &["nlscope", "record", "agent"]),
    ("netns", &["nlscope", "record", "agent"]),
    ("port", &["nlscope", "record", "agent", "send"]),
    ("snaplen", &["nlscope", "record", "agent"]),
    ("ring-size", &["nlscope", "record", "agent"]),
    ("btf", &["nlscope", "record", "agent"]),
    // Every command that decodes (record writes raw bytes; ports lists sockets).
    (
        "spec-dir",
        &["nlscope", "open", "agent", "decode", "send", "specs"],
    ),
    // record's output.
    ("format", &["record"]),
    ("output", &["record"]),
    ("write", &["nlscope", "record"]),
    ("count", &["record"]),
    ("duration", &["record"]),
    // The agent's.
    ("listen", &["agent"]),
    ("file", &["agent"]),
    ("backlog", &["agent"]),
    ("allow-send", &["agent"]),
    // decode's.
    ("transactions", &["decode"]),
    ("reply-timeout-ms", &["decode", "nlscope", "open"]),
    // JSON output (send: a --family request's attributes as JSON).
    ("json", &["ports", "decode", "send", "specs"]),
    // send's message.
    ("to", &["send"]),
    ("group", &["send"]),
    ("template", &["send"]),
    ("type", &["send"]),
    ("flags", &["send"]),
    ("seq", &["send"]),
    ("text", &["send"]),
    ("hex", &["send"]),
    ("wait", &["send"]),
    ("yes", &["send"]),
    ("family", &["send"]),
    ("do", &["send"]),
    ("dump", &["send"]),
];

/// The top level and its visible subcommands, each with its name.
fn commands() -> Vec<(String, clap::Command)> {
    let top = Cli::command();
    let mut commands = vec![("nlscope".to_string(), top.clone())];
    commands.extend(
        top.get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .map(|sub| (sub.get_name().to_string(), sub.clone())),
    );
    commands
}

#[test]
fn every_option_is_listed_only_under_the_commands_it_affects() {
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, command) in commands() {
        for arg in command.get_arguments().filter(|arg| !arg.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                listed
                    .entry(long.to_string())
                    .or_default()
                    .insert(name.clone());
            }
        }
    }
    let affects: BTreeMap<String, BTreeSet<String>> = OPTION_COMMANDS
        .iter()
        .map(|(option, commands)| {
            let commands = commands.iter().map(|c| c.to_string()).collect();
            (option.to_string(), commands)
        })
        .collect();
    let options: BTreeSet<&String> = listed.keys().chain(affects.keys()).collect();
    let wrong: Vec<String> = options
        .into_iter()
        .filter(|option| listed.get(*option) != affects.get(*option))
        .map(|option| {
            format!(
                "--{option}: listed under {:?}, affects {:?}",
                listed.get(option),
                affects.get(option)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));

    // The cases, in --help's own words.
    for name in ["record", "ports", "decode"] {
        let mut command = Cli::command();
        let help = command
            .find_subcommand_mut(name)
            .unwrap()
            .render_long_help()
            .to_string();
        for option in ["--max-events", "--read-only"] {
            assert!(
                !help.contains(option),
                "nlscope {name} --help lists {option}"
            );
        }
    }
}

/// The words of an example line: what precedes the comment (`# ...`) and
/// any redirection (`> FILE`). Examples are written without quotes.
fn example_words(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .take_while(|word| !word.starts_with('#') && *word != ">")
        .collect()
}

#[test]
fn every_commands_long_help_ends_with_two_or_three_examples_that_parse() {
    for (name, mut command) in commands() {
        let help = command.render_long_help().to_string();
        let (_, examples) = help
            .trim_end()
            .rsplit_once("Examples:\n")
            .unwrap_or_else(|| panic!("{name} --help ends with no examples:\n{help}"));
        let lines: Vec<&str> = examples.lines().map(str::trim).collect();
        assert!(
            (2..=3).contains(&lines.len()),
            "{name}: {} examples:\n{examples}",
            lines.len()
        );
        for line in lines {
            assert!(line.len() <= 78, "{name}: longer than 80 columns: {line}");
            let words = example_words(line);
            assert_eq!(words.first(), Some(&"nlscope"), "{name}: {line}");
            let cli = Cli::parse_args(&words)
                .unwrap_or_else(|error| panic!("{name}'s example `{line}`: {error}"));
            let parsed_as = match cli.command {
                None => "nlscope".to_string(),
                Some(_) => words[1].to_string(),
            };
            assert_eq!(parsed_as, name, "{line}");
        }
    }
}

#[test]
fn version_names_the_commit_and_the_ebpf_object() {
    assert!(
        BUILD_VERSION.starts_with(&format!("{} (commit ", env!("CARGO_PKG_VERSION"))),
        "{BUILD_VERSION}"
    );
    assert!(
        BUILD_VERSION.contains(", eBPF object sha256 "),
        "{BUILD_VERSION}"
    );
    let version = Cli::command().render_version();
    assert_eq!(version.trim(), format!("nlscope {BUILD_VERSION}"));
}

#[test]
fn an_unknown_shell_is_clap_s_error_naming_the_shells() {
    let error = Cli::parse_args(["nlscope", "completions", "nosuchshell"]).unwrap_err();
    assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
    let text = error.to_string();
    for shell in ["bash", "zsh", "fish"] {
        assert!(text.contains(shell), "{text}");
    }
}

#[test]
fn options_of_the_dashboard_before_a_subcommand_say_where_they_go() {
    let error = Cli::parse_args(["nlscope", "--spec-dir", "kmod", "decode", "f"]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("give it after the subcommand (`nlscope decode --spec-dir ...`)"),
        "{error}"
    );
    let error = Cli::parse_args(["nlscope", "--max-events", "5", "record"]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`nlscope record` has no --max-events"),
        "{error}"
    );
}

#[test]
fn the_dashboards_reply_timeout_is_an_option_of_the_dashboard_and_open() {
    let cli = Cli::parse_args(["nlscope", "--reply-timeout-ms", "250"]).unwrap();
    assert_eq!(cli.dashboard.reply_timeout_ms, 250);
    assert_eq!(cli.dashboard.reply_timeout_ns(), 250_000_000);
    let cli = Cli::parse_args(["nlscope", "open", "f.pcapng"]).unwrap();
    let Some(super::Command::Open(open)) = cli.command else {
        panic!("open");
    };
    assert_eq!(open.dashboard.reply_timeout_ms, 5000);
    assert!(Cli::parse_args(["nlscope", "--reply-timeout-ms", "0"]).is_err());
}

#[test]
fn the_dashboards_memory_budget_is_a_size() {
    let cli = Cli::parse_args(["nlscope"]).unwrap();
    assert_eq!(cli.memory, 512 << 20);
    let cli = Cli::parse_args(["nlscope", "--memory", "256M"]).unwrap();
    assert_eq!(cli.memory, 256 << 20);
    let error = Cli::parse_args(["nlscope", "--memory", "lots"]).unwrap_err();
    assert!(
        error.to_string().contains("the unit is K, M or G"),
        "{error}"
    );
    // A file's index has a budget of its own, smaller by default.
    let cli = Cli::parse_args(["nlscope", "open", "f.pcapng"]).unwrap();
    match cli.command {
        Some(Command::Open(args)) => assert_eq!(args.memory, crate::ui::OPEN_MEMORY_BUDGET),
        other => panic!("{other:?}"),
    }
    let cli = Cli::parse_args(["nlscope", "-w", "all.pcapng"]).unwrap();
    assert_eq!(
        cli.write.as_deref(),
        Some(std::path::Path::new("all.pcapng"))
    );
}
