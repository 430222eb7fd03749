//! `nlscope decode --transactions` on real traffic (the guest fixtures:
//! dumps with many parts, errors with extended acks, acks, notifications
//! in between, a request to a user port that never answers), checked
//! against the messages of the file itself; and a file written again (as
//! pcapng and as JSON Lines) pairs as the original did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use nlscope::event::CapturedMessage;
use nlscope::format::jsonl::JsonlWriter;
use nlscope::format::pcapng::PcapngWriter;
use nlscope::format::read::read_capture;
use nlscope::netlink::header::split_messages;
use nlscope::netlink::{NLMSG_DONE, NLM_F_REQUEST};
use nlscope::pairing::{pair_all, Key, PairingConfig};
use serde_json::Value;

mod support;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn transactions(path: &Path, extra: &[&str]) -> (Vec<Value>, Vec<Value>) {
    let output = Command::new(env!("CARGO_BIN_EXE_nlscope"))
        .arg("decode")
        .arg(path)
        .args(["--transactions", "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (transactions, orphans) = lines.into_iter().partition(|v| v["kind"] == "transaction");
    (transactions, orphans)
}

fn outcomes(transactions: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for tx in transactions {
        *counts
            .entry(tx["outcome"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// Message `n` (numbered from 1, as `nlscope decode` numbers them).
fn at(messages: &[CapturedMessage], n: &Value) -> CapturedMessage {
    messages[n.as_u64().unwrap() as usize - 1].clone()
}

/// The (netns, protocol, port, seq) key of `tx`.
fn key(tx: &Value) -> (u64, u64, u64, u64) {
    let n = |field: &str| tx[field].as_u64().unwrap();
    (n("netns"), n("protocol"), n("port"), n("seq"))
}

/// [`support::replies::replies_to`] with message numbers from 1, as
/// `nlscope decode` numbers them.
fn replies_in_file(
    messages: &[CapturedMessage],
    key: (u64, u64, u64, u64),
    from: u64,
    to: u64,
) -> (Vec<u64>, u64) {
    let (netns, protocol, port, seq) = key;
    let key = Key {
        netns: netns as u32,
        protocol: protocol as u32,
        port: port as u32,
        seq: seq as u32,
    };
    let (datagrams, parts) =
        support::replies::replies_to(messages, &key, from as usize - 1, to as usize - 1);
    (
        datagrams.iter().map(|i| *i as u64 + 1).collect(),
        u64::from(parts),
    )
}

/// Every dump ends at an NLMSG_DONE, and every reply to it in the file,
/// from its request to that DONE, is paired with it: no part is missed.
fn dumps_are_whole(messages: &[CapturedMessage], transactions: &[Value]) -> usize {
    let mut dumps = 0;
    for tx in transactions
        .iter()
        .filter(|tx| tx["op"].as_str().unwrap().ends_with(" dump"))
    {
        dumps += 1;
        assert_eq!(tx["outcome"], "ok", "{tx}");
        let replies: Vec<u64> = tx["replies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        let last = *replies.last().expect("a dump with replies");
        let done = at(messages, &last.into());
        let kinds: Vec<u16> = split_messages(&done.payload)
            .iter()
            .map(|(_, h)| h.kind)
            .collect();
        assert_eq!(kinds.last(), Some(&NLMSG_DONE), "{tx}");
        let request = tx["request"].as_u64().unwrap();
        let (datagrams, parts) = replies_in_file(messages, key(tx), request + 1, last);
        assert_eq!(datagrams, replies, "{tx}");
        assert_eq!(parts, tx["parts"].as_u64().unwrap(), "{tx}");
    }
    dumps
}

/// An orphan is a reply no request waited for: either no earlier request
/// of its key is in the file, or the latest one's transaction had closed
/// before it (and the orphan names it).
fn orphans_have_no_waiting_request(
    messages: &[CapturedMessage],
    transactions: &[Value],
    orphans: &[Value],
) {
    for orphan in orphans {
        let n = orphan["message"].as_u64().unwrap();
        let latest = transactions
            .iter()
            .filter(|tx| key(tx) == key(orphan) && tx["request"].as_u64().unwrap() < n)
            .max_by_key(|tx| tx["request"].as_u64().unwrap());
        match latest {
            None => {
                assert!(orphan["after"].is_null(), "{orphan}");
                // Nothing in the file asked with this key at all.
                let asked = messages[..n as usize - 1].iter().any(|m| {
                    m.src_port.map(u64::from) == Some(key(orphan).2)
                        && split_messages(&m.payload).iter().any(|(_, h)| {
                            h.flags & NLM_F_REQUEST != 0 && u64::from(h.seq) == key(orphan).3
                        })
                });
                assert!(!asked, "{orphan}");
            }
            Some(tx) => {
                assert_eq!(orphan["after"], tx["id"], "{orphan} after {tx}");
                let last = tx["replies"].as_array().unwrap().last().unwrap();
                assert!(last.as_u64().unwrap() < n, "{orphan} after {tx}");
            }
        }
    }
}

#[test]
fn guest_capture_paths_pair_exactly() {
    let path = fixture("guest-capture-paths.pcapng");
    let messages = read_capture(&path).messages;
    let (transactions, orphans) = transactions(&path, &[]);
    assert_eq!(transactions.len(), 45);
    assert_eq!(
        outcomes(&transactions),
        BTreeMap::from([("ok".into(), 44), ("no-reply".into(), 1)])
    );
    // The link dump (2 datagrams) and the address dump (3).
    assert_eq!(dumps_are_whole(&messages, &transactions), 2);
    let getlink = &transactions[0];
    assert_eq!(getlink["op"], "RTM_GETLINK dump");
    assert_eq!(getlink["replies"], serde_json::json!([2, 3]));
    // The link creations from a socket not bound yet: nlmsg_pid 0, paired
    // by the port the kernel gave it; each ACK after the notifications.
    let newlink = &transactions[2];
    assert_eq!(newlink["op"], "RTM_NEWLINK");
    assert_eq!(newlink["port"], 2843341804u32);
    assert_eq!(newlink["request"], 8);
    assert_eq!(newlink["replies"], serde_json::json!([15]));
    // The notifications in between (RTM_NEWLINK to the link group, uevents)
    // carry the same seq at times: none is a reply.
    for tx in &transactions {
        for n in tx["replies"].as_array().unwrap() {
            assert_eq!(at(&messages, n).dst_group, 0, "{tx}");
        }
    }
    // The usersock request to a user port that never answers: the file
    // ends within 5 s of it.
    let silent = &transactions[4];
    assert_eq!(
        (&silent["peer"], &silent["outcome"], &silent["why"]),
        (
            &3575412388u32.into(),
            &"no-reply".into(),
            &"capture-ended".into()
        )
    );
    // The demo module's "Hello userspace" answers a message without
    // NLM_F_REQUEST: it is the one orphan.
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0]["message"], 19);
    orphans_have_no_waiting_request(&messages, &transactions, &orphans);

    // With a timeout shorter than the rest of the capture, it is said.
    let (short, _) = transactions_with_timeout(&path, "100");
    let silent = &short[4];
    assert_eq!(
        (&silent["why"], &silent["timeout_ns"]),
        (&"timeout".into(), &100_000_000u64.into())
    );
}

fn transactions_with_timeout(path: &Path, ms: &str) -> (Vec<Value>, Vec<Value>) {
    transactions(path, &["--reply-timeout-ms", ms])
}

#[test]
fn real_clients_pair_exactly() {
    let path = fixture("real-clients.pcapng");
    let messages = read_capture(&path).messages;
    let (transactions, orphans) = transactions(&path, &[]);
    assert_eq!(transactions.len(), 422);
    assert_eq!(
        outcomes(&transactions),
        BTreeMap::from([
            ("ok".into(), 341),
            ("error".into(), 72),
            ("no-reply".into(), 9)
        ])
    );
    // Dumps of up to 32 KB datagrams and 32 parts, each whole to its DONE.
    let dumps = dumps_are_whole(&messages, &transactions);
    assert!(dumps >= 40, "{dumps} dumps");
    let getlinks: Vec<&Value> = transactions
        .iter()
        .filter(|tx| tx["op"] == "RTM_GETLINK dump")
        .collect();
    assert!(getlinks.len() >= 20, "{}", getlinks.len());
    assert!(getlinks.iter().any(|tx| tx["parts"].as_u64() >= Some(30)));
    // `ip link add` probing for a device that does not exist: ENODEV.
    let enodev = transactions
        .iter()
        .filter(|tx| tx["op"] == "RTM_NEWLINK" && tx["errno_name"] == "ENODEV")
        .count();
    assert_eq!(enodev, 68);
    // ethtool's refusals carry the extended ack's message.
    let linkmodes = transactions
        .iter()
        .find(|tx| tx["op"] == "ethtool linkmodes-get")
        .expect("ethtool linkmodes-get");
    assert_eq!(linkmodes["errno_name"], "EOPNOTSUPP");
    assert_eq!(linkmodes["extack"], "failed to retrieve link settings");
    // Every error is an NLMSG_ERROR of the request's own key.
    for tx in transactions.iter().filter(|tx| tx["outcome"] == "error") {
        let last = tx["replies"].as_array().unwrap().last().unwrap();
        let (datagrams, _) = replies_in_file(
            &messages,
            key(tx),
            last.as_u64().unwrap(),
            last.as_u64().unwrap(),
        );
        assert_eq!(datagrams.len(), 1, "{tx}");
    }
    // nftables' batch without NLM_F_ACK gets no answer when it succeeds.
    let silent: Vec<&str> = transactions
        .iter()
        .filter(|tx| tx["outcome"] == "no-reply")
        .map(|tx| tx["op"].as_str().unwrap())
        .collect();
    assert!(
        silent
            .iter()
            .all(|op| op.starts_with("NFNL_MSG_BATCH") || op.starts_with("NFT_MSG_NEW")),
        "{silent:?}"
    );
    // auditctl: the kernel acks first and answers from a kernel thread
    // after, so the answers come after their transaction closed.
    assert_eq!(orphans.len(), 3);
    assert!(orphans.iter().all(|o| o["protocol_name"] == "audit"));
    orphans_have_no_waiting_request(&messages, &transactions, &orphans);
}

#[test]
fn the_text_lists_each_transaction_and_the_counts() {
    let output = Command::new(env!("CARGO_BIN_EXE_nlscope"))
        .arg("decode")
        .arg(fixture("guest-capture-paths.pcapng"))
        .arg("--transactions")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 45 + 1 + 1, "{text}");
    assert!(lines[0].starts_with(
        "transaction 1 | RTM_GETLINK dump | nl_traffic[363] port 363 -> kernel, route seq 1 | ok | first "
    ), "{}", lines[0]);
    assert!(
        lines[0].ends_with("| 2 parts, 1420 bytes | request #1, replies #2..#3"),
        "{}",
        lines[0]
    );
    assert!(
        lines[4].starts_with("orphan | #19 | to port 4242"),
        "{}",
        lines[4]
    );
    assert_eq!(
        lines.last().copied(),
        Some("45 transactions (1 no-reply, 44 ok); 1 orphan replies, 246 notifications")
    );
}

#[test]
fn a_file_written_again_pairs_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["guest-capture-paths.pcapng", "real-clients.pcapng"] {
        let read = read_capture(fixture(name));
        let original = pair_all(&read.messages, PairingConfig::default());
        assert!(!original.transactions.is_empty());

        let pcapng = dir.path().join("again.pcapng");
        let mut writer = PcapngWriter::new(std::fs::File::create(&pcapng).unwrap())
            .unwrap()
            .with_genl_families(read.genl_families.clone());
        let jsonl = dir.path().join("again.jsonl");
        let mut lines = JsonlWriter::new(std::fs::File::create(&jsonl).unwrap());
        for message in &read.messages {
            writer.write(message).unwrap();
            lines.write(message).unwrap();
        }
        writer.flush().unwrap();
        lines.flush().unwrap();
        drop((writer, lines));

        for again in [&pcapng, &jsonl] {
            let messages = read_capture(again).messages;
            assert_eq!(
                pair_all(&messages, PairingConfig::default()),
                original,
                "{name} as {}",
                again.display()
            );
            // And the command line says the same of both.
            assert_eq!(
                transactions(again, &[]),
                transactions(&fixture(name), &[]),
                "{name} as {}",
                again.display()
            );
        }
    }
}
