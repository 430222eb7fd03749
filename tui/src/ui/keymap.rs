//! The one keymap: every key binding of the dashboard, in one table
//! ([`KEYMAP`]). Key handling ([`action`]), the help overlay ([`help_rows`],
//! for the help component) and the footer's hints ([`hints`]) are all read
//! from it, so they cannot drift apart.
//!
//! A [`Binding`] is a line of the help: the keys as the help writes them,
//! what they do, the short hint the footer shows (if any), and each key with
//! the [`Action`] it sends. Keys are [`Input`]s, plain data made from terminal
//! events by the keys module. Where the keys go depends on the
//! [`Context`] (the [`Mode`]): the global bindings first, then the mode's own.
//! In the prompts and the inject dialog, a printable key bound to nothing is
//! typed in (the dialog's y / n question reads typed keys too).

use crate::ui::action::{Action, Mode, View};

/// A key, as the keymap reads it (no terminal library types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A printable character (shifted ones as they are: `G`, `P`, `?`).
    Char(char),
    /// A character with Control held, lower case: `Ctrl('c')`.
    Ctrl(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
    BackTab,
    Enter,
    Esc,
    Backspace,
    /// Any other key (function keys, Insert, ...).
    Other,
}

/// What the mouse did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mouse {
    WheelUp,
    WheelDown,
    Click,
}

/// One terminal event, as the keymap reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Key(Key),
    Mouse { kind: Mouse, column: u16, row: u16 },
}

/// What a binding reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Key(Key),
    /// The mouse; the action gets the pointer's position.
    Mouse(Mouse),
    /// Any key at all.
    AnyKey,
}

impl Trigger {
    fn matches(self, input: Input) -> bool {
        match (self, input) {
            (Trigger::Key(want), Input::Key(key)) => want == key,
            (Trigger::Mouse(want), Input::Mouse { kind, .. }) => want == kind,
            (Trigger::AnyKey, Input::Key(_)) => true,
            _ => false,
        }
    }
}

/// Where keys go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, before the mode's own bindings.
    Global,
    /// The views.
    Normal,
    /// The help overlay.
    Help,
    Filter,
    Export,
    Inject,
}

impl Context {
    /// The context of `mode`.
    pub fn of(mode: Mode) -> Context {
        match mode {
            Mode::Normal => Context::Normal,
            Mode::Help => Context::Help,
            Mode::Filter => Context::Filter,
            Mode::ExportPath => Context::Export,
            Mode::Inject => Context::Inject,
        }
    }

    /// What the help calls it, for contexts listed on one line.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global | Context::Normal => "",
            Context::Help => "this help",
            Context::Filter => "filter prompt",
            Context::Export => "export prompt",
            Context::Inject => "inject dialog",
        }
    }

    /// Printable keys bound to nothing are typed in.
    pub fn takes_text(self) -> bool {
        matches!(self, Context::Filter | Context::Export | Context::Inject)
    }

    /// What a key bound to nothing (and not typed in) does.
    fn fallback(self) -> Option<Action> {
        match self {
            Context::Inject => Some(Action::OtherKey),
            _ => None,
        }
    }
}

/// The footer's short form of a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    pub keys: &'static str,
    pub text: &'static str,
    /// Place in the footer, lowest first: what does not fit is left out
    /// from the end.
    pub rank: u8,
}

/// One line of the help, and the keys behind it.
#[derive(Debug)]
pub struct Binding {
    pub context: Context,
    /// The keys as the help writes them.
    pub keys: &'static str,
    /// What they do.
    pub help: &'static str,
    /// What the footer shows, if it shows it.
    pub hint: Option<Hint>,
    /// Each key and the action it sends.
    pub triggers: &'static [(Trigger, Action)],
}

const fn hint(keys: &'static str, text: &'static str, rank: u8) -> Option<Hint> {
    Some(Hint { keys, text, rank })
}

const fn key(key: Key, action: Action) -> (Trigger, Action) {
    (Trigger::Key(key), action)
}

const fn char(c: char, action: Action) -> (Trigger, Action) {
    (Trigger::Key(Key::Char(c)), action)
}

const NOWHERE: (u16, u16) = (0, 0);

/// Every binding. The help lists the global and normal ones a line each, in
/// this order, and each other context on a line of its own.
pub static KEYMAP: &[Binding] = &[
    Binding {
        context: Context::Normal,
        keys: "Up/Down, k/j",
        help: "move the selection (or scroll the focused pane)",
        hint: None,
        triggers: &[
            key(Key::Up, Action::Up),
            char('k', Action::Up),
            key(Key::Down, Action::Down),
            char('j', Action::Down),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "Left/Right, h/l",
        help: "collapse / expand the selected field (detail pane)",
        hint: None,
        triggers: &[
            key(Key::Left, Action::Left),
            char('h', Action::Left),
            key(Key::Right, Action::Right),
            char('l', Action::Right),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "PgUp/PgDn, g/G",
        help: "a page; first / last (G, End: follow the newest again)",
        hint: None,
        triggers: &[
            key(Key::PageUp, Action::PageUp),
            key(Key::PageDown, Action::PageDown),
            char('g', Action::Top),
            key(Key::Home, Action::Top),
            char('G', Action::Bottom),
            key(Key::End, Action::Bottom),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "Tab / Shift-Tab",
        help: "next / previous pane: list, detail, hex",
        hint: hint("Tab", "pane", 10),
        triggers: &[
            key(Key::Tab, Action::NextPane),
            key(Key::BackTab, Action::PrevPane),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "Enter",
        help: "open the detail pane; expand or collapse a field",
        hint: None,
        triggers: &[key(Key::Enter, Action::Toggle)],
    },
    Binding {
        context: Context::Normal,
        keys: "/",
        help: "edit the filter (Enter applies, Esc cancels)",
        hint: hint("/", "filter", 2),
        triggers: &[char('/', Action::OpenFilter)],
    },
    Binding {
        context: Context::Normal,
        keys: "Esc",
        help: "clear the filter; stop an export or a filter under way",
        hint: None,
        triggers: &[key(Key::Esc, Action::ClearFilter)],
    },
    Binding {
        context: Context::Normal,
        keys: "space",
        help: "pause / resume (messages wait while paused)",
        hint: hint("space", "pause", 3),
        triggers: &[char(' ', Action::TogglePause)],
    },
    Binding {
        context: Context::Normal,
        keys: "f",
        help: "follow the newest message on / off",
        hint: hint("f", "follow", 4),
        triggers: &[char('f', Action::Follow)],
    },
    Binding {
        context: Context::Normal,
        keys: "p / P / m",
        help: "quick filter: the selection's port / process / group",
        hint: hint("p/P/m", "quick filter", 8),
        triggers: &[
            char('p', Action::QuickPort),
            char('P', Action::QuickProcess),
            char('m', Action::QuickGroup),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "r",
        help: "go to a reply's request, or a request's first reply",
        hint: hint("r", "jump", 5),
        triggers: &[char('r', Action::Jump)],
    },
    Binding {
        context: Context::Normal,
        keys: "e",
        help: "export the filtered view (.pcapng, else JSON Lines)",
        hint: hint("e", "export", 6),
        triggers: &[char('e', Action::OpenExport)],
    },
    Binding {
        context: Context::Normal,
        keys: "i",
        help: "inject a message (`nlscope send` in a dialog)",
        hint: hint("i", "inject", 7),
        triggers: &[char('i', Action::OpenInject)],
    },
    Binding {
        context: Context::Normal,
        keys: "1 2 3 4 5",
        help: "views: Traffic, Ports, Groups, Stats, Transactions",
        hint: hint("1-5", "views", 11),
        triggers: &[
            char('1', Action::SwitchView(View::Traffic)),
            char('2', Action::SwitchView(View::Ports)),
            char('3', Action::SwitchView(View::Groups)),
            char('4', Action::SwitchView(View::Stats)),
            char('5', Action::SwitchView(View::Transactions)),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "mouse",
        help: "wheel scrolls, click selects and focuses",
        hint: None,
        triggers: &[
            (
                Trigger::Mouse(Mouse::WheelUp),
                Action::ScrollUp {
                    column: NOWHERE.0,
                    row: NOWHERE.1,
                },
            ),
            (
                Trigger::Mouse(Mouse::WheelDown),
                Action::ScrollDown {
                    column: NOWHERE.0,
                    row: NOWHERE.1,
                },
            ),
            (
                Trigger::Mouse(Mouse::Click),
                Action::Click {
                    column: NOWHERE.0,
                    row: NOWHERE.1,
                },
            ),
        ],
    },
    Binding {
        context: Context::Normal,
        keys: "?",
        help: "this help (any key closes it)",
        hint: hint("?", "help", 1),
        triggers: &[char('?', Action::ToggleHelp)],
    },
    Binding {
        context: Context::Normal,
        keys: "q",
        help: "quit",
        hint: hint("q", "quit", 0),
        triggers: &[char('q', Action::Quit)],
    },
    Binding {
        context: Context::Global,
        keys: "Ctrl-c",
        help: "quit, from anywhere (prompts and dialog too)",
        hint: None,
        triggers: &[key(Key::Ctrl('c'), Action::Quit)],
    },
    Binding {
        context: Context::Help,
        keys: "any key",
        help: "closes",
        hint: None,
        triggers: &[(Trigger::AnyKey, Action::ToggleHelp)],
    },
    Binding {
        context: Context::Filter,
        keys: "Enter",
        help: "apply",
        hint: hint("Enter", "apply", 0),
        triggers: &[key(Key::Enter, Action::Submit)],
    },
    Binding {
        context: Context::Filter,
        keys: "Esc",
        help: "cancel",
        hint: hint("Esc", "cancel", 1),
        triggers: &[key(Key::Esc, Action::Cancel)],
    },
    Binding {
        context: Context::Filter,
        keys: "Backspace",
        help: "erase",
        hint: None,
        triggers: &[key(Key::Backspace, Action::Backspace)],
    },
    Binding {
        context: Context::Export,
        keys: "Enter",
        help: "write",
        hint: hint("Enter", "write", 0),
        triggers: &[key(Key::Enter, Action::Submit)],
    },
    Binding {
        context: Context::Export,
        keys: "Esc",
        help: "cancel",
        hint: hint("Esc", "cancel", 1),
        triggers: &[key(Key::Esc, Action::Cancel)],
    },
    Binding {
        context: Context::Export,
        keys: "Backspace",
        help: "erase",
        hint: None,
        triggers: &[key(Key::Backspace, Action::Backspace)],
    },
    Binding {
        context: Context::Inject,
        keys: "Enter",
        help: "send",
        hint: hint("Enter", "send", 0),
        triggers: &[key(Key::Enter, Action::Submit)],
    },
    Binding {
        context: Context::Inject,
        keys: "Tab",
        help: "example",
        hint: hint("Tab", "example", 1),
        triggers: &[key(Key::Tab, Action::NextExample)],
    },
    Binding {
        context: Context::Inject,
        keys: "Esc",
        help: "close",
        hint: hint("Esc", "close", 2),
        triggers: &[key(Key::Esc, Action::Cancel)],
    },
    Binding {
        context: Context::Inject,
        keys: "Backspace",
        help: "erase",
        hint: None,
        triggers: &[key(Key::Backspace, Action::Backspace)],
    },
];

/// The bindings of `context`, in table order.
pub fn bindings(context: Context) -> impl Iterator<Item = &'static Binding> {
    KEYMAP.iter().filter(move |b| b.context == context)
}

/// The action for `input` in `mode`, if any: the global bindings, then the
/// mode's, then text input and the mode's fallback.
pub fn action(mode: Mode, input: Input) -> Option<Action> {
    let context = Context::of(mode);
    let bound = [Context::Global, context]
        .into_iter()
        .flat_map(bindings)
        .flat_map(|b| b.triggers.iter())
        .find(|(trigger, _)| trigger.matches(input))
        .map(|(_, action)| at_pointer(action, input));
    bound.or_else(|| match input {
        Input::Key(Key::Char(c)) if context.takes_text() => Some(Action::Input(c)),
        Input::Key(_) => context.fallback(),
        Input::Mouse { .. } => None,
    })
}

/// A mouse action at the pointer's position.
fn at_pointer(action: &Action, input: Input) -> Action {
    let Input::Mouse { column, row, .. } = input else {
        return action.clone();
    };
    match action {
        Action::ScrollUp { .. } => Action::ScrollUp { column, row },
        Action::ScrollDown { .. } => Action::ScrollDown { column, row },
        Action::Click { .. } => Action::Click { column, row },
        other => other.clone(),
    }
}

/// The footer's hints of `context`, in footer order.
pub fn hints(context: Context) -> Vec<Hint> {
    let mut hints: Vec<Hint> = bindings(context).filter_map(|b| b.hint).collect();
    hints.sort_by_key(|h| h.rank);
    hints
}

/// The hints of `context` as one line: `Enter send  Tab example  Esc close`.
/// Whole hints only: the ones that do not fit in `width` are left out.
pub fn hint_line(context: Context, separator: &str, width: usize) -> String {
    let mut line = String::new();
    for hint in hints(context) {
        let item = format!("{} {}", hint.keys, hint.text);
        let extra = if line.is_empty() { 0 } else { separator.len() };
        if line.chars().count() + extra + item.chars().count() > width {
            break;
        }
        if !line.is_empty() {
            line.push_str(separator);
        }
        line.push_str(&item);
    }
    line
}

/// The help's lines: (keys, what they do). The normal and global bindings a
/// line each, then one line per prompt or dialog with all of its keys.
pub fn help_rows() -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&'static str, String)> = KEYMAP
        .iter()
        .filter(|b| matches!(b.context, Context::Normal | Context::Global))
        .map(|b| (b.keys, b.help.to_string()))
        .collect();
    for context in [Context::Filter, Context::Export, Context::Inject] {
        let keys: Vec<String> = bindings(context)
            .map(|b| format!("{} {}", b.keys, b.help))
            .collect();
        rows.push((context.title(), keys.join("  ")));
    }
    rows
}

/// The help overlay's title: how to close it.
pub fn help_title() -> String {
    let close: Vec<String> = bindings(Context::Help)
        .map(|b| format!("{} {}", b.keys, b.help))
        .collect();
    format!(" keys ({}) ", close.join(", "))
}
