//! `nlscope agent`: the command-line side of the agent.

use std::path::PathBuf;

use clap::Args;

use super::{send_permission, serve, Address, Listener, ServeOptions, DEFAULT_BACKLOG};
use crate::capture::live::LiveSource;
use crate::capture::{CaptureSource, StopSignal};
use crate::options::LiveArgs;

/// Default socket: owner-only, under /run like other daemons' sockets.
pub const DEFAULT_SOCKET: &str = "unix:/run/nlscope.sock";

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Where to listen: unix:PATH (owner-only socket) or tcp:HOST:PORT
    /// (use a loopback address; any other address is served with a warning).
    #[arg(long, default_value = DEFAULT_SOCKET, value_parser = Address::parse)]
    pub listen: Address,
    /// Serve a capture file instead of live traffic (for demos and tests).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Newest messages kept for clients that connect late.
    #[arg(long, default_value_t = DEFAULT_BACKLOG)]
    pub backlog: usize,
    /// Let clients send messages from this machine (`nlscope send --connect`,
    /// the dashboard's inject dialog); each send is logged to stderr. Never
    /// on a TCP address that is not loopback.
    #[arg(long)]
    pub allow_send: bool,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Runs the agent until SIGINT or SIGTERM.
pub fn run(args: AgentArgs, specs: std::sync::Arc<crate::ynl::Specs>) -> anyhow::Result<()> {
    let source: Box<dyn CaptureSource> = match &args.file {
        Some(path) => crate::ui::open_source(path)?,
        None => Box::new(LiveSource::open(&args.live.options())?),
    };
    let detail = source.info().detail;
    let listener = Listener::bind(&args.listen)?;
    let sends = send_permission(&listener, args.allow_send);
    if let (true, Err(why)) = (args.allow_send, &sends) {
        eprintln!("nlscope: warning: --allow-send is ignored: {why}");
    }
    eprintln!(
        "nlscope: agent serving {detail} on {} ({}); Ctrl-C to stop",
        args.listen,
        if sends.is_ok() {
            "clients may send; each send is logged here"
        } else {
            "read-only"
        }
    );
    let stop = StopSignal::new();
    let _signals = crate::runtime::stop_on_signals(stop.clone(), None)?;
    let options = ServeOptions {
        backlog: args.backlog,
        allow_send: args.allow_send,
        specs,
    };
    let summary = serve(source, listener, stop, options)?;
    eprintln!(
        "nlscope: agent stopped: {} messages captured, {} lost, {} clients served",
        summary.capture.messages, summary.capture.lost, summary.clients_served
    );
    Ok(())
}
