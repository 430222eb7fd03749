use std::time::Instant;

use super::registry::parse;
use super::*;

#[test]
fn every_embedded_spec_loads() {
    let started = Instant::now();
    let specs = Specs::with_builtin();
    let errors = specs.load_all();
    let elapsed = started.elapsed();
    assert!(errors.is_empty(), "{errors:#?}");
    let listed = specs.list();
    println!("{} embedded specs parsed in {elapsed:?}", listed.len());
    for family in &listed {
        println!(
            "{:<16} {:<17} {:>3} ops {:>3} attribute-sets",
            family.family,
            family.schema.unwrap_or("-"),
            family.ops,
            family.attribute_sets
        );
        assert_eq!(family.source, Source::BuiltIn);
        assert!(family.attribute_sets > 0, "{}", family.family);
    }
    // The kernel's families, not the package's own (builtin, overrides).
    let names: Vec<&str> = listed.iter().map(|f| f.family.as_str()).collect();
    for expected in [
        "rt-link",
        "rt-addr",
        "rt-route",
        "rt-neigh",
        "rt-rule",
        "tc",
        "nl80211",
        "ethtool",
        "devlink",
        "netdev",
        "dpll",
        "wireguard",
        "mptcp_pm",
        "ovs_datapath",
        "nftables",
        "conntrack",
        "team",
        "fou",
        "tcp_metrics",
        "handshake",
        "nfsd",
        "lockd",
        "nlctrl",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(!names.contains(&"builtin"), "{names:?}");
    assert!(listed.len() >= 30, "{names:?}");
    // Every embedded text is the kernel's: it starts with its SPDX tag.
    for (file, text) in Specs::embedded() {
        assert!(
            text.starts_with("# SPDX-License-Identifier:"),
            "{file} is not a kernel spec"
        );
        assert!(!file.contains("overrides"), "{file}");
    }
}

#[test]
fn the_builtin_registry_is_shared() {
    let a = Specs::builtin();
    let b = Specs::builtin();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    let first = a.family("fou").unwrap() as *const Family;
    let second = b.family("fou").unwrap() as *const Family;
    assert_eq!(first, second, "parsed once");
}

const TOY: &str = r#"
# SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
name: toy
protocol: genetlink-legacy
doc: A family for tests.
definitions:
  - name: max-len
    type: const
    value: 6
  - name: colour
    type: enum
    entries: [red, green, { name: blue, value: 7 }, cyan]
  - name: level
    type: enum
    value-start: 1
    entries: [low, high]
  - name: opts
    type: flags
    entries: [fast, safe, loud]
  - name: toy-hdr
    type: struct
    members:
      - { name: index, type: u32 }
      - { name: pad, type: pad, len: 2 }
      - { name: port, type: u16, byte-order: big-endian }
      - { name: addr, type: binary, len: max-len, display-hint: mac }
  - name: outer
    type: struct
    members:
      - { name: head, type: binary, struct: toy-hdr }
      - { name: tail, type: u8 }
attribute-sets:
  - name: main
    attributes:
      - { name: unspec, type: unused, value: 0 }
      - { name: name, type: string }
      - { name: colour, type: u8, enum: colour }
      - { name: opts, type: u32, enum: opts }
      - { name: list, type: nest, nested-attributes: main, multi-attr: true }
      - { name: big, type: u64, value: 10 }
      - { name: after-big, type: uint }
  - name: small
    subset-of: main
    attributes:
      - name: big
      - { name: colour, enum: level }
operations:
  enum-model: unified
  fixed-header: toy-hdr
  list:
    - name: get
      attribute-set: main
      do:
        request: { attributes: [name] }
        reply: { attributes: [name, colour] }
      dump: {}
    - name: set
      value: 5
      attribute-set: main
      fixed-header: outer
      do:
        request: { attributes: [opts] }
    - name: changed
      notify: get
mcast-groups:
  list:
    - name: events
"#;

/// (name, request id, reply id) of each operation.
fn op_ids(family: &Family) -> Vec<(&str, Option<u32>, Option<u32>)> {
    family
        .ops
        .iter()
        .map(|op| (op.name, op.request, op.reply))
        .collect()
}

#[test]
fn values_follow_the_numbering_rules() {
    let toy = parse("toy.yaml", TOY).unwrap();
    assert_eq!(toy.name, "toy");
    assert_eq!(toy.schema, Schema::GenetlinkLegacy);
    // Enums count from value-start (0), an explicit value restarting.
    let colour = &toy.enums[0];
    assert_eq!(colour.name_of(0), Some("red"));
    assert_eq!(colour.name_of(1), Some("green"));
    assert_eq!(colour.name_of(7), Some("blue"));
    assert_eq!(colour.name_of(8), Some("cyan"));
    assert_eq!(toy.enums[1].name_of(1), Some("low"));
    assert!(toy.enums[2].flags);
    assert_eq!(
        toy.enums[2].name_of(2),
        Some("loud"),
        "flags are bit numbers"
    );
    // Attributes count from 1; an explicit value restarts the count.
    let main = toy.set(toy.set_named("main").unwrap());
    let ids: Vec<(u16, &str)> = main.attrs().iter().map(|a| (a.value, a.name)).collect();
    assert_eq!(
        ids,
        [
            (0, "unspec"),
            (1, "name"),
            (2, "colour"),
            (3, "opts"),
            (4, "list"),
            (10, "big"),
            (11, "after-big")
        ]
    );
    assert_eq!(
        main.find(4).unwrap().kind,
        AttrKind::Nest(toy.set_named("main"))
    );
    assert!(main.find(4).unwrap().multi);
    assert_eq!(main.find(11).unwrap().kind, AttrKind::Var { signed: false });
    // A subset takes the parent's ids and kinds, with what it overrides.
    let small = toy.set(toy.set_named("small").unwrap());
    assert_eq!(small.find(10).unwrap().name, "big");
    assert_eq!(
        small.find(10).unwrap().kind,
        AttrKind::Int {
            size: 8,
            signed: false
        }
    );
    assert_eq!(small.find(2).unwrap().enumeration.unwrap().id, 1);
    assert!(small.find(1).is_none());
    // Structs: offsets in order, lengths from constants, nested structs.
    let header = &toy.structs[0];
    let layout: Vec<(&str, usize, usize)> = header
        .members
        .iter()
        .map(|m| (m.name, m.offset, m.size))
        .collect();
    assert_eq!(
        layout,
        [
            ("index", 0, 4),
            ("pad", 4, 2),
            ("port", 6, 2),
            ("addr", 8, 6)
        ]
    );
    assert_eq!(header.members[2].order, Order::Big);
    assert_eq!(header.members[3].hint, Hint::Mac);
    assert_eq!(toy.structs[1].size, 15);
    // Unified operations count from 1; a notification names the next id.
    assert_eq!(
        op_ids(&toy),
        [
            ("get", Some(1), Some(1)),
            ("set", Some(5), Some(5)),
            ("changed", None, Some(6))
        ]
    );
    assert!(toy.ops[0].modes.dump && toy.ops[0].modes.r#do);
    assert_eq!(
        toy.ops[0].fixed_header,
        Some(0),
        "the family's fixed header"
    );
    assert_eq!(toy.ops[1].fixed_header, Some(1), "the operation's own");
    assert_eq!(
        toy.ops[0].list(Direction::Reply, false),
        Some(&[1u16, 2][..])
    );
    assert_eq!(
        toy.ops[2].list(Direction::Reply, false),
        Some(&[1u16, 2][..])
    );
    assert_eq!(
        toy.ops[2].set,
        toy.set_named("main"),
        "from the notified op"
    );
    assert_eq!(toy.fallback_set, toy.set_named("main"));
    assert_eq!(toy.mcast_groups[0].name, "events");
}

#[test]
fn directional_ids_count_requests_and_replies_apart() {
    // The shape of rt-link and nl80211: explicit ids, then counting on.
    let spec = r#"
name: dir
protocol: netlink-raw
protonum: 99
attribute-sets:
  - name: a
    attributes: [{ name: x, type: u32 }]
operations:
  enum-model: directional
  list:
    - name: new
      attribute-set: a
      do: { request: { value: 16, attributes: [x] } }
    - name: new-ntf
      value: 16
      notify: get
    - name: del
      attribute-set: a
      do: { request: { value: 17 } }
    - name: get
      attribute-set: a
      do:
        request: { value: 18 }
        reply: { value: 16, attributes: [x] }
      dump:
        request: {}
        reply: {}
    - name: set
      attribute-set: a
      do: { request: {} }
    - name: ping
      attribute-set: a
      do: { request: {}, reply: {} }
"#;
    let family = parse("dir.yaml", spec).unwrap();
    assert_eq!(
        op_ids(&family),
        [
            ("new", Some(16), None),
            ("new-ntf", None, Some(16)),
            ("del", Some(17), None),
            ("get", Some(18), Some(16)),
            ("set", Some(19), None),
            ("ping", Some(20), Some(17)),
        ]
    );
    let replies: Vec<&str> = family
        .ops_with(16, Direction::Reply)
        .map(|op| op.name)
        .collect();
    assert_eq!(replies, ["new-ntf", "get"]);
    assert_eq!(family.protonum, Some(99));
}

#[test]
fn kernel_specs_get_their_known_ids() {
    let specs = Specs::builtin();
    let nl80211 = specs.genetlink("nl80211").unwrap();
    let wiphy = nl80211.ops.iter().find(|o| o.name == "get-wiphy").unwrap();
    assert_eq!((wiphy.request, wiphy.reply), (Some(1), Some(3)));
    let attrs = nl80211.set(wiphy.set.unwrap());
    assert_eq!(attrs.find(1).unwrap().name, "wiphy");
    assert_eq!(attrs.find(4).unwrap().name, "ifname");
    // ethtool: directional, requests and replies counted apart.
    let ethtool = specs.genetlink("ethtool").unwrap();
    let linkinfo = ethtool
        .ops
        .iter()
        .find(|o| o.name == "linkinfo-get")
        .unwrap();
    assert_eq!((linkinfo.request, linkinfo.reply), (Some(2), Some(2)));
    let id = |name: &str| {
        let op = ethtool.ops.iter().find(|o| o.name == name).unwrap();
        (op.request, op.reply)
    };
    // ETHTOOL_MSG_LINKINFO_SET is request 3, ETHTOOL_MSG_LINKINFO_NTF reply 3.
    assert_eq!(id("linkinfo-set"), (Some(3), None));
    assert_eq!(id("linkinfo-ntf"), (None, Some(3)));
    // wireguard counts from an explicit 0.
    let wg = specs.genetlink("wireguard").unwrap();
    assert_eq!(wg.ops[0].name, "get-device");
    assert_eq!(wg.ops[0].request, Some(0));
    assert_eq!(wg.ops[1].request, Some(1));
    // rtnetlink: several specs on protocol 0, by message type.
    let found: Vec<(&str, &str)> = specs
        .raw(0, 16, Direction::Reply)
        .map(|(f, op)| (f.name, op.name))
        .collect();
    assert!(found.contains(&("rt-link", "getlink")), "{found:?}");
    let found: Vec<&str> = specs
        .raw(0, 20, Direction::Request)
        .map(|(f, _)| f.name)
        .collect();
    assert_eq!(found, ["rt-addr"]);
    // nfnetlink: the subsystem is the high byte of the specs' ids.
    let ct: Vec<(&str, &str)> = specs
        .raw(12, 0x101, Direction::Request)
        .map(|(f, op)| (f.name, op.name))
        .collect();
    assert_eq!(ct.first(), Some(&("conntrack", "get")));
    let nft: Vec<(&str, &str)> = specs
        .raw(12, 0xa00, Direction::Request)
        .map(|(f, op)| (f.name, op.name))
        .collect();
    assert_eq!(nft, [("nftables", "newtable")]);
    assert!(specs.genetlink("rt-link").is_none(), "not generic netlink");
}

#[test]
fn a_malformed_spec_is_one_error_with_its_place() {
    let broken =
        "name: broken\nattribute-sets:\n  - name: a\n    attributes: [ {name: x, type: u8 ]\n";
    let error = parse("broken.yaml", broken).unwrap_err();
    let (line, _) = error.location.expect("a YAML error has a place");
    assert_eq!(line, 4, "{error}");
    let text = error.to_string();
    assert!(text.starts_with("broken.yaml:4:"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    // A semantic error names the definition.
    let dangling = "name: d\nattribute-sets:\n  - name: a\n    attributes:\n      - { name: x, type: nest, nested-attributes: nowhere }\n";
    let error = parse("d.yaml", dangling).unwrap_err();
    assert_eq!(
        error.to_string(),
        "d.yaml: attribute-set a, attribute x: attribute-set nowhere is not defined"
    );
    let subset = "name: s\nattribute-sets:\n  - name: a\n    attributes: [{name: x, type: u8}]\n  - name: b\n    subset-of: a\n    attributes: [{name: y}]\n";
    let error = parse("s.yaml", subset).unwrap_err();
    assert!(
        error.to_string().contains("attribute-set b, attribute y"),
        "{error}"
    );
    // Nothing panics, whatever the text.
    for text in [
        "",
        "[",
        "name: [1, 2]",
        "- a\n- b",
        "name: x\ndefinitions: 3",
        "\u{0}",
    ] {
        assert!(parse("x.yaml", text).is_err(), "{text:?}");
    }
}

#[test]
fn a_directory_adds_and_replaces_specs_and_reports_the_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let fou = "name: fou\nprotocol: genetlink\nattribute-sets:\n  - name: mine\n    attributes: [{name: only, type: u8}]\noperations:\n  list:\n    - name: hello\n      attribute-set: mine\n      do: {request: {attributes: [only]}}\n";
    std::fs::write(dir.path().join("fou.yaml"), fou).unwrap();
    std::fs::write(dir.path().join("toy.yaml"), TOY).unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "name: bad\nattribute-sets: [\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a spec").unwrap();
    let mut specs = Specs::with_builtin();
    let before = specs.len();
    let errors = specs.add_dir(dir.path());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0].to_string();
    assert!(message.contains("bad.yaml:"), "{message}");
    assert!(errors[0].location.is_some(), "{message}");
    assert_eq!(specs.len(), before + 1, "fou replaced, toy added");
    let fou = specs.genetlink("fou").unwrap();
    assert_eq!(fou.ops[0].name, "hello");
    let listed = specs.list();
    let fou = listed.iter().find(|l| l.family == "fou").unwrap();
    assert_eq!(fou.source, Source::File(dir.path().join("fou.yaml")));
    assert_eq!(fou.replaced, Some(Source::BuiltIn));
    assert!(listed.iter().any(|l| l.family == "toy"));
    assert!(listed.iter().all(|l| l.error.is_none()));
    // The built-ins the directory did not name still load.
    assert!(specs.genetlink("nl80211").is_some());
    // An unreadable directory is one error.
    let errors = specs.add_dir(&dir.path().join("missing"));
    assert_eq!(errors.len(), 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// A spec damaged anywhere (bytes replaced, a piece cut out) parses
    /// or is an error, never a panic.
    #[test]
    fn damaged_spec_text_never_panics(
        spec in 0usize..64,
        edits in proptest::collection::vec((0.0f64..1.0, proptest::prelude::any::<u8>()), 1..8),
        cut in proptest::option::of((0.0f64..1.0, 0usize..200)),
    ) {
        let embedded = Specs::embedded();
        let (file, text) = embedded[spec % embedded.len()];
        let mut bytes = text.as_bytes().to_vec();
        for (at, byte) in edits {
            let at = ((bytes.len() as f64) * at) as usize;
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
        }
        if let Some((at, len)) = cut {
            let at = ((bytes.len() as f64) * at) as usize;
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(file, &text);
    }
}
