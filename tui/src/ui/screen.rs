//! Drawing: [`App::render`] draws every component from `&self` into the
//! areas [`crate::ui::layout`] gave them, overlays last.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::ui::action::{Mode, Pane, View};
use crate::ui::app::App;
use crate::ui::components::footer::{Footer, FooterProps};
use crate::ui::components::header::{Header, HeaderProps};
use crate::ui::components::help::Help;
use crate::ui::components::hex::HexProps;
use crate::ui::components::stats::{StatsProps, StatsView};
use crate::ui::components::{Banner, Component};

impl App {
    /// Draws the whole screen. Changes nothing: what it draws was prepared
    /// by the last [`crate::ui::Action::Tick`] or
    /// [`crate::ui::Action::Resize`].
    pub fn render(&self, frame: &mut Frame) {
        // Should the terminal have shrunk since the last resize, nothing is
        // drawn outside it.
        let screen = frame.area();
        let fit = |area: Rect| area.intersection(screen);
        let areas = &self.areas;
        Header.render(
            frame,
            fit(areas.header),
            HeaderProps {
                view: self.view,
                paused: self.paused,
                pending: self.pending(),
                follow: self.traffic.list.follow,
                source: &self.source,
                store: &self.store,
                progress: self.progress_text().as_deref(),
            },
        );
        if let Some(text) = &self.banner {
            Banner.render(frame, fit(areas.banner), text);
        }
        match self.view {
            View::Traffic => {
                let traffic = &self.traffic;
                traffic
                    .list
                    .render(frame, fit(areas.list), self.focused(Pane::List));
                traffic
                    .detail
                    .render(frame, fit(areas.detail), self.focused(Pane::Detail));
                let highlight = traffic.detail.highlighted().unwrap_or(0..0);
                traffic.hex.render(
                    frame,
                    fit(areas.hex),
                    HexProps {
                        event: self.selected_event().as_deref(),
                        payload: self.selected_payload(),
                        highlight: &highlight,
                        focused: self.focused(Pane::Hex),
                    },
                );
            }
            View::Ports => self.ports_table.render(frame, fit(areas.table), ()),
            View::Groups => self.groups_table.render(frame, fit(areas.table), ()),
            View::Transactions => self.transactions.render(frame, fit(areas.table), ()),
            View::Stats => StatsView.render(
                frame,
                fit(areas.body),
                StatsProps {
                    stats: self.store.stats(),
                    transactions: self.store.transactions().map(|t| t.stats()),
                },
            ),
        }
        let footer = fit(areas.footer);
        match self.mode {
            Mode::Filter => self.filter.render(frame, footer, ()),
            Mode::ExportPath => self.export_prompt.render(frame, footer, ()),
            _ => Footer.render(
                frame,
                footer,
                FooterProps {
                    progress: self.export_progress().as_ref(),
                    status: self.status.as_deref(),
                },
            ),
        }
        match (self.mode, &self.inject.dialog) {
            (Mode::Help, _) => Help.render(frame, fit(areas.screen), ()),
            (Mode::Inject, Some(dialog)) => {
                dialog.render(frame, fit(areas.screen), &self.inject.injection)
            }
            _ => {}
        }
    }

    /// True when `pane` of the traffic view has the focus.
    pub fn focused(&self, pane: Pane) -> bool {
        self.mode == Mode::Normal && self.traffic.pane == pane
    }
}
