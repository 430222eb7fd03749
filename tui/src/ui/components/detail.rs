//! The detail pane: the selected message's field tree (capture metadata, then
//! the decoder's trees), collapsible. Owns the tree, what is collapsed in it,
//! the cursor and the scroll window; the App hands it the selected message
//! ([`DetailPane::show`]) and the actions meant for it.

use std::collections::HashSet;
use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::decode::{self, Field};
use crate::event::{CapturedMessage, CUT_LABEL};
use crate::pairing::text::{answered_text, offending_text, outcome_text, replies_text};
use crate::pairing::Role;
use crate::store::{names, Store, Stored};
use crate::ui::action::Action;
use crate::ui::components::{pane_block, scroll_delta, visible_rows, Component};
use crate::ui::format;

/// One visible row of the detail tree.
#[derive(Clone, Debug)]
pub struct TreeRow<'a> {
    pub depth: usize,
    pub path: Vec<usize>,
    pub field: &'a Field,
    pub collapsed: bool,
}

/// The decoded tree of the selected message and what is open in it.
#[derive(Debug, Default)]
pub struct DetailPane {
    /// Sequence number of the message shown.
    pub seq: Option<u64>,
    pub roots: Vec<Field>,
    pub collapsed: HashSet<Vec<usize>>,
    pub cursor: usize,
    /// First row shown.
    pub offset: usize,
    /// Where it is drawn.
    pub area: Rect,
}

impl DetailPane {
    /// Shows `event` (or nothing), open but for its transaction, the cursor
    /// on the first row; on a request the kernel rejected, the transaction
    /// is open and the cursor on the rejected attribute, so that the hex
    /// pane highlights its bytes. `whole` is the whole message read back,
    /// or why it could not be.
    pub fn show(
        &mut self,
        event: Option<&Stored>,
        whole: &Result<CapturedMessage, String>,
        store: &Store,
    ) {
        let roots = event
            .map(|e| detail_tree(e, whole, store))
            .unwrap_or_default();
        *self = DetailPane {
            seq: event.map(|e| e.seq),
            roots,
            area: self.area,
            ..DetailPane::default()
        };
        let rejected = self
            .rows()
            .iter()
            .position(|row| row.field.name == REJECTED && row.field.bytes.is_some());
        match rejected {
            Some(row) => self.cursor = row,
            None => {
                if let Some(at) = self.roots.iter().position(|f| f.name == TRANSACTION) {
                    self.collapsed.insert(vec![at]);
                }
            }
        }
    }

    pub fn rows(&self) -> Vec<TreeRow<'_>> {
        fn walk<'a>(
            fields: &'a [Field],
            depth: usize,
            prefix: &mut Vec<usize>,
            collapsed: &HashSet<Vec<usize>>,
            out: &mut Vec<TreeRow<'a>>,
        ) {
            for (i, field) in fields.iter().enumerate() {
                prefix.push(i);
                let closed = collapsed.contains(prefix);
                out.push(TreeRow {
                    depth,
                    path: prefix.clone(),
                    field,
                    collapsed: closed,
                });
                if !closed {
                    walk(&field.children, depth + 1, prefix, collapsed, out);
                }
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        walk(&self.roots, 0, &mut Vec::new(), &self.collapsed, &mut out);
        out
    }

    /// Bytes of the field under the cursor.
    pub fn highlighted(&self) -> Option<Range<usize>> {
        self.rows().get(self.cursor)?.field.bytes.clone()
    }

    /// The actions of the focused detail pane. Returns true when the cursor
    /// was moved (up, down, a page, the wheel): the hex pane then shows the
    /// bytes under it.
    pub fn handle(&mut self, action: &Action) -> bool {
        let Some(delta) = scroll_delta(action, visible_rows(self.area, 1)) else {
            match action {
                Action::Top => self.cursor = 0,
                Action::Bottom => self.cursor = self.rows().len().saturating_sub(1),
                Action::Left => self.set_collapsed(Some(true)),
                Action::Right => self.set_collapsed(Some(false)),
                Action::Toggle => self.set_collapsed(None),
                _ => {}
            }
            self.fit(self.area);
            return false;
        };
        let rows = self.rows().len();
        if rows == 0 {
            return false;
        }
        self.cursor = (self.cursor as isize + delta).clamp(0, rows as isize - 1) as usize;
        self.fit(self.area);
        true
    }

    /// A click on screen row `row`: the cursor goes there; a second click
    /// on the same row opens or closes it.
    pub fn click(&mut self, row: u16) {
        let first = self.area.y + 1;
        if row < first {
            return;
        }
        let index = self.offset + usize::from(row - first);
        if index < self.rows().len() {
            if self.cursor == index {
                self.set_collapsed(None);
            }
            self.cursor = index;
        }
        self.fit(self.area);
    }

    /// Closes (`Some(true)`), opens or toggles (`None`) the field under the
    /// cursor, if it has children.
    fn set_collapsed(&mut self, collapsed: Option<bool>) {
        let rows = self.rows();
        let Some(row) = rows
            .get(self.cursor)
            .filter(|r| !r.field.children.is_empty())
        else {
            return;
        };
        let path = row.path.clone();
        drop(rows);
        let close = collapsed.unwrap_or(!self.collapsed.contains(&path));
        if close {
            self.collapsed.insert(path);
        } else {
            self.collapsed.remove(&path);
        }
    }

    /// Takes its area and picks the window: the first rows, or the ones up
    /// to the cursor when it is further down.
    pub fn fit(&mut self, area: Rect) {
        self.area = area;
        let rows = self.rows().len();
        let cursor = self.cursor.min(rows.saturating_sub(1));
        self.offset = (cursor + 1).saturating_sub(visible_rows(area, 0));
    }
}

impl Component for DetailPane {
    /// Whether the pane has the focus.
    type Props<'a> = bool;

    fn render(&self, frame: &mut Frame, area: Rect, focused: bool) {
        let block = pane_block(" Detail (Enter expands) ", focused);
        let rows = self.rows();
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
        let visible = visible_rows(area, 0);
        let cursor = self.cursor.min(rows.len() - 1);
        let lines: Vec<Line> = rows
            .iter()
            .enumerate()
            .skip(self.offset)
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
                    let style = if focused {
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
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// The name of the transaction's field in the tree, and of its child that
/// points at the attribute the kernel rejected.
const TRANSACTION: &str = "transaction";
const REJECTED: &str = "rejected attribute";

/// The detail tree of a stored message: capture metadata, its transaction
/// (if it is a request or a reply), then the decoder's trees of `whole`,
/// the message read back (or why it could not be).
pub fn detail_tree(
    event: &Stored,
    whole: &Result<CapturedMessage, String>,
    store: &Store,
) -> Vec<Field> {
    let context = store.context();
    let m = &event.message;
    let result = match m.result {
        Some(r) if r < 0 => format!("{r} ({})", names::errno_name(-r)),
        Some(r) => format!("{r} bytes delivered"),
        None => "unknown".into(),
    };
    let mut capture = Field::new(
        "capture",
        format!("#{} {} {}", event.seq, m.hook, format::clock(m.ts_wall_ns)),
    )
    .with_children(vec![
        Field::new("time", format::clock(m.ts_wall_ns)),
        Field::new(
            "process",
            if m.process_known() {
                format!("{} (pid {}, tid {})", m.comm, m.pid, m.tid)
            } else {
                "?".into()
            },
        ),
        Field::new(
            "protocol",
            format!("{} ({})", names::protocol_name(m.protocol), m.protocol),
        ),
        Field::new(
            "from -> to",
            format!(
                "{} -> {}",
                format::endpoint(m.src_port),
                format::destination(m, context)
            ),
        ),
        Field::new("direction", m.direction().short()),
        Field::new("netns", m.netns.to_string()),
        Field::new("length", m.len.to_string()),
    ]);
    if let Some(cut) = m.cut_text() {
        capture.children.push(Field::new(CUT_LABEL, cut));
    }
    capture.children.push(Field::new("result", result));
    let mut roots = vec![capture];
    roots.extend(transaction_field(event, store));
    match whole {
        Ok(whole) => roots.extend(decode::decode(whole, context).messages),
        Err(why) => roots.push(Field::new("bytes", format!("unreadable: {why}"))),
    }
    roots
}

/// What pairing says of `event`: `reply to #N` or `answered by #M..#K in
/// 1.2 ms`, with the transaction's outcome and, for a rejected request, the
/// attribute (its bytes, when `event` is that request).
fn transaction_field(event: &Stored, store: &Store) -> Option<Field> {
    let (tx, text) = match event.pairing {
        Role::Request { first, count } => {
            let tx = store.transaction(first)?;
            let more = match count {
                1 => String::new(),
                n => format!(" (1 of {n} requests in this datagram)"),
            };
            let text = format!("{}{more}", answered_text(&tx));
            (tx, text)
        }
        Role::Reply { id } => {
            let tx = store.transaction(id)?;
            let text = format!("reply to #{} ({})", tx.request, tx.op);
            (tx, text)
        }
        Role::Orphan { after } => {
            let text = match after {
                Some(id) => format!("a reply no request waited for (transaction {id} had closed)"),
                None => "a reply no request waited for (sent before the capture began?)".into(),
            };
            return Some(Field::new(TRANSACTION, text));
        }
        _ => return None,
    };
    let mut children = vec![
        Field::new("id", tx.id.to_string()),
        Field::new("operation", tx.op.to_string()),
        Field::new("outcome", outcome_text(&tx)),
        Field::new("request", format!("#{}", tx.request)),
    ];
    if !tx.replies.is_empty() {
        let parts = if tx.parts == 1 { "message" } else { "messages" };
        children.push(Field::new("replies", replies_text(&tx)));
        children.push(Field::new(
            "parts",
            format!("{} {parts}, {} bytes", tx.parts, tx.bytes),
        ));
    }
    if let Some(offending) = &tx.offending {
        let mut rejected = Field::new(REJECTED, offending_text(offending, tx.request));
        if event.seq == tx.request {
            rejected.bytes = offending.bytes.clone();
        }
        children.push(rejected);
    }
    Some(Field::new(TRANSACTION, text).with_children(children))
}
