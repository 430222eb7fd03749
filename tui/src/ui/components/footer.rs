//! The footer of the views: a running export's progress, else the latest
//! news (a quick filter applied, an export done), else the key hints, which
//! come from the keymap ([`crate::ui::keymap::hints`]) and are left out
//! whole, from the end, when the line is too short. The prompts draw their
//! own footer ([`crate::ui::components::prompt`]).

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::components::Component;
use crate::ui::export::ExportProgress;
use crate::ui::format::count;
use crate::ui::keymap::{self, Context};

/// What the footer shows.
#[derive(Clone, Copy, Debug)]
pub struct FooterProps<'a> {
    pub progress: Option<&'a ExportProgress>,
    pub status: Option<&'a str>,
}

/// The footer line of the views.
#[derive(Debug, Default)]
pub struct Footer;

impl Component for Footer {
    type Props<'a> = FooterProps<'a>;

    fn render(&self, frame: &mut Frame, area: Rect, props: FooterProps<'_>) {
        let line = if let Some(progress) = props.progress {
            let percent = (progress.done * 100)
                .checked_div(progress.total)
                .unwrap_or(100);
            let filled = (percent / 5).min(20);
            Line::styled(
                format!(
                    "exporting {}/{} ({percent}%) [{}{}] to {}",
                    count(progress.done as u64),
                    count(progress.total as u64),
                    "#".repeat(filled),
                    ".".repeat(20 - filled),
                    progress.path.display()
                ),
                Style::new().fg(Color::Yellow),
            )
        } else if let Some(status) = props.status {
            Line::styled(status.to_string(), Style::new().fg(Color::Green))
        } else {
            Line::styled(
                keymap::hint_line(Context::Normal, "  ", usize::from(area.width)),
                Style::new().fg(Color::DarkGray),
            )
        };
        frame.render_widget(Paragraph::new(line), area);
    }
}
