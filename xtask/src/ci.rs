//! `cargo xtask ci`: every check the project runs, in order, with a summary table.

use crate::layout;
use crate::run::{self, TestCounts};
use crate::tools::{self, CROSS};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub const HOST: &str = "x86_64-unknown-linux-gnu";

/// The steps, in the order they run.
pub const STEPS: &[&str] = &[
    "layout", "fmt", "clippy", "doc", "test", "cross", "release", "check", "miri", "loom", "bench",
];

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

/// Crates with loom models (internal tests named `loom…`, built with `--cfg loom`).
const LOOM: &[&str] = &["syscall-accounting", "callback"];

const STEP_LIMIT: Duration = Duration::from_secs(25 * 60);

pub struct Options {
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
    let mut ci = Ci {
        root: crate::root(),
        rows: Vec::new(),
    };
    let wanted_step = |s: &str| {
        (opts.only.is_empty() || opts.only.iter().any(|o| o == s))
            && !opts.skip.iter().any(|k| k == s)
    };
    let wanted_target = |t: &str| opts.targets.is_empty() || opts.targets.iter().any(|o| o == t);
    let total = Instant::now();
    for &step in STEPS {
        if !wanted_step(step) {
            continue;
        }
        let targets: Vec<&str> = match step {
            "cross" => CROSS.iter().map(|c| c.triple).collect(),
            "release" => std::iter::once(HOST)
                .chain(CROSS.iter().map(|c| c.triple))
                .collect(),
            "check" => FOREIGN.to_vec(),
            _ => vec![HOST],
        };
        for t in targets.into_iter().filter(|t| wanted_target(t)) {
            println!("\n==> {step} [{t}]");
            let start = Instant::now();
            let mut tests = TestCounts::default();
            let result = ci.step(step, t, &mut tests);
            if let Err(e) = &result {
                eprintln!("xtask: step {step} [{t}] FAILED: {e}");
            }
            ci.rows.push(Row {
                step,
                target: t.to_string(),
                result,
                seconds: start.elapsed().as_secs_f64(),
                tests,
            });
        }
    }
    ci.summary(total.elapsed())
}

impl Ci {
    fn cargo(&self) -> Command {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&self.root).env_remove("CGO_RS_RUNNER");
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
                let mut cmd = tools::nightly_cargo();
                cmd.current_dir(&self.root).args(["miri", "test"]);
                for k in MIRI {
                    cmd.args(["-p", k]);
                }
                self.exec(&mut cmd, tests)?;
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
                        .env("CARGO_TARGET_DIR", self.root.join("target/loom"));
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

    fn exec(&self, cmd: &mut Command, tests: &mut TestCounts) -> Result<String, String> {
        let out = run::run(cmd, STEP_LIMIT, false)?;
        tests.add(out.tests);
        if out.timed_out {
            Err(format!(
                "timed out after {} s, {}",
                STEP_LIMIT.as_secs(),
                out.running.describe()
            ))
        } else if out.success {
            Ok(String::new())
        } else {
            Err(format!("`{}` failed", run::describe(cmd)))
        }
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

/// A test step that ran no test is a failure, not a pass.
fn nonzero(tests: &TestCounts) -> Result<String, String> {
    if tests.passed == 0 {
        Err("no test was executed".into())
    } else {
        Ok(String::new())
    }
}
