//! The inject dialog (`i`): `nlscope send` inside the dashboard.
//!
//! The user types the arguments `nlscope send` takes (Tab cycles through
//! examples), Enter sends; a message that can change kernel state asks
//! y/n first. The dialog owns what was typed and where it is ([`Stage`]); it
//! does no I/O. To send, it asks the App ([`DialogDone::Send`]), which runs
//! [`send`] as a background task (it waits for replies); the outcome comes
//! back as [`crate::ui::Action::InjectDone`] and fills the dialog, drawn or
//! not. The message itself shows up in the traffic like any other. With
//! `--read-only` (the App's configuration) the dialog does not open.

use clap::Parser;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::inject::{execute, outcome_error, Plan, SendArgs};
use crate::ui::action::Action;
use crate::ui::components::{centered, Component};
use crate::ui::keymap::{self, Context};

/// Examples Tab cycles through.
pub const EXAMPLES: &[&str] = &[
    "--template hello",
    "--template echo --text ping",
    "--template stats",
    "--template unicast:4243 --text hi",
    "--template multicast:1 --text hi",
    "--template getlink",
    "--template genl-family:nlctrl",
    "--protocol usersock --to port:4243 --text hi",
];

/// The dashboard's injection state.
#[derive(Debug)]
pub struct InjectState {
    /// False with `--read-only`: `i` does nothing.
    pub enabled: bool,
    pub dialog: Option<InjectDialog>,
}

impl InjectState {
    pub fn new(enabled: bool) -> InjectState {
        InjectState {
            enabled,
            dialog: None,
        }
    }
}

/// What the dialog asks of the App after an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogDone {
    /// Still open.
    Open,
    /// Esc: closed (what was typed is kept for next time).
    Close,
    /// Send this, and call [`InjectDialog::sending`].
    Send(Plan),
}

/// Where the dialog is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Typing arguments; the last error, if any.
    Editing { error: Option<String> },
    /// Waiting for y/n before a state-changing message.
    Confirm { plan: Plan, reason: String },
    /// Sent; waiting for the replies.
    Sending,
    /// What happened: the request, the replies, and whether it went well.
    Done { ok: bool, output: String },
}

#[derive(Debug)]
pub struct InjectDialog {
    pub input: String,
    pub stage: Stage,
    example: usize,
}

#[derive(Parser)]
#[command(name = "send", no_binary_name = false)]
struct SendLine {
    #[command(flatten)]
    args: SendArgs,
}

/// Splits `text` into arguments: whitespace separates, "..." and '...' quote.
pub fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The arguments as `nlscope send` would take them, or one line saying why not.
pub fn parse_line(text: &str) -> Result<(Plan, bool), String> {
    let words = split_args(text)?;
    let line = SendLine::try_parse_from(std::iter::once("send".to_string()).chain(words)).map_err(
        |error| {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        },
    )?;
    let plan = Plan::from_args(&line.args)?;
    Ok((plan, line.args.yes))
}

impl InjectDialog {
    pub fn new() -> InjectDialog {
        InjectDialog {
            input: String::new(),
            stage: Stage::Editing { error: None },
            example: 0,
        }
    }

    fn submit(&mut self) -> DialogDone {
        match parse_line(&self.input) {
            Err(error) => {
                self.stage = Stage::Editing { error: Some(error) };
                DialogDone::Open
            }
            Ok((plan, yes)) => match plan.risk.clone() {
                Some(reason) if !yes => {
                    self.stage = Stage::Confirm { plan, reason };
                    DialogDone::Open
                }
                _ => DialogDone::Send(plan),
            },
        }
    }

    /// The send was started.
    pub fn sending(&mut self) {
        self.stage = Stage::Sending;
    }

    /// The send is done (or could not start).
    pub fn finished(&mut self, ok: bool, output: String) {
        self.stage = Stage::Done { ok, output };
    }

    /// Handles one action of the dialog's keys.
    pub fn handle(&mut self, action: &Action) -> DialogDone {
        match &self.stage {
            Stage::Editing { .. } => match action {
                Action::Cancel => return DialogDone::Close,
                Action::Submit => return self.submit(),
                Action::Backspace => {
                    self.input.pop();
                }
                Action::NextExample => {
                    self.input = EXAMPLES[self.example % EXAMPLES.len()].to_string();
                    self.example += 1;
                    self.stage = Stage::Editing { error: None };
                }
                Action::Input(c) => self.input.push(*c),
                _ => {}
            },
            Stage::Confirm { plan, .. } => match action {
                Action::Input('y' | 'Y') => return DialogDone::Send(plan.clone()),
                Action::Input('n' | 'N') | Action::Cancel => {
                    self.stage = Stage::Editing {
                        error: Some("not sent".into()),
                    }
                }
                _ => {}
            },
            Stage::Sending => {
                if *action == Action::Cancel {
                    return DialogDone::Close;
                }
            }
            Stage::Done { .. } => match action {
                Action::Cancel => return DialogDone::Close,
                _ => self.stage = Stage::Editing { error: None },
            },
        }
        DialogDone::Open
    }
}

impl Default for InjectDialog {
    fn default() -> Self {
        InjectDialog::new()
    }
}

/// Sends `plan` and waits for the replies (blocking: the inject task runs
/// it): whether it went well, and the request and replies as text.
pub fn send(plan: &Plan, specs: &std::sync::Arc<crate::ynl::Specs>) -> (bool, String) {
    let mut shown = Vec::new();
    let result = execute(plan, specs, &mut shown);
    let mut output = String::from_utf8_lossy(&shown).into_owned();
    let ok = match result {
        Ok(outcome) => match outcome_error(plan, &outcome) {
            Some(error) => {
                output.push_str(&format!("error: {error}\n"));
                false
            }
            None => true,
        },
        Err(error) => {
            output.push_str(&format!("error: {error:#}\n"));
            false
        }
    };
    (ok, output)
}

impl Component for InjectDialog {
    type Props<'a> = ();

    /// Draws the dialog over `area`.
    fn render(&self, frame: &mut Frame, area: Rect, _: ()) {
        render(self, frame, area)
    }
}

fn render(dialog: &InjectDialog, frame: &mut Frame, area: Rect) {
    let popup = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2).min(30),
    );
    let dim = Style::new().fg(Color::DarkGray);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("nlscope send ", Style::new().fg(Color::Magenta)),
            Span::raw(dialog.input.clone()),
            Span::styled("_", Style::new().add_modifier(Modifier::SLOW_BLINK)),
        ]),
        Line::styled(
            format!(
                "{}  (the arguments of `nlscope send`)",
                keymap::hint_line(Context::Inject, "  ", usize::MAX)
            ),
            dim,
        ),
        Line::raw(""),
    ];
    match &dialog.stage {
        Stage::Editing { error: Some(error) } => {
            lines.push(Line::styled(error.clone(), Style::new().fg(Color::Red)))
        }
        Stage::Editing { error: None } => lines.push(Line::styled(
            "--to kernel|port:N  --group G  --protocol P  --type T  --flags F  --seq N  --text S | --hex H | --template T  --port N  --wait MS",
            dim,
        )),
        Stage::Confirm { reason, .. } => {
            lines.push(Line::styled(
                format!("{reason}."),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
            lines.push(Line::styled(
                "Send it? y / n",
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
        }
        Stage::Sending => lines.push(Line::styled(
            "sending, waiting for replies…",
            Style::new().fg(Color::Cyan),
        )),
        Stage::Done { ok, output } => {
            let (text, color) = if *ok {
                ("done (any key: edit again, Esc: close)", Color::Green)
            } else {
                ("failed (any key: edit again, Esc: close)", Color::Red)
            };
            lines.push(Line::styled(text, Style::new().fg(color)));
            let room = usize::from(popup.height.saturating_sub(2)).saturating_sub(lines.len());
            let all: Vec<&str> = output.lines().collect();
            // The outcome is at the end: keep the last lines that fit.
            for line in &all[all.len().saturating_sub(room)..] {
                let style = if line.starts_with("error:") || line.trim_start().starts_with("error:") {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new()
                };
                lines.push(Line::styled(line.to_string(), style));
            }
        }
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(Style::new().fg(Color::Magenta))
                .title(" inject "),
        ),
        popup,
    );
}

#[cfg(test)]
mod tests;
