//! The Ports and Groups views: tables of plain rows ([`crate::ui::data`]).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::components::pane_block;
use crate::ui::format::count;

fn header(cells: &[&'static str]) -> Row<'static> {
    Row::new(cells.to_vec()).style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
}

/// Clamps the scroll position to the rows and returns the visible window.
fn window(app: &mut App, area: Rect, len: usize) -> std::ops::Range<usize> {
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    app.table_scroll = app.table_scroll.min(len.saturating_sub(visible));
    app.areas.table = area;
    app.table_scroll..(app.table_scroll + visible).min(len)
}

pub fn render_ports(frame: &mut Frame, area: Rect, app: &mut App) {
    let rows = app.port_rows();
    let range = window(app, area, rows.len());
    let title = format!(
        " Ports: {} netlink sockets seen (sent / received messages) ",
        rows.len()
    );
    let table_rows = rows[range].iter().map(|r| {
        Row::new(vec![
            r.protocol.clone(),
            r.port.to_string(),
            if r.port == 0 {
                "-".into()
            } else {
                r.pid.to_string()
            },
            r.comm.clone(),
            r.groups.clone(),
            count(r.sent),
            count(r.received),
            r.last_seen.clone(),
        ])
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(10),
            Constraint::Length(11),
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(12),
        ],
    )
    .header(header(&[
        "proto",
        "port",
        "pid",
        "comm",
        "groups",
        "sent",
        "received",
        "last seen",
    ]))
    .block(pane_block(title, true));
    frame.render_widget(table, area);
}

pub fn render_groups(frame: &mut Frame, area: Rect, app: &mut App) {
    let rows = app.group_rows();
    let range = window(app, area, rows.len());
    let title = format!(" Groups: {} multicast groups with traffic ", rows.len());
    let table_rows = rows[range].iter().map(|r| {
        Row::new(vec![
            r.protocol.clone(),
            r.group.clone(),
            r.number.to_string(),
            r.members
                .map(|m| m.to_string())
                .unwrap_or_else(|| "?".into()),
            count(r.messages),
            count(r.bytes),
            r.last_sender.clone(),
            r.last_seen.clone(),
        ])
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(10),
            Constraint::Length(14),
            Constraint::Length(4),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Min(10),
            Constraint::Length(12),
        ],
    )
    .header(header(&[
        "proto",
        "group",
        "#",
        "members",
        "messages",
        "bytes",
        "last sender",
        "last seen",
    ]))
    .block(pane_block(title, true));
    frame.render_widget(table, area);
}
