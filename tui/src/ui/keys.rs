//! From terminal events to [`Action`]s, and the bindings the help lists.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::ui::app::{Action, Mode, View};

/// Every binding, as shown by `?`.
pub const BINDINGS: &[(&str, &str)] = &[
    (
        "Up/Down, k/j",
        "move the selection (or scroll the focused pane)",
    ),
    (
        "Left/Right, h/l",
        "collapse / expand the selected field (detail pane)",
    ),
    ("PgUp/PgDn", "move a page"),
    ("g / G", "first / last (G follows the newest again)"),
    ("Tab / Shift-Tab", "next / previous pane: list, detail, hex"),
    ("Enter", "open the detail pane; expand or collapse a field"),
    ("/", "edit the filter (Enter applies, Esc cancels)"),
    ("Esc", "clear the filter"),
    ("space", "pause / resume (messages wait while paused)"),
    ("f", "follow the newest message on / off"),
    ("p", "quick filter: the selected message's port"),
    ("P", "quick filter: the selected message's process"),
    ("m", "quick filter: the selected message's multicast group"),
    ("e", "export the filtered view (.pcapng, else JSON Lines)"),
    ("1 2 3 4", "views: Traffic, Ports, Groups, Stats"),
    ("mouse", "wheel scrolls, click selects and focuses"),
    ("?", "this help (any key closes it)"),
    ("q, Ctrl-c", "quit"),
];

/// The action for a terminal event in `mode`, if any.
pub fn action_for(mode: Mode, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_action(mode, key),
        Event::Mouse(mouse) if mode == Mode::Normal => {
            let (column, row) = (mouse.column, mouse.row);
            match mouse.kind {
                MouseEventKind::ScrollUp => Some(Action::ScrollUp { column, row }),
                MouseEventKind::ScrollDown => Some(Action::ScrollDown { column, row }),
                MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { column, row }),
                _ => None,
            }
        }
        _ => None,
    }
}

pub fn key_action(mode: Mode, key: &KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match mode {
        Mode::Filter | Mode::ExportPath => match key.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
            _ => None,
        },
        Mode::Help => Some(Action::ToggleHelp),
        Mode::Inject => Some(Action::Inject(*key)),
        Mode::Normal => Some(match key.code {
            _ if ctrl => return None,
            KeyCode::Char('q') => Action::Quit,
            KeyCode::Up | KeyCode::Char('k') => Action::Up,
            KeyCode::Down | KeyCode::Char('j') => Action::Down,
            KeyCode::Left | KeyCode::Char('h') => Action::Left,
            KeyCode::Right | KeyCode::Char('l') => Action::Right,
            KeyCode::PageUp => Action::PageUp,
            KeyCode::PageDown => Action::PageDown,
            KeyCode::Home | KeyCode::Char('g') => Action::Top,
            KeyCode::End | KeyCode::Char('G') => Action::Bottom,
            KeyCode::Tab => Action::NextPane,
            KeyCode::BackTab => Action::PrevPane,
            KeyCode::Enter => Action::Toggle,
            KeyCode::Char('/') => Action::OpenFilter,
            KeyCode::Esc => Action::ClearFilter,
            KeyCode::Char(' ') => Action::TogglePause,
            KeyCode::Char('f') => Action::Follow,
            KeyCode::Char('e') => Action::OpenExport,
            KeyCode::Char('i') => Action::Inject(*key),
            KeyCode::Char('?') => Action::ToggleHelp,
            KeyCode::Char('p') => Action::QuickPort,
            KeyCode::Char('P') => Action::QuickProcess,
            KeyCode::Char('m') => Action::QuickGroup,
            KeyCode::Char('1') => Action::SwitchView(View::Traffic),
            KeyCode::Char('2') => Action::SwitchView(View::Ports),
            KeyCode::Char('3') => Action::SwitchView(View::Groups),
            KeyCode::Char('4') => Action::SwitchView(View::Stats),
            _ => return None,
        }),
    }
}
