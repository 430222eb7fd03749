//! The traffic list: one row per matching message, following the newest
//! until the user scrolls up. Owns the selection, the follow flag and the
//! scroll window; the store is read, never changed.
//!
//! Before a frame ([`TrafficList::prepare`]) it builds the text of the rows
//! in view, and sizes the columns to that text: each column is as wide as
//! its widest cell, up to a maximum, and the summary takes what is left.
//! When the row is too narrow for all of them, the columns with the most
//! room above their floor give way first, so the summary keeps a minimum.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::store::paged::Item;
use crate::store::stats::no_listener;
use crate::store::{names, Store, Stored};
use crate::ui::action::Action;
use crate::ui::components::{
    cut_style, header_row, pane_block, scroll_delta, visible_rows, Component,
};
use crate::ui::format;

/// One column before the summary: its header, the most it takes, and the
/// least it gives way to.
#[derive(Clone, Copy, Debug)]
struct Column {
    name: &'static str,
    max: u16,
    floor: u16,
}

const fn column(name: &'static str, max: u16, floor: u16) -> Column {
    Column { name, max, floor }
}

/// Columns of the wide layout (from [`WIDE_FROM`] columns).
const WIDE: [Column; 9] = [
    column("time", 12, 12),
    column("dir", 3, 3),
    column("proto", 14, 5),
    column("process", 20, 8),
    column("src->dst", 24, 12),
    column("group", 16, 5),
    column("type", 24, 11),
    column("len", 6, 3),
    column("result", 12, 6),
];
/// Columns of the narrow layout: the endpoints in one.
const NARROW: [Column; 6] = [
    column("time", 12, 12),
    column("dir", 3, 3),
    column("proto", 8, 5),
    column("who:src->dst", 24, 14),
    column("type", 16, 12),
    column("result", 12, 11),
];
/// The wide layout needs room left for the summary.
const WIDE_FROM: u16 = 140;
/// The least the summary keeps, wide and narrow.
const SUMMARY_MIN: (u16, u16) = (24, 12);

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

    pub fn selected_event<'a>(&self, store: &'a Store) -> Option<Item<'a, Stored>> {
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
                    None => list_row(&event, store, wide),
                };
                (event.seq, row)
            })
            .collect();
        let columns: &[Column] = if wide { &WIDE } else { &NARROW };
        let summary_min = if wide { SUMMARY_MIN.0 } else { SUMMARY_MIN.1 };
        let widths = column_widths(
            columns,
            &rows,
            self.area.width.saturating_sub(2),
            summary_min,
        );
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
fn list_row(event: &Stored, store: &Store, wide: bool) -> ListRow {
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
            format::destination(m, store.context())
        ));
        cells.push(names::group_label(m.protocol, m.dst_group, store.context()));
    } else {
        cells.push(format!(
            "{}:{}->{}",
            if m.process_known() { &m.comm } else { "?" },
            format::endpoint(m.src_port),
            format::destination(m, store.context())
        ));
    }
    cells.push(format::kind(event, store));
    if wide {
        cells.push(m.len.to_string());
    }
    cells.push(format::result(event));
    ListRow {
        cells,
        summary: store.summary(event),
        cut: m.is_truncated(),
        error: event.is_error() && !no_listener(event),
    }
}

/// Widths of `columns` for `rows` in a table `inner` wide: each as wide as
/// its widest cell (or header) up to its maximum; then, while the summary
/// would get less than `summary_min`, the column furthest above its floor
/// gives up one.
fn column_widths(
    columns: &[Column],
    rows: &[(u64, ListRow)],
    inner: u16,
    summary_min: u16,
) -> Vec<u16> {
    let text_width = |text: &str| u16::try_from(Span::raw(text).width()).unwrap_or(u16::MAX);
    let mut widths: Vec<u16> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            rows.iter()
                .filter_map(|(_, row)| row.cells.get(i))
                .map(|cell| text_width(cell))
                .chain([text_width(column.name)])
                .max()
                .unwrap_or(0)
                .min(column.max)
        })
        .collect();
    // One space between columns, the summary's included.
    let spacing = widths.len() as u16;
    let room = inner.saturating_sub(spacing).saturating_sub(summary_min);
    let mut used: u16 = widths.iter().sum();
    while used > room {
        let widest = widths
            .iter()
            .zip(columns)
            .enumerate()
            .filter(|(_, (width, column))| **width > column.floor)
            .max_by_key(|(i, (width, column))| (**width - column.floor, usize::MAX - i))
            .map(|(i, _)| i);
        let Some(i) = widest else {
            break;
        };
        widths[i] -= 1;
        used -= 1;
    }
    widths
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> (u64, ListRow) {
        (
            0,
            ListRow {
                cells: cells.iter().map(|c| c.to_string()).collect(),
                summary: String::new(),
                cut: false,
                error: false,
            },
        )
    }

    #[test]
    fn columns_size_to_their_content_and_give_way_above_their_floor() {
        let columns = [column("a", 10, 2), column("bbbb", 30, 6)];
        let rows = [row(&["x", "0123456789->kernel"])];
        // Room for everything: the header, the widest cell.
        assert_eq!(column_widths(&columns, &rows, 100, 20), [1, 18]);
        // 40 columns, 2 spaces, a summary of 20: 18 left, and `a` is below
        // its floor already: `bbbb` gives way, down to its floor at most.
        assert_eq!(column_widths(&columns, &rows, 40, 20), [1, 17]);
        assert_eq!(column_widths(&columns, &rows, 10, 20), [1, 6]);
        let rows = [row(&["xxxxxxxxxxxxxxxxxx", "y"])];
        assert_eq!(column_widths(&columns, &rows, 100, 20), [10, 4]);
    }
}
