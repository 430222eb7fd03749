//! Guest scenarios: each boots Debian's kernel under QEMU (see src/lib.rs).
//! None of them skips: without QEMU or the guest kernel they fail and say what
//! to install.

use nlscope_tests::run_scenario;

#[path = "../../tui/tests/support/naming.rs"]
mod naming;
#[path = "../../tui/tests/support/replies.rs"]
mod replies;

#[test]
fn seed_exchange_is_captured_end_to_end() {
    if let Err(error) = run_scenario("seed-exchange") {
        panic!("{error:#}");
    }
}

/// The Debian package's own binary (scripts/build-deb.sh, unpacked by
/// `dpkg -x` into the guest's /) records `ip link`'s traffic live: the
/// package embeds the eBPF object, and reads its demo spec by default.
#[test]
fn the_packaged_binary_records_live_traffic() {
    if let Err(error) = run_scenario("package-record") {
        panic!("{error:#}");
    }
}

#[test]
fn harness_fails_on_a_kernel_warning() {
    // run.sh exits 0 here: only the kernel's WARNING can make the run fail.
    let error = run_scenario("selftest-warning").expect_err("a kernel WARNING must fail the run");
    let text = format!("{error:#}");
    assert!(
        text.contains("WARNING") && text.contains("nlscope_demo"),
        "{text}"
    );
}

#[test]
fn harness_fails_on_a_failed_assertion() {
    let error = run_scenario("selftest-failing-assertion").expect_err("the expectation is not met");
    assert!(
        format!("{error:#}").contains("a line that is never written"),
        "{error:#}"
    );
}

#[test]
fn every_delivery_path_is_captured_once_with_fentry() {
    let run = run_scenario("capture-paths-fentry").unwrap_or_else(|error| panic!("{error:#}"));
    tshark_dissects_the_guest_capture(
        &run.results.join("capture.pcapng"),
        run.file("capture.jsonl").lines().count(),
    );
}

/// Wireshark's tshark (Debian's) reads the pcapng the guest recorded and
/// dissects it: rtnetlink message types, the generic netlink family name, and
/// nlscope's per-packet comment with process, ports and direction.
fn tshark_dissects_the_guest_capture(pcapng: &std::path::Path, jsonl_messages: usize) {
    let tshark = |args: &[&str]| naming::tshark(pcapng, args);
    let fields = tshark(&[
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "netlink.family",
        "-e",
        "netlink-route.nltype",
        "-e",
        "genl.ctrl.family_name",
        "-e",
        "frame.comment",
    ]);
    let rows: Vec<Vec<&str>> = fields
        .lines()
        .map(|line| line.split('|').collect())
        .collect();
    assert!(
        rows.len() >= jsonl_messages,
        "the pcapng ({}) holds at least what the jsonl ({jsonl_messages}) does",
        rows.len()
    );
    let has = |column: usize, value: &str| {
        rows.iter().any(|row| {
            row.get(column)
                .is_some_and(|c| c.split(',').any(|v| v == value))
        })
    };
    // RTM_GETLINK (18) and RTM_GETADDR (22) requests, RTM_NEWLINK (16) replies and notifications.
    for rtm in ["16", "18", "22"] {
        assert!(has(1, rtm), "tshark names rtnetlink type {rtm}:\n{fields}");
    }
    assert!(
        has(2, "nlctrl"),
        "tshark names the nlctrl family:\n{fields}"
    );
    let comments: Vec<&str> = rows.iter().filter_map(|row| row.get(3).copied()).collect();
    assert!(
        comments
            .iter()
            .any(|c| c.contains("comm=seed_client") && c.contains("dir=u2k sport=4242 dport=0")),
        "the demo request carries its process and ports:\n{fields}"
    );
    let verbose = tshark(&["-V"]);
    assert!(
        verbose.contains("Create network interface (16)"),
        "tshark's name for RTM_NEWLINK"
    );
    assert!(
        verbose.contains("Hello userspace"),
        "the module's reply payload"
    );
}

#[test]
fn every_delivery_path_is_captured_once_with_kprobe() {
    if let Err(error) = run_scenario("capture-paths-kprobe") {
        panic!("{error:#}");
    }
}

/// What a host client receives from the agent in the guest equals what an
/// in-guest `nlscope record` captured over the same interval. The same
/// stream goes through the dashboard's store as `nlscope --connect ADDR -w
/// FILE` keeps it (a budget small enough that it spills as it goes, its
/// index paged): on exit FILE holds every message streamed.
#[test]
fn the_guest_agent_streams_what_record_captures() {
    use nlscope::agent::remote::RemoteSource;
    use nlscope::agent::Address;
    use nlscope::capture::{CaptureSource, SourceEvent, StopSignal};
    use nlscope::event::CapturedMessage;
    use nlscope::store::spill::Spill;
    use nlscope::store::Store;
    use std::time::{Duration, Instant};

    let kept = std::env::temp_dir().join(format!("nlscope-guest-w-{}.pcapng", std::process::id()));
    let kept_path = kept.clone();
    let (sender, received) = std::sync::mpsc::channel();
    let run = nlscope_tests::boot_with_agent_socket(
        "agent-stream",
        nlscope_tests::DEFAULT_TIMEOUT,
        move |socket| {
            std::thread::spawn(move || {
                // QEMU creates the socket at start; the agent starts after boot.
                let deadline = Instant::now() + Duration::from_secs(120);
                let source = loop {
                    match RemoteSource::connect_waiting(
                        &Address::Unix(socket.clone()),
                        Duration::from_secs(180),
                    ) {
                        Ok(source) => break source,
                        Err(_) if Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(200))
                        }
                        Err(error) => panic!("{error:#}"),
                    }
                };
                let (mut events, thread) = nlscope::capture::spawn(
                    Box::new(source) as Box<dyn CaptureSource>,
                    StopSignal::new(),
                    64,
                );
                // 4 KiB of bytes held and a 1-byte index budget: spilling
                // and paging whenever they can.
                let spill = Spill::to_file(&kept_path, 4096).expect("the -w file");
                let mut store = Store::new(usize::MAX)
                    .with_index_budget(1)
                    .with_spill(spill);
                let mut messages: Vec<CapturedMessage> = Vec::new();
                while let Some(event) = events.blocking_recv() {
                    if let SourceEvent::Messages(batch) = event {
                        store.ingest(batch.clone());
                        messages.extend(batch);
                    }
                }
                let _ = thread.join();
                let written = store.write_out();
                let _ = sender.send((messages, written));
            })
        },
    )
    .unwrap_or_else(|error| panic!("{error:#}"));
    nlscope_tests::check_kernel_health(&run).unwrap();
    nlscope_tests::expect::Expectations::load("agent-stream")
        .unwrap()
        .check(&run)
        .unwrap_or_else(|e| panic!("{e:#}"));

    let (streamed, written) = received
        .recv_timeout(Duration::from_secs(60))
        .expect("the host client ended with the guest");
    assert_eq!(
        written,
        Some(Ok((kept.clone(), streamed.len() as u64))),
        "the dashboard's -w file"
    );
    let file = nlscope::format::read::read_capture(&kept);
    assert_eq!(file.error, None, "the -w file reads whole");
    assert!(
        file.messages == streamed,
        "the -w file holds {} messages, not the {} streamed",
        file.messages.len(),
        streamed.len()
    );
    let _ = std::fs::remove_file(&kept);
    eprintln!(
        "the host received {} messages from the guest's agent",
        streamed.len()
    );
    let recorded: Vec<CapturedMessage> =
        nlscope::format::jsonl::read_jsonl(&run.file("capture.jsonl")).unwrap();
    assert!(
        recorded.len() >= 10,
        "real traffic was recorded: {}",
        recorded.len()
    );
    // Each attachment stamps its own time, microseconds apart, and derives
    // wall-clock time on its own: compare everything else. The agent attached
    // first and stopped last, so the recorder's messages must appear in the
    // stream as one contiguous run, in the same order.
    let untimed = |messages: Vec<CapturedMessage>| -> Vec<CapturedMessage> {
        messages
            .into_iter()
            .map(|m| CapturedMessage {
                ts_mono_ns: 0,
                ts_wall_ns: 0,
                ..m
            })
            .collect()
    };
    let streamed = untimed(streamed);
    let recorded = untimed(recorded);
    let found = streamed
        .windows(recorded.len())
        .any(|window| window == recorded.as_slice());
    assert!(
        found,
        "the recorder's {} messages are not a contiguous run of the agent's {}:\nrecorded: {}\nstreamed: {}",
        recorded.len(),
        streamed.len(),
        serde_json::to_string(&recorded).unwrap(),
        serde_json::to_string(&streamed).unwrap()
    );
}

/// One client has the guest's agent send (the hello, the module's unicast
/// and multicast, user to user, an rtnetlink dump) while another only
/// watches: the watcher's file holds the traffic of every send.
#[test]
fn the_guest_agent_sends_for_one_client_while_another_watches() {
    if let Err(error) = run_scenario("agent-sends") {
        panic!("{error:#}");
    }
}

#[test]
fn all_six_flows_are_injected_and_captured() {
    if let Err(error) = run_scenario("inject-flows") {
        panic!("{error:#}");
    }
}

#[test]
fn the_module_survives_a_fuzz_and_its_counters_add_up() {
    let run = run_scenario("module-fuzz").unwrap_or_else(|error| panic!("{error:#}"));
    let out = run.file("fuzz.out");
    let stats = out
        .lines()
        .find(|line| line.starts_with("stats after:"))
        .unwrap_or_else(|| panic!("no stats in:\n{out}"));
    eprintln!("module-fuzz: {stats}");
}

/// One datagram of a LINKTYPE_NETLINK capture: the protocol from the
/// cooked header and the netlink bytes after it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Datagram {
    protocol: u16,
    bytes: Vec<u8>,
}

/// Every packet of a pcap or pcapng file, in file order, with its
/// captured and original lengths.
fn netlink_packets(path: &std::path::Path) -> Vec<(Datagram, u32, u32)> {
    use pcap_file::pcapng::Block;
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let datagram = |packet: &[u8]| {
        assert!(
            packet.len() >= 16,
            "{}: a packet without its cooked header",
            path.display()
        );
        assert_eq!(
            &packet[2..4],
            &824u16.to_be_bytes(),
            "ARPHRD_NETLINK in the cooked header"
        );
        Datagram {
            protocol: u16::from_be_bytes([packet[14], packet[15]]),
            bytes: packet[16..].to_vec(),
        }
    };
    let mut packets = Vec::new();
    if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut reader = pcap_file::pcapng::PcapNgReader::new(&data[..]).expect("a pcapng file");
        while let Some(block) = reader.next_block() {
            if let Block::EnhancedPacket(packet) = block.expect("a valid pcapng block") {
                packets.push((
                    datagram(&packet.data),
                    packet.data.len() as u32,
                    packet.original_len,
                ));
            }
        }
    } else {
        let mut reader = pcap_file::pcap::PcapReader::new(&data[..]).expect("a pcap file");
        assert_eq!(reader.header().datalink, pcap_file::DataLink::NETLINK);
        while let Some(packet) = reader.next_packet() {
            let packet = packet.expect("a valid pcap record");
            packets.push((
                datagram(&packet.data),
                packet.data.len() as u32,
                packet.orig_len,
            ));
        }
    }
    packets
}

/// Real clients' traffic: every datagram nlmon + tcpdump recorded between
/// the two marker links is in nlscope's pcapng byte for byte, and nothing
/// in either file is cut, though several datagrams are far over 4 KiB.
fn real_clients_match_the_nlmon_reference(scenario: &str) {
    use std::collections::HashSet;
    let run = run_scenario(scenario).unwrap_or_else(|error| panic!("{error:#}"));
    let reference = netlink_packets(&run.results.join("nlmon.pcap"));
    let captured = netlink_packets(&run.results.join("capture.pcapng"));
    let contains = |datagram: &Datagram, needle: &[u8]| {
        datagram.bytes.windows(needle.len()).any(|w| w == needle)
    };
    let begin = reference
        .iter()
        .position(|(d, _, _)| contains(d, b"nlsmarkbegin"))
        .expect("nlmon saw the first marker link");
    let end = reference
        .iter()
        .rposition(|(d, _, _)| contains(d, b"nlsmarkend"))
        .expect("nlmon saw the last marker link");
    let window = &reference[begin..=end];
    for (datagram, captured_len, original_len) in reference.iter().chain(captured.iter()) {
        assert_eq!(
            captured_len, original_len,
            "a datagram of {original_len} bytes was cut to {captured_len} (protocol {})",
            datagram.protocol
        );
    }
    let recorded: HashSet<&Datagram> = captured.iter().map(|(d, _, _)| d).collect();
    let missing: Vec<&Datagram> = window
        .iter()
        .map(|(d, _, _)| d)
        .filter(|d| !recorded.contains(d))
        .collect();
    let largest = window
        .iter()
        .map(|(d, _, _)| d.bytes.len())
        .max()
        .unwrap_or(0);
    let over_4k = window
        .iter()
        .filter(|(d, _, _)| d.bytes.len() > 4096)
        .count();
    eprintln!(
        "{scenario}: nlmon saw {} datagrams in the window ({} over 4 KiB, the largest {largest} bytes); nlscope's file holds {}; missing {}",
        window.len(),
        over_4k,
        captured.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} datagrams nlmon saw are not in nlscope's file, the first: protocol {} len {} {}",
        missing.len(),
        window.len(),
        missing[0].protocol,
        missing[0].bytes.len(),
        hex::encode(&missing[0].bytes[..missing[0].bytes.len().min(64)])
    );
    assert!(
        over_4k >= 5 && largest > 8192,
        "the clients produced big datagrams ({over_4k} over 4 KiB, the largest {largest})"
    );
    the_nlmon_capture_reads_with_its_direction(&run.results.join("nlmon.pcap"));
    naming::real_clients_are_named(&run.results.join("capture.pcapng"));
}

/// nlscope's reader on the reference file from the guest: nlmon's cooked
/// header says which kind of socket received each datagram, so requests
/// (NLM_F_REQUEST) read as u2k and everything the kernel sent as k2u,
/// never k2k, and the ports the file does not hold are unknown.
fn the_nlmon_capture_reads_with_its_direction(pcap: &std::path::Path) {
    use nlscope::event::Direction;
    let read = nlscope::format::read::read_capture(pcap);
    assert!(read.error.is_none(), "{:?}", read.error);
    let (mut requests, mut replies) = (0, 0);
    for message in &read.messages {
        let flags = message
            .payload
            .get(6..8)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        let is_request = flags & 1 != 0;
        let expected = if is_request {
            requests += 1;
            Direction::UserToKernel
        } else {
            replies += 1;
            Direction::KernelToUser
        };
        assert_eq!(
            message.direction(),
            expected,
            "protocol {} flags {flags:#x}: {}",
            message.protocol,
            hex::encode(&message.payload[..message.payload.len().min(32)])
        );
        assert_eq!(
            message.dst_port.filter(|_| is_request),
            is_request.then_some(0)
        );
    }
    eprintln!("nlmon capture: {requests} requests read as u2k, {replies} replies as k2u");
    assert!(
        requests > 10 && replies > 100,
        "{requests} requests, {replies} replies"
    );
}

#[test]
fn real_clients_are_captured_whole_with_fentry() {
    real_clients_match_the_nlmon_reference("real-clients-fentry");
}

#[test]
fn real_clients_are_captured_whole_with_kprobe() {
    real_clients_match_the_nlmon_reference("real-clients-kprobe");
}

/// Scale: 50,000 routes added with `ip -batch` and dumped with `ip route
/// show table all` while nlscope records at the default ring size: every
/// request, ack, notification and dump part is in the file (counted in the
/// guest by tests/helpers/pcapng_count.c), with nothing cut and nothing lost.
#[test]
fn fifty_thousand_routes_and_their_dump_are_captured_without_loss() {
    let run = run_scenario("route-scale").unwrap_or_else(|error| panic!("{error:#}"));
    let vars: std::collections::HashMap<String, u64> = run
        .file("vars.env")
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter_map(|(key, value)| Some((key.to_string(), value.trim().parse().ok()?)))
        .collect();
    let var = |name: &str| {
        *vars
            .get(name)
            .unwrap_or_else(|| panic!("{name} in vars.env: {vars:?}"))
    };
    let routes = var("ROUTES");
    assert_eq!(routes, 50_000);
    assert_eq!(var("REQUESTS"), routes, "every RTM_NEWROUTE request");
    assert_eq!(var("ACKS"), routes, "every ack");
    assert_eq!(
        var("NOTIFICATIONS"),
        routes,
        "every RTM_NEWROUTE notification"
    );
    assert_eq!(var("DUMPED_ROUTES"), routes, "ip printed every route");
    assert_eq!(
        var("DUMP_ROUTES"),
        var("DUMP_LINES"),
        "every route ip printed is a dump part in the file"
    );
    assert!(var("DUMP_DONE") >= 1, "the dump's NLMSG_DONE");
    assert_eq!(var("CUT"), 0, "no datagram cut");
    eprintln!("{}", run.file("rate.txt").trim());
}

#[test]
fn requests_pair_with_their_replies_on_a_real_kernel() {
    use nlscope::pairing::{pair_all_in, Outcome, PairingConfig, Role, Why};
    let run = run_scenario("transactions").unwrap_or_else(|error| panic!("{error:#}"));
    let messages = nlscope::format::jsonl::read_jsonl(&run.file("capture.jsonl")).unwrap();
    let timeout_ns = 1_000_000_000;
    // With the demo module's spec, as `nlscope decode --spec-dir` in the guest.
    let (context, errors) = nlscope::decode::DecodeContext::with_spec_dirs(&[
        nlscope_tests::workspace_root().join("kmod"),
    ]);
    assert!(errors.is_empty(), "{errors:?}");
    let paired = pair_all_in(
        &messages,
        PairingConfig {
            timeout_ns,
            ..PairingConfig::default()
        },
        context,
    );
    let txs = &paired.transactions;
    let on_port = |port: u32| {
        let found: Vec<_> = txs.iter().filter(|t| t.key.port == port).collect();
        assert_eq!(found.len(), 1, "one request from port {port}: {found:#?}");
        found[0]
    };

    // Every dump (ip's link and address dumps, the helper's) ends at its
    // NLMSG_DONE with every part in the file paired.
    let dumps: Vec<_> = txs.iter().filter(|t| t.op.ends_with(" dump")).collect();
    for op in ["RTM_GETLINK dump", "RTM_GETADDR dump"] {
        assert!(dumps.iter().any(|t| t.op == op && t.comm == "ip"), "{op}");
    }
    for dump in &dumps {
        assert_eq!(dump.outcome, Outcome::Ok, "{dump:#?}");
        let last = dump.replies.last().expect("replies");
        let kinds: Vec<u16> =
            nlscope::netlink::header::split_messages(&messages[last as usize].payload)
                .iter()
                .map(|(_, h)| h.kind)
                .collect();
        assert_eq!(
            kinds.last(),
            Some(&nlscope::netlink::NLMSG_DONE),
            "{dump:#?}"
        );
        let (datagrams, parts) = replies::replies_to(
            &messages,
            &dump.key,
            dump.request as usize + 1,
            last as usize,
        );
        let paired: Vec<usize> = dump.replies.iter().map(|seq| seq as usize).collect();
        assert_eq!(datagrams, paired, "{dump:#?}");
        assert_eq!(parts, dump.parts, "{dump:#?}");
    }

    // `ip link add ... type nlsbogus`: the extended ack's message.
    let bogus = txs
        .iter()
        .find(|t| {
            t.comm == "ip"
                && t.outcome
                    == Outcome::Error {
                        errno: libc::EOPNOTSUPP,
                    }
        })
        .expect("the bogus link's error");
    assert_eq!(bogus.op, "RTM_NEWLINK");
    assert_eq!(bogus.extack.as_deref(), Some("Unknown device type"));

    // The policy's rejection points at IFLA_IFNAME, bytes 32..61 of the
    // request (which is alone in its datagram).
    let policy = on_port(7001);
    assert_eq!(
        policy.outcome,
        Outcome::Error {
            errno: libc::ERANGE
        }
    );
    assert_eq!(
        policy.extack.as_deref(),
        Some("Attribute failed policy validation")
    );
    let offending = policy.offending.as_ref().expect("an offset");
    assert_eq!(offending.offset, 32);
    assert_eq!(
        offending.path.last().map(String::as_str),
        Some("IFLA_IFNAME")
    );
    assert_eq!(offending.bytes, Some(32..61));
    assert_eq!(policy.request_bytes, 0..64);

    // The demo family's policy refusing a value and a name: each error's
    // offset (as genl_demo read it) resolved to the attribute there, by its
    // name and its bytes in the request.
    for (port, attribute, file) in [
        (7021, "value", "demo-range.out"),
        (7022, "name", "demo-long.out"),
    ] {
        let out = run.file(file);
        let offset: u32 = out
            .split_whitespace()
            .find_map(|word| word.strip_prefix("offset=")?.parse().ok())
            .unwrap_or_else(|| panic!("an offset in {out}"));
        let tx = on_port(port);
        assert!(tx.op.starts_with("nlscope_demo "), "{tx:#?}");
        assert!(matches!(tx.outcome, Outcome::Error { .. }), "{tx:#?}");
        let offending = tx.offending.as_ref().expect("an offset");
        assert_eq!(offending.offset, offset);
        let request = &messages[tx.request as usize].payload[tx.request_bytes.clone()];
        let at = offset as usize;
        let len = usize::from(u16::from_ne_bytes([request[at], request[at + 1]]));
        let start = tx.request_bytes.start + at;
        assert_eq!(offending.bytes, Some(start..start + len), "{offending:?}");
        assert_eq!(
            offending.path.last().map(String::as_str),
            Some(attribute),
            "{offending:?}"
        );
    }

    // Without NLM_F_ACK, the link is the whole answer: one datagram.
    let noack = on_port(7002);
    assert_eq!(
        (noack.op.as_str(), &noack.outcome),
        ("RTM_GETLINK", &Outcome::Ok)
    );
    assert_eq!((noack.replies.len(), noack.parts), (1, 1));

    // Two sockets of one process, both seq 1, neither bound: each pairs
    // with its own replies.
    let two = run.file("two.out");
    let field = |name: &str| -> u32 {
        two.split_whitespace()
            .find_map(|word| word.strip_prefix(name)?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {two}"))
    };
    let (a, b) = (on_port(field("a=")), on_port(field("b=")));
    assert_eq!((a.key.seq, b.key.seq), (1, 1));
    assert_eq!((a.pid, b.pid), (field("pid="), field("pid=")));
    assert_eq!(
        (a.op.as_str(), &a.outcome),
        ("RTM_GETLINK dump", &Outcome::Ok)
    );
    assert_eq!((b.op.as_str(), &b.outcome), ("RTM_GETLINK", &Outcome::Ok));
    assert_eq!(b.replies.len(), 2, "the link, then the ACK: {b:#?}");
    for tx in [a, b] {
        for reply in tx.replies.iter() {
            assert_eq!(messages[reply as usize].dst_port, Some(tx.key.port));
        }
    }

    // The user port that never answers: no reply within the timeout.
    let silent = on_port(7004);
    assert_eq!(silent.peer, 7005);
    assert_eq!(
        silent.outcome,
        Outcome::NoReply(Why::Timeout {
            after_ns: timeout_ns
        })
    );

    // Link notifications carrying a request's seq and port came in
    // between: none is a reply.
    let echoing: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.dst_group != 0)
        .filter(|(_, m)| {
            nlscope::netlink::header::split_messages(&m.payload)
                .iter()
                .any(|(_, h)| {
                    txs.iter()
                        .any(|t| t.key.seq == h.seq && t.key.port == h.port && h.seq != 0)
                })
        })
        .map(|(seq, _)| seq)
        .collect();
    assert!(
        !echoing.is_empty(),
        "notifications with a requester's seq and port"
    );
    for seq in echoing {
        assert_eq!(paired.roles[seq], Role::Notification);
        assert!(txs.iter().all(|t| !t.replies.contains(seq as u64)));
    }
    eprintln!(
        "{} transactions, {} orphans:\n{}",
        txs.len(),
        paired.orphans.len(),
        run.file("transactions.txt")
    );
}

/// The demo module's generic netlink family (scenario `demo-genl`): besides
/// expect.json's ports, groups and results, the captured bytes themselves.
/// Every request and reply carries the family id nlctrl gave, the command
/// and version; the echo and the GET reply hold the attributes sent and
/// set; each refused SET or GET is an NLMSG_ERROR quoting the request
/// whole, with the extended ack's message, the offset of the attribute at
/// fault in that request, the policy it broke or the attribute missing; the
/// dump is one message per slot then NLMSG_DONE; the notifications go to
/// the events group as SET_NTF.
#[test]
fn the_demo_genl_family_is_captured_with_its_extended_acks() {
    use nlscope::netlink::attr::attrs;
    use nlscope::netlink::header::{parse_header, split_messages};
    use nlscope::netlink::*;
    use std::collections::HashMap;

    let run = run_scenario("demo-genl").unwrap_or_else(|error| panic!("{error:#}"));
    let vars: HashMap<String, u64> = run
        .file("vars.env")
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter_map(|(key, value)| Some((key.to_string(), value.trim().parse().ok()?)))
        .collect();
    let family = vars["FAMILY_ID"] as u16;
    let group = vars["GROUP_ID"] as u32;
    assert!(family > GENL_ID_CTRL, "a dynamic id: {family}");
    let captured = nlscope::format::jsonl::read_jsonl(&run.file("capture.jsonl")).unwrap();
    let generic = |from: u32, to: u32| -> Vec<&nlscope::event::CapturedMessage> {
        captured
            .iter()
            .filter(|m| m.protocol == NETLINK_GENERIC)
            .filter(|m| m.src_port == Some(from) && m.dst_port == Some(to) && m.dst_group == 0)
            .collect()
    };
    let one = |from: u32, to: u32| -> &nlscope::event::CapturedMessage {
        let found = generic(from, to);
        assert_eq!(found.len(), 1, "one message {from} -> {to}: {found:?}");
        found[0]
    };
    let u32_of = |value: &[u8]| u32::from_ne_bytes(value[..4].try_into().unwrap());
    // (cmd, version, attributes by type) of a message of the family.
    let genl = |payload: &[u8]| -> (u8, u8, HashMap<u16, Vec<u8>>) {
        let header = parse_header(payload).expect("a netlink header");
        assert_eq!(
            header.kind,
            family,
            "the family's id: {}",
            hex::encode(payload)
        );
        let body = &payload[NLMSG_HDRLEN..header.len as usize];
        let attributes = attrs(&body[GENL_HDRLEN..])
            .map(|(kind, value)| (kind, value.to_vec()))
            .collect();
        (body[0], body[1], attributes)
    };
    let string = |value: &[u8]| attr::c_string(value);

    // Requests: the family's id, the command, version 1, NLM_F_REQUEST.
    for (port, cmd) in [
        (7001, DEMO_GENL_CMD_ECHO),
        (7002, DEMO_GENL_CMD_SET),
        (7003, DEMO_GENL_CMD_SET),
        (7004, DEMO_GENL_CMD_SET),
        (7005, DEMO_GENL_CMD_SET),
        (7006, DEMO_GENL_CMD_SET),
        (7007, DEMO_GENL_CMD_SET),
        (7008, DEMO_GENL_CMD_GET),
        (7009, DEMO_GENL_CMD_GET),
        (7011, DEMO_GENL_CMD_GET),
    ] {
        let request = one(port, 0);
        let header = parse_header(&request.payload).unwrap();
        assert!(header.flags & NLM_F_REQUEST != 0, "port {port}");
        let (got, version, _) = genl(&request.payload);
        assert_eq!((got, version), (cmd, DEMO_FAMILY_VERSION), "port {port}");
    }

    // The echo: what was sent comes back.
    let (cmd, _, echoed) = genl(&one(0, 7001).payload);
    assert_eq!(cmd, DEMO_GENL_CMD_ECHO);
    assert_eq!(string(&echoed[&DEMO_GENL_A_TEXT]), "hello genl");
    assert_eq!(u32_of(&echoed[&DEMO_GENL_A_NUMBER]), 42);

    // The slot as GET reads it, in a reply, a dump part or a notification.
    let slot = |attributes: &HashMap<u16, Vec<u8>>| {
        (
            u32_of(&attributes[&DEMO_GENL_A_INDEX]),
            u32_of(&attributes[&DEMO_GENL_A_VALUE]),
            string(&attributes[&DEMO_GENL_A_NAME]),
            u32_of(&attributes[&DEMO_GENL_A_GENERATION]),
        )
    };
    let alpha = (3, 500, "alpha".to_string(), 1);
    let beta = (5, 1000, "beta".to_string(), 2);
    let (cmd, _, reply) = genl(&one(0, 7008).payload);
    assert_eq!((cmd, slot(&reply)), (DEMO_GENL_CMD_GET, alpha.clone()));

    // The notifications, on the events group, one per accepted SET.
    let notifications: Vec<_> = captured
        .iter()
        .filter(|m| m.dst_group == group)
        .map(|m| {
            assert_eq!((m.protocol, m.src_port), (NETLINK_GENERIC, Some(0)));
            let (cmd, version, attributes) = genl(&m.payload);
            assert_eq!((cmd, version), (DEMO_GENL_CMD_SET_NTF, DEMO_FAMILY_VERSION));
            slot(&attributes)
        })
        .collect();
    assert_eq!(notifications, [alpha.clone(), beta.clone()]);

    // The dump: every part the client read, one message per slot, NLMSG_DONE.
    let mut dumped = Vec::new();
    let mut done = 0;
    for part in generic(0, 7011) {
        for (offset, header) in split_messages(&part.payload) {
            let message = &part.payload[offset..offset + header.len as usize];
            if header.kind == NLMSG_DONE {
                done += 1;
                continue;
            }
            assert!(header.flags & NLM_F_MULTI != 0);
            let (cmd, _, attributes) = genl(message);
            assert_eq!(cmd, DEMO_GENL_CMD_GET);
            dumped.push(slot(&attributes));
        }
    }
    assert_eq!((dumped, done), (vec![alpha, beta], 1));

    // Acks, then errors: the NLMSG_ERROR quotes the request whole, and its
    // extended ack says why and where.
    struct Refusal {
        port: u32,
        errno: i32,
        message: &'static str,
        /// The attribute at NLMSGERR_ATTR_OFFS in the quoted request.
        at: Option<u16>,
        missing: Option<u16>,
        /// NLMSGERR_ATTR_POLICY: (NL_POLICY_TYPE_ATTR_*, value) pairs.
        policy: &'static [(u16, u64)],
    }
    let refusals = [
        Refusal {
            port: 7004,
            errno: libc::ERANGE,
            message: "integer out of range",
            at: Some(DEMO_GENL_A_VALUE),
            missing: None,
            policy: &[
                (NL_POLICY_TYPE_ATTR_TYPE, NL_ATTR_TYPE_U32 as u64),
                (NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 0),
                (NL_POLICY_TYPE_ATTR_MAX_VALUE_U, DEMO_VALUE_MAX as u64),
            ],
        },
        Refusal {
            port: 7005,
            errno: libc::EINVAL,
            message: "Attribute failed policy validation",
            at: Some(DEMO_GENL_A_NAME),
            missing: None,
            policy: &[
                (NL_POLICY_TYPE_ATTR_TYPE, NL_ATTR_TYPE_NUL_STRING as u64),
                (NL_POLICY_TYPE_ATTR_MAX_LENGTH, DEMO_NAME_MAX as u64),
            ],
        },
        Refusal {
            port: 7006,
            errno: libc::EINVAL,
            message: "nlscope_demo: SET needs an index",
            at: None,
            missing: Some(DEMO_GENL_A_INDEX),
            policy: &[],
        },
        Refusal {
            port: 7007,
            errno: libc::EINVAL,
            message: "nlscope_demo: the name is empty",
            at: Some(DEMO_GENL_A_NAME),
            missing: None,
            policy: &[],
        },
        Refusal {
            port: 7009,
            errno: libc::ENOENT,
            message: "nlscope_demo: that slot is empty",
            at: Some(DEMO_GENL_A_INDEX),
            missing: None,
            policy: &[],
        },
    ];
    let error_of = |payload: &[u8]| {
        let header = parse_header(payload).unwrap();
        assert_eq!(header.kind, NLMSG_ERROR);
        let body = &payload[NLMSG_HDRLEN..header.len as usize];
        (
            header,
            i32::from_ne_bytes(body[..4].try_into().unwrap()),
            body[4..].to_vec(),
        )
    };
    for port in [7002, 7003] {
        let (_, error, _) = error_of(&one(0, port).payload);
        assert_eq!(error, 0, "the ack to {port}");
    }
    for refusal in refusals {
        let port = refusal.port;
        let request = &one(port, 0).payload;
        let (header, error, rest) = error_of(&one(0, port).payload);
        assert_eq!(error, -refusal.errno, "port {port}");
        assert!(
            header.flags & NLM_F_ACK_TLVS != 0,
            "port {port}: extended ack"
        );
        assert!(
            header.flags & NLM_F_CAPPED == 0,
            "port {port}: the request quoted whole"
        );
        let quoted = &rest[..request.len()];
        assert_eq!(quoted, &request[..], "port {port}: the quoted request");
        let tlvs: HashMap<u16, Vec<u8>> = attrs(&rest[header::nlmsg_align(request.len())..])
            .map(|(kind, value)| (kind, value.to_vec()))
            .collect();
        assert_eq!(
            string(&tlvs[&NLMSGERR_ATTR_MSG]),
            refusal.message,
            "port {port}"
        );
        match refusal.at {
            Some(kind) => {
                let offset = u32_of(&tlvs[&NLMSGERR_ATTR_OFFS]) as usize;
                let attribute = &request[offset..];
                assert_eq!(
                    u16::from_ne_bytes([attribute[2], attribute[3]]),
                    kind,
                    "port {port}: the attribute at offset {offset}"
                );
            }
            None => assert!(!tlvs.contains_key(&NLMSGERR_ATTR_OFFS), "port {port}"),
        }
        assert_eq!(
            tlvs.get(&NLMSGERR_ATTR_MISS_TYPE).map(|v| u32_of(v) as u16),
            refusal.missing,
            "port {port}"
        );
        let mut policy: Vec<(u16, u64)> = tlvs
            .get(&NLMSGERR_ATTR_POLICY)
            .map(|nest| {
                attrs(nest)
                    .map(|(kind, value)| {
                        let number = match value.len() {
                            8 => u64::from_ne_bytes(value.try_into().unwrap()),
                            _ => u32_of(value) as u64,
                        };
                        (kind, number)
                    })
                    .collect()
            })
            .unwrap_or_default();
        policy.sort();
        assert_eq!(policy, refusal.policy, "port {port}: the policy");
    }

    // By name: decoded with the module's spec (`--spec-dir kmod/`), every
    // message of the family has its command's name and every attribute its
    // own (the in-guest `nlscope decode --spec-dir` is checked by
    // expect.json).
    let (context, errors) = nlscope::decode::DecodeContext::with_spec_dirs(&[
        nlscope_tests::workspace_root().join("kmod"),
    ]);
    assert!(errors.is_empty(), "{errors:?}");
    let coverage = naming::naming_coverage_with(
        &run.results.join("capture.jsonl"),
        Some(DEMO_FAMILY_NAME),
        context,
    );
    // Ten requests, the echo and GET replies, two notifications, two dump parts.
    assert_eq!(coverage.messages, 16, "{coverage:?}");
    assert!(coverage.unnamed_messages.is_empty(), "{coverage:?}");
    assert_eq!(coverage.unnamed_attributes, 0, "{coverage:?}");
    assert!(coverage.attributes >= 42, "{coverage:?}");
    eprintln!(
        "demo-genl: family {family} group {group}: {} generic netlink messages checked; \
         by name: {} of the family's, {} attributes, none unnamed",
        captured
            .iter()
            .filter(|m| m.protocol == NETLINK_GENERIC)
            .count(),
        coverage.messages,
        coverage.attributes
    );
}
