//! The lab (`make demo`): boots Debian's kernel under QEMU with the demo
//! module, nlscope's agent and a traffic generator (tests/scenarios/lab), and
//! opens the host dashboard connected to the agent. Quitting the dashboard
//! stops the guest; QEMU is also killed if this process dies (Ctrl-C,
//! SIGTERM, SIGKILL), so no QEMU is left behind.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("nlscope lab: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Kills the guest when dropped, whatever way the lab ends.
struct Guest(std::process::Child);

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run() -> anyhow::Result<ExitCode> {
    eprintln!("nlscope lab: building the guest (nlscope, the demo module, helpers)...");
    let (artifacts, run_dir, initramfs) = nlscope_tests::prepare("lab")?;
    let mut qemu = nlscope_tests::qemu_command(&artifacts, "lab", &run_dir, &initramfs);
    qemu.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: prctl(PR_SET_PDEATHSIG) in the child before exec only sets a flag
    // of the new process: QEMU gets SIGKILL when this process dies.
    unsafe {
        qemu.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let guest =
        Guest(qemu.spawn().map_err(|e| {
            anyhow::anyhow!("cannot start qemu-system-x86_64 ({e}): run `make setup`")
        })?);
    eprintln!(
        "nlscope lab: guest booting (pid {}); its console: {}",
        guest.0.id(),
        run_dir.join("console.log").display()
    );

    let socket: PathBuf = run_dir.join("agent.sock");
    // QEMU creates the host end of the agent port once it has started.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !socket.exists() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "QEMU did not create {}",
            socket.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // While the dashboard runs, Ctrl-C belongs to it; this process only waits.
    // SAFETY: ignoring SIGINT/SIGQUIT in this process; the dashboard child
    // restores default handling for itself (its own handlers).
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    // The dashboard decodes on the host: the demo module's YNL spec is
    // offered to it where nlscope looks for specs (NLSCOPE_SPEC_DIR, read by
    // the YNL decoder of issue 16; ignored by a build without it).
    let status = Command::new(&artifacts.nlscope)
        .env(
            "NLSCOPE_SPEC_DIR",
            nlscope_tests::workspace_root().join("kmod"),
        )
        .arg("--connect")
        .arg(format!("unix:{}", socket.display()))
        .status()
        .map_err(|e| anyhow::anyhow!("cannot start the dashboard: {e}"))?;
    drop(guest);
    eprintln!("nlscope lab: guest stopped");
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
