//! The dashboard: ratatui + crossterm on a tokio runtime, built as
//! components that own their state and draw from `&self`.
//!
//! Data flows one way. Everything that happens becomes an [`Action`]
//! (plain data, [`action`]): keys and mouse events through the one keymap
//! ([`keys`] reads the terminal event, [`keymap`] says what it does), frame
//! ticks and resizes, batches from the capture source (on its own thread,
//! [`crate::capture::spawn`]), and the results of background tasks
//! ([`tasks`]: the ports reader every [`PORTS_REFRESH`], an export's writer,
//! an injection's send). The event loop ([`runtime`]) hands each action to
//! [`App::update`], the one place state changes; the App ([`app`]) routes it
//! to the component it is for ([`components`], the inject dialog in
//! [`inject`]) and lays the screen out again ([`layout`]). Each frame is
//! drawn by [`App::render`] ([`screen`]) from `&App`. No capture logic,
//! socket scan or file write runs on the render path. Where injection goes
//! (this machine, an agent, nowhere) is configuration ([`Config`]), given
//! to the App when it is made.
//!
//! The rest: [`sockets`] (what the Ports and Groups views show), [`export`]
//! (the export job), [`data`] and [`format`](mod@format) (rows and text), [`source`]
//! (opening a capture file), [`terminal`] (raw mode and its restoration).

pub mod action;
pub mod app;
pub mod components;
pub mod data;
pub mod export;
pub mod format;
pub mod inject;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod runtime;
pub mod screen;
pub mod sockets;
pub mod source;
pub mod tasks;
pub mod terminal;

pub use action::{Action, Mode, Pane, PortsUpdate, View};
pub use app::{App, Config, SourceStatus};
pub use inject::Injection;
pub use runtime::{
    handle_source_event, run, Dashboard, FPS, LIVE_HINT, MEMORY_BUDGET, OPEN_MEMORY_BUDGET,
    PORTS_REFRESH,
};
pub use sockets::PortsOrigin;
pub use source::open_source;
pub use tasks::spawn_ports_reader;

#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod tests;
