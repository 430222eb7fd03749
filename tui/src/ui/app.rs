//! The App: the store, the components, and the one place state changes.
//!
//! [`App::update`] applies an [`Action`] whatever its origin (the keymap, a
//! tick, the capture source, a background task): system actions first, then
//! the keys of whatever has them ([`Mode`]), routed to the component they
//! are for. Components own their state; the App keeps what joins them (the
//! selection shown in the detail and hex panes, the focused pane, the
//! footer's news) and starts background tasks ([`crate::ui::tasks`]) for
//! what would block. After every action the layout is worked out again
//! ([`crate::ui::layout`]) and each component takes its area. Drawing is
//! [`App::render`] (in the screen module, which reads the App), from
//! `&self`.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use ratatui::layout::{Position, Rect};

use crate::capture::{IndexProgress, IndexedBatch};
use crate::event::CapturedMessage;
use crate::format::read::RecordAt;
use crate::pairing::text::answered_text;
use crate::pairing::Role;
use crate::store::filter::{self, FilterError};
use crate::store::paged::Item;
use crate::store::{Store, Stored};
use crate::ui::components::detail::DetailPane;
use crate::ui::components::hex::HexPane;
use crate::ui::components::prompt::{quick_term, ExportPrompt, FilterPrompt, PromptDone};
use crate::ui::components::tables::TableView;
use crate::ui::components::traffic::TrafficList;
use crate::ui::components::transactions::{self, TransactionList};
use crate::ui::components::Banner;
use crate::ui::data::{GroupRow, PortRow};
use crate::ui::export::ExportJob;
use crate::ui::format;
use crate::ui::inject::{self, DialogDone, InjectDialog, InjectState, Injection};
use crate::ui::layout::{self, Areas};
use crate::ui::sockets::Sockets;
use crate::ui::tasks::Tasks;

pub use crate::ui::action::{Action, Mode, Pane, PortsUpdate, SourceEnd, View};
pub use crate::ui::components::header::SourceStatus;
pub use crate::ui::export::{export_is_pcapng, ExportProgress, EXPORT_CHUNK};
pub use crate::ui::sockets::PortsOrigin;

/// How the dashboard is set up, from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the inject dialog sends: this machine, the agent the dashboard
    /// is attached to, or nowhere (`--read-only`, an agent that takes no
    /// sends), and then the dialog does not open.
    pub injection: Injection,
    /// Where the Ports and Groups views get their sockets.
    pub ports: PortsOrigin,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            injection: Injection::Local,
            ports: PortsOrigin::Traffic("the capture".into()),
        }
    }
}

/// The traffic view: the list, the detail and hex panes below it, and
/// which of them has the keys.
#[derive(Debug, Default)]
pub struct TrafficView {
    pub pane: Pane,
    pub list: TrafficList,
    pub detail: DetailPane,
    pub hex: HexPane,
}

/// Messages a filter that reads a file's bytes is tested against per frame
/// (a few milliseconds' work), so that the dashboard answers meanwhile.
pub const FILTER_STEP: usize = 4096;

/// Messages a filter on metadata alone is tested against per frame, when
/// it is tested a slice at a time because the index is partly on disk:
/// four pages read back, a few milliseconds.
pub const METADATA_FILTER_STEP: usize = 4 * crate::store::paged::PAGE;

/// Messages that wait in memory at most while the dashboard is paused.
pub const MAX_WAITING: usize = crate::store::DEFAULT_MAX_EVENTS;

pub struct App {
    pub store: Store,
    pub view: View,
    pub mode: Mode,
    pub source: SourceStatus,
    /// Why traffic is missing, and what to do (shown above every view).
    pub banner: Option<String>,
    /// One line of news for the footer (export finished, quick filter applied).
    pub status: Option<String>,
    pub should_quit: bool,
    pub paused: bool,
    /// Messages waiting while paused.
    pending: VecDeque<CapturedMessage>,
    pub traffic: TrafficView,
    pub transactions: TransactionList,
    /// When the last batch was stored, and the capture time of its newest
    /// message: the capture's clock while it is quiet, to close requests
    /// that get no reply.
    last_batch: Option<(Instant, u64)>,
    pub ports_table: TableView<PortRow>,
    pub groups_table: TableView<GroupRow>,
    pub sockets: Sockets,
    pub filter: FilterPrompt,
    pub export_prompt: ExportPrompt,
    export: Option<ExportJob>,
    pub inject: InjectState,
    /// Where everything is, for the terminal's size.
    pub areas: Areas,
    size: Rect,
    tasks: Tasks,
    /// The selected message read back whole (its bytes for the hex pane),
    /// or why it could not be.
    selected: Result<CapturedMessage, String>,
    /// How far the file being opened is indexed, while it is.
    pub indexing: Option<IndexProgress>,
}

impl App {
    /// A dashboard with the default configuration.
    pub fn new(store: Store, source: SourceStatus) -> App {
        App::with_config(store, source, Config::default())
    }

    pub fn with_config(store: Store, source: SourceStatus, config: Config) -> App {
        App {
            store,
            view: View::Traffic,
            mode: Mode::Normal,
            source,
            banner: None,
            status: None,
            should_quit: false,
            paused: false,
            pending: VecDeque::new(),
            traffic: TrafficView::default(),
            transactions: TransactionList::default(),
            last_batch: None,
            ports_table: TableView::default(),
            groups_table: TableView::default(),
            sockets: Sockets::new(config.ports),
            filter: FilterPrompt::default(),
            export_prompt: ExportPrompt::default(),
            export: None,
            inject: InjectState::new(config.injection),
            areas: Areas::default(),
            size: Rect::default(),
            tasks: Tasks::default(),
            selected: Err(String::new()),
            indexing: None,
        }
    }

    /// The one place state changes.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Tick => {
                if let Some(job) = self.export.as_mut() {
                    job.step(&self.store);
                }
                self.expire_transactions();
                if self.store.filter_progress().is_some() {
                    let step = if self.store.filter().reads_bytes() {
                        FILTER_STEP
                    } else {
                        METADATA_FILTER_STEP
                    };
                    self.store.advance_filter(step);
                    self.traffic.list.sync(&self.store);
                    self.transactions.sync(&self.store);
                }
                self.prepare();
            }
            Action::Resize { width, height } => {
                self.size = Rect::new(0, 0, width, height);
                self.relayout();
                self.prepare();
            }
            Action::Ingest(batch) => self.ingest_batch(batch),
            Action::IngestIndexed(batch) => self.ingest_indexed(batch),
            Action::Lost(total) => self.store.set_lost(total),
            Action::SourcePorts(table) => self.update_ports(PortsUpdate {
                table: Ok(*table),
                genl_families: Default::default(),
            }),
            Action::Families(families) => self.store.learn_families(families),
            Action::SourceEnded(end) => self.source_ended(end),
            Action::PortsRead(update) => self.update_ports(*update),
            Action::ExportFinished(report) => {
                if let Some(job) = self.export.take() {
                    self.status = Some(job.finished(&report));
                }
            }
            Action::InjectDone { ok, output } => {
                if let Some(dialog) = self.inject.dialog.as_mut() {
                    dialog.finished(ok, output);
                }
            }
            // Ctrl-c quits from anywhere.
            Action::Quit => self.should_quit = true,
            keys => match self.mode {
                Mode::Normal => self.update_normal(keys),
                Mode::Filter => self.update_filter(&keys),
                Mode::ExportPath => self.update_export_prompt(&keys),
                Mode::Help => self.mode = Mode::Normal,
                Mode::Inject => self.update_inject(&keys),
            },
        }
        self.relayout();
    }

    /// Takes a batch from the source (as [`Action::Ingest`]).
    pub fn ingest(&mut self, batch: Vec<CapturedMessage>) {
        self.update(Action::Ingest(batch));
    }

    /// Once per frame (as [`Action::Tick`]): advances a running export and
    /// gets the view ready to be drawn.
    pub fn tick(&mut self) {
        self.update(Action::Tick);
    }

    /// Takes a fresh read of the socket table.
    pub fn update_ports(&mut self, update: PortsUpdate) {
        self.sockets.update(update);
        self.prepare();
    }

    /// While paused, batches wait in memory, [`MAX_WAITING`] messages at
    /// most (fewer if the store keeps fewer). Past that, the oldest waiting
    /// go into the store when it keeps every message (it spills them to
    /// disk; nothing is lost, the list grows below the selection), else
    /// they are counted as evicted.
    fn ingest_batch(&mut self, batch: Vec<CapturedMessage>) {
        if self.paused {
            self.pending.extend(batch);
            let limit = self.store.capacity().min(MAX_WAITING);
            if self.pending.len() > limit {
                let extra = self.pending.len() - limit;
                let oldest: Vec<_> = self.pending.drain(..extra).collect();
                if self.store.capacity() == usize::MAX {
                    self.store_batch(oldest);
                } else {
                    self.store.add_evicted(extra as u64);
                }
            }
        } else {
            self.store_batch(batch);
        }
    }

    /// Stores a batch of a file's messages by where they are in it, and
    /// shows how far the file is indexed. Never held while paused: the file
    /// keeps them, and holding them would hold their bytes.
    fn ingest_indexed(&mut self, batch: IndexedBatch) {
        let (messages, records): (Vec<CapturedMessage>, Vec<RecordAt>) =
            batch.messages.into_iter().unzip();
        self.sockets.observe(&messages);
        self.store
            .ingest_indexed(&batch.file, messages.into_iter().zip(records));
        self.traffic.list.sync(&self.store);
        self.indexing = Some(batch.progress);
        self.show_disk_errors();
    }

    /// What the header shows of work under way over the whole capture:
    /// `indexing [###   ] 52%` (the header counts the messages), `filtering
    /// [#     ] 20% Esc stops`.
    pub fn progress_text(&self) -> Option<String> {
        if let Some((done, total)) = self.store.filter_progress() {
            return Some(format!(
                "filtering {} Esc stops",
                format::progress_bar(done, total)
            ));
        }
        let progress = self.indexing?;
        Some(format!(
            "indexing {}",
            format::progress_bar(progress.bytes_read, progress.file_size)
        ))
    }

    /// The selected message's captured bytes, as read back when it was
    /// selected (none when they could not be read).
    pub fn selected_payload(&self) -> &[u8] {
        self.selected.as_ref().map_or(&[], |m| &m.payload)
    }

    /// Counts multicasts in the group model, then stores the batch.
    fn store_batch(&mut self, batch: Vec<CapturedMessage>) {
        self.sockets.observe(&batch);
        self.store.ingest(batch);
        if let Some(newest) = self.store.newest_mono_ns() {
            self.last_batch = Some((Instant::now(), newest));
        }
        self.traffic.list.sync(&self.store);
        self.transactions.sync(&self.store);
        self.show_disk_errors();
    }

    /// A banner, once writing to disk failed: the spill (messages lose
    /// their bytes) or the index's pages (memory grows).
    fn show_disk_errors(&mut self) {
        if let (Some(why), None) = (self.store.spill_error(), &self.banner) {
            self.banner = Some(format!(
                "Spilling to disk stopped: {why}. From now on the messages past the memory \
                 budget lose their bytes (counted as evicted)."
            ));
        }
        if let (Some(why), None) = (self.store.index_error(), &self.banner) {
            self.banner = Some(format!(
                "The index cannot go to disk: {why}. It stays in memory, which now grows \
                 with the capture."
            ));
        }
    }

    /// Closes the requests of a live or remote capture that have had no
    /// reply within the timeout, by the capture's clock: the newest
    /// message's time plus the time since it came. Not while messages wait
    /// (paused: their replies may be among them), and not for a file (its
    /// end closes what is left).
    fn expire_transactions(&mut self) {
        if self.paused || !self.pending.is_empty() || self.source.kind == "file" {
            return;
        }
        if self.source.ended.is_some() {
            return;
        }
        if let Some((at, _)) = self.last_batch {
            let quiet = u64::try_from(at.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.close_quiet_requests(quiet);
        }
    }

    /// Closes the requests that had no reply within the timeout, when the
    /// capture has been quiet for `quiet_ns` since the last batch (the
    /// tick's work, with the time given).
    pub fn close_quiet_requests(&mut self, quiet_ns: u64) {
        if let Some((_, newest)) = self.last_batch {
            self.store
                .expire_transactions(newest.saturating_add(quiet_ns));
            self.transactions.sync(&self.store);
        }
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn source_ended(&mut self, end: SourceEnd) {
        self.indexing = None;
        let ended = match end {
            SourceEnd::Finished { lost } => {
                self.store.set_lost(lost);
                if self.source.kind == "file" {
                    "end of file"
                } else {
                    "ended"
                }
            }
            SourceEnd::Failed(why) => {
                self.banner = Some(format!("the source stopped: {why}"));
                "failed"
            }
            SourceEnd::Panicked => "the capture thread panicked",
        };
        self.source.ended = Some(ended.to_string());
        // Nothing more comes: what still waits has no reply.
        self.store.finish_transactions();
        self.transactions.sync(&self.store);
    }

    /// The selected message, if any.
    pub fn selected_event(&self) -> Option<Item<'_, Stored>> {
        self.traffic.list.selected_event(&self.store)
    }

    /// Rows for the Ports view.
    pub fn port_rows(&self) -> Vec<PortRow> {
        self.sockets.port_rows(&self.store)
    }

    /// Rows for the Groups view.
    pub fn group_rows(&self) -> Vec<GroupRow> {
        self.sockets.group_rows(&self.store)
    }

    /// Works the layout out again, and has each component take its area
    /// (and the detail and hex panes the selected message).
    fn relayout(&mut self) {
        let banner = Banner::height(self.banner.as_deref(), self.size.width);
        self.areas = layout::layout(self.size, banner, self.mode, self.view);
        let areas = self.areas;
        let traffic = &mut self.traffic;
        traffic.list.fit(areas.list, &self.store);
        self.transactions.fit(transactions::split(areas.table)[0]);
        let event = traffic.list.selected_event(&self.store);
        if event.as_ref().map(|e| e.seq) != traffic.detail.seq {
            self.selected = match &event {
                Some(event) => self.store.message(event).map_err(|e| e.to_string()),
                None => Err(String::new()),
            };
            traffic
                .detail
                .show(event.as_deref(), &self.selected, &self.store);
            traffic.hex.reset();
        }
        traffic.detail.fit(areas.detail);
        let len = self.selected.as_ref().map_or(0, |m| m.payload.len());
        let highlight = traffic.detail.highlighted().unwrap_or(0..0);
        traffic.hex.fit(areas.hex, len, &highlight);
        self.ports_table.fit(areas.table);
        self.groups_table.fit(areas.table);
    }

    /// Gets the current view ready to be drawn: the list's rows, the
    /// tables' rows and titles.
    fn prepare(&mut self) {
        match self.view {
            View::Traffic => self.traffic.list.prepare(&self.store),
            View::Ports => {
                let rows = self.sockets.port_rows(&self.store);
                let (title, note) = self.sockets.ports_title(rows.len());
                self.ports_table.set(rows, title, note);
            }
            View::Groups => {
                let rows = self.sockets.group_rows(&self.store);
                let title = self.sockets.groups_title(rows.len());
                self.groups_table.set(rows, title, None);
            }
            View::Transactions => self.transactions.prepare(&self.store),
            View::Stats => {}
        }
    }

    fn update_normal(&mut self, action: Action) {
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.scroll(&action),
            Action::ScrollUp { column, row } | Action::ScrollDown { column, row } => {
                if self.view == View::Traffic {
                    if let Some(pane) = self.pane_at(column, row) {
                        self.traffic.pane = pane;
                    }
                }
                self.scroll(&action);
            }
            Action::Left | Action::Right if self.traffic.pane == Pane::Detail => {
                self.traffic.detail.handle(&action);
            }
            Action::NextPane | Action::PrevPane => {
                let order = [Pane::List, Pane::Detail, Pane::Hex];
                let i = order
                    .iter()
                    .position(|p| *p == self.traffic.pane)
                    .unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { 2 };
                self.traffic.pane = order[(i + step) % 3];
            }
            Action::Toggle | Action::Jump if self.view == View::Transactions => {
                self.jump_to_request()
            }
            Action::Jump => self.jump(),
            Action::Toggle => {
                if self.traffic.pane == Pane::List {
                    self.traffic.pane = Pane::Detail;
                } else {
                    self.traffic.detail.handle(&Action::Toggle);
                }
            }
            Action::OpenFilter => {
                self.mode = Mode::Filter;
                self.filter.open(&self.store.filter().source);
            }
            // Esc stops what runs over the whole capture, an export first;
            // else (a filter's scan included) it clears the filter.
            Action::ClearFilter => match self.export.as_mut() {
                Some(job) if job.is_handing_over() => {
                    job.stop();
                    self.status = Some("stopping the export".into());
                }
                _ => {
                    let _ = self.apply_filter("");
                    self.status = Some("filter cleared".into());
                }
            },
            Action::OpenExport => {
                if self.export.is_some() {
                    self.status = Some("an export is already running".into());
                } else {
                    self.mode = Mode::ExportPath;
                    self.export_prompt.open();
                }
            }
            Action::OpenInject => self.open_inject(),
            Action::TogglePause => {
                self.paused = !self.paused;
                if !self.paused {
                    let pending: Vec<_> = self.pending.drain(..).collect();
                    self.store_batch(pending);
                }
            }
            Action::Follow if self.view == View::Transactions => {
                self.transactions.handle(&Action::Follow)
            }
            Action::Follow => self.traffic.list.handle(&Action::Follow, &self.store),
            Action::ToggleHelp => self.mode = Mode::Help,
            Action::SwitchView(view) => {
                self.view = view;
                self.ports_table.scroll = 0;
                self.groups_table.scroll = 0;
                self.relayout();
                self.prepare();
            }
            Action::QuickPort | Action::QuickProcess | Action::QuickGroup => {
                self.quick_filter(&action)
            }
            Action::Click { column, row } => self.click(column, row),
            _ => {}
        }
    }

    /// Moves whatever has the focus: the traffic view's pane, or the table.
    fn scroll(&mut self, action: &Action) {
        let traffic = &mut self.traffic;
        match self.view {
            View::Traffic => match traffic.pane {
                Pane::List => traffic.list.handle(action, &self.store),
                Pane::Detail => {
                    if traffic.detail.handle(action) {
                        if let Some(range) = traffic.detail.highlighted() {
                            traffic.hex.show_byte(range.start);
                        }
                    }
                }
                Pane::Hex => traffic.hex.handle(action),
            },
            View::Ports => self.ports_table.handle(action),
            View::Groups => self.groups_table.handle(action),
            View::Transactions => self.transactions.handle(action),
            View::Stats => {}
        }
    }

    fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let at = Position::new(column, row);
        [
            (self.areas.list, Pane::List),
            (self.areas.detail, Pane::Detail),
            (self.areas.hex, Pane::Hex),
        ]
        .into_iter()
        .find(|(area, _)| area.contains(at))
        .map(|(_, pane)| pane)
    }

    fn click(&mut self, column: u16, row: u16) {
        if self.view == View::Transactions {
            if self.transactions.area.contains(Position::new(column, row)) {
                self.transactions.click(row);
            }
            return;
        }
        if self.view != View::Traffic {
            return;
        }
        let Some(pane) = self.pane_at(column, row) else {
            return;
        };
        self.traffic.pane = pane;
        match pane {
            Pane::List => self.traffic.list.click(row, &self.store),
            Pane::Detail => self.traffic.detail.click(row),
            Pane::Hex => {}
        }
    }

    /// Sets the filter text and applies it; returns the error if it does not parse.
    pub fn apply_filter(&mut self, text: &str) -> Result<(), FilterError> {
        self.filter.input = text.to_string();
        let parsed = filter::parse(text)?;
        self.filter.error = None;
        self.store.start_filter(parsed);
        self.traffic.list.sync(&self.store);
        self.transactions.sync(&self.store);
        Ok(())
    }

    /// `r` in the traffic view: from a reply to its request, from a request
    /// to its first reply; else says why there is nowhere to go.
    fn jump(&mut self) {
        let Some(event) = self.selected_event() else {
            self.status = Some("no message selected".into());
            return;
        };
        let seq = event.seq;
        let target = match event.pairing {
            Role::Request { first, .. } => match self.store.transaction(first) {
                Some(tx) => match tx.replies.first() {
                    Some(reply) => Ok((reply, format!("the first reply of #{seq}"))),
                    None => Err(format!("#{seq} has no reply: {}", answered_text(&tx))),
                },
                None => Err(format!("#{seq}'s transaction is no longer kept")),
            },
            Role::Reply { id } => match self.store.transaction(id) {
                Some(tx) => Ok((tx.request, format!("the request of #{seq}"))),
                None => Err(format!("#{seq}'s transaction is no longer kept")),
            },
            Role::Orphan { .. } => Err(format!(
                "#{seq} is a reply no request waited for: its request came before the \
                 capture, or had closed"
            )),
            Role::Notification => Err(format!("#{seq} is a notification (a multicast), no reply")),
            Role::UnknownPorts => Err(format!(
                "#{seq}: the capture does not give its ports, so it is not paired"
            )),
            Role::Other => Err(format!("#{seq} is neither a request nor a reply")),
        };
        match target {
            Ok((target, what)) => self.select_message(target, &what),
            Err(why) => self.status = Some(why),
        }
    }

    /// Enter or `r` in the Transactions view: the selected transaction's
    /// request, in the traffic view.
    fn jump_to_request(&mut self) {
        let Some(tx) = self.transactions.selected_transaction(&self.store) else {
            self.status = Some("no transaction selected".into());
            return;
        };
        let (request, what) = (tx.request, format!("the request of transaction {}", tx.id));
        self.view = View::Traffic;
        self.traffic.pane = Pane::List;
        self.select_message(request, &what);
        self.relayout();
        self.prepare();
    }

    /// Selects stored message `seq` in the traffic list, if the filter
    /// shows it.
    fn select_message(&mut self, seq: u64, what: &str) {
        if self.store.matching_position(seq).is_ok() {
            let list = &mut self.traffic.list;
            list.follow = false;
            list.selected = Some(seq);
            list.fit(self.areas.list, &self.store);
            self.status = Some(format!("#{seq}: {what}"));
        } else if self.store.get(seq).is_some() {
            self.status = Some(format!(
                "{what} is #{seq}, which the filter hides (Esc clears it)"
            ));
        } else {
            self.status = Some(format!("{what} was #{seq}, no longer kept"));
        }
    }

    fn quick_filter(&mut self, action: &Action) {
        let term = match self.selected_event() {
            None => Err("no message selected".to_string()),
            Some(event) => quick_term(action, &event),
        };
        match term {
            Err(why) => self.status = Some(why),
            Ok(term) => {
                let current = &self.store.filter().source;
                let text = if current.is_empty() {
                    term
                } else {
                    format!("{current} {term}")
                };
                if self.apply_filter(&text).is_ok() {
                    self.status = Some(format!("filter: {text}"));
                }
            }
        }
    }

    fn update_filter(&mut self, action: &Action) {
        match self.filter.handle(action) {
            PromptDone::Open => {}
            PromptDone::Submit(text) => {
                if self.apply_filter(&text).is_ok() {
                    self.mode = Mode::Normal;
                }
            }
            PromptDone::Cancel => {
                self.filter.input = self.store.filter().source.clone();
                self.filter.error = None;
                self.mode = Mode::Normal;
            }
        }
    }

    fn update_export_prompt(&mut self, action: &Action) {
        match self.export_prompt.handle(action) {
            PromptDone::Open => {}
            PromptDone::Submit(text) => {
                self.mode = Mode::Normal;
                self.start_export(text.trim());
            }
            PromptDone::Cancel => self.mode = Mode::Normal,
        }
    }

    fn start_export(&mut self, name: &str) {
        if name.is_empty() {
            self.status = Some("export: no file name".into());
            return;
        }
        let seqs = self.store.matching_seqs().clone();
        let families = self.sockets.export_families(&self.store);
        match ExportJob::start(PathBuf::from(name), seqs, families, &mut self.tasks) {
            Ok(job) => {
                self.status = None;
                self.export = Some(job);
            }
            Err(why) => self.status = Some(why),
        }
    }

    pub fn export_progress(&self) -> Option<ExportProgress> {
        self.export.as_ref().map(ExportJob::progress)
    }

    /// Runs a started export to the end, waiting for its writer (quitting,
    /// tests; not from async code).
    pub fn finish_export(&mut self) {
        while let Some(job) = self.export.as_mut() {
            job.hand_over_all(&self.store);
            match self.tasks.wait() {
                Some(action) => self.update(action),
                None => break,
            }
        }
    }

    /// Waits for every background task to report, and applies what they
    /// report (tests, scripts; not from async code).
    pub fn settle(&mut self) {
        loop {
            if let Some(job) = self.export.as_mut() {
                job.hand_over_all(&self.store);
            }
            match self.tasks.wait() {
                Some(action) => self.update(action),
                None => break,
            }
        }
    }

    /// The next report of a background task (the event loop awaits this).
    pub async fn next_report(&mut self) -> Action {
        self.tasks.next().await
    }

    /// `i`: opens the dialog, unless injection is off.
    fn open_inject(&mut self) {
        if let Injection::Off(why) = &self.inject.injection {
            self.status = Some(why.clone());
            return;
        }
        let planner = match &self.inject.injection {
            Injection::Agent(_) => inject::Planner::ForAgent,
            _ => inject::Planner::Here(self.store.context().specs().clone()),
        };
        self.inject
            .dialog
            .get_or_insert_with(|| InjectDialog::new(planner));
        self.mode = Mode::Inject;
    }

    /// Keys while the dialog is open.
    fn update_inject(&mut self, action: &Action) {
        let Some(dialog) = self.inject.dialog.as_mut() else {
            self.mode = Mode::Normal;
            return;
        };
        match dialog.handle(action) {
            DialogDone::Open => {}
            DialogDone::Close => self.mode = Mode::Normal,
            DialogDone::Send(outgoing) => {
                let on_panic = Action::InjectDone {
                    ok: false,
                    output: "the send thread ended without a result".into(),
                };
                let injection = self.inject.injection.clone();
                let specs = self.store.context().specs().clone();
                let started = self.tasks.spawn("nlscope-inject", on_panic, move |_| {
                    let (ok, output) = inject::send(&outgoing, &injection, &specs);
                    Action::InjectDone { ok, output }
                });
                match started {
                    Ok(()) => dialog.sending(),
                    Err(why) => dialog.finished(false, format!("error: {why}\n")),
                }
            }
        }
    }
}
