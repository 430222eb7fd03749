//! Running the dashboard ([`run`]): the terminal taken over, then the event
//! loop: one `select!` over everything that can happen, each
//! turned into an [`Action`] for [`App::update`]: the frame clock
//! ([`Action::Tick`], then a draw from `&App`), terminal events (through the
//! keymap, [`crate::ui::keys`]), the capture source's batches, the ports
//! task's reads, the background tasks' reports, and SIGTERM / SIGINT /
//! SIGHUP. Terminal events are read on a thread of their own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self as ct_event};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::capture::{CaptureSource, IndexedBatch, SourceEvent, StopSignal};
use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;
use crate::ports::PortTable;
use crate::runtime::{pump, Consumer, Flow, SourceOutcome};
use crate::store::spill::Spill;
use crate::store::Store;
use crate::ui::action::{Action, SourceEnd};
use crate::ui::app::{App, Config, SourceStatus};
use crate::ui::inject::Injection;
use crate::ui::keys;
use crate::ui::sockets::PortsOrigin;
use crate::ui::tasks::spawn_ports_reader;
use crate::ui::terminal::{DashboardTerminal, TerminalGuard};

/// Memory for a live or remote capture's messages (half their bytes, half
/// the index) before the oldest go to disk, unless `--memory` says
/// otherwise.
pub const MEMORY_BUDGET: u64 = 512 * 1024 * 1024;

/// Memory for a file's index before its oldest pages go to disk (`nlscope
/// open --memory`): small, as the pages read back at disk speed, and a
/// file's bytes take none.
pub const OPEN_MEMORY_BUDGET: u64 = 64 * 1024 * 1024;

/// Frames per second.
pub const FPS: u64 = 30;
/// How often the Ports and Groups views re-read this machine's sockets.
pub const PORTS_REFRESH: Duration = Duration::from_secs(2);

/// How the dashboard was started.
pub struct Dashboard {
    /// The source, or why there is none (shown in a banner).
    pub source: Result<Box<dyn CaptureSource>, String>,
    /// Messages kept at most; `None`: all of them (on disk past `memory`).
    pub max_events: Option<usize>,
    /// Capture time after which a request with no reply is closed as such.
    pub reply_timeout_ns: u64,
    /// Memory for the messages before the oldest go to disk: their bytes
    /// and index for a live or remote capture, the index for a file.
    pub memory: u64,
    /// The user's file (`-w FILE`) to spill to and keep, instead of a
    /// temporary one.
    pub write: Option<std::path::PathBuf>,
    /// What the banner adds after the error: how to get traffic anyway.
    pub hint: &'static str,
    /// Where the Ports and Groups views get their sockets.
    pub ports: PortsOrigin,
    /// Where the inject dialog sends (or why it does not open).
    pub injection: Injection,
    /// The YNL specs messages are decoded with.
    pub specs: std::sync::Arc<crate::ynl::Specs>,
}

/// Advice shown when live capture is unavailable.
pub const LIVE_HINT: &str = "Live capture needs root (or CAP_BPF + CAP_PERFMON), kernel BTF at \
/sys/kernel/btf/vmlinux and BPF trampolines (fentry). Meanwhile: record elsewhere with \
`nlscope record -o FILE` and open it with `nlscope open FILE`.";

/// The store of a dashboard on a file (`is_file`) or a live or remote
/// capture, and the banner to show (`banner`, or why nothing can spill).
///
/// A file's messages are kept by where they are in it, metadata only: all
/// of them unless --max-events says otherwise, the index within `memory`.
/// A live or remote capture's bytes go to a temporary pcapng past half of
/// `memory`, and its index to disk past the other half; then all of its
/// messages are kept too. When nothing can be written to disk, a live
/// capture keeps the newest [`crate::store::DEFAULT_MAX_EVENTS`] instead.
pub fn dashboard_store(
    dashboard: &Dashboard,
    is_file: bool,
    banner: Option<String>,
) -> (Store, Option<String>) {
    let store = |max_events: usize| {
        Store::with_context(
            max_events,
            crate::decode::DecodeContext::with_specs(dashboard.specs.clone()),
        )
        .with_pairing(crate::pairing::PairingConfig {
            timeout_ns: dashboard.reply_timeout_ns,
            ..Default::default()
        })
    };
    let all = dashboard.max_events.unwrap_or(usize::MAX);
    if is_file {
        return (store(all).with_index_budget(dashboard.memory), banner);
    }
    let (bytes, index) = crate::store::spill::split_budget(dashboard.memory);
    let spill = match &dashboard.write {
        Some(path) => Spill::to_file(path, bytes),
        None => Spill::temporary(bytes),
    };
    match spill {
        Ok(spill) => (
            store(all).with_index_budget(index).with_spill(spill),
            banner,
        ),
        Err(why) => {
            let kept = dashboard
                .max_events
                .unwrap_or(crate::store::DEFAULT_MAX_EVENTS);
            let why =
                format!("Cannot spill to disk ({why}): only the newest {kept} messages are kept.");
            (store(kept), banner.or(Some(why)))
        }
    }
}

/// Runs the dashboard until the user quits (or SIGTERM / SIGINT). An export
/// still running then is finished, not cut off.
pub fn run(dashboard: Dashboard) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Some(path) = &dashboard.write {
        // Said before the dashboard takes the terminal, not in a banner.
        std::fs::File::create(path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    let mut guard = TerminalGuard::enter()?;
    let mut app = runtime.block_on(event_loop(&mut guard.terminal, dashboard))?;
    drop(guard);
    app.finish_export();
    match app.store.write_out() {
        Some(Ok((path, messages))) => {
            eprintln!("nlscope: wrote {messages} messages to {}", path.display())
        }
        Some(Err(why)) => eprintln!("nlscope: the capture file is incomplete: {why}"),
        None => {}
    }
    Ok(())
}

/// Source batches ingested at most between two frames (keeps keys responsive).
const BATCHES_PER_FRAME: usize = 32;

/// The action for an event of the capture source.
pub fn source_action(event: SourceEvent) -> Action {
    match event {
        SourceEvent::Messages(batch) => Action::Ingest(batch),
        SourceEvent::Indexed(batch) => Action::IngestIndexed(batch),
        SourceEvent::Lost { total } => Action::Lost(total),
        SourceEvent::Ports(table) => Action::SourcePorts(table),
        SourceEvent::Families(families) => Action::Families(families),
    }
}

/// Applies an event of the capture source.
pub fn handle_source_event(app: &mut App, event: SourceEvent) {
    app.update(source_action(event));
}

/// The dashboard's side of the pump: each event of the source becomes an
/// action, queued for the event loop (the pump runs on a thread of its own).
struct ForwardActions(mpsc::Sender<Action>);

impl ForwardActions {
    fn forward(&self, action: Action) -> Flow {
        // The loop is gone (the user quit): stop the capture.
        match self.0.blocking_send(action) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }
}

impl Consumer for ForwardActions {
    fn messages(&mut self, batch: Vec<CapturedMessage>) -> Flow {
        self.forward(Action::Ingest(batch))
    }
    fn indexed(&mut self, batch: IndexedBatch) -> Flow {
        self.forward(Action::IngestIndexed(batch))
    }
    fn lost(&mut self, total: u64) -> Flow {
        self.forward(Action::Lost(total))
    }
    fn ports(&mut self, table: Box<PortTable>) -> Flow {
        self.forward(Action::SourcePorts(table))
    }
    fn families(&mut self, families: Vec<Family>) -> Flow {
        self.forward(Action::Families(families))
    }
}

/// Starts the pump for `source` on a thread of its own; its events, and
/// last how it ended, arrive as actions on the returned receiver.
fn spawn_pump(source: Box<dyn CaptureSource>, stop: StopSignal) -> mpsc::Receiver<Action> {
    let (sender, receiver) = mpsc::channel(64);
    let spawned = std::thread::Builder::new()
        .name("nlscope-pump".into())
        .spawn(move || {
            let mut forward = ForwardActions(sender);
            let end = match pump(source, &mut forward, stop) {
                SourceOutcome::Finished(summary) => SourceEnd::Finished { lost: summary.lost },
                SourceOutcome::Failed(error) => SourceEnd::Failed(format!("{error:#}")),
                SourceOutcome::Panicked => SourceEnd::Panicked,
            };
            forward.forward(Action::SourceEnded(end));
        });
    if spawned.is_err() {
        // No thread: the receiver ends at once, and the source with it.
        let (_, receiver) = mpsc::channel(1);
        return receiver;
    }
    receiver
}

/// Reads terminal events on a thread of its own until `stop` is set. When
/// no thread can be started the receiver ends at once (and so does the
/// dashboard).
fn spawn_terminal_reader(stop: Arc<AtomicBool>) -> mpsc::Receiver<ct_event::Event> {
    let (sender, receiver) = mpsc::channel(256);
    let _started = std::thread::Builder::new()
        .name("nlscope-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match ct_event::poll(Duration::from_millis(50)) {
                    Ok(true) => match ct_event::read() {
                        Ok(event) => {
                            if sender.blocking_send(event).is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    },
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        });
    receiver
}

async fn recv_or_pending<T>(events: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match events {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends [`Action::Resize`] when the terminal's size is not the one the
/// App laid out for.
fn fit_terminal(app: &mut App, terminal: &DashboardTerminal) -> anyhow::Result<()> {
    let size = terminal.size()?;
    if (size.width, size.height) != (app.areas.screen.width, app.areas.screen.height) {
        app.update(Action::Resize {
            width: size.width,
            height: size.height,
        });
    }
    Ok(())
}

/// A frame: the terminal's size checked, a tick, the screen drawn.
fn draw_frame(app: &mut App, terminal: &mut DashboardTerminal) -> anyhow::Result<()> {
    fit_terminal(app, terminal)?;
    app.update(Action::Tick);
    terminal.draw(|frame| app.render(frame))?;
    Ok(())
}

/// Runs the dashboard until the user quits or a signal comes; returns the
/// App (a running export is finished by the caller, outside the runtime).
pub async fn event_loop(
    terminal: &mut DashboardTerminal,
    mut dashboard: Dashboard,
) -> anyhow::Result<App> {
    let stop = StopSignal::new();
    // Taken out, so that the rest of `dashboard` is still whole for the store.
    let source = std::mem::replace(&mut dashboard.source, Err(String::new()));
    let (status, banner, mut events) = match source {
        Ok(source) => {
            let info = source.info();
            (
                SourceStatus {
                    kind: info.kind.to_string(),
                    detail: info.detail,
                    ended: None,
                },
                None,
                Some(spawn_pump(source, stop.clone())),
            )
        }
        Err(why) => (
            SourceStatus {
                kind: "none".into(),
                detail: "(live capture unavailable)".into(),
                ended: None,
            },
            Some(format!("{why}\n{}", dashboard.hint)),
            None,
        ),
    };
    let machine = dashboard.ports == PortsOrigin::Machine;
    let (store, banner) = dashboard_store(&dashboard, status.kind == "file", banner);
    let config = Config {
        injection: dashboard.injection,
        ports: dashboard.ports,
    };
    let mut app = App::with_config(store, status, config);
    app.banner = banner;

    let input_stop = Arc::new(AtomicBool::new(false));
    let mut input = spawn_terminal_reader(input_stop.clone());
    let mut ports = machine.then(|| spawn_ports_reader(input_stop.clone(), PORTS_REFRESH));
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut frames = tokio::time::interval(Duration::from_millis(1000 / FPS));
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let frame_period = Duration::from_millis(1000 / FPS);
    let mut last_frame = Instant::now();
    let result = loop {
        tokio::select! {
            _ = frames.tick() => {
                if let Err(e) = draw_frame(&mut app, terminal) {
                    break Err(e);
                }
                last_frame = Instant::now();
            }
            action = recv_or_pending(&mut events) => match action {
                Some(action) => {
                    app.update(action);
                    // Drain what is already queued, within a budget.
                    if let Some(receiver) = events.as_mut() {
                        for _ in 0..BATCHES_PER_FRAME {
                            match receiver.try_recv() {
                                Ok(action) => app.update(action),
                                Err(_) => break,
                            }
                        }
                    }
                    // While a source always has more (a large file being
                    // indexed), this branch is always ready and the timers
                    // and signals would wait for its end: draw when a frame
                    // is due, and let the runtime poll its drivers.
                    if last_frame.elapsed() >= frame_period {
                        if let Err(e) = draw_frame(&mut app, terminal) {
                            break Err(e);
                        }
                        last_frame = Instant::now();
                    }
                    tokio::task::yield_now().await;
                }
                // The pump sent how the source ended, then closed.
                None => events = None,
            },
            update = recv_or_pending(&mut ports) => match update {
                Some(update) => app.update(Action::PortsRead(Box::new(update))),
                None => ports = None,
            },
            report = app.next_report() => app.update(report),
            event = input.recv() => match event {
                Some(ct_event::Event::Resize(width, height)) => {
                    if let Err(e) = terminal.autoresize() {
                        break Err(e.into());
                    }
                    app.update(Action::Resize { width, height });
                }
                Some(event) => {
                    if let Some(action) = keys::action_for(app.mode, &event) {
                        app.update(action);
                    }
                }
                None => break Ok(()),
            },
            _ = terminate.recv() => app.should_quit = true,
            _ = interrupt.recv() => app.should_quit = true,
            _ = hangup.recv() => app.should_quit = true,
        }
        if app.should_quit {
            break Ok(());
        }
    };
    stop.stop();
    input_stop.store(true, Ordering::Relaxed);
    result.map(|()| app)
}
