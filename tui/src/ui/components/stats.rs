//! The Stats view: message rate sparkline, per-protocol table, top senders,
//! errors by errno, and the multicasts nobody listened to (not errors). It
//! has no state of its own: it draws the store's [`Stats`].

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Row, Sparkline, Table};
use ratatui::Frame;

use crate::store::names;
use crate::store::Stats;
use crate::ui::components::{header_row, pane_block, Component};
use crate::ui::format::count;

/// The Stats view.
#[derive(Debug, Default)]
pub struct StatsView;

impl Component for StatsView {
    type Props<'a> = &'a Stats;

    fn render(&self, frame: &mut Frame, area: Rect, stats: &Stats) {
        render(frame, area, stats)
    }
}

fn render(frame: &mut Frame, area: Rect, stats: &Stats) {
    let [spark, tables] = Layout::vertical([Constraint::Length(7), Constraint::Min(3)]).areas(area);
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
