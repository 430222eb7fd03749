//! The traffic list: one row per matching message, following the newest
//! until the user scrolls up. Owns the selection, the follow flag and the
//! scroll window; the store is read, never changed.
//!
//! Before a frame ([`TrafficList::prepare`]) it builds the text of the rows
//! in view, so drawing only lays it out.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::store::{names, Store, Stored};
use crate::ui::action::Action;
use crate::ui::components::{
    cut_style, header_row, pane_block, scroll_delta, visible_rows, Component,
};
use crate::ui::format;

/// One column before the summary: its header and width.
#[derive(Clone, Copy, Debug)]
struct Column {
    name: &'static str,
    width: u16,
}

const fn column(name: &'static str, width: u16) -> Column {
    Column { name, width }
}

/// Columns of the wide layout (from [`WIDE_FROM`] columns).
const WIDE: [Column; 9] = [
    column("time", 12),
    column("dir", 3),
    column("proto", 14),
    column("process", 18),
    column("src->dst", 16),
    column("group", 12),
    column("type", 14),
    column("len", 5),
    column("result", 12),
];
/// Columns of the narrow layout: the endpoints in one.
const NARROW: [Column; 6] = [
    column("time", 12),
    column("dir", 3),
    column("proto", 8),
    column("who:src->dst", 16),
    column("type", 12),
    column("result", 6),
];
/// The wide layout needs room left for the summary.
const WIDE_FROM: u16 = 140;

/// The text of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ListRow {
    /// One text per column.
    cells: Vec<String>,
    summary: String,
    cut: bool,
    error: bool,
}

/// What the next frame draws, made in [`TrafficList::prepare`].
#[derive(Debug, Default)]
struct Prepared {
    title: String,
    /// Shown instead of rows when nothing matches.
    empty: Option<&'static str>,
    wide: bool,
    /// Widths of the columns before the summary.
    widths: Vec<u16>,
    /// The rows in view, by sequence number.
    rows: Vec<(u64, ListRow)>,
    /// Index of the selected row among them.
    highlight: Option<usize>,
}

/// The traffic list's state.
#[derive(Debug)]
pub struct TrafficList {
    /// Sequence number of the selected message.
    pub selected: Option<u64>,
    /// Whether the selection follows the newest message.
    pub follow: bool,
    /// First matching index shown.
    pub offset: usize,
    /// Where it is drawn.
    pub area: Rect,
    prepared: Prepared,
}

impl Default for TrafficList {
    fn default() -> Self {
        TrafficList {
            selected: None,
            follow: true,
            offset: 0,
            area: Rect::default(),
            prepared: Prepared::default(),
        }
    }
}

impl TrafficList {
    /// Index of the selection among the matches.
    pub fn selected_index(&self, store: &Store) -> Option<usize> {
        let len = store.matching_len();
        if len == 0 {
            return None;
        }
        let seq = self.selected?;
        Some(match store.matching_position(seq) {
            Ok(i) => i,
            Err(i) => i.min(len - 1),
        })
    }

    pub fn selected_event<'a>(&self, store: &'a Store) -> Option<&'a Stored> {
        store.matching_at(self.selected_index(store)?)
    }

    fn select_index(&mut self, store: &Store, index: usize) {
        self.selected = store.matching_at(index).map(|e| e.seq).or(self.selected);
    }

    /// Keeps the selection valid, and on the newest message when following
    /// (after new messages, evictions, another filter).
    pub fn sync(&mut self, store: &Store) {
        let len = store.matching_len();
        if len == 0 {
            return;
        }
        if self.follow || self.selected.is_none() {
            self.select_index(store, len - 1);
        } else if let Some(i) = self.selected_index(store) {
            self.select_index(store, i);
        }
    }

    fn move_selection(&mut self, store: &Store, delta: isize) {
        let len = store.matching_len();
        if len == 0 {
            return;
        }
        if delta < 0 {
            self.follow = false;
        }
        let current = self.selected_index(store).unwrap_or(len - 1) as isize;
        let target = (current + delta).clamp(0, len as isize - 1) as usize;
        self.follow = target == len - 1 && delta > 0 && self.follow;
        self.select_index(store, target);
    }

    /// The actions of the focused list.
    pub fn handle(&mut self, action: &Action, store: &Store) {
        if let Some(delta) = scroll_delta(action, visible_rows(self.area, 1)) {
            self.move_selection(store, delta);
        }
        match action {
            Action::Top => {
                self.follow = false;
                self.select_index(store, 0);
            }
            Action::Bottom => {
                self.follow = true;
                self.sync(store);
            }
            Action::Follow => {
                self.follow = !self.follow;
                if self.follow {
                    self.sync(store);
                }
            }
            _ => {}
        }
        self.fit(self.area, store);
    }

    /// A click on screen row `row`: selects the message shown there.
    pub fn click(&mut self, row: u16, store: &Store) {
        // Border and header row come first.
        let first = self.area.y + 2;
        if row >= first {
            let index = self.offset + usize::from(row - first);
            if index < store.matching_len() {
                self.follow = false;
                self.select_index(store, index);
            }
        }
        self.fit(self.area, store);
    }

    /// Takes its area and picks the window: the first rows, or the ones up
    /// to the selection when it is further down (the newest when following).
    pub fn fit(&mut self, area: Rect, store: &Store) {
        self.area = area;
        let total = store.matching_len();
        if total == 0 {
            self.offset = 0;
            return;
        }
        let selected = self.selected_index(store).unwrap_or(total - 1);
        self.offset = (selected + 1).saturating_sub(visible_rows(area, 1));
    }

    /// Builds the rows in view and sizes the columns, for the next frame.
    /// Rows already built for the last frame are kept.
    pub fn prepare(&mut self, store: &Store) {
        self.fit(self.area, store);
        let total = store.matching_len();
        let filter = &store.filter().source;
        let wide = self.area.width >= WIDE_FROM;
        let mut previous = std::mem::take(&mut self.prepared.rows);
        if wide != self.prepared.wide {
            previous.clear();
        }
        let visible = visible_rows(self.area, 1);
        let rows: Vec<(u64, ListRow)> = (self.offset..(self.offset + visible).min(total))
            .filter_map(|i| store.matching_at(i))
            .map(|event| {
                let row = match previous.iter().position(|(seq, _)| *seq == event.seq) {
                    Some(at) => previous.swap_remove(at).1,
                    None => list_row(event, wide),
                };
                (event.seq, row)
            })
            .collect();
        let columns: &[Column] = if wide { &WIDE } else { &NARROW };
        let widths = columns.iter().map(|c| c.width).collect();
        self.prepared = Prepared {
            title: format!(
                " Traffic {}/{}{} ",
                format::count(total as u64),
                format::count(store.len() as u64),
                if filter.is_empty() {
                    String::new()
                } else {
                    format!(" filter: {filter}")
                }
            ),
            empty: match (total, store.is_empty()) {
                (0, true) => Some("no messages yet"),
                (0, false) => Some("no message matches the filter (Esc clears it)"),
                _ => None,
            },
            wide,
            widths,
            highlight: self
                .selected_index(store)
                .map(|i| i.saturating_sub(self.offset))
                .or_else(|| rows.len().checked_sub(1)),
            rows,
        };
    }
}

/// The text of a message's row.
fn list_row(event: &Stored, wide: bool) -> ListRow {
    let m = &event.message;
    let mut cells = vec![
        format::clock(m.ts_wall_ns),
        m.direction().short().to_string(),
        names::protocol_name(m.protocol),
    ];
    if wide {
        cells.push(format::process(m));
        cells.push(format!(
            "{}->{}",
            format::endpoint(m.src_port),
            format::destination(m)
        ));
        cells.push(names::group_label(m.protocol, m.dst_group));
    } else {
        cells.push(format!(
            "{}:{}->{}",
            if m.process_known() { &m.comm } else { "?" },
            format::endpoint(m.src_port),
            format::destination(m)
        ));
    }
    cells.push(format::kind(event));
    if wide {
        cells.push(m.len.to_string());
    }
    cells.push(format::result(event));
    ListRow {
        cells,
        summary: event.summary.clone(),
        cut: m.is_truncated(),
        error: event.is_error(),
    }
}

impl Component for TrafficList {
    /// Whether the list has the focus.
    type Props<'a> = bool;

    fn render(&self, frame: &mut Frame, area: Rect, focused: bool) {
        let prepared = &self.prepared;
        let block = pane_block(prepared.title.as_str(), focused);
        if let Some(text) = prepared.empty {
            frame.render_widget(
                Paragraph::new(Line::styled(text, Style::new().fg(Color::DarkGray))).block(block),
                area,
            );
            return;
        }
        let columns: &[Column] = if prepared.wide { &WIDE } else { &NARROW };
        let rows: Vec<Row> = prepared
            .rows
            .iter()
            .map(|(_, row)| {
                let mut cells: Vec<Cell> =
                    row.cells.iter().map(|c| Cell::from(c.as_str())).collect();
                // A cut message is marked where the eye reads the row, at any
                // width: before its summary.
                cells.push(if row.cut {
                    Cell::from(Line::from(vec![
                        Span::styled(format!("{CUT_LABEL} "), cut_style()),
                        Span::raw(row.summary.as_str()),
                    ]))
                } else {
                    Cell::from(row.summary.as_str())
                });
                let style = if row.error {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new()
                };
                Row::new(cells).style(style)
            })
            .collect();
        let widths: Vec<Constraint> = prepared
            .widths
            .iter()
            .map(|w| Constraint::Length(*w))
            .chain([Constraint::Fill(1)])
            .collect();
        let table = Table::new(rows, widths)
            .header(header_row(
                columns.iter().map(|c| c.name).chain(["summary"]),
            ))
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .block(block);
        let mut state = TableState::default().with_selected(prepared.highlight);
        frame.render_stateful_widget(table, area, &mut state);
    }
}
