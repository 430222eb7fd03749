//! nlscope: a terminal debugger for Linux netlink.
//!
//! Data flows one way: a capture source (`capture`) produces
//! [`event::CapturedMessage`]s; they are decoded, stored and shown, or written
//! out by `export`. The command-line front end lives in `cli`. Netlink's
//! numbers, header and attribute codecs, name tables and the nlctrl query
//! live in `netlink`, which everything else builds on.

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

/// Every binary linking nlscope (the `nlscope` command, tests, benchmarks)
/// allocates through mimalloc: decoding and the store make many small,
/// short-lived allocations, which it serves markedly faster than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
