//! Disk space for `cargo xtask ci`: say how much there is, keep the run's peak
//! small when there is little, and name a full disk when a step fails on it.
//!
//! A full run builds the workspace for three architectures in two profiles, plus
//! Miri, loom and the compile-only targets: about 5.5 GiB of build outputs if all
//! are kept (measured on x86_64 Linux, without incremental caches). No step reads
//! another step's outputs except the ones listed in [`outputs`], so when space is
//! short (below [`LOW_SPACE`], or always with `--prune`) each output directory is
//! removed as soon as no later step of the run will use it; the peak is then one
//! step's outputs, 1.7 GiB (the host's test step). With space to spare nothing is
//! removed, so a developer's next `cargo test` stays warm.
//!
//! A step that fails on a full disk fails deep inside rustc or cargo ("No space
//! left on device"); [`full_disk_note`] adds what is free to the step's error.

use crate::run;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Below this much free space (bytes) on the target directory's file system, the
/// run removes outputs no later step needs.
pub const LOW_SPACE: u64 = 12 << 30;

/// At most this much free space after a failed step, the failure is reported as
/// likely caused by a full disk.
const NEARLY_FULL: u64 = 1 << 30;

/// Free bytes on the file system holding `path` (the nearest existing ancestor),
/// from POSIX `df -P -k`; `None` if `df` is missing or its output is not POSIX's.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let mut at = path;
    while !at.exists() {
        at = at.parent()?;
    }
    let text = run::output(Command::new("df").arg("-P").arg("-k").arg(at))?;
    parse_df(&text)
}

/// The available-space column of `df -P -k`'s one data row, in bytes.
fn parse_df(text: &str) -> Option<u64> {
    // Header, then one row: file system, 1024-blocks, used, available, capacity, mount.
    // The file system name may contain spaces, so count columns from the right.
    let row = text.lines().nth(1)?;
    let cols: Vec<&str> = row.split_whitespace().collect();
    let avail = cols.get(cols.len().checked_sub(3)?)?;
    avail.parse::<u64>().ok()?.checked_mul(1024)
}

/// `n` bytes for a message: GiB with one decimal, or MiB below 1 GiB.
pub fn human(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64)
    } else {
        format!("{} MiB", n >> 20)
    }
}

/// The directories under the target directory that step `step` for `target` writes
/// and reads, relative to the target directory.
pub fn outputs(step: &str, target: &str) -> Vec<PathBuf> {
    match step {
        // clippy, doc and test share the host's debug directory (build scripts,
        // dependencies' metadata); doc adds its pages; test adds the scratch
        // directories its tests create (`target/tmp`).
        "clippy" => vec!["debug".into()],
        "doc" => vec!["debug".into(), "doc".into()],
        "test" => vec!["debug".into(), "tmp".into()],
        // `cargo test --target T` and `cargo check --target T` (dev profile).
        "cross" | "check" => vec![Path::new(target).join("debug")],
        // `--release --target T`, for the host too: a separate directory from the
        // tour's and the benches' `release`.
        "release" => vec![Path::new(target).join("release")],
        // `cargo run --release` and `cargo bench` (the bench profile builds into
        // `release`).
        "tour" | "bench" => vec!["release".into()],
        "miri" => vec!["miri".into()],
        "loom" => vec!["loom".into()],
        // layout and fmt build nothing.
        _ => Vec::new(),
    }
}

/// Removes those of `done`'s output directories that none of the `later`
/// (step, target) pairs uses, and says what it freed. Errors are reported, not
/// fatal: the run goes on and may still fit.
pub fn prune(target_dir: &Path, done: (&str, &str), later: &[(&str, &str)]) {
    let keep: Vec<PathBuf> = later.iter().flat_map(|&(s, t)| outputs(s, t)).collect();
    for rel in outputs(done.0, done.1) {
        if keep.contains(&rel) {
            continue;
        }
        let dir = target_dir.join(&rel);
        if !dir.exists() {
            continue;
        }
        let before = free_bytes(target_dir);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {
                let after = free_bytes(target_dir);
                let freed = match (before, after) {
                    (Some(b), Some(a)) if a >= b => format!(", {} freed", human(a - b)),
                    _ => String::new(),
                };
                println!(
                    "xtask: removed {} (no later step uses it{freed})",
                    dir.display()
                );
            }
            Err(e) => eprintln!(
                "xtask: could not remove {} to save space: {e}",
                dir.display()
            ),
        }
    }
}

/// When the file system holding `target_dir` is (nearly) full after a failed step:
/// a sentence saying so, to add to the step's error.
pub fn full_disk_note(target_dir: &Path) -> Option<String> {
    let free = free_bytes(target_dir)?;
    (free <= NEARLY_FULL).then(|| {
        format!(
            "the disk holding {} has only {} free, which can fail a build with \
             \"No space left on device\": free space (a full run needs about 2 GiB \
             with --prune, 6 GiB without) and run again",
            target_dir.display(),
            human(free)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_output_is_read_from_the_right() {
        let gnu = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                   /dev/vda        263174212 11218460  83897128      12% /\n";
        assert_eq!(parse_df(gnu), Some(83897128 * 1024));
        let spaced = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                      map auto_home 0 0 0 100% /System/Volumes/Data/home\n";
        assert_eq!(parse_df(spaced), Some(0));
        assert_eq!(parse_df("Filesystem\n"), None);
        assert_eq!(parse_df(""), None);
        assert_eq!(parse_df("h\n/dev/x 1 2 lots 3% /\n"), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(0), "0 MiB");
        assert_eq!(human(287 << 20), "287 MiB");
        assert_eq!(human(3 << 30), "3.0 GiB");
        assert_eq!(human((11 << 30) + (1 << 29)), "11.5 GiB");
    }

    #[test]
    fn an_output_is_kept_while_a_later_step_uses_it() {
        let host = "x86_64-unknown-linux-gnu";
        let dir = std::env::temp_dir().join(format!("xtask-prune-{}", std::process::id()));
        for sub in [
            "debug",
            "doc",
            "tmp",
            "release",
            "aarch64-unknown-linux-gnu/debug",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // After clippy, the test step still needs `debug`.
        prune(&dir, ("clippy", host), &[("test", host)]);
        assert!(dir.join("debug").exists());
        // After doc, its pages go; `debug` stays for test.
        prune(&dir, ("doc", host), &[("test", host), ("tour", host)]);
        assert!(!dir.join("doc").exists());
        assert!(dir.join("debug").exists());
        // After test, nothing later uses `debug` or `tmp`.
        prune(
            &dir,
            ("test", host),
            &[("cross", "aarch64-unknown-linux-gnu")],
        );
        assert!(!dir.join("debug").exists() && !dir.join("tmp").exists());
        // A cross target's debug directory goes after its step, `release` stays for
        // the benches after the tour.
        prune(
            &dir,
            ("cross", "aarch64-unknown-linux-gnu"),
            &[("tour", host), ("bench", host)],
        );
        assert!(!dir.join("aarch64-unknown-linux-gnu/debug").exists());
        prune(&dir, ("tour", host), &[("bench", host)]);
        assert!(dir.join("release").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
