//! The detail pane: the selected message's field tree, collapsible.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::app::{App, Pane};
use crate::ui::components::{focused, pane_block};

pub fn render(frame: &mut Frame, area: Rect, app: &mut App) {
    app.areas.detail = area;
    let is_focused = focused(app, Pane::Detail);
    let block = pane_block(" Detail (Enter expands) ", is_focused);
    let rows = app.detail.rows();
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "nothing selected",
                Style::new().fg(Color::DarkGray),
            ))
            .block(block),
            area,
        );
        return;
    }
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let cursor = app.detail.cursor.min(rows.len() - 1);
    let mut offset = app.areas.detail_offset;
    if cursor >= offset + visible {
        offset = cursor + 1 - visible;
    }
    if cursor < offset {
        offset = cursor;
    }
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, row)| {
            let marker = if row.field.children.is_empty() {
                "  "
            } else if row.collapsed {
                "+ "
            } else {
                "- "
            };
            let mut spans = vec![
                Span::raw("  ".repeat(row.depth)),
                Span::styled(marker, Style::new().fg(Color::DarkGray)),
                Span::styled(row.field.name.clone(), Style::new().fg(Color::Cyan)),
                Span::raw(": "),
                Span::raw(row.field.value.to_string()),
            ];
            if let Some(bytes) = &row.field.bytes {
                spans.push(Span::styled(
                    format!("  [{}..{}]", bytes.start, bytes.end),
                    Style::new().fg(Color::DarkGray),
                ));
            }
            let line = Line::from(spans);
            if i == cursor {
                let style = if is_focused {
                    Style::new().add_modifier(Modifier::REVERSED)
                } else {
                    Style::new().add_modifier(Modifier::BOLD)
                };
                line.style(style)
            } else {
                line
            }
        })
        .collect();
    drop(rows);
    app.areas.detail_offset = offset;
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
