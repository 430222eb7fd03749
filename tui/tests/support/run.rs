//! Running the `nlscope` binary from an integration test.

use std::process::Command;

/// Runs `nlscope ARGS`: whether it succeeded, its stdout and its stderr.
pub fn nlscope(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_nlscope"))
        .args(args)
        .output()
        .expect("nlscope runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
