//! The traffic list: one row per matching message, following the newest
//! until the user scrolls up. Only the visible window is built.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::store::names;
use crate::ui::app::{App, Pane};
use crate::ui::components::{cut_style, focused, pane_block};
use crate::ui::format;

pub fn render(frame: &mut Frame, area: Rect, app: &mut App) {
    app.areas.list = area;
    let total = app.store.matching_len();
    let filter = &app.store.filter().source;
    let title = format!(
        " Traffic {}/{}{} ",
        format::count(total as u64),
        format::count(app.store.len() as u64),
        if filter.is_empty() {
            String::new()
        } else {
            format!(" filter: {filter}")
        }
    );
    let block = pane_block(title, focused(app, Pane::List));
    if total == 0 {
        let text = if app.store.is_empty() {
            "no messages yet"
        } else {
            "no message matches the filter (Esc clears it)"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, Style::new().fg(Color::DarkGray))).block(block),
            area,
        );
        return;
    }
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let selected = app.selected_index().unwrap_or(total - 1);
    let mut offset = app.areas.list_offset.min(total.saturating_sub(1));
    if app.follow || selected >= offset + visible {
        offset = (selected + 1).saturating_sub(visible);
    }
    if selected < offset {
        offset = selected;
    }
    app.areas.list_offset = offset;

    // The wide layout needs room left for the summary.
    let wide = area.width >= 140;
    let rows: Vec<Row> = (offset..(offset + visible).min(total))
        .filter_map(|i| app.store.matching_at(i))
        .map(|event| {
            let m = &event.message;
            let result = format::result(event);
            let style = if event.is_error() {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            };
            let mut cells = vec![
                Cell::from(format::clock(m.ts_wall_ns)),
                Cell::from(m.direction().short()),
                Cell::from(names::protocol_name(m.protocol)),
            ];
            if wide {
                cells.push(Cell::from(format::process(m)));
                cells.push(Cell::from(format!(
                    "{}->{}",
                    format::endpoint(m.src_port),
                    format::destination(m)
                )));
                cells.push(Cell::from(names::group_label(m.protocol, m.dst_group)));
            } else {
                cells.push(Cell::from(format!(
                    "{}:{}->{}",
                    if m.process_known() { &m.comm } else { "?" },
                    format::endpoint(m.src_port),
                    format::destination(m)
                )));
            }
            cells.push(Cell::from(format::kind(event)));
            if wide {
                cells.push(Cell::from(m.len.to_string()));
            }
            cells.push(Cell::from(result));
            // A cut message is marked where the eye reads the row, at any
            // width: before its summary.
            cells.push(if m.is_truncated() {
                Cell::from(Line::from(vec![
                    Span::styled(format!("{CUT_LABEL} "), cut_style()),
                    Span::raw(event.summary.clone()),
                ]))
            } else {
                Cell::from(event.summary.clone())
            });
            Row::new(cells).style(style)
        })
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "time", "dir", "proto", "process", "src->dst", "group", "type", "len", "result",
                "summary",
            ],
            vec![
                Constraint::Length(12),
                Constraint::Length(3),
                Constraint::Length(14),
                Constraint::Length(18),
                Constraint::Length(16),
                Constraint::Length(12),
                Constraint::Length(14),
                Constraint::Length(5),
                Constraint::Length(12),
                Constraint::Fill(1),
            ],
        )
    } else {
        (
            vec![
                "time",
                "dir",
                "proto",
                "who:src->dst",
                "type",
                "result",
                "summary",
            ],
            vec![
                Constraint::Length(12),
                Constraint::Length(3),
                Constraint::Length(8),
                Constraint::Length(16),
                Constraint::Length(12),
                Constraint::Length(6),
                Constraint::Fill(1),
            ],
        )
    };
    let table = Table::new(rows, widths)
        .header(
            Row::new(header)
                .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)),
        )
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .block(block);
    let mut state = TableState::default().with_selected(Some(selected - offset));
    frame.render_stateful_widget(table, area, &mut state);
}
