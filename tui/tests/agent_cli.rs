//! `nlscope agent` as a process: serves a file, stops cleanly on SIGINT and
//! removes its socket.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_agent_serves_until_sigint_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/guest-capture-paths.pcapng"
    );
    let agent = Command::new(env!("CARGO_BIN_EXE_nlscope"))
        .args(["agent", "--file", fixture, "--listen"])
        .arg(format!("unix:{}", socket.display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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

    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(agent.id() as i32, libc::SIGINT) };
    let output = agent.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
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
