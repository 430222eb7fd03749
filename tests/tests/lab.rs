//! The lab as a person uses it (`make demo`), driven through tmux: live guest
//! traffic on the host dashboard within 60 seconds of the start, a filter
//! applied, quit, and no QEMU left running; and the inject dialog sending
//! into the guest through its agent. The tests boot one lab each, one at a
//! time (they share its run directory).

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

/// One lab at a time: the lab's run directory and QEMU are shared.
static LAB: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Builds the lab, starts it in a 160x48 tmux session and waits for live
/// guest traffic on the dashboard (60 s at most); the session, and the
/// screen then.
fn start_lab() -> (Session, String) {
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
    let cleanup = Session(session.clone());
    let launcher = nlscope_tests::cargo_target_dir().join("debug/examples/lab");
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
    (cleanup, screen)
}

/// Quits the dashboard and checks that the guest went with it.
fn quit_lab(session: &str) {
    tmux(&["send-keys", "-t", session, "q"]);
    wait_for_screen(
        session,
        Duration::from_secs(30),
        "the lab's exit",
        |screen| screen.contains("LAB-EXITED"),
    );
    tmux(&["kill-session", "-t", session]);
    assert!(
        !lab_qemu_running(),
        "quitting the dashboard stopped the guest"
    );
}

#[test]
fn the_lab_shows_live_traffic_takes_a_filter_and_quits_without_leaving_qemu() {
    let _one = LAB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (cleanup, screen) = start_lab();
    let session = cleanup.0.clone();
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

    quit_lab(&session);
}

/// The dialog's text: the rows inside the inject dialog's frame, between
/// its top border (which carries the title) and its bottom border.
fn dialog_text(screen: &str) -> String {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let Some(top) = lines.iter().position(|line| {
        String::from_iter(line).contains("┐") && String::from_iter(line).contains(" inject ")
    }) else {
        return String::new();
    };
    let title: String = lines[top].iter().collect();
    let left = title[..title.find(" inject ").unwrap()].chars().count() - 1;
    let right = lines[top][left..]
        .iter()
        .position(|c| *c == '┐')
        .map_or(lines[top].len(), |at| left + at);
    let mut text = String::new();
    for line in &lines[top + 1..] {
        if line.get(left) == Some(&'└') {
            break;
        }
        text.extend(
            line.get(left + 1..right.min(line.len()))
                .unwrap_or_default(),
        );
        text.push('\n');
    }
    text
}

/// Rows of the traffic list (the framed pane on top), not the detail pane.
fn traffic_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|line| line.starts_with('┃') && (line.contains(" u2k ") || line.contains(" k2u ")))
        .map(str::to_string)
        .collect()
}

/// Presses Escape, and waits before the next key: an Escape followed at
/// once by a key reads as Alt and that key.
fn escape(session: &str) {
    tmux(&["send-keys", "-t", session, "Escape"]);
    std::thread::sleep(Duration::from_millis(500));
}

/// Types `text` into the dashboard and presses Enter.
fn type_line(session: &str, text: &str) {
    // `--` so that text starting with `-` is not read as tmux's options.
    tmux(&["send-keys", "-t", session, "-l", "--", text]);
    tmux(&["send-keys", "-t", session, "Enter"]);
}

/// Sends `args` from the open inject dialog and waits (30 s at most) until
/// the dialog says it is done and shows `expected`; the dialog's text.
fn send_in_dialog(session: &str, args: &str, expected: &str) -> String {
    type_line(session, args);
    let screen = wait_for_screen(
        session,
        Duration::from_secs(30),
        &format!("{expected:?} in the dialog after sending {args}"),
        |screen| {
            let dialog = dialog_text(screen);
            dialog.contains("done (any key") && dialog.contains(expected)
        },
    );
    dialog_text(&screen)
}

#[test]
fn the_lab_dashboard_sends_into_the_guest_through_its_agent() {
    let _one = LAB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = Instant::now();
    let (cleanup, _) = start_lab();
    let session = cleanup.0.clone();
    eprintln!(
        "lab: live traffic after {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // The seed's hello, from the guest's agent: the module's answer fills the dialog.
    tmux(&["send-keys", "-t", &session, "i"]);
    wait_for_screen(
        &session,
        Duration::from_secs(10),
        "the inject dialog",
        |screen| screen.contains(" inject through the agent at unix:"),
    );
    let sent = Instant::now();
    let dialog = send_in_dialog(&session, "--template hello", "Hello userspace");
    assert!(dialog.contains("through the agent at unix:"), "{dialog}");
    assert!(
        dialog.contains("sent 29 bytes"),
        "the seed's 13 bytes: {dialog}"
    );
    assert!(dialog.contains("reply 1: 32 bytes from port 0"), "{dialog}");
    eprintln!(
        "lab: the hello's reply in the dialog {:.1}s after Enter",
        sent.elapsed().as_secs_f64()
    );

    // ...and the exchange in the traffic list: sent by the agent's send
    // thread (comm nlscope-agent-s), not by the generator's seed_client.
    escape(&session);
    tmux(&["send-keys", "-t", &session, "/"]);
    type_line(&session, "comm:agent-s");
    let screen = wait_for_screen(
        &session,
        Duration::from_secs(20),
        "the agent's hello exchange in the list",
        |screen| {
            let rows = traffic_rows(screen);
            screen.contains("filter: comm:agent-s ")
                && rows
                    .iter()
                    .any(|row| row.contains(" u2k ") && row.contains("Hello kernel"))
                && rows
                    .iter()
                    .any(|row| row.contains(" k2u ") && row.contains("Hello userspace"))
        },
    );
    eprintln!(
        "lab: the exchange in the traffic list {:.1}s after Enter",
        sent.elapsed().as_secs_f64()
    );
    assert!(
        traffic_rows(&screen)
            .iter()
            .all(|row| row.contains("nlscope-agent-s")),
        "only the agent's sends are listed:\n{screen}"
    );

    // A multicast through the module, to group 1, where the lab's listener sits.
    tmux(&["send-keys", "-t", &session, "i"]);
    // Any key leaves the last outcome; then the old arguments go.
    let erase = vec!["BSpace"; 40];
    let mut keys = vec!["send-keys", "-t", &session];
    keys.extend(erase);
    tmux(&keys);
    let sent = Instant::now();
    let dialog = send_in_dialog(
        &session,
        "--template multicast:1 --text 'hi group'",
        "ack: ok",
    );
    // The dialog keeps the end of the output: the module's ack.
    assert!(dialog.contains("reply 1: 36 bytes from port 0"), "{dialog}");
    escape(&session);
    // The module's broadcast: kernel to @1, delivered ("ok"; nobody
    // listening would read "no listener").
    let screen = wait_for_screen(
        &session,
        Duration::from_secs(20),
        "the multicast delivered to group 1",
        |screen| {
            traffic_rows(screen).iter().any(|row| {
                row.contains(" k2u ")
                    && row.contains("->@1 ")
                    && row.contains(" ok ")
                    && row.contains("hi group")
            })
        },
    );
    eprintln!(
        "lab: the multicast delivered, in the list {:.1}s after Enter ({:.1}s in all)",
        sent.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(!screen.contains("no listener"), "{screen}");
    // The Groups view: group 1 of the demo protocol, its subscriber (the
    // lab's nl_listen) and the agent's message as its last.
    tmux(&["send-keys", "-t", &session, "3"]);
    wait_for_screen(
        &session,
        Duration::from_secs(10),
        "group 1 in the Groups view",
        |screen| {
            screen.lines().any(|line| {
                line.contains("nlscope-demo")
                    && line.contains("nl_listen[")
                    && line.contains("nlscope-agent-s[")
                    && line.contains("\"hi group\"")
            })
        },
    );
    quit_lab(&session);
}
