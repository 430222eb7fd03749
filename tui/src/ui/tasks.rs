//! Background work, off the event loop: each task runs on a thread of its
//! own and its result comes back as an [`Action`], which the event loop (the
//! runtime) hands to [`crate::ui::App::update`] like any other. Nothing here
//! touches the dashboard's state.
//!
//! - [`Tasks`] runs one-shot jobs (an injection's send and wait for replies,
//!   an export's writer) and collects what they report.
//! - [`spawn_ports_reader`] re-reads this machine's socket table every
//!   [`crate::ui::PORTS_REFRESH`] for the Ports and Groups views; the event
//!   loop turns each read into [`Action::PortsRead`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::ports::PortTable;
use crate::ui::action::{Action, PortsUpdate};

/// What a task sends back.
struct Report {
    action: Action,
    /// The task's last report: it is done.
    last: bool,
}

/// The dashboard's one-shot background tasks and their reports.
pub struct Tasks {
    sender: mpsc::UnboundedSender<Report>,
    receiver: mpsc::UnboundedReceiver<Report>,
    running: usize,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tasks")
            .field("running", &self.running)
            .finish()
    }
}

impl Default for Tasks {
    fn default() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Tasks {
            sender,
            receiver,
            running: 0,
        }
    }
}

/// A running task's way back.
pub struct Reporter {
    sender: mpsc::UnboundedSender<Report>,
    /// Sent as the last report if the task ends without one (it panicked).
    on_panic: Option<Action>,
}

impl Reporter {
    /// Sends an action before the last one.
    pub fn send(&self, action: Action) {
        let _ = self.sender.send(Report {
            action,
            last: false,
        });
    }

    fn finish(mut self, action: Action) {
        self.on_panic = None;
        let _ = self.sender.send(Report { action, last: true });
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Some(action) = self.on_panic.take() {
            let _ = self.sender.send(Report { action, last: true });
        }
    }
}

impl Tasks {
    /// Runs `work` on a thread called `name`; what it returns is its last
    /// report. Should it panic, `on_panic` is reported instead. Fails only
    /// when no thread can be started.
    pub fn spawn(
        &mut self,
        name: &str,
        on_panic: Action,
        work: impl FnOnce(&Reporter) -> Action + Send + 'static,
    ) -> Result<(), String> {
        let reporter = Reporter {
            sender: self.sender.clone(),
            on_panic: Some(on_panic),
        };
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let action = work(&reporter);
                reporter.finish(action);
            })
            .map_err(|e| format!("cannot start a thread for {name}: {e}"))?;
        self.running += 1;
        Ok(())
    }

    /// Tasks started and not done.
    pub fn running(&self) -> usize {
        self.running
    }

    fn received(&mut self, report: Report) -> Action {
        if report.last {
            self.running = self.running.saturating_sub(1);
        }
        report.action
    }

    /// The next report, when there is one (the event loop awaits this).
    pub async fn next(&mut self) -> Action {
        match self.receiver.recv().await {
            Some(report) => self.received(report),
            // `self` holds a sender: the channel never closes.
            None => std::future::pending().await,
        }
    }

    /// Blocks until the next report while a task runs (not from async code).
    pub fn wait(&mut self) -> Option<Action> {
        if self.running == 0 {
            return None;
        }
        let report = self.receiver.blocking_recv()?;
        Some(self.received(report))
    }
}

/// Reads this machine's socket table (and generic netlink families) every
/// `every` on a thread of its own, never on the render path, until `stop` is
/// set or the receiver is gone. The first read is sent at once. When no
/// thread can be started the receiver ends at once (the views then show what
/// the traffic implies).
pub fn spawn_ports_reader(stop: Arc<AtomicBool>, every: Duration) -> mpsc::Receiver<PortsUpdate> {
    let (sender, receiver) = mpsc::channel(1);
    let _started = std::thread::Builder::new()
        .name("nlscope-ports".into())
        .spawn(move || {
            let step = Duration::from_millis(50);
            while !stop.load(Ordering::Relaxed) {
                if sender.blocking_send(read_ports()).is_err() {
                    break;
                }
                let mut waited = Duration::ZERO;
                while waited < every && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(step);
                    waited += step;
                }
            }
        });
    receiver
}

/// Reads the socket table and the generic netlink families (blocking: a few
/// netlink dumps and a scan of /proc; the ports task calls it).
fn read_ports() -> PortsUpdate {
    PortsUpdate {
        table: PortTable::read().map_err(|e| format!("{e:#}")),
        genl_families: crate::netlink::nlctrl::family_names().unwrap_or_default(),
    }
}
