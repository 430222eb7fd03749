//! The agent on this host, fed from capture files and synthetic bursts.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::remote::{FrameReader, RemoteSource};
use super::*;
use crate::capture::file::FileSource;
use crate::capture::{
    CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal,
};
use crate::event::CapturedMessage;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/guest-capture-paths.pcapng"
);

struct Running {
    address: Address,
    stop: StopSignal,
    thread: std::thread::JoinHandle<anyhow::Result<AgentSummary>>,
    _dir: tempfile::TempDir,
}

fn start_agent(source: Box<dyn CaptureSource>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let address = Address::Unix(dir.path().join("agent.sock"));
    let listener = Listener::bind(&address).unwrap();
    let stop = StopSignal::new();
    let thread = {
        let stop = stop.clone();
        std::thread::spawn(move || serve(source, listener, stop, DEFAULT_BACKLOG))
    };
    Running {
        address,
        stop,
        thread,
        _dir: dir,
    }
}

impl Running {
    fn finish(self) -> AgentSummary {
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
    // The agent answered nothing but its own frames to the hostile client.
    garbage
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = FrameReader::default();
    let mut stream = Stream::Unix(garbage.try_clone().unwrap());
    assert!(matches!(
        reader.next(&mut stream).unwrap(),
        Some(protocol::Frame::Hello(_))
    ));
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
            Ok(Some(
                protocol::Frame::Hello(_)
                | protocol::Frame::Ports(_)
                | protocol::Frame::Families(_),
            )) => {}
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

#[test]
fn connecting_to_something_that_is_not_an_agent_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-agent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
    });
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
