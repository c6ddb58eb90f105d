//! `cargo xtask bench-ab`: does a change make a benchmark faster, measured so that
//! code placement and the host's run-to-run spread cannot decide the answer.
//!
//! ```text
//! cargo xtask bench-ab BASE PACKAGE:BENCH FILTER [--builds N] [--rounds R] [--per ID]
//! ```
//!
//! On the machines we measure on, two builds of the same source differ by up to 20%
//! on a 15 ns call just from where the linker put the functions, and one binary's
//! medians move by ±15% from run to run. Comparing one binary of each side therefore
//! shows changes that are not there, and hides small ones that are. This command:
//! - builds the bench of each side (git revision `BASE`, and the working tree) `N`
//!   times, each with the input sections linked in a different order (`ld.lld
//!   --shuffle-sections=*=SEED`, seeds 1..=N), so the placement varies within each
//!   side instead of between the sides;
//! - runs all `2N` binaries `R` times each, interleaved in a fresh random order per
//!   round, each run with criterion's filter `FILTER` (short warm-up and measurement);
//! - reports per benchmark id and side the median over all runs, the medians of the
//!   builds (their spread is the placement effect), the change of the medians, and
//!   a Mann-Whitney U test's two-sided p-value of "the two sides' builds come from
//!   the same distribution", on the builds' medians: the runs of one build share its
//!   placement, so they are not independent samples, and a test over runs finds
//!   "changes" in code that did not change (seen: -5.7%, p = 0.008 over 12 runs per
//!   side, for the peer crate's unchanged round trip). With 5 builds per side the
//!   smallest possible p is 0.008 (every build of one side faster than every build
//!   of the other); with 4 it is 0.03;
//! - with `--per ID`, also each other id divided by `ID` in the same run (a ratio to
//!   a peer, e.g. `context_switch/corosensei`), compared the same way.
//!
//! Each id is tested on its own: with several ids, about one in twenty falls under
//! p = 0.05 by chance (seen once: −18.5%, p = 0.047, for a benchmark whose code the
//! change did not touch). An A/A run (the same source on both sides) found nothing
//! (p = 0.92 and 0.75 for the two ids compared).
//!
//! The base is exported with `git archive` into `target/bench-ab/base` and built in
//! its own target directory; binaries go to `target/bench-ab/bin`. Needs `ld.lld`
//! (Debian's `lld`, installed when running as root).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bench_go::median;
use crate::json::{self, Json};
use crate::{run, tools};

const USAGE: &str =
    "usage: cargo xtask bench-ab BASE PACKAGE:BENCH FILTER [--builds N] [--rounds R] [--per ID]
  BASE: a git revision (the other side is the working tree); FILTER: criterion's regex;
  --builds: link orders per side (default 5); --rounds: runs of each build (default 3);
  --per ID: also compare every other id divided by ID in the same run";

#[derive(Debug, PartialEq)]
struct Options {
    base: String,
    package: String,
    bench: String,
    filter: String,
    builds: u32,
    rounds: u32,
    per: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut positional = Vec::new();
    let (mut builds, mut rounds, mut per) = (5, 3, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--builds" => builds = count(&value("--builds")?, "--builds")?,
            "--rounds" => rounds = count(&value("--rounds")?, "--rounds")?,
            "--per" => per = Some(value("--per")?),
            flag if flag.starts_with("--") => return Err(format!("unknown argument `{flag}`")),
            _ => positional.push(a.clone()),
        }
    }
    let [base, target, filter] = <[String; 3]>::try_from(positional).map_err(|p| {
        format!(
            "expected BASE PACKAGE:BENCH FILTER, got {} positional argument(s)",
            p.len()
        )
    })?;
    let (package, bench) = target
        .split_once(':')
        .filter(|(p, b)| !p.is_empty() && !b.is_empty())
        .ok_or(format!(
            "`{target}` is not PACKAGE:BENCH (e.g. facade:calls)"
        ))?;
    Ok(Options {
        base,
        package: package.to_string(),
        bench: bench.to_string(),
        filter,
        builds,
        rounds,
        per,
    })
}

fn count(s: &str, flag: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{flag} takes a whole number of at least 1, not `{s}`"
        )),
    }
}

pub fn main(args: &[String]) -> bool {
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask: {e}\n{USAGE}");
            return false;
        }
    };
    match compare(&opts) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("xtask bench-ab: {e}");
            false
        }
    }
}

/// One side of the comparison.
struct Side {
    name: &'static str,
    /// Its source tree (the workspace root of that side).
    src: PathBuf,
    /// `CARGO_TARGET_DIR` for its builds; `None`: cargo's default for the tree.
    target_dir: Option<PathBuf>,
}

fn compare(opts: &Options) -> Result<(), String> {
    let root = crate::root();
    if run::output(Command::new("ld.lld").arg("--version")).is_none() {
        tools::ensure_apt(&["lld"])?;
    }
    let work = root.join("target/bench-ab");
    let base_src = work.join("base");
    export_revision(&root, &opts.base, &base_src)?;
    let sides = [
        Side {
            name: "base",
            src: base_src,
            target_dir: Some(work.join("base-target")),
        },
        Side {
            name: "head",
            src: root.clone(),
            target_dir: None,
        },
    ];
    let bin_dir = work.join("bin");
    std::fs::create_dir_all(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
    // (side index, binary)
    let mut binaries = Vec::new();
    for (i, side) in sides.iter().enumerate() {
        for seed in 1..=opts.builds {
            let exe = build(side, opts, seed)?;
            let copy = bin_dir.join(format!("{}-{}-{seed}", opts.bench, side.name));
            std::fs::copy(&exe, &copy).map_err(|e| format!("copy {}: {e}", exe.display()))?;
            println!(
                "xtask bench-ab: {} build {seed}: {}",
                side.name,
                copy.display()
            );
            binaries.push((i, copy));
        }
    }
    // samples[id][side] = one value per run, with the build it came from.
    let mut samples: BTreeMap<String, [Vec<(usize, f64)>; 2]> = BTreeMap::new();
    let mut rng = Rng::from_time();
    let home = work.join("criterion");
    for round in 1..=opts.rounds {
        let mut order: Vec<usize> = (0..binaries.len()).collect();
        rng.shuffle(&mut order);
        for b in order {
            let (side, bin) = &binaries[b];
            let values = run_once(
                bin,
                &sides[*side].src.join(&opts.package),
                &opts.filter,
                &home,
            )?;
            if values.is_empty() {
                return Err(format!(
                    "{} ran no benchmark matching `{}`",
                    bin.display(),
                    opts.filter
                ));
            }
            let per = opts.per.as_ref().and_then(|p| values.get(p).copied());
            if let (Some(p), None) = (&opts.per, per) {
                return Err(format!(
                    "--per {p}: no such benchmark in the run (ids: {:?})",
                    values.keys().collect::<Vec<_>>()
                ));
            }
            for (id, v) in &values {
                samples.entry(id.clone()).or_default()[*side].push((b, *v));
                if let (Some(p), Some(d)) = (&opts.per, per)
                    && id != p
                {
                    samples.entry(format!("{id} / {p}")).or_default()[*side].push((b, v / d));
                }
            }
        }
        println!("xtask bench-ab: round {round} of {} done", opts.rounds);
    }
    println!(
        "\n{} builds per side (shuffled link order), {} runs of each; base = {}, head = working tree",
        opts.builds, opts.rounds, opts.base
    );
    for (id, [base, head]) in &samples {
        print!("{}", report(id, base, head));
    }
    Ok(())
}

/// Writes the tree of git revision `rev` to `dest` (replacing what was there), next
/// to a link to the workspace's `../shared` when there is one.
fn export_revision(root: &Path, rev: &str, dest: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dest);
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let archive = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["archive", "--format=tar", rev])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git archive: {e}"))?;
    let untar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dest)
        .stdin(archive.stdout.ok_or("git archive: no stdout")?)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !untar.success() {
        return Err(format!(
            "could not export revision `{rev}` (is it a git revision of this repository?)"
        ));
    }
    // Build scripts and tests may read `../shared` next to the workspace.
    let shared = root.join("../shared");
    if shared.is_dir() {
        let link = dest.parent().expect("dest has a parent").join("shared");
        if !link.exists() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(&shared, &link)
                .map_err(|e| format!("{}: {e}", link.display()))?;
        }
    }
    Ok(())
}

/// Builds the bench of `side` with link order `seed`; returns the executable.
fn build(side: &Side, opts: &Options, seed: u32) -> Result<PathBuf, String> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&side.src)
        .args([
            "rustc",
            "--profile",
            "bench",
            "-p",
            &opts.package,
            "--bench",
            &opts.bench,
        ])
        .args(["--message-format=json", "--", "-C", "link-arg=-fuse-ld=lld"])
        .arg(format!("-Clink-arg=-Wl,--shuffle-sections=*={seed}"))
        .stderr(Stdio::inherit());
    if let Some(dir) = &side.target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", run::describe(&cmd)))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "the {} build {seed} failed: {}",
            side.name,
            run::describe(&cmd)
        ));
    }
    text.lines()
        .rev()
        .find_map(|l| bench_executable(l, &opts.bench))
        .ok_or(format!(
            "the {} build {seed} named no executable for bench `{}`",
            side.name, opts.bench
        ))
}

/// The executable of bench target `bench` in one line of cargo's JSON messages.
fn bench_executable(line: &str, bench: &str) -> Option<PathBuf> {
    let v = json::parse(line).ok()?;
    let target = v.get("target")?;
    let is_bench = target
        .get("kind")?
        .as_array()
        .iter()
        .any(|k| k.as_str() == Some("bench"));
    if !is_bench || target.get("name")?.as_str()? != bench {
        return None;
    }
    Some(PathBuf::from(v.get("executable")?.as_str()?))
}

/// Runs one binary once; returns criterion's median estimate (ns) per benchmark id.
fn run_once(
    bin: &Path,
    cwd: &Path,
    filter: &str,
    home: &Path,
) -> Result<BTreeMap<String, f64>, String> {
    let _ = std::fs::remove_dir_all(home);
    let mut cmd = Command::new(bin);
    cmd.args([
        "--bench",
        "--warm-up-time",
        "0.5",
        "--measurement-time",
        "1",
        filter,
    ])
    .env("CRITERION_HOME", home);
    if cwd.is_dir() {
        cmd.current_dir(cwd);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            run::describe(&cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut found = BTreeMap::new();
    collect_estimates(home, home, &mut found);
    Ok(found)
}

/// Every `<id>/new/estimates.json` under `dir`: id (relative path) → median, ns.
fn collect_estimates(home: &Path, dir: &Path, found: &mut BTreeMap<String, f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if !p.is_dir() {
            continue;
        }
        let est = p.join("new/estimates.json");
        if let Some(median) = std::fs::read_to_string(&est)
            .ok()
            .and_then(|t| median_of(&t))
        {
            if let Ok(rel) = p.strip_prefix(home) {
                found.insert(rel.to_string_lossy().into_owned(), median);
            }
        } else if p.file_name().is_some_and(|n| n != "report") {
            collect_estimates(home, &p, found);
        }
    }
}

/// The median point estimate in criterion's `estimates.json`.
fn median_of(text: &str) -> Option<f64> {
    match json::parse(text)
        .ok()?
        .get("median")?
        .get("point_estimate")?
    {
        Json::Number(n) => Some(*n),
        _ => None,
    }
}

/// The lines reported for one id.
fn report(id: &str, base: &[(usize, f64)], head: &[(usize, f64)]) -> String {
    let side = |name: &str, s: &[(usize, f64)]| {
        let all: Vec<f64> = s.iter().map(|x| x.1).collect();
        let per = build_medians(s);
        let line = format!(
            "  {name}  median {:>9.3}  ({} runs; medians of the builds: {})\n",
            median(&all).unwrap_or(f64::NAN),
            all.len(),
            per.iter()
                .map(|m| format!("{m:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        (all, per, line)
    };
    let (a, a_builds, a_line) = side("base", base);
    let (b, b_builds, b_line) = side("head", head);
    let verdict = match (median(&a), median(&b), mann_whitney_p(&a_builds, &b_builds)) {
        (Some(ma), Some(mb), Some(p)) => format!(
            "  change {:+.1}%  (p = {p:.3}{})\n",
            (mb / ma - 1.0) * 100.0,
            if p < 0.05 {
                ""
            } else {
                ": not shown apart from the builds' spread"
            }
        ),
        _ => "  change: fewer than 3 builds on a side, no test\n".to_string(),
    };
    format!("{id}\n{a_line}{b_line}{verdict}")
}

/// The median of each build's runs (samples are `(build, value)`), in build order.
fn build_medians(samples: &[(usize, f64)]) -> Vec<f64> {
    let mut builds: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for (b, v) in samples {
        builds.entry(*b).or_default().push(*v);
    }
    builds.values().filter_map(|v| median(v)).collect()
}

/// Two-sided p-value of the Mann-Whitney U test (normal approximation with tie
/// correction): the chance of a rank difference at least this large if both
/// samples came from one distribution. `None` with fewer than 3 values on a side.
fn mann_whitney_p(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.len() < 3 || b.len() < 3 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    // Average ranks over ties; the tie term for the variance.
    let (mut r1, mut ties, mut i) = (0.0, 0.0, 0);
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        r1 += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let u = r1 - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if var <= 0.0 {
        return Some(1.0);
    }
    let z = (u - n1 * n2 / 2.0).abs() / var.sqrt();
    Some((2.0 * (1.0 - normal_cdf(z))).clamp(0.0, 1.0))
}

/// The standard normal distribution function (Abramowitz and Stegun 26.2.17,
/// absolute error below 7.5e-8).
fn normal_cdf(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.231_641_9 * z.abs());
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let tail = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly;
    if z >= 0.0 { 1.0 - tail } else { tail }
}

/// xorshift64*: enough to shuffle run orders (std has no random numbers).
struct Rng(u64);

impl Rng {
    fn from_time() -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng(t | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Fisher-Yates.
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_arguments() {
        let o = parse_args(&args(
            "HEAD~1 facade:calls calls/facade --rounds 3 --per calls/direct_call",
        ))
        .unwrap();
        assert_eq!(
            o,
            Options {
                base: "HEAD~1".into(),
                package: "facade".into(),
                bench: "calls".into(),
                filter: "calls/facade".into(),
                builds: 5,
                rounds: 3,
                per: Some("calls/direct_call".into()),
            }
        );
        for (line, error) in [
            ("HEAD facade calls", "PACKAGE:BENCH"),
            ("HEAD facade:calls", "2 positional"),
            ("HEAD facade:calls x --builds 0", "at least 1"),
            ("HEAD facade:calls x --rounds", "needs a value"),
            ("HEAD facade:calls x --fast", "unknown argument"),
        ] {
            let e = parse_args(&args(line)).unwrap_err();
            assert!(e.contains(error), "{line}: {e}");
        }
    }

    #[test]
    fn finds_the_bench_executable_in_cargo_messages() {
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"facade"},"executable":null}"#;
        let bench = r#"{"reason":"compiler-artifact","target":{"kind":["bench"],"name":"calls"},"executable":"/t/release/deps/calls-1"}"#;
        let other = r#"{"reason":"compiler-artifact","target":{"kind":["bench"],"name":"callbacks"},"executable":"/t/x"}"#;
        assert_eq!(bench_executable(lib, "calls"), None);
        assert_eq!(bench_executable(other, "calls"), None);
        assert_eq!(bench_executable("not json", "calls"), None);
        assert_eq!(
            bench_executable(bench, "calls"),
            Some(PathBuf::from("/t/release/deps/calls-1"))
        );
    }

    #[test]
    fn reads_criterion_estimates_by_id() {
        let home = std::env::temp_dir().join(format!("xtask-bench-ab-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let est = |id: &str, m: f64| {
            let d = home.join(id).join("new");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("estimates.json"),
                format!(
                    r#"{{"mean":{{"point_estimate":99.0}},"median":{{"point_estimate":{m}}}}}"#
                ),
            )
            .unwrap();
        };
        est("calls/direct_call", 2.5);
        est("calls/facade_call", 15.25);
        std::fs::create_dir_all(home.join("calls/report")).unwrap();
        let mut found = BTreeMap::new();
        collect_estimates(&home, &home, &mut found);
        let _ = std::fs::remove_dir_all(&home);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found["calls/direct_call"], 2.5);
        assert_eq!(found["calls/facade_call"], 15.25);
    }

    #[test]
    fn mann_whitney_separates_shifted_samples_only() {
        let a = [10.0, 10.4, 9.8, 10.1, 10.3, 9.9, 10.2, 10.0];
        let shifted: Vec<f64> = a.iter().map(|x| x + 1.0).collect();
        let mixed = [10.05, 10.15, 9.95, 10.25, 10.1, 9.85, 10.35, 10.0];
        assert!(mann_whitney_p(&a, &shifted).unwrap() < 0.001);
        assert!(mann_whitney_p(&a, &mixed).unwrap() > 0.3);
        // Identical samples: no evidence at all.
        assert!((mann_whitney_p(&a, &a).unwrap() - 1.0).abs() < 1e-6);
        assert_eq!(mann_whitney_p(&a[..2], &a), None);
        // Builds are the unit: two builds' runs, medians 1.5 and 3.5.
        assert_eq!(
            build_medians(&[(0, 1.0), (1, 3.0), (0, 2.0), (1, 4.0)]),
            vec![1.5, 3.5]
        );
        // Known value: U = 0 for 5 vs 5 fully separated, z = 2.611, p = 0.0090.
        let p = mann_whitney_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert!((p - 0.0090).abs() < 0.0005, "{p}");
    }

    #[test]
    fn normal_cdf_matches_tables() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }

    #[test]
    fn shuffles_are_permutations() {
        let mut r = Rng(42);
        let mut v: Vec<u32> = (0..20).collect();
        r.shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..20).collect::<Vec<_>>());
        assert_ne!(v, s, "a shuffle of 20 moved something");
    }
}
