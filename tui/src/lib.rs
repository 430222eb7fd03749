//! nlscope: a terminal debugger for Linux netlink.
//!
//! Data flows one way, layer by layer, and no module imports one that
//! imports it back:
//! - `netlink`: every netlink number, the header and attribute codecs, the
//!   name tables and the nlctrl query; everything else builds on it;
//! - `ynl`: the kernel's YNL specs (embedded) and any a user adds, which
//!   the decoder names families with;
//! - `event`: the captured-message model, [`event::CapturedMessage`];
//! - sources, file formats and decoding: `capture` (the one
//!   `CaptureSource` interface: live eBPF, a capture file, and
//!   `agent::remote`), `format` (capture files read and written), `decode`,
//!   `ports`, `inject`;
//! - `store`: the bounded store, filters and stats;
//! - `runtime`: the one pump from a source to a front end;
//! - front ends: `cli`, `agent`, `ui`, with `options` shared between them.

// The test corpus (tests/support/messages.rs) names the library `nlscope`,
// as the integration tests and benchmarks that share it do.
#[cfg(test)]
extern crate self as nlscope;

pub mod agent;
pub mod capture;
pub mod cli;
pub mod decode;
pub mod event;
pub mod format;
pub mod inject;
pub mod netlink;
pub mod options;
pub mod ports;
pub mod runtime;
pub mod store;
pub mod ui;
pub mod ynl;

/// Every binary linking nlscope (the `nlscope` command, tests, benchmarks)
/// allocates through mimalloc: decoding and the store make many small,
/// short-lived allocations, which it serves markedly faster than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
