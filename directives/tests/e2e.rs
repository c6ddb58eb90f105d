//! End to end: a real build script uses `directives` (feature `build`) to compile a preamble
//! with `#cgo CFLAGS`, `#cgo LDFLAGS: -lm` and `#cgo pkg-config: zlib`, links it, and the
//! program calls `sqrt` and `zlibVersion` (directly and through the preamble).
//!
//! The test crate is `tests/e2e` (its own workspace); it is built with `cargo run` into a
//! target directory under this package's test tmpdir, so reruns are incremental.

use std::process::Command;

#[test]
#[cfg_attr(miri, ignore = "spawns cargo and a C compiler")]
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    ignore = "builds and runs a host program that needs zlib's pkg-config data for the target; \
              cross runs (qemu) have no zlib for the guest architecture"
)]
fn build_script_compiles_links_and_calls_sqrt_and_zlib() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/Cargo.toml");
    let target_dir = concat!(env!("CARGO_TARGET_TMPDIR"), "/directives-e2e");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--offline", "--manifest-path", manifest])
        .env("CARGO_TARGET_DIR", target_dir)
        // The outer build's settings must not leak into the inner one.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("spawn cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "e2e build/run failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(stdout.contains("sqrt(2.25)=1.5 zlib=1."), "{stdout}");
    assert!(stdout.lines().any(|l| l == "OK"), "{stdout}");
}

#[test]
#[cfg_attr(miri, ignore = "spawns cargo")]
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    ignore = "needs a host build of the e2e crate (see above)"
)]
fn build_script_refuses_an_unsafe_flag_with_position() {
    // Same crate, but a DISALLOW override turns -Wall (present in the preamble) into an error:
    // the build script must fail and show Go's wording with file:line:col.
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/Cargo.toml");
    let target_dir = concat!(env!("CARGO_TARGET_TMPDIR"), "/directives-e2e");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--manifest-path", manifest])
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CGO_CFLAGS_DISALLOW", "-Wall")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("spawn cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("src/preamble.c:3:48: invalid flag in #cgo CFLAGS: -Wall"),
        "{stderr}"
    );
}
