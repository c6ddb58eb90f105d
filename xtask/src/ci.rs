//! `cargo xtask ci`: every check the project runs, in order, with a summary table.

use crate::disk;
use crate::layout;
use crate::run::{self, TestCounts};
use crate::tools::{self, CROSS};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub const HOST: &str = "x86_64-unknown-linux-gnu";

/// The steps, in the order they run.
pub const STEPS: &[&str] = &[
    "layout", "fmt", "clippy", "doc", "test", "cross", "release", "tour", "check", "miri", "loom",
    "bench",
];

/// What the README promises for its main command: the tour runs in under a minute.
const TOUR_PROMISE: Duration = Duration::from_secs(60);

/// Test files (`tests/<name>.rs` of each crate listed) that also run as optimised
/// builds, on every Linux target: bugs that only the optimiser exposes, such as a
/// thread-local address reused after a green thread moved to another OS thread.
const RELEASE_TESTS: &[(&str, &str)] = &[("stackswitch", "migration"), ("facade", "migration")];

/// Library crates (everything but xtask).
const LIBS: &[&str] = &[
    "stackswitch",
    "syscall-accounting",
    "ptrcheck",
    "directives",
    "callback",
    "facade",
];

/// Compile-only targets.
const FOREIGN: &[&str] = &[
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-gnu",
];

/// The support matrix of compile-only targets: crates listed here must fail to
/// build for that target with a `compile_error!` containing the message; every
/// other (target, crate) pair must compile.
const UNSUPPORTED: &[(&str, &str, &str)] = &[
    // Windows: no switching assembly for the Windows x64 ABI (TIB stack limits,
    // xmm6-15) yet; the crates above stackswitch inherit its compile_error.
    (
        "x86_64-pc-windows-gnu",
        "stackswitch",
        "stackswitch does not support Windows yet",
    ),
    (
        "x86_64-pc-windows-gnu",
        "callback",
        "stackswitch does not support Windows yet",
    ),
    (
        "x86_64-pc-windows-gnu",
        "facade",
        "stackswitch does not support Windows yet",
    ),
];

/// Crates checked by Miri (no assembly, no foreign code in their tests).
const MIRI: &[&str] = &["ptrcheck", "directives"];

/// Whether the finished `cmd` passed: an error naming the time limit and what was
/// still running, or the command that failed.
fn verdict(out: &run::Outcome, cmd: &Command) -> Result<(), String> {
    if out.timed_out {
        Err(format!(
            "timed out after {} s, {}",
            STEP_LIMIT.as_secs(),
            out.running.describe()
        ))
    } else if out.success {
        Ok(())
    } else {
        Err(format!("`{}` failed", run::describe(cmd)))
    }
}

/// Miri jobs running at once (the CI machine has two cores).
const MIRI_WORKERS: usize = 2;

/// Test targets known to take longest under Miri, started first so that the two
/// workers finish close together (measured: `vectors_flags` alone is about half of
/// `directives`' Miri time).
const MIRI_LONGEST: &[&str] = &["vectors_flags", "go_ptr", "vectors_parse", "parse"];

/// One `cargo miri test` invocation: a crate and which of its tests.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MiriJob {
    krate: String,
    /// `--lib`, `--bins`, `--test <name>` or `--doc`.
    selection: Vec<String>,
}

impl MiriJob {
    fn label(&self) -> String {
        format!("{} {}", self.krate, self.selection.join(" "))
    }
}

/// The jobs that together run every test `cargo miri test -p <crate>` runs for the
/// crates in [`MIRI`] (library unit tests, binaries' unit tests, each integration test
/// file, doctests), read from `cargo metadata`; the longest ([`MIRI_LONGEST`]) first.
fn miri_jobs(meta: &crate::json::Json) -> Result<Vec<MiriJob>, String> {
    use crate::json::Json;
    let mut jobs = Vec::new();
    for &k in MIRI {
        let pkg = meta
            .get("packages")
            .map(Json::as_array)
            .unwrap_or_default()
            .iter()
            .find(|p| p.get("name").and_then(Json::as_str) == Some(k))
            .ok_or_else(|| format!("cargo metadata lists no package `{k}`"))?;
        let mut has_lib = false;
        let mut has_bins = false;
        let mut doctests = false;
        for t in pkg.get("targets").map(Json::as_array).unwrap_or_default() {
            let kinds: Vec<&str> = t
                .get("kind")
                .map(Json::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Json::as_str)
                .collect();
            let runs_tests = t.get("test") != Some(&Json::Bool(false));
            if kinds.iter().any(|k| k.ends_with("lib")) {
                has_lib |= runs_tests;
                doctests |= t.get("doctest") != Some(&Json::Bool(false));
            } else if kinds.contains(&"bin") {
                has_bins |= runs_tests;
            } else if kinds.contains(&"test") {
                let name = t.get("name").and_then(Json::as_str).unwrap_or_default();
                jobs.push(MiriJob {
                    krate: k.to_string(),
                    selection: vec!["--test".into(), name.to_string()],
                });
            }
        }
        for (present, flag) in [
            (has_lib, "--lib"),
            (has_bins, "--bins"),
            (doctests, "--doc"),
        ] {
            if present {
                jobs.push(MiriJob {
                    krate: k.to_string(),
                    selection: vec![flag.into()],
                });
            }
        }
    }
    let rank = |j: &MiriJob| {
        MIRI_LONGEST
            .iter()
            .position(|n| j.selection.last().map(String::as_str) == Some(*n))
            .unwrap_or(MIRI_LONGEST.len())
    };
    jobs.sort_by_key(rank);
    Ok(jobs)
}

/// Crates with loom models (internal tests named `loom…`, built with `--cfg loom`).
const LOOM: &[&str] = &["syscall-accounting", "callback"];

const STEP_LIMIT: Duration = Duration::from_secs(25 * 60);

pub struct Options {
    /// Remove each step's build outputs once no later step uses them, whatever the
    /// free space (they are removed anyway below [`disk::LOW_SPACE`]).
    pub prune: bool,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub targets: Vec<String>,
}

struct Row {
    step: &'static str,
    target: String,
    result: Result<String, String>,
    seconds: f64,
    tests: TestCounts,
}

struct Ci {
    root: PathBuf,
    /// Cargo's target directory for the workspace (see [`target_dir`]).
    target_dir: PathBuf,
    rows: Vec<Row>,
}

pub fn main(opts: Options) -> bool {
    for s in opts.only.iter().chain(&opts.skip) {
        if !STEPS.contains(&s.as_str()) {
            eprintln!("xtask: unknown step `{s}`; steps are: {}", STEPS.join(", "));
            return false;
        }
    }
    if let Err(e) = run::disable_core_dumps() {
        eprintln!("xtask: cannot turn core dumps off ({e}); crash tests may write cores");
    }
    let root = crate::root();
    let mut ci = Ci {
        target_dir: target_dir(&root),
        root,
        rows: Vec::new(),
    };
    let wanted_step = |s: &str| {
        (opts.only.is_empty() || opts.only.iter().any(|o| o == s))
            && !opts.skip.iter().any(|k| k == s)
    };
    let wanted_target = |t: &str| opts.targets.is_empty() || opts.targets.iter().any(|o| o == t);
    let total = Instant::now();
    // Every (step, target) pair of this run, in order, so that a step's outputs can
    // be removed when no later pair needs them.
    let mut plan: Vec<(&'static str, &'static str)> = Vec::new();
    for &step in STEPS {
        if !wanted_step(step) {
            continue;
        }
        let targets: Vec<&'static str> = match step {
            "cross" => CROSS.iter().map(|c| c.triple).collect(),
            "release" => std::iter::once(HOST)
                .chain(CROSS.iter().map(|c| c.triple))
                .collect(),
            "check" => FOREIGN.to_vec(),
            _ => vec![HOST],
        };
        plan.extend(
            targets
                .into_iter()
                .filter(|t| wanted_target(t))
                .map(|t| (step, t)),
        );
    }
    let target_dir = ci.target_dir.clone();
    let free = disk::free_bytes(&target_dir);
    let prune = opts.prune || free.is_some_and(|f| f < disk::LOW_SPACE);
    match free {
        Some(f) => println!(
            "xtask: {} free on the disk holding {}; {}",
            disk::human(f),
            target_dir.display(),
            if prune {
                "each step's build outputs are removed once no later step uses them"
            } else {
                "build outputs are kept (--prune removes them as the run goes)"
            }
        ),
        None => println!(
            "xtask: free space on the disk holding {} is unknown (no POSIX `df`)",
            target_dir.display()
        ),
    }
    for (i, &(step, t)) in plan.iter().enumerate() {
        println!("\n==> {step} [{t}]");
        let start = Instant::now();
        let mut tests = TestCounts::default();
        let mut result = ci.step(step, t, &mut tests);
        if let Err(e) = &mut result {
            if let Some(note) = disk::full_disk_note(&target_dir) {
                e.push_str("; ");
                e.push_str(&note);
            }
            eprintln!("xtask: step {step} [{t}] FAILED: {e}");
        }
        ci.rows.push(Row {
            step,
            target: t.to_string(),
            result,
            seconds: start.elapsed().as_secs_f64(),
            tests,
        });
        if prune {
            disk::prune(&target_dir, (step, t), &plan[i + 1..]);
        }
    }
    ci.summary(total.elapsed())
}

impl Ci {
    fn cargo(&self) -> Command {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&self.root).env_remove("CGO_RS_RUNNER");
        tools::no_incremental(&mut cmd);
        cmd
    }

    fn step(&mut self, step: &str, target: &str, tests: &mut TestCounts) -> Result<String, String> {
        match step {
            "layout" => {
                let problems = layout::check(&self.root);
                if problems.is_empty() {
                    Ok("top level, crate files and layering as designed".into())
                } else {
                    for p in &problems {
                        eprintln!("xtask: {p}");
                    }
                    Err(format!(
                        "{} layout problem(s): {}",
                        problems.len(),
                        problems.join("; ")
                    ))
                }
            }
            "fmt" => {
                tools::ensure_component("rustfmt")?;
                self.exec(self.cargo().args(["fmt", "--all", "--", "--check"]), tests)
            }
            "clippy" => {
                tools::ensure_component("clippy")?;
                self.exec(
                    self.cargo().args([
                        "clippy",
                        "--workspace",
                        "--all-targets",
                        "--all-features",
                        "--",
                        "-D",
                        "warnings",
                    ]),
                    tests,
                )
            }
            "doc" => self.exec(
                self.cargo()
                    .args(["doc", "--workspace", "--no-deps", "--all-features"])
                    .env("RUSTDOCFLAGS", "-D warnings"),
                tests,
            ),
            "test" => {
                tools::ensure_apt(&["zlib1g-dev", "pkg-config", "strace", "gdb"])?;
                self.exec(
                    self.cargo().args(["test", "--workspace", "--all-features"]),
                    tests,
                )?;
                nonzero(tests)
            }
            "cross" => {
                let cross = CROSS
                    .iter()
                    .find(|c| c.triple == target)
                    .expect("known cross target");
                tools::ensure_target(cross.triple)?;
                tools::ensure_apt(cross.packages)?;
                let mut cmd = self.cargo();
                cmd.args([
                    "test",
                    "--workspace",
                    "--exclude",
                    "xtask",
                    "--target",
                    cross.triple,
                ]);
                for (k, v) in cross.env() {
                    cmd.env(k, v);
                }
                self.exec(&mut cmd, tests)?;
                nonzero(tests)
            }
            "release" => {
                let mut cmd = self.cargo();
                cmd.args(["test", "--release", "--target", target]);
                for (krate, test) in RELEASE_TESTS {
                    cmd.args(["-p", krate, "--test", test]);
                }
                if let Some(cross) = CROSS.iter().find(|c| c.triple == target) {
                    tools::ensure_target(cross.triple)?;
                    tools::ensure_apt(cross.packages)?;
                    for (k, v) in cross.env() {
                        cmd.env(k, v);
                    }
                }
                self.exec(&mut cmd, tests)?;
                nonzero(tests)
            }
            "tour" => {
                // The README's main command, as a newcomer types it; built first so the
                // time measured is the tour's own.
                let run = ["run", "--release", "-p", "facade", "--example", "tour"];
                self.exec(
                    self.cargo()
                        .args(["build", "--release", "-p", "facade", "--example", "tour"]),
                    tests,
                )?;
                let mut cmd = self.cargo();
                cmd.args(run);
                let started = Instant::now();
                let out = run::run(&mut cmd, STEP_LIMIT, false)?;
                let took = started.elapsed();
                verdict(&out, &cmd)?;
                if took > TOUR_PROMISE {
                    return Err(format!(
                        "`cargo {}` took {:.1} s; the README promises under {} s",
                        run.join(" "),
                        took.as_secs_f64(),
                        TOUR_PROMISE.as_secs()
                    ));
                }
                Ok(format!(
                    "`cargo {}` ran in {:.1} s",
                    run.join(" "),
                    took.as_secs_f64()
                ))
            }
            "check" => {
                tools::ensure_target(target)?;
                let mut notes = Vec::new();
                for krate in LIBS {
                    notes.push(self.check_foreign(target, krate)?);
                }
                Ok(notes.join(", "))
            }
            "miri" => {
                tools::ensure_miri()?;
                // Build every test of the Miri crates once, then run them as separate
                // jobs, two at a time: Miri interprets a test binary on one core, so
                // one `cargo miri test` leaves the second core idle (measured on the
                // 2-core VM: 781 s in a row, 687-718 s as jobs; the two jobs slow
                // each other down). Every test target cargo would run is a job (from
                // `cargo metadata`), so none is left out.
                let mut build = tools::nightly_cargo();
                build
                    .current_dir(&self.root)
                    .args(["miri", "test", "--no-run"]);
                for k in MIRI {
                    build.args(["-p", k]);
                }
                self.exec(&mut build, tests)?;
                let jobs = miri_jobs(&layout::metadata(&self.root)?)?;
                self.run_jobs(&jobs, MIRI_WORKERS, tests)?;
                nonzero(tests)
            }
            "loom" => {
                // The loom models are internal tests of each library (src/tests/); one
                // crate at a time, so each count is checked on its own.
                for krate in LOOM {
                    let mut counts = TestCounts::default();
                    let mut cmd = self.cargo();
                    cmd.args(["test", "-p", krate, "--release", "--lib", "loom"])
                        .env("RUSTFLAGS", "--cfg loom")
                        .env("CARGO_TARGET_DIR", self.target_dir.join("loom"));
                    self.exec(&mut cmd, &mut counts)?;
                    nonzero(&counts).map_err(|e| format!("{krate}: {e}"))?;
                    tests.add(counts);
                }
                nonzero(tests)
            }
            "bench" => self.exec(
                self.cargo()
                    .args(["bench", "--workspace", "--bench", "*", "--", "--test"]),
                tests,
            ),
            other => Err(format!("unknown step {other}")),
        }
    }

    /// Runs `cargo +nightly miri test -p <crate> <selection>` for every job, `workers`
    /// at a time, longest first (the order of `jobs`); their output lines are labelled
    /// with the job. Every job runs even when one fails; the error names each failure.
    fn run_jobs(
        &self,
        jobs: &[MiriJob],
        workers: usize,
        tests: &mut TestCounts,
    ) -> Result<(), String> {
        let next = std::sync::Mutex::new(jobs.iter());
        let results = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let Some(job) = next.lock().unwrap_or_else(|p| p.into_inner()).next()
                        else {
                            break;
                        };
                        let mut cmd = tools::nightly_cargo();
                        cmd.current_dir(&self.root)
                            .args(["miri", "test", "-p", &job.krate])
                            .args(&job.selection);
                        let label = job.label();
                        let verdict = run::run_labelled(&mut cmd, STEP_LIMIT, false, Some(&label))
                            .map(|out| (out.tests, verdict(&out, &cmd)));
                        results
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((label, verdict));
                    }
                });
            }
        });
        let mut failures = Vec::new();
        for (label, out) in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
            let result = out.and_then(|(counts, verdict)| {
                tests.add(counts);
                verdict
            });
            if let Err(e) = result {
                failures.push(format!("{label}: {e}"));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }

    fn exec(&self, cmd: &mut Command, tests: &mut TestCounts) -> Result<String, String> {
        let out = run::run(cmd, STEP_LIMIT, false)?;
        tests.add(out.tests);
        verdict(&out, cmd).map(|()| String::new())
    }

    /// `cargo check` of one library crate for a compile-only target, held to the
    /// support matrix in [`UNSUPPORTED`].
    fn check_foreign(&self, target: &str, krate: &str) -> Result<String, String> {
        let expected = UNSUPPORTED
            .iter()
            .find(|(t, k, _)| *t == target && *k == krate)
            .map(|(_, _, m)| *m);
        let mut cmd = self.cargo();
        cmd.args(["check", "-p", krate, "--lib", "--target", target]);
        let out = run::run(&mut cmd, STEP_LIMIT, true)?;
        match (expected, out.success) {
            (None, true) => Ok(format!("{krate} ok")),
            (None, false) => {
                eprintln!("{}", out.stderr);
                Err(format!("{krate} does not compile for {target}"))
            }
            (Some(msg), false) if out.stderr.contains(msg) && !out.stderr.contains("error[E") => {
                Ok(format!("{krate} unsupported (compile_error as documented)"))
            }
            (Some(msg), false) => {
                eprintln!("{}", out.stderr);
                Err(format!(
                    "{krate} failed for {target} without the documented compile_error `{msg}`"
                ))
            }
            (Some(msg), true) => Err(format!(
                "{krate} now compiles for {target}: update the support matrix (expected compile_error `{msg}`)"
            )),
        }
    }

    fn summary(&self, total: Duration) -> bool {
        println!(
            "\n{:<8} {:<28} {:<6} {:>8}  details",
            "step", "target", "result", "seconds"
        );
        println!("{}", "-".repeat(90));
        let mut all = TestCounts::default();
        for r in &self.rows {
            let (res, detail) = match &r.result {
                Ok(d) => ("ok", d.clone()),
                Err(e) => ("FAILED", e.clone()),
            };
            let mut detail = detail;
            if r.tests != TestCounts::default() {
                let t = format!(
                    "{} passed, {} failed, {} ignored",
                    r.tests.passed, r.tests.failed, r.tests.ignored
                );
                detail = if detail.is_empty() {
                    t
                } else {
                    format!("{t}; {detail}")
                };
            }
            let detail: String = detail.chars().take(200).collect();
            println!(
                "{:<8} {:<28} {:<6} {:>8.1}  {}",
                r.step, r.target, res, r.seconds, detail
            );
            all.add(r.tests);
        }
        let failed_steps = self.rows.iter().filter(|r| r.result.is_err()).count();
        println!("{}", "-".repeat(90));
        println!(
            "{} step(s), {} failed, {:.0} s in all",
            self.rows.len(),
            failed_steps,
            total.as_secs_f64()
        );
        // The plain closing line: tests executed across every step.
        println!("ci: {} passed, {} failed", all.passed, all.failed);
        failed_steps == 0 && !self.rows.is_empty()
    }
}

/// Cargo's target directory for the workspace at `root`: `CARGO_TARGET_DIR` or the
/// build configuration may move it, so cargo is asked; `root/target` if it cannot
/// say.
fn target_dir(root: &std::path::Path) -> PathBuf {
    layout::metadata(root)
        .ok()
        .and_then(|m| m.get("target_directory")?.as_str().map(PathBuf::from))
        .unwrap_or_else(|| root.join("target"))
}

/// A test step that ran no test is a failure, not a pass.
fn nonzero(tests: &TestCounts) -> Result<String, String> {
    if tests.passed == 0 {
        Err("no test was executed".into())
    } else {
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, kind: &str, extra: &str) -> String {
        format!(r#"{{"name": "{name}", "kind": ["{kind}"]{extra}}}"#)
    }

    #[test]
    fn miri_jobs_cover_every_test_target_longest_first() {
        let meta = format!(
            r#"{{"packages": [
                {{"name": "facade", "targets": [{}]}},
                {{"name": "directives", "targets": [{}, {}, {}, {}, {}, {}]}},
                {{"name": "ptrcheck", "targets": [{}, {}, {}]}}
            ]}}"#,
            target("facade", "lib", ""),
            target("directives", "lib", ""),
            target("cgo-directives", "bin", ""),
            target("parse", "test", ""),
            target("vectors_flags", "test", ""),
            target("parse", "bench", r#", "test": false"#),
            target("demo", "example", ""),
            target("ptrcheck", "lib", r#", "doctest": false"#),
            target("go_ptr", "test", ""),
            target("build-script-build", "custom-build", ""),
        );
        let jobs = miri_jobs(&crate::json::parse(&meta).unwrap()).unwrap();
        let labels: Vec<String> = jobs.iter().map(MiriJob::label).collect();
        assert_eq!(
            labels,
            [
                "directives --test vectors_flags",
                "ptrcheck --test go_ptr",
                "directives --test parse",
                "ptrcheck --lib",
                "directives --lib",
                "directives --bins",
                "directives --doc",
            ],
            "facade is not a Miri crate; benches, examples and build scripts are not \
             tests; a library without doctests gets no --doc job"
        );
    }

    #[test]
    fn miri_jobs_name_a_missing_crate() {
        let err = miri_jobs(&crate::json::parse(r#"{"packages": []}"#).unwrap()).unwrap_err();
        assert!(err.contains("ptrcheck"), "{err}");
    }
}
