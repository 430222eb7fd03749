//! The dashboard: ratatui + crossterm on a tokio runtime.
//!
//! Data flows one way: a [`CaptureSource`] runs on its own thread
//! ([`capture::spawn`]) and sends batches; the loop here ingests them into the
//! [`Store`] and draws at a fixed frame rate. Terminal events become
//! [`Action`]s ([`keys`]) that [`App::update`] applies. The UI owns no capture
//! logic. On live capture a second thread re-reads this machine's socket table
//! ([`spawn_ports_reader`], every [`PORTS_REFRESH`]) for the Ports and Groups
//! views, so no socket scan ever runs on the render path.

pub mod app;
pub mod components;
pub mod data;
pub mod format;
pub mod inject;
pub mod keys;
pub mod source;

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as ct_event, DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::capture::{self, CaptureSource, SourceEvent, StopSignal};
use crate::store::Store;

pub use app::{Action, App, Mode, Pane, PortsOrigin, PortsUpdate, SourceStatus, View};
pub use source::open_source;

/// Frames per second.
pub const FPS: u64 = 30;
/// Source batches ingested at most between two frames (keeps keys responsive).
const BATCHES_PER_FRAME: usize = 32;
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
}

/// Advice shown when live capture is unavailable.
pub const LIVE_HINT: &str = "Live capture needs root (or CAP_BPF + CAP_PERFMON), kernel BTF at \
/sys/kernel/btf/vmlinux and BPF trampolines (fentry). Meanwhile: record elsewhere with \
`nlscope record -o FILE` and open it with `nlscope open FILE`.";

/// Runs the dashboard until the user quits (or SIGTERM / SIGINT).
pub fn run(dashboard: Dashboard) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminal = TerminalGuard::enter()?;
    runtime.block_on(event_loop(&mut terminal.terminal, dashboard))
}

/// Raw mode + alternate screen + mouse for as long as it lives; restored on
/// drop and on panic.
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

impl TerminalGuard {
    fn enter() -> anyhow::Result<TerminalGuard> {
        // A panic on the UI thread restores the terminal before the message
        // is printed. Other threads (the capture source) report their panics
        // through their join handles while the dashboard keeps running.
        let ui_thread = std::thread::current().id();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == ui_thread {
                restore_terminal();
            }
            previous(info);
        }));
        enable_raw_mode()?;
        if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture) {
            restore_terminal();
            return Err(e.into());
        }
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Reads this machine's socket table (and generic netlink families) every
/// `every` on a thread of its own, never on the render path, until `stop` is
/// set or the receiver is gone. The first read is sent at once.
pub fn spawn_ports_reader(stop: Arc<AtomicBool>, every: Duration) -> mpsc::Receiver<PortsUpdate> {
    let (sender, receiver) = mpsc::channel(1);
    std::thread::Builder::new()
        .name("nlscope-ports".into())
        .spawn(move || {
            let step = Duration::from_millis(50);
            while !stop.load(Ordering::Relaxed) {
                if sender.blocking_send(PortsUpdate::read()).is_err() {
                    break;
                }
                let mut waited = Duration::ZERO;
                while waited < every && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(step);
                    waited += step;
                }
            }
        })
        .expect("spawning the ports thread");
    receiver
}

/// Reads terminal events on a thread of its own until `stop` is set.
fn spawn_terminal_reader(stop: Arc<AtomicBool>) -> mpsc::Receiver<ct_event::Event> {
    let (sender, receiver) = mpsc::channel(256);
    std::thread::Builder::new()
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
        })
        .expect("spawning the input thread");
    receiver
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    dashboard: Dashboard,
) -> anyhow::Result<()> {
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
    let mut app = App::new(Store::new(dashboard.max_events), status);
    app.banner = banner;
    app.ports_origin = dashboard.ports;

    let input_stop = Arc::new(AtomicBool::new(false));
    let mut input = spawn_terminal_reader(input_stop.clone());
    let mut ports = match app.ports_origin {
        PortsOrigin::Machine => Some(spawn_ports_reader(input_stop.clone(), PORTS_REFRESH)),
        PortsOrigin::Traffic(_) | PortsOrigin::Remote(_) => None,
    };
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut frames = tokio::time::interval(Duration::from_millis(1000 / FPS));
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let result = loop {
        tokio::select! {
            _ = frames.tick() => {
                app.tick();
                if let Err(e) = terminal.draw(|frame| components::draw(frame, &mut app)) {
                    break Err(e.into());
                }
            }
            event = recv_or_pending(&mut events) => match event {
                Some(event) => {
                    handle_source_event(&mut app, event);
                    // Drain what is already queued, within a budget.
                    if let Some(receiver) = events.as_mut() {
                        for _ in 0..BATCHES_PER_FRAME {
                            match receiver.try_recv() {
                                Ok(event) => handle_source_event(&mut app, event),
                                Err(_) => break,
                            }
                        }
                    }
                }
                None => {
                    events = None;
                    let ended = match handle.take().map(|h| h.join()) {
                        Some(Ok(Ok(summary))) => {
                            app.store.set_lost(summary.lost);
                            if app.source.kind == "file" { "end of file".to_string() } else { "ended".to_string() }
                        }
                        Some(Ok(Err(e))) => {
                            app.banner = Some(format!("the source stopped: {e:#}"));
                            "failed".to_string()
                        }
                        Some(Err(_)) => "the capture thread panicked".to_string(),
                        None => "ended".to_string(),
                    };
                    app.source.ended = Some(ended);
                }
            },
            update = recv_or_pending(&mut ports) => match update {
                Some(update) => app.update_ports(update),
                None => ports = None,
            },
            event = input.recv() => match event {
                Some(ct_event::Event::Resize(_, _)) => {
                    if let Err(e) = terminal.autoresize() {
                        break Err(e.into());
                    }
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
    // An export in progress is finished, not cut off.
    app.finish_export();
    result
}

async fn recv_or_pending<T>(events: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match events {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

fn handle_source_event(app: &mut App, event: SourceEvent) {
    match event {
        SourceEvent::Messages(batch) => app.ingest(batch),
        SourceEvent::Lost { total } => app.store.set_lost(total),
        SourceEvent::Ports(table) => app.set_source_ports(*table),
    }
}

#[cfg(test)]
mod tests;
