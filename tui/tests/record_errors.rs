//! `nlscope record` refuses clearly, in one line, where it cannot capture.

use std::process::Command;

fn nlscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nlscope"))
}

fn one_line_error(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "must exit non-zero");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, not a stack trace: {stderr}"
    );
    assert!(stderr.starts_with("nlscope: error: "), "{stderr}");
    stderr
}

#[test]
fn record_without_root_says_it_needs_root() {
    // Drop to nobody with no capabilities (the tests run as root here).
    let output = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_nlscope"))
        .args(["record", "-o", "/dev/null"])
        .output()
        .expect("setpriv (util-linux) runs");
    let stderr = one_line_error(&output);
    assert!(stderr.contains("needs root"), "{stderr}");
}

#[test]
fn record_without_btf_says_the_kernel_has_no_btf() {
    let output = nlscope()
        .args(["record", "--btf", "/nonexistent/vmlinux", "-o", "/dev/null"])
        .output()
        .unwrap();
    let stderr = one_line_error(&output);
    assert!(
        stderr.contains("no BTF") && stderr.contains("CONFIG_DEBUG_INFO_BTF"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_are_rejected_with_usage() {
    let output = nlscope()
        .args(["record", "--snaplen", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--snaplen"));
    let output = nlscope()
        .args(["record", "--duration", "-1", "--btf", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!output.status.success());
}
