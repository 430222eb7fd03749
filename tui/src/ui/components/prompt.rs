//! The two prompts of the footer: the filter (`/`), checked as it is typed,
//! and the export file name (`e`). Each owns its text; on Enter or Esc it
//! tells the App what to do ([`PromptDone`]), and it draws the footer while
//! it is open. Their key hints come from the keymap. The quick filters
//! (`p`, `P`, `m`) make their filter terms here too ([`quick_term`]).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::store::filter::{self, quote, FilterError};
use crate::store::{names, Stored};
use crate::ui::action::Action;
use crate::ui::components::Component;
use crate::ui::keymap::{self, Context};

/// What a prompt asks of the App after an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptDone {
    /// Still typing.
    Open,
    /// Enter: the text.
    Submit(String),
    /// Esc.
    Cancel,
}

/// Typing keys into `text`; Enter and Esc end it.
fn edit(text: &mut String, action: &Action) -> PromptDone {
    match action {
        Action::Input(c) => text.push(*c),
        Action::Backspace => {
            text.pop();
        }
        Action::Submit => return PromptDone::Submit(text.clone()),
        Action::Cancel => return PromptDone::Cancel,
        _ => {}
    }
    PromptDone::Open
}

fn cursor() -> Span<'static> {
    Span::styled("_", Style::new().add_modifier(Modifier::SLOW_BLINK))
}

/// The filter prompt.
#[derive(Debug, Default)]
pub struct FilterPrompt {
    pub input: String,
    /// Why the text typed so far does not parse.
    pub error: Option<FilterError>,
}

impl FilterPrompt {
    /// Opens on the filter in force.
    pub fn open(&mut self, current: &str) {
        self.input = current.to_string();
        self.validate();
    }

    /// Checks the text typed so far.
    pub fn validate(&mut self) -> bool {
        match filter::parse(&self.input) {
            Ok(_) => {
                self.error = None;
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    pub fn handle(&mut self, action: &Action) -> PromptDone {
        let done = edit(&mut self.input, action);
        if matches!(action, Action::Input(_) | Action::Backspace) {
            self.validate();
        }
        done
    }
}

impl Component for FilterPrompt {
    type Props<'a> = ();

    fn render(&self, frame: &mut Frame, area: Rect, _: ()) {
        let input = Line::from(vec![
            Span::styled("filter: ", Style::new().fg(Color::Magenta)),
            Span::raw(self.input.clone()),
            cursor(),
        ]);
        let below = match &self.error {
            Some(error) => Line::from(vec![
                Span::raw(" ".repeat(8 + error.column)),
                Span::styled(format!("^ {error}"), Style::new().fg(Color::Red)),
            ]),
            None => Line::styled(
                format!(
                    "{}  keys: proto type pid comm port group dir result, \"text\"",
                    keymap::hint_line(Context::Filter, "  ", usize::MAX)
                ),
                Style::new().fg(Color::DarkGray),
            ),
        };
        frame.render_widget(Paragraph::new(vec![input, below]), area);
    }
}

/// The filter term a quick filter adds for the selected `event`, or why
/// there is none.
pub fn quick_term(action: &Action, event: &Stored) -> Result<String, String> {
    let m = &event.message;
    match action {
        Action::QuickPort => {
            // The user socket's port: the sender's, unless that is the kernel.
            let port = match (m.src_port, m.dst_port) {
                (Some(src), _) if src != 0 => Some(src),
                (_, Some(dst)) => Some(dst),
                (src, None) => src,
            };
            let port = port.ok_or("the capture gives no port for the selected message")?;
            Ok(format!(
                "proto:{} port:{port}",
                names::protocol_name(m.protocol)
            ))
        }
        Action::QuickProcess => {
            if !m.process_known() {
                return Err("the capture names no process for the selected message".into());
            }
            Ok(format!("pid:{} comm:{}", m.pid, quote(&m.comm)))
        }
        _ => {
            if m.dst_group == 0 {
                return Err("the selected message went to no multicast group".into());
            }
            Ok(format!(
                "proto:{} group:{}",
                names::protocol_name(m.protocol),
                m.dst_group
            ))
        }
    }
}

/// The export prompt.
#[derive(Debug, Default)]
pub struct ExportPrompt {
    pub input: String,
}

impl ExportPrompt {
    /// Opens on the last name, or a fresh one.
    pub fn open(&mut self) {
        if self.input.is_empty() {
            self.input = default_export_name();
        }
    }

    pub fn handle(&mut self, action: &Action) -> PromptDone {
        edit(&mut self.input, action)
    }
}

impl Component for ExportPrompt {
    type Props<'a> = ();

    fn render(&self, frame: &mut Frame, area: Rect, _: ()) {
        let hints = keymap::hint_line(Context::Export, ", ", usize::MAX);
        let line = Line::from(vec![
            Span::styled("export filtered view to: ", Style::new().fg(Color::Magenta)),
            Span::raw(self.input.clone()),
            Span::styled(format!("_  ({hints})"), Style::new().fg(Color::DarkGray)),
        ]);
        frame.render_widget(Paragraph::new(line), area);
    }
}

fn default_export_name() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("nlscope-export-{seconds}.jsonl")
}
