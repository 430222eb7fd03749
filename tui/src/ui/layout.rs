//! How the screen is shared: [`layout`] gives each part its area from the
//! terminal's size and what is open. The App works it out whenever either
//! changes ([`crate::ui::App::update`]), so clicks, pages and scroll windows
//! use the same areas as the frame drawn next.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::ui::action::{Mode, View};

/// Where each part of the screen is. The panes of views not shown are empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    /// The whole screen (overlays).
    pub screen: Rect,
    pub header: Rect,
    pub banner: Rect,
    /// The view's area.
    pub body: Rect,
    pub footer: Rect,
    pub list: Rect,
    pub detail: Rect,
    pub hex: Rect,
    /// The Ports or Groups table.
    pub table: Rect,
}

/// The areas for a screen of `size`.
pub fn layout(size: Rect, banner_height: u16, mode: Mode, view: View) -> Areas {
    let footer_height = if mode == Mode::Filter { 2 } else { 1 };
    let [header, banner, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(banner_height),
        Constraint::Min(3),
        Constraint::Length(footer_height),
    ])
    .areas(size);
    let mut areas = Areas {
        screen: size,
        header,
        banner,
        body,
        footer,
        ..Areas::default()
    };
    match view {
        View::Traffic => {
            let [list, bottom] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            let split = if bottom.width >= 120 { 50 } else { 45 };
            let [detail, hex] = Layout::horizontal([
                Constraint::Percentage(split),
                Constraint::Percentage(100 - split),
            ])
            .areas(bottom);
            areas.list = list;
            areas.detail = detail;
            areas.hex = hex;
        }
        View::Ports | View::Groups | View::Transactions => areas.table = body,
        View::Stats => {}
    }
    areas
}
