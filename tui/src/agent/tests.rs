//! The agent on this host, fed from capture files and synthetic bursts.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::protocol::FrameReader;
use super::remote::RemoteSource;
use super::*;
use crate::capture::file::FileSource;
use crate::capture::{
    CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal,
};
use crate::event::CapturedMessage;

pub(crate) const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/guest-capture-paths.pcapng"
);

pub(crate) struct Running {
    pub(crate) address: Address,
    stop: StopSignal,
    thread: std::thread::JoinHandle<anyhow::Result<AgentSummary>>,
    _dir: tempfile::TempDir,
}

fn start_agent(source: Box<dyn CaptureSource>) -> Running {
    start_agent_on(source, None, ServeOptions::default())
}

/// An agent on `listen` (default: a unix socket in a fresh directory);
/// `address` is where a client connects (for `tcp:0.0.0.0:0`, loopback and
/// the port the system picked).
pub(crate) fn start_agent_on(
    source: Box<dyn CaptureSource>,
    listen: Option<&str>,
    options: ServeOptions,
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let listen = match listen {
        Some(text) => Address::parse(text).unwrap(),
        None => Address::Unix(dir.path().join("agent.sock")),
    };
    let listener = Listener::bind(&listen).unwrap();
    let address = match listener.tcp_address() {
        Some(bound) => Address::Tcp(format!("127.0.0.1:{}", bound.port())),
        None => listen,
    };
    let stop = StopSignal::new();
    let thread = {
        let stop = stop.clone();
        std::thread::spawn(move || serve(source, listener, stop, options))
    };
    Running {
        address,
        stop,
        thread,
        _dir: dir,
    }
}

impl Running {
    pub(crate) fn finish(self) -> AgentSummary {
        self.stop.stop();
        self.thread.join().unwrap().unwrap()
    }
}

/// What a client received.
struct Received {
    messages: Vec<CapturedMessage>,
    lost: u64,
    families: Vec<Family>,
}

/// Reads from the agent until `count` messages arrived or were reported
/// missed, or 60 s passed.
fn receive(address: &Address, count: usize) -> (Vec<CapturedMessage>, u64) {
    let received = receive_all(address, count);
    (received.messages, received.lost)
}

fn receive_all(address: &Address, count: usize) -> Received {
    let source = RemoteSource::connect(address).unwrap();
    let stop = StopSignal::new();
    let (mut events, thread) = crate::capture::spawn(Box::new(source), stop.clone(), 64);
    let mut received = Received {
        messages: Vec::new(),
        lost: 0,
        families: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while received.messages.len() + (received.lost as usize) < count && Instant::now() < deadline {
        match events.try_recv() {
            Ok(SourceEvent::Messages(batch)) => received.messages.extend(batch),
            Ok(SourceEvent::Indexed(batch)) => received
                .messages
                .extend(batch.messages.into_iter().map(|(m, _)| m)),
            Ok(SourceEvent::Lost { total }) => received.lost = total,
            Ok(SourceEvent::Families(families)) => received.families.extend(families),
            Ok(SourceEvent::Ports(_)) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    stop.stop();
    drop(events);
    thread.join().unwrap().unwrap();
    received
}

#[test]
fn a_client_receives_exactly_what_the_capture_holds() {
    let expected = crate::format::read::read_capture(FIXTURE).messages;
    assert!(expected.len() > 300, "the guest fixture holds real traffic");
    let agent = start_agent(Box::new(FileSource::new(FIXTURE)));
    let Address::Unix(path) = &agent.address else {
        unreachable!()
    };
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the socket is owner-only");
    // Everything is in the agent's backlog by now or soon: late clients get it.
    std::thread::sleep(Duration::from_millis(200));
    let received = receive_all(&agent.address, expected.len());
    assert_eq!(received.lost, 0);
    assert_eq!(received.messages, expected);
    assert!(agent.finish().clients_served >= 1);
}

#[test]
fn families_the_file_names_reach_the_client_as_families_not_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genl.pcapng");
    // A generic netlink message of family 0x1d, which the file names.
    let genl = crate::store::corpus::genl_message(0x1d);
    let mut writer =
        crate::format::pcapng::PcapngWriter::new(std::fs::File::create(&path).unwrap())
            .unwrap()
            .with_genl_families([(0x1d, "nlscope_demo".to_string())]);
    writer.write(&genl).unwrap();
    drop(writer);

    let agent = start_agent(Box::new(FileSource::new(&path)));
    std::thread::sleep(Duration::from_millis(200));
    let received = receive_all(&agent.address, 1);
    assert_eq!(received.messages, vec![genl]);
    let names: Vec<(u16, String)> = received
        .families
        .into_iter()
        .map(|family| (family.id, family.name))
        .collect();
    assert_eq!(names, vec![(0x1d, "nlscope_demo".to_string())]);
    agent.finish();
}

#[test]
fn garbage_truncated_frames_and_many_short_clients_do_not_disturb_the_agent() {
    let expected = crate::format::read::read_capture(FIXTURE).messages;
    let agent = start_agent(Box::new(FileSource::new(FIXTURE)));
    let Address::Unix(path) = &agent.address else {
        unreachable!()
    };
    // A client that sends garbage, one that sends a truncated frame header,
    // and fifty that connect and leave at once.
    let mut garbage = std::os::unix::net::UnixStream::connect(path).unwrap();
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let _ = garbage.write_all(&noise);
    let mut truncated = std::os::unix::net::UnixStream::connect(path).unwrap();
    let _ = truncated.write_all(&[0, 0, 0xff, 0xff, 2, b'[']);
    for _ in 0..50 {
        drop(std::os::unix::net::UnixStream::connect(path).unwrap());
    }
    // The agent answered nothing but its own frames to the hostile client
    // (its greeting and the backlog, as far as they got), then hung up on
    // it: the noise's first four bytes are a length beyond what a client
    // may send.
    garbage
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = FrameReader::default();
    let mut stream = Stream::Unix(garbage.try_clone().unwrap());
    let ended = loop {
        match reader.next(&mut stream) {
            Ok(Some(
                protocol::Frame::Hello(_)
                | protocol::Frame::Ports(_)
                | protocol::Frame::Families(_)
                | protocol::Frame::Messages(_)
                | protocol::Frame::Lost(_),
            )) => {}
            Ok(Some(other)) => panic!("the hostile client was sent {other:?}"),
            Ok(None) => break true,
            Err(error) => break !protocol::timed_out(&error),
        }
    };
    assert!(ended, "the agent closed the hostile client's connection");
    // A well-behaved client still gets everything.
    let (all, lost) = receive(&agent.address, expected.len());
    assert_eq!(lost, 0);
    assert_eq!(all, expected);
    drop((garbage, truncated));
    assert!(agent.finish().clients_served >= 53);
}

/// Sends `batches` batches of `per_batch` messages once `go` is set.
struct Burst {
    batches: usize,
    per_batch: usize,
    go: Arc<AtomicBool>,
}

impl CaptureSource for Burst {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "test",
            detail: "burst".into(),
        }
    }
    fn run(self: Box<Self>, sink: EventSink, stop: StopSignal) -> anyhow::Result<CaptureSummary> {
        while !self.go.load(Ordering::SeqCst) && !stop.is_stopped() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut summary = CaptureSummary::default();
        for b in 0..self.batches {
            let batch: Vec<CapturedMessage> = (0..self.per_batch)
                .map(|i| CapturedMessage {
                    ts_mono_ns: (b * self.per_batch + i) as u64,
                    protocol: 2,
                    payload: vec![0x5a; 512],
                    len: 512,
                    ..Default::default()
                })
                .collect();
            summary.messages += batch.len() as u64;
            if sink.blocking_send(SourceEvent::Messages(batch)).is_err() {
                break;
            }
        }
        Ok(summary)
    }
}

#[test]
fn a_client_that_never_reads_misses_batches_and_is_told_how_many() {
    let go = Arc::new(AtomicBool::new(false));
    let (batches, per_batch) = (1_000, 50);
    let total = (batches * per_batch) as u64;
    let agent = start_agent(Box::new(Burst {
        batches,
        per_batch,
        go: go.clone(),
    }));
    let Address::Unix(path) = &agent.address else {
        unreachable!()
    };
    let mut slow = std::os::unix::net::UnixStream::connect(path).unwrap();
    let good = {
        let address = agent.address.clone();
        std::thread::spawn(move || receive(&address, total as usize))
    };
    std::thread::sleep(Duration::from_millis(300));
    go.store(true, Ordering::SeqCst);
    // The capture runs to the end although one client never reads, and the
    // reading client's messages plus what it was told it missed add up.
    let (received, good_missed) = good.join().unwrap();
    assert!(!received.is_empty());
    assert_eq!(
        received.len() as u64 + good_missed,
        total,
        "a reading client's counts add up"
    );
    // ...and when the slow client finally reads, its counts add up.
    std::thread::sleep(Duration::from_millis(200));
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut stream = Stream::Unix(slow.try_clone().unwrap());
    let mut reader = FrameReader::default();
    let (mut got, mut missed) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(60);
    while got + missed < total && Instant::now() < deadline {
        match reader.next(&mut stream) {
            Ok(Some(protocol::Frame::Messages(batch))) => got += batch.len() as u64,
            Ok(Some(protocol::Frame::Lost(lost))) => missed = lost.client_missed,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    assert!(
        missed > 0,
        "the slow client missed batches ({got} received)"
    );
    assert_eq!(
        got + missed,
        total,
        "received + reported missing = everything captured"
    );
    let summary = agent.finish();
    assert_eq!(summary.capture.messages, total);
    let _ = slow.read(&mut [0u8; 1]);
}

#[test]
fn addresses_parse_and_bad_ones_say_why() {
    assert_eq!(
        Address::parse("unix:/run/x.sock"),
        Ok(Address::Unix("/run/x.sock".into()))
    );
    assert_eq!(
        Address::parse("/tmp/a.sock"),
        Ok(Address::Unix("/tmp/a.sock".into()))
    );
    assert_eq!(
        Address::parse("tcp:127.0.0.1:7777"),
        Ok(Address::Tcp("127.0.0.1:7777".into()))
    );
    assert!(Address::parse("tcp:nonsense")
        .unwrap_err()
        .contains("HOST:PORT"));
    assert!(Address::parse("bogus").is_err());
}

/// A unix socket in `dir` whose one connection is sent `bytes`, then held
/// open until the client closes it.
fn one_answer(
    dir: &tempfile::TempDir,
    bytes: Vec<u8>,
) -> (std::path::PathBuf, std::thread::JoinHandle<()>) {
    let path = dir.path().join("server.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(&bytes);
        let _ = stream.read(&mut [0u8; 1]);
    });
    (path, server)
}

#[test]
fn connecting_to_something_that_is_not_an_agent_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (path, server) = one_answer(&dir, b"HTTP/1.1 200 OK\r\n\r\n".to_vec());
    let error = RemoteSource::connect(&Address::Unix(path))
        .err()
        .expect("must fail")
        .to_string();
    assert!(!error.is_empty());
    server.join().unwrap();
    let missing = RemoteSource::connect(&Address::Unix(dir.path().join("none")))
        .err()
        .expect("must fail");
    assert!(format!("{missing:#}").contains("cannot connect to the agent"));
}

/// Serving with `--allow-send`.
pub(crate) fn sending() -> ServeOptions {
    ServeOptions {
        allow_send: true,
        ..ServeOptions::default()
    }
}

/// A source attached to the agent at `address` and running (its events
/// dropped), until the returned guard is dropped; and its sender.
pub(crate) fn attached_sender(address: &Address) -> (remote::RemoteSender, Attached) {
    let source = RemoteSource::connect(address).unwrap();
    assert!(source.hello().inject);
    assert_eq!(source.hello().inject_refused, None);
    let sender = source.sender().unwrap();
    let stop = StopSignal::new();
    let (mut events, thread) = crate::capture::spawn(Box::new(source), stop.clone(), 64);
    let drain = std::thread::spawn(move || while events.blocking_recv().is_some() {});
    (
        sender,
        Attached {
            stop,
            threads: Some((thread, drain)),
        },
    )
}

type SourceThread = std::thread::JoinHandle<anyhow::Result<CaptureSummary>>;

pub(crate) struct Attached {
    stop: StopSignal,
    threads: Option<(SourceThread, std::thread::JoinHandle<()>)>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some((source, drain)) = self.threads.take() {
            source.join().unwrap().unwrap();
            drain.join().unwrap();
        }
    }
}

/// A client that speaks the frames itself.
struct RawClient {
    stream: Stream,
    frames: FrameReader,
}

impl RawClient {
    fn connect(address: &Address) -> RawClient {
        let stream = Stream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        RawClient {
            stream,
            frames: FrameReader::default(),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn request(&mut self, id: u64, args: &[String]) {
        let request = protocol::SendRequest {
            id,
            args: args.to_vec(),
        };
        self.write(&encode(FrameType::SendRequest, &request));
    }

    /// Every frame that arrives within `within`, or until the stream ends.
    fn frames_for(&mut self, within: Duration) -> Vec<protocol::Frame> {
        let deadline = Instant::now() + within;
        let mut frames = Vec::new();
        while Instant::now() < deadline {
            match self.frames.next(&mut self.stream) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(error) if protocol::timed_out(&error) => {}
                Err(error) => panic!("{error:#}"),
            }
        }
        frames
    }

    fn hello(&mut self) -> Hello {
        loop {
            match self.frames.next(&mut self.stream) {
                Ok(Some(protocol::Frame::Hello(hello))) => return hello,
                Err(error) if protocol::timed_out(&error) => {}
                other => panic!("no hello: {other:?}"),
            }
        }
    }

    /// The next send reply, passing over the traffic (20 s at most).
    fn reply(&mut self) -> SendReply {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match self.frames.next(&mut self.stream) {
                Ok(Some(protocol::Frame::SendReply(reply))) => return reply,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the agent closed the connection"),
                Err(error) if protocol::timed_out(&error) => {}
                Err(error) => panic!("{error:#}"),
            }
        }
        panic!("no reply within 20 s");
    }

    /// True when the agent hung up (within 10 s).
    fn closed(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.frames.next(&mut self.stream) {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(error) if protocol::timed_out(&error) => {}
                Err(_) => return true,
            }
        }
        false
    }
}

/// A NETLINK_USERSOCK socket to send to: the port, and what it received
/// within `wait` (None when nothing came).
pub(crate) struct UserSocket(netlink_sys::Socket, pub(crate) u32);

impl UserSocket {
    pub(crate) fn bind() -> UserSocket {
        use netlink_sys::{protocols::NETLINK_USERSOCK, Socket, SocketAddr};
        let mut socket = Socket::new(NETLINK_USERSOCK).unwrap();
        socket.bind(&SocketAddr::new(0, 0)).unwrap();
        let mut address = SocketAddr::new(0, 0);
        socket.get_address(&mut address).unwrap();
        socket.set_non_blocking(true).unwrap();
        let port = address.port_number();
        UserSocket(socket, port)
    }

    pub(crate) fn args(&self, text: &str) -> Vec<String> {
        ["--protocol", "usersock", "--wait", "10", "--text", text]
            .iter()
            .map(|s| s.to_string())
            .chain([format!("--to=port:{}", self.1)])
            .collect()
    }

    pub(crate) fn received(&mut self, wait: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + wait;
        loop {
            let mut buffer: Vec<u8> = Vec::with_capacity(4096);
            if self.0.recv(&mut buffer, 0).is_ok() {
                return Some(buffer[16..].to_vec());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn words(line: &[&str]) -> Vec<String> {
    line.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_send_is_refused_without_allow_send() {
    let agent = start_agent(Box::new(FileSource::new(FIXTURE)));
    let source = RemoteSource::connect(&agent.address).unwrap();
    assert!(!source.hello().inject);
    assert_eq!(source.hello().inject_refused.as_deref(), Some(SENDS_OFF));
    assert_eq!(source.sender().unwrap_err(), SENDS_OFF);
    assert_eq!(
        format!(
            "{:#}",
            source
                .send_once(&words(&["--template", "stats"]), Duration::from_secs(5))
                .unwrap_err()
        ),
        SENDS_OFF
    );
    // A client that asks anyway is refused, and nothing is sent.
    let mut receiver = UserSocket::bind();
    let mut client = RawClient::connect(&agent.address);
    client.request(3, &receiver.args("not sent"));
    assert_eq!(client.reply(), SendReply::refused(3, SENDS_OFF));
    assert_eq!(receiver.received(Duration::from_millis(300)), None);
    agent.finish();
}

#[test]
fn sends_are_refused_on_a_tcp_address_that_is_not_loopback() {
    let agent = start_agent_on(
        Box::new(FileSource::new(FIXTURE)),
        Some("tcp:0.0.0.0:0"),
        sending(),
    );
    // Connected from loopback, but the agent listens for anyone.
    let source = RemoteSource::connect(&agent.address).unwrap();
    assert!(!source.hello().inject);
    let why = source.sender().unwrap_err();
    assert!(
        why.contains("tcp:0.0.0.0:") && why.contains("not a loopback address"),
        "{why}"
    );
    let mut receiver = UserSocket::bind();
    let mut client = RawClient::connect(&agent.address);
    client.request(1, &receiver.args("not sent"));
    let reply = client.reply();
    assert!(!reply.ok);
    assert_eq!(reply.error.as_deref(), Some(why.as_str()));
    assert_eq!(receiver.received(Duration::from_millis(300)), None);
    agent.finish();

    // On loopback the same request is sent.
    let agent = start_agent_on(
        Box::new(FileSource::new(FIXTURE)),
        Some("tcp:127.0.0.1:0"),
        sending(),
    );
    let mut client = RawClient::connect(&agent.address);
    assert!(client.hello().inject);
    client.request(2, &receiver.args("sent"));
    let reply = client.reply();
    assert!(reply.ok, "{reply:?}");
    assert_eq!(receiver.received(Duration::from_secs(5)).unwrap(), b"sent");
    agent.finish();
}

#[test]
fn sends_execute_on_this_host_and_the_reply_holds_the_decoded_replies() {
    let agent = start_agent_on(Box::new(FileSource::new(FIXTURE)), None, sending());
    let (sender, attached) = attached_sender(&agent.address);

    // User to user: the agent's socket to one this test bound.
    let mut receiver = UserSocket::bind();
    let reply = sender
        .send(&receiver.args("hi there"), Duration::from_secs(20))
        .unwrap();
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.error, None);
    assert!(
        reply.output.contains(&format!("to port {}", receiver.1)),
        "{}",
        reply.output
    );
    assert!(reply.output.contains("sent 24 bytes"), "{}", reply.output);
    assert_eq!(
        receiver.received(Duration::from_secs(5)).unwrap(),
        b"hi there"
    );

    // An rtnetlink dump: the reply holds every link, decoded, to NLMSG_DONE.
    let reply = sender
        .send(&words(&["--template", "getlink"]), Duration::from_secs(20))
        .unwrap();
    assert!(reply.ok, "{reply:?}");
    let output = &reply.output;
    assert!(output.contains("type RTM_GETLINK"), "{output}");
    assert!(output.contains("reply 1: "), "{output}");
    assert!(output.contains("RTM_NEWLINK lo UP"), "{output}");
    assert!(output.contains("NLMSG_DONE"), "{output}");

    // A refusal of the receiver comes back as the error a local send gives.
    let reply = sender
        .send(
            &words(&["--protocol", "usersock", "--to", "port:3999999998"]),
            Duration::from_secs(20),
        )
        .unwrap();
    assert!(!reply.ok);
    let error = reply.error.unwrap();
    assert!(
        error.contains("no socket is bound to port 3999999998"),
        "{error}"
    );

    // Once the source stops reading, a send fails at once.
    drop(attached);
    let started = Instant::now();
    let error = sender
        .send(&receiver.args("late"), Duration::from_secs(20))
        .unwrap_err();
    assert!(format!("{error:#}").contains("is closed"), "{error:#}");
    assert!(started.elapsed() < Duration::from_secs(2));
    agent.finish();
}

#[test]
fn malformed_requests_are_answered_and_the_agent_keeps_serving() {
    let agent = start_agent_on(Box::new(FileSource::new(FIXTURE)), None, sending());
    let mut client = RawClient::connect(&agent.address);
    let frame = |kind: u8, body: &[u8]| {
        let mut frame = ((body.len() + 1) as u32).to_be_bytes().to_vec();
        frame.push(kind);
        frame.extend_from_slice(body);
        frame
    };
    let error_of = |reply: SendReply| {
        assert!(!reply.ok && reply.output.is_empty(), "{reply:?}");
        reply.error.unwrap()
    };

    client.write(&frame(6, b"{not json"));
    let reply = client.reply();
    assert_eq!(reply.id, 0);
    assert!(error_of(reply).contains("malformed"));
    // A body that is JSON with an id: the reply carries it.
    client.write(&frame(6, br#"{"id":5,"args":"--template hello"}"#));
    let reply = client.reply();
    assert_eq!(reply.id, 5);
    assert!(error_of(reply).contains("malformed"));
    client.write(&frame(9, b"{}"));
    let error = error_of(client.reply());
    assert!(error.contains("unknown frame type 9"), "{error}");
    client.write(&encode(FrameType::Lost, &Lost::default()));
    let error = error_of(client.reply());
    assert!(error.contains("one the agent sends"), "{error}");
    client.write(&frame(6, b""));
    assert!(error_of(client.reply()).contains("malformed"));

    // Arguments are checked as the command line checks them.
    for (args, expected) in [
        (&["--bogus"][..], "unexpected argument '--bogus'"),
        (&["--template", "nope"], "unknown template"),
        (&["--protocol", "route", "--type", "RTM_DELLINK"], "--yes"),
        (
            &["--connect", "unix:/x", "--template", "hello"],
            "--connect is not relayed",
        ),
    ] {
        client.request(11, &words(args));
        let reply = client.reply();
        assert_eq!(reply.id, 11);
        let error = error_of(reply);
        assert!(error.contains(expected), "{args:?}: {error}");
    }

    // The same connection still sends.
    let mut receiver = UserSocket::bind();
    client.request(12, &receiver.args("still here"));
    let reply = client.reply();
    assert!(reply.ok && reply.id == 12, "{reply:?}");
    assert_eq!(
        receiver.received(Duration::from_secs(5)).unwrap(),
        b"still here"
    );

    // A length the protocol does not allow a client ends that connection...
    client.write(&(protocol::MAX_CLIENT_FRAME + 1).to_be_bytes());
    assert!(client.closed(), "the agent hung up");
    // ...and only that one.
    let mut other = RawClient::connect(&agent.address);
    assert!(other.hello().inject);
    other.request(1, &receiver.args("after"));
    assert!(other.reply().ok);
    assert!(agent.finish().clients_served >= 2);
}

#[test]
fn an_agent_of_another_version_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let hello = serde_json::json!({
        "protocol": "nlscope-agent", "version": 1,
        "source": "live", "detail": "fentry", "inject": false
    });
    let (path, server) = one_answer(&dir, encode(FrameType::Hello, &hello));
    let error = RemoteSource::connect(&Address::Unix(path))
        .err()
        .expect("a version 1 agent is refused");
    let text = format!("{error:#}");
    assert!(
        text.contains("speaks nlscope-agent version 1")
            && text.contains("this nlscope speaks nlscope-agent version 2"),
        "{text}"
    );
    server.join().unwrap();
    // And this agent's hello names its version for a client of another.
    let agent = start_agent(Box::new(FileSource::new(FIXTURE)));
    let hello = RawClient::connect(&agent.address).hello();
    assert_eq!(
        (hello.protocol.as_str(), hello.version),
        ("nlscope-agent", 2)
    );
    agent.finish();
}

#[test]
fn a_watcher_never_gets_the_reply_meant_for_the_sender() {
    let expected = crate::format::read::read_capture(FIXTURE).messages.len();
    let agent = start_agent_on(Box::new(FileSource::new(FIXTURE)), None, sending());
    std::thread::sleep(Duration::from_millis(200));
    let mut watcher = RawClient::connect(&agent.address);
    let mut sender = RawClient::connect(&agent.address);
    let mut other = RawClient::connect(&agent.address);
    let mut receiver = UserSocket::bind();
    // Two senders with the same id at once: each gets its own answer.
    sender.request(1, &receiver.args("from the sender"));
    other.request(
        1,
        &words(&["--protocol", "usersock", "--to", "port:3999999998"]),
    );
    let reply = sender.reply();
    assert!(reply.ok, "{reply:?}");
    assert!(reply.output.contains(&format!("to port {}", receiver.1)));
    let refused = other.reply();
    assert!(!refused.ok && refused.output.contains("to port 3999999998"));
    assert!(receiver.received(Duration::from_secs(5)).is_some());

    let frames = watcher.frames_for(Duration::from_secs(2));
    let mut messages = 0;
    for frame in &frames {
        match frame {
            protocol::Frame::SendReply(reply) => panic!("the watcher got {reply:?}"),
            protocol::Frame::Messages(batch) => messages += batch.len(),
            _ => {}
        }
    }
    assert_eq!(messages, expected, "the watcher got the whole capture");
    agent.finish();
}
