//! The hex pane: offsets, 16 bytes a row (8 on narrow panes), ASCII; the
//! bytes of the field under the detail cursor are highlighted. Owns its
//! scroll position and the window it shows, worked out in [`HexPane::fit`]
//! from its area, the payload's length and the highlight.

use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::store::Stored;
use crate::ui::action::Action;
use crate::ui::components::{pane_block, scroll_delta, visible_rows, Component};

/// The hex pane's state.
#[derive(Debug, Default)]
pub struct HexPane {
    /// Where the user scrolled to, in rows of 16 bytes.
    pub scroll: usize,
    /// First row shown, in rows of [`HexPane::per_row`] bytes.
    pub first_row: usize,
    /// Where it is drawn.
    pub area: Rect,
    /// Bytes of the payload shown.
    len: usize,
}

/// What the hex pane draws.
#[derive(Clone, Copy, Debug)]
pub struct HexProps<'a> {
    pub event: Option<&'a Stored>,
    /// Its captured bytes (read back by the App when it was selected).
    pub payload: &'a [u8],
    /// Bytes to highlight (the detail cursor's field).
    pub highlight: &'a Range<usize>,
    pub focused: bool,
}

impl HexPane {
    /// Bytes a row: 16 when the pane is wide enough for them and their ASCII.
    pub fn per_row(&self) -> usize {
        if self.area.width >= 75 {
            16
        } else {
            8
        }
    }

    /// Back to the top (another message is shown).
    pub fn reset(&mut self) {
        self.scroll = 0;
    }

    /// Scrolls to the row of byte `offset` (the detail cursor's field).
    pub fn show_byte(&mut self, offset: usize) {
        self.scroll = offset / 16;
    }

    /// The actions of the focused hex pane.
    pub fn handle(&mut self, action: &Action) {
        let delta = match (action, scroll_delta(action, visible_rows(self.area, 1))) {
            (_, Some(delta)) => delta,
            (Action::Top, _) => isize::MIN / 2,
            (Action::Bottom, _) => isize::MAX / 2,
            _ => return,
        };
        let rows = self.len.div_ceil(16);
        self.scroll = (self.scroll as isize)
            .saturating_add(delta)
            .clamp(0, rows.saturating_sub(1) as isize) as usize;
    }

    /// Takes its area and the payload's length, and picks the rows to show:
    /// where the user scrolled, moved to keep the highlight in view.
    pub fn fit(&mut self, area: Rect, len: usize, highlight: &Range<usize>) {
        self.area = area;
        self.len = len;
        let per_row = self.per_row();
        let rows = len.div_ceil(per_row);
        let visible = visible_rows(area, 0);
        let mut first = (self.scroll * 16 / per_row).min(rows.saturating_sub(visible));
        if !highlight.is_empty() {
            let (start, last) = (highlight.start / per_row, (highlight.end - 1) / per_row);
            if start < first || last >= first + visible {
                first = start.min(rows.saturating_sub(visible));
            }
        }
        self.first_row = first;
    }
}

impl Component for HexPane {
    type Props<'a> = HexProps<'a>;

    fn render(&self, frame: &mut Frame, area: Rect, props: HexProps<'_>) {
        let Some(event) = props.event else {
            frame.render_widget(pane_block(" Hex ", props.focused), area);
            return;
        };
        let payload = props.payload;
        let highlight = props.highlight;
        let title = match event.message.cut_text() {
            Some(cut) => format!(" Hex {CUT_LABEL}: {cut} "),
            None => format!(" Hex {} bytes ", payload.len()),
        };
        let block = pane_block(title, props.focused);
        let per_row = self.per_row();
        let rows = payload.len().div_ceil(per_row);
        let visible = visible_rows(area, 0);
        let marked = Style::new()
            .fg(Color::Black)
            .bg(Color::Yellow)
            .add_modifier(Modifier::BOLD);
        let lines: Vec<Line> = (self.first_row..rows.min(self.first_row + visible))
            .map(|row| {
                let start = row * per_row;
                let chunk = &payload[start..(start + per_row).min(payload.len())];
                let mut spans = vec![Span::styled(
                    format!("{start:04x}  "),
                    Style::new().fg(Color::DarkGray),
                )];
                for i in 0..per_row {
                    let text = match chunk.get(i) {
                        Some(b) => format!("{b:02x}"),
                        None => "  ".into(),
                    };
                    let style = if highlight.contains(&(start + i)) {
                        marked
                    } else {
                        Style::new()
                    };
                    spans.push(Span::styled(text, style));
                    spans.push(Span::raw(if i == 7 && per_row == 16 { "  " } else { " " }));
                }
                spans.push(Span::raw(" "));
                for (i, b) in chunk.iter().enumerate() {
                    let c = if b.is_ascii_graphic() || *b == b' ' {
                        char::from(*b)
                    } else {
                        '.'
                    };
                    let style = if highlight.contains(&(start + i)) {
                        marked
                    } else {
                        Style::new().fg(Color::Green)
                    };
                    spans.push(Span::styled(c.to_string(), style));
                }
                Line::from(spans)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}
