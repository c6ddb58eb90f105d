//! `cgo-directives`: check flags and resolve `#cgo` preambles from the command line.
//!
//! ```text
//! cgo-directives check-flags VAR ARG...
//!     VAR is CFLAGS, CPPFLAGS, CXXFLAGS, FFLAGS or LDFLAGS (LDFLAGS uses the linker lists,
//!     the others the compiler lists); CGO_<VAR>_ALLOW / CGO_<VAR>_DISALLOW are honoured.
//!     Prints `ok` and exits 0, or prints every refused flag and exits 1.
//!
//! cgo-directives resolve [--target TRIPLE | --goos OS --goarch ARCH] [--tags a,b] [--srcdir DIR] FILE
//!     Prints one JSON object with the keys cflags, cppflags, cxxflags, fflags, ldflags,
//!     pkg_config, noescape, nocallback and exits 0, or prints every error and exits 1.
//!     Default target: the host. Default srcdir: the directory containing FILE.
//!     pkg-config is not run (its packages are listed under "pkg_config").
//! ```
//!
//! Errors go to standard error; every failure (including usage errors) exits with status 1.

use std::path::Path;
use std::process::ExitCode;

use directives::constraint::Context;
use directives::flags::{FlagClass, check_flags_all};
use directives::{Env, Preamble, ResolveOptions, Verb};

const USAGE: &str = "usage:\n  cgo-directives check-flags VAR ARG...\n  cgo-directives resolve [--target TRIPLE | --goos OS --goarch ARCH] [--tags a,b] [--srcdir DIR] FILE";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("check-flags") => check_flags(&args[1..]),
        Some("resolve") => resolve(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!(
            "cgo-directives: unknown command {other:?}\n{USAGE}"
        )),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn check_flags(args: &[String]) -> Result<String, String> {
    let Some(var) = args.first() else {
        return Err(format!("cgo-directives check-flags: missing VAR\n{USAGE}"));
    };
    let verb = Verb::from_name(var).filter(|v| *v != Verb::PkgConfig).ok_or_else(|| {
        format!("cgo-directives check-flags: unknown variable {var:?}: want CFLAGS, CPPFLAGS, CXXFLAGS, FFLAGS or LDFLAGS")
    })?;
    let overrides = Env::Process.overrides(var).map_err(|e| e.to_string())?;
    let class = if verb == Verb::LdFlags {
        FlagClass::Linker
    } else {
        FlagClass::Compiler
    };
    let errors = check_flags_all(class, &format!("#cgo {var}"), &args[1..], &overrides);
    if errors.is_empty() {
        Ok("ok".to_owned())
    } else {
        Err(errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

fn host_context() -> Context {
    Context::for_rust(
        std::env::consts::OS,
        std::env::consts::ARCH,
        cfg!(target_endian = "little"),
    )
}

fn resolve(args: &[String]) -> Result<String, String> {
    let mut target = None;
    let mut goos = None;
    let mut goarch = None;
    let mut tags: Vec<String> = Vec::new();
    let mut srcdir = None;
    let mut file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("cgo-directives resolve: {name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--target" => target = Some(value("--target")?),
            "--goos" => goos = Some(value("--goos")?),
            "--goarch" => goarch = Some(value("--goarch")?),
            "--tags" => {
                tags.extend(
                    value("--tags")?
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                );
            }
            "--srcdir" => srcdir = Some(value("--srcdir")?),
            f if f.starts_with("--") => {
                return Err(format!(
                    "cgo-directives resolve: unknown option {f}\n{USAGE}"
                ));
            }
            f => {
                if file.replace(f.to_owned()).is_some() {
                    return Err(format!(
                        "cgo-directives resolve: more than one FILE\n{USAGE}"
                    ));
                }
            }
        }
    }
    let file = file.ok_or_else(|| format!("cgo-directives resolve: missing FILE\n{USAGE}"))?;
    let context = match (target, goos, goarch) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(format!(
                "cgo-directives resolve: use either --target or --goos/--goarch\n{USAGE}"
            ));
        }
        (Some(t), None, None) => Context::for_target(&t)
            .ok_or_else(|| format!("cgo-directives resolve: unrecognised target triple {t:?}"))?,
        (None, None, None) => host_context(),
        (None, os, arch) => {
            let host = host_context();
            Context::for_go(&os.unwrap_or(host.goos), &arch.unwrap_or(host.goarch))
        }
    };
    let bytes =
        std::fs::read(&file).map_err(|e| format!("cgo-directives resolve: reading {file}: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let srcdir = match srcdir {
        Some(d) => d,
        None => {
            let p = Path::new(&file);
            let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            abs.parent()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        }
    };
    let mut options = ResolveOptions::new(context.with_tags(tags));
    options.srcdir = srcdir;
    let preamble = Preamble::parse(&file, &text);
    preamble
        .resolve(&options)
        .map(|r| r.to_json())
        .map_err(|e| e.to_string())
}
