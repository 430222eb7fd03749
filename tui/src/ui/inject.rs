//! The inject dialog (`i`): `nlscope send` inside the dashboard.
//!
//! The user types the arguments `nlscope send` takes (Tab cycles through
//! examples), Enter sends; a message that can change kernel state asks
//! y/n first. The send runs on a thread of its own (it waits for replies), and
//! the request and the decoded replies fill the dialog when it is done; the
//! message itself shows up in the traffic like any other. With `--read-only`
//! the dialog does not open.

use std::sync::mpsc;

use clap::Parser;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::inject::{execute, outcome_error, Plan, SendArgs};
use crate::ui::app::{Action, App, Mode};
use crate::ui::components::centered;

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

impl Default for InjectState {
    fn default() -> Self {
        InjectState {
            enabled: !crate::inject::read_only(),
            dialog: None,
        }
    }
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
    pending: Option<mpsc::Receiver<(bool, String)>>,
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
            pending: None,
        }
    }

    fn submit(&mut self) {
        match parse_line(&self.input) {
            Err(error) => self.stage = Stage::Editing { error: Some(error) },
            Ok((plan, yes)) => match plan.risk.clone() {
                Some(reason) if !yes => self.stage = Stage::Confirm { plan, reason },
                _ => self.send(plan),
            },
        }
    }

    fn send(&mut self, plan: Plan) {
        let (sender, receiver) = mpsc::channel();
        self.pending = Some(receiver);
        self.stage = Stage::Sending;
        std::thread::Builder::new()
            .name("nlscope-inject".into())
            .spawn(move || {
                let mut shown = Vec::new();
                let result = execute(&plan, &mut shown);
                let mut output = String::from_utf8_lossy(&shown).into_owned();
                let ok = match result {
                    Ok(outcome) => match outcome_error(&plan, &outcome) {
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
                let _ = sender.send((ok, output));
            })
            .expect("spawning the inject thread");
    }

    /// Picks up the result of a send that has finished.
    pub fn poll(&mut self) {
        if let Some(receiver) = &self.pending {
            match receiver.try_recv() {
                Ok((ok, output)) => {
                    self.stage = Stage::Done { ok, output };
                    self.pending = None;
                }
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.stage = Stage::Done {
                        ok: false,
                        output: "the send thread ended without a result".into(),
                    };
                    self.pending = None;
                }
            }
        }
    }

    /// Blocks until a running send is done (for tests and scripts).
    pub fn wait(&mut self) {
        if let Some(receiver) = self.pending.take() {
            let (ok, output) = receiver
                .recv()
                .unwrap_or((false, "the send thread ended without a result".into()));
            self.stage = Stage::Done { ok, output };
        }
    }

    /// Handles one key; false when the dialog closes.
    pub fn key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match &self.stage {
            Stage::Editing { .. } => match key.code {
                KeyCode::Esc => return false,
                KeyCode::Enter => self.submit(),
                KeyCode::Backspace => {
                    self.input.pop();
                }
                KeyCode::Tab => {
                    self.input = EXAMPLES[self.example % EXAMPLES.len()].to_string();
                    self.example += 1;
                    self.stage = Stage::Editing { error: None };
                }
                KeyCode::Char(c) if !ctrl => self.input.push(c),
                _ => {}
            },
            Stage::Confirm { plan, .. } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    let plan = plan.clone();
                    self.send(plan);
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.stage = Stage::Editing {
                        error: Some("not sent".into()),
                    }
                }
                _ => {}
            },
            Stage::Sending => {
                if key.code == KeyCode::Esc {
                    return false;
                }
            }
            Stage::Done { .. } => match key.code {
                KeyCode::Esc => return false,
                _ => self.stage = Stage::Editing { error: None },
            },
        }
        true
    }
}

impl Default for InjectDialog {
    fn default() -> Self {
        InjectDialog::new()
    }
}

impl App {
    /// `i`: opens the dialog, unless injection is off.
    pub fn open_inject(&mut self) {
        if !self.inject.enabled {
            self.status = Some("injection is disabled (--read-only)".into());
            return;
        }
        self.inject.dialog.get_or_insert_with(InjectDialog::new);
        self.mode = Mode::Inject;
    }

    /// Keys while the dialog is open.
    pub fn update_inject(&mut self, action: Action) {
        match action {
            Action::Quit => self.should_quit = true,
            Action::Inject(key) => {
                let open = match self.inject.dialog.as_mut() {
                    Some(dialog) => dialog.key(&key),
                    None => false,
                };
                if !open {
                    self.mode = Mode::Normal;
                }
            }
            _ => {}
        }
    }
}

/// Draws the dialog over `area` when it is open.
pub fn render(frame: &mut Frame, area: Rect, app: &mut App) {
    if app.mode != Mode::Inject {
        return;
    }
    let Some(dialog) = app.inject.dialog.as_mut() else {
        return;
    };
    dialog.poll();
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
            "Enter send  Tab example  Esc close  (the arguments of `nlscope send`)",
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
