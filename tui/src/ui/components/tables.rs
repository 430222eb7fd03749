//! The Ports and Groups views: tables of plain rows ([`crate::ui::data`]).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use crate::ui::app::{App, PortsOrigin};
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

fn optional(value: Option<u64>) -> String {
    value.map(count).unwrap_or_else(|| "-".into())
}

pub fn render_ports(frame: &mut Frame, area: Rect, app: &mut App) {
    let rows = app.port_rows();
    let range = window(app, area, rows.len());
    let title = match (&app.ports_origin, &app.port_table) {
        (_, _) if app.ports.is_some() => format!(" Ports: {} netlink sockets ", rows.len()),
        (PortsOrigin::Machine, Some(_)) => format!(
            " Ports: {} netlink sockets on this machine (sent / received: messages seen) ",
            rows.len()
        ),
        (PortsOrigin::Machine, None) => match &app.port_error {
            Some(why) => format!(" Ports: cannot list this machine's sockets ({why}) "),
            None => " Ports: reading this machine's sockets... ".to_string(),
        },
        (PortsOrigin::Remote(agent), Some(_)) => format!(
            " Ports: {} netlink sockets on the machine of {agent} (sent / received: messages seen) ",
            rows.len()
        ),
        (PortsOrigin::Traffic(from) | PortsOrigin::Remote(from), _) => format!(
            " Ports: {} netlink sockets implied by {from} (not this machine's) ",
            rows.len()
        ),
    };
    let note = app
        .port_table
        .as_ref()
        .and_then(|t| t.notes.first())
        .map(|n| format!(" note: {n} "));
    let wide = area.width >= 120;
    let table_rows = rows[range].iter().map(|r| {
        let mut cells = vec![
            r.protocol.clone(),
            if r.port == 0 {
                "kernel".into()
            } else {
                r.port.to_string()
            },
            if r.pid == 0 {
                "-".into()
            } else {
                r.pid.to_string()
            },
            r.comm.clone(),
            r.groups.clone(),
        ];
        if wide {
            cells.push(optional(r.rmem));
            cells.push(optional(r.drops));
        }
        cells.push(count(r.sent));
        cells.push(count(r.received));
        if wide {
            cells.push(r.last_seen.clone());
        }
        Row::new(cells)
    });
    let mut block = pane_block(title, true);
    if let Some(note) = note {
        block = block.title_bottom(note);
    }
    let (widths, names): (Vec<Constraint>, Vec<&'static str>) = if wide {
        (
            vec![
                Constraint::Length(14),
                Constraint::Length(11),
                Constraint::Length(8),
                Constraint::Length(16),
                Constraint::Fill(1),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(12),
            ],
            vec![
                "proto",
                "port",
                "pid",
                "comm",
                "groups",
                "rmem",
                "drops",
                "sent",
                "received",
                "last seen",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(7),
                Constraint::Length(14),
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(6),
            ],
            vec!["proto", "port", "pid", "comm", "groups", "sent", "recv"],
        )
    };
    let table = Table::new(table_rows, widths)
        .header(header(&names))
        .block(block);
    frame.render_widget(table, area);
}

pub fn render_groups(frame: &mut Frame, area: Rect, app: &mut App) {
    let rows = app.group_rows();
    let range = window(app, area, rows.len());
    let title = match &app.ports_origin {
        PortsOrigin::Machine if app.port_table.is_some() => format!(
            " Groups: {} multicast groups with subscribers on this machine or traffic ",
            rows.len()
        ),
        PortsOrigin::Machine => format!(
            " Groups: {} multicast groups with traffic (subscribers: reading sockets...) ",
            rows.len()
        ),
        PortsOrigin::Remote(agent) if app.port_table.is_some() => format!(
            " Groups: {} multicast groups with subscribers or traffic on the machine of {agent} ",
            rows.len()
        ),
        PortsOrigin::Traffic(from) | PortsOrigin::Remote(from) => format!(
            " Groups: {} multicast groups with traffic in {from} ",
            rows.len()
        ),
    };
    let wide = area.width >= 120;
    let table_rows = rows[range].iter().map(|r| {
        let last = if r.messages == 0 {
            "-".to_string()
        } else if !wide {
            r.last_summary.clone()
        } else if r.last_summary.is_empty() {
            format!("{} {}", r.last_seen, r.last_sender)
        } else {
            format!("{} {} {}", r.last_seen, r.last_sender, r.last_summary)
        };
        let members = r
            .members
            .map(|m| m.to_string())
            .unwrap_or_else(|| "?".into());
        let mut cells = vec![r.protocol.clone(), r.group.clone()];
        if wide {
            cells.push(r.number.to_string());
        }
        cells.push(members);
        cells.push(r.processes.clone());
        cells.push(count(r.messages));
        if wide {
            cells.push(count(r.bytes));
        }
        cells.push(last);
        Row::new(cells)
    });
    let (widths, names): (Vec<Constraint>, Vec<&'static str>) = if wide {
        (
            vec![
                Constraint::Length(14),
                Constraint::Length(16),
                Constraint::Length(4),
                Constraint::Length(4),
                Constraint::Fill(1),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Fill(2),
            ],
            vec![
                "proto",
                "group",
                "#",
                "subs",
                "processes",
                "messages",
                "bytes",
                "last message",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(8),
                Constraint::Length(12),
                Constraint::Length(4),
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Fill(1),
            ],
            vec![
                "proto",
                "group",
                "subs",
                "processes",
                "msgs",
                "last message",
            ],
        )
    };
    let table = Table::new(table_rows, widths)
        .header(header(&names))
        .block(pane_block(title, true));
    frame.render_widget(table, area);
}
