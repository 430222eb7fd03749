//! From terminal events to [`Action`]s: the one place crossterm's event types
//! are read. An event becomes a plain [`Input`] here, and the keymap
//! ([`crate::ui::keymap`]) says what it does.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::ui::action::{Action, Mode};
use crate::ui::keymap::{self, Input, Key, Mouse};

/// The action for a terminal event in `mode`, if any. Resizes are not
/// actions of the keymap: the event loop sends [`Action::Resize`] itself.
pub fn action_for(mode: Mode, event: &Event) -> Option<Action> {
    keymap::action(mode, input(event)?)
}

/// The keymap's reading of a terminal event (key releases and other mouse
/// events are none).
pub fn input(event: &Event) -> Option<Input> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Input::Key(self::key(key))),
        Event::Mouse(mouse) => {
            let kind = match mouse.kind {
                MouseEventKind::ScrollUp => Mouse::WheelUp,
                MouseEventKind::ScrollDown => Mouse::WheelDown,
                MouseEventKind::Down(MouseButton::Left) => Mouse::Click,
                _ => return None,
            };
            Some(Input::Mouse {
                kind,
                column: mouse.column,
                row: mouse.row,
            })
        }
        _ => None,
    }
}

/// A key as the keymap reads it.
pub fn key(key: &KeyEvent) -> Key {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => Key::Other,
    }
}
