//! Boots one scenario and prints where its results are, without judging it:
//! `cargo run -p nlscope-tests --example boot -- SCENARIO`. Handy while writing
//! a new scenario.

fn main() {
    let scenario = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: boot SCENARIO   (a directory under tests/scenarios)");
        std::process::exit(2);
    });
    let timeout = nlscope_tests::expect::Expectations::load(&scenario)
        .ok()
        .and_then(|expectations| expectations.timeout_secs)
        .map_or(
            nlscope_tests::DEFAULT_TIMEOUT,
            std::time::Duration::from_secs,
        );
    match nlscope_tests::boot(&scenario, timeout) {
        Ok(run) => {
            println!(
                "exit code {} after {:.1}s; results in {}",
                run.exit_code,
                run.elapsed.as_secs_f64(),
                run.results.display()
            );
            if let Err(error) = nlscope_tests::check_kernel_health(&run) {
                println!("{error:#}");
            }
        }
        Err(error) => {
            eprintln!("{error:#}");
            std::process::exit(1);
        }
    }
}
