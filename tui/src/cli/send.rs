//! `nlscope send`: from this machine ([`crate::inject::run`]), or through an
//! agent with `--connect` (the agent's machine sends it).

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use clap::{ArgMatches, Args};

use crate::agent::remote::{RemoteSource, REPLY_SLACK};
use crate::agent::Address;
use crate::inject::{confirm_risk, Plan, SendArgs, READ_ONLY_REFUSAL};

#[derive(Debug, Args)]
pub struct SendCommand {
    /// Have the agent at ADDR send it from its machine (`nlscope agent
    /// --allow-send`): unix:PATH, tcp:HOST:PORT (loopback) or virtio:NAME.
    /// Output and exit status are those of a local send.
    #[arg(long, value_name = "ADDR", value_parser = Address::parse)]
    pub connect: Option<Address>,
    /// Refuse to send, and say so (for wrappers and aliases that must never
    /// change kernel state).
    #[arg(long)]
    pub read_only: bool,
    #[command(flatten)]
    pub args: SendArgs,
    /// Where YNL specs come from: for building --family requests and
    /// decoding the replies (with --connect, the agent's are used).
    #[command(flatten)]
    pub specs: crate::options::SpecArgs,
}

/// `nlscope send`; `matches` are the subcommand's own (the arguments an
/// agent is sent are read back from them).
pub fn run(
    command: SendCommand,
    matches: &ArgMatches,
    specs: std::sync::Arc<crate::ynl::Specs>,
) -> Result<()> {
    let read_only = command.read_only;
    match &command.connect {
        None => crate::inject::run(command.args, read_only, specs),
        Some(address) => through_agent(address, &command.args, relayed_args(matches), read_only),
    }
}

/// Checks and confirms as a local send does, then has the agent send it and
/// prints what the agent printed; its error is this command's.
fn through_agent(
    address: &Address,
    args: &SendArgs,
    mut relayed: Vec<String>,
    read_only: bool,
) -> Result<()> {
    if read_only {
        bail!(READ_ONLY_REFUSAL);
    }
    // The agent builds a spec request on its machine (a generic netlink
    // family's id is its kernel's); here only whether it needs confirming
    // and how long its replies may take matter.
    let plan = match &args.family {
        Some(_) => crate::inject::spec::plan_for_agent(args),
        None => Plan::from_args(args).map_err(|e| anyhow!(e))?,
    };
    if confirm_risk(plan.risk.as_deref(), args.yes)? {
        relayed.push("--yes".into());
    }
    let source = RemoteSource::connect(address)?;
    let reply = source.send_once(&relayed, plan.wait + REPLY_SLACK)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(reply.output.as_bytes())?;
    stdout.flush()?;
    match (reply.ok, reply.error) {
        (_, Some(error)) => bail!("{error}"),
        (false, None) => bail!("the agent at {address} reports the send failed"),
        (true, None) => Ok(()),
    }
}

/// The arguments of `nlscope send` given on this command line, as the
/// agent is to parse them: every option of [`SendArgs`] the user gave, as
/// `--NAME=VALUE` (so a value that starts with `-` stays a value), flags as
/// `--NAME`. Read from clap's own definitions, so an option added to
/// `SendArgs` is relayed without a change here.
pub fn relayed_args(matches: &ArgMatches) -> Vec<String> {
    use clap::parser::ValueSource;
    let command = SendArgs::augment_args(clap::Command::new("send"));
    let mut relayed = Vec::new();
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let values: Vec<String> = matches
            .get_raw(id)
            .into_iter()
            .flatten()
            .map(|value| value.to_string_lossy().into_owned())
            .collect();
        match arg.get_long() {
            Some(long) if arg.get_action().takes_values() => {
                relayed.extend(values.iter().map(|value| format!("--{long}={value}")))
            }
            Some(long) => relayed.push(format!("--{long}")),
            None => relayed.extend(values),
        }
    }
    relayed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};

    fn parsed(line: &[&str]) -> (SendCommand, ArgMatches) {
        let argv = ["nlscope", "send"].iter().chain(line);
        let (cli, matches) = Cli::parse_with_matches(argv).unwrap();
        let Some(Command::Send(command)) = cli.command else {
            panic!("not a send")
        };
        (command, matches.subcommand_matches("send").unwrap().clone())
    }

    #[test]
    fn the_relayed_arguments_make_the_same_request_and_leave_connect_out() {
        for line in [
            &["--template", "hello"][..],
            &[
                "--template",
                "multicast:1",
                "--text",
                "two words",
                "--wait",
                "50",
            ],
            &[
                "--protocol",
                "usersock",
                "--to",
                "port:4243",
                "--text=-dash",
            ],
            &[
                "--group",
                "1,3",
                "--protocol",
                "usersock",
                "--hex",
                "00 ff",
                "-y",
            ],
            &[
                "--protocol",
                "route",
                "--type",
                "RTM_DELLINK",
                "--flags",
                "request,ack",
                "--yes",
            ],
            &["--template", "getlink", "--seq", "9", "--port", "4711"],
        ] {
            let mut with_connect = vec!["--connect", "unix:/run/x.sock"];
            with_connect.extend_from_slice(line);
            let (command, matches) = parsed(&with_connect);
            assert_eq!(command.connect, Some(Address::Unix("/run/x.sock".into())));
            let relayed = relayed_args(&matches);
            assert!(
                !relayed.iter().any(|arg| arg.contains("connect")),
                "{relayed:?}"
            );
            let again = crate::inject::parse_args(&relayed).unwrap();
            assert_eq!(
                Plan::from_args(&again),
                Plan::from_args(&command.args),
                "{line:?} relayed as {relayed:?}"
            );
            assert_eq!(again.yes, command.args.yes, "{relayed:?}");
        }
    }

    #[test]
    fn the_dashboards_connect_before_send_is_refused_not_ignored() {
        for (argv, expected) in [
            (
                &["nlscope", "--connect", "unix:/x", "send"][..],
                "--connect before `send` is an option of the dashboard",
            ),
            (
                &["nlscope", "--ring-size", "1M", "record"],
                "`nlscope record --ring-size ...`",
            ),
        ] {
            let error = Cli::parse_args(argv).unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn send_command_options_are_not_relayed() {
        let (_, matches) = parsed(&["--spec-dir", "kmod", "--template", "stats"]);
        assert_eq!(relayed_args(&matches), ["--template=stats"]);
    }
}
