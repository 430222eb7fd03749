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
    if let Err(error) = run_scenario("capture-paths-fentry") {
        panic!("{error:#}");
    }
}

#[test]
fn every_delivery_path_is_captured_once_with_kprobe() {
    if let Err(error) = run_scenario("capture-paths-kprobe") {
        panic!("{error:#}");
    }
}
