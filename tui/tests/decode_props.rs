//! Property tests: the decoder never panics on arbitrary or damaged input,
//! every field's byte range lies inside the buffer, and the work it does is
//! bounded (tree depth, field count); and the summary-only path
//! (`summarize_bytes`, what the store uses) always gives the full decode's
//! summary. 10,000 arbitrary buffers plus 6,000 structured and mutated ones
//! per run, plus every message of the fixture captures. And a capture cut at
//! any byte (a `--snaplen` cap) is shown cut, never malformed.

mod support;

use nlscope::decode::{
    decode, decode_bytes, summarize, summarize_bytes, DecodeContext, DecodedMessage, Field,
};
use nlscope::event::CapturedMessage;
use nlscope::netlink::header::split_messages;
use proptest::prelude::*;
use support::corpus;

/// Protocols with a decoder, plus a few without.
const PROTOCOLS: &[u32] = &[0, 2, 4, 6, 9, 12, 15, 16, 30, 31];

fn check(decoded: &DecodedMessage, len: usize) -> Result<(), TestCaseError> {
    fn walk(
        field: &Field,
        len: usize,
        depth: usize,
        count: &mut usize,
    ) -> Result<(), TestCaseError> {
        *count += 1;
        prop_assert!(depth <= 32, "tree deeper than 32 at {}", field.name);
        if let Some(range) = &field.bytes {
            prop_assert!(range.start <= range.end, "{}: {:?}", field.name, range);
            prop_assert!(
                range.end <= len,
                "{}: {:?} beyond {}",
                field.name,
                range,
                len
            );
        }
        prop_assert!(
            field.value.text().len() <= 4096,
            "{} value too long",
            field.name
        );
        for child in &field.children {
            walk(child, len, depth + 1, count)?;
        }
        Ok(())
    }
    let mut count = 0;
    for message in &decoded.messages {
        walk(message, len, 0, &mut count)?;
    }
    prop_assert!(count <= 25_000, "{count} fields");
    prop_assert!(!decoded.summary.is_empty());
    prop_assert!(decoded.summary.len() <= 2048);
    Ok(())
}

/// A context that knows a family, so learnt names take part too.
fn context() -> DecodeContext {
    let mut context = DecodeContext::default();
    context.learn_bytes(16, &corpus::nl80211_family());
    context
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn arbitrary_bytes_never_panic(
        protocol in prop::sample::select(PROTOCOLS),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let decoded = decode_bytes(protocol, &bytes, &context());
        check(&decoded, bytes.len())?;
        prop_assert_eq!(summarize_bytes(protocol, &bytes, &context()), decoded.summary);
        let mut learner = DecodeContext::default();
        learner.learn_bytes(protocol, &bytes);
    }
}

/// A netlink message with a chosen type and flags and an arbitrary body
/// that is mostly made of attributes (so the deep paths are reached).
fn framed() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let attr = (any::<u16>(), prop::collection::vec(any::<u8>(), 0..40))
        .prop_map(|(kind, data)| corpus::nla(kind, &data));
    let nested = prop::collection::vec(attr.clone(), 0..4)
        .prop_map(|inner| corpus::nla(0x8001, &inner.concat()));
    (
        prop::sample::select(PROTOCOLS),
        prop_oneof![
            Just(2u16),
            Just(3),
            16u16..130,
            1000u16..1400,
            0x100u16..0xc20,
            any::<u16>()
        ],
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..24),
        prop::collection::vec(prop_oneof![attr, nested], 0..8),
    )
        .prop_map(|(protocol, kind, flags, head, attrs)| {
            let mut body = head;
            body.extend(attrs.concat());
            (protocol, corpus::nlmsg(kind, flags, 1, 2, &body))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn framed_messages_never_panic((protocol, bytes) in framed()) {
        let decoded = decode_bytes(protocol, &bytes, &context());
        check(&decoded, bytes.len())?;
        prop_assert!(!decoded.messages.is_empty());
        prop_assert_eq!(summarize_bytes(protocol, &bytes, &context()), decoded.summary);
    }

    #[test]
    fn damaged_corpus_never_panics(
        index in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let samples = corpus::all_samples();
        let sample = &samples[index.index(samples.len())];
        let mut bytes = sample.bytes.clone();
        if !bytes.is_empty() {
            for (at, value) in flips {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            let keep = cut.index(bytes.len() + 1);
            bytes.truncate(keep.max(bytes.len() / 2));
        }
        let decoded = decode_bytes(sample.protocol, &bytes, &context());
        check(&decoded, bytes.len())?;
        prop_assert_eq!(summarize_bytes(sample.protocol, &bytes, &context()), decoded.summary);
        let mut learner = DecodeContext::default();
        learner.learn_bytes(sample.protocol, &bytes);
        prop_assert!(learner.families().count() <= 4096);
    }
}

/// True when some field of the tree, or the summary, passes `test`.
fn any_field(decoded: &DecodedMessage, test: &dyn Fn(&str, &str) -> bool) -> bool {
    fn walk(field: &Field, test: &dyn Fn(&str, &str) -> bool) -> bool {
        test(&field.name, &field.value.text()) || field.children.iter().any(|c| walk(c, test))
    }
    test("summary", &decoded.summary) || decoded.messages.iter().any(|m| walk(m, test))
}

/// What the decoder says of bytes that are wrong rather than missing.
fn says_malformed(decoded: &DecodedMessage) -> bool {
    any_field(decoded, &|name, value| {
        name == "malformed"
            || name == "trailing bytes"
            || value.contains("no netlink header")
            || value.contains("no error code")
    })
}

fn says_cut(decoded: &DecodedMessage) -> bool {
    any_field(decoded, &|name, value| {
        name == "cut" || value.starts_with("cut: ")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn a_message_cut_at_any_byte_is_shown_cut_never_malformed(
        index in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        // The corpus buffers that are netlink messages (not uevents or bare
        // text), each decoding cleanly as it stands.
        let samples: Vec<_> = corpus::all_samples()
            .into_iter()
            .filter(|s| !split_messages(&s.bytes).is_empty() && s.protocol != 15)
            .collect();
        let sample = &samples[index.index(samples.len())];
        let whole = decode(&sample.captured(), &context());
        prop_assert!(!says_malformed(&whole), "{}: {}", sample.name, whole.to_text());

        let keep = cut.index(sample.bytes.len());
        let message = CapturedMessage {
            payload: sample.bytes[..keep].to_vec(),
            ..sample.captured()
        };
        let decoded = decode(&message, &context());
        check(&decoded, keep)?;
        prop_assert_eq!(summarize(&message, &context()), decoded.summary.clone());
        let text = decoded.to_text();
        prop_assert!(!says_malformed(&decoded), "{} cut at {keep}:\n{text}", sample.name);
        // Cut inside a message (not between two): the tree says so.
        let inside = keep == 0
            || split_messages(&sample.bytes)
                .iter()
                .any(|(offset, header)| *offset < keep && keep < offset + header.len as usize);
        if inside {
            prop_assert!(says_cut(&decoded), "{} cut at {keep}:\n{text}", sample.name);
        }
    }
}

#[test]
fn the_same_bytes_whole_are_malformed_and_cut_are_cut() {
    // 64 bytes of a 216-byte message: cut when the capture says it held 216,
    // a header that lies when the 64 bytes are the whole buffer.
    let sample = corpus::all_samples()
        .into_iter()
        .find(|s| s.name == "route-truncated")
        .unwrap();
    let cut = decode(&sample.captured(), &context());
    assert!(says_cut(&cut) && !says_malformed(&cut), "{}", cut.to_text());
    let whole = decode_bytes(sample.protocol, &sample.bytes, &context());
    assert!(
        says_malformed(&whole) && !says_cut(&whole),
        "{}",
        whole.to_text()
    );
}

#[test]
fn summary_only_matches_the_full_decode_on_every_fixture_message() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut checked = 0;
    for path in [
        "tests/fixtures/guest-capture-paths.pcapng",
        "tests/fixtures/guest-capture-paths.jsonl",
    ] {
        let read = nlscope::format::read_capture(format!("{root}/{path}"));
        assert!(read.error.is_none(), "{path}: {:?}", read.error);
        let mut context = DecodeContext::default();
        for message in &read.messages {
            context.learn(message);
            let full = decode_bytes(message.protocol, &message.payload, &context).summary;
            let fast = summarize_bytes(message.protocol, &message.payload, &context);
            assert_eq!(fast, full, "{path}: {message:?}");
            checked += 1;
        }
    }
    for sample in corpus::all_samples() {
        let context = context();
        let full = decode_bytes(sample.protocol, &sample.bytes, &context).summary;
        assert_eq!(
            summarize_bytes(sample.protocol, &sample.bytes, &context),
            full,
            "{}",
            sample.name
        );
        checked += 1;
    }
    assert!(checked >= 680, "{checked} messages");
}

#[test]
fn deep_nesting_is_cut_off() {
    // 200 levels of nested attributes: decoded to the depth limit, no deeper.
    let mut inner = corpus::nla(1, &7u32.to_ne_bytes());
    for _ in 0..200 {
        inner = corpus::nla(0x8001, &inner);
        if inner.len() > 60_000 {
            break;
        }
    }
    let bytes = corpus::nlmsg(0x1c, 0, 1, 2, &[&[0u8; 4][..], &inner].concat());
    let decoded = decode_bytes(31, &bytes, &DecodeContext::default());
    fn depth(field: &Field) -> usize {
        1 + field.children.iter().map(depth).max().unwrap_or(0)
    }
    let deepest = decoded.messages.iter().map(depth).max().unwrap();
    assert!(deepest <= 14, "depth {deepest}");
}

#[test]
fn many_tiny_attributes_hit_the_field_budget() {
    // 60,000 empty attributes in one message: the field budget stops the walk.
    let body: Vec<u8> = (0..60_000u32).flat_map(|_| corpus::nla(1, &[])).collect();
    let bytes = corpus::nlmsg(0x1c, 0, 1, 2, &[&[0u8; 4][..], &body].concat());
    let decoded = decode_bytes(31, &bytes, &DecodeContext::default());
    fn count(field: &Field) -> usize {
        1 + field.children.iter().map(count).sum::<usize>()
    }
    let total: usize = decoded.messages.iter().map(count).sum();
    assert!(total <= 20_100, "{total} fields");
    assert!(decoded.to_text().contains("field limit reached"));
}
