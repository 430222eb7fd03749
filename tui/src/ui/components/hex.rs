//! The hex pane: offsets, 16 bytes a row, ASCII; the bytes of the field under
//! the detail cursor are highlighted.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::ui::app::{App, Pane};
use crate::ui::components::{focused, pane_block};

pub fn render(frame: &mut Frame, area: Rect, app: &mut App) {
    app.areas.hex = area;
    let Some(event) = app.selected_event() else {
        frame.render_widget(pane_block(" Hex ", focused(app, Pane::Hex)), area);
        return;
    };
    let payload = &event.message.payload;
    let highlight = app.detail.highlighted().unwrap_or(0..0);
    let title = match event.message.cut_text() {
        Some(cut) => format!(" Hex {CUT_LABEL}: {cut} "),
        None => format!(" Hex {} bytes ", payload.len()),
    };
    let block = pane_block(title, focused(app, Pane::Hex));
    // 16 bytes a row when the pane is wide enough for them and their ASCII.
    let per_row: usize = if area.width >= 75 { 16 } else { 8 };
    let rows = payload.len().div_ceil(per_row);
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let mut scroll = (app.hex_scroll * 16 / per_row).min(rows.saturating_sub(visible));
    if !highlight.is_empty() {
        let (first, last) = (highlight.start / per_row, (highlight.end - 1) / per_row);
        if first < scroll || last >= scroll + visible {
            scroll = first.min(rows.saturating_sub(visible));
        }
    }
    let marked = Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    let lines: Vec<Line> = (scroll..rows.min(scroll + visible))
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
