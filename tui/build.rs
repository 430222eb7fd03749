//! Builds the eBPF object from `../ebpf` and leaves it in OUT_DIR, where
//! `capture/live.rs` embeds it with `aya::include_bytes_aligned!`.
//!
//! Why not aya-build: aya-build 0.2 drives only rustup toolchains and drops
//! `RUSTC` from the child's environment, while these machines build eBPF with
//! Debian's rustc + prebuilt `core` for bpfel-unknown-none (no rust-src for
//! rustup here). This script accepts either:
//!   1. Debian's `/usr/bin/cargo` + `/usr/bin/rustc` with
//!      `/usr/lib/rustlib/bpfel-unknown-none` (packages rustc-web, cargo-web,
//!      libstd-rust-web-dev-bpf), or
//!   2. a rustup nightly with rust-src (`-Z build-std=core`).
//!
//! Escape hatches, both explicit:
//!   - `NLSCOPE_EBPF_OBJECT=/path/obj`: embed a prebuilt object;
//!   - `NLSCOPE_SKIP_EBPF=1`: embed nothing; live capture then fails with a
//!     message naming this variable (for working on the UI without a toolchain).
//!
//! A missing tool stops the build with a message that says which and how to get it.
//!
//! It names the build for `nlscope --version` (git commit, the object's
//! hash): see [`describe_build`].
//!
//! It also writes `OUT_DIR/ynl_specs.rs`, the kernel's YNL specs that
//! `ynl::registry` embeds: see [`embed_ynl_specs`].

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    embed_ynl_specs();
    let embedded = build_ebpf_object();
    describe_build(&embedded);
}

/// Puts the eBPF object `capture/live.rs` embeds into OUT_DIR (built, copied
/// from NLSCOPE_EBPF_OBJECT, or empty with NLSCOPE_SKIP_EBPF=1) and returns
/// its path.
fn build_ebpf_object() -> PathBuf {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let ebpf_dir = workspace.join("ebpf");
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let embedded = out_dir.join("nlscope.bpf.o");

    println!("cargo:rerun-if-env-changed=NLSCOPE_EBPF_OBJECT");
    println!("cargo:rerun-if-env-changed=NLSCOPE_SKIP_EBPF");
    println!("cargo:rerun-if-changed={}", ebpf_dir.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        ebpf_dir.join("Cargo.toml").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("common/src").display()
    );

    if let Ok(prebuilt) = env::var("NLSCOPE_EBPF_OBJECT") {
        println!("cargo:rerun-if-changed={prebuilt}");
        std::fs::copy(&prebuilt, &embedded)
            .unwrap_or_else(|e| fail(&format!("NLSCOPE_EBPF_OBJECT={prebuilt}: {e}")));
        return embedded;
    }
    if env::var("NLSCOPE_SKIP_EBPF").is_ok_and(|v| v == "1") {
        std::fs::write(&embedded, b"").unwrap();
        println!("cargo:warning=NLSCOPE_SKIP_EBPF=1: building without the eBPF object; live capture will refuse to start");
        return embedded;
    }

    let linker = find_bpf_linker().unwrap_or_else(|| {
        fail(
            "bpf-linker not found in PATH or ~/.cargo/bin.\n  \
             Run `make setup` (or scripts/setup.sh), which builds it against Debian's LLVM 22:\n  \
             PATH=/usr/lib/llvm-22/bin:$PATH LLVM_SYS_221_PREFIX=/usr/lib/llvm-22 \
             cargo install bpf-linker --version 0.13.0 --no-default-features --features llvm-22",
        )
    });
    let target_dir = workspace.join("target").join("ebpf");
    let mut command = ebpf_build_command(&linker).unwrap_or_else(|| {
        fail(
            "no Rust compiler for bpfel-unknown-none.\n  \
             Either install Debian's rustc-web, cargo-web and libstd-rust-web-dev-bpf \
             (`make setup` does), or a rustup nightly with rust-src.",
        )
    });
    command
        .current_dir(&ebpf_dir)
        .arg("--release")
        .arg("--target")
        .arg("bpfel-unknown-none")
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer cargo's settings are for the host build; none of them apply here.
    for (key, _) in env::vars() {
        let outer = key.starts_with("CARGO_")
            || key.starts_with("RUSTC")
            || key == "RUSTFLAGS"
            || key == "RUSTDOC";
        if outer && key != "CARGO_HOME" && key != "RUSTC_BOOTSTRAP" {
            command.env_remove(&key);
        }
    }
    if let Some(rustc) = ebpf_rustc_override() {
        command.env("RUSTC", rustc).env("RUSTC_BOOTSTRAP", "1");
    }
    let status = command
        .status()
        .unwrap_or_else(|e| fail(&format!("running the eBPF build ({command:?}): {e}")));
    if !status.success() {
        fail(&format!(
            "the eBPF build failed ({status}); its errors are above. Command: {command:?}"
        ));
    }
    let object = target_dir.join("bpfel-unknown-none/release/nlscope");
    std::fs::copy(&object, &embedded)
        .unwrap_or_else(|e| fail(&format!("copying {}: {e}", object.display())));
    embedded
}

/// What `nlscope --version` names besides the version: the git commit it
/// was built from and the embedded eBPF object's SHA-256 (its first 12 hex
/// digits), so two binaries of one version can be told apart and a bug
/// report says which programs ran in the kernel. Set as NLSCOPE_GIT_COMMIT
/// and NLSCOPE_EBPF_SHA256 for `cli`.
fn describe_build(embedded: &Path) {
    use sha2::{Digest, Sha256};
    let object = std::fs::read(embedded)
        .unwrap_or_else(|e| fail(&format!("reading {}: {e}", embedded.display())));
    let ebpf = if object.is_empty() {
        "none (built with NLSCOPE_SKIP_EBPF=1)".to_string()
    } else {
        hex_digits(&Sha256::digest(&object))[..12].to_string()
    };
    println!("cargo:rustc-env=NLSCOPE_EBPF_SHA256={ebpf}");
    println!("cargo:rustc-env=NLSCOPE_GIT_COMMIT={}", git_commit());
}

/// `git rev-parse --short HEAD`, or "unknown" outside a git checkout (a
/// source tarball) or without git. Reruns when HEAD moves: HEAD itself (a
/// checkout) and the branch it points at (a commit), wherever this
/// checkout (or worktree) keeps them.
fn git_commit() -> String {
    let git = |args: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .args(args)
            .current_dir(env::var("CARGO_MANIFEST_DIR").ok()?)
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        (!text.is_empty()).then_some(text)
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    // The branch HEAD points at (refs/heads/NAME), when it is on one.
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        // Only files that exist: cargo reruns on every build for a missing one.
        let path = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]);
        if let Some(path) = path.filter(|path| Path::new(path).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    commit
}

fn hex_digits(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The package whose files hold the kernel's YNL specs, as pinned in
/// Cargo.toml's build-dependencies.
const SPECS_PACKAGE: &str = "netlink-bindings";
const SPECS_VERSION: &str = "0.3.5";

/// Writes `OUT_DIR/ynl_specs.rs`: `(file name, include_str!(path))` for every
/// kernel spec the pinned `netlink-bindings` package ships.
///
/// Why this route: the specs are the kernel's own text, published by a
/// pinned registry package under MIT/Apache terms, so they are never copied
/// into this repository and a build gets exactly the same bytes everywhere.
/// The package is a build-dependency only for cargo to fetch and verify it
/// (its code is all behind features, so nothing of it is compiled); its
/// directory comes from `cargo metadata`, which knows where cargo unpacked
/// it (registry, vendored sources or a path override alike). The package's
/// own files are skipped: `*.overrides.yaml` (its corrections) and
/// `builtin/` (its own definitions), and `include_str!` of absolute paths
/// lets rustc track every spec for rebuilds.
fn embed_ynl_specs() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("ynl_specs.rs");
    let source = specs_package_dir().join("src");
    println!("cargo:rerun-if-changed={}", source.display());
    let mut specs = Vec::new();
    let entries = std::fs::read_dir(&source)
        .unwrap_or_else(|e| fail_specs(&format!("reading {}: {e}", source.display())));
    for entry in entries.flatten() {
        let dir = entry.path();
        let Some(family) = dir.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            continue;
        };
        // `<family>/<family>.yaml` is the kernel's spec; builtin is the package's.
        let spec = dir.join(format!("{family}.yaml"));
        if family == "builtin" || !spec.is_file() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", spec.display());
        specs.push((format!("{family}.yaml"), spec));
    }
    if specs.is_empty() {
        fail_specs(&format!("no YNL spec found under {}", source.display()));
    }
    specs.sort();
    let mut text = String::from(
        "/// The kernel's YNL specs from the pinned netlink-bindings package (build.rs).\n\
         pub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &specs {
        text.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    text.push_str("];\n");
    // Written only when it changes, so an unchanged build stays fresh.
    if std::fs::read_to_string(&out).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&out, text)
            .unwrap_or_else(|e| fail_specs(&format!("writing {}: {e}", out.display())));
    }
}

/// Where cargo keeps the pinned specs package: from `cargo metadata`, or,
/// when that cannot run offline (a fresh checkout whose other packages are
/// not downloaded yet: cargo fetched only what this build needs), from the
/// registry's unpacked sources, where cargo put this build-dependency
/// before running this script.
fn specs_package_dir() -> PathBuf {
    match specs_package_from_metadata() {
        Ok(dir) => dir,
        Err(why) => specs_package_in_registry().unwrap_or_else(|| {
            fail_specs(&format!(
                "{why}; nor is {SPECS_PACKAGE}-{SPECS_VERSION} under the cargo registry's \
                 sources (run `cargo fetch` and build again)"
            ))
        }),
    }
}

/// `$CARGO_HOME/registry/src/<index>/netlink-bindings-<version>`.
fn specs_package_in_registry() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    let wanted = format!("{SPECS_PACKAGE}-{SPECS_VERSION}");
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|index| index.path().join(&wanted))
        .find(|dir| dir.join("Cargo.toml").is_file())
}

fn specs_package_from_metadata() -> Result<PathBuf, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("Cargo.toml");
    let output = Command::new(&cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .map_err(|e| format!("running {cargo} metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{cargo} metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("reading cargo metadata: {e}"))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    packages
        .iter()
        .find(|p| p["name"] == SPECS_PACKAGE && p["version"] == SPECS_VERSION)
        .and_then(|p| p["manifest_path"].as_str())
        .and_then(|path| Path::new(path).parent().map(Path::to_path_buf))
        .ok_or_else(|| {
            format!(
                "{SPECS_PACKAGE} {SPECS_VERSION} is not in cargo metadata (is it still \
                 tui's build-dependency at that version?)"
            )
        })
}

fn fail_specs(message: &str) -> ! {
    eprintln!("\nerror: nlscope's YNL specs could not be embedded: {message}\n");
    std::process::exit(1);
}

const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_BPF_CORE: &str = "/usr/lib/rustlib/bpfel-unknown-none/lib";

fn debian_toolchain_present() -> bool {
    Path::new(DEBIAN_CARGO).exists()
        && Path::new(DEBIAN_RUSTC).exists()
        && Path::new(DEBIAN_BPF_CORE).is_dir()
}

/// `Some(rustc)` when the Debian compiler must be forced through `RUSTC`.
fn ebpf_rustc_override() -> Option<&'static str> {
    debian_toolchain_present().then_some(DEBIAN_RUSTC)
}

fn ebpf_build_command(linker: &Path) -> Option<Command> {
    let linker_config = format!("target.bpfel-unknown-none.linker=\"{}\"", linker.display());
    if debian_toolchain_present() {
        let mut command = Command::new(DEBIAN_CARGO);
        command.arg("build").arg("--config").arg(linker_config);
        return Some(command);
    }
    if rustup_nightly_has_rust_src() {
        let mut command = Command::new("rustup");
        command
            .args(["run", "nightly", "cargo", "build", "-Z", "build-std=core"])
            .arg("--config")
            .arg(linker_config);
        return Some(command);
    }
    None
}

fn rustup_nightly_has_rust_src() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|sysroot| sysroot.join("lib/rustlib/src/rust/library/core").is_dir())
}

fn find_bpf_linker() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = env::var_os("PATH")
        .map(|path| {
            env::split_paths(&path)
                .map(|dir| dir.join("bpf-linker"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(home) = env::var_os("CARGO_HOME")
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cargo").into()))
    {
        candidates.push(Path::new(&home).join("bin/bpf-linker"));
    }
    candidates.push(PathBuf::from("/root/.cargo/bin/bpf-linker"));
    candidates.into_iter().find(|candidate| candidate.is_file())
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: nlscope's eBPF object could not be built: {message}\n");
    std::process::exit(1);
}
