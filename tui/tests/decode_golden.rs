//! Golden tests: the decoded tree (as text) of every corpus buffer, reviewed
//! by eye and kept as insta snapshots under `tests/snapshots/`.

mod support;

use nlscope::decode::{decode, decode_bytes, DecodeContext};
use support::corpus;

/// A context that has learnt families the way a live stream teaches them:
/// from nlctrl replies seen earlier (the host's real family dump, then the
/// hand-built nl80211 reply).
fn learned_context() -> DecodeContext {
    let mut context = DecodeContext::default();
    for sample in corpus::host_samples() {
        if sample.protocol == 16 {
            context.learn_bytes(16, &sample.bytes);
        }
    }
    context.learn_bytes(16, &corpus::nl80211_family());
    context.learn_bytes(16, &corpus::ethtool_family());
    context
}

#[test]
fn corpus_decodes_as_reviewed() {
    let context = learned_context();
    for sample in corpus::all_samples() {
        let decoded = decode(&sample.captured(), &context);
        insta::assert_snapshot!(sample.name.clone(), decoded.to_text());
    }
}

#[test]
fn summaries_read_like_the_brief() {
    let context = learned_context();
    let summary = |name: &str| {
        let sample = corpus::all_samples()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap();
        decode_bytes(sample.protocol, &sample.bytes, &context).summary
    };
    assert_eq!(summary("route-newlink"), "RTM_NEWLINK dummy0 UP");
    assert_eq!(summary("route-newaddr"), "RTM_NEWADDR 10.0.0.1/24 dev 3");
    assert_eq!(
        summary("genl-getfamily-nl80211"),
        "nlctrl GETFAMILY nl80211"
    );
    assert_eq!(
        summary("genl-nl80211-get-interface"),
        "nl80211 get-interface"
    );
    assert_eq!(
        summary("uevent-kernel"),
        "uevent add@/devices/virtual/net/dummy0"
    );
    assert_eq!(
        summary("demo-hello-userspace"),
        "NLMSG_DONE \"Hello userspace\""
    );
}

#[test]
fn families_are_learnt_from_real_nlctrl_replies() {
    let mut context = DecodeContext::default();
    let host = corpus::host_samples();
    let dump = host
        .iter()
        .find(|s| s.name == "host-genl-getfamily")
        .unwrap();
    context.learn_bytes(16, &dump.bytes);
    assert_eq!(
        context.family(0x10).map(|f| f.name.as_str()),
        Some("nlctrl")
    );
    assert!(context.families().count() >= 2, "{:?}", context);

    // Unknown before it is learnt or seeded, named after.
    let get_interface = &corpus::genl_samples()[2].bytes;
    let mut fresh = DecodeContext::default();
    assert_eq!(
        decode_bytes(16, get_interface, &fresh).summary,
        "genl family 0x1c cmd 5"
    );
    fresh.add_family(0x1c, "nl80211", vec![(5, "config".into())]);
    assert_eq!(
        decode_bytes(16, get_interface, &fresh).summary,
        "nl80211 get-interface"
    );
    assert_eq!(fresh.group_name(16, 5).as_deref(), Some("nl80211/config"));
    assert_eq!(fresh.group_name(0, 1).as_deref(), Some("RTNLGRP_LINK"));
    // A family with its own fixed header: attributes start after it.
    fresh.set_header_size(0x1c, 4);
    let text = decode_bytes(16, get_interface, &fresh).to_text();
    assert!(text.contains("family header: 08000300 [20..24]"), "{text}");
}

#[test]
fn errors_name_the_errno_and_the_extended_ack() {
    let host = corpus::host_samples();
    let error = host
        .iter()
        .find(|s| s.name == "host-route-newlink-error")
        .unwrap();
    let decoded = decode_bytes(0, &error.bytes, &DecodeContext::default());
    assert!(
        decoded.summary.starts_with("NLMSG_ERROR E"),
        "{}",
        decoded.summary
    );
    assert!(
        decoded.summary.contains("for RTM_NEWLINK"),
        "{}",
        decoded.summary
    );
    let text = decoded.to_text();
    assert!(text.contains("NLMSGERR_ATTR_MSG"), "{text}");
}
