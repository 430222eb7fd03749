//! The header (views, source, rates, counters, filter) and the footer (key
//! hints, the filter prompt and its error, export progress, news).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::event::CUT_LABEL;
use crate::ui::app::{App, Mode, View};
use crate::ui::components::cut_style;
use crate::ui::format::count;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut tabs = vec![Span::styled(
        " nlscope ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )];
    for (i, view) in View::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, view.title());
        tabs.push(if *view == app.view {
            Span::styled(
                label,
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            )
        } else {
            Span::raw(label)
        });
    }
    if app.paused {
        tabs.push(Span::styled(
            format!(" PAUSED ({} waiting) ", count(app.pending() as u64)),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    } else if app.follow {
        tabs.push(Span::styled(" FOLLOW ", Style::new().fg(Color::Green)));
    }

    let store = &app.store;
    let source = match &app.source.ended {
        Some(why) => format!("{} {} ({why})", app.source.kind, app.source.detail),
        None => format!("{} {}", app.source.kind, app.source.detail),
    };
    let dim = Style::new().fg(Color::DarkGray);
    let filter = &store.filter().source;
    let mut status = vec![
        Span::styled("src ", dim),
        Span::raw(source),
        Span::styled(" | ", dim),
        Span::raw(format!("{} msgs", count(store.ingested()))),
        Span::styled(" | ", dim),
        Span::raw(format!("{}/s", count(store.stats().rate()))),
        Span::styled(" | lost ", dim),
        Span::styled(
            count(store.lost()),
            if store.lost() > 0 {
                Style::new().fg(Color::Red)
            } else {
                Style::new()
            },
        ),
        Span::styled(" | evicted ", dim),
        Span::raw(count(store.evicted())),
    ];
    // Cut messages are counted once there are some (a --snaplen cap, or a
    // file recorded with one); whole captures keep the line short.
    let cut = store.stats().cut;
    if cut > 0 {
        status.push(Span::styled(format!(" | {CUT_LABEL} "), dim));
        status.push(Span::styled(count(cut), cut_style()));
    }
    if !filter.is_empty() {
        status.push(Span::styled(" | filter ", dim));
        status.push(Span::styled(
            filter.clone(),
            Style::new().fg(Color::Magenta),
        ));
        status.push(Span::raw(format!(
            " ({} match)",
            count(store.matching_len() as u64)
        )));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(tabs), Line::from(status)]),
        area,
    );
}

pub fn render_footer(frame: &mut Frame, area: Rect, app: &App) {
    let dim = Style::new().fg(Color::DarkGray);
    let lines = match app.mode {
        Mode::Filter => {
            let input = Line::from(vec![
                Span::styled("filter: ", Style::new().fg(Color::Magenta)),
                Span::raw(app.filter_input.clone()),
                Span::styled("_", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            ]);
            let below = match &app.filter_error {
                Some(error) => Line::from(vec![
                    Span::raw(" ".repeat(8 + error.column)),
                    Span::styled(format!("^ {error}"), Style::new().fg(Color::Red)),
                ]),
                None => Line::styled(
                    "Enter apply  Esc cancel  keys: proto type pid comm port group dir result, \"text\"",
                    dim,
                ),
            };
            vec![input, below]
        }
        Mode::ExportPath => vec![Line::from(vec![
            Span::styled("export filtered view to: ", Style::new().fg(Color::Magenta)),
            Span::raw(app.export_input.clone()),
            Span::styled("_  (Enter write, Esc cancel)", dim),
        ])],
        _ => {
            if let Some(progress) = app.export_progress() {
                let percent = (progress.done * 100)
                    .checked_div(progress.total)
                    .unwrap_or(100);
                let filled = percent / 5;
                vec![Line::styled(
                    format!(
                        "exporting {}/{} ({percent}%) [{}{}] to {}",
                        count(progress.done as u64),
                        count(progress.total as u64),
                        "#".repeat(filled),
                        ".".repeat(20 - filled),
                        progress.path.display()
                    ),
                    Style::new().fg(Color::Yellow),
                )]
            } else if let Some(status) = &app.status {
                vec![Line::styled(status.clone(), Style::new().fg(Color::Green))]
            } else {
                vec![Line::styled(
                    "q quit  ? help  / filter  space pause  f follow  e export  p/P/m quick filter  Tab pane  1-4 views",
                    dim,
                )]
            }
        }
    };
    frame.render_widget(Paragraph::new(lines), area);
}
