//! The QEMU guest harness: everything that needs kernel hooks or the demo
//! module runs inside Debian's kernel under QEMU (TCG), because the machines'
//! own kernel has no kprobes, no fentry and no module loading.
//!
//! A scenario is data: `tests/scenarios/<name>/run.sh` runs inside the guest and
//! writes its results into `/results`; `tests/scenarios/<name>/expect.json`
//! says what must hold. This crate builds the artifacts (nlscope, the module,
//! the helper programs), packs an initramfs per scenario, boots it, brings
//! `/results` back over a second serial port, and fails on a kernel oops, BUG
//! or WARNING, a timeout, or a failed expectation. It never skips: a missing
//! QEMU or guest kernel is a failure that says what to install.

pub mod expect;
pub mod package;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// Default limit for one guest run, boot to power-off.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(240);

/// Lines in the guest's console or dmesg that mean the kernel is unhealthy.
pub const KERNEL_TROUBLE_MARKERS: &[&str] = &[
    "Oops",
    "BUG:",
    "kernel BUG at",
    "WARNING:",
    "Kernel panic",
    "general protection fault",
    "UBSAN:",
    "KASAN:",
    "Call Trace:",
];

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Where cargo puts what it builds: CARGO_TARGET_DIR when set (nested
/// builds inherit it), else the workspace's target/.
pub fn cargo_target_dir() -> PathBuf {
    let root = workspace_root();
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"))
}

/// Where the harness keeps what it builds and what guests bring back.
pub fn guest_dir() -> PathBuf {
    workspace_root().join("target").join("guest")
}

/// Where one kernel's artifacts and runs are kept: `target/guest/<version>`,
/// so runs on two kernels neither share a module build nor overwrite results.
pub fn kernel_dir(kernel: &GuestKernel) -> PathBuf {
    guest_dir().join(&kernel.version)
}

/// The run directory of `scenario` on the guest kernel the harness uses.
pub fn run_dir(scenario: &str) -> Result<PathBuf> {
    Ok(kernel_dir(&guest_kernel()?).join("runs").join(scenario))
}

/// Debian's kernel the guests boot, with the headers the module builds against.
#[derive(Clone, Debug)]
pub struct GuestKernel {
    pub version: String,
    pub image: PathBuf,
    pub headers: PathBuf,
    pub modules: PathBuf,
}

/// Finds the guest kernel: `NLSCOPE_GUEST_KVER` if set (the Makefile's
/// `KVER=`), else the newest installed one (see [`installed_kernels`]).
pub fn guest_kernel() -> Result<GuestKernel> {
    let version = match std::env::var("NLSCOPE_GUEST_KVER") {
        Ok(version) if !version.is_empty() => version,
        _ => installed_kernels().pop().ok_or_else(|| {
            anyhow!("no guest kernel: need /boot/vmlinuz-<version> and /usr/src/linux-headers-<version>; run `make setup` (installs Debian's 6.1 and 6.12 images and headers)")
        })?,
    };
    let kernel = GuestKernel {
        image: PathBuf::from(format!("/boot/vmlinuz-{version}")),
        headers: PathBuf::from(format!("/usr/src/linux-headers-{version}")),
        modules: PathBuf::from(format!("/lib/modules/{version}")),
        version,
    };
    for path in [&kernel.image, &kernel.headers, &kernel.modules] {
        if !path.exists() {
            bail!(
                "guest kernel {} is incomplete: {} is missing; run `make setup`",
                kernel.version,
                path.display()
            );
        }
    }
    Ok(kernel)
}

/// The kernels in /boot that have matching headers, oldest first, ordered as
/// versions ("6.1.0-57-amd64" before "6.12.117+deb12-amd64").
pub fn installed_kernels() -> Vec<String> {
    let mut versions: Vec<String> = fs::read_dir("/boot")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter_map(|name| name.strip_prefix("vmlinuz-").map(str::to_string))
                .filter(|v| Path::new(&format!("/usr/src/linux-headers-{v}")).is_dir())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by(|a, b| compare_versions(a, b));
    versions
}

/// Orders kernel version strings as versions: runs of digits compare as
/// numbers, everything else as text, piece by piece.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    fn pieces(text: &str) -> Vec<(bool, &str)> {
        let mut pieces = Vec::new();
        let mut start = 0;
        let bytes = text.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                pieces.push((bytes[start].is_ascii_digit(), &text[start..i]));
                start = i;
            }
        }
        pieces
    }
    let (left, right) = (pieces(a), pieces(b));
    for (x, y) in left.iter().zip(right.iter()) {
        let order = match (x, y) {
            ((true, x), (true, y)) => x
                .trim_start_matches('0')
                .len()
                .cmp(&y.trim_start_matches('0').len())
                .then_with(|| x.trim_start_matches('0').cmp(y.trim_start_matches('0'))),
            ((_, x), (_, y)) => x.cmp(y),
        };
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    left.len().cmp(&right.len())
}

/// Everything the guests run, built once per test process.
#[derive(Clone, Debug)]
pub struct Artifacts {
    pub kernel: GuestKernel,
    pub nlscope: PathBuf,
    pub module: PathBuf,
    /// Statically linked helper programs from `tests/helpers/*.c`.
    pub helpers: Vec<PathBuf>,
    /// The QEMU plugin that counts guest instructions
    /// (`tests/qemu-plugin/insn_count.c`), for scenarios with a file
    /// `qemu-plugin`.
    pub insn_plugin: PathBuf,
}

static ARTIFACTS: OnceLock<Mutex<Option<std::result::Result<Artifacts, String>>>> = OnceLock::new();

/// Builds (or reuses) the artifacts. Safe to call from parallel tests.
pub fn artifacts() -> Result<Artifacts> {
    let cell = ARTIFACTS.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    if guard.is_none() {
        *guard = Some(build_artifacts().map_err(|e| format!("{e:#}")));
    }
    guard.as_ref().unwrap().clone().map_err(|e| anyhow!(e))
}

fn run_checked(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what}: cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn build_artifacts() -> Result<Artifacts> {
    let started = Instant::now();
    let root = workspace_root();
    let kernel = guest_kernel()?;
    let out = kernel_dir(&kernel).join("artifacts");
    fs::create_dir_all(&out)?;

    // nlscope itself, release build (the outer `cargo test` has released its
    // lock by the time tests run, so this nested build is safe).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run_checked(
        Command::new(&cargo).current_dir(&root).args([
            "build",
            "--release",
            "-p",
            "nlscope",
            "--bin",
            "nlscope",
        ]),
        "building nlscope",
    )?;
    let nlscope = cargo_target_dir().join("release/nlscope");

    // The demo module, against the guest kernel's headers, built in a copy so
    // the source tree stays clean.
    let kmod_build = out.join("kmod");
    fs::create_dir_all(&kmod_build)?;
    for name in ["nlscope_demo.c", "nlscope_demo_abi.h", "Kbuild"] {
        copy_if_changed(&root.join("kmod").join(name), &kmod_build.join(name))?;
    }
    run_checked(
        Command::new("make")
            .arg("-C")
            .arg(&kernel.headers)
            .arg(format!("M={}", kmod_build.display()))
            .arg("modules"),
        "building the demo module (kmod/)",
    )?;
    let module = kmod_build.join("nlscope_demo.ko");

    // Static helper programs.
    let mut helpers = Vec::new();
    for entry in fs::read_dir(root.join("tests/helpers"))? {
        let source = entry?.path();
        if source.extension().is_some_and(|e| e == "c") {
            let binary = out.join(source.file_stem().unwrap());
            run_checked(
                Command::new("cc")
                    .args(["-static", "-O2", "-Wall", "-o"])
                    .arg(&binary)
                    .arg(&source),
                &format!("compiling {}", source.display()),
            )?;
            helpers.push(binary);
        }
    }
    // The instruction-counting TCG plugin, a shared object QEMU dlopen()s.
    let plugin_source = root.join("tests/qemu-plugin/insn_count.c");
    let insn_plugin = out.join("insn_count.so");
    run_checked(
        Command::new("cc")
            .args([
                "-shared",
                "-fPIC",
                "-O2",
                "-Wall",
                "-fvisibility=hidden",
                "-o",
            ])
            .arg(&insn_plugin)
            .arg(&plugin_source),
        &format!("compiling {}", plugin_source.display()),
    )?;
    eprintln!(
        "guest harness: artifacts ready in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(Artifacts {
        kernel,
        nlscope,
        module,
        helpers,
        insn_plugin,
    })
}

fn copy_if_changed(from: &Path, to: &Path) -> Result<()> {
    let new = fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    if fs::read(to).ok().as_deref() != Some(&new[..]) {
        fs::write(to, new)?;
    }
    Ok(())
}

/// One line of a scenario's `kernel-modules` file: a module name and the
/// parameters it is loaded with (`dummy numdummies=0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRequest {
    pub name: String,
    pub parameters: Vec<String>,
}

/// Parses a `kernel-modules` file: one module a line, `#` comments. A line
/// may name the module by its old path (`drivers/net/dummy.ko`): the name is
/// what counts, as the same module is compressed on one kernel and not on
/// another.
pub fn parse_module_requests(text: &str) -> Vec<ModuleRequest> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or_default();
            ModuleRequest {
                name: module_name_of(first),
                parameters: words.map(str::to_string).collect(),
            }
        })
        .collect()
}

/// `drivers/net/dummy.ko.xz` -> `dummy`; `mac80211-hwsim` -> `mac80211_hwsim`
/// (the kernel treats `-` and `_` in module names alike).
fn module_name_of(text: &str) -> String {
    let file = text.rsplit('/').next().unwrap_or(text);
    let stem = [".ko.xz", ".ko.zst", ".ko.gz", ".ko"]
        .iter()
        .find_map(|extension| file.strip_suffix(extension))
        .unwrap_or(file);
    stem.replace('-', "_")
}

/// A module file to load in the guest, with its parameters.
#[derive(Clone, Debug)]
pub struct ModuleToLoad {
    pub name: String,
    pub file: PathBuf,
    pub parameters: Vec<String>,
}

/// The modules to load for `requests`, each after the modules it depends
/// on (from `modinfo -k VERSION`), each once; modules built into the kernel
/// are left out.
pub fn module_load_order(
    kernel: &GuestKernel,
    requests: &[ModuleRequest],
) -> Result<Vec<ModuleToLoad>> {
    fn visit(
        kernel: &GuestKernel,
        name: &str,
        parameters: &[String],
        order: &mut Vec<ModuleToLoad>,
        seen: &mut Vec<String>,
    ) -> Result<()> {
        if seen.iter().any(|s| s == name) {
            return Ok(());
        }
        seen.push(name.to_string());
        let file = modinfo(kernel, "filename", name)?;
        if file == "(builtin)" {
            return Ok(());
        }
        for dependency in modinfo(kernel, "depends", name)?
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            visit(kernel, &module_name_of(dependency), &[], order, seen)?;
        }
        // Soft dependencies the module needs loaded first (libcrc32c's
        // `pre: crc32c`): usually an alias several modules provide; the
        // portable `_generic` one works on any (emulated) CPU.
        for alias in pre_softdeps(&modinfo(kernel, "softdep", name)?) {
            let providers = modinfo(kernel, "filename", &alias)?;
            let chosen = providers
                .lines()
                .find(|file| file.contains("_generic"))
                .or_else(|| providers.lines().next());
            match chosen {
                Some("(builtin)") | None => {}
                Some(file) => visit(kernel, &module_name_of(file), &[], order, seen)?,
            }
        }
        order.push(ModuleToLoad {
            name: name.to_string(),
            file: PathBuf::from(file),
            parameters: parameters.to_vec(),
        });
        Ok(())
    }
    let mut order = Vec::new();
    let mut seen = Vec::new();
    for request in requests {
        visit(
            kernel,
            &request.name,
            &request.parameters,
            &mut order,
            &mut seen,
        )?;
    }
    Ok(order)
}

/// The modules a `softdep` field (`pre: crc32c post: x`) wants loaded before.
fn pre_softdeps(softdep: &str) -> Vec<String> {
    let mut pre = Vec::new();
    let mut in_pre = false;
    for word in softdep.split_whitespace() {
        match word {
            "pre:" => in_pre = true,
            "post:" => in_pre = false,
            module if in_pre => pre.push(module.to_string()),
            _ => {}
        }
    }
    pre
}

fn modinfo(kernel: &GuestKernel, field: &str, module: &str) -> Result<String> {
    let output = Command::new("modinfo")
        .args(["-k", &kernel.version, "-F", field, module])
        .output()
        .context("running modinfo (package kmod; `make setup` installs it)")?;
    if !output.status.success() {
        bail!(
            "kernel {} has no module {module}: {}",
            kernel.version,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Copies a kernel module, decompressing `.ko.xz`, `.ko.zst` and `.ko.gz`
/// (the guest's busybox insmod takes plain ELF).
fn copy_module(from: &Path, to: &Path) -> Result<()> {
    let name = from.to_string_lossy();
    let decompressor = if name.ends_with(".xz") {
        Some("xz")
    } else if name.ends_with(".zst") {
        Some("zstd")
    } else if name.ends_with(".gz") {
        Some("gzip")
    } else {
        None
    };
    match decompressor {
        None => {
            fs::copy(from, to).with_context(|| format!("copying {}", from.display()))?;
        }
        Some(tool) => {
            let output = Command::new(tool)
                .arg("-dc")
                .arg(from)
                .output()
                .with_context(|| format!("running {tool} (`make setup` installs it)"))?;
            if !output.status.success() {
                bail!(
                    "{tool} -dc {} failed: {}",
                    from.display(),
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            fs::write(to, output.stdout)?;
        }
    }
    Ok(())
}

/// What one guest run brought back.
#[derive(Debug)]
pub struct GuestRun {
    pub scenario: String,
    /// Everything the guest printed on its console (ttyS0).
    pub console: String,
    /// The guest's `dmesg` at the end of the scenario.
    pub dmesg: String,
    /// The guest's `/results`, unpacked on the host.
    pub results: PathBuf,
    /// Exit status of the scenario's run.sh.
    pub exit_code: i32,
    pub elapsed: Duration,
}

impl GuestRun {
    /// A results file as text ("" when absent).
    pub fn file(&self, name: &str) -> String {
        fs::read_to_string(self.results.join(name)).unwrap_or_default()
    }
}

/// Where the guest holds the demo module's YNL spec (kmod/nlscope_demo.yaml).
pub const GUEST_SPEC_DIR: &str = "/usr/share/nlscope/specs";

/// The `/init` every guest runs: mount, run the scenario, collect, power off.
const GUEST_INIT: &str = r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/bin:/sbin:/usr/bin
mkdir -p /proc /sys /dev /tmp /results /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ip link set lo up 2>/dev/null
# A root user, for tools that look one up (tcpdump -Z root).
mkdir -p /etc
echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd
echo "root:x:0:" > /etc/group
# Debian's modules the scenario asked for, dependencies first (the harness
# wrote the order); a module that does not load fails the run before run.sh.
modules_ok=1
if [ -f /lib/modules/load-order ]; then
    while read -r module parameters; do
        [ -d "/sys/module/$module" ] && continue
        insmod "/lib/modules/$module.ko" $parameters || { echo "nlscope-guest: insmod $module failed"; modules_ok=0; }
    done < /lib/modules/load-order
fi
echo "nlscope-guest: scenario start"
cd /scenario
# The scenario's output goes to the console as well, so a slow or stuck
# scenario shows how far it got.
if [ $modules_ok = 1 ]; then
    (sh /scenario/run.sh; echo $? > /results/exit_code) 2>&1 | tee /results/scenario.out
else
    echo "kernel modules failed to load" > /results/scenario.out; echo 90 > /results/exit_code
fi
dmesg > /results/dmesg.txt
echo "nlscope-guest: scenario end (exit $(cat /results/exit_code))"
cd /results
echo "==NLSCOPE-RESULTS-BEGIN==" > /dev/ttyS1
tar -cf - . | gzip -1 | base64 > /dev/ttyS1
echo "==NLSCOPE-RESULTS-END==" > /dev/ttyS1
sync
sleep 1
poweroff -f
"#;

/// Packs the initramfs for `scenario` and returns its path.
fn build_initramfs(artifacts: &Artifacts, scenario: &str, run_dir: &Path) -> Result<PathBuf> {
    let scenario_dir = workspace_root().join("tests/scenarios").join(scenario);
    if !scenario_dir.join("run.sh").is_file() {
        bail!(
            "scenario {scenario}: {} has no run.sh",
            scenario_dir.display()
        );
    }
    let root = run_dir.join("root");
    if root.exists() {
        fs::remove_dir_all(&root)?;
    }
    for dir in [
        "bin",
        "sbin",
        "lib/modules",
        "scenario",
        "proc",
        "sys",
        "dev",
        "tmp",
        "results",
    ] {
        fs::create_dir_all(root.join(dir))?;
    }
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        bail!("/bin/busybox is missing: run `make setup` (installs busybox-static)");
    }
    fs::copy(busybox, root.join("bin/busybox"))?;
    write_executable(&root.join("init"), GUEST_INIT)?;

    // nlscope without debug info (smaller initramfs), plus its shared libraries.
    run_checked(
        Command::new("strip")
            .arg("-o")
            .arg(root.join("bin/nlscope"))
            .arg(&artifacts.nlscope),
        "stripping nlscope",
    )?;
    copy_shared_libraries(&artifacts.nlscope, &root)?;
    fs::copy(&artifacts.module, root.join("lib/modules/nlscope_demo.ko"))?;
    // The module's YNL spec, where a guest's `nlscope --spec-dir` finds it.
    let specs = root.join(GUEST_SPEC_DIR.trim_start_matches('/'));
    fs::create_dir_all(&specs)?;
    fs::copy(
        workspace_root().join("kmod/nlscope_demo.yaml"),
        specs.join("nlscope_demo.yaml"),
    )?;
    for helper in &artifacts.helpers {
        fs::copy(helper, root.join("bin").join(helper.file_name().unwrap()))?;
    }
    // The Debian package unpacked into the guest's / (file `package-root`),
    // as `dpkg -i` would lay it out: /usr/bin/nlscope, the spec in
    // /usr/share/ynl/specs, ... The harness's own /bin/nlscope stays; the
    // scenario runs /usr/bin/nlscope by its path.
    if scenario_dir.join("package-root").exists() {
        let package = package::package()?;
        copy_tree(&package.root, &root)?;
        copy_shared_libraries(&package.binary(), &root)?;
    }
    // Debian's own modules a scenario asks for (file `kernel-modules`): the
    // guest's /init loads them, dependencies first, before run.sh.
    let wanted = scenario_dir.join("kernel-modules");
    if wanted.exists() {
        let requests = parse_module_requests(&fs::read_to_string(&wanted)?);
        let order = module_load_order(&artifacts.kernel, &requests)
            .with_context(|| format!("scenario {scenario}: resolving kernel-modules"))?;
        let mut load_order = String::new();
        for module in &order {
            let target = root.join("lib/modules").join(format!("{}.ko", module.name));
            copy_module(&module.file, &target)?;
            load_order.push_str(&module.name);
            for parameter in &module.parameters {
                load_order.push(' ');
                load_order.push_str(parameter);
            }
            load_order.push('\n');
        }
        fs::write(root.join("lib/modules/load-order"), load_order)?;
    }
    // Host programs a scenario asks for (file `host-programs`, one absolute
    // path per line), with their shared libraries: tcpdump, strace, ...
    let programs = scenario_dir.join("host-programs");
    if programs.exists() {
        for line in fs::read_to_string(&programs)?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let program = Path::new(line);
            if !program.exists() {
                bail!("scenario {scenario} wants {line}, which is not installed: run `make setup`");
            }
            // In /usr/local/bin, first in PATH: in /bin busybox's applets of
            // the same name (ip, tc) would replace them.
            fs::create_dir_all(root.join("usr/local/bin"))?;
            fs::copy(
                program,
                root.join("usr/local/bin")
                    .join(program.file_name().unwrap()),
            )?;
            copy_shared_libraries(program, &root)?;
        }
    }
    // The scenario's own files, and the shared ones under tests/scenarios/lib
    // (as /scenario/lib) that several scenarios source.
    let shared = workspace_root().join("tests/scenarios/lib");
    fs::create_dir_all(root.join("scenario/lib"))?;
    for (from, to) in [
        (scenario_dir.clone(), root.join("scenario")),
        (shared, root.join("scenario/lib")),
    ] {
        for entry in fs::read_dir(&from)? {
            let path = entry?.path();
            if path.is_file() {
                fs::copy(&path, to.join(path.file_name().unwrap()))?;
            }
        }
    }

    let image = run_dir.join("initramfs.gz");
    run_checked(
        Command::new("sh").current_dir(&root).arg("-c").arg(format!(
            "find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > '{}'",
            image.display()
        )),
        "packing the initramfs (needs cpio)",
    )?;
    Ok(image)
}

/// Copies the files and directories under `from` into `to`, keeping modes.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Copies the shared libraries `binary` needs into the guest's `root`, at
/// their paths on the host.
fn copy_shared_libraries(binary: &Path, root: &Path) -> Result<()> {
    for library in shared_libraries(binary)? {
        let target = root.join(library.strip_prefix("/").unwrap_or(&library));
        fs::create_dir_all(target.parent().unwrap())?;
        fs::copy(&library, &target).with_context(|| format!("copying {}", library.display()))?;
    }
    Ok(())
}

/// Shared libraries `binary` needs, from `ldd`.
pub fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .context("running ldd")?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// A file of a scenario's directory (`tests/scenarios/<scenario>/<name>`),
/// whether or not it exists: a scenario's options are files there.
fn scenario_file(scenario: &str, name: &str) -> PathBuf {
    workspace_root()
        .join("tests/scenarios")
        .join(scenario)
        .join(name)
}

/// Where QEMU writes the output of the instruction-counting plugin, in the
/// run directory of a scenario with a file `qemu-plugin`.
pub const PLUGIN_LOG: &str = "plugin.log";

/// The QEMU command line for `scenario`: Debian's kernel under TCG, the
/// console and the results port as files in `run_dir`, the agent port when
/// the scenario has one, and the instruction-counting plugin when it has a
/// file `qemu-plugin`.
pub fn qemu_command(
    artifacts: &Artifacts,
    scenario: &str,
    run_dir: &Path,
    initramfs: &Path,
) -> Command {
    // A scenario may ask for more virtual CPUs (file `qemu-smp`), e.g. so a
    // benchmark's recorder does not share the sender's only CPU.
    let smp = fs::read_to_string(scenario_file(scenario, "qemu-smp"))
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .unwrap_or(1);
    // And kernel command-line arguments of its own (file `kernel-args`).
    let mut append = String::from("console=ttyS0 panic=-1 quiet loglevel=4");
    if let Ok(extra) = fs::read_to_string(scenario_file(scenario, "kernel-args")) {
        for arg in extra.split_whitespace() {
            append.push(' ');
            append.push_str(arg);
        }
    }
    let mut command = Command::new("qemu-system-x86_64");
    command
        .args([
            "-accel",
            "tcg",
            "-cpu",
            "max",
            "-m",
            "1024",
            "-nodefaults",
            "-no-reboot",
        ])
        .arg("-smp")
        .arg(smp.to_string())
        .args(["-display", "none", "-monitor", "none", "-net", "none"])
        .arg("-kernel")
        .arg(&artifacts.kernel.image)
        .arg("-initrd")
        .arg(initramfs)
        .arg("-append")
        .arg(&append)
        .arg("-serial")
        .arg(format!("file:{}", run_dir.join("console.log").display()))
        .arg("-serial")
        .arg(format!("file:{}", run_dir.join("results.b64").display()))
        .args(agent_port_args(scenario, run_dir))
        .args(plugin_args(artifacts, scenario, run_dir));
    command
}

/// QEMU arguments that load the insn_count plugin, if the scenario has a
/// file `qemu-plugin`. The plugin writes through QEMU's log, which has plugin
/// output only with `-d plugin`; `-D` puts the log in the run directory.
fn plugin_args(artifacts: &Artifacts, scenario: &str, run_dir: &Path) -> Vec<String> {
    if !scenario_file(scenario, "qemu-plugin").exists() {
        return Vec::new();
    }
    vec![
        "-plugin".into(),
        // QEMU's option syntax: a comma in a value is written twice.
        format!(
            "file={}",
            artifacts
                .insn_plugin
                .display()
                .to_string()
                .replace(',', ",,")
        ),
        "-d".into(),
        "plugin".into(),
        "-D".into(),
        run_dir.join(PLUGIN_LOG).display().to_string(),
    ]
}

/// Prepares a run of `scenario`: artifacts, a fresh run directory and the
/// initramfs. Returns (artifacts, run directory, initramfs).
pub fn prepare(scenario: &str) -> Result<(Artifacts, PathBuf, PathBuf)> {
    let artifacts = artifacts()?;
    let run_dir = kernel_dir(&artifacts.kernel).join("runs").join(scenario);
    if run_dir.exists() {
        fs::remove_dir_all(&run_dir)?;
    }
    fs::create_dir_all(&run_dir)?;
    let initramfs = build_initramfs(&artifacts, scenario, &run_dir)?;
    Ok((artifacts, run_dir, initramfs))
}

/// Boots `scenario` and returns what it brought back, without judging it.
pub fn boot(scenario: &str, timeout: Duration) -> Result<GuestRun> {
    boot_with_agent_socket(scenario, timeout, |_| ())
}

/// Name of the virtio-serial port a scenario gets when it has a file
/// `agent-port`: the guest's `nlscope agent --listen virtio:NAME` reaches the
/// host through it, as the unix socket `<run dir>/agent.sock`.
pub const AGENT_PORT: &str = "nlscope.agent";

/// Like [`boot`]; `while_running` is called with the host end of the agent
/// port (a unix socket path) right after QEMU starts, on this thread, and
/// what it returns is dropped only after the guest ended (hand it a thread's
/// JoinHandle to read the stream while the guest runs).
pub fn boot_with_agent_socket<T>(
    scenario: &str,
    timeout: Duration,
    while_running: impl FnOnce(PathBuf) -> T,
) -> Result<GuestRun> {
    let (artifacts, run_dir, initramfs) = prepare(scenario)?;
    let console_path = run_dir.join("console.log");
    let results_path = run_dir.join("results.b64");

    let qemu = "qemu-system-x86_64";
    let started = Instant::now();
    let mut child = qemu_command(&artifacts, scenario, &run_dir, &initramfs)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!("cannot start {qemu}: run `make setup` (installs qemu-system-x86)")
        })?;

    let _running = while_running(run_dir.join("agent.sock"));
    let deadline = started + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let console = fs::read_to_string(&console_path).unwrap_or_default();
            bail!(
                "scenario {scenario}: guest timed out after {}s; last console lines:\n{}",
                timeout.as_secs(),
                tail(&console, 30)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let elapsed = started.elapsed();
    let mut qemu_stderr = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut qemu_stderr);
    }
    let console =
        String::from_utf8_lossy(&fs::read(&console_path).unwrap_or_default()).into_owned();
    if !status.success() {
        bail!(
            "scenario {scenario}: QEMU exited with {status}: {qemu_stderr}\nconsole:\n{}",
            tail(&console, 30)
        );
    }

    let results = run_dir.join("results");
    fs::create_dir_all(&results)?;
    unpack_results(
        &fs::read_to_string(&results_path).unwrap_or_default(),
        &results,
    )
    .with_context(|| {
        format!(
            "scenario {scenario}: the guest sent no complete results; console:\n{}",
            tail(&console, 30)
        )
    })?;
    let exit_code = fs::read_to_string(results.join("exit_code"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(-1);
    let dmesg = fs::read_to_string(results.join("dmesg.txt")).unwrap_or_default();
    record_timing(scenario, &artifacts.kernel, elapsed);
    Ok(GuestRun {
        scenario: scenario.to_string(),
        console,
        dmesg,
        results,
        exit_code,
        elapsed,
    })
}

/// QEMU arguments for the scenario's agent port, if it has one.
fn agent_port_args(scenario: &str, run_dir: &Path) -> Vec<String> {
    if !scenario_file(scenario, "agent-port").exists() {
        return Vec::new();
    }
    vec![
        "-device".into(),
        "virtio-serial-pci".into(),
        "-chardev".into(),
        format!(
            "socket,id=agent,path={},server=on,wait=off",
            run_dir.join("agent.sock").display()
        ),
        "-device".into(),
        format!("virtserialport,chardev=agent,name={AGENT_PORT}"),
    ]
}

/// Decodes the base64 tarball between the markers the guest wrote.
fn unpack_results(serial: &str, into: &Path) -> Result<()> {
    use base64::Engine;
    let begin = serial
        .find("==NLSCOPE-RESULTS-BEGIN==")
        .ok_or_else(|| anyhow!("no results marker"))?;
    let end = serial
        .find("==NLSCOPE-RESULTS-END==")
        .ok_or_else(|| anyhow!("results were cut off (no end marker)"))?;
    let body: String = serial[begin + "==NLSCOPE-RESULTS-BEGIN==".len()..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let gzipped = base64::engine::general_purpose::STANDARD
        .decode(body)
        .context("results are not valid base64")?;
    let tarball = flate2::read::GzDecoder::new(&gzipped[..]);
    tar::Archive::new(tarball)
        .unpack(into)
        .context("unpacking the results tarball")?;
    Ok(())
}

fn record_timing(scenario: &str, kernel: &GuestKernel, elapsed: Duration) {
    use std::io::Write;
    let kernel = &kernel.version;
    eprintln!(
        "guest harness: scenario {scenario} on {kernel} ran in {:.1}s",
        elapsed.as_secs_f64()
    );
    if let Ok(mut file) = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(guest_dir().join("timings.txt"))
    {
        let _ = writeln!(
            file,
            "{scenario} on {kernel}\t{:.1}s",
            elapsed.as_secs_f64()
        );
    }
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Fails when the guest kernel reported trouble, quoting the lines.
pub fn check_kernel_health(run: &GuestRun) -> Result<()> {
    let trouble: Vec<&str> = run
        .console
        .lines()
        .chain(run.dmesg.lines())
        .filter(|line| {
            KERNEL_TROUBLE_MARKERS
                .iter()
                .any(|marker| line.contains(marker))
        })
        .collect();
    if !trouble.is_empty() {
        bail!(
            "scenario {}: the guest kernel reported trouble:\n{}",
            run.scenario,
            trouble
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(())
}

/// Boots `scenario`, then checks kernel health and its `expect.json`.
pub fn run_scenario(scenario: &str) -> Result<GuestRun> {
    let expectations = expect::Expectations::load(scenario)?;
    let timeout = expectations
        .timeout_secs
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let run = boot(scenario, timeout)?;
    check_kernel_health(&run)?;
    expectations.check(&run).map_err(|e| {
        anyhow!(
            "{e:#}\n--- scenario output ---\n{}\n--- end ---",
            tail(&run.file("scenario.out"), 40)
        )
    })?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_dependencies_before_are_read() {
        assert_eq!(pre_softdeps("pre: crc32c"), ["crc32c"]);
        assert_eq!(pre_softdeps("pre: a b post: c"), ["a", "b"]);
        assert!(pre_softdeps("post: c").is_empty());
        assert!(pre_softdeps("").is_empty());
    }

    #[test]
    fn ldd_output_is_parsed() {
        let libs = shared_libraries(Path::new("/bin/ls")).unwrap();
        assert!(
            libs.iter().any(|l| l.to_string_lossy().contains("libc.so")),
            "{libs:?}"
        );
    }

    #[test]
    fn results_without_end_marker_are_rejected() {
        let dir = tempdir();
        assert!(unpack_results("==NLSCOPE-RESULTS-BEGIN==\nH4sI", &dir).is_err());
        assert!(unpack_results("", &dir).is_err());
    }

    #[test]
    fn kernel_trouble_is_detected() {
        let run = GuestRun {
            scenario: "x".into(),
            console: "ok\n".into(),
            dmesg: "[ 1.0] WARNING: CPU: 0 PID: 1 at mod.c:1\n".into(),
            results: PathBuf::new(),
            exit_code: 0,
            elapsed: Duration::ZERO,
        };
        let error = check_kernel_health(&run).unwrap_err().to_string();
        assert!(error.contains("WARNING: CPU"), "{error}");
    }

    fn plugin_args_of(scenario: &str) -> Vec<String> {
        let dummy = PathBuf::from("/nonexistent");
        let artifacts = Artifacts {
            kernel: GuestKernel {
                version: "0".into(),
                image: dummy.clone(),
                headers: dummy.clone(),
                modules: dummy.clone(),
            },
            nlscope: dummy.clone(),
            module: dummy.clone(),
            helpers: Vec::new(),
            insn_plugin: PathBuf::from("/a,b/insn_count.so"),
        };
        qemu_command(&artifacts, scenario, Path::new("/run"), &dummy)
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .skip_while(|arg| arg != "-plugin")
            .collect()
    }

    #[test]
    fn the_plugin_is_loaded_only_for_scenarios_that_ask_for_it() {
        assert_eq!(
            plugin_args_of("bench-capture-insns"),
            [
                "-plugin",
                "file=/a,,b/insn_count.so",
                "-d",
                "plugin",
                "-D",
                "/run/plugin.log"
            ]
        );
        assert!(plugin_args_of("bench-capture").is_empty());
    }

    #[test]
    fn kernel_versions_order_as_versions_not_as_text() {
        let mut versions = vec![
            "6.12.117+deb12-amd64".to_string(),
            "6.1.0-57-amd64".to_string(),
            "6.1.0-9-amd64".to_string(),
            "6.12.9+deb12-amd64".to_string(),
        ];
        versions.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            versions,
            [
                "6.1.0-9-amd64",
                "6.1.0-57-amd64",
                "6.12.9+deb12-amd64",
                "6.12.117+deb12-amd64"
            ]
        );
    }

    #[test]
    fn module_requests_take_names_paths_and_parameters() {
        let requests = parse_module_requests(
            "# comment\ndrivers/net/dummy.ko numdummies=0\nmac80211-hwsim radios=2 # two\n\nnlmon.ko.xz\n",
        );
        assert_eq!(
            requests,
            [
                ModuleRequest {
                    name: "dummy".into(),
                    parameters: vec!["numdummies=0".into()]
                },
                ModuleRequest {
                    name: "mac80211_hwsim".into(),
                    parameters: vec!["radios=2".into()]
                },
                ModuleRequest {
                    name: "nlmon".into(),
                    parameters: vec![]
                },
            ]
        );
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nlscope-harness-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
