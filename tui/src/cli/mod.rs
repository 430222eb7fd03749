//! The command line: argument parsing and the headless commands (`record`
//! here, `decode` in [`decode`]).

pub mod decode;
pub mod examples;
#[cfg(test)]
mod help_tests;
pub mod install;
pub mod send;
pub mod specs;
pub mod transactions;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::capture::live::LiveSource;
use crate::capture::{CaptureSource, StopSignal};
use crate::event::{CapturedMessage, CUT_LABEL};
use crate::format::jsonl::JsonlWriter;
use crate::format::pcapng::PcapngWriter;
use crate::format::CaptureWriter;
use crate::netlink::nlctrl::Family;
use crate::options::{LiveArgs, SpecArgs};
use crate::runtime::{pump, stop_on_signals, Consumer, Flow};

/// `nlscope --version`: the version, the git commit it was built from and
/// the embedded eBPF object's hash (tui/build.rs).
pub const BUILD_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NLSCOPE_GIT_COMMIT"),
    ", eBPF object sha256 ",
    env!("NLSCOPE_EBPF_SHA256"),
    ")"
);

/// The command line. The options of this level are the dashboard's (live
/// capture, or an agent's stream with --connect); each subcommand has its
/// own, and only those that affect it.
#[derive(Debug, Parser)]
#[command(
    name = "nlscope",
    version = BUILD_VERSION,
    about = "A terminal debugger for Linux netlink",
    long_about = "nlscope shows every netlink message on the machine: who sent it (process, port), \
                  to whom (port or multicast group), on which protocol, decoded, and whether the \
                  kernel delivered it.\n\nLive capture attaches eBPF programs to the kernel's netlink \
                  delivery functions, so it needs root and a kernel with BTF \
                  (/sys/kernel/btf/vmlinux) and BPF trampolines (fentry).\n\nWithout a subcommand \
                  nlscope opens the dashboard on live capture; the options below are the \
                  dashboard's (its capture options are those of `nlscope record`), and each \
                  subcommand has its own (`nlscope help COMMAND`).",
    after_long_help = examples::DASHBOARD
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    /// Open the dashboard on an agent's stream (`nlscope agent`) instead of
    /// local live capture: unix:PATH or tcp:HOST:PORT.
    #[arg(long, value_name = "ADDR", value_parser = crate::agent::Address::parse,
          conflicts_with_all = ["attach", "protocol", "pid", "netns", "port", "snaplen", "ring_size"])]
    pub connect: Option<crate::agent::Address>,
    /// Memory for a live or remote capture's messages (a size: 256M, 1.5G):
    /// half for their bytes, half for the index (metadata, transactions).
    /// Past it, the oldest messages' bytes go to a temporary pcapng and the
    /// oldest pages of the index to a temporary file (both removed on exit),
    /// read back from there: every message stays browsable.
    #[arg(long, value_name = "SIZE", default_value = "512M",
          value_parser = crate::store::spill::parse_size)]
    pub memory: u64,
    /// Keep the whole capture in FILE (pcapng, as `nlscope record -w`
    /// writes): the dashboard spills to it instead of a temporary file, and
    /// on exit writes to it every message still in memory.
    #[arg(short = 'w', long = "write", value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
    /// Live capture options of the dashboard (as `nlscope record`'s).
    #[command(flatten)]
    pub live: LiveArgs,
    /// Where YNL specs come from, for decoding what the dashboard shows.
    #[command(flatten)]
    pub specs: SpecArgs,
}

/// Options of the dashboard, on live capture, an agent's stream or a file
/// (`nlscope`, `nlscope open`).
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Messages the dashboard keeps at most (the newest; older ones are
    /// evicted and counted). Unset, a file's are all kept, and so are a
    /// live capture's, on disk past --memory (200,000 when nothing can be
    /// written to disk).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: Option<u64>,
    /// Observe only: the dashboard has no inject dialog.
    #[arg(long)]
    pub read_only: bool,
    /// Capture time after which a request with no (further) reply is shown
    /// as having none (the Transactions view, `5`), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub reply_timeout_ms: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Capture netlink messages headlessly and write them to a file.
    ///
    /// Runs until Ctrl-C (SIGINT), SIGTERM, --count or --duration; the file is
    /// complete up to the last message either way. With --connect it records
    /// an agent's stream instead.
    #[command(after_long_help = examples::RECORD)]
    Record(RecordArgs),
    /// List every netlink socket: protocol, port, owning processes, groups
    /// (named), receive queue, drops, inode.
    #[command(after_long_help = examples::PORTS)]
    Ports(crate::ports::PortsArgs),
    /// Open a capture file (pcapng, pcap or JSON Lines) in the dashboard.
    ///
    /// Without a subcommand, nlscope opens the dashboard on live capture.
    #[command(after_long_help = examples::OPEN)]
    Open(OpenArgs),
    /// Capture headlessly and serve the stream to dashboards
    /// (`nlscope --connect ADDR`) over a socket. Read-only unless
    /// --allow-send lets clients send from this machine.
    #[command(after_long_help = examples::AGENT)]
    Agent(AgentCommand),
    /// Print every message of a capture file decoded, as `tshark -V` does
    /// (or as JSON Lines with --json). A damaged file: every complete message
    /// is printed, then an error names the byte offset.
    #[command(after_long_help = examples::DECODE)]
    Decode(decode::DecodeArgs),
    /// Send one netlink message and show the replies, decoded, next to it.
    ///
    /// To the kernel, a user port or multicast groups, on any protocol; the
    /// payload as text, hex or a template (the seed's hello, the demo module's
    /// commands, rtnetlink dumps, a generic netlink family lookup). Messages
    /// that can change kernel state need --yes (or a "y" on a terminal).
    /// With --connect, an agent sends it from its machine.
    #[command(after_long_help = examples::SEND)]
    Send(send::SendCommand),
    /// List the YNL specs nlscope decodes with: the kernel's, built in, and
    /// those of --spec-dir, NLSCOPE_SPEC_DIR and /usr/share/ynl/specs (a spec
    /// there replaces the built-in one of its family). Fails, after the
    /// list, when a spec does not load, naming its file and place.
    #[command(after_long_help = examples::SPECS)]
    Specs(specs::SpecsArgs),
    /// Print a completion script for bash, zsh, fish, elvish or PowerShell.
    ///
    /// The package installs those of bash, zsh and fish; this prints the
    /// same script, for another shell or a place the package does not cover.
    #[command(after_long_help = examples::COMPLETIONS)]
    Completions(install::CompletionsArgs),
    /// Write the man pages into a directory (for packaging: scripts/build-deb.sh).
    #[command(hide = true)]
    ManPages(install::ManPagesArgs),
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The capture file.
    pub file: PathBuf,
    /// Memory for the file's index (each message's metadata and the
    /// transactions; the bytes stay in the file): past it, the oldest pages
    /// of the index go to a temporary file (removed on exit) and are read
    /// back when shown.
    #[arg(long, value_name = "SIZE", default_value = "64M",
          value_parser = crate::store::spill::parse_size)]
    pub memory: u64,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(flatten)]
    pub specs: SpecArgs,
}

/// `nlscope agent`: the agent's own options, and the specs it decodes
/// with (a client's sends are built and their replies decoded there).
#[derive(Debug, Args)]
pub struct AgentCommand {
    #[command(flatten)]
    pub args: crate::agent::command::AgentArgs,
    #[command(flatten)]
    pub specs: SpecArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    /// One JSON object per message and line, the payload in hex.
    Jsonl,
    /// pcapng with LINKTYPE_NETLINK, readable by Wireshark and tshark; process,
    /// ports, group and hook ride in each packet's comment.
    Pcapng,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RecordFormat::Jsonl)]
    pub format: RecordFormat,
    /// Output file; `-` writes to standard output.
    #[arg(short = 'o', long = "output", default_value = "-")]
    pub output: String,
    /// Write pcapng to this file (short for `--format pcapng -o FILE`).
    #[arg(short = 'w', long = "write", value_name = "FILE.pcapng",
          conflicts_with_all = ["output", "format"])]
    pub write: Option<String>,
    /// Stop after this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Record an agent's stream (`nlscope agent`) instead of this machine's
    /// live capture: unix:PATH, tcp:HOST:PORT or virtio:NAME.
    #[arg(long, value_name = "ADDR", value_parser = crate::agent::Address::parse,
          conflicts_with_all = ["attach", "protocol", "pid", "netns", "port", "snaplen", "ring_size"])]
    pub connect: Option<crate::agent::Address>,
    #[command(flatten)]
    pub live: LiveArgs,
}

impl Cli {
    /// Parses the command line like [`Parser::try_parse_from`], and refuses
    /// the dashboard's options before a subcommand (they would be ignored
    /// there: `nlscope --protocol route record` means `nlscope record
    /// --protocol route`, `nlscope --connect ADDR send` means `nlscope send
    /// --connect ADDR`).
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::parse_with_matches(args).map(|(cli, _)| cli)
    }

    /// As [`Cli::parse_args`], with clap's matches (`nlscope send --connect`
    /// reads the arguments it relays from them).
    pub fn parse_with_matches<I, T>(args: I) -> Result<(Cli, clap::ArgMatches), clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let command = Cli::command();
        let matches = command.clone().try_get_matches_from(args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        if let Some((name, _)) = matches.subcommand() {
            // Every option of the top level is the dashboard's.
            let given = command.get_arguments().find(|arg| {
                matches.value_source(arg.get_id().as_str())
                    == Some(clap::parser::ValueSource::CommandLine)
            });
            if let Some(arg) = given {
                let option = arg.get_long().unwrap_or(arg.get_id().as_str());
                let subcommand_has_it = command
                    .find_subcommand(name)
                    .is_some_and(|sub| sub.get_arguments().any(|a| a.get_long() == Some(option)));
                let advice = if subcommand_has_it {
                    format!("give it after the subcommand (`nlscope {name} --{option} ...`)")
                } else {
                    format!("`nlscope {name}` has no --{option}")
                };
                return Err(command.clone().error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--{option} before `{name}` is an option of the dashboard; {advice}"),
                ));
            }
        }
        Ok((cli, matches))
    }
}

/// Entry point of the binary: parse, run, and turn errors into one line on stderr.
pub fn main() -> ExitCode {
    let (cli, matches) = match Cli::parse_with_matches(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(error) => error.exit(),
    };
    let result = match cli.command {
        Some(Command::Record(args)) => record(args),
        Some(Command::Ports(args)) => crate::ports::run(args),
        Some(Command::Open(args)) => open(&args),
        Some(Command::Agent(command)) => {
            crate::agent::command::run(command.args, command.specs.load_warning())
        }
        Some(Command::Decode(args)) if args.transactions => {
            let specs = args.specs.load_warning();
            transactions::run(args, specs)
        }
        Some(Command::Decode(args)) => {
            let specs = args.specs.load_warning();
            decode::run(args, specs)
        }
        Some(Command::Specs(args)) => {
            let (specs, errors) = args.specs.load();
            specs::run(&args, &specs, &errors)
        }
        Some(Command::Send(command)) => {
            let own = matches
                .subcommand_matches("send")
                .cloned()
                .unwrap_or_default();
            let specs = command.specs.load_warning();
            send::run(command, &own, specs)
        }
        Some(Command::Completions(args)) => install::completions(&args),
        Some(Command::ManPages(args)) => install::man_pages(&args),
        None => match cli.connect {
            Some(address) => {
                remote_dashboard(&address, &cli.dashboard, cli.memory, &cli.write, &cli.specs)
            }
            None => live_dashboard(
                &cli.live,
                &cli.dashboard,
                cli.memory,
                &cli.write,
                &cli.specs,
            ),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` joins the context chain into one line: what failed and why.
            eprintln!("nlscope: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

impl DashboardArgs {
    fn max_events(&self) -> Option<usize> {
        self.max_events
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn reply_timeout_ns(&self) -> u64 {
        self.reply_timeout_ms.saturating_mul(1_000_000)
    }
}

/// `nlscope open FILE`: the dashboard on a capture file.
fn open(args: &OpenArgs) -> anyhow::Result<()> {
    let source = crate::ui::open_source(&args.file)?;
    crate::ui::run(crate::ui::Dashboard {
        source: Ok(source),
        max_events: args.dashboard.max_events(),
        reply_timeout_ns: args.dashboard.reply_timeout_ns(),
        memory: args.memory,
        write: None,
        hint: "",
        ports: crate::ui::PortsOrigin::Traffic(format!("the file {}", args.file.display())),
        injection: local_injection(args.dashboard.read_only),
        specs: args.specs.load_warning(),
    })
}

/// Where a dashboard on this machine's capture (or a file) sends.
fn local_injection(read_only: bool) -> crate::ui::Injection {
    if read_only {
        crate::ui::Injection::Off(crate::ui::inject::READ_ONLY.into())
    } else {
        crate::ui::Injection::Local
    }
}

/// `nlscope --connect ADDR`: the dashboard on an agent's stream.
fn remote_dashboard(
    address: &crate::agent::Address,
    dashboard: &DashboardArgs,
    memory: u64,
    write: &Option<PathBuf>,
    specs: &SpecArgs,
) -> anyhow::Result<()> {
    // An agent in a booting guest (the lab) greets only once it is attached.
    eprintln!(
        "nlscope: connecting to the agent at {address} (waiting up to 2 minutes for it to start)"
    );
    let source = crate::agent::remote::RemoteSource::connect_waiting(
        address,
        std::time::Duration::from_secs(120),
    )?;
    // A message must go to the agent's kernel, not this machine's: through
    // the agent, when it takes sends from this connection.
    let injection = match source.sender() {
        _ if dashboard.read_only => crate::ui::Injection::Off(crate::ui::inject::READ_ONLY.into()),
        Ok(sender) => crate::ui::Injection::Agent(sender),
        Err(why) => crate::ui::Injection::Off(why),
    };
    crate::ui::run(crate::ui::Dashboard {
        source: Ok(Box::new(source)),
        max_events: dashboard.max_events(),
        reply_timeout_ns: dashboard.reply_timeout_ns(),
        memory,
        write: write.clone(),
        hint: "",
        ports: crate::ui::PortsOrigin::Remote(format!("the agent at {address}")),
        injection,
        specs: specs.load_warning(),
    })
}

/// `nlscope`: the dashboard on live capture, or without traffic (and a banner
/// saying why) when live capture cannot start.
fn live_dashboard(
    live: &LiveArgs,
    dashboard: &DashboardArgs,
    memory: u64,
    write: &Option<PathBuf>,
    specs: &SpecArgs,
) -> anyhow::Result<()> {
    let source: Result<Box<dyn CaptureSource>, String> = match LiveSource::open(&live.options()) {
        Ok(source) => Ok(Box::new(source)),
        Err(error) => Err(format!("Live capture is unavailable: {error:#}")),
    };
    crate::ui::run(crate::ui::Dashboard {
        source,
        max_events: dashboard.max_events(),
        reply_timeout_ns: dashboard.reply_timeout_ns(),
        memory,
        write: write.clone(),
        hint: crate::ui::LIVE_HINT,
        ports: crate::ui::PortsOrigin::Machine,
        injection: local_injection(dashboard.read_only),
        specs: specs.load_warning(),
    })
}

fn record(mut args: RecordArgs) -> anyhow::Result<()> {
    if let Some(path) = args.write.take() {
        args.output = path;
        args.format = RecordFormat::Pcapng;
    }
    if let Some(seconds) = args.duration {
        anyhow::ensure!(
            seconds.is_finite() && seconds > 0.0,
            "--duration must be a positive number of seconds"
        );
    }
    let source: Box<dyn CaptureSource> = match &args.connect {
        Some(address) => Box::new(crate::agent::remote::RemoteSource::connect_waiting(
            address,
            Duration::from_secs(120),
        )?),
        None => {
            let source = LiveSource::open(&args.live.options())?;
            if let Some(error) = source.families_error() {
                eprintln!("nlscope: warning: cannot list generic netlink families ({error}); their messages show ids only until nlctrl traffic names them");
            }
            Box::new(source)
        }
    };

    let out: Box<dyn Write + Send> = if args.output == "-" {
        Box::new(std::io::stdout())
    } else {
        let file = File::create(&args.output)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.output))?;
        Box::new(BufWriter::new(file))
    };
    let mut writer = match args.format {
        RecordFormat::Jsonl => CaptureWriter::Jsonl(JsonlWriter::new(out)),
        RecordFormat::Pcapng => CaptureWriter::Pcapng(
            PcapngWriter::new(out)
                .map_err(|e| anyhow::anyhow!("cannot write to {}: {e}", args.output))?,
        ),
    };

    eprintln!(
        "nlscope: capturing ({}) into {}; Ctrl-C to stop",
        source.info().detail,
        if args.output == "-" {
            "standard output"
        } else {
            &args.output
        }
    );
    let totals = write_until_stopped(source, &mut writer, &args)?;
    eprintln!("nlscope: {}", totals.summary());
    Ok(())
}

/// What `nlscope record` wrote, for its closing line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RecordTotals {
    written: u64,
    /// Written messages of which only the first bytes were captured.
    cut: u64,
    /// Records the ring buffer had no room for.
    lost: u64,
}

impl RecordTotals {
    /// `12 messages written, 3 cut, 0 lost`.
    fn summary(&self) -> String {
        format!(
            "{} messages written, {} {CUT_LABEL}, {} lost",
            self.written, self.cut, self.lost
        )
    }
}

/// `nlscope record`'s side of the pump: every message to the writer, up to
/// `--count`, with losses reported as they grow.
struct RecordConsumer<'a, W: Write> {
    writer: &'a mut CaptureWriter<W>,
    limit: u64,
    cut: u64,
    lost: u64,
    last_loss_report: std::time::Instant,
    /// The first write error; it ends the capture.
    error: Option<std::io::Error>,
}

impl<W: Write> Consumer for RecordConsumer<'_, W> {
    fn messages(&mut self, batch: Vec<CapturedMessage>) -> Flow {
        if self.error.is_some() {
            return Flow::Stop;
        }
        for message in &batch {
            if self.writer.messages_written() >= self.limit {
                break;
            }
            if let Err(error) = self.writer.write(message) {
                self.error = Some(error);
                return Flow::Stop;
            }
            self.cut += u64::from(message.is_truncated());
        }
        if let Err(error) = self.writer.flush() {
            self.error = Some(error);
            return Flow::Stop;
        }
        if self.writer.messages_written() >= self.limit {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn lost(&mut self, total: u64) -> Flow {
        // Losses are never silent: a running count on stderr, at most once
        // a second, and the total at the end.
        if total > self.lost && self.last_loss_report.elapsed() >= Duration::from_secs(1) {
            eprintln!("nlscope: warning: {total} events lost so far (the ring buffer was full; try a filter, a larger --ring-size or a smaller --snaplen)");
            self.last_loss_report = std::time::Instant::now();
        }
        self.lost = total;
        Flow::Continue
    }

    fn families(&mut self, families: Vec<Family>) -> Flow {
        self.writer
            .set_genl_families(families.into_iter().map(|f| (f.id, f.name)));
        Flow::Continue
    }
}

/// Records until the source ends, `--count` is reached, `--duration` has
/// passed, or SIGINT/SIGTERM: whatever was captured by then is written.
fn write_until_stopped<W: Write>(
    source: Box<dyn CaptureSource>,
    writer: &mut CaptureWriter<W>,
    args: &RecordArgs,
) -> anyhow::Result<RecordTotals> {
    let stop = StopSignal::new();
    let watcher = stop_on_signals(stop.clone(), args.duration.map(Duration::from_secs_f64))?;
    let mut consumer = RecordConsumer {
        writer,
        limit: args.count.unwrap_or(u64::MAX),
        cut: 0,
        lost: 0,
        last_loss_report: std::time::Instant::now() - Duration::from_secs(2),
        error: None,
    };
    let outcome = pump(source, &mut consumer, stop.clone());
    stop.stop();
    let _ = watcher.join();
    if let Some(error) = consumer.error {
        return Err(error.into());
    }
    let (cut, lost) = (consumer.cut, consumer.lost);
    writer.flush()?;
    let summary = outcome.into_result()?;
    Ok(RecordTotals {
        written: writer.messages_written(),
        cut,
        lost: lost.max(summary.lost),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_record_summary_counts_cut_messages() {
        let totals = RecordTotals {
            written: 12,
            cut: 3,
            lost: 0,
        };
        assert_eq!(totals.summary(), "12 messages written, 3 cut, 0 lost");
    }

    #[test]
    fn record_writes_the_families_its_source_names_into_pcapng() {
        let mut writer = CaptureWriter::Pcapng(PcapngWriter::new(Vec::new()).unwrap());
        let mut consumer = RecordConsumer {
            writer: &mut writer,
            limit: u64::MAX,
            cut: 0,
            lost: 0,
            last_loss_report: std::time::Instant::now(),
            error: None,
        };
        let family = Family {
            id: 0x1d,
            name: "nlscope_demo".into(),
            ..Family::default()
        };
        assert_eq!(consumer.families(vec![family]), Flow::Continue);
        let genl = crate::store::corpus::genl_message(0x1d);
        assert_eq!(consumer.messages(vec![genl.clone()]), Flow::Continue);
        let CaptureWriter::Pcapng(pcapng) = writer else {
            unreachable!()
        };
        let read = crate::format::read::read_capture_bytes(&pcapng.into_inner());
        assert_eq!(read.messages, vec![genl]);
        assert_eq!(
            read.genl_families.get(&0x1d).map(String::as_str),
            Some("nlscope_demo")
        );
    }

    #[test]
    fn snaplen_is_an_opt_in_cap_that_marks_cut_messages() {
        let help = crate::options::snaplen_help();
        assert!(help.contains("Opt-in cap"), "{help}");
        assert!(help.contains("kept whole"), "{help}");
        assert!(help.contains("marked cut"), "{help}");
        let command = Cli::command();
        let record = command.find_subcommand("record").unwrap();
        let snaplen = record
            .get_arguments()
            .find(|arg| arg.get_id() == "snaplen")
            .unwrap();
        assert_eq!(snaplen.get_help().map(|h| h.to_string()), Some(help));
        assert_eq!(
            record_args(&[]).live.snaplen,
            nlscope_common::DEFAULT_SNAPLEN
        );
    }

    fn record_args(options: &[&str]) -> RecordArgs {
        let command_line = ["nlscope", "record"].iter().chain(options);
        match Cli::parse_args(command_line).unwrap().command {
            Some(Command::Record(args)) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn record_counts_the_cut_messages_it_writes() {
        // The corpus, then a message of which 64 of 252 bytes were captured.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let mut input = JsonlWriter::new(Vec::new());
        let mut messages = crate::store::corpus::messages();
        messages.push(crate::store::corpus::cut_message());
        for message in &messages {
            input.write(message).unwrap();
        }
        std::fs::write(&path, input.into_inner()).unwrap();

        let source = crate::capture::file::FileSource::new(&path);
        let mut writer = CaptureWriter::Jsonl(JsonlWriter::new(Vec::new()));
        let args = record_args(&[]);
        let totals = write_until_stopped(Box::new(source), &mut writer, &args).unwrap();
        assert_eq!(
            totals,
            RecordTotals {
                written: 11,
                cut: 1,
                lost: 0
            }
        );
    }
}
