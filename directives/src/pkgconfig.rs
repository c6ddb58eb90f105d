//! Running pkg-config for `#cgo pkg-config:` lines, through the `pkg-config` crate.
//!
//! The crate honours the variables users expect (`PKG_CONFIG`, `PKG_CONFIG_PATH`,
//! `PKG_CONFIG_LIBDIR`, `PKG_CONFIG_SYSROOT_DIR`, `PKG_CONFIG_ALLOW_CROSS`,
//! `PKG_CONFIG_ALL_STATIC`, `<LIB>_STATIC`, `<LIB>_NO_PKG_CONFIG`, target-prefixed forms...).
//! Its output is turned back into compiler and linker flags and run through the same safety
//! check as `#cgo` flags (sources `pkg-config --cflags` and `pkg-config --libs`).

use crate::diag::{Diagnostic, ErrorKind, Errors, Location};
use crate::flags::{FlagClass, check_flags_all};
use crate::parse::{Env, Resolved};

/// Flags obtained from pkg-config, already checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkgConfigFlags {
    /// Compiler flags (`-I`, `-D`).
    pub cflags: Vec<String>,
    /// Linker flags (`-L`, `-l`, `-F`, `-framework`, library files, `-Wl,...`).
    pub ldflags: Vec<String>,
}

/// Turns one library's pkg-config information back into flags, in a stable order.
fn library_flags(lib: &pkg_config::Library, out: &mut PkgConfigFlags) {
    for p in &lib.include_paths {
        out.cflags.push(format!("-I{}", p.display()));
    }
    let mut defines: Vec<_> = lib.defines.iter().collect();
    defines.sort();
    for (k, v) in defines {
        out.cflags.push(match v {
            Some(v) => format!("-D{k}={v}"),
            None => format!("-D{k}"),
        });
    }
    for p in &lib.link_paths {
        out.ldflags.push(format!("-L{}", p.display()));
    }
    for p in &lib.framework_paths {
        out.ldflags.push(format!("-F{}", p.display()));
    }
    for f in &lib.link_files {
        out.ldflags.push(f.display().to_string());
    }
    for l in &lib.libs {
        out.ldflags.push(format!("-l{l}"));
    }
    for f in &lib.frameworks {
        out.ldflags.push("-framework".to_owned());
        out.ldflags.push(f.clone());
    }
    for a in &lib.ld_args {
        out.ldflags.push(format!("-Wl,{}", a.join(",")));
    }
}

/// Runs pkg-config for every package of `resolved.pkg_config` (with its `--` options) and
/// returns the checked flags. Does nothing (and spawns nothing) when there is no package.
///
/// `--static` in the directive asks for static linking; other options are passed to pkg-config.
/// `CGO_CFLAGS_ALLOW`/`CGO_LDFLAGS_ALLOW` (and `_DISALLOW`) from `env` apply to the output.
///
/// # Errors
/// A pkg-config failure (unknown package, tool missing, cross-compilation without sysroot...)
/// pointing at the package name in its `#cgo` line, and every refused flag.
///
/// # References
/// Go `cmd/go/internal/work/exec.go`, `getPkgConfigFlags`.
pub fn run_pkg_config(resolved: &Resolved, env: &Env) -> Result<PkgConfigFlags, Errors> {
    let mut out = PkgConfigFlags::default();
    let mut errors = Vec::new();
    let options = resolved.pkg_config_options();
    let locate = |name: &str| -> Option<&(Location, String)> {
        resolved
            .pkg_config
            .iter()
            .position(|a| a == name)
            .and_then(|i| resolved.pkg_config_at.get(i))
    };
    for name in resolved.pkg_config_packages() {
        let mut cfg = pkg_config::Config::new();
        cfg.cargo_metadata(false).env_metadata(false);
        for o in &options {
            if *o == "--static" {
                cfg.statik(true);
            } else if *o == "--shared" {
                cfg.statik(false);
            } else {
                cfg.arg(o);
            }
        }
        match cfg.probe(name) {
            Ok(lib) => library_flags(&lib, &mut out),
            Err(e) => {
                let mut d =
                    Diagnostic::new(ErrorKind::PkgConfig, format!("pkg-config {name}: {e}"));
                if let Some((loc, line)) = locate(name) {
                    d = d.at(loc.clone(), line);
                }
                errors.push(d);
            }
        }
    }
    for (class, var, source, list) in [
        (
            FlagClass::Compiler,
            "CFLAGS",
            "pkg-config --cflags",
            &out.cflags,
        ),
        (
            FlagClass::Linker,
            "LDFLAGS",
            "pkg-config --libs",
            &out.ldflags,
        ),
    ] {
        match env.overrides(var) {
            Ok(ov) => {
                for e in check_flags_all(class, source, list, &ov) {
                    errors.push(Diagnostic::new(ErrorKind::InvalidFlag, e.message));
                }
            }
            Err(e) => errors.push(Diagnostic::new(ErrorKind::BadOverride, e.message)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Errors(errors))
    }
}
