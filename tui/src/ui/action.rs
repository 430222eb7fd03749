//! What can happen to the dashboard, as plain data.
//!
//! Every change of the dashboard's state is an [`Action`] applied by
//! [`crate::ui::App::update`]: keys and mouse events (the keymap turns them
//! into actions), frame ticks and resizes, batches from the capture source,
//! and the results of background tasks (a read of the sockets, an export's
//! report). Actions carry no terminal library types, so the state machine can
//! be driven and tested without a terminal.
//!
//! This module is the dashboard's leaf: it holds the plain data actions carry
//! ([`SourceEnd`], [`PortsUpdate`], [`ExportReport`]) and imports nothing else
//! of the dashboard, so every other part may import it.

use std::collections::BTreeMap;

use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;
use crate::ports::PortTable;

/// The dashboard's screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Traffic,
    Ports,
    Groups,
    Stats,
    /// Each request with its replies.
    Transactions,
}

impl View {
    /// In the order of their number keys.
    pub const ALL: [View; 5] = [
        View::Traffic,
        View::Ports,
        View::Groups,
        View::Stats,
        View::Transactions,
    ];
    pub fn title(self) -> &'static str {
        match self {
            View::Traffic => "Traffic",
            View::Ports => "Ports",
            View::Groups => "Groups",
            View::Stats => "Stats",
            View::Transactions => "Transactions",
        }
    }
}

/// The focused pane of the traffic view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pane {
    #[default]
    List,
    Detail,
    Hex,
}

/// Which part of the dashboard the keys go to.
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

/// How the capture source ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEnd {
    /// It ran out (a file's end) or was stopped; `lost` as it counted last.
    Finished { lost: u64 },
    /// It stopped with an error.
    Failed(String),
    /// Its thread panicked.
    Panicked,
}

/// One read of this machine's sockets, made off the render path (by the
/// ports task).
#[derive(Clone, Debug, PartialEq)]
pub struct PortsUpdate {
    /// The socket table, or why it could not be read.
    pub table: Result<PortTable, String>,
    /// The kernel's generic netlink families (id -> name), for pcapng exports.
    pub genl_families: BTreeMap<u16, String>,
}

/// What an export's writer reports when it is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    pub written: u64,
    /// The error that stopped it, if one did.
    pub error: Option<String>,
}

/// Everything that can happen to the dashboard.
#[derive(Clone, Debug, PartialEq)]
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
    /// `i`: the inject dialog.
    OpenInject,
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
    /// From a message to its request, or from a request to its first
    /// reply; from a transaction to its request.
    Jump,
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
    /// Text input in the filter or export prompt or the inject dialog.
    Input(char),
    Backspace,
    Submit,
    Cancel,
    /// Tab in the inject dialog: the next example.
    NextExample,
    /// A key nothing is bound to (the inject dialog's outcome: edit again).
    OtherKey,

    /// Once per frame: background work advances and the views get ready to
    /// be drawn.
    Tick,
    /// The terminal's size.
    Resize {
        width: u16,
        height: u16,
    },

    /// A batch from the capture source, oldest first.
    Ingest(Vec<CapturedMessage>),
    /// A batch of a capture file's messages with where they are in it.
    IngestIndexed(crate::capture::IndexedBatch),
    /// The source's count of messages it lost.
    Lost(u64),
    /// The socket table the source sent (a remote agent's, of its machine).
    SourcePorts(Box<PortTable>),
    /// Generic netlink families the source named (see
    /// [`SourceEvent::Families`](crate::capture::SourceEvent::Families)).
    Families(Vec<Family>),
    /// The source stopped.
    SourceEnded(SourceEnd),

    /// A read of this machine's sockets (the ports task).
    PortsRead(Box<PortsUpdate>),
    /// The export's writer is done.
    ExportFinished(ExportReport),
    /// The inject task is done: whether it went well, and what it printed.
    InjectDone {
        ok: bool,
        output: String,
    },
}
