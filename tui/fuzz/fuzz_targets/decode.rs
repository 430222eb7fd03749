//! Fuzz target `decode`: the first byte picks the netlink protocol, the rest
//! is the captured buffer. Decoding and learning must never panic, and every
//! field's byte range must lie inside the buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nlscope::decode::{decode_bytes, DecodeContext, Field};

const PROTOCOLS: &[u32] = &[0, 2, 4, 6, 9, 12, 15, 16, 30, 31];

fn check(field: &Field, len: usize) {
    if let Some(range) = &field.bytes {
        assert!(range.start <= range.end && range.end <= len, "{}: {range:?}", field.name);
    }
    for child in &field.children {
        check(child, len);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let protocol = PROTOCOLS[selector as usize % PROTOCOLS.len()];
    let mut context = DecodeContext::default();
    context.learn_bytes(protocol, payload);
    let decoded = decode_bytes(protocol, payload, &context);
    for message in &decoded.messages {
        check(message, payload.len());
    }
});
