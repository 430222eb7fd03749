//! The `?` overlay: every key binding.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Row, Table};
use ratatui::Frame;

use crate::ui::components::centered;
use crate::ui::keys::BINDINGS;

pub fn render(frame: &mut Frame, area: Rect) {
    let rows = BINDINGS
        .iter()
        .map(|(keys, what)| Row::new(vec![keys.to_string(), what.to_string()]));
    let popup = centered(area, 78, BINDINGS.len() as u16 + 4);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Table::new(rows, [Constraint::Length(16), Constraint::Fill(1)])
            .header(Row::new(vec!["key", "does"]).style(Style::new().add_modifier(Modifier::BOLD)))
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(Style::new().fg(Color::Cyan))
                    .title(" keys (any key closes) "),
            ),
        popup,
    );
}
