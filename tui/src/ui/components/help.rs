//! The `?` overlay: every key binding, read from the keymap
//! ([`crate::ui::keymap::help_rows`]); its title says how to close it.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Row, Table};
use ratatui::Frame;

use crate::ui::components::{centered, Component};
use crate::ui::keymap;

/// The help overlay.
#[derive(Debug, Default)]
pub struct Help;

impl Component for Help {
    type Props<'a> = ();

    fn render(&self, frame: &mut Frame, area: Rect, _: ()) {
        let bindings = keymap::help_rows();
        // Borders and the header row.
        let popup = centered(area, 78, bindings.len() as u16 + 3);
        let rows = bindings
            .into_iter()
            .map(|(keys, what)| Row::new(vec![keys.to_string(), what]));
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Table::new(rows, [Constraint::Length(16), Constraint::Fill(1)])
                .header(
                    Row::new(vec!["key", "does"]).style(Style::new().add_modifier(Modifier::BOLD)),
                )
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .border_style(Style::new().fg(Color::Cyan))
                        .title(keymap::help_title()),
                ),
            popup,
        );
    }
}
