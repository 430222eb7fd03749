use super::*;
use crate::netlink::attr::push_attr;
use crate::netlink::NLM_F_REQUEST;
use clap::Parser;
use proptest::prelude::*;

use crate::cli::{Cli, Command};

fn send_args(args: &[&str]) -> Result<SendArgs, String> {
    let mut argv = vec!["nlscope", "send"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: Some(Command::Send(command)),
            ..
        }) => Ok(command.args),
        Ok(other) => Err(format!("parsed as {other:?}")),
        Err(error) => Err(error.to_string()),
    }
}

fn plan(args: &[&str]) -> Plan {
    Plan::from_args(&send_args(args).unwrap()).unwrap()
}

#[test]
fn targets_groups_and_ports_parse() {
    assert_eq!(parse_target("kernel"), Ok(Target::Kernel));
    assert_eq!(parse_target("port:4242"), Ok(Target::Port(4242)));
    assert_eq!(parse_target("4242"), Ok(Target::Port(4242)));
    assert_eq!(parse_target("port:0"), Ok(Target::Kernel));
    assert!(parse_target("port:x").unwrap_err().contains("port:N"));
    let p = plan(&[
        "--to",
        "port:77",
        "--group",
        "1,3",
        "--protocol",
        "usersock",
    ]);
    assert_eq!((p.dst_port(), p.groups, p.protocol), (77, 0b101, 2));
    assert!(send_args(&["--group", "33"])
        .unwrap_err()
        .contains("1 to 32"));
    assert!(send_args(&["--group", "0"]).is_err());
}

#[test]
fn types_and_flags_parse_by_name_and_number() {
    assert_eq!(parse_type("RTM_GETLINK"), Ok(18));
    assert_eq!(parse_type("rtm_newlink"), Ok(16));
    assert_eq!(parse_type("NLMSG_DONE"), Ok(3));
    assert_eq!(parse_type("echo"), Ok(demo::CMD_ECHO));
    assert_eq!(parse_type("DEMO_STATS"), Ok(demo::CMD_STATS));
    assert_eq!(parse_type("0x12"), Ok(0x12));
    assert_eq!(parse_type("65535"), Ok(65535));
    assert!(parse_type("65536").is_err());
    assert!(parse_type("RTM_BOGUS")
        .unwrap_err()
        .contains("unknown message type"));

    assert_eq!(parse_flags("request,ack"), Ok(5));
    assert_eq!(parse_flags("request|dump"), Ok(0x301));
    assert_eq!(parse_flags("NLM_F_REQUEST+create+excl"), Ok(0x601));
    assert_eq!(parse_flags("0x305"), Ok(0x305));
    assert_eq!(parse_flags("none"), Ok(0));
    assert!(parse_flags("bogus").unwrap_err().contains("unknown flag"));
}

#[test]
fn templates_fill_in_the_request() {
    let hello = plan(&["--template", "hello"]);
    assert_eq!((hello.protocol, hello.kind, hello.flags), (30, 0, 0));
    assert_eq!(hello.body, b"Hello kernel\0");
    assert_eq!(hello.message(4242).len(), 29, "the seed's 29-byte message");

    let echo = plan(&["--template", "echo", "--text", "hi"]);
    assert_eq!(
        (echo.kind, echo.flags),
        (demo::CMD_ECHO, NLM_F_REQUEST | NLM_F_ACK)
    );
    assert_eq!(echo.body, demo_command(0, b"hi"));

    let unicast = plan(&["--template", "unicast:4243", "--hex", "00ff"]);
    assert_eq!(
        &unicast.body[..8],
        &demo::CmdHeader {
            target: 4243,
            payload_len: 2
        }
        .to_bytes()
    );
    assert_eq!(&unicast.body[8..], &[0, 0xff]);

    let multicast = plan(&["--template", "multicast:5"]);
    assert_eq!(
        demo::CmdHeader::from_bytes(&multicast.body).unwrap().target,
        5
    );

    let stats = plan(&["--template", "stats"]);
    assert_eq!(stats.body.len(), demo::CMD_SIZE);

    let getlink = plan(&["--template", "getlink"]);
    assert_eq!(
        (getlink.protocol, getlink.kind, getlink.flags),
        (0, 18, 0x301)
    );
    assert!(getlink.risk.is_none());

    let family = plan(&["--template", "genl-family:nlctrl"]);
    assert_eq!((family.protocol, family.kind), (16, 0x10));
    let decoded = decode_bytes(16, &family.message(1), &DecodeContext::new());
    assert!(
        decoded.to_text().contains("nlctrl"),
        "{}",
        decoded.to_text()
    );

    // Overrides win over the template.
    let other = plan(&[
        "--template",
        "echo",
        "--protocol",
        "29",
        "--flags",
        "request",
        "--seq",
        "9",
    ]);
    assert_eq!((other.protocol, other.flags, other.seq), (29, 1, 9));

    assert!(send_args(&["--template", "unicast"])
        .unwrap_err()
        .contains("unicast:N"));
    assert!(send_args(&["--template", "nope"])
        .unwrap_err()
        .contains("unknown template"));
    assert!(send_args(&["--template", "stats:3"])
        .unwrap_err()
        .contains("no argument"));
    assert!(
        Plan::from_args(&send_args(&["--template", "getlink", "--text", "x"]).unwrap()).is_err()
    );
    assert!(
        send_args(&["--text", "a", "--hex", "00"]).is_err(),
        "one payload only"
    );
}

#[test]
fn state_changing_requests_are_flagged() {
    assert!(plan(&["--protocol", "route", "--type", "RTM_NEWLINK"])
        .risk
        .is_some());
    assert!(plan(&["--protocol", "route", "--type", "RTM_DELADDR"])
        .risk
        .is_some());
    assert!(plan(&["--protocol", "route", "--type", "RTM_SETLINK"])
        .risk
        .is_some());
    assert!(plan(&["--protocol", "route", "--type", "RTM_GETROUTE"])
        .risk
        .is_none());
    assert!(
        plan(&["--protocol", "audit", "--type", "1000"])
            .risk
            .is_some(),
        "unknown protocol"
    );
    assert!(
        plan(&["--protocol", "generic", "--type", "0x20"])
            .risk
            .is_some(),
        "unknown genl family"
    );
    assert!(
        plan(&[
            "--protocol",
            "generic",
            "--type",
            "0x10",
            "--hex",
            "01010000"
        ])
        .risk
        .is_some(),
        "nlctrl NEWFAMILY"
    );
    assert!(plan(&["--protocol", "usersock", "--text", "x"])
        .risk
        .is_none());
    assert!(plan(&["--protocol", "route", "--type", "NLMSG_NOOP"])
        .risk
        .is_none());
}

#[test]
fn read_only_refuses_and_risky_messages_need_yes() {
    let cli =
        Cli::try_parse_from(["nlscope", "send", "--read-only", "--template", "hello"]).unwrap();
    let Some(Command::Send(command)) = cli.command else {
        panic!()
    };
    assert!(command.read_only);
    let error = run(command.args, true, crate::ynl::Specs::builtin())
        .unwrap_err()
        .to_string();
    assert!(error.contains("--read-only"), "{error}");
    // Not a terminal under cargo test: no prompt, a refusal that names --yes.
    let args = send_args(&["--protocol", "route", "--type", "RTM_DELLINK"]).unwrap();
    if !std::io::stdin().is_terminal() {
        let error = run(args, false, crate::ynl::Specs::builtin())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--yes") && error.contains("RTM_DELLINK"),
            "{error}"
        );
    }
}

fn error_reply(error: i32, seq: u32, extack: Option<&str>) -> Vec<u8> {
    let request = build_message(demo::CMD_UNICAST, 5, seq, 42, &demo_command(9, b"x"));
    let mut body = error.to_ne_bytes().to_vec();
    let mut flags = 0;
    if let Some(message) = extack {
        // Capped: only the request's header is quoted, then the TLVs.
        body.extend_from_slice(&request[..16]);
        let mut text = message.as_bytes().to_vec();
        text.push(0);
        push_attr(&mut body, 1, &text);
        flags = 0x300;
    } else {
        body.extend_from_slice(&request);
    }
    build_message(NLMSG_ERROR, flags, seq, 42, &body)
}

#[test]
fn error_replies_are_read_with_their_extended_ack() {
    let reply = error_reply(
        -libc::ECONNREFUSED,
        1,
        Some("nlscope_demo: no socket is bound to port 9"),
    );
    assert_eq!(
        nlmsg_error(&reply),
        Some((
            -libc::ECONNREFUSED,
            Some("nlscope_demo: no socket is bound to port 9".into())
        ))
    );
    assert_eq!(nlmsg_error(&error_reply(0, 1, None)), Some((0, None)));
    assert_eq!(reply_error(&[error_reply(0, 1, None)]), None);
    assert_eq!(
        reply_error(std::slice::from_ref(&reply)).unwrap().0,
        -libc::ECONNREFUSED
    );

    let p = plan(&["--template", "unicast:9"]);
    let text = describe_reply(&p, 1, 0, &reply, &DecodeContext::new());
    assert!(text.contains("no such port"), "{text}");
    assert!(text.contains("no socket is bound to port 9"), "{text}");
    assert!(text.contains("NLMSG_ERROR"), "decoded next to it: {text}");
    let ack = describe_reply(&p, 1, 0, &error_reply(0, 1, None), &DecodeContext::new());
    assert!(ack.contains("ack: ok"), "{ack}");
}

#[test]
fn replies_end_the_wait_when_the_exchange_is_complete() {
    let echo = plan(&["--template", "echo"]);
    let data = build_message(demo::CMD_ECHO, 0, 1, 0, b"ping");
    assert!(
        !echo.finished(std::slice::from_ref(&data)),
        "the ack is still to come"
    );
    assert!(echo.finished(&[data.clone(), error_reply(0, 1, None)]));
    assert!(
        !echo.finished(&[error_reply(0, 7, None)]),
        "another sequence number"
    );

    let hello = plan(&["--template", "hello"]);
    assert!(hello.finished(&[build_message(3, 0, 0, 0, b"Hello userspace")]));

    let dump = plan(&["--template", "getlink"]);
    assert!(!dump.finished(&[build_message(16, 2, 1, 0, &[0; 16])]));
    assert!(dump.finished(&[build_message(NLMSG_DONE, 2, 1, 0, &[0; 4])]));
}

#[test]
fn stats_replies_are_spelled_out() {
    let p = plan(&["--template", "stats"]);
    let mut raw = [0u8; demo::STATS_SIZE];
    raw[0] = 3;
    raw[8] = 2;
    let reply = build_message(demo::CMD_STATS, 0, 1, 0, &raw);
    let text = describe_reply(&p, 1, 0, &reply, &DecodeContext::new());
    assert!(
        text.contains("demo stats: received=3 messages=2 malformed=0"),
        "{text}"
    );
}

#[test]
fn the_request_is_shown_decoded() {
    let p = plan(&["--template", "hello", "--port", "4242"]);
    let text = describe_request(&p, 4242, &p.message(4242), &DecodeContext::new());
    assert!(
        text.starts_with("request: 29 bytes on nlscope-demo (30)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "from port 4242 (pid {}) to kernel (port 0)",
            std::process::id()
        )),
        "{text}"
    );
    assert!(text.contains("Hello kernel"), "{text}");
    let m = plan(&["--protocol", "usersock", "--group", "2", "--to", "port:9"]);
    assert!(
        describe_request(&m, 1, &m.message(1), &DecodeContext::new())
            .contains("to port 9 + group 2")
    );
}

proptest! {
    #[test]
    fn built_messages_round_trip_through_the_decoder(
        kind in any::<u16>(),
        flags in any::<u16>(),
        seq in any::<u32>(),
        port in any::<u32>(),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        protocol in prop_oneof![Just(0u32), Just(2), Just(16), Just(30)],
    ) {
        let bytes = build_message(kind, flags, seq, port, &body);
        let parts = crate::netlink::header::split_messages(&bytes);
        prop_assert_eq!(parts.len(), 1);
        let (offset, header) = parts[0];
        prop_assert_eq!(offset, 0);
        prop_assert_eq!(header.len as usize, 16 + body.len());
        prop_assert_eq!((header.kind, header.flags, header.seq, header.port), (kind, flags, seq, port));
        prop_assert_eq!(&bytes[16..], &body[..]);
        let decoded = decode_bytes(protocol, &bytes, &DecodeContext::new());
        prop_assert_eq!(decoded.messages.len(), 1);
    }

    #[test]
    fn demo_commands_round_trip(target in any::<u32>(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let body = demo_command(target, &payload);
        let header = demo::CmdHeader::from_bytes(&body).unwrap();
        prop_assert_eq!(header.target, target);
        prop_assert_eq!(header.payload_len as usize, payload.len());
        prop_assert_eq!(&body[demo::CMD_SIZE..], &payload[..]);
    }

    #[test]
    fn hex_payloads_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(parse_hex(&hex::encode(&bytes)).unwrap(), bytes);
    }
}
