use serde_json::json;

use super::*;
use crate::decode::{decode_bytes, DecodeContext};
use crate::netlink::header::build_message;
use crate::ynl::Specs;

fn family(name: &str) -> &'static Family {
    // The built-in registry lives as long as the process.
    let specs: &'static Specs = Box::leak(Box::new(Specs::with_builtin()));
    specs
        .family(name)
        .unwrap_or_else(|| panic!("no built-in spec {name}"))
}

/// Decodes what was built, the family known as `genl_id`.
fn decoded(request: &SpecRequest, genl: Option<(u16, &str)>) -> String {
    let message = build_message(request.kind, request.flags, 1, 4242, &request.body);
    let mut context = DecodeContext::new();
    if let Some((id, name)) = genl {
        context.add_family(id, name, Vec::new());
    }
    decode_bytes(request.protocol, &message, &context).to_text()
}

#[test]
fn an_ethtool_request_reads_back_by_name() {
    let request = build(
        family("ethtool"),
        "linkinfo-get",
        Mode::Do,
        &json!({"header": {"dev-name": "d8"}}),
        Some(0x14),
    )
    .unwrap();
    assert_eq!((request.protocol, request.kind), (16, 0x14));
    assert_eq!(request.flags, NLM_F_REQUEST | NLM_F_ACK);
    let text = decoded(&request, Some((0x14, "ethtool")));
    assert!(text.contains("linkinfo-get"), "{text}");
    assert!(text.contains("dev-name: \"d8\""), "{text}");
}

#[test]
fn a_dump_and_a_raw_family_with_a_fixed_header() {
    let request = build(family("rt-link"), "getlink", Mode::Dump, &Value::Null, None).unwrap();
    assert_eq!((request.protocol, request.kind), (0, 18));
    assert_eq!(request.flags, NLM_F_REQUEST | NLM_F_DUMP);
    // An ifinfomsg of zeros and nothing else.
    assert_eq!(request.body, vec![0; 16]);
    let request = build(
        family("rt-link"),
        "getlink",
        Mode::Do,
        &json!({"ifi-index": 1, "ifname": "lo", "ext-mask": 1}),
        None,
    )
    .unwrap();
    assert_eq!(&request.body[4..8], &1i32.to_ne_bytes());
    let text = decoded(&request, None);
    assert!(text.contains("RTM_GETLINK"), "{text}");
    assert!(text.contains("\"lo\""), "{text}");
}

#[test]
fn enums_flags_and_byte_order() {
    assert_eq!(int_bytes(0x0102, 2, false, Order::Big).unwrap(), vec![1, 2]);
    assert_eq!(int_bytes(-1, 1, true, Order::Native).unwrap(), vec![0xff]);
    assert!(int_bytes(256, 1, false, Order::Native).is_err());
    assert!(int_bytes(-1, 4, false, Order::Native).is_err());
    assert_eq!(binary("0a:0b", Hint::None).unwrap(), vec![10, 11]);
    assert_eq!(binary("10.0.0.1", Hint::Ipv4).unwrap(), vec![10, 0, 0, 1]);
    assert_eq!(binary("fd77::1", Hint::Ipv6).unwrap().len(), 16);
    assert!(binary("zz", Hint::None).is_err());
}

#[test]
fn mistakes_say_what_would_do() {
    let ethtool = family("ethtool");
    let error = build(ethtool, "no-such-op", Mode::Do, &Value::Null, Some(1)).unwrap_err();
    assert!(
        error.contains("no operation `no-such-op`") && error.contains("linkinfo-get"),
        "{error}"
    );
    let error = build(
        ethtool,
        "linkinfo-get",
        Mode::Do,
        &json!({"bogus": 1}),
        Some(1),
    )
    .unwrap_err();
    assert!(
        error.contains("no attribute `bogus`") && error.contains("header"),
        "{error}"
    );
    let error = build(
        ethtool,
        "linkinfo-get",
        Mode::Do,
        &json!({"header": {"dev-name": 3}}),
        Some(1),
    )
    .unwrap_err();
    assert!(error.contains("dev-name: takes a string"), "{error}");
    let error = build(ethtool, "linkinfo-get", Mode::Do, &json!([1]), Some(1)).unwrap_err();
    assert!(error.contains("must be an object"), "{error}");
    let error = build(ethtool, "linkinfo-get", Mode::Do, &Value::Null, None).unwrap_err();
    assert!(
        error.contains("no generic netlink family ethtool"),
        "{error}"
    );
}

fn send_args(words: &[&str]) -> Result<crate::inject::SendArgs, String> {
    #[derive(clap::Parser)]
    struct Line {
        #[command(flatten)]
        args: crate::inject::SendArgs,
    }
    <Line as clap::Parser>::try_parse_from(std::iter::once("send").chain(words.iter().copied()))
        .map(|line| line.args)
        .map_err(|e| e.to_string())
}

#[test]
fn send_family_plans_a_spec_request_and_asks_before_changing_state() {
    let specs = Specs::with_builtin();
    let args = send_args(&["--family", "rt-link", "--dump", "getlink"]).unwrap();
    let plan = crate::inject::Plan::resolve(&args, &specs).unwrap();
    assert_eq!((plan.protocol, plan.kind), (0, 18));
    assert_eq!(plan.flags, NLM_F_REQUEST | NLM_F_DUMP);
    assert_eq!(plan.risk, None);
    let args = send_args(&[
        "--family",
        "rt-link",
        "--do",
        "dellink",
        "--json",
        r#"{"ifname": "nlsd1"}"#,
    ])
    .unwrap();
    let plan = crate::inject::Plan::resolve(&args, &specs).unwrap();
    assert_eq!(plan.kind, 17);
    assert!(plan.risk.unwrap().contains("may change kernel state"));
    // The command line says what is missing or in conflict.
    assert!(send_args(&["--family", "rt-link"]).is_err());
    assert!(send_args(&["--do", "getlink"]).is_err());
    assert!(send_args(&[
        "--family",
        "rt-link",
        "--dump",
        "getlink",
        "--template",
        "hello"
    ])
    .is_err());
    let args = send_args(&["--family", "nonesuch", "--do", "x"]).unwrap();
    let error = crate::inject::Plan::resolve(&args, &specs).unwrap_err();
    assert!(
        error.contains("no YNL spec for family `nonesuch`") && error.contains("rt-link"),
        "{error}"
    );
    let args = send_args(&["--family", "rt-link", "--do", "getlink", "--json", "{"]).unwrap();
    assert!(crate::inject::Plan::resolve(&args, &specs)
        .unwrap_err()
        .starts_with("--json:"));
}
