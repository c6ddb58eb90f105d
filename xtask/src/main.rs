//! Workspace automation, std only (in the manner of rust-analyzer's xtask).
//!
//! ```text
//! cargo xtask ci [--only STEP]... [--skip STEP]... [--target TRIPLE]... [--prune]
//! cargo xtask bench-go [--rounds N] [--full]
//! cargo xtask bench-ab BASE PACKAGE:BENCH FILTER [--builds N] [--rounds R] [--per ID]
//! ```
//!
//! Steps, in order: layout (top level, crate files, layering), fmt, clippy, doc,
//! test (host), cross (aarch64 and riscv64 under qemu-user), release (the
//! optimiser-sensitive test files, optimised, on all three), tour (the README's main
//! command, timed), check (macOS and Windows, compile only), miri (`ptrcheck` and
//! `directives`, one Miri process per crate side by side), loom, bench (each
//! criterion bench once).
//!
//! Disk: the run prints the free space first. With less than 12 GiB free (or with
//! `--prune`) it removes each step's build outputs once no later step uses them, so
//! its peak is one step's outputs (1.7 GiB) instead of all of them (about 5.5 GiB);
//! a step that fails with the disk nearly full says so.

mod bench_ab;
mod bench_go;
mod ci;
mod disk;
mod json;
mod layout;
mod run;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace root: the parent of xtask's manifest directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

const USAGE: &str =
    "usage: cargo xtask ci [--only STEP]... [--skip STEP]... [--target TRIPLE]... [--prune]
       cargo xtask bench-go [--rounds N] [--full]   (Go's cgo costs and ours in interleaved rounds, one table of ratios)
       cargo xtask bench-ab BASE PACKAGE:BENCH FILTER [--builds N] [--rounds R] [--per ID]
                                                (a bench of revision BASE against the working tree, several
                                                 link orders per side, interleaved runs, a rank test)
steps: layout fmt clippy doc test cross release tour check miri loom bench
(--only/--skip take one step or a comma-separated list; --target selects rows by target triple;
 --prune removes each step's build outputs once no later step uses them, as happens anyway
 when less than 12 GiB is free)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let ok = match cmd.as_str() {
        "ci" => match parse_ci(&args[1..]) {
            Ok(opts) => ci::main(opts),
            Err(e) => {
                eprintln!("xtask: {e}\n{USAGE}");
                false
            }
        },
        "bench-go" => bench_go::main(&args[1..]),
        "bench-ab" => bench_ab::main(&args[1..]),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            true
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n{USAGE}");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn parse_ci(args: &[String]) -> Result<ci::Options, String> {
    let mut opts = ci::Options {
        prune: false,
        only: Vec::new(),
        skip: Vec::new(),
        targets: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag {
            "--prune" if inline.is_none() => opts.prune = true,
            "--only" => opts.only.extend(value()?.split(',').map(str::to_string)),
            "--skip" => opts.skip.extend(value()?.split(',').map(str::to_string)),
            "--target" => opts.targets.extend(value()?.split(',').map(str::to_string)),
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    Ok(opts)
}
