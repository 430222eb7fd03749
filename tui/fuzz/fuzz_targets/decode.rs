//! Fuzz target `decode`: the first byte picks the netlink protocol, the rest
//! is the captured buffer. Decoding and learning must never panic, and every
//! field's byte range must lie inside the buffer.
//!
//! For generic netlink, the buffer's second byte also picks one of the
//! embedded YNL specs' families, taught to the context under the first
//! message's type, so the spec interpreter decodes it (commands, fixed
//! headers, attributes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nlscope::decode::{decode_bytes, DecodeContext, Field};
use nlscope::ynl::Specs;

const PROTOCOLS: &[u32] = &[0, 2, 4, 6, 9, 12, 15, 16, 30, 31];

fn check(field: &Field, len: usize) {
    if let Some(range) = &field.bytes {
        assert!(
            range.start <= range.end && range.end <= len,
            "{}: {range:?}",
            field.name
        );
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
    if protocol == 16 {
        let specs = Specs::embedded();
        let (pick, kind) = (payload.get(1), payload.get(4..6));
        if let (Some(&pick), Some(kind)) = (pick, kind) {
            let (file, _) = specs[pick as usize % specs.len()];
            let id = u16::from_ne_bytes([kind[0], kind[1]]);
            context.add_family(id, file.trim_end_matches(".yaml"), Vec::new());
        }
    }
    let decoded = decode_bytes(protocol, payload, &context);
    for message in &decoded.messages {
        check(message, payload.len());
    }
});
