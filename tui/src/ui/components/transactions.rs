//! The Transactions view: one row per request whose message, or one of
//! whose replies, matches the filter (the traffic list's filter, the same
//! `/` prompt), with its
//! operation, process, outcome, latency and parts, and below the list what
//! is known of the selected one. Owns the selection (a transaction id), the
//! follow flag, the scroll window and the ids it lists; the store is read,
//! never changed.
//!
//! The ids are kept in step with the store at each batch
//! ([`TransactionList::sync`]): evicted transactions leave from the front,
//! new ones are tested against the filter, and open ones again until they
//! match or close (at most the pairer's pending requests); another filter
//! lists them all again.

use std::collections::VecDeque;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::netlink::names::protocol_name;
use crate::pairing::text::{
    answered_text, duration_text, offending_text, outcome_cell, outcome_text, replies_text,
};
use crate::pairing::{Outcome, Transaction};
use crate::store::{Store, TransactionRef};
use crate::ui::action::Action;
use crate::ui::components::{header_row, pane_block, scroll_delta, visible_rows, Component};
use crate::ui::format;

/// The list's columns before the last (extack, or the rejected attribute),
/// wide (from [`WIDE_FROM`] columns) and narrow: header and width.
const WIDE: [(&str, u16); 8] = [
    ("#", 6),
    ("time", 12),
    ("process", 18),
    ("op", 28),
    ("outcome", 12),
    ("latency", 9),
    ("parts", 6),
    ("bytes", 8),
];
const NARROW: [(&str, u16); 5] = [
    ("#", 4),
    ("op", 22),
    ("process", 12),
    ("outcome", 11),
    ("latency", 9),
];
const WIDE_FROM: u16 = 140;

/// What the next frame draws, made in [`TransactionList::prepare`].
#[derive(Debug, Default)]
struct Prepared {
    title: String,
    empty: Option<&'static str>,
    wide: bool,
    /// The rows in view: cells, and whether it failed.
    rows: Vec<(Vec<String>, bool)>,
    highlight: Option<usize>,
    /// The selected transaction, a line each.
    detail: Vec<String>,
}

/// The Transactions view's state.
#[derive(Debug)]
pub struct TransactionList {
    /// Id of the selected transaction.
    pub selected: Option<u64>,
    /// Whether the selection follows the newest request.
    pub follow: bool,
    /// First listed index shown.
    pub offset: usize,
    /// Where the list is drawn (the detail below it is not counted).
    pub area: Rect,
    /// Ids listed, ascending.
    ids: VecDeque<u64>,
    /// The newest id looked at, listed or not.
    seen: u64,
    /// Open transactions not listed (yet): a reply may still match.
    undecided: Vec<u64>,
    /// The filter's scan was running at the last sync.
    scanning: bool,
    /// The filter the ids were chosen by.
    filter: String,
    prepared: Prepared,
}

impl Default for TransactionList {
    fn default() -> Self {
        TransactionList {
            selected: None,
            follow: true,
            offset: 0,
            area: Rect::default(),
            ids: VecDeque::new(),
            seen: 0,
            undecided: Vec::new(),
            scanning: false,
            filter: String::new(),
            prepared: Prepared::default(),
        }
    }
}

/// The list and the detail of the view's area.
pub fn split(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(area)
}

impl TransactionList {
    /// Ids listed, ascending.
    pub fn ids(&self) -> &VecDeque<u64> {
        &self.ids
    }

    /// Takes the transactions the store opened, forgets those it evicted,
    /// lists the open ones a new reply made match, and lists them all again
    /// under another filter.
    pub fn sync(&mut self, store: &Store) {
        let Some(transactions) = store.transactions() else {
            return;
        };
        // A filter tested a slice per frame (it reads the messages' bytes,
        // or the index is partly on disk) lists nothing until its scan ends:
        // listing again at each slice would read every transaction as often.
        let scanning = store.filter_progress().is_some();
        if store.filter().source != self.filter || scanning || self.scanning {
            self.filter = store.filter().source.clone();
            self.ids.clear();
            self.undecided.clear();
            self.seen = 0;
        }
        self.scanning = scanning;
        if scanning {
            return;
        }
        while self
            .ids
            .front()
            .is_some_and(|id| store.transaction(*id).is_none())
        {
            self.ids.pop_front();
        }
        // Open ones may match by a reply that came since; the closed ones
        // that still do not, never will.
        let mut undecided = std::mem::take(&mut self.undecided);
        undecided.retain(|id| match store.transaction(*id) {
            Some(tx) if matches(&tx, store) => {
                let at = self.ids.partition_point(|listed| listed < id);
                self.ids.insert(at, *id);
                false
            }
            Some(tx) => tx.is_open(),
            None => false,
        });
        self.undecided = undecided;
        for tx in transactions.iter_from(self.seen + 1) {
            self.seen = tx.id;
            if matches(&tx, store) {
                self.ids.push_back(tx.id);
            } else if tx.is_open() {
                self.undecided.push(tx.id);
            }
        }
        if self.follow || self.selected.is_none() {
            self.selected = self.ids.back().copied();
        }
        self.fit(self.area);
    }

    /// Index of the selection among the listed ids.
    pub fn selected_index(&self) -> Option<usize> {
        let last = self.ids.len().checked_sub(1)?;
        let id = self.selected?;
        Some(match self.ids.binary_search(&id) {
            Ok(i) => i,
            Err(i) => i.min(last),
        })
    }

    /// The selected transaction, if it is still kept.
    pub fn selected_transaction<'a>(&self, store: &'a Store) -> Option<TransactionRef<'a>> {
        store.transaction(*self.ids.get(self.selected_index()?)?)
    }

    /// The actions of the view: moving the selection, following the newest.
    pub fn handle(&mut self, action: &Action) {
        let Some(last) = self.ids.len().checked_sub(1) else {
            return;
        };
        let current = self.selected_index().unwrap_or(last);
        let target = match (action, scroll_delta(action, visible_rows(self.area, 1))) {
            (_, Some(delta)) => {
                // Moving down keeps following only at the newest.
                self.follow = self.follow && delta > 0;
                current.saturating_add_signed(delta).min(last)
            }
            (Action::Top, _) => {
                self.follow = false;
                0
            }
            (Action::Bottom, _) => {
                self.follow = true;
                last
            }
            (Action::Follow, _) => {
                self.follow = !self.follow;
                if self.follow {
                    last
                } else {
                    current
                }
            }
            _ => return,
        };
        self.selected = self.ids.get(target).copied();
        self.fit(self.area);
    }

    /// A click on screen row `row`: selects the transaction shown there.
    pub fn click(&mut self, row: u16) {
        let first = self.area.y + 2;
        if row >= first {
            let index = self.offset + usize::from(row - first);
            if let Some(id) = self.ids.get(index) {
                self.follow = false;
                self.selected = Some(*id);
            }
        }
        self.fit(self.area);
    }

    /// Takes the list's area, and picks the window that shows the selection.
    pub fn fit(&mut self, area: Rect) {
        self.area = area;
        let selected = self.selected_index().unwrap_or(0);
        self.offset = (selected + 1).saturating_sub(visible_rows(area, 1));
    }

    /// Builds the rows in view and the selection's detail, for the next frame.
    pub fn prepare(&mut self, store: &Store) {
        self.fit(self.area);
        let wide = self.area.width >= WIDE_FROM;
        let visible = visible_rows(self.area, 1);
        let rows = self
            .ids
            .iter()
            .skip(self.offset)
            .take(visible)
            .filter_map(|id| store.transaction(*id))
            .map(|tx| (row_cells(&tx, store, wide), failed(&tx)))
            .collect();
        let filter = &store.filter().source;
        let kept = store.transactions().map_or(0, |t| t.len());
        let pending = store.transactions().map_or(0, |t| t.pending_len());
        self.prepared = Prepared {
            title: format!(
                " Transactions {}/{}, {} waiting{} ",
                format::count(self.ids.len() as u64),
                format::count(kept as u64),
                format::count(pending as u64),
                if filter.is_empty() {
                    String::new()
                } else {
                    format!(" filter: {filter}")
                }
            ),
            empty: match (self.ids.is_empty(), kept, store.transactions()) {
                (_, _, None) => Some("pairing is off"),
                (true, _, _) if self.scanning => {
                    Some("testing the filter (see its progress above; Esc stops it)")
                }
                (true, 0, _) => Some("no request yet"),
                (true, _, _) => Some("no request matches the filter (Esc clears it)"),
                _ => None,
            },
            wide,
            rows,
            highlight: self.selected_index().map(|i| i.saturating_sub(self.offset)),
            detail: self
                .selected_transaction(store)
                .map(|tx| detail_lines(&tx, store))
                .unwrap_or_default(),
        };
    }
}

/// Whether the filter lists `tx`: its request or one of its replies
/// matches (so `result:err` lists the failed requests, `proto:route` the
/// requests on rtnetlink).
fn matches(tx: &Transaction, store: &Store) -> bool {
    let in_run = |run: std::ops::Range<u64>| {
        let at = match store.matching_position(run.start) {
            Ok(_) => return true,
            Err(at) => at,
        };
        store
            .matching_seqs()
            .get(at)
            .is_some_and(|seq| seq < run.end)
    };
    in_run(tx.request..tx.request + 1) || tx.replies.runs().any(in_run)
}

/// Whether the row shows a failure: an error, no reply, no end.
fn failed(tx: &Transaction) -> bool {
    matches!(
        tx.outcome,
        Outcome::Error { .. } | Outcome::NoReply(_) | Outcome::Unfinished(_)
    )
}

fn process(tx: &Transaction) -> String {
    if tx.comm.is_empty() && tx.pid == 0 {
        "?".into()
    } else {
        format!("{}[{}]", tx.comm, tx.pid)
    }
}

/// Time to the last reply, `-` without one.
fn latency(tx: &Transaction) -> String {
    tx.last_reply_ns.map_or_else(|| "-".into(), duration_text)
}

/// The last column: the extended ack's message, or where the error
/// points, or the replies, or why there were none.
fn note(tx: &Transaction) -> String {
    match (&tx.extack, &tx.offending) {
        (Some(message), _) => format!("\"{}\"", message.escape_debug()),
        (None, Some(offending)) => format!("rejected {}", offending.field_text()),
        (None, None) if !tx.replies.is_empty() => replies_text(tx),
        (None, None) if tx.is_open() => "waiting".into(),
        (None, None) => outcome_text(tx),
    }
}

fn row_cells(tx: &Transaction, store: &Store, wide: bool) -> Vec<String> {
    let mut cells = vec![tx.id.to_string()];
    if wide {
        let time = store
            .get(tx.request)
            .map_or_else(|| "-".into(), |e| format::clock(e.message.ts_wall_ns));
        cells.extend([time, process(tx), tx.op.to_string()]);
    } else {
        cells.extend([tx.op.to_string(), process(tx)]);
    }
    cells.extend([outcome_cell(tx), latency(tx)]);
    if wide {
        cells.extend([tx.parts.to_string(), tx.bytes.to_string()]);
    }
    cells.push(note(tx));
    cells
}

/// What the pane below the list says of `tx`.
fn detail_lines(tx: &Transaction, store: &Store) -> Vec<String> {
    let peer = match tx.peer {
        0 => "kernel".to_string(),
        port => format!("port {port}"),
    };
    let mut lines = vec![
        format!(
            "transaction {}: {}, {} port {} -> {peer}, {} seq {}",
            tx.id,
            tx.op,
            process(tx),
            tx.key.port,
            protocol_name(tx.key.protocol),
            tx.key.seq
        ),
        format!("outcome: {}", outcome_text(tx)),
    ];
    let request = match store.get(tx.request) {
        Some(event) => format!(
            "request #{} at {}: {}",
            tx.request,
            format::clock(event.message.ts_wall_ns),
            answered_text(tx)
        ),
        None => format!("request #{}: {}", tx.request, answered_text(tx)),
    };
    lines.push(request);
    if let (Some(first), Some(last)) = (tx.first_reply_ns, tx.last_reply_ns) {
        let parts = if tx.parts == 1 { "part" } else { "parts" };
        lines.push(format!(
            "first reply after {}, last after {}; {} {parts}, {} bytes",
            duration_text(first),
            duration_text(last),
            tx.parts,
            tx.bytes
        ));
    }
    if let Some(offending) = &tx.offending {
        lines.push(format!(
            "rejected attribute: {}",
            offending_text(offending, tx.request)
        ));
    }
    lines.push("Enter or r: the request in the Traffic view".into());
    lines
}

impl Component for TransactionList {
    /// Unused: the view has the keys whenever it is shown.
    type Props<'a> = ();

    fn render(&self, frame: &mut Frame, area: Rect, (): ()) {
        let [list, detail] = split(area);
        let prepared = &self.prepared;
        let block = pane_block(prepared.title.as_str(), true);
        if let Some(text) = prepared.empty {
            frame.render_widget(
                Paragraph::new(Line::styled(text, Style::new().fg(Color::DarkGray))).block(block),
                list,
            );
        } else {
            let columns: &[(&str, u16)] = if prepared.wide { &WIDE } else { &NARROW };
            let last = "extack / replies";
            let rows = prepared.rows.iter().map(|(cells, failed)| {
                let style = if *failed {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new()
                };
                Row::new(cells.iter().map(String::as_str)).style(style)
            });
            let widths: Vec<Constraint> = columns
                .iter()
                .map(|(_, width)| Constraint::Length(*width))
                .chain([Constraint::Fill(1)])
                .collect();
            let table = Table::new(rows, widths)
                .header(header_row(
                    columns.iter().map(|(name, _)| *name).chain([last]),
                ))
                .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
                .block(block);
            let mut state = TableState::default().with_selected(prepared.highlight);
            frame.render_stateful_widget(table, list, &mut state);
        }
        let lines: Vec<Line> = prepared
            .detail
            .iter()
            .map(|l| Line::raw(l.as_str()))
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(pane_block(" Transaction ", false)),
            detail,
        );
    }
}
