//! The end rules, keys and bounds of pairing, one case each, and property
//! tests on generated streams.

use super::*;
use crate::netlink::attr::attr;
use crate::netlink::{
    NETLINK_USERSOCK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
};

const NETNS: u32 = 4026531840;
const ROUTE: u32 = 0;
const GETLINK: u16 = libc::RTM_GETLINK;
const NEWLINK: u16 = libc::RTM_NEWLINK;
const MS: u64 = 1_000_000;

use crate::store::corpus::nlmsg as nl;

/// A datagram on protocol 0 at `at_ms`, from port `src` to `dst`.
fn dgram(at_ms: u64, src: u32, dst: u32, payload: Vec<u8>) -> CapturedMessage {
    crate::store::corpus::message(at_ms * 1000, 42, "ip", ROUTE, src, dst, 0, payload, None)
}

/// A `struct nlmsgerr` body: the code, then the request (its header only
/// when `capped`), then `tlvs`.
fn nlmsgerr(code: i32, request: &[u8], capped: bool, tlvs: &[u8]) -> Vec<u8> {
    let mut body = code.to_ne_bytes().to_vec();
    body.extend_from_slice(if capped { &request[..16] } else { request });
    body.extend_from_slice(tlvs);
    body
}

fn error_to(at_ms: u64, port: u32, seq: u32, code: i32, request: &[u8]) -> CapturedMessage {
    let body = nlmsgerr(code, request, code == 0, &[]);
    let flags = if code == 0 { NLM_F_CAPPED } else { 0 };
    dgram(at_ms, 0, port, nl(NLMSG_ERROR, flags, seq, port, &body))
}

fn done_to(at_ms: u64, port: u32, seq: u32, status: i32) -> CapturedMessage {
    let payload = nl(NLMSG_DONE, NLM_F_MULTI, seq, port, &status.to_ne_bytes());
    dgram(at_ms, 0, port, payload)
}

fn link(port: u32, seq: u32, flags: u16, name: &str) -> Vec<u8> {
    let mut body = vec![0u8; 16];
    body.extend(attr(libc::IFLA_IFNAME, format!("{name}\0").as_bytes()));
    nl(NEWLINK, flags, seq, port, &body)
}

fn getlink(port: u32, seq: u32, flags: u16) -> Vec<u8> {
    nl(GETLINK, NLM_F_REQUEST | flags, seq, port, &[0u8; 16])
}

fn pair(messages: &[CapturedMessage]) -> Paired {
    pair_all(messages, PairingConfig::default())
}

fn only(paired: &Paired) -> &Transaction {
    assert_eq!(paired.transactions.len(), 1, "{:#?}", paired.transactions);
    &paired.transactions[0]
}

#[test]
fn a_dump_ends_at_done_with_every_part() {
    let request = getlink(0, 7, NLM_F_DUMP);
    let mut parts = link(300, 7, NLM_F_MULTI, "lo");
    parts.extend(link(300, 7, NLM_F_MULTI, "eth0"));
    let paired = pair(&[
        dgram(0, 300, 0, request),
        dgram(2, 0, 300, parts),
        dgram(3, 0, 300, link(300, 7, NLM_F_MULTI, "eth1")),
        done_to(5, 300, 7, 0),
    ]);
    let tx = only(&paired);
    assert_eq!(tx.op, "RTM_GETLINK dump");
    assert_eq!(tx.outcome, Outcome::Ok);
    assert_eq!(tx.replies.iter().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        (tx.parts, tx.first_reply_ns, tx.last_reply_ns),
        (4, Some(2 * MS), Some(5 * MS))
    );
    assert_eq!(
        tx.key,
        Key {
            netns: NETNS,
            protocol: ROUTE,
            port: 300,
            seq: 7
        }
    );
    // 40 (lo) + 44 (eth0) + 44 (eth1) + 20 (NLMSG_DONE).
    assert_eq!(tx.bytes, 148);
    assert_eq!(paired.roles[2], Role::Reply { id: 1 });
    assert!(paired.orphans.is_empty());
}

#[test]
fn a_dump_ends_at_an_error_and_a_done_may_carry_one() {
    let paired = pair(&[
        dgram(0, 300, 0, getlink(0, 1, NLM_F_DUMP)),
        error_to(1, 300, 1, -libc::EOPNOTSUPP, &getlink(0, 1, NLM_F_DUMP)),
        dgram(2, 300, 0, getlink(0, 2, NLM_F_DUMP)),
        dgram(3, 0, 300, link(300, 2, NLM_F_MULTI, "lo")),
        done_to(4, 300, 2, -libc::EMSGSIZE),
    ]);
    let outcomes: Vec<_> = paired
        .transactions
        .iter()
        .map(|t| t.outcome.clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Error {
                errno: libc::EOPNOTSUPP
            },
            Outcome::Error {
                errno: libc::EMSGSIZE
            }
        ]
    );
}

#[test]
fn multipart_replies_go_on_to_done_without_a_dump() {
    let paired = pair(&[
        dgram(0, 300, 0, getlink(0, 1, 0)),
        dgram(1, 0, 300, link(300, 1, NLM_F_MULTI, "a")),
        dgram(2, 0, 300, link(300, 1, NLM_F_MULTI, "b")),
        done_to(3, 300, 1, 0),
    ]);
    let tx = only(&paired);
    assert_eq!(
        (tx.outcome.clone(), tx.parts, tx.replies.len()),
        (Outcome::Ok, 3, 3)
    );
    assert_eq!(tx.op, "RTM_GETLINK");
}

#[test]
fn a_request_with_ack_ends_at_its_error_after_the_data() {
    let request = nl(
        NEWLINK,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
        9,
        0,
        &[0; 16],
    );
    let paired = pair(&[
        dgram(0, 300, 0, request.clone()),
        dgram(1, 0, 300, link(300, 9, 0, "echoed")),
        error_to(2, 300, 9, 0, &request),
    ]);
    let tx = only(&paired);
    assert_eq!(tx.outcome, Outcome::Ok);
    assert_eq!((tx.parts, tx.last_reply_ns), (2, Some(2 * MS)));
}

#[test]
fn a_request_without_ack_ends_at_its_first_reply_datagram() {
    let paired = pair(&[
        dgram(0, 300, 0, getlink(0, 4, 0)),
        dgram(1, 0, 300, link(300, 4, 0, "lo")),
        // Anything after it for the same key is no longer its reply.
        dgram(2, 0, 300, link(300, 4, 0, "again")),
    ]);
    let tx = only(&paired);
    assert_eq!((tx.outcome.clone(), tx.parts), (Outcome::Ok, 1));
    assert_eq!(paired.roles[2], Role::Orphan { after: Some(1) });
    assert_eq!(paired.orphans, [(2, tx.key, Some(1))]);
}

#[test]
fn dump_intr_marks_the_dump_interrupted() {
    let paired = pair(&[
        dgram(0, 300, 0, getlink(0, 1, NLM_F_DUMP)),
        dgram(1, 0, 300, link(300, 1, NLM_F_MULTI, "a")),
        dgram(2, 0, 300, link(300, 1, NLM_F_MULTI | NLM_F_DUMP_INTR, "b")),
        done_to(3, 300, 1, 0),
    ]);
    let tx = only(&paired);
    assert!(tx.interrupted);
    assert_eq!(tx.outcome, Outcome::Interrupted);
}

#[test]
fn a_reused_key_closes_the_waiting_request_as_superseded() {
    let paired = pair(&[
        dgram(0, 300, 0, getlink(0, 1, NLM_F_ACK)),
        dgram(1, 300, 0, getlink(0, 1, NLM_F_ACK)),
        error_to(2, 300, 1, 0, &getlink(0, 1, NLM_F_ACK)),
    ]);
    let [old, new] = &paired.transactions[..] else {
        panic!("{:#?}", paired.transactions)
    };
    assert_eq!(old.outcome, Outcome::NoReply(Why::Superseded { by: 2 }));
    assert_eq!(
        (new.outcome.clone(), new.replies.first()),
        (Outcome::Ok, Some(2))
    );
}

#[test]
fn pending_requests_are_bounded_and_the_idlest_is_evicted() {
    let config = PairingConfig {
        max_pending: 2,
        ..PairingConfig::default()
    };
    let messages = [
        dgram(0, 300, 0, getlink(0, 1, NLM_F_ACK)),
        dgram(1, 301, 0, getlink(0, 1, NLM_F_ACK)),
        dgram(2, 300, 0, getlink(0, 2, NLM_F_DUMP)),
        dgram(3, 0, 300, link(300, 2, NLM_F_MULTI, "a")),
        // Port 301's request is now the idlest: the third one evicts it.
        dgram(4, 302, 0, getlink(0, 1, NLM_F_ACK)),
        error_to(5, 301, 1, 0, &getlink(0, 1, NLM_F_ACK)),
    ];
    let mut pairer = Pairer::new(config);
    let context = DecodeContext::new();
    let mut events = Vec::new();
    for (seq, message) in messages.iter().enumerate() {
        pairer.ingest(seq as u64, message, &context, &mut events);
        assert!(pairer.pending_len() <= 2);
    }
    let closed: Vec<(u64, Outcome)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Closed(tx) => Some((tx.id, tx.outcome.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        closed,
        [
            (1, Outcome::NoReply(Why::Evicted)),
            (2, Outcome::NoReply(Why::Evicted))
        ]
    );
    assert!(events.contains(&Event::Orphan {
        seq: 5,
        key: Key {
            netns: NETNS,
            protocol: ROUTE,
            port: 301,
            seq: 1
        },
        after: Some(2),
    }));
    // The dump with a reply survived; it ends unfinished at the end.
    pairer.finish(&mut events);
    let Some(Event::Closed(dump)) = events
        .iter()
        .rev()
        .find(|e| matches!(e, Event::Closed(t) if t.id == 3))
    else {
        panic!("{events:#?}")
    };
    assert_eq!(dump.outcome, Outcome::Unfinished(Why::CaptureEnded));
}

#[test]
fn no_reply_within_the_timeout_is_said_and_a_late_reply_is_an_orphan() {
    let request = getlink(0, 1, NLM_F_ACK);
    let paired = pair(&[
        dgram(0, 300, 0, request.clone()),
        dgram(6_000, 500, 0, getlink(0, 1, NLM_F_ACK)),
        error_to(6_001, 300, 1, 0, &request),
    ]);
    let first = &paired.transactions[0];
    assert_eq!(
        first.outcome,
        Outcome::NoReply(Why::Timeout {
            after_ns: DEFAULT_TIMEOUT_NS
        })
    );
    assert_eq!(paired.roles[2], Role::Orphan { after: Some(1) });
    // The second never heard back, and the capture ended within 5 s of it.
    assert_eq!(
        paired.transactions[1].outcome,
        Outcome::NoReply(Why::CaptureEnded)
    );

    // A reply past the timeout that comes before anything else expired it.
    let config = PairingConfig {
        timeout_ns: 10 * MS,
        ..PairingConfig::default()
    };
    let late = pair_all(
        &[
            dgram(0, 300, 0, request.clone()),
            error_to(11, 300, 1, 0, &request),
        ],
        config,
    );
    assert_eq!(
        late.transactions[0].outcome,
        Outcome::NoReply(Why::Timeout { after_ns: 10 * MS })
    );
    assert_eq!(late.roles[1], Role::Orphan { after: Some(1) });
    // Within it, paired.
    let timely = pair_all(
        &[
            dgram(0, 300, 0, request.clone()),
            error_to(10, 300, 1, 0, &request),
        ],
        config,
    );
    assert_eq!(timely.transactions[0].outcome, Outcome::Ok);
}

#[test]
fn expire_closes_by_the_clock_it_is_given() {
    let mut pairer = Pairer::default();
    let mut events = Vec::new();
    let context = DecodeContext::new();
    let request = dgram(0, 300, 0, getlink(0, 1, NLM_F_ACK));
    pairer.ingest(0, &request, &context, &mut events);
    pairer.expire(request.ts_mono_ns + DEFAULT_TIMEOUT_NS, &mut events);
    assert_eq!(pairer.pending_len(), 1, "not more than the timeout yet");
    pairer.expire(request.ts_mono_ns + DEFAULT_TIMEOUT_NS + 1, &mut events);
    assert_eq!(pairer.pending_len(), 0);
    assert!(matches!(
        events.last(),
        Some(Event::Closed(tx)) if matches!(tx.outcome, Outcome::NoReply(Why::Timeout { .. }))
    ));
}

#[test]
fn a_socket_not_bound_yet_is_keyed_by_its_captured_port() {
    // nlmsg_pid 0 in the request; the kernel autobinds the socket to
    // 2843341804, the port the capture records and the reply goes to.
    let request = nl(
        NEWLINK,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        2,
        0,
        &[0; 16],
    );
    let paired = pair(&[
        dgram(0, 2843341804, 0, request.clone()),
        error_to(1, 2843341804, 2, 0, &request),
    ]);
    let tx = only(&paired);
    assert_eq!((tx.key.port, tx.outcome.clone()), (2843341804, Outcome::Ok));
}

#[test]
fn two_sockets_of_one_process_with_the_same_seqs_pair_apart() {
    let a = getlink(0, 1, NLM_F_DUMP);
    let b = getlink(0, 1, NLM_F_ACK);
    let paired = pair(&[
        dgram(0, 100, 0, a),
        dgram(1, 200, 0, b.clone()),
        dgram(2, 0, 100, link(100, 1, NLM_F_MULTI, "a")),
        error_to(3, 200, 1, -libc::ENODEV, &b),
        dgram(4, 0, 100, link(100, 1, NLM_F_MULTI, "b")),
        done_to(5, 100, 1, 0),
    ]);
    let [dump, get] = &paired.transactions[..] else {
        panic!()
    };
    assert_eq!(dump.replies.iter().collect::<Vec<_>>(), [2, 4, 5]);
    assert_eq!(dump.outcome, Outcome::Ok);
    assert_eq!(get.replies.iter().collect::<Vec<_>>(), [3]);
    assert_eq!(
        get.outcome,
        Outcome::Error {
            errno: libc::ENODEV
        }
    );
    assert_eq!((dump.pid, get.pid), (42, 42));
}

#[test]
fn a_request_to_a_user_port_that_never_answers_times_out() {
    let mut request = dgram(
        0,
        400,
        3575412388,
        nl(16, NLM_F_REQUEST, 0, 400, b"hello\0\0\0"),
    );
    request.protocol = NETLINK_USERSOCK;
    let mut later = dgram(5_001, 300, 0, getlink(0, 9, 0));
    later.protocol = NETLINK_USERSOCK;
    let paired = pair(&[request.clone(), later]);
    let tx = &paired.transactions[0];
    assert_eq!(
        (tx.peer, tx.outcome.clone()),
        (
            3575412388,
            Outcome::NoReply(Why::Timeout {
                after_ns: DEFAULT_TIMEOUT_NS
            })
        )
    );
    // The answer of a user port pairs like the kernel's.
    let mut answer = dgram(1, 3575412388, 400, nl(16, 0, 0, 3575412388, b"hi\0\0"));
    answer.protocol = NETLINK_USERSOCK;
    let answered = pair(&[request, answer]);
    assert_eq!(answered.transactions[0].outcome, Outcome::Ok);
    // A refused delivery is said at once.
    let mut refused = dgram(0, 400, 77, nl(16, NLM_F_REQUEST, 0, 400, b""));
    refused.result = Some(-i64::from(libc::ECONNREFUSED));
    assert_eq!(
        pair(&[refused]).transactions[0].outcome,
        Outcome::NoReply(Why::Undelivered {
            errno: libc::ECONNREFUSED
        })
    );
}

#[test]
fn notifications_are_never_replies() {
    let request = nl(libc::RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 2, 0, &[0; 16]);
    // rtnetlink's notification carries the requester's seq and port.
    let mut notification = dgram(1, 0, 0, nl(libc::RTM_DELLINK, 0, 2, 300, &[0; 16]));
    notification.dst_group = 1;
    let paired = pair(&[
        dgram(0, 300, 0, request.clone()),
        notification,
        error_to(2, 300, 2, 0, &request),
    ]);
    let tx = only(&paired);
    assert_eq!(tx.replies.iter().collect::<Vec<_>>(), [2]);
    assert_eq!(paired.roles[1], Role::Notification);
}

#[test]
fn different_netns_or_protocol_never_pair() {
    let request = getlink(0, 1, NLM_F_ACK);
    let mut other_netns = error_to(1, 300, 1, 0, &request);
    other_netns.netns = NETNS + 1;
    let mut other_protocol = error_to(2, 300, 1, 0, &request);
    other_protocol.protocol = 16;
    let paired = pair(&[dgram(0, 300, 0, request), other_netns, other_protocol]);
    assert_eq!(paired.orphans.len(), 2);
    assert!(paired.transactions[0].replies.is_empty());
}

#[test]
fn messages_without_ports_are_not_paired() {
    let mut request = dgram(0, 0, 0, getlink(0, 1, NLM_F_ACK));
    request.src_port = None;
    let paired = pair(&[request]);
    assert!(paired.transactions.is_empty());
    assert_eq!(
        (paired.roles[0], paired.counts.unknown_ports),
        (Role::UnknownPorts, 1)
    );
}

#[test]
fn each_request_of_a_batch_is_a_transaction() {
    let mut batch = getlink(0, 10, NLM_F_ACK);
    batch.extend(getlink(0, 11, NLM_F_ACK));
    let mut acks = nl(
        NLMSG_ERROR,
        NLM_F_CAPPED,
        10,
        300,
        &nlmsgerr(0, &getlink(0, 10, 0), true, &[]),
    );
    acks.extend(nl(
        NLMSG_ERROR,
        NLM_F_CAPPED,
        11,
        300,
        &nlmsgerr(0, &getlink(0, 11, 0), true, &[]),
    ));
    let paired = pair(&[dgram(0, 300, 0, batch), dgram(1, 0, 300, acks)]);
    assert_eq!(paired.roles[0], Role::Request { first: 1, count: 2 });
    assert_eq!(paired.transactions.len(), 2);
    assert_eq!(paired.transactions[1].request_bytes, 32..64);
    assert!(paired
        .transactions
        .iter()
        .all(|t| t.outcome == Outcome::Ok && t.replies.first() == Some(1)));
}

/// RTM_NEWLINK for `dummy0` of kind `bogus`: ifinfomsg, IFLA_IFNAME,
/// IFLA_LINKINFO { IFLA_INFO_KIND "bogus" }; and where IFLA_INFO_KIND is.
fn newlink_of_kind(seq: u32) -> (Vec<u8>, Range<usize>) {
    let mut body = vec![0u8; 16];
    body.extend(attr(libc::IFLA_IFNAME, b"dummy0\0"));
    let kind = attr(libc::IFLA_INFO_KIND, b"bogus\0");
    body.extend(attr(libc::IFLA_LINKINFO, &kind));
    let request = nl(
        NEWLINK,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
        seq,
        0,
        &body,
    );
    // header 16, ifinfomsg 16, IFLA_IFNAME 12, IFLA_LINKINFO's header 4.
    let at = 16 + 16 + 12 + 4;
    (request, at..at + 4 + 6)
}

fn extack(message: &str, offset: u32) -> Vec<u8> {
    let mut tlvs = attr(NLMSGERR_ATTR_MSG, format!("{message}\0").as_bytes());
    tlvs.extend(attr(NLMSGERR_ATTR_OFFS, &offset.to_ne_bytes()));
    tlvs
}

use crate::netlink::{NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS};

#[test]
fn an_extack_offset_resolves_to_the_rejected_attribute() {
    let (request, kind) = newlink_of_kind(5);
    let offset = kind.start as u32;
    let body = nlmsgerr(
        -libc::EOPNOTSUPP,
        &request,
        false,
        &extack("Unknown device type", offset),
    );
    let error = nl(NLMSG_ERROR, NLM_F_ACK_TLVS, 5, 300, &body);
    // The request second in its datagram: ranges are the datagram's.
    let mut datagram = getlink(0, 4, 0);
    let shift = datagram.len();
    datagram.extend(request.clone());
    let paired = pair(&[dgram(0, 300, 0, datagram), dgram(1, 0, 300, error)]);
    let tx = &paired.transactions[1];
    assert_eq!(
        tx.outcome,
        Outcome::Error {
            errno: libc::EOPNOTSUPP
        }
    );
    assert_eq!(tx.extack.as_deref(), Some("Unknown device type"));
    let offending = tx.offending.as_ref().expect("resolved");
    assert_eq!(offending.at, shift + kind.start);
    // The decoder's tree groups the attributes.
    assert_eq!(
        offending.path,
        [
            "RTM_NEWLINK",
            "attributes",
            "IFLA_LINKINFO",
            "IFLA_INFO_KIND"
        ]
    );
    assert_eq!(offending.bytes, Some(shift + kind.start..shift + kind.end));
    assert_eq!(
        offending.field_text(),
        "attributes / IFLA_LINKINFO / IFLA_INFO_KIND"
    );

    // A capped error quotes only the header: the kept copy resolves it.
    let capped = nlmsgerr(
        -libc::EOPNOTSUPP,
        &request,
        true,
        &extack("Unknown device type", offset),
    );
    let error = nl(NLMSG_ERROR, NLM_F_ACK_TLVS | NLM_F_CAPPED, 5, 300, &capped);
    let paired = pair(&[dgram(0, 300, 0, request.clone()), dgram(1, 0, 300, error)]);
    let offending = only(&paired)
        .offending
        .clone()
        .expect("resolved from the kept copy");
    assert_eq!(offending.bytes, Some(kind.clone()));

    // An offset past the request points at nothing, and says so.
    let outside = resolve_offset(ROUTE, &request, 0, 4096, &DecodeContext::new());
    assert_eq!((outside.path.len(), outside.bytes), (0, None));
    // Into the header: its field.
    let header = resolve_offset(ROUTE, &request, 0, 4, &DecodeContext::new());
    assert_eq!(header.path, ["RTM_NEWLINK", "nlmsghdr", "type"]);
    assert_eq!(header.bytes, Some(4..6));
}

#[test]
fn replies_are_kept_as_runs() {
    let mut replies = Replies::default();
    for seq in [3, 4, 5, 5, 9, 10, 20] {
        replies.push(seq);
    }
    assert_eq!(replies.runs().collect::<Vec<_>>(), [3..6, 9..11, 20..21]);
    assert_eq!(
        (replies.len(), replies.first(), replies.last()),
        (6, Some(3), Some(20))
    );
    assert!(replies.contains(10) && !replies.contains(11));
}

mod props {
    //! Generated streams: many sockets in two namespaces and two protocols
    //! with few ports and seqs (so keys collide everywhere but in one
    //! part), requests of every kind with their scripted replies,
    //! notifications that copy a request's seq and port, a shuffled
    //! interleaving that keeps each socket's order, dropped messages, seq
    //! reuse, and a small bound on pending requests.

    use super::*;
    use proptest::prelude::*;

    /// What one request gets back.
    #[derive(Clone, Copy, Debug)]
    enum Script {
        Ack,
        DataThenAck,
        Error,
        Dump(u8),
        DataOnly,
        Multipart(u8),
        Silent,
        Notification,
    }

    fn script() -> impl Strategy<Value = Script> {
        prop_oneof![
            Just(Script::Ack),
            Just(Script::DataThenAck),
            Just(Script::Error),
            (0u8..4).prop_map(Script::Dump),
            Just(Script::DataOnly),
            (1u8..4).prop_map(Script::Multipart),
            Just(Script::Silent),
            Just(Script::Notification),
        ]
    }

    #[derive(Clone, Copy, Debug)]
    struct Exchange {
        netns: u32,
        protocol: u32,
        port: u32,
        seq: u32,
        script: Script,
    }

    fn exchange() -> impl Strategy<Value = Exchange> {
        (
            0u32..2,
            prop_oneof![Just(0u32), Just(16u32)],
            1u32..4,
            0u32..3,
            script(),
        )
            .prop_map(|(netns, protocol, port, seq, script)| Exchange {
                netns: NETNS + netns,
                protocol,
                port,
                seq,
                script,
            })
    }

    /// The datagrams of one exchange, in order.
    fn datagrams(x: &Exchange) -> Vec<CapturedMessage> {
        let (port, seq) = (x.port, x.seq);
        let on = |mut m: CapturedMessage| {
            m.netns = x.netns;
            m.protocol = x.protocol;
            m
        };
        let flags = match x.script {
            Script::Ack | Script::DataThenAck | Script::Error | Script::Silent => NLM_F_ACK,
            Script::Dump(_) => NLM_F_DUMP,
            _ => 0,
        };
        let request = getlink(0, seq, flags);
        let mut out = vec![on(dgram(0, port, 0, request.clone()))];
        let reply = |payload| on(dgram(0, 0, port, payload));
        match x.script {
            Script::Ack => out.push(on(error_to(0, port, seq, 0, &request))),
            Script::DataThenAck => {
                out.push(reply(link(port, seq, 0, "x")));
                out.push(on(error_to(0, port, seq, 0, &request)));
            }
            Script::Error => out.push(on(error_to(0, port, seq, -libc::EINVAL, &request))),
            Script::Dump(n) | Script::Multipart(n) => {
                for _ in 0..n {
                    out.push(reply(link(port, seq, NLM_F_MULTI, "x")));
                }
                out.push(on(done_to(0, port, seq, 0)));
            }
            Script::DataOnly => out.push(reply(link(port, seq, 0, "x"))),
            Script::Silent => {}
            Script::Notification => {
                let mut n = reply(link(port, seq, 0, "n"));
                n.dst_port = Some(0);
                n.dst_group = 1;
                out.push(n);
            }
        }
        out
    }

    /// The key a unicast reply-shaped datagram answers (its first message's).
    fn reply_key(m: &CapturedMessage) -> Option<Key> {
        let dst = m.dst_port?;
        let (_, header) = *split_messages(&m.payload).first()?;
        (m.dst_group == 0 && dst != 0 && header.flags & NLM_F_REQUEST == 0).then_some(Key {
            netns: m.netns,
            protocol: m.protocol,
            port: dst,
            seq: header.seq,
        })
    }

    fn request_key(m: &CapturedMessage) -> Option<Key> {
        let (_, header) = *split_messages(&m.payload).first()?;
        (header.flags & NLM_F_REQUEST != 0).then_some(Key {
            netns: m.netns,
            protocol: m.protocol,
            port: m.src_port?,
            seq: header.seq,
        })
    }

    /// Interleaves the exchanges (keeping each one's order, `picks` choosing
    /// whose turn it is), drops `drops`' messages, stamps the times.
    fn stream(
        exchanges: &[Exchange],
        picks: &[usize],
        drops: &[bool],
        gaps: &[u64],
    ) -> Vec<CapturedMessage> {
        let mut queues: Vec<VecDeque<CapturedMessage>> =
            exchanges.iter().map(|x| datagrams(x).into()).collect();
        let mut out = Vec::new();
        let mut i = 0;
        let mut now = 1_000 * MS;
        while queues.iter().any(|q| !q.is_empty()) {
            let live: Vec<usize> = (0..queues.len())
                .filter(|&q| !queues[q].is_empty())
                .collect();
            // Earlier exchanges start first, so seq reuse follows the stream.
            let q = live[picks.get(i).copied().unwrap_or(0) % live.len().min(3)];
            let mut m = queues[q].pop_front().unwrap();
            now += gaps.get(i).copied().unwrap_or(1) * MS;
            m.ts_mono_ns = now;
            if !drops.get(i).copied().unwrap_or(false) {
                out.push(m);
            }
            i += 1;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn pairing_holds_on_any_interleaving(
            exchanges in proptest::collection::vec(exchange(), 1..40),
            picks in proptest::collection::vec(any::<usize>(), 0..200),
            drops in proptest::collection::vec(proptest::bool::weighted(0.1), 0..200),
            gaps in proptest::collection::vec(prop_oneof![9 => 0u64..3, 1 => 4_000u64..7_000], 0..200),
            max_pending in 1usize..10,
        ) {
            let messages = stream(&exchanges, &picks, &drops, &gaps);
            let config = PairingConfig { max_pending, ..PairingConfig::default() };
            let mut pairer = Pairer::new(config);
            let context = DecodeContext::new();
            let mut events = Vec::new();
            let mut roles = Vec::new();
            for (seq, message) in messages.iter().enumerate() {
                roles.push(pairer.ingest(seq as u64, message, &context, &mut events));
                prop_assert!(pairer.pending_len() <= max_pending);
            }
            pairer.finish(&mut events);
            prop_assert_eq!(pairer.pending_len(), 0);
            let mut transactions: Vec<Transaction> = events.iter().filter_map(|e| match e {
                Event::Closed(tx) => Some((**tx).clone()),
                _ => None,
            }).collect();
            transactions.sort_by_key(|t| t.id);
            let opened = events.iter().filter(|e| matches!(e, Event::Opened { .. })).count();
            prop_assert_eq!(opened, transactions.len(), "every transaction closes once");
            for (i, tx) in transactions.iter().enumerate() {
                prop_assert_eq!(tx.id, i as u64 + 1);
                prop_assert!(!tx.is_open());
                let request = &messages[tx.request as usize];
                prop_assert_eq!(request_key(request), Some(tx.key));
                for reply in tx.replies.iter() {
                    let m = &messages[reply as usize];
                    // Never across sockets, never a notification.
                    prop_assert_eq!(reply_key(m), Some(tx.key));
                    prop_assert!(reply > tx.request);
                    // Paired with the latest request of its key before it.
                    let reused = (tx.request as usize + 1..reply as usize)
                        .any(|s| request_key(&messages[s]) == Some(tx.key));
                    prop_assert!(!reused, "reply #{} skipped a newer request of {:?}", reply, tx.key);
                    prop_assert_eq!(roles[reply as usize], Role::Reply { id: tx.id });
                }
            }
            // Every reply-shaped unicast is a reply or an orphan.
            for (seq, m) in messages.iter().enumerate() {
                if reply_key(m).is_some() {
                    let paired = transactions.iter().filter(|t| t.replies.contains(seq as u64)).count();
                    match roles[seq] {
                        Role::Reply { .. } => prop_assert_eq!(paired, 1),
                        Role::Orphan { .. } => prop_assert_eq!(paired, 0),
                        other => return Err(TestCaseError::fail(format!("#{seq} is {other:?}"))),
                    }
                } else if m.dst_group != 0 {
                    prop_assert_eq!(roles[seq], Role::Notification);
                }
            }
        }
    }
}
