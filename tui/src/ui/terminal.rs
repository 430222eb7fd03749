//! The terminal the dashboard takes over: raw mode, the alternate screen and
//! the mouse for as long as a [`TerminalGuard`] lives, restored on drop and
//! on a panic of the UI thread.

use std::io::{self, Stdout};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;

/// The dashboard's terminal.
pub type DashboardTerminal = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode + alternate screen + mouse for as long as it lives.
pub struct TerminalGuard {
    pub terminal: DashboardTerminal,
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
    pub fn enter() -> anyhow::Result<TerminalGuard> {
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
