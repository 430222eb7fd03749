//! `nlscope agent`: headless capture served over a socket (see [`protocol`]),
//! and [`remote::RemoteSource`], the capture source that reads it.
//!
//! The agent never stalls its capture for a client: each client has a bounded
//! queue, and a client that reads too slowly misses batches and is told how
//! many messages it missed. A client that connects late first gets the newest
//! messages the agent kept.

pub mod command;
pub mod protocol;
pub mod remote;

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

use crate::capture::{CaptureSource, CaptureSummary, StopSignal};
use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;
use crate::runtime::{pump, Consumer, Flow};
use protocol::{encode, FrameType, Hello, Lost};

/// Messages kept for clients that connect late.
pub const DEFAULT_BACKLOG: usize = 10_000;
/// Frames queued per client before it starts missing batches.
const CLIENT_QUEUE: usize = 256;

/// Where the agent listens (and a client connects).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    Unix(PathBuf),
    Tcp(String),
    /// A virtio-serial port by name (`virtio:NAME`): one client, the host.
    Virtio(String),
}

impl Address {
    /// `unix:PATH`, `tcp:HOST:PORT`, `virtio:NAME`, or a bare path.
    pub fn parse(text: &str) -> Result<Address, String> {
        if let Some(name) = text.strip_prefix("virtio:") {
            return if name.is_empty() {
                Err("virtio: needs a port name".into())
            } else {
                Ok(Address::Virtio(name.into()))
            };
        }
        if let Some(path) = text.strip_prefix("unix:") {
            return Ok(Address::Unix(PathBuf::from(path)));
        }
        if let Some(addr) = text.strip_prefix("tcp:") {
            return addr
                .parse::<std::net::SocketAddr>()
                .map(|_| Address::Tcp(addr.to_string()))
                .map_err(|e| format!("{addr:?} is not HOST:PORT: {e}"));
        }
        if text.contains('/') {
            return Ok(Address::Unix(PathBuf::from(text)));
        }
        Err(format!(
            "{text:?}: use unix:PATH, tcp:HOST:PORT or virtio:NAME"
        ))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Unix(path) => write!(f, "unix:{}", path.display()),
            Address::Tcp(addr) => write!(f, "tcp:{addr}"),
            Address::Virtio(name) => write!(f, "virtio:{name}"),
        }
    }
}

/// A connected stream of either kind.
pub enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    /// A character device (a virtio-serial port).
    Device(std::fs::File),
}

impl Stream {
    pub fn try_clone(&self) -> std::io::Result<Stream> {
        Ok(match self {
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Device(f) => Stream::Device(f.try_clone()?),
        })
    }
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_read_timeout(timeout),
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Device(_) => Ok(()),
        }
    }
    pub fn connect(address: &Address) -> std::io::Result<Stream> {
        Ok(match address {
            Address::Unix(path) => Stream::Unix(UnixStream::connect(path)?),
            Address::Tcp(addr) => Stream::Tcp(TcpStream::connect(addr)?),
            Address::Virtio(name) => Stream::Device(open_virtio_port(name)?),
        })
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
            Stream::Device(f) => f.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
            Stream::Device(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
            Stream::Device(f) => f.flush(),
        }
    }
}

/// A bound listener; the unix socket file is removed when it is dropped.
pub enum Listener {
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
    /// A virtio-serial port: "accepts" its one peer (the host) once.
    Device(std::cell::Cell<Option<std::fs::File>>),
}

/// Opens the virtio-serial port called `name` (its device node is found
/// through /sys/class/virtio-ports/*/name, so udev is not needed).
pub fn open_virtio_port(name: &str) -> std::io::Result<std::fs::File> {
    for entry in std::fs::read_dir("/sys/class/virtio-ports")? {
        let entry = entry?;
        let port_name = std::fs::read_to_string(entry.path().join("name")).unwrap_or_default();
        if port_name.trim() == name {
            let device = PathBuf::from("/dev").join(entry.file_name());
            return std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(device);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("no virtio-serial port named {name} (is virtio_console loaded?)"),
    ))
}

impl Listener {
    /// Binds `address`: a unix socket is made owner-only (0600); TCP off
    /// loopback is allowed, with a warning, because it was asked for by address.
    pub fn bind(address: &Address) -> anyhow::Result<Listener> {
        match address {
            Address::Unix(path) => {
                use std::os::unix::fs::FileTypeExt;
                if let Ok(meta) = std::fs::symlink_metadata(path) {
                    anyhow::ensure!(
                        meta.file_type().is_socket(),
                        "{} exists and is not a socket; not replacing it",
                        path.display()
                    );
                    anyhow::ensure!(
                        UnixStream::connect(path).is_err(),
                        "another agent is already listening on {}",
                        path.display()
                    );
                    std::fs::remove_file(path)?;
                }
                let listener = UnixListener::bind(path)
                    .with_context(|| format!("cannot listen on {}", path.display()))?;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                listener.set_nonblocking(true)?;
                Ok(Listener::Unix(listener, path.clone()))
            }
            Address::Tcp(addr) => {
                let listener =
                    TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
                if !listener.local_addr()?.ip().is_loopback() {
                    eprintln!("nlscope: warning: the agent listens on {addr}, beyond this machine; anyone who can reach it sees all netlink traffic");
                }
                listener.set_nonblocking(true)?;
                Ok(Listener::Tcp(listener))
            }
            Address::Virtio(name) => Ok(Listener::Device(std::cell::Cell::new(Some(
                open_virtio_port(name)?,
            )))),
        }
    }

    fn accept(&self) -> std::io::Result<Option<Stream>> {
        let result = match self {
            Listener::Unix(l, _) => l.accept().map(|(s, _)| {
                let _ = s.set_nonblocking(false);
                Stream::Unix(s)
            }),
            Listener::Tcp(l) => l.accept().map(|(s, _)| {
                let _ = s.set_nonblocking(false);
                let _ = s.set_nodelay(true);
                Stream::Tcp(s)
            }),
            Listener::Device(port) => return Ok(port.take().map(Stream::Device)),
        };
        match result {
            Ok(stream) => Ok(Some(stream)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One connected client as the hub sees it.
struct Client {
    queue: SyncSender<Arc<Vec<u8>>>,
    missed: u64,
    reported: Lost,
    /// Families frames that did not fit the queue: sent again, with every
    /// family known, before this client's next batch.
    families_behind: bool,
    writer: std::thread::JoinHandle<()>,
}

impl Client {
    /// Queues `frame`; false when it did not fit (or the client is gone).
    fn offer(&mut self, frame: &Arc<Vec<u8>>) -> bool {
        match self.queue.try_send(frame.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => false,
            Err(TrySendError::Disconnected(_)) => {
                self.missed = u64::MAX;
                false
            }
        }
    }

    /// Catches up on families first, so no batch overtakes the families it
    /// uses; false when the client is still behind.
    fn catch_up_families(&mut self, families: &BTreeMap<u16, Family>) -> bool {
        if self.families_behind {
            let known: Vec<&Family> = families.values().collect();
            self.families_behind = !self.offer(&Arc::new(encode(FrameType::Families, &known)));
        }
        !self.families_behind
    }
}

/// What the agent reports when it stops.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AgentSummary {
    pub capture: CaptureSummary,
    pub clients_served: u64,
}

/// What the capture and the accepting thread share: the clients, the
/// backlog a late client is sent first, and the source's losses.
struct Hub {
    clients: Vec<Client>,
    /// Every generic netlink family the source named, sent to a client
    /// before the backlog.
    families: BTreeMap<u16, Family>,
    backlog: VecDeque<CapturedMessage>,
    backlog_limit: usize,
    source_lost: u64,
    served: u64,
}

impl Hub {
    /// Drops clients that went away and tells the others what changed.
    fn report_losses(&mut self) {
        self.clients.retain(|client| client.missed != u64::MAX);
        for client in &mut self.clients {
            let now = Lost {
                source_lost: self.source_lost,
                client_missed: client.missed,
            };
            if now != client.reported {
                let frame = Arc::new(encode(FrameType::Lost, &now));
                match client.queue.try_send(frame) {
                    Ok(()) => client.reported = now,
                    Err(TrySendError::Full(_)) => {}
                    Err(TrySendError::Disconnected(_)) => client.missed = u64::MAX,
                }
            }
        }
    }
}

/// The agent's side of the pump: each batch to every client's queue (a full
/// queue counts as missed for that client, never a stall) and the backlog.
struct HubConsumer(Arc<Mutex<Hub>>);

impl HubConsumer {
    fn hub(&self) -> std::sync::MutexGuard<'_, Hub> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Consumer for HubConsumer {
    fn messages(&mut self, batch: Vec<CapturedMessage>) -> Flow {
        let frame = Arc::new(encode(FrameType::Messages, &batch));
        let mut guard = self.hub();
        let hub = &mut *guard;
        for client in &mut hub.clients {
            if !(client.catch_up_families(&hub.families) && client.offer(&frame))
                && client.missed != u64::MAX
            {
                client.missed += batch.len() as u64;
            }
        }
        hub.backlog.extend(batch);
        while hub.backlog.len() > hub.backlog_limit {
            hub.backlog.pop_front();
        }
        hub.report_losses();
        Flow::Continue
    }

    fn lost(&mut self, total: u64) -> Flow {
        let mut hub = self.hub();
        hub.source_lost = total;
        hub.report_losses();
        Flow::Continue
    }

    // Clients get this machine's own table at connect.

    /// Families go to every client before the messages that use them; a
    /// client whose queue is full gets them (all of them) before its next
    /// batch instead.
    fn families(&mut self, families: Vec<Family>) -> Flow {
        let frame = Arc::new(encode(FrameType::Families, &families));
        let mut guard = self.hub();
        let hub = &mut *guard;
        hub.families
            .extend(families.into_iter().map(|family| (family.id, family)));
        for client in &mut hub.clients {
            if !client.families_behind && !client.offer(&frame) {
                client.families_behind = true;
            }
        }
        hub.report_losses();
        Flow::Continue
    }
}

/// How often the accepting thread looks for a new client (and retries loss
/// reports that did not fit a client's queue).
const ACCEPT_INTERVAL: Duration = Duration::from_millis(20);

/// Serves `source` on `listener` until `stop` is set. The capture runs through the pump; new clients are accepted on a thread
/// of their own, each sent the hello, the backlog and then live traffic.
pub fn serve(
    source: Box<dyn CaptureSource>,
    listener: Listener,
    stop: StopSignal,
    backlog_limit: usize,
) -> anyhow::Result<AgentSummary> {
    let info = source.info();
    let hello = Hello {
        protocol: protocol::PROTOCOL_NAME.into(),
        version: protocol::VERSION,
        source: info.kind.into(),
        detail: info.detail,
        inject: false,
    };
    let hub = Arc::new(Mutex::new(Hub {
        clients: Vec::new(),
        families: BTreeMap::new(),
        backlog: VecDeque::new(),
        backlog_limit,
        source_lost: 0,
        served: 0,
    }));
    let acceptor = {
        let (hub, stop) = (hub.clone(), stop.clone());
        std::thread::Builder::new()
            .name("nlscope-agent-accept".into())
            .spawn(move || -> std::io::Result<()> {
                // Clients are served until the agent is stopped, also after
                // a finite source (a file) has ended: they get its backlog.
                while !stop.is_stopped() {
                    let stream = match listener.accept() {
                        Ok(Some(stream)) => stream,
                        Ok(None) => {
                            // A loss report that found a client's queue full
                            // is tried again here, also once the capture has
                            // ended, so every client learns its final count.
                            hub.lock()
                                .unwrap_or_else(|poisoned| poisoned.into_inner())
                                .report_losses();
                            std::thread::sleep(ACCEPT_INTERVAL);
                            continue;
                        }
                        Err(error) => {
                            // The agent cannot serve any more: end the capture.
                            stop.stop();
                            return Err(error);
                        }
                    };
                    // The agent machine's sockets, so a late client's Ports
                    // view is not empty; read before taking the hub, which
                    // the capture needs for every batch.
                    let table = crate::ports::PortTable::read().unwrap_or_else(|error| {
                        crate::ports::PortTable {
                            notes: vec![format!(
                                "the agent could not read its port table: {error:#}"
                            )],
                            ..Default::default()
                        }
                    });
                    let mut hub = hub.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    hub.served += 1;
                    let start = ClientStart {
                        hello: &hello,
                        table: &table,
                        families: &hub.families,
                        backlog: &hub.backlog,
                        source_lost: hub.source_lost,
                    };
                    if let Some(client) = start_client(stream, start) {
                        hub.clients.push(client);
                    }
                }
                Ok(())
            })?
    };
    let outcome = pump(source, &mut HubConsumer(hub.clone()), stop);
    let accepted = acceptor
        .join()
        .map_err(|_| anyhow::anyhow!("the accepting thread panicked"))?;
    // Closing the queues lets each writer finish what is queued; give them a
    // few seconds (a client that stopped reading must not hold the agent).
    let (writers, served) = {
        let mut hub = hub.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let clients = std::mem::take(&mut hub.clients);
        (
            clients
                .into_iter()
                .map(|client| client.writer)
                .collect::<Vec<_>>(),
            hub.served,
        )
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while writers.iter().any(|w| !w.is_finished()) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    accepted.context("accepting clients")?;
    Ok(AgentSummary {
        capture: outcome.into_result()?,
        clients_served: served,
    })
}

/// What a new client is sent before live traffic.
struct ClientStart<'a> {
    hello: &'a Hello,
    table: &'a crate::ports::PortTable,
    families: &'a BTreeMap<u16, Family>,
    backlog: &'a VecDeque<CapturedMessage>,
    source_lost: u64,
}

fn start_client(stream: Stream, start: ClientStart) -> Option<Client> {
    let ClientStart {
        hello,
        table,
        families,
        backlog,
        source_lost,
    } = start;
    let (queue, frames) = mpsc::sync_channel::<Arc<Vec<u8>>>(CLIENT_QUEUE);
    let reader = stream.try_clone().ok()?;
    let mut writer = stream;
    let mut first = encode(FrameType::Hello, hello);
    first.extend(encode(FrameType::Ports, table));
    let known: Vec<&Family> = families.values().collect();
    first.extend(encode(FrameType::Families, &known));
    let kept: Vec<&CapturedMessage> = backlog.iter().collect();
    for chunk in kept.chunks(1024) {
        first.extend(encode(FrameType::Messages, &chunk));
    }
    first.extend(encode(
        FrameType::Lost,
        &Lost {
            source_lost,
            client_missed: 0,
        },
    ));
    let writer = std::thread::Builder::new()
        .name("nlscope-agent-writer".into())
        .spawn(move || write_frames(&mut writer, first, frames))
        .ok()?;
    std::thread::Builder::new()
        .name("nlscope-agent-reader".into())
        .spawn(move || discard_input(reader))
        .ok()?;
    Some(Client {
        queue,
        missed: 0,
        families_behind: false,
        reported: Lost {
            source_lost,
            client_missed: 0,
        },
        writer,
    })
}

fn write_frames(stream: &mut Stream, first: Vec<u8>, frames: Receiver<Arc<Vec<u8>>>) {
    if stream.write_all(&first).is_err() {
        return;
    }
    // Ends when the hub drops the queue (agent stopping) or the client is gone.
    while let Ok(frame) = frames.recv() {
        if stream.write_all(&frame).is_err() {
            return;
        }
    }
    let _ = stream.flush();
    let _ = match stream {
        Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
        Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        Stream::Device(_) => Ok(()),
    };
}

/// Version 1 clients send nothing: whatever arrives is read into a fixed
/// buffer and dropped, until the client closes.
fn discard_input(mut stream: Stream) {
    let mut sink = [0u8; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
