//! Starting a detached tmux session for the tests that drive the real
//! binary in a terminal (tmux_smoke, inject).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Starts session `name` (160x48) running `command`, in `dir` if given.
/// Two clients starting the tmux server at once can lose that race (another
/// test binary's session), so a failed start is tried again twice.
pub fn start_session(name: &str, dir: Option<&Path>, command: &str) {
    let started = (0..3).any(|attempt| {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(500));
        }
        let mut tmux = Command::new("tmux");
        tmux.args(["new-session", "-d", "-s", name, "-x", "160", "-y", "48"]);
        if let Some(dir) = dir {
            tmux.arg("-c").arg(dir);
        }
        tmux.arg(command)
            .status()
            .expect("tmux is installed")
            .success()
    });
    assert!(started, "tmux new-session failed three times");
}
