//! Making sure the tools a step needs are installed, installing them when we can.
//!
//! Rust targets and toolchains come from rustup; C cross compilers, their C
//! libraries, qemu-user and zlib come from Debian's packages via `apt-get` when
//! running as root. When a tool cannot be installed the step fails with a message
//! that says what to install: nothing is skipped silently.

use crate::run::output;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cross target for which tests run under qemu-user.
pub struct Cross {
    pub triple: &'static str,
    /// Prefix of the GNU tools, e.g. `aarch64-linux-gnu`.
    pub gnu: &'static str,
    pub qemu: &'static str,
    pub packages: &'static [&'static str],
}

pub const CROSS: &[Cross] = &[
    Cross {
        triple: "aarch64-unknown-linux-gnu",
        gnu: "aarch64-linux-gnu",
        qemu: "qemu-aarch64",
        packages: &[
            "gcc-aarch64-linux-gnu",
            "libc6-dev-arm64-cross",
            "qemu-user",
        ],
    },
    Cross {
        triple: "riscv64gc-unknown-linux-gnu",
        gnu: "riscv64-linux-gnu",
        qemu: "qemu-riscv64",
        packages: &[
            "gcc-riscv64-linux-gnu",
            "libc6-dev-riscv64-cross",
            "qemu-user",
        ],
    },
];

impl Cross {
    /// `qemu-<arch> -L /usr/<gnu>`: runs a target binary with the target's libc.
    pub fn runner(&self) -> String {
        format!("{} -L /usr/{}", self.qemu, self.gnu)
    }

    /// Environment for a child cargo building and running tests for this target.
    pub fn env(&self) -> Vec<(String, String)> {
        let upper = self.triple.to_uppercase().replace('-', "_");
        let lower = self.triple.replace('-', "_");
        vec![
            (
                format!("CARGO_TARGET_{upper}_LINKER"),
                format!("{}-gcc", self.gnu),
            ),
            (format!("CARGO_TARGET_{upper}_RUNNER"), self.runner()),
            (format!("CC_{lower}"), format!("{}-gcc", self.gnu)),
            (format!("AR_{lower}"), format!("{}-ar", self.gnu)),
            // Tests that re-run their own binary as a child need the runner too:
            // binfmt_misc is not assumed to be available.
            ("CGO_RS_RUNNER".to_string(), self.runner()),
            // qemu-user forks with the guest: a test that re-runs its binary forks a
            // guest with other threads running. With glib older than 2.76 (Debian 12
            // has 2.74), glib's slice allocator keeps its own lock, which fork does not
            // reset: if another guest thread was translating code (`tcg_tb_insert` →
            // `g_slice_alloc`) at the fork, the child's first translation waits on that
            // lock forever, before it reaches `exec`, so no test time limit can see it.
            // Seen once in four clean-clone runs (a riscv64 child hung 14 minutes).
            // This setting makes glib use malloc, which glibc resets at fork.
            ("G_SLICE".to_string(), "always-malloc".to_string()),
        ]
    }
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

fn dpkg_installed(pkg: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]))
        .is_some_and(|s| s.contains("install ok installed"))
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Installs the Debian packages that are missing.
pub fn ensure_apt(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        return Err(format!(
            "missing Debian packages: {list}; install them with `sudo apt-get install {list}`"
        ));
    }
    // Relaxed: xtask runs steps on one thread; this flag only avoids a second update.
    if !APT_UPDATED.swap(true, Ordering::Relaxed) {
        println!("xtask: apt-get update");
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
    }
    println!("xtask: apt-get install {list}");
    let ok = Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|s| s.success());
    if ok && missing.iter().all(|p| dpkg_installed(p)) {
        Ok(())
    } else {
        Err(format!(
            "could not install Debian packages: {list}; install them with `apt-get install {list}`"
        ))
    }
}

/// Adds a rustup target to the stable toolchain when it is missing.
pub fn ensure_target(triple: &str) -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .ok_or("rustup is not available: install rustup to build for other targets")?;
    if installed.lines().any(|l| l.trim() == triple) {
        return Ok(());
    }
    println!("xtask: rustup target add {triple}");
    if Command::new("rustup")
        .args(["target", "add", triple])
        .status()
        .is_ok_and(|s| s.success())
    {
        Ok(())
    } else {
        Err(format!(
            "could not add the Rust target {triple}; run `rustup target add {triple}`"
        ))
    }
}

/// Adds a rustup component to the stable toolchain when it is missing.
pub fn ensure_component(component: &str) -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["component", "list", "--installed"]))
        .ok_or("rustup is not available: install rustup")?;
    if installed
        .lines()
        .any(|l| l.starts_with(&format!("{component}-")) || l.trim() == component)
    {
        return Ok(());
    }
    println!("xtask: rustup component add {component}");
    if Command::new("rustup")
        .args(["component", "add", component])
        .status()
        .is_ok_and(|s| s.success())
    {
        Ok(())
    } else {
        Err(format!(
            "could not add {component}; run `rustup component add {component}`"
        ))
    }
}

/// Installs a nightly toolchain with Miri and its sysroot.
pub fn ensure_miri() -> Result<(), String> {
    let have = output(nightly_cargo().args(["miri", "--version"])).is_some();
    if !have {
        println!("xtask: rustup toolchain install nightly --component miri,rust-src");
        let ok = Command::new("rustup")
            .args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--component",
                "miri,rust-src",
            ])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("could not install Miri; run `rustup toolchain install nightly --component miri,rust-src`".into());
        }
    }
    if nightly_cargo()
        .args(["miri", "setup"])
        .status()
        .is_ok_and(|s| s.success())
    {
        Ok(())
    } else {
        Err("`cargo +nightly miri setup` failed; see its output above".into())
    }
}

/// For `cargo xtask ci`, which builds everything once: incremental caches would
/// only take disk space (about 0.8 GiB per debug build of the workspace). A
/// `CARGO_INCREMENTAL` the caller set is kept.
pub fn no_incremental(cmd: &mut Command) {
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        cmd.env("CARGO_INCREMENTAL", "0");
    }
}

/// `cargo +nightly` with the variables a stable `cargo run` leaves behind removed,
/// so that rustup really selects nightly.
pub fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly");
    no_incremental(&mut cmd);
    for var in [
        "RUSTUP_TOOLCHAIN",
        "RUSTC",
        "RUSTDOC",
        "CARGO",
        "RUSTC_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}
