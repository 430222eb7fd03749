//! The dashboard's state and the one place it changes: [`App::update`] applies
//! an [`Action`]. Key and mouse events become actions in [`crate::ui::keys`];
//! components only read the state (and record where they were drawn, for mouse
//! clicks).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use ratatui::layout::Rect;

use crate::decode::{self, DecodeContext, Field};
use crate::event::{CapturedMessage, CUT_LABEL};
use crate::export::jsonl::JsonlWriter;
use crate::export::pcapng::PcapngWriter;
use crate::export::CaptureWriter;
use crate::ports::{GroupModel, PortTable};
use crate::store::filter::{self, quote, FilterError};
use crate::store::{names, Store, Stored};
use crate::ui::data::{GroupRow, PortRow};

/// Messages written per tick by a running export.
pub const EXPORT_CHUNK: usize = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Traffic,
    Ports,
    Groups,
    Stats,
}

impl View {
    pub const ALL: [View; 4] = [View::Traffic, View::Ports, View::Groups, View::Stats];
    pub fn title(self) -> &'static str {
        match self {
            View::Traffic => "Traffic",
            View::Ports => "Ports",
            View::Groups => "Groups",
            View::Stats => "Stats",
        }
    }
}

/// The focused pane of the traffic view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
    Hex,
}

/// What keys currently mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a filter after `/`.
    Filter,
    /// Typing the export file name after `e`.
    ExportPath,
    Help,
    /// The inject dialog (`i`) is open.
    Inject,
}

/// Everything that can happen to the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Collapse in the detail pane.
    Left,
    /// Expand in the detail pane.
    Right,
    NextPane,
    PrevPane,
    /// Expand or collapse the selected field.
    Toggle,
    OpenFilter,
    ClearFilter,
    OpenExport,
    TogglePause,
    Follow,
    ToggleHelp,
    SwitchView(View),
    /// Filter on the selected message's port.
    QuickPort,
    /// Filter on the selected message's process.
    QuickProcess,
    /// Filter on the selected message's multicast group.
    QuickGroup,
    ScrollUp {
        column: u16,
        row: u16,
    },
    ScrollDown {
        column: u16,
        row: u16,
    },
    Click {
        column: u16,
        row: u16,
    },
    /// `i`, and every key while the inject dialog is open.
    Inject(ratatui::crossterm::event::KeyEvent),
    /// Text input in the filter or export prompt.
    Input(char),
    Backspace,
    Submit,
    Cancel,
}

/// Where the messages come from, for the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceStatus {
    /// `live`, `file`, `none`.
    pub kind: String,
    /// Attach mode and hooks, or the file name.
    pub detail: String,
    /// Set when the source finished (`end of file`, an error).
    pub ended: Option<String>,
}

/// Where the components were drawn last frame (for mouse events).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub list: Rect,
    pub detail: Rect,
    pub hex: Rect,
    pub table: Rect,
    /// First matching index shown in the list.
    pub list_offset: usize,
    /// First detail row shown.
    pub detail_offset: usize,
}

/// One visible row of the detail tree.
#[derive(Clone, Debug)]
pub struct TreeRow<'a> {
    pub depth: usize,
    pub path: Vec<usize>,
    pub field: &'a Field,
    pub collapsed: bool,
}

/// The decoded tree of the selected message and what is open in it.
#[derive(Debug, Default)]
pub struct Detail {
    pub seq: Option<u64>,
    pub roots: Vec<Field>,
    pub collapsed: HashSet<Vec<usize>>,
    pub cursor: usize,
}

impl Detail {
    pub fn rows(&self) -> Vec<TreeRow<'_>> {
        fn walk<'a>(
            fields: &'a [Field],
            depth: usize,
            prefix: &mut Vec<usize>,
            collapsed: &HashSet<Vec<usize>>,
            out: &mut Vec<TreeRow<'a>>,
        ) {
            for (i, field) in fields.iter().enumerate() {
                prefix.push(i);
                let closed = collapsed.contains(prefix);
                out.push(TreeRow {
                    depth,
                    path: prefix.clone(),
                    field,
                    collapsed: closed,
                });
                if !closed {
                    walk(&field.children, depth + 1, prefix, collapsed, out);
                }
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        walk(&self.roots, 0, &mut Vec::new(), &self.collapsed, &mut out);
        out
    }

    /// Bytes of the field under the cursor.
    pub fn highlighted(&self) -> Option<std::ops::Range<usize>> {
        self.rows().get(self.cursor)?.field.bytes.clone()
    }
}

struct ExportJob {
    path: PathBuf,
    writer: CaptureWriter<BufWriter<File>>,
    seqs: Vec<u64>,
    next: usize,
    skipped: u64,
}

/// Where the Ports and Groups views get their sockets from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortsOrigin {
    /// This machine's socket table ([`PortTable::read`]), re-read in the
    /// background and handed over with [`App::update_ports`].
    Machine,
    /// The socket table a remote agent sent for its machine (the text names
    /// the agent); until it arrives, what the traffic implies.
    Remote(String),
    /// Only what the traffic implies; the text says where it came from
    /// (`the file x.pcapng`, `the agent at ...`).
    Traffic(String),
}

/// One read of this machine's sockets, made off the render path.
#[derive(Clone, Debug)]
pub struct PortsUpdate {
    /// The socket table, or why it could not be read.
    pub table: Result<PortTable, String>,
    /// The kernel's generic netlink families (id -> name), for pcapng exports.
    pub genl_families: BTreeMap<u16, String>,
}

impl PortsUpdate {
    /// Reads the socket table and the generic netlink families (blocking: a
    /// few netlink dumps and a scan of /proc).
    pub fn read() -> PortsUpdate {
        PortsUpdate {
            table: PortTable::read().map_err(|e| format!("{e:#}")),
            genl_families: crate::netlink::nlctrl::family_names().unwrap_or_default(),
        }
    }
}

/// The export format a file name asks for: pcapng for `.pcapng`, else JSON Lines.
pub fn export_is_pcapng(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("pcapng"))
}

/// Progress of a running export, for the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportProgress {
    pub path: PathBuf,
    pub done: usize,
    pub total: usize,
}

pub struct App {
    pub store: Store,
    pub view: View,
    pub pane: Pane,
    pub mode: Mode,
    pub source: SourceStatus,
    /// Why traffic is missing, and what to do (shown above every view).
    pub banner: Option<String>,
    /// Sequence number of the selected message.
    pub selected: Option<u64>,
    pub follow: bool,
    pub paused: bool,
    pending: VecDeque<CapturedMessage>,
    pub filter_input: String,
    pub filter_error: Option<FilterError>,
    pub export_input: String,
    export: Option<ExportJob>,
    /// One line of news for the footer (export finished, quick filter applied).
    pub status: Option<String>,
    pub detail: Detail,
    pub hex_scroll: usize,
    /// Scroll position of the Ports / Groups tables.
    pub table_scroll: usize,
    /// Rows for the Ports view; `None` derives them from traffic seen.
    pub ports: Option<Vec<PortRow>>,
    /// Rows for the Groups view; `None` derives them from the group model.
    pub groups: Option<Vec<GroupRow>>,
    /// Where Ports and Groups get their sockets.
    pub ports_origin: PortsOrigin,
    /// The last socket table read (Machine origin).
    pub port_table: Option<PortTable>,
    /// Why the last read of the socket table failed.
    pub port_error: Option<String>,
    /// Subscribers per group (from the table) and traffic per group.
    pub group_model: GroupModel,
    /// Generic netlink families the kernel reported, for pcapng exports.
    pub genl_families: BTreeMap<u16, String>,
    pub areas: Areas,
    pub should_quit: bool,
    pub inject: crate::ui::inject::InjectState,
}

impl App {
    pub fn new(store: Store, source: SourceStatus) -> App {
        App {
            store,
            view: View::Traffic,
            pane: Pane::List,
            mode: Mode::Normal,
            source,
            banner: None,
            selected: None,
            follow: true,
            paused: false,
            pending: VecDeque::new(),
            filter_input: String::new(),
            filter_error: None,
            export_input: String::new(),
            export: None,
            status: None,
            detail: Detail::default(),
            hex_scroll: 0,
            table_scroll: 0,
            ports: None,
            groups: None,
            ports_origin: PortsOrigin::Traffic("the capture".into()),
            port_table: None,
            port_error: None,
            group_model: GroupModel::default(),
            genl_families: BTreeMap::new(),
            areas: Areas::default(),
            should_quit: false,
            inject: Default::default(),
        }
    }

    /// Takes a batch from the source. While paused it waits (bounded by the
    /// store's capacity; overflow counts as evicted).
    /// The port table the source sent (a remote agent's, of its machine):
    /// the Ports and Groups views show it as they show this machine's.
    pub fn set_source_ports(&mut self, table: crate::ports::PortTable) {
        self.update_ports(PortsUpdate {
            table: Ok(table),
            genl_families: BTreeMap::new(),
        });
    }

    pub fn ingest(&mut self, batch: Vec<CapturedMessage>) {
        if self.paused {
            self.pending.extend(batch);
            let capacity = self.store.capacity();
            if self.pending.len() > capacity {
                let extra = self.pending.len() - capacity;
                self.pending.drain(..extra);
                self.store.add_evicted(extra as u64);
            }
        } else {
            self.store_batch(batch);
        }
    }

    /// Counts multicasts in the group model, then stores the batch.
    fn store_batch(&mut self, batch: Vec<CapturedMessage>) {
        for message in &batch {
            if message.dst_group != 0 {
                self.group_model.observe(message);
            }
        }
        self.store.ingest(batch);
        self.after_change();
    }

    /// Takes a fresh read of the socket table (from the background reader).
    pub fn update_ports(&mut self, update: PortsUpdate) {
        match update.table {
            Ok(table) => {
                self.group_model.update_ports(&table);
                self.port_table = Some(table);
                self.port_error = None;
            }
            Err(why) => self.port_error = Some(why),
        }
        if !update.genl_families.is_empty() {
            self.genl_families = update.genl_families;
        }
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Once per frame: advances a running export.
    pub fn tick(&mut self) {
        self.step_export();
    }

    /// Index of the selection among the matches.
    pub fn selected_index(&self) -> Option<usize> {
        let len = self.store.matching_len();
        if len == 0 {
            return None;
        }
        let seq = self.selected?;
        Some(match self.store.matching_position(seq) {
            Ok(i) => i,
            Err(i) => i.min(len - 1),
        })
    }

    pub fn selected_event(&self) -> Option<&Stored> {
        self.store.matching_at(self.selected_index()?)
    }

    fn select_index(&mut self, index: usize) {
        self.selected = self
            .store
            .matching_at(index)
            .map(|e| e.seq)
            .or(self.selected);
        self.refresh_detail();
    }

    /// Keeps the selection valid and on the newest message when following.
    fn after_change(&mut self) {
        let len = self.store.matching_len();
        if len == 0 {
            self.refresh_detail();
            return;
        }
        if self.follow || self.selected.is_none() {
            self.select_index(len - 1);
        } else if let Some(i) = self.selected_index() {
            self.select_index(i);
        }
    }

    fn refresh_detail(&mut self) {
        let seq = self.selected_event().map(|e| e.seq);
        if seq == self.detail.seq {
            return;
        }
        self.detail = Detail {
            seq,
            roots: self
                .selected_event()
                .map(|e| detail_tree(e, self.store.context()))
                .unwrap_or_default(),
            collapsed: HashSet::new(),
            cursor: 0,
        };
        self.hex_scroll = 0;
    }

    fn move_selection(&mut self, delta: isize) {
        let len = self.store.matching_len();
        if len == 0 {
            return;
        }
        let current = self.selected_index().unwrap_or(len - 1) as isize;
        let target = (current + delta).clamp(0, len as isize - 1) as usize;
        self.follow = target == len - 1 && delta > 0 && self.follow;
        self.select_index(target);
    }

    fn move_detail(&mut self, delta: isize) {
        let rows = self.detail.rows().len();
        if rows == 0 {
            return;
        }
        self.detail.cursor =
            (self.detail.cursor as isize + delta).clamp(0, rows as isize - 1) as usize;
        if let Some(range) = self.detail.highlighted() {
            self.hex_scroll = range.start / 16;
        }
    }

    fn page(&self) -> isize {
        let h = match self.pane {
            Pane::List => self.areas.list.height,
            Pane::Detail => self.areas.detail.height,
            Pane::Hex => self.areas.hex.height,
        };
        (h.saturating_sub(3) as isize).max(1)
    }

    fn scroll(&mut self, delta: isize) {
        match self.view {
            View::Traffic => match self.pane {
                Pane::List => {
                    if delta < 0 {
                        self.follow = false;
                    }
                    self.move_selection(delta)
                }
                Pane::Detail => self.move_detail(delta),
                Pane::Hex => {
                    let rows = self
                        .selected_event()
                        .map(|e| e.message.payload.len().div_ceil(16))
                        .unwrap_or(0);
                    self.hex_scroll = (self.hex_scroll as isize + delta)
                        .clamp(0, rows.saturating_sub(1) as isize)
                        as usize;
                }
            },
            View::Ports | View::Groups => {
                self.table_scroll = (self.table_scroll as isize + delta).max(0) as usize;
            }
            View::Stats => {}
        }
    }

    /// Applies the filter typed so far (if it parses) and reports errors.
    fn validate_filter(&mut self) -> bool {
        match filter::parse(&self.filter_input) {
            Ok(_) => {
                self.filter_error = None;
                true
            }
            Err(e) => {
                self.filter_error = Some(e);
                false
            }
        }
    }

    /// Sets the filter text and applies it; returns the error if it does not parse.
    pub fn apply_filter(&mut self, text: &str) -> Result<(), FilterError> {
        self.filter_input = text.to_string();
        let parsed = filter::parse(text)?;
        self.filter_error = None;
        self.store.set_filter(parsed);
        self.after_change();
        Ok(())
    }

    fn add_term(&mut self, term: String) {
        let current = self.store.filter().source.clone();
        let text = if current.is_empty() {
            term
        } else {
            format!("{current} {term}")
        };
        if self.apply_filter(&text).is_ok() {
            self.status = Some(format!("filter: {text}"));
        }
    }

    fn quick_filter(&mut self, action: &Action) {
        let Some(event) = self.selected_event() else {
            self.status = Some("no message selected".into());
            return;
        };
        let m = &event.message;
        let term = match action {
            Action::QuickPort => {
                // The user socket's port: the sender's, unless that is the kernel.
                let port = match (m.src_port, m.dst_port) {
                    (Some(src), _) if src != 0 => Some(src),
                    (_, Some(dst)) => Some(dst),
                    (src, None) => src,
                };
                let Some(port) = port else {
                    self.status = Some("the capture gives no port for the selected message".into());
                    return;
                };
                format!("proto:{} port:{port}", names::protocol_name(m.protocol))
            }
            Action::QuickProcess => {
                if !m.process_known() {
                    self.status =
                        Some("the capture names no process for the selected message".into());
                    return;
                }
                format!("pid:{} comm:{}", m.pid, quote(&m.comm))
            }
            _ => {
                if m.dst_group == 0 {
                    self.status = Some("the selected message went to no multicast group".into());
                    return;
                }
                format!(
                    "proto:{} group:{}",
                    names::protocol_name(m.protocol),
                    m.dst_group
                )
            }
        };
        self.add_term(term);
    }

    fn start_export(&mut self) {
        let path = PathBuf::from(self.export_input.trim());
        if path.as_os_str().is_empty() {
            self.status = Some("export: no file name".into());
            return;
        }
        match File::create(&path) {
            Ok(file) => {
                let out = BufWriter::new(file);
                let writer = if export_is_pcapng(&path) {
                    // Family names for Wireshark: what the kernel reported
                    // and what the stream taught the decoder.
                    let mut families = self.genl_families.clone();
                    for family in self.store.context().families() {
                        families
                            .entry(family.id)
                            .or_insert_with(|| family.name.clone());
                    }
                    match PcapngWriter::new(out) {
                        Ok(writer) => CaptureWriter::Pcapng(writer.with_genl_families(families)),
                        Err(e) => {
                            self.status =
                                Some(format!("export: cannot write {}: {e}", path.display()));
                            return;
                        }
                    }
                } else {
                    CaptureWriter::Jsonl(JsonlWriter::new(out))
                };
                let seqs: Vec<u64> = self.store.matching_seqs().iter().copied().collect();
                self.status = None;
                self.export = Some(ExportJob {
                    path,
                    writer,
                    seqs,
                    next: 0,
                    skipped: 0,
                });
            }
            Err(e) => self.status = Some(format!("export: cannot create {}: {e}", path.display())),
        }
    }

    fn step_export(&mut self) {
        let Some(job) = self.export.as_mut() else {
            return;
        };
        let end = (job.next + EXPORT_CHUNK).min(job.seqs.len());
        let mut failure = None;
        for &seq in &job.seqs[job.next..end] {
            match self.store.get(seq) {
                Some(event) => {
                    if let Err(e) = job.writer.write(&event.message) {
                        failure = Some(e);
                        break;
                    }
                }
                None => job.skipped += 1,
            }
        }
        job.next = end;
        if failure.is_none() && job.next == job.seqs.len() {
            if let Err(e) = job.writer.flush() {
                failure = Some(e);
            }
        }
        if let Some(e) = failure {
            self.status = Some(format!("export to {} failed: {e}", job.path.display()));
            self.export = None;
        } else if job.next == job.seqs.len() {
            let skipped = if job.skipped > 0 {
                format!(" ({} evicted before they were written)", job.skipped)
            } else {
                String::new()
            };
            let format = match job.writer {
                CaptureWriter::Pcapng(_) => "pcapng",
                CaptureWriter::Jsonl(_) => "JSON Lines",
            };
            self.status = Some(format!(
                "exported {} messages to {} ({format}){skipped}",
                job.writer.messages_written(),
                job.path.display()
            ));
            self.export = None;
        }
    }

    pub fn export_progress(&self) -> Option<ExportProgress> {
        self.export.as_ref().map(|job| ExportProgress {
            path: job.path.clone(),
            done: job.next,
            total: job.seqs.len(),
        })
    }

    /// Runs a started export to the end (for tests and quitting).
    pub fn finish_export(&mut self) {
        while self.export.is_some() {
            self.step_export();
        }
    }

    fn click(&mut self, column: u16, row: u16) {
        let at = ratatui::layout::Position::new(column, row);
        if self.view != View::Traffic {
            return;
        }
        if self.areas.list.contains(at) {
            self.pane = Pane::List;
            // Border and header row come first.
            let first = self.areas.list.y + 2;
            if row >= first {
                let index = self.areas.list_offset + usize::from(row - first);
                if index < self.store.matching_len() {
                    self.follow = false;
                    self.select_index(index);
                }
            }
        } else if self.areas.detail.contains(at) {
            self.pane = Pane::Detail;
            let first = self.areas.detail.y + 1;
            if row >= first {
                let index = self.areas.detail_offset + usize::from(row - first);
                if index < self.detail.rows().len() {
                    if self.detail.cursor == index {
                        self.toggle();
                    }
                    self.detail.cursor = index;
                }
            }
        } else if self.areas.hex.contains(at) {
            self.pane = Pane::Hex;
        }
    }

    fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let at = ratatui::layout::Position::new(column, row);
        [
            (self.areas.list, Pane::List),
            (self.areas.detail, Pane::Detail),
            (self.areas.hex, Pane::Hex),
        ]
        .into_iter()
        .find(|(area, _)| area.contains(at))
        .map(|(_, pane)| pane)
    }

    fn toggle(&mut self) {
        let rows = self.detail.rows();
        let Some(row) = rows.get(self.detail.cursor) else {
            return;
        };
        if row.field.children.is_empty() {
            return;
        }
        let path = row.path.clone();
        if !self.detail.collapsed.remove(&path) {
            self.detail.collapsed.insert(path);
        }
    }

    fn set_collapsed(&mut self, collapsed: bool) {
        let rows = self.detail.rows();
        let Some(row) = rows.get(self.detail.cursor) else {
            return;
        };
        if row.field.children.is_empty() {
            return;
        }
        let path = row.path.clone();
        if collapsed {
            self.detail.collapsed.insert(path);
        } else {
            self.detail.collapsed.remove(&path);
        }
    }

    /// The one place state changes.
    pub fn update(&mut self, action: Action) {
        match self.mode {
            Mode::Filter => return self.update_filter(action),
            Mode::ExportPath => return self.update_export_prompt(action),
            Mode::Help => {
                if matches!(action, Action::Quit) {
                    self.should_quit = true;
                }
                self.mode = Mode::Normal;
                return;
            }
            Mode::Inject => return self.update_inject(action),
            Mode::Normal => {}
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::Up => self.scroll(-1),
            Action::Down => self.scroll(1),
            Action::PageUp => self.scroll(-self.page()),
            Action::PageDown => self.scroll(self.page()),
            Action::Top => match (self.view, self.pane) {
                (View::Traffic, Pane::List) => {
                    self.follow = false;
                    self.select_index(0);
                }
                (View::Traffic, Pane::Detail) => self.detail.cursor = 0,
                (View::Traffic, Pane::Hex) => self.hex_scroll = 0,
                _ => self.table_scroll = 0,
            },
            Action::Bottom => match (self.view, self.pane) {
                (View::Traffic, Pane::List) => {
                    self.follow = true;
                    self.after_change();
                }
                (View::Traffic, Pane::Detail) => {
                    self.detail.cursor = self.detail.rows().len().saturating_sub(1)
                }
                (View::Traffic, Pane::Hex) => self.scroll(isize::MAX / 2),
                _ => self.table_scroll = usize::MAX / 2,
            },
            Action::Left => {
                if self.pane == Pane::Detail {
                    self.set_collapsed(true)
                }
            }
            Action::Right => {
                if self.pane == Pane::Detail {
                    self.set_collapsed(false)
                }
            }
            Action::NextPane | Action::PrevPane => {
                let order = [Pane::List, Pane::Detail, Pane::Hex];
                let i = order.iter().position(|p| *p == self.pane).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { 2 };
                self.pane = order[(i + step) % 3];
            }
            Action::Toggle => {
                if self.pane == Pane::List {
                    self.pane = Pane::Detail;
                } else {
                    self.toggle();
                }
            }
            Action::OpenFilter => {
                self.mode = Mode::Filter;
                self.filter_input = self.store.filter().source.clone();
                self.validate_filter();
            }
            Action::ClearFilter => {
                let _ = self.apply_filter("");
                self.status = Some("filter cleared".into());
            }
            Action::OpenExport => {
                if self.export.is_some() {
                    self.status = Some("an export is already running".into());
                } else {
                    self.mode = Mode::ExportPath;
                    if self.export_input.is_empty() {
                        self.export_input = default_export_name();
                    }
                }
            }
            Action::TogglePause => {
                self.paused = !self.paused;
                if !self.paused {
                    let pending: Vec<_> = self.pending.drain(..).collect();
                    self.store_batch(pending);
                }
            }
            Action::Follow => {
                self.follow = !self.follow;
                if self.follow {
                    self.after_change();
                }
            }
            Action::ToggleHelp => self.mode = Mode::Help,
            Action::SwitchView(view) => {
                self.view = view;
                self.table_scroll = 0;
            }
            Action::QuickPort | Action::QuickProcess | Action::QuickGroup => {
                self.quick_filter(&action)
            }
            Action::ScrollUp { column, row } | Action::ScrollDown { column, row } => {
                let delta = if matches!(action, Action::ScrollUp { .. }) {
                    -3
                } else {
                    3
                };
                if self.view == View::Traffic {
                    if let Some(pane) = self.pane_at(column, row) {
                        self.pane = pane;
                    }
                }
                self.scroll(delta);
            }
            Action::Click { column, row } => self.click(column, row),
            Action::Inject(_) => self.open_inject(),
            Action::Input(_) | Action::Backspace | Action::Submit | Action::Cancel => {}
        }
    }

    fn update_filter(&mut self, action: Action) {
        match action {
            Action::Input(c) => {
                self.filter_input.push(c);
                self.validate_filter();
            }
            Action::Backspace => {
                self.filter_input.pop();
                self.validate_filter();
            }
            Action::Submit => {
                let text = self.filter_input.clone();
                if self.apply_filter(&text).is_ok() {
                    self.mode = Mode::Normal;
                }
            }
            Action::Cancel => {
                self.filter_input = self.store.filter().source.clone();
                self.filter_error = None;
                self.mode = Mode::Normal;
            }
            Action::Quit => self.should_quit = true,
            _ => {}
        }
    }

    fn update_export_prompt(&mut self, action: Action) {
        match action {
            Action::Input(c) => self.export_input.push(c),
            Action::Backspace => {
                self.export_input.pop();
            }
            Action::Submit => {
                self.mode = Mode::Normal;
                self.start_export();
            }
            Action::Cancel => self.mode = Mode::Normal,
            Action::Quit => self.should_quit = true,
            _ => {}
        }
    }

    /// Rows for the Ports view: set rows, else the socket table's (with the
    /// traffic counted per port), else what the traffic implies.
    pub fn port_rows(&self) -> Vec<PortRow> {
        if let Some(rows) = &self.ports {
            return rows.clone();
        }
        match &self.port_table {
            Some(table) => PortRow::from_table(table, self.store.stats()),
            None => PortRow::from_stats(self.store.stats()),
        }
    }

    /// Rows for the Groups view: set rows, else the group model's.
    pub fn group_rows(&self) -> Vec<GroupRow> {
        if let Some(rows) = &self.groups {
            return rows.clone();
        }
        GroupRow::from_model(
            &self.group_model,
            self.port_table.is_some(),
            self.store.context(),
        )
    }
}

fn default_export_name() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("nlscope-export-{seconds}.jsonl")
}

/// The detail tree of a stored message: capture metadata, then the decoder's
/// trees.
pub fn detail_tree(event: &Stored, context: &DecodeContext) -> Vec<Field> {
    let m = &event.message;
    let result = match m.result {
        Some(r) if r < 0 => format!("{r} ({})", names::errno_name(-r)),
        Some(r) => format!("{r} bytes delivered"),
        None => "unknown".into(),
    };
    let mut capture = Field::new(
        "capture",
        format!(
            "#{} {} {}",
            event.seq,
            m.hook,
            crate::ui::format::clock(m.ts_wall_ns)
        ),
    )
    .with_children(vec![
        Field::new("time", crate::ui::format::clock(m.ts_wall_ns)),
        Field::new(
            "process",
            if m.process_known() {
                format!("{} (pid {}, tid {})", m.comm, m.pid, m.tid)
            } else {
                "?".into()
            },
        ),
        Field::new(
            "protocol",
            format!("{} ({})", names::protocol_name(m.protocol), m.protocol),
        ),
        Field::new(
            "from -> to",
            format!(
                "{} -> {}",
                crate::ui::format::endpoint(m.src_port),
                crate::ui::format::destination(m)
            ),
        ),
        Field::new("direction", m.direction().short()),
        Field::new("netns", m.netns.to_string()),
        Field::new("length", m.len.to_string()),
    ]);
    if let Some(cut) = m.cut_text() {
        capture.children.push(Field::new(CUT_LABEL, cut));
    }
    capture.children.push(Field::new("result", result));
    let mut roots = vec![capture];
    roots.extend(decode::decode(m, context).messages);
    roots
}
