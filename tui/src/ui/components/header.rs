//! The header: the views, pause / follow, where the messages come from, and
//! the store's counters and filter. No state of its own: the App passes what
//! it shows ([`HeaderProps`]).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::store::Store;
use crate::ui::action::View;
use crate::ui::components::{cut_style, Component};
use crate::ui::format::count;

/// Where the messages come from, for the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceStatus {
    /// `live`, `file`, `none`.
    pub kind: String,
    /// Attach mode and hooks, or the file name.
    pub detail: String,
    /// Set when the source finished (`end of file`, an error).
    pub ended: Option<String>,
}

/// What the header shows.
#[derive(Clone, Copy)]
pub struct HeaderProps<'a> {
    pub view: View,
    pub paused: bool,
    /// Messages waiting while paused.
    pub pending: usize,
    pub follow: bool,
    pub source: &'a SourceStatus,
    pub store: &'a Store,
    /// What is under way over the whole capture (indexing a file), with a
    /// progress bar.
    pub progress: Option<&'a str>,
}

/// Narrower terminals name only the view shown (the others by their
/// number key), so that the pause and follow marks and a progress bar
/// still fit.
const WIDE_TABS_FROM: u16 = 100;

/// The header's two lines.
#[derive(Debug, Default)]
pub struct Header;

impl Component for Header {
    type Props<'a> = HeaderProps<'a>;

    fn render(&self, frame: &mut Frame, area: Rect, props: HeaderProps<'_>) {
        let mut tabs = vec![Span::styled(
            " nlscope ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        )];
        for (i, view) in View::ALL.iter().enumerate() {
            let label = if area.width >= WIDE_TABS_FROM || *view == props.view {
                format!(" {} {} ", i + 1, view.title())
            } else {
                format!(" {} ", i + 1)
            };
            tabs.push(if *view == props.view {
                Span::styled(
                    label,
                    Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                )
            } else {
                Span::raw(label)
            });
        }
        if props.paused {
            tabs.push(Span::styled(
                format!(" PAUSED ({} waiting) ", count(props.pending as u64)),
                Style::new().fg(Color::Black).bg(Color::Yellow),
            ));
        } else if props.follow {
            tabs.push(Span::styled(" FOLLOW ", Style::new().fg(Color::Green)));
        }
        if let Some(progress) = props.progress {
            tabs.push(Span::styled(
                format!(" {progress} "),
                Style::new().fg(Color::Cyan),
            ));
        }

        let store = props.store;
        let source = match &props.source.ended {
            Some(why) => format!("{} {} ({why})", props.source.kind, props.source.detail),
            None => format!("{} {}", props.source.kind, props.source.detail),
        };
        let dim = Style::new().fg(Color::DarkGray);
        let filter = &store.filter().source;
        let mut status = vec![
            Span::styled("src ", dim),
            Span::raw(source),
            Span::styled(" | ", dim),
            Span::raw(format!("{} msgs", count(store.ingested()))),
            Span::styled(" | ", dim),
            Span::raw(format!("{}/s", count(store.stats().rate()))),
            Span::styled(" | lost ", dim),
            Span::styled(
                count(store.lost()),
                if store.lost() > 0 {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new()
                },
            ),
            Span::styled(" | evicted ", dim),
            Span::raw(count(store.evicted())),
        ];
        // Cut messages are counted once there are some (a --snaplen cap, or a
        // file recorded with one); whole captures keep the line short.
        let cut = store.stats().cut;
        if cut > 0 {
            status.push(Span::styled(format!(" | {CUT_LABEL} "), dim));
            status.push(Span::styled(count(cut), cut_style()));
        }
        if !filter.is_empty() {
            status.push(Span::styled(" | filter ", dim));
            status.push(Span::styled(
                filter.clone(),
                Style::new().fg(Color::Magenta),
            ));
            status.push(Span::raw(format!(
                " ({} match)",
                count(store.matching_len() as u64)
            )));
        }
        frame.render_widget(
            Paragraph::new(vec![Line::from(tabs), Line::from(status)]),
            area,
        );
    }
}
