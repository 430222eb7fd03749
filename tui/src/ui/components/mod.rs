//! The dashboard's components. Each draws one part of the screen from the
//! [`App`] state; [`draw`] lays them out.

pub mod detail;
pub mod header;
pub mod help;
pub mod hex;
pub mod stats;
pub mod tables;
pub mod traffic;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::{App, Mode, Pane, View};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    let banner_height = app
        .banner
        .as_ref()
        .map(|text| banner_height(text, area.width))
        .unwrap_or(0);
    let footer_height = if app.mode == Mode::Filter { 2 } else { 1 };
    let [header, banner, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(banner_height),
        Constraint::Min(3),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    header::render(frame, header, app);
    if let Some(text) = &app.banner {
        let paragraph = Paragraph::new(text.as_str())
            .wrap(Wrap { trim: true })
            .style(Style::new().fg(Color::Yellow))
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(Style::new().fg(Color::Yellow))
                    .title(" no live traffic "),
            );
        frame.render_widget(paragraph, banner);
    }
    app.areas = Default::default();
    match app.view {
        View::Traffic => {
            let [list, bottom] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            let [detail, hex] = if bottom.width >= 120 {
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(bottom)
            } else {
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(bottom)
            };
            traffic::render(frame, list, app);
            detail::render(frame, detail, app);
            hex::render(frame, hex, app);
        }
        View::Ports => tables::render_ports(frame, body, app),
        View::Groups => tables::render_groups(frame, body, app),
        View::Stats => stats::render(frame, body, app),
    }
    header::render_footer(frame, footer, app);
    if app.mode == Mode::Help {
        help::render(frame, area);
    }
    crate::ui::inject::render(frame, area, app);
}

fn banner_height(text: &str, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let lines: usize = text
        .lines()
        .map(|line| line.chars().count().div_ceil(inner).max(1))
        .sum();
    (lines as u16 + 2).min(8)
}

/// A bordered block, highlighted when its pane has the focus.
pub fn pane_block<'a>(title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    let block = Block::new().borders(Borders::ALL).title(title.into());
    if focused {
        block
            .border_type(BorderType::Thick)
            .border_style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
    } else {
        block.border_style(Style::new().fg(Color::DarkGray))
    }
}

/// How the `cut` mark of a cut message stands out (the list, the header).
pub fn cut_style() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// True when `pane` has the focus in the traffic view.
pub fn focused(app: &App, pane: Pane) -> bool {
    app.mode == Mode::Normal && app.pane == pane
}

/// A rectangle centered in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
