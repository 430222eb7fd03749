//! The Stats view: message rate sparkline, per-protocol table, top senders,
//! errors by errno, and the multicasts nobody listened to (not errors);
//! below them the transactions': latency per operation (p50, p99, max),
//! the slowest requests, and the failed requests by errno and extended ack
//! message. It has no state of its own: it draws the store's [`Stats`] and
//! [`TransactionStats`].

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Row, Sparkline, Table};
use ratatui::Frame;

use crate::pairing::text::duration_text;
use crate::store::latency::TransactionStats;
use crate::store::names;
use crate::store::Stats;
use crate::ui::components::{header_row, pane_block, Component};
use crate::ui::format::count;

/// The Stats view.
#[derive(Debug, Default)]
pub struct StatsView;

/// What the Stats view draws.
#[derive(Clone, Copy)]
pub struct StatsProps<'a> {
    pub stats: &'a Stats,
    /// `None` when pairing is off.
    pub transactions: Option<&'a TransactionStats>,
}

impl Component for StatsView {
    type Props<'a> = StatsProps<'a>;

    fn render(&self, frame: &mut Frame, area: Rect, props: StatsProps<'_>) {
        let [messages, transactions] = match props.transactions {
            Some(_) => {
                let [top, bottom] =
                    Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
                        .areas(area);
                [top, bottom]
            }
            None => [area, Rect::default()],
        };
        render(frame, messages, props.stats);
        if let Some(tx_stats) = props.transactions {
            render_transactions(frame, transactions, tx_stats);
        }
    }
}

fn render(frame: &mut Frame, area: Rect, stats: &Stats) {
    let spark_height = if area.height >= 20 { 7 } else { 5 };
    let [spark, tables] =
        Layout::vertical([Constraint::Length(spark_height), Constraint::Min(3)]).areas(area);
    let width = usize::from(spark.width.saturating_sub(2)).clamp(1, 120);
    let history = stats.history(width);
    let peak = history.iter().copied().max().unwrap_or(0);
    frame.render_widget(
        Sparkline::default()
            .data(&history)
            .style(Style::new().fg(Color::Green))
            .block(pane_block(
                format!(
                    " messages/s (capture time), last {width} s: now {}, peak {} ",
                    count(stats.rate()),
                    count(peak)
                ),
                true,
            )),
        spark,
    );

    let [protocols, senders, errors] = Layout::horizontal([
        Constraint::Percentage(45),
        Constraint::Percentage(30),
        Constraint::Percentage(25),
    ])
    .areas(tables);
    let now = stats.newest_second().unwrap_or(0);
    // Narrow screens drop the bytes column so the protocol names fit.
    let with_bytes = protocols.width >= 50;
    let rows = stats.per_protocol.iter().map(|(protocol, p)| {
        let mut cells = vec![
            names::protocol_name(*protocol),
            count(p.messages),
            count(p.rate(now)),
        ];
        if with_bytes {
            cells.push(count(p.bytes));
        }
        cells.push(count(p.errors));
        Row::new(cells).style(if p.errors > 0 {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        })
    });
    frame.render_widget(
        Table::new(
            rows,
            if with_bytes {
                vec![
                    Constraint::Min(8),
                    Constraint::Length(8),
                    Constraint::Length(7),
                    Constraint::Length(9),
                    Constraint::Length(6),
                ]
            } else {
                vec![
                    Constraint::Min(8),
                    Constraint::Length(7),
                    Constraint::Length(6),
                    Constraint::Length(6),
                ]
            },
        )
        .header(header_row(if with_bytes {
            vec!["proto", "msgs", "msg/s", "bytes", "errors"]
        } else {
            vec!["proto", "msgs", "msg/s", "errors"]
        }))
        .block(pane_block(
            format!(
                " Protocols: {} msgs, {} bytes ",
                count(stats.total),
                count(stats.bytes)
            ),
            false,
        )),
        protocols,
    );

    let visible = usize::from(senders.height.saturating_sub(3)).max(1);
    let mut top: Vec<Row> = stats
        .top_senders(visible)
        .into_iter()
        .map(|(pid, comm, n)| Row::new(vec![pid.to_string(), comm, count(n)]))
        .collect();
    if stats.other_senders > 0 {
        top.push(Row::new(vec![
            "*".into(),
            "(others)".into(),
            count(stats.other_senders),
        ]));
    }
    frame.render_widget(
        Table::new(
            top,
            [
                Constraint::Length(7),
                Constraint::Fill(1),
                Constraint::Length(8),
            ],
        )
        .header(header_row(vec!["pid", "comm", "msgs"]))
        .block(pane_block(" Top senders ", false)),
        senders,
    );

    let mut rows: Vec<Row> = stats
        .errnos
        .iter()
        .map(|(errno, n)| {
            Row::new(vec![names::errno_name(*errno), count(*n)]).style(Style::new().fg(Color::Red))
        })
        .collect();
    // Multicasts nobody was subscribed to: counted, not as errors.
    if stats.no_listener > 0 {
        rows.push(
            Row::new(vec!["no listener".to_string(), count(stats.no_listener)])
                .style(Style::new().fg(Color::DarkGray)),
        );
    }
    frame.render_widget(
        Table::new(rows, [Constraint::Fill(1), Constraint::Length(8)])
            .header(header_row(vec!["error", "msgs"]))
            .block(pane_block(
                format!(" Errors: {} ", count(stats.errors)),
                false,
            )),
        errors,
    );
}

/// The transactions' tables: latency per operation, the slowest requests,
/// errors by errno and message.
fn render_transactions(frame: &mut Frame, area: Rect, stats: &TransactionStats) {
    let [ops, slowest, errors] = Layout::horizontal([
        Constraint::Percentage(45),
        Constraint::Percentage(25),
        Constraint::Percentage(30),
    ])
    .areas(area);
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let quantile = |op: &crate::store::latency::OpLatency, q| {
        op.quantile_ns(q).map_or_else(|| "-".into(), duration_text)
    };
    // Narrow screens keep the operation and its p99.
    let wide = ops.width >= 60;
    let rows = stats
        .ops_by_p99()
        .into_iter()
        .take(visible)
        .map(|(op, latency)| {
            let mut cells = vec![op.to_string(), count(latency.count)];
            if wide {
                cells.push(quantile(latency, 0.5));
            }
            cells.push(quantile(latency, 0.99));
            if wide {
                cells.push(if latency.answered() > 0 {
                    duration_text(latency.max_ns)
                } else {
                    "-".into()
                });
            }
            cells.push(count(latency.errors + latency.no_reply));
            Row::new(cells).style(if latency.errors + latency.no_reply > 0 {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            })
        });
    let (widths, header) = if wide {
        (
            vec![
                Constraint::Fill(1),
                Constraint::Length(7),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(6),
            ],
            vec!["operation", "n", "p50", "p99", "max", "failed"],
        )
    } else {
        (
            vec![
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Length(6),
            ],
            vec!["operation", "n", "p99", "failed"],
        )
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header_row(header))
            .block(pane_block(
                format!(
                    " Latency by operation: {} transactions ",
                    count(stats.closed)
                ),
                false,
            )),
        ops,
    );

    // Narrow screens leave out the transaction's number.
    let with_id = slowest.width >= 30;
    let rows = stats.slowest.iter().take(visible).map(|slow| {
        let mut cells = vec![
            duration_text(slow.latency_ns),
            format!("{} {}[{}]", slow.op, slow.comm, slow.pid),
        ];
        if with_id {
            cells.insert(0, slow.id.to_string());
        }
        Row::new(cells)
    });
    let (widths, header) = if with_id {
        (
            vec![
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Fill(1),
            ],
            vec!["#", "latency", "request"],
        )
    } else {
        (
            vec![Constraint::Length(8), Constraint::Fill(1)],
            vec!["latency", "request"],
        )
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header_row(header))
            .block(pane_block(" Slowest ", false)),
        slowest,
    );

    let mut rows: Vec<Row> = stats
        .errors_by_count()
        .into_iter()
        .take(visible)
        .map(|(errno, message, n)| {
            let name = names::errno_name(i64::from(errno));
            let text = match message {
                Some(message) => format!("{name} \"{}\"", message.escape_debug()),
                None => name,
            };
            Row::new(vec![text, count(n)]).style(Style::new().fg(Color::Red))
        })
        .collect();
    if stats.other_errors > 0 {
        rows.push(Row::new(vec![
            "(others)".to_string(),
            count(stats.other_errors),
        ]));
    }
    let failed: u64 = stats.errors.values().sum::<u64>() + stats.other_errors;
    frame.render_widget(
        Table::new(rows, [Constraint::Fill(1), Constraint::Length(6)])
            .header(header_row(vec!["error", "n"]))
            .block(pane_block(
                format!(" Failed requests: {} ", count(failed)),
                false,
            )),
        errors,
    );
}
