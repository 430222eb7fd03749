//! `nlscope agent`: headless capture served over a socket (see [`protocol`]),
//! and [`remote::RemoteSource`], the capture source that reads it.
//!
//! The agent never stalls its capture for a client: each client has a bounded
//! queue, and a client that reads too slowly misses batches and is told how
//! many messages it missed. A client that connects late first gets the newest
//! messages the agent kept.
//!
//! With `--allow-send` a client may also have the agent send a message from
//! its machine (a `SendRequest`, see [`protocol`]): each connection's reader
//! parses what the client sends, checks it as `nlscope send` would, runs the
//! send on a thread of its own, and queues the reply for that client alone.
//! Sends are never taken on a TCP address that is not loopback, and every
//! request is logged to stderr with who sent it.

pub mod command;
pub mod protocol;
pub mod remote;

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::capture::{CaptureSource, CaptureSummary, StopSignal};
use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;
use crate::runtime::{pump, Consumer, Flow};
use protocol::{
    encode, Frame, FrameError, FrameReader, FrameType, Hello, Lost, SendReply, SendRequest,
};

/// Messages kept for clients that connect late.
pub const DEFAULT_BACKLOG: usize = 10_000;
/// Frames queued per client before it starts missing batches.
const CLIENT_QUEUE: usize = 256;
/// Sends one connection may have running at once; more are refused.
const SENDS_IN_FLIGHT: usize = 4;
/// What a send request gets when the agent runs without `--allow-send`.
pub const SENDS_OFF: &str = "the agent does not allow sends (start it with --allow-send)";

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
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_write_timeout(timeout),
            Stream::Tcp(s) => s.set_write_timeout(timeout),
            Stream::Device(_) => Ok(()),
        }
    }
    /// Ends the connection both ways (a device stays open: it has no peer to hang up on).
    pub fn shutdown(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Device(_) => Ok(()),
        };
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
    /// A virtio-serial port (and its name): "accepts" its one peer (the host) once.
    Device(std::cell::Cell<Option<std::fs::File>>, String),
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
            Address::Virtio(name) => Ok(Listener::Device(
                std::cell::Cell::new(Some(open_virtio_port(name)?)),
                name.clone(),
            )),
        }
    }

    /// The TCP address it is bound to (the port the system picked for `:0`).
    pub fn tcp_address(&self) -> Option<std::net::SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            _ => None,
        }
    }

    /// Why no client of this listener may send, whatever `--allow-send`
    /// says: a TCP address off loopback (0.0.0.0 included) is reachable
    /// from elsewhere.
    fn refuses_sends(&self) -> Option<String> {
        let Listener::Tcp(_) = self else {
            return None;
        };
        match self.tcp_address() {
            Some(address) if address.ip().is_loopback() => None,
            address => Some(format!(
                "the agent listens on tcp:{}, which is not a loopback address: it never accepts sends there (listen on a unix socket, a loopback address or virtio to send)",
                address.map_or("?".to_string(), |a| a.to_string())
            )),
        }
    }

    /// The next client and who it is (for the log), if one is waiting.
    fn accept(&self) -> std::io::Result<Option<(Stream, String)>> {
        let result = match self {
            Listener::Unix(l, _) => l.accept().map(|(s, _)| {
                let _ = s.set_nonblocking(false);
                let peer = unix_peer(&s);
                (Stream::Unix(s), peer)
            }),
            Listener::Tcp(l) => l.accept().map(|(s, from)| {
                let _ = s.set_nonblocking(false);
                let _ = s.set_nodelay(true);
                (Stream::Tcp(s), format!("tcp {from}"))
            }),
            Listener::Device(port, name) => {
                return Ok(port
                    .take()
                    .map(|file| (Stream::Device(file), format!("virtio:{name} (the host)"))))
            }
        };
        match result {
            Ok(stream) => Ok(Some(stream)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A unix socket's peer as the kernel saw it connect (SO_PEERCRED).
fn unix_peer(stream: &UnixStream) -> String {
    use std::os::fd::AsRawFd;
    let mut credentials = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `credentials`, a
    // ucred that lives for the call; the fd is the stream's own.
    let status = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut credentials as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if status == 0 {
        format!("unix uid {} pid {}", credentials.uid, credentials.pid)
    } else {
        "unix (peer unknown)".to_string()
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
    /// The writer's queue; the connection's reader holds it weakly (for
    /// send replies), so dropping the client still ends the writer.
    queue: Arc<SyncSender<Arc<Vec<u8>>>>,
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

/// How the agent serves.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Messages kept for clients that connect late.
    pub backlog: usize,
    /// `--allow-send`: clients may send (where the listener allows it).
    pub allow_send: bool,
    /// The YNL specs sends are built and their replies decoded with.
    pub specs: Arc<crate::ynl::Specs>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            backlog: DEFAULT_BACKLOG,
            allow_send: false,
            specs: crate::ynl::Specs::builtin(),
        }
    }
}

/// Whether clients of `listener` may send, or why not.
pub fn send_permission(listener: &Listener, allow_send: bool) -> Result<(), String> {
    if !allow_send {
        return Err(SENDS_OFF.into());
    }
    match listener.refuses_sends() {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// Serves `source` on `listener` until `stop` is set. The capture runs through the pump; new clients are accepted on a thread
/// of their own, each sent the hello, the backlog and then live traffic.
pub fn serve(
    source: Box<dyn CaptureSource>,
    listener: Listener,
    stop: StopSignal,
    options: ServeOptions,
) -> anyhow::Result<AgentSummary> {
    let info = source.info();
    let sends = send_permission(&listener, options.allow_send);
    let hello = Hello {
        protocol: protocol::PROTOCOL_NAME.into(),
        version: protocol::VERSION,
        source: info.kind.into(),
        detail: info.detail,
        inject: sends.is_ok(),
        inject_refused: sends.clone().err(),
    };
    let backlog_limit = options.backlog;
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
                    let (stream, peer) = match listener.accept() {
                        Ok(Some(accepted)) => accepted,
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
                        connection: Connection::new(peer, sends.clone(), options.specs.clone()),
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
    /// What its reader needs to answer send requests.
    connection: Connection,
    table: &'a crate::ports::PortTable,
    families: &'a BTreeMap<u16, Family>,
    backlog: &'a VecDeque<CapturedMessage>,
    source_lost: u64,
}

fn start_client(stream: Stream, start: ClientStart) -> Option<Client> {
    let ClientStart {
        hello,
        mut connection,
        table,
        families,
        backlog,
        source_lost,
    } = start;
    let (queue, frames) = mpsc::sync_channel::<Arc<Vec<u8>>>(CLIENT_QUEUE);
    let queue = Arc::new(queue);
    connection.queue = Arc::downgrade(&queue);
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
        .spawn(move || connection.read_requests(reader))
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
    stream.shutdown();
}

/// One client's side of the conversation: reads what it sends, answers
/// each send request on that client's queue alone.
struct Connection {
    /// Who it is, for the log: `unix uid 0 pid 12`, `tcp 127.0.0.1:4711`, ...
    peer: String,
    /// Whether it may send, or why not.
    sends: Result<(), String>,
    queue: Weak<SyncSender<Arc<Vec<u8>>>>,
    in_flight: Arc<AtomicUsize>,
    /// The YNL specs a send is built and decoded with.
    specs: Arc<crate::ynl::Specs>,
}

impl Connection {
    fn new(peer: String, sends: Result<(), String>, specs: Arc<crate::ynl::Specs>) -> Connection {
        Connection {
            peer,
            sends,
            specs,
            queue: Weak::new(),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Reads frames until the client closes or breaks the framing (a length
    /// prefix of 0 or beyond [`protocol::MAX_CLIENT_FRAME`]), which ends the
    /// connection. A virtio-serial port reads as ended while the host is
    /// not attached: it is read again a moment later.
    fn read_requests(self, mut stream: Stream) {
        let device = matches!(stream, Stream::Device(_));
        let mut frames = FrameReader::with_limit(protocol::MAX_CLIENT_FRAME);
        loop {
            match frames.next_raw(&mut stream) {
                Ok(Some(frame)) => self.handle(&frame),
                Ok(None) if device => std::thread::sleep(Duration::from_millis(100)),
                Ok(None) => return,
                Err(error) if protocol::timed_out(&error) => {}
                Err(error) => {
                    eprintln!(
                        "nlscope: agent: {}: {error:#}; {}",
                        self.peer,
                        if device {
                            "its bytes so far are dropped"
                        } else {
                            "closing the connection"
                        }
                    );
                    if !device {
                        stream.shutdown();
                        return;
                    }
                    frames = FrameReader::with_limit(protocol::MAX_CLIENT_FRAME);
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// One frame from the client (its type byte and body).
    fn handle(&self, frame: &[u8]) {
        let request = match protocol::decode(frame) {
            Ok(Frame::SendRequest(request)) => request,
            Ok(_) => {
                return self.malformed(
                    0,
                    format!(
                        "frame type {} is one the agent sends; a client sends only SendRequest (type {})",
                        frame[0],
                        FrameType::SendRequest as u8
                    ),
                )
            }
            Err(FrameError::UnknownType(kind)) => {
                return self.malformed(
                    0,
                    format!(
                        "unknown frame type {kind}: {} version {} clients send only SendRequest (type {})",
                        protocol::PROTOCOL_NAME,
                        protocol::VERSION,
                        FrameType::SendRequest as u8
                    ),
                )
            }
            Err(error) => {
                // The id, if the body has one, so the client's wait ends.
                let id = serde_json::from_slice::<serde_json::Value>(&frame[1..])
                    .ok()
                    .and_then(|body| body.get("id")?.as_u64())
                    .unwrap_or(0);
                return self.malformed(id, format!("the send request is malformed: {error}"));
            }
        };
        self.send(request);
    }

    fn malformed(&self, id: u64, why: String) {
        eprintln!("nlscope: agent: {}: {why}", self.peer);
        self.reply(&SendReply::refused(id, why));
    }

    /// Checks a request as `nlscope send` would check its command line,
    /// then sends it on a thread of its own (it waits for replies).
    fn send(&self, request: SendRequest) {
        let shown = quoted(&request.args);
        let plan = match self.check(&request.args) {
            Ok(plan) => plan,
            Err(why) => {
                eprintln!(
                    "nlscope: agent: send from {}: {shown}: refused: {why}",
                    self.peer
                );
                return self.reply(&SendReply::refused(request.id, why));
            }
        };
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= SENDS_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let why = format!(
                "{SENDS_IN_FLIGHT} sends of this connection are still running: wait for their replies"
            );
            eprintln!(
                "nlscope: agent: send from {}: {shown}: refused: {why}",
                self.peer
            );
            return self.reply(&SendReply::refused(request.id, why));
        }
        let (peer, queue, in_flight, specs) = (
            self.peer.clone(),
            self.queue.clone(),
            self.in_flight.clone(),
            self.specs.clone(),
        );
        let started = std::thread::Builder::new()
            .name("nlscope-agent-send".into())
            .spawn(move || {
                let report = crate::inject::send_collected(&plan, &specs);
                let outcome = match &report.error {
                    None => format!("ok, {} replies", report.output.matches("\nreply ").count()),
                    Some(error) => format!("failed: {error}"),
                };
                eprintln!("nlscope: agent: send from {peer}: {shown}: {outcome}");
                in_flight.fetch_sub(1, Ordering::SeqCst);
                deliver(
                    &queue,
                    &SendReply {
                        id: request.id,
                        ok: report.error.is_none(),
                        output: report.output,
                        error: report.error,
                    },
                );
            });
        if let Err(error) = started {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.reply(&SendReply::refused(
                request.id,
                format!("the agent cannot start a thread for the send: {error}"),
            ));
        }
    }

    /// The plan of a request this connection may send, or why not.
    fn check(&self, args: &[String]) -> Result<crate::inject::Plan, String> {
        self.sends.clone()?;
        if args
            .iter()
            .any(|arg| arg == "--connect" || arg.starts_with("--connect="))
        {
            return Err(
                "--connect is not relayed: the agent sends from its own machine".to_string(),
            );
        }
        let parsed = crate::inject::parse_args(args)?;
        let plan = crate::inject::Plan::resolve(&parsed, &self.specs)?;
        match &plan.risk {
            Some(reason) if !parsed.yes => Err(format!(
                "{reason}: pass --yes to send it anyway (the dashboard asks y/n first, then adds it)"
            )),
            _ => Ok(plan),
        }
    }

    fn reply(&self, reply: &SendReply) {
        deliver(&self.queue, reply);
    }
}

/// How long a reply waits for room in a client's queue before it is dropped
/// (the client stopped reading).
const REPLY_WAIT: Duration = Duration::from_secs(30);

/// Queues `reply` for its client, waiting while the queue is full; false
/// when the client is gone or never made room.
fn deliver(queue: &Weak<SyncSender<Arc<Vec<u8>>>>, reply: &SendReply) -> bool {
    let frame = Arc::new(encode(FrameType::SendReply, reply));
    let deadline = Instant::now() + REPLY_WAIT;
    loop {
        // Held only for the attempt: a client the hub dropped ends its writer.
        let Some(queue) = queue.upgrade() else {
            return false;
        };
        match queue.try_send(frame.clone()) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(_)) if Instant::now() >= deadline => return false,
            Err(TrySendError::Full(_)) => {
                drop(queue);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Arguments as one line for the log, quoted where a word needs it.
fn quoted(args: &[String]) -> String {
    args.iter()
        .map(|arg| {
            if !arg.is_empty()
                && !arg
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '\'' | '"' | '\\'))
            {
                arg.clone()
            } else {
                format!("'{}'", arg.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
pub(crate) mod tests;
