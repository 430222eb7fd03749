//! Running the dashboard ([`run`]): the terminal taken over, then the event
//! loop: one `select!` over everything that can happen, each
//! turned into an [`Action`] for [`App::update`]: the frame clock
//! ([`Action::Tick`], then a draw from `&App`), terminal events (through the
//! keymap, [`crate::ui::keys`]), the capture source's batches, the ports
//! task's reads, the background tasks' reports, and SIGTERM / SIGINT /
//! SIGHUP. Terminal events are read on a thread of their own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{self as ct_event};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::capture::{self, CaptureSource, SourceEvent, StopSignal};
use crate::store::Store;
use crate::ui::action::{Action, SourceEnd};
use crate::ui::app::{App, Config, SourceStatus};
use crate::ui::keys;
use crate::ui::sockets::PortsOrigin;
use crate::ui::tasks::spawn_ports_reader;
use crate::ui::terminal::{DashboardTerminal, TerminalGuard};

/// Frames per second.
pub const FPS: u64 = 30;
/// How often the Ports and Groups views re-read this machine's sockets.
pub const PORTS_REFRESH: Duration = Duration::from_secs(2);

/// How the dashboard was started.
pub struct Dashboard {
    /// The source, or why there is none (shown in a banner).
    pub source: Result<Box<dyn CaptureSource>, String>,
    pub max_events: usize,
    /// What the banner adds after the error: how to get traffic anyway.
    pub hint: &'static str,
    /// Where the Ports and Groups views get their sockets.
    pub ports: PortsOrigin,
    /// No injection (`--read-only`, or a remote source).
    pub read_only: bool,
}

/// Advice shown when live capture is unavailable.
pub const LIVE_HINT: &str = "Live capture needs root (or CAP_BPF + CAP_PERFMON), kernel BTF at \
/sys/kernel/btf/vmlinux and BPF trampolines (fentry). Meanwhile: record elsewhere with \
`nlscope record -o FILE` and open it with `nlscope open FILE`.";

/// Runs the dashboard until the user quits (or SIGTERM / SIGINT). An export
/// still running then is finished, not cut off.
pub fn run(dashboard: Dashboard) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut guard = TerminalGuard::enter()?;
    let mut app = runtime.block_on(event_loop(&mut guard.terminal, dashboard))?;
    drop(guard);
    app.finish_export();
    Ok(())
}

/// Source batches ingested at most between two frames (keeps keys responsive).
const BATCHES_PER_FRAME: usize = 32;

/// The action for an event of the capture source.
pub fn source_action(event: SourceEvent) -> Action {
    match event {
        SourceEvent::Messages(batch) => Action::Ingest(batch),
        SourceEvent::Lost { total } => Action::Lost(total),
        SourceEvent::Ports(table) => Action::SourcePorts(table),
    }
}

/// Applies an event of the capture source.
pub fn handle_source_event(app: &mut App, event: SourceEvent) {
    app.update(source_action(event));
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

/// Runs the dashboard until the user quits or a signal comes; returns the
/// App (a running export is finished by the caller, outside the runtime).
pub async fn event_loop(
    terminal: &mut DashboardTerminal,
    dashboard: Dashboard,
) -> anyhow::Result<App> {
    let stop = StopSignal::new();
    let (status, banner, mut events, mut handle) = match dashboard.source {
        Ok(source) => {
            let info = source.info();
            let (events, handle) = capture::spawn(source, stop.clone(), 64);
            (
                SourceStatus {
                    kind: info.kind.to_string(),
                    detail: info.detail,
                    ended: None,
                },
                None,
                Some(events),
                Some(handle),
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
            None,
        ),
    };
    let machine = dashboard.ports == PortsOrigin::Machine;
    let config = Config {
        read_only: dashboard.read_only,
        ports: dashboard.ports,
    };
    let mut app = App::with_config(Store::new(dashboard.max_events), status, config);
    app.banner = banner;

    let input_stop = Arc::new(AtomicBool::new(false));
    let mut input = spawn_terminal_reader(input_stop.clone());
    let mut ports = machine.then(|| spawn_ports_reader(input_stop.clone(), PORTS_REFRESH));
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut frames = tokio::time::interval(Duration::from_millis(1000 / FPS));
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let result = loop {
        tokio::select! {
            _ = frames.tick() => {
                if let Err(e) = fit_terminal(&mut app, terminal) {
                    break Err(e);
                }
                app.update(Action::Tick);
                if let Err(e) = terminal.draw(|frame| app.render(frame)) {
                    break Err(e.into());
                }
            }
            event = recv_or_pending(&mut events) => match event {
                Some(event) => {
                    app.update(source_action(event));
                    // Drain what is already queued, within a budget.
                    if let Some(receiver) = events.as_mut() {
                        for _ in 0..BATCHES_PER_FRAME {
                            match receiver.try_recv() {
                                Ok(event) => app.update(source_action(event)),
                                Err(_) => break,
                            }
                        }
                    }
                }
                None => {
                    events = None;
                    let end = match handle.take().map(|h| h.join()) {
                        Some(Ok(Ok(summary))) => SourceEnd::Finished { lost: summary.lost },
                        Some(Ok(Err(e))) => SourceEnd::Failed(format!("{e:#}")),
                        Some(Err(_)) => SourceEnd::Panicked,
                        None => SourceEnd::Finished { lost: 0 },
                    };
                    app.update(Action::SourceEnded(end));
                }
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
