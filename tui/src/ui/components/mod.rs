//! The dashboard's components: each owns its state, changes it only when
//! handed an [`Action`] (or fresh data) by the App, and
//! draws itself from `&self` through [`Component::render`], with whatever
//! else it reads passed in as its `Props`. Scroll positions and visible
//! windows are worked out when the state changes (the screen tells each
//! component its area), never while drawing.
//!
//! Components know nothing of the App: they get the data they need. The
//! App composes them and routes actions; the screen lays them out.

pub mod detail;
pub mod footer;
pub mod header;
pub mod help;
pub mod hex;
pub mod prompt;
pub mod stats;
pub mod tables;
pub mod traffic;
pub mod transactions;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::action::Action;

/// A part of the screen that draws itself from its own state.
pub trait Component {
    /// What it reads, besides its own state, to draw.
    type Props<'a>;

    /// Draws into `area`. Takes `&self`: drawing changes nothing.
    fn render(&self, frame: &mut Frame, area: Rect, props: Self::Props<'_>);
}

/// The banner above every view: why there is no traffic, and what to do.
#[derive(Debug, Default)]
pub struct Banner;

impl Banner {
    /// Rows a banner of `text` takes at `width` (0 without one).
    pub fn height(text: Option<&str>, width: u16) -> u16 {
        let Some(text) = text else {
            return 0;
        };
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let lines: usize = text
            .lines()
            .map(|line| line.chars().count().div_ceil(inner).max(1))
            .sum();
        u16::try_from(lines)
            .unwrap_or(u16::MAX)
            .saturating_add(2)
            .min(8)
    }
}

impl Component for Banner {
    /// The banner's text.
    type Props<'a> = &'a str;

    fn render(&self, frame: &mut Frame, area: Rect, text: &str) {
        let paragraph = Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .style(Style::new().fg(Color::Yellow))
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(Style::new().fg(Color::Yellow))
                    .title(" no live traffic "),
            );
        frame.render_widget(paragraph, area);
    }
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

/// A table header row: bold, underlined.
pub fn header_row<'a>(cells: impl IntoIterator<Item = &'a str>) -> ratatui::widgets::Row<'a> {
    ratatui::widgets::Row::new(cells.into_iter().collect::<Vec<_>>())
        .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
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

/// How far a scrolling action moves, in rows (`page` for a page), for the
/// components that scroll; `None` for other actions.
pub fn scroll_delta(action: &Action, page: usize) -> Option<isize> {
    let page = isize::try_from(page).unwrap_or(isize::MAX);
    Some(match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::ScrollUp { .. } => -3,
        Action::ScrollDown { .. } => 3,
        _ => return None,
    })
}

/// Rows a bordered pane of `area` shows, less `chrome` (header rows), at
/// least one.
pub fn visible_rows(area: Rect, chrome: u16) -> usize {
    usize::from(area.height.saturating_sub(2 + chrome)).max(1)
}
