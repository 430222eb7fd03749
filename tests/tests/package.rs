//! The Debian package on the host: built by scripts/build-deb.sh (`make
//! deb`), unpacked by `dpkg -x` into an empty root, and run from there with
//! a bare environment (no cargo, no toolchain on PATH). Its live capture is
//! the guest test `the_packaged_binary_records_live_traffic` (guest.rs).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

use clap::CommandFactory;
use nlscope_tests::package::{package, Package};

fn packaged() -> Package {
    package().unwrap_or_else(|error| panic!("{error:#}"))
}

/// Runs the packaged nlscope as an installed tool is run: from an
/// unrelated directory, with only the system's PATH.
fn run_packaged(package: &Package, args: &[&str]) -> Output {
    let output = Command::new(package.binary())
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("the packaged nlscope runs");
    assert!(
        output.status.success(),
        "nlscope {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The visible subcommands, from nlscope's clap definitions.
fn subcommands() -> Vec<clap::Command> {
    nlscope::cli::Cli::command()
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .collect()
}

#[test]
fn the_packaged_binary_runs_help_ports_and_decode_without_a_toolchain() {
    let package = packaged();
    let help = text(&run_packaged(&package, &["--help"]));
    for sub in subcommands() {
        assert!(
            help.contains(sub.get_name()),
            "--help lists {}",
            sub.get_name()
        );
    }
    let version = text(&run_packaged(&package, &["--version"]));
    assert!(
        version.starts_with(&format!("nlscope {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let hash = version
        .split("eBPF object sha256 ")
        .nth(1)
        .map(|rest| rest.trim().trim_end_matches(')'))
        .unwrap_or_default();
    assert!(
        hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "--version names the embedded object's hash: {version}"
    );

    let ports = text(&run_packaged(&package, &["ports", "--json"]));
    let table: serde_json::Value = serde_json::from_str(&ports).expect("ports --json is JSON");
    assert!(
        table["sockets"].as_array().is_some_and(|s| !s.is_empty()),
        "this machine has netlink sockets: {ports}"
    );

    let fixture = nlscope_tests::workspace_root().join("tests/fixtures/guest-capture-paths.pcapng");
    let decoded = text(&run_packaged(
        &package,
        &["decode", fixture.to_str().unwrap()],
    ));
    assert!(
        decoded.contains("RTM_NEWLINK"),
        "{}",
        &decoded[..decoded.len().min(2000)]
    );
}

#[test]
fn the_package_depends_on_libc_alone() {
    let package = packaged();
    let depends = package.field("Depends").unwrap();
    let bytes = std::fs::metadata(&package.deb).unwrap().len();
    eprintln!(
        "package {} ({bytes} bytes), Depends: {depends}",
        package.deb.display()
    );
    // The README states both (its Install section): they must stay true.
    let readme =
        std::fs::read_to_string(nlscope_tests::workspace_root().join("README.md")).unwrap();
    let size = format!("The package is {:.1} MiB", bytes as f64 / (1 << 20) as f64);
    assert!(readme.contains(&size), "README: `{size}`");
    assert!(
        readme.contains(&format!("`{depends}` alone")),
        "README names the Depends: {depends}"
    );
    for dependency in depends.split(',').map(str::trim) {
        assert!(
            dependency.starts_with("libc6 ") || dependency == "libc6",
            "only libc6: {depends}"
        );
    }
    // What the binary links, as ldd sees it: the C library's parts only.
    let libraries = nlscope_tests::shared_libraries(&package.binary()).unwrap();
    for library in &libraries {
        let name = library.file_name().unwrap().to_string_lossy();
        let libc = [
            "libc.so",
            "libm.so",
            "libgcc_s.so",
            "ld-linux",
            "libdl.so",
            "libpthread.so",
        ];
        assert!(
            libc.iter().any(|part| name.starts_with(part)),
            "the binary links {} ({libraries:?})",
            library.display()
        );
    }
}

/// A gzipped man page's text, with roff's escaped dashes as plain dashes.
fn man_page(root: &Path, name: &str) -> String {
    let path = root.join("usr/share/man/man1").join(format!("{name}.1.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut page = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut page)
        .unwrap();
    page.replace("\\-", "-")
}

#[test]
fn the_man_pages_and_completions_cover_every_subcommand_and_option() {
    let package = packaged();
    let root = &package.root;
    let completions = [
        "usr/share/bash-completion/completions/nlscope",
        "usr/share/zsh/vendor-completions/_nlscope",
        "usr/share/fish/vendor_completions.d/nlscope.fish",
    ]
    .map(|path| {
        let text =
            std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        (path, text)
    });
    let main_page = man_page(root, "nlscope");
    for sub in subcommands() {
        let name = sub.get_name();
        assert!(
            main_page.contains(&format!("nlscope-{name}(1)")),
            "nlscope.1 lists {name}"
        );
        for (path, script) in &completions {
            assert!(script.contains(name), "{path} completes {name}");
        }
        // Each subcommand's page has every option of its --help.
        let page = man_page(root, &format!("nlscope-{name}"));
        for long in sub
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long())
        {
            assert!(
                page.contains(&format!("--{long}")),
                "nlscope-{name}.1 has --{long}"
            );
        }
    }
    let hidden: Vec<_> = nlscope::cli::Cli::command()
        .get_subcommands()
        .filter(|sub| sub.is_hide_set())
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in hidden {
        assert!(
            !root
                .join(format!("usr/share/man/man1/nlscope-{name}.1.gz"))
                .exists(),
            "hidden {name} has no page"
        );
        for (path, script) in &completions {
            assert!(
                !script.contains(&name),
                "{path} does not offer hidden {name}"
            );
        }
    }
}

#[test]
fn the_package_ships_the_demo_module_source_and_its_spec() {
    let package = packaged();
    let workspace = nlscope_tests::workspace_root();
    // The spec, where nlscope reads specs by default.
    let spec = nlscope::options::SYSTEM_SPEC_DIR.trim_start_matches('/');
    assert_eq!(
        std::fs::read(package.root.join(spec).join("nlscope_demo.yaml")).unwrap(),
        std::fs::read(workspace.join("kmod/nlscope_demo.yaml")).unwrap()
    );
    // The module's source for DKMS: /usr/src/NAME-VERSION with dkms.conf
    // saying that name and version (the package's).
    let version = package.field("Version").unwrap();
    let upstream = version.split('-').next().unwrap();
    let source = package
        .root
        .join(format!("usr/src/nlscope-demo-{upstream}"));
    let dkms = std::fs::read_to_string(source.join("dkms.conf")).unwrap();
    assert!(dkms.contains("PACKAGE_NAME=\"nlscope-demo\""), "{dkms}");
    assert!(
        dkms.contains(&format!("PACKAGE_VERSION=\"{upstream}\"")),
        "{dkms}"
    );
    // It builds with its own Makefile against a kernel's headers (in a
    // copy: the unpacked root stays as packaged for the guest test).
    let kernel = nlscope_tests::guest_kernel().unwrap();
    let build = empty_dir("package-kmod");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, build.join(path.file_name().unwrap())).unwrap();
    }
    succeeds(
        Command::new("make")
            .arg("-C")
            .arg(&build)
            .arg(format!("KDIR={}", kernel.headers.display())),
    );
    assert!(build.join("nlscope_demo.ko").is_file());
    // And DKMS builds it from the packaged tree, as `dkms install
    // nlscope-demo/VERSION` does (in a DKMS tree of its own, not the
    // system's /var/lib/dkms).
    let dkms_tree = empty_dir("package-dkms");
    succeeds(
        Command::new("dkms")
            .args(["build", "-m", "nlscope-demo", "-v", upstream])
            .args(["-k", &kernel.version, "--kernelsourcedir"])
            .arg(&kernel.headers)
            .arg("--sourcetree")
            .arg(package.root.join("usr/src"))
            .arg("--dkmstree")
            .arg(&dkms_tree),
    );
    // Compressed as the kernel's own modules are (6.12's .ko.xz) or not.
    let module_dir = dkms_tree.join(format!(
        "nlscope-demo/{upstream}/{}/x86_64/module",
        kernel.version
    ));
    let built: Vec<String> = std::fs::read_dir(&module_dir)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        built.iter().any(|name| name.starts_with("nlscope_demo.ko")),
        "dkms built no module in {}: {built:?}",
        module_dir.display()
    );
}

/// `target/guest/NAME`, made empty.
fn empty_dir(name: &str) -> std::path::PathBuf {
    let dir = nlscope_tests::guest_dir().join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `command`, failing the test with its output when it fails.
fn succeeds(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
