//! Guest scenarios: each boots Debian's kernel under QEMU (see src/lib.rs).
//! None of them skips: without QEMU or the guest kernel they fail and say what
//! to install.

use nlscope_tests::run_scenario;

#[test]
fn seed_exchange_is_captured_end_to_end() {
    if let Err(error) = run_scenario("seed-exchange") {
        panic!("{error:#}");
    }
}

#[test]
fn harness_fails_on_a_kernel_warning() {
    // run.sh exits 0 here: only the kernel's WARNING can make the run fail.
    let error = run_scenario("selftest-warning").expect_err("a kernel WARNING must fail the run");
    let text = format!("{error:#}");
    assert!(
        text.contains("WARNING") && text.contains("nlscope_demo"),
        "{text}"
    );
}

#[test]
fn harness_fails_on_a_failed_assertion() {
    let error = run_scenario("selftest-failing-assertion").expect_err("the expectation is not met");
    assert!(
        format!("{error:#}").contains("a line that is never written"),
        "{error:#}"
    );
}

#[test]
fn every_delivery_path_is_captured_once_with_fentry() {
    let run = run_scenario("capture-paths-fentry").unwrap_or_else(|error| panic!("{error:#}"));
    tshark_dissects_the_guest_capture(
        &run.results.join("capture.pcapng"),
        run.file("capture.jsonl").lines().count(),
    );
}

/// Wireshark's tshark (Debian's) reads the pcapng the guest recorded and
/// dissects it: rtnetlink message types, the generic netlink family name, and
/// nlscope's per-packet comment with process, ports and direction.
fn tshark_dissects_the_guest_capture(pcapng: &std::path::Path, jsonl_messages: usize) {
    let tshark = |args: &[&str]| -> String {
        let output = std::process::Command::new("tshark")
            .arg("-r")
            .arg(pcapng)
            .args(args)
            .output()
            .expect("tshark runs (make setup installs it)");
        assert!(
            output.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let fields = tshark(&[
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "netlink.family",
        "-e",
        "netlink-route.nltype",
        "-e",
        "genl.ctrl.family_name",
        "-e",
        "frame.comment",
    ]);
    let rows: Vec<Vec<&str>> = fields
        .lines()
        .map(|line| line.split('|').collect())
        .collect();
    assert!(
        rows.len() >= jsonl_messages,
        "the pcapng ({}) holds at least what the jsonl ({jsonl_messages}) does",
        rows.len()
    );
    let has = |column: usize, value: &str| {
        rows.iter().any(|row| {
            row.get(column)
                .is_some_and(|c| c.split(',').any(|v| v == value))
        })
    };
    // RTM_GETLINK (18) and RTM_GETADDR (22) requests, RTM_NEWLINK (16) replies and notifications.
    for rtm in ["16", "18", "22"] {
        assert!(has(1, rtm), "tshark names rtnetlink type {rtm}:\n{fields}");
    }
    assert!(
        has(2, "nlctrl"),
        "tshark names the nlctrl family:\n{fields}"
    );
    let comments: Vec<&str> = rows.iter().filter_map(|row| row.get(3).copied()).collect();
    assert!(
        comments
            .iter()
            .any(|c| c.contains("comm=seed_client") && c.contains("dir=u2k sport=4242 dport=0")),
        "the demo request carries its process and ports:\n{fields}"
    );
    let verbose = tshark(&["-V"]);
    assert!(
        verbose.contains("Create network interface (16)"),
        "tshark's name for RTM_NEWLINK"
    );
    assert!(
        verbose.contains("Hello userspace"),
        "the module's reply payload"
    );
}

#[test]
fn every_delivery_path_is_captured_once_with_kprobe() {
    if let Err(error) = run_scenario("capture-paths-kprobe") {
        panic!("{error:#}");
    }
}

#[test]
fn all_six_flows_are_injected_and_captured() {
    if let Err(error) = run_scenario("inject-flows") {
        panic!("{error:#}");
    }
}

#[test]
fn the_module_survives_a_fuzz_and_its_counters_add_up() {
    let run = run_scenario("module-fuzz").unwrap_or_else(|error| panic!("{error:#}"));
    let out = run.file("fuzz.out");
    let stats = out
        .lines()
        .find(|line| line.starts_with("stats after:"))
        .unwrap_or_else(|| panic!("no stats in:\n{out}"));
    eprintln!("module-fuzz: {stats}");
}
