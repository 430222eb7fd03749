//! The Debian package, as a user gets it: built by scripts/build-deb.sh
//! (what `make deb` runs; it reuses a fresh release build) and unpacked by
//! `dpkg -x` into an empty root. The package tests (tests/package.rs) run
//! what is in that root, and a guest scenario with a file `package-root`
//! gets the root copied into the guest's `/` (see [`crate::build_initramfs`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};

/// The built package and the root it was unpacked into.
#[derive(Clone, Debug)]
pub struct Package {
    /// The `.deb` file.
    pub deb: PathBuf,
    /// An empty directory the package was unpacked into (`dpkg -x`).
    pub root: PathBuf,
}

impl Package {
    /// The packaged nlscope binary.
    pub fn binary(&self) -> PathBuf {
        self.root.join("usr/bin/nlscope")
    }

    /// A field of the package's control file (`dpkg-deb --field`).
    pub fn field(&self, name: &str) -> Result<String> {
        let output = Command::new("dpkg-deb")
            .arg("--field")
            .arg(&self.deb)
            .arg(name)
            .output()
            .context("running dpkg-deb")?;
        if !output.status.success() {
            bail!(
                "dpkg-deb --field {} {name}: {}",
                self.deb.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

static PACKAGE: OnceLock<std::result::Result<Package, String>> = OnceLock::new();

/// Builds the package and unpacks it, once per test process (parallel
/// tests wait for the first).
pub fn package() -> Result<Package> {
    PACKAGE
        .get_or_init(|| build_and_unpack().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!(e))
}

fn build_and_unpack() -> Result<Package> {
    let workspace = crate::workspace_root();
    let script = workspace.join("scripts/build-deb.sh");
    let output = Command::new(&script)
        .current_dir(&workspace)
        .output()
        .with_context(|| format!("cannot run {}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{stdout}{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let deb = stdout
        .lines()
        .last()
        .map(PathBuf::from)
        .filter(|deb| deb.is_file())
        .ok_or_else(|| anyhow!("{} named no package: {stdout}", script.display()))?;
    let root = crate::guest_dir().join("package-root");
    unpack_into_empty(&deb, &root)?;
    Ok(Package { deb, root })
}

/// `dpkg -x DEB ROOT` into a directory made empty first.
fn unpack_into_empty(deb: &Path, root: &Path) -> Result<()> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    std::fs::create_dir_all(root)?;
    let output = Command::new("dpkg")
        .arg("-x")
        .arg(deb)
        .arg(root)
        .output()
        .context("running dpkg -x")?;
    if !output.status.success() {
        bail!(
            "dpkg -x {} failed: {}",
            deb.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
