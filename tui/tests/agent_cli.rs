//! `nlscope agent` as a process: serves a file, stops cleanly on SIGINT and
//! removes its socket; with `--allow-send`, `nlscope send --connect` sends
//! through it and the agent logs who sent what.

#[path = "support/run.rs"]
mod run;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use run::nlscope;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/guest-capture-paths.pcapng"
);

/// An agent process, killed if the test ends without stopping it.
struct Agent(Option<Child>);

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `nlscope agent --file FIXTURE` on a unix socket in `dir`, with `extra`
/// arguments, once it takes connections.
fn start_agent(dir: &std::path::Path, extra: &[&str]) -> (Agent, std::path::PathBuf) {
    let socket = dir.join("agent.sock");
    let agent = Agent(Some(
        Command::new(env!("CARGO_BIN_EXE_nlscope"))
            .args(["agent", "--file", FIXTURE, "--listen"])
            .arg(format!("unix:{}", socket.display()))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    // The socket's file exists from bind(2) on; connections are taken from
    // listen(2) on, a moment later.
    loop {
        match std::os::unix::net::UnixStream::connect(&socket) {
            Ok(_) => return (agent, socket),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => panic!("the agent accepts no connection: {error}"),
        }
    }
}

/// Stops the agent with SIGINT; its stderr.
fn stop_agent(mut agent: Agent) -> String {
    let agent = agent.0.take().unwrap();
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(agent.id() as i32, libc::SIGINT) };
    let output = agent.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn the_agent_serves_until_sigint_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let agent = Agent(Some(
        Command::new(env!("CARGO_BIN_EXE_nlscope"))
            .args(["agent", "--file", FIXTURE, "--listen"])
            .arg(format!("unix:{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(socket.exists(), "the agent listens");
    // A raw client reads the hello frame: type 1, JSON naming the protocol.
    // The socket's file exists from bind(2) on; connections are taken from
    // listen(2) on, a moment later.
    let mut stream = loop {
        match std::os::unix::net::UnixStream::connect(&socket) {
            Ok(stream) => break stream,
            Err(error) if Instant::now() < deadline => {
                assert_eq!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionRefused,
                    "{error}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => panic!("the agent accepts no connection: {error}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut prefix = [0u8; 4];
    std::io::Read::read_exact(&mut stream, &mut prefix).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(prefix) as usize];
    std::io::Read::read_exact(&mut stream, &mut body).unwrap();
    assert_eq!(body[0], 1);
    let hello: serde_json::Value = serde_json::from_slice(&body[1..]).unwrap();
    assert_eq!(hello["protocol"], "nlscope-agent");
    assert_eq!(hello["version"], 2);
    assert_eq!(hello["inject"], false);

    let stderr = stop_agent(agent);
    assert!(stderr.contains("(read-only)"), "{stderr}");
    assert!(
        stderr.contains("agent stopped:") && stderr.contains("clients served"),
        "{stderr}"
    );
    assert!(!socket.exists(), "the socket file is removed");
}

#[test]
fn a_bad_listen_address_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_nlscope"))
        .args(["agent", "--listen", "tcp:nowhere"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("HOST:PORT"));
}

/// A NETLINK_USERSOCK socket bound by this test: its port.
fn user_socket() -> (netlink_sys::Socket, u32) {
    use netlink_sys::{protocols::NETLINK_USERSOCK, Socket, SocketAddr};
    let mut socket = Socket::new(NETLINK_USERSOCK).unwrap();
    socket.bind(&SocketAddr::new(0, 0)).unwrap();
    let mut address = SocketAddr::new(0, 0);
    socket.get_address(&mut address).unwrap();
    let port = address.port_number();
    (socket, port)
}

#[test]
fn send_connect_sends_through_the_agent_as_a_local_send_would() {
    let dir = tempfile::tempdir().unwrap();
    let (agent, socket) = start_agent(dir.path(), &["--allow-send"]);
    let connect = format!("unix:{}", socket.display());
    let (receiver, port) = user_socket();
    let to = format!("port:{port}");
    let (ok, out, err) = nlscope(&[
        "send",
        "--connect",
        &connect,
        "--protocol",
        "usersock",
        "--to",
        &to,
        "--text=-through the agent",
        "--wait",
        "10",
    ]);
    assert!(ok, "{err}\n{out}");
    assert!(
        out.starts_with("request: 34 bytes on usersock (2)"),
        "{out}"
    );
    assert!(out.contains(&format!("to port {port}")), "{out}");
    assert!(out.contains("sent 34 bytes"), "{out}");
    let mut buffer: Vec<u8> = Vec::with_capacity(256);
    receiver.recv(&mut buffer, 0).unwrap();
    assert_eq!(&buffer[16..], b"-through the agent");

    // A refused send ends as a local one does: the same error, exit status 1.
    let refused = [
        "--protocol",
        "usersock",
        "--to",
        "port:3999999998",
        "--text",
        "x",
        "--wait",
        "10",
    ];
    let local = nlscope(&[&["send"][..], &refused].concat());
    let remote = nlscope(&[&["send", "--connect", &connect][..], &refused].concat());
    assert!(!local.0 && !remote.0);
    assert_eq!(remote.2, local.2);
    assert!(
        remote.2.contains("no socket is bound to port 3999999998"),
        "{}",
        remote.2
    );
    // A state-changing message needs --yes here too (no terminal under test).
    let (ok, _, err) = nlscope(&[
        "send",
        "--connect",
        &connect,
        "--protocol",
        "route",
        "--type",
        "RTM_DELLINK",
    ]);
    assert!(!ok && err.contains("pass --yes"), "{err}");

    // The agent logged who sent what, and how it went.
    let log = stop_agent(agent);
    assert!(log.contains("clients may send"), "{log}");
    let sends: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("send from unix uid "))
        .collect();
    assert_eq!(sends.len(), 2, "{log}");
    assert!(
        sends[0].contains(&format!("--to=port:{port}"))
            && sends[0].contains("'--text=-through the agent'")
            && sends[0].ends_with(": ok, 0 replies"),
        "{log}"
    );
    assert!(sends[1].contains(": failed: no such port"), "{log}");
}

#[test]
fn send_connect_to_an_agent_without_allow_send_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (agent, socket) = start_agent(dir.path(), &[]);
    let (_receiver, port) = user_socket();
    let (ok, out, err) = nlscope(&[
        "send",
        "--connect",
        &format!("unix:{}", socket.display()),
        "--protocol",
        "usersock",
        "--to",
        &format!("port:{port}"),
    ]);
    assert!(!ok);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "nlscope: error: the agent does not allow sends (start it with --allow-send)\n"
    );
    stop_agent(agent);
}

#[test]
fn record_connect_writes_what_the_agent_streams() {
    let dir = tempfile::tempdir().unwrap();
    let (agent, socket) = start_agent(dir.path(), &[]);
    let expected = nlscope::format::read::read_capture(FIXTURE).messages;
    let out = dir.path().join("watched.jsonl");
    let count = expected.len().to_string();
    let (ok, _, err) = nlscope(&[
        "record",
        "--connect",
        &format!("unix:{}", socket.display()),
        "--count",
        &count,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("capturing (unix:"), "{err}");
    assert!(
        err.contains(&format!("{count} messages written, 0 cut, 0 lost")),
        "{err}"
    );
    let written =
        nlscope::format::jsonl::read_jsonl(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written, expected);
    // Live-capture options make no sense for a stream.
    let (ok, _, err) = nlscope(&["record", "--connect", "unix:/x", "--protocol", "route"]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    stop_agent(agent);
}
