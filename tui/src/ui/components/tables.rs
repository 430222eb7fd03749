//! The Ports and Groups views: tables of plain rows ([`crate::ui::data`]).
//! Each table owns its rows (handed over by the App before a frame, from
//! [`crate::ui::sockets::Sockets`]), its title and its scroll position,
//! clamped whenever the rows or the area change.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use crate::ui::action::Action;
use crate::ui::components::{header_row, pane_block, scroll_delta, visible_rows, Component};
use crate::ui::data::{GroupRow, PortRow};
use crate::ui::format::count;

/// A scrolled table of `T` rows.
#[derive(Debug)]
pub struct TableView<T> {
    pub rows: Vec<T>,
    pub title: String,
    /// A note for the bottom border.
    pub note: Option<String>,
    /// First row shown.
    pub scroll: usize,
    /// Where it is drawn.
    pub area: Rect,
}

impl<T> Default for TableView<T> {
    fn default() -> Self {
        TableView {
            rows: Vec::new(),
            title: String::new(),
            note: None,
            scroll: 0,
            area: Rect::default(),
        }
    }
}

impl<T> TableView<T> {
    /// New rows and title.
    pub fn set(&mut self, rows: Vec<T>, title: String, note: Option<String>) {
        self.rows = rows;
        self.title = title;
        self.note = note;
        self.clamp();
    }

    /// Takes its area.
    pub fn fit(&mut self, area: Rect) {
        self.area = area;
        self.clamp();
    }

    fn visible(&self) -> usize {
        visible_rows(self.area, 1)
    }

    fn clamp(&mut self) {
        self.scroll = self
            .scroll
            .min(self.rows.len().saturating_sub(self.visible()));
    }

    /// Scrolling actions.
    pub fn handle(&mut self, action: &Action) {
        let delta = match (action, scroll_delta(action, self.visible())) {
            (_, Some(delta)) => delta,
            (Action::Top, _) => isize::MIN / 2,
            (Action::Bottom, _) => isize::MAX / 2,
            _ => return,
        };
        self.scroll = (self.scroll as isize).saturating_add(delta).max(0) as usize;
        self.clamp();
    }

    /// The rows in view.
    fn window(&self) -> &[T] {
        let start = self.scroll.min(self.rows.len());
        let end = (start + self.visible()).min(self.rows.len());
        &self.rows[start..end]
    }
}

fn optional(value: Option<u64>) -> String {
    value.map(count).unwrap_or_else(|| "-".into())
}

impl Component for TableView<PortRow> {
    type Props<'a> = ();

    fn render(&self, frame: &mut Frame, area: Rect, _: ()) {
        let wide = area.width >= 120;
        let table_rows = self.window().iter().map(|r| {
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
        let mut block = pane_block(self.title.as_str(), true);
        if let Some(note) = &self.note {
            block = block.title_bottom(note.as_str());
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
            .header(header_row(names))
            .block(block);
        frame.render_widget(table, area);
    }
}

impl Component for TableView<GroupRow> {
    type Props<'a> = ();

    fn render(&self, frame: &mut Frame, area: Rect, _: ()) {
        let wide = area.width >= 120;
        let table_rows = self.window().iter().map(|r| {
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
            .header(header_row(names))
            .block(pane_block(self.title.as_str(), true));
        frame.render_widget(table, area);
    }
}
