//! `nlscope send` against this host's kernel: an rtnetlink dump and a
//! NETLINK_USERSOCK user-to-user message (neither needs the demo module,
//! eBPF or root beyond what netlink itself allows).

#[path = "support/run.rs"]
mod run;
#[path = "support/tmux.rs"]
mod tmux;

use std::process::Command;
use std::time::Duration;

use netlink_sys::{protocols::NETLINK_USERSOCK, Socket, SocketAddr};
use nlscope::inject::{execute, Plan, Target};
use run::nlscope;

#[test]
fn a_getlink_dump_is_sent_and_every_reply_decoded() {
    let (ok, out, err) = nlscope(&["send", "--template", "getlink", "--wait", "5000"]);
    assert!(ok, "{err}\n{out}");
    assert!(
        out.starts_with("request: 32 bytes on route (0), type RTM_GETLINK (0x12), flags 0x301"),
        "{out}"
    );
    assert!(
        out.contains("RTM_NEWLINK"),
        "the replies are decoded:\n{out}"
    );
    assert!(out.contains("lo"), "the loopback link is listed:\n{out}");
    assert!(
        out.contains("NLMSG_DONE"),
        "the dump ends with NLMSG_DONE:\n{out}"
    );
}

#[test]
fn a_request_built_from_a_spec_reads_the_link_back_by_name() {
    let (ok, out, err) = nlscope(&[
        "send",
        "--family",
        "rt-link",
        "--do",
        "getlink",
        "--json",
        r#"{"ifname": "lo"}"#,
        "--wait",
        "5000",
    ]);
    assert!(ok, "{err}\n{out}");
    assert!(
        out.starts_with("request: 40 bytes on route (0), type RTM_GETLINK (0x12), flags 0x5"),
        "{out}"
    );
    assert!(out.contains("summary: RTM_GETLINK lo"), "{out}");
    assert!(
        out.contains("summary: RTM_NEWLINK lo"),
        "the reply names the link:\n{out}"
    );
    // A mistake in the JSON is one line naming what the spec has.
    let (ok, _, err) = nlscope(&[
        "send",
        "--family",
        "rt-link",
        "--do",
        "getlink",
        "--json",
        r#"{"ifnam": "lo"}"#,
    ]);
    assert!(!ok);
    assert!(
        err.contains("has no attribute `ifnam`") && err.contains("ifname"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_usersock_message_reaches_another_user_socket() {
    let mut receiver = Socket::new(NETLINK_USERSOCK).expect("usersock socket");
    receiver.bind(&SocketAddr::new(0, 0)).unwrap();
    let mut address = SocketAddr::new(0, 0);
    receiver.get_address(&mut address).unwrap();
    let port = address.port_number();

    let plan = Plan {
        protocol: NETLINK_USERSOCK as u32,
        kind: 0x20,
        flags: 0,
        seq: 7,
        body: b"hello from nlscope".to_vec(),
        target: Target::Port(port),
        groups: 0,
        bind_port: 0,
        wait: Duration::from_millis(50),
        risk: None,
    };
    let mut shown = Vec::new();
    let outcome = execute(&plan, &nlscope::ynl::Specs::builtin(), &mut shown).expect("sent");
    let shown = String::from_utf8(shown).unwrap();
    assert_eq!(outcome.sent, 16 + 18);
    assert!(shown.contains(&format!("to port {port}")), "{shown}");
    assert!(shown.contains("hello from nlscope"), "{shown}");

    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let (_, from) = receiver.recv_from(&mut buffer, 0).unwrap();
    assert_eq!(from.port_number(), outcome.own_port);
    let header = nlscope::netlink::header::parse_header(&buffer).unwrap();
    assert_eq!(
        (header.kind, header.seq, header.port),
        (0x20, 7, outcome.own_port)
    );
    assert_eq!(&buffer[16..], b"hello from nlscope");
}

#[test]
fn the_common_failures_are_one_clear_line() {
    // Nothing listens on this port.
    let (ok, _, err) = nlscope(&[
        "send",
        "--protocol",
        "usersock",
        "--to",
        "port:3999999999",
        "--text",
        "x",
    ]);
    assert!(!ok);
    assert!(
        err.contains("no such port: no socket is bound to port 3999999999")
            && err.contains("[ECONNREFUSED]"),
        "{err}"
    );
    // Protocol 31 has no kernel socket here (the demo module is not loaded on the host).
    let (ok, _, err) = nlscope(&["send", "--protocol", "31", "--text", "x"]);
    assert!(!ok);
    assert!(err.contains("is the module loaded?"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Bigger than the socket's send buffer (wmem_max is far below 4 MiB).
    let plan = Plan {
        protocol: NETLINK_USERSOCK as u32,
        kind: 0x20,
        flags: 0,
        seq: 1,
        body: vec![b'x'; 4 << 20],
        target: Target::Port(1),
        groups: 0,
        bind_port: 0,
        wait: Duration::from_millis(10),
        risk: None,
    };
    let err = execute(&plan, &nlscope::ynl::Specs::builtin(), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("payload too large") && err.contains("[EMSGSIZE]"),
        "{err}"
    );
    // Read-only.
    let (ok, _, err) = nlscope(&["send", "--read-only", "--template", "getlink"]);
    assert!(!ok && err.contains("--read-only"), "{err}");
    // A state-changing type without --yes (stdin is not a terminal here).
    let (ok, _, err) = nlscope(&["send", "--protocol", "route", "--type", "RTM_NEWLINK"]);
    assert!(!ok && err.contains("--yes"), "{err}");
}

/// `nlscope send` in a real terminal (tmux): a state-changing message asks
/// first; "n" sends nothing, "y" sends it. The message is an RTM_DELLINK for
/// an interface index no machine has, so the kernel refuses it either way.
#[test]
fn on_a_terminal_a_state_changing_message_asks_first() {
    let nlscope = env!("CARGO_BIN_EXE_nlscope");
    let ifinfomsg = "00000000f0ffff7f0000000000000000";
    for (answer, expect) in [("n", "not sent"), ("y", "the receiver answered")] {
        let name = format!("nlscope-inject-{answer}-{}", std::process::id());
        let command = format!(
            "{nlscope} send --protocol route --type RTM_DELLINK --flags request,ack --hex {ifinfomsg}; echo exit=$?; sleep 60"
        );
        tmux::start_session(&name, None, &command);
        let screen = |name: &str| {
            let out = Command::new("tmux")
                .args(["capture-pane", "-p", "-t", name])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let wait_for = |needle: &str| {
            let mut text = String::new();
            for _ in 0..300 {
                text = screen(&name);
                if text.contains(needle) {
                    return text;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = Command::new("tmux")
                .args(["kill-session", "-t", &name])
                .status();
            panic!("timed out waiting for {needle:?}; the screen:\n{text}");
        };
        let prompt = wait_for("Send it? [y/N]");
        assert!(
            prompt.contains("RTM_DELLINK changes kernel state"),
            "{prompt}"
        );
        Command::new("tmux")
            .args(["send-keys", "-t", &name, answer, "Enter"])
            .status()
            .unwrap();
        let done = wait_for("exit=");
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &name])
            .status();
        assert!(done.contains("exit=1"), "{done}");
        assert!(done.contains(expect), "{done}");
        if answer == "n" {
            assert!(!done.contains("request:"), "nothing was sent:\n{done}");
        } else {
            assert!(
                done.contains("request: 32 bytes on route (0), type RTM_DELLINK"),
                "{done}"
            );
        }
    }
}
