//! The lab as a person uses it (`make demo`), driven through tmux: live guest
//! traffic on the host dashboard within 60 seconds of the start, a filter
//! applied, quit, and no QEMU left running.

use std::process::Command;
use std::time::{Duration, Instant};

/// The test's own tmux server (`tmux -L`): a server started by this process
/// gives the lab this process's environment (CARGO_TARGET_DIR,
/// NLSCOPE_GUEST_KVER, PATH), where a server another program started would
/// give it that program's.
fn server() -> String {
    format!("nlscope-lab-test-{}", std::process::id())
}

fn tmux(args: &[&str]) -> String {
    let output = Command::new("tmux")
        .args(["-L", &server()])
        .args(args)
        .output()
        .expect("tmux runs (make setup installs it)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn wait_for_screen(
    session: &str,
    within: Duration,
    what: &str,
    found: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if found(&screen) {
            return screen;
        }
        if Instant::now() >= deadline {
            tmux(&["kill-session", "-t", session]);
            panic!(
                "{what} did not appear within {}s; the screen:\n{screen}",
                within.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Ends the tmux session however the test ends; the lab's launcher dies with
/// it, and its guest with the launcher.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
        tmux(&["kill-server"]);
    }
}

fn lab_qemu_running() -> bool {
    let run_dir = nlscope_tests::run_dir("lab").expect("a guest kernel is installed");
    Command::new("pgrep")
        .args(["-f", &format!("qemu-system-x86_64.*{}", run_dir.display())])
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn the_lab_shows_live_traffic_takes_a_filter_and_quits_without_leaving_qemu() {
    // Build the launcher and the guest's artifacts first, so the 60 seconds
    // measure the lab itself, not compilation.
    let root = nlscope_tests::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "-p", "nlscope-tests", "--example", "lab"])
        .status()
        .unwrap();
    assert!(built.success());
    nlscope_tests::artifacts().unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!lab_qemu_running(), "no lab guest before the test");

    let session = format!("nlscope-lab-test-{}", std::process::id());
    let _cleanup = Session(session.clone());
    let launcher = root.join("target/debug/examples/lab");
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "48",
        &format!("{}; echo LAB-EXITED; sleep 60", launcher.display()),
    ]);
    let screen = wait_for_screen(
        &session,
        Duration::from_secs(60),
        "live guest traffic",
        |screen| screen.contains("src remote") && screen.contains("Hello kernel"),
    );
    assert!(screen.contains("fentry on netlink_unicast"), "{screen}");

    tmux(&["send-keys", "-t", &session, "/"]);
    tmux(&["send-keys", "-t", &session, "-l", "proto:generic"]);
    tmux(&["send-keys", "-t", &session, "Enter"]);
    let screen = wait_for_screen(
        &session,
        Duration::from_secs(20),
        "the filtered view",
        // The Traffic title carries the filter only once Enter applied it;
        // the prompt line shows the typed text before that.
        |screen| screen.contains("filter: proto:generic ") && screen.contains("nlctrl GETFAMILY"),
    );
    // Rows of the traffic list (the framed pane), not the detail pane below it.
    let traffic_rows: Vec<&str> = screen
        .lines()
        .filter(|line| line.starts_with('┃') && (line.contains(" u2k ") || line.contains(" k2u ")))
        .collect();
    assert!(!traffic_rows.is_empty(), "{screen}");
    assert!(
        traffic_rows.iter().all(|row| row.contains("generic")),
        "only generic netlink is listed:\n{screen}"
    );

    tmux(&["send-keys", "-t", &session, "q"]);
    wait_for_screen(
        &session,
        Duration::from_secs(30),
        "the lab's exit",
        |screen| screen.contains("LAB-EXITED"),
    );
    tmux(&["kill-session", "-t", &session]);
    assert!(
        !lab_qemu_running(),
        "quitting the dashboard stopped the guest"
    );
}
