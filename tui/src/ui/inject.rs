//! The inject dialog (`i`): `nlscope send` inside the dashboard.
//!
//! The user types the arguments `nlscope send` takes (Tab cycles through
//! examples), Enter sends; a message that can change kernel state asks
//! y/n first. The dialog owns what was typed and where it is ([`Stage`]); it
//! does no I/O. To send, it asks the App ([`DialogDone::Send`]), which runs
//! [`send`] as a background task (it waits for replies); the outcome comes
//! back as [`crate::ui::Action::InjectDone`] and fills the dialog, drawn or
//! not. The message itself shows up in the traffic like any other.
//!
//! Where it sends is the App's configuration ([`Injection`]): from this
//! machine, through the agent the dashboard is attached to (the dialog
//! still parses and confirms here, and relays the arguments, with `--yes`
//! once confirmed; the agent checks them again and sends from its
//! machine), or nowhere, with the reason `i` shows (`--read-only`, an agent
//! that takes no sends).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::agent::remote::{RemoteSender, REPLY_SLACK};
use crate::inject::Plan;
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

/// What `i` says with `--read-only`.
pub const READ_ONLY: &str = "injection is disabled (--read-only)";

/// Where the dashboard's sends go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injection {
    /// From this machine (the live dashboard, a file).
    Local,
    /// Through the agent the dashboard is attached to, from the agent's machine.
    Agent(RemoteSender),
    /// Nowhere; why (what `i` shows).
    Off(String),
}

/// The dashboard's injection state.
#[derive(Debug)]
pub struct InjectState {
    pub injection: Injection,
    pub dialog: Option<InjectDialog>,
}

impl InjectState {
    pub fn new(injection: Injection) -> InjectState {
        InjectState {
            injection,
            dialog: None,
        }
    }
}

/// A message the dialog asks to send: its plan (checked here) and the
/// arguments that make it, which an agent is sent (and checks again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub plan: Plan,
    pub args: Vec<String>,
}

/// What the dialog asks of the App after an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogDone {
    /// Still open.
    Open,
    /// Esc: closed (what was typed is kept for next time).
    Close,
    /// Send this, and call [`InjectDialog::sending`].
    Send(Outgoing),
}

/// Where the dialog is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Typing arguments; the last error, if any.
    Editing { error: Option<String> },
    /// Waiting for y/n before a state-changing message.
    Confirm { outgoing: Outgoing, reason: String },
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
    planner: Planner,
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

/// How the dialog plans what it sends.
#[derive(Clone, Debug)]
pub enum Planner {
    /// Sent from here: spec requests built with these specs (a generic
    /// netlink family's id asked of this kernel).
    Here(std::sync::Arc<crate::ynl::Specs>),
    /// Sent by an agent, which builds spec requests itself: only whether
    /// they need confirming is checked here.
    ForAgent,
}

/// The arguments as `nlscope send` would take them (and whether they say
/// `--yes`), or one line saying why not.
pub fn parse_line(text: &str, planner: &Planner) -> Result<(Outgoing, bool), String> {
    let args = split_args(text)?;
    let parsed = crate::inject::parse_args(&args)?;
    let plan = match (planner, &parsed.family) {
        (Planner::Here(specs), _) => Plan::resolve(&parsed, specs)?,
        (Planner::ForAgent, Some(_)) => crate::inject::spec::plan_for_agent(&parsed),
        (Planner::ForAgent, None) => Plan::from_args(&parsed)?,
    };
    Ok((Outgoing { plan, args }, parsed.yes))
}

impl InjectDialog {
    pub fn new(planner: Planner) -> InjectDialog {
        InjectDialog {
            input: String::new(),
            stage: Stage::Editing { error: None },
            example: 0,
            planner,
        }
    }

    fn submit(&mut self) -> DialogDone {
        match parse_line(&self.input, &self.planner) {
            Err(error) => {
                self.stage = Stage::Editing { error: Some(error) };
                DialogDone::Open
            }
            Ok((outgoing, yes)) => match outgoing.plan.risk.clone() {
                Some(reason) if !yes => {
                    self.stage = Stage::Confirm { outgoing, reason };
                    DialogDone::Open
                }
                _ => DialogDone::Send(outgoing),
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
            Stage::Confirm { outgoing, .. } => match action {
                Action::Input('y' | 'Y') => {
                    // Confirmed here: the agent is told so, as the command line would be.
                    let mut confirmed = outgoing.clone();
                    confirmed.args.push("--yes".into());
                    return DialogDone::Send(confirmed);
                }
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
    /// A dialog that sends from here with the built-in specs.
    fn default() -> Self {
        InjectDialog::new(Planner::Here(crate::ynl::Specs::builtin()))
    }
}

/// Sends `outgoing` where `injection` says and waits for the replies
/// (blocking: the inject task runs it): whether it went well, and the
/// request and replies as text.
pub fn send(
    outgoing: &Outgoing,
    injection: &Injection,
    specs: &std::sync::Arc<crate::ynl::Specs>,
) -> (bool, String) {
    match injection {
        Injection::Local => {
            let report = crate::inject::send_collected(&outgoing.plan, specs);
            (report.error.is_none(), report.text())
        }
        Injection::Agent(sender) => {
            let through = format!("through the agent at {}\n", sender.address());
            match sender.send(&outgoing.args, outgoing.plan.wait + REPLY_SLACK) {
                Ok(reply) => (reply.ok, through + &reply.report().text()),
                Err(error) => (false, format!("{through}error: {error:#}\n")),
            }
        }
        Injection::Off(why) => (false, format!("error: {why}\n")),
    }
}

impl Component for InjectDialog {
    /// Where the send goes (named in the title when it is an agent).
    type Props<'a> = &'a Injection;

    /// Draws the dialog over `area`.
    fn render(&self, frame: &mut Frame, area: Rect, injection: &Injection) {
        render(self, frame, area, injection)
    }
}

fn render(dialog: &InjectDialog, frame: &mut Frame, area: Rect, injection: &Injection) {
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
                .title(match injection {
                    Injection::Agent(sender) => {
                        format!(" inject through the agent at {} ", sender.address())
                    }
                    _ => " inject ".to_string(),
                }),
        ),
        popup,
    );
}

#[cfg(test)]
mod tests;
