//! `nlscope decode` on the fixture corpus: real traffic captured in the QEMU
//! guest (tests/fixtures) and recorded on a host (tui/tests/fixtures/host).
//!
//! "Unknown" is defined as the decoder admitting it could not decode a
//! message of a family it covers: an output line saying `not parsed` or
//! `unknown` (any case) outside quoted text. None may appear.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use nlscope::decode::{decode_bytes, DecodeContext};
use nlscope::format::read::read_capture;

fn guest_fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    ["guest-capture-paths.pcapng", "guest-capture-paths.jsonl"]
        .iter()
        .map(|name| dir.join(name))
        .collect()
}

fn decode_file(path: &Path, json: bool) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nlscope"));
    command.arg("decode").arg(path);
    if json {
        command.arg("--json");
    }
    command.output().unwrap()
}

/// Lines where the decoder says it could not decode something. Quoted text
/// is the traffic's own (an extended ack saying "Unknown device type"), not
/// the decoder's verdict, so it is left out of the check.
fn unknown_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| {
            let unquoted: String = line.split('"').step_by(2).collect();
            let lower = unquoted.to_ascii_lowercase();
            lower.contains("not parsed") || lower.contains("unknown")
        })
        .collect()
}

#[test]
fn every_guest_message_is_printed_and_nothing_is_unknown() {
    for fixture in guest_fixtures() {
        let expected = read_capture(&fixture).messages.len();
        assert!(expected > 300, "{}: real traffic", fixture.display());
        let output = decode_file(&fixture, false);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let printed = text
            .lines()
            .filter(|line| line.starts_with("Message "))
            .count();
        assert_eq!(printed, expected, "{}", fixture.display());
        let unknown = unknown_lines(&text);
        assert!(unknown.is_empty(), "{}: {unknown:#?}", fixture.display());
    }
}

#[test]
fn json_output_parses_with_one_object_per_message() {
    for fixture in guest_fixtures() {
        let expected = read_capture(&fixture).messages.len();
        let output = decode_file(&fixture, true);
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).unwrap();
        let objects: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(objects.len(), expected);
        assert!(objects
            .iter()
            .all(|o| o["summary"].is_string() && o["messages"].is_array()));
        assert_eq!(objects[0]["index"], 1);
    }
}

#[test]
fn host_recordings_decode_with_nothing_unknown() {
    let mut context = DecodeContext::default();
    for sample in support::corpus::host_samples() {
        context.learn_bytes(sample.protocol, &sample.bytes);
        let text = decode_bytes(sample.protocol, &sample.bytes, &context).to_text();
        let unknown = unknown_lines(&text);
        assert!(unknown.is_empty(), "{}: {unknown:#?}", sample.name);
    }
}

#[test]
fn a_cut_capture_prints_every_complete_message_then_names_the_offset() {
    let fixture = &guest_fixtures()[0];
    let bytes = std::fs::read(fixture).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 7]).unwrap();
    let complete = read_capture(&cut).messages.len();
    assert!(complete > 100);

    let output = decode_file(&cut, false);
    assert!(!output.status.success(), "a damaged file is an error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("byte offset") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text.lines()
            .filter(|line| line.starts_with("Message "))
            .count(),
        complete
    );

    // Garbage is refused the same way, with nothing printed.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a capture at all").unwrap();
    let output = decode_file(&junk, false);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("byte offset 0"));
}

#[test]
fn a_cut_message_is_printed_cut_in_text_and_json() {
    // 64 of 252 bytes captured, as `nlscope record --snaplen 64` writes it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cut.jsonl");
    let mut writer = nlscope::format::jsonl::JsonlWriter::new(Vec::new());
    writer.write(&support::messages::cut_message()).unwrap();
    std::fs::write(&file, writer.into_inner()).unwrap();

    let output = decode_file(&file, false);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("\n    length: 252 bytes (64 captured), netns 4026531840, hook netlink_broadcast\n    cut: 64 of 252 bytes captured\n"),
        "{text}"
    );
    assert!(
        text.contains("\n      cut: 64 of 252 bytes captured\n"),
        "{text}"
    );
    assert!(
        !text.contains("malformed") && !text.contains("trailing"),
        "{text}"
    );

    let output = decode_file(&file, true);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (&json["len"], &json["captured"], &json["cut"]),
        (&252.into(), &64.into(), &true.into())
    );
    let tree = json["messages"].to_string();
    assert!(
        tree.contains(r#"{"name":"cut","value":"64 of 252 bytes captured"}"#),
        "{tree}"
    );
}

#[test]
fn the_decoded_guest_capture_matches_its_reviewed_snapshot() {
    let output = decode_file(&guest_fixtures()[0], false);
    let text = String::from_utf8(output.stdout).unwrap();
    // The first 30 messages: dumps, link notifications, uevents, netconf, acks.
    let head: String = text.split_inclusive("\n\n").take(30).collect();
    insta::assert_snapshot!("decode_guest_capture_head", head);
}

/// An `ip link show` recorded by nlmon + tcpdump: no process, no ports, the
/// direction from each record's cooked header.
#[test]
fn an_nlmon_capture_decodes_with_its_directions_and_unknown_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nlmon.pcap");
    std::fs::write(&path, support::messages::nlmon_getlink_pcap()).unwrap();

    let output = decode_file(&path, false);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let ends: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("    route 0: "))
        .collect();
    assert_eq!(
        ends,
        [
            "    route 0: ? -> kernel  [u2k]",
            "    route 0: ? -> ?  [k2u]",
            "    route 0: ? -> ?  [k2u]",
        ],
        "{text}"
    );
    assert_eq!(text.matches("\n    process: ?\n").count(), 3, "{text}");
    assert!(!text.contains("k2k"), "{text}");

    let output = decode_file(&path, true);
    assert!(output.status.success());
    let objects: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let ends: Vec<_> = objects
        .iter()
        .map(|o| {
            (
                o["direction"].as_str().unwrap().to_string(),
                o["src_port"].clone(),
                o["dst_port"].clone(),
            )
        })
        .collect();
    let null = serde_json::Value::Null;
    assert_eq!(
        ends,
        [
            ("u2k".to_string(), null.clone(), serde_json::json!(0)),
            ("k2u".to_string(), null.clone(), null.clone()),
            ("k2u".to_string(), null.clone(), null),
        ]
    );
    assert_eq!(objects[0]["summary"], "RTM_GETLINK dump");
}

#[test]
fn a_missing_file_is_one_error_line() {
    let output = decode_file(Path::new("/nonexistent/capture.pcapng"), false);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot read the file: /nonexistent/capture.pcapng"),
        "{stderr}"
    );
}
