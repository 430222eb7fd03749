//! End-to-end smoke test of the dashboard in a real terminal: the built binary
//! runs `nlscope open` in a detached tmux session; keys go in with send-keys,
//! the screen comes back with capture-pane. Afterwards the shell that ran it
//! records `stty -a`, which must show the terminal back in cooked mode.

#[path = "support/messages.rs"]
mod messages;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

struct Session(String);

impl Session {
    fn start(tag: &str, dir: &Path, command: &str) -> Session {
        let name = format!("nlscope-smoke-{tag}-{}", std::process::id());
        tmux::start_session(&name, Some(dir), command);
        Session(name)
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.0])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `predicate` holds (a generous bound on tries,
    /// so a slow machine only makes the test slower).
    fn wait_for(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..600 {
            screen = self.screen();
            if predicate(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {what}; the screen:\n{screen}");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

/// The dashboards run one at a time: several at once on a loaded two-core
/// machine made key presses and screens race.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn wait_for_file(path: &Path) {
    for _ in 0..600 {
        if path.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{} never appeared", path.display());
}

#[test]
fn the_dashboard_opens_a_file_filters_exports_quits_and_restores_the_terminal() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corpus.jsonl"), messages::jsonl()).unwrap();
    let bin = env!("CARGO_BIN_EXE_nlscope");
    let command = format!(
        "sh -c '{bin} open corpus.jsonl 2> stderr.out; stty -a > stty.out; echo $? > done.out; sleep 60'"
    );
    let session = Session::start("keys", dir.path(), &command);

    let screen = session.wait_for("the corpus", |s| s.contains("Traffic 10/10"));
    assert!(screen.contains("src file corpus.jsonl"), "{screen}");
    assert!(screen.contains("nl_client"), "{screen}");

    // A filter with a typo shows the error under the input, then the fix applies.
    session.keys(&["/"]);
    session.text("proto:rout");
    session.wait_for("the filter error", |s| {
        s.contains("^ column 7: unknown protocol `rout`")
    });
    session.text("e");
    session.keys(&["Enter"]);
    let screen = session.wait_for("the filtered list", |s| {
        s.contains("Traffic 5/10 filter: proto:route")
    });
    assert!(screen.contains("RTM_GETLINK"), "{screen}");
    assert!(screen.contains("NLMSG_ERROR"), "{screen}");
    assert!(!screen.contains("nl_client"), "{screen}");

    // Export the filtered view.
    session.keys(&["e"]);
    session.wait_for("the export prompt", |s| {
        s.contains("export filtered view to:")
    });
    let backspaces = vec!["BSpace"; 64];
    session.keys(&backspaces);
    session.text("route.jsonl");
    session.keys(&["Enter"]);
    session.wait_for("the export", |s| {
        s.contains("exported 5 messages to route.jsonl")
    });
    let exported = std::fs::read_to_string(dir.path().join("route.jsonl")).unwrap();
    let messages = nlscope::format::jsonl::read_jsonl(&exported).unwrap();
    assert_eq!(messages.len(), 5);
    assert!(messages.iter().all(|m| m.protocol == 0));

    // The layout follows a resize (narrow screens merge the endpoint columns).
    let status = Command::new("tmux")
        .args(["resize-window", "-t", &session.0, "-x", "80", "-y", "24"])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = session.wait_for("the narrow layout", |s| s.contains("who:src->dst"));
    assert!(
        screen.lines().all(|line| line.chars().count() <= 80),
        "{screen}"
    );

    // Views switch; help opens and closes.
    session.keys(&["4"]);
    session.wait_for("the stats view", |s| s.contains("Top senders"));
    session.keys(&["?"]);
    session.wait_for("the help", |s| s.contains("keys (any key closes)"));
    session.keys(&["Escape"]);
    // Escape and a key sent together read as Alt+key: wait for the help to close.
    session.wait_for("the help to close", |s| {
        !s.contains("keys (any key closes)")
    });
    session.keys(&["q"]);

    wait_for_file(&dir.path().join("done.out"));
    let stderr = std::fs::read_to_string(dir.path().join("stderr.out")).unwrap();
    assert!(stderr.is_empty(), "stderr: {stderr}");
    let stty = std::fs::read_to_string(dir.path().join("stty.out")).unwrap();
    let flags: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig", "icrnl"] {
        assert!(
            flags.contains(&flag),
            "{flag} is off after quitting:\n{stty}"
        );
    }
}

fn guest_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/guest-capture-paths.pcapng")
}

#[test]
fn the_dashboard_opens_the_guest_pcapng_and_exports_it_as_pcapng() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(guest_fixture(), dir.path().join("guest.pcapng")).unwrap();
    let bin = env!("CARGO_BIN_EXE_nlscope");
    let command = format!(
        "sh -c '{bin} open guest.pcapng 2> stderr.out; stty -a > stty.out; echo $? > done.out; sleep 60'"
    );
    let session = Session::start("guest", dir.path(), &command);

    let screen = session.wait_for("the guest capture", |s| s.contains("Traffic 340/340"));
    assert!(screen.contains("src file guest.pcapng"), "{screen}");
    assert!(screen.contains("RTM_DELLINK"), "{screen}");

    // The demo exchange, by the protocol's name.
    session.keys(&["/"]);
    session.text("proto:nlscope-demo");
    session.keys(&["Enter"]);
    let screen = session.wait_for("the demo exchange", |s| {
        s.contains("Traffic 2/340 filter: proto:nlscope-demo")
    });
    assert!(screen.contains("seed_client"), "{screen}");
    assert!(screen.contains("Hello"), "{screen}");
    // Esc clears the filter (waited for: an Esc followed at once by another
    // key would read as Alt+key).
    session.keys(&["Escape"]);
    session.wait_for("the cleared filter", |s| s.contains("Traffic 340/340"));

    // Ports: what the file implies, and said so.
    session.keys(&["2"]);
    let screen = session.wait_for("the ports view", |s| {
        s.contains("implied by the file guest.pcapng")
    });
    assert!(screen.contains("seed_client"), "{screen}");
    // Groups: the rtnetlink link group, counted from the file.
    session.keys(&["3"]);
    let screen = session.wait_for("the groups view", |s| {
        s.contains("multicast groups with traffic in the file")
    });
    assert!(screen.contains("link"), "{screen}");

    // Export the route messages as pcapng.
    session.keys(&["1", "/"]);
    session.text("proto:route");
    session.keys(&["Enter"]);
    session.wait_for("the route filter", |s| s.contains("filter: proto:route"));
    session.keys(&["e"]);
    session.wait_for("the export prompt", |s| {
        s.contains("export filtered view to:")
    });
    session.keys(&vec!["BSpace"; 64]);
    session.text("route.pcapng");
    session.keys(&["Enter"]);
    let screen = session.wait_for("the export", |s| s.contains("to route.pcapng (pcapng)"));
    let read = nlscope::format::read_capture(dir.path().join("route.pcapng"));
    assert!(read.error.is_none(), "{:?}", read.error);
    assert!(!read.messages.is_empty());
    assert!(read.messages.iter().all(|m| m.protocol == 0));
    assert!(
        screen.contains(&format!("exported {} messages", read.messages.len())),
        "{screen}"
    );

    session.keys(&["q"]);
    wait_for_file(&dir.path().join("done.out"));
    let stderr = std::fs::read_to_string(dir.path().join("stderr.out")).unwrap();
    assert!(stderr.is_empty(), "stderr: {stderr}");
}

#[test]
fn the_live_dashboard_lists_this_machines_sockets_even_without_capture() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_nlscope");
    let command = format!(
        "sh -c '{bin} --protocol route 2> stderr.out; stty -a > stty.out; echo $? > done.out; sleep 60'"
    );
    let session = Session::start("live", dir.path(), &command);
    // Either live capture works here, or the banner says why; the socket
    // table is read either way.
    session.wait_for("the dashboard", |s| s.contains("1 Traffic"));
    session.keys(&["2"]);
    let screen = session.wait_for("this machine's sockets", |s| {
        s.contains("netlink sockets on this machine")
    });
    assert!(screen.contains("kernel"), "{screen}");
    session.keys(&["3"]);
    session.wait_for("the groups view", |s| s.contains("multicast groups with"));
    session.keys(&["q"]);
    wait_for_file(&dir.path().join("done.out"));
}

#[test]
fn sigterm_restores_the_terminal_too() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corpus.jsonl"), messages::jsonl()).unwrap();
    let bin = env!("CARGO_BIN_EXE_nlscope");
    let command = format!(
        "sh -c 'sh -c \"echo \\$\\$ > pid.out; exec {bin} open corpus.jsonl\"; stty -a > stty.out; sleep 60'"
    );
    let session = Session::start("term", dir.path(), &command);
    session.wait_for("the corpus", |s| s.contains("Traffic 10/10"));
    let pid = std::fs::read_to_string(dir.path().join("pid.out")).unwrap();
    let status = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for_file(&dir.path().join("stty.out"));
    // The file appears before it is written; give stty a moment.
    let mut stty = String::new();
    for _ in 0..100 {
        stty = std::fs::read_to_string(dir.path().join("stty.out")).unwrap();
        if !stty.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let flags: Vec<&str> = stty.split_whitespace().collect();
    assert!(
        flags.contains(&"icanon") && flags.contains(&"echo"),
        "{stty}"
    );
}

/// A large file is indexed behind the screen: the header's progress moves
/// while it is read (the frames are drawn meanwhile, not once at the end),
/// and `q` quits before the end.
#[test]
fn a_large_file_shows_its_indexing_progress_and_quits_midway() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("large.pcapng")).unwrap();
    let mut writer =
        nlscope::format::pcapng::PcapngWriter::new(std::io::BufWriter::new(file)).unwrap();
    for message in messages::stream(400_000) {
        writer.write(&message).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let bin = env!("CARGO_BIN_EXE_nlscope");
    let command =
        format!("sh -c '{bin} open large.pcapng 2> stderr.out; echo $? > done.out; sleep 60'");
    let session = Session::start("large", dir.path(), &command);
    let progress = |screen: &str| -> Option<String> {
        let at = screen.find("indexing [")?;
        let rest = &screen[at..];
        Some(rest[..rest.find('%')? + 1].to_string())
    };
    let first = session.wait_for("indexing", |s| progress(s).is_some());
    let first = progress(&first).unwrap();
    let moved = session.wait_for("the progress to move", |s| {
        s.contains("(end of file)") || progress(s).is_some_and(|p| p != first)
    });
    assert!(
        !moved.contains("(end of file)"),
        "the screen went from {first} to the end without a frame between:\n{moved}"
    );
    session.keys(&["q"]);
    wait_for_file(&dir.path().join("done.out"));
    let stderr = std::fs::read_to_string(dir.path().join("stderr.out")).unwrap();
    assert!(stderr.is_empty(), "stderr: {stderr}");
}
