//! `#cgo pkg-config:` resolved through the `pkg-config` crate (Debian's zlib1g-dev on the
//! host), with its output checked like `#cgo` flags.

use directives::pkgconfig::run_pkg_config;
use directives::{Context, Env, ErrorKind, Preamble, ResolveOptions};

fn resolve(text: &str) -> directives::Resolved {
    let mut o = ResolveOptions::new(Context::for_go("linux", "amd64"));
    o.env = Env::from_pairs::<_, String, String>([]);
    Preamble::parse("p.h", text).resolve(&o).expect("resolves")
}

#[test]
#[cfg_attr(miri, ignore = "runs pkg-config")]
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    ignore = "zlib's .pc file is installed for the host only"
)]
fn zlib_resolves_to_checked_flags() {
    let r = resolve("#cgo pkg-config: zlib\n");
    let f = run_pkg_config(&r, &Env::from_pairs::<_, String, String>([])).expect("pkg-config zlib");
    assert!(f.ldflags.iter().any(|l| l == "-lz"), "{f:?}");
    // The output goes through the linker check: a DISALLOW for -lz refuses it.
    let e = run_pkg_config(&r, &Env::from_pairs([("CGO_LDFLAGS_DISALLOW", "-lz")])).unwrap_err();
    assert!(
        e.to_string()
            .contains("invalid flag in pkg-config --libs: -lz"),
        "{e}"
    );
}

#[test]
#[cfg_attr(miri, ignore = "runs pkg-config")]
fn missing_package_points_at_its_line() {
    let r = resolve("int x;\n#cgo pkg-config: --static no-such-package-cgo-rs\n");
    let e = run_pkg_config(&r, &Env::from_pairs::<_, String, String>([])).unwrap_err();
    let d = &e.0[0];
    assert_eq!(d.kind, ErrorKind::PkgConfig);
    let loc = d.location.as_ref().expect("location");
    assert_eq!((loc.line, loc.column), (2, 27));
    assert!(
        d.message.starts_with("pkg-config no-such-package-cgo-rs: "),
        "{}",
        d.message
    );
}

#[test]
fn no_packages_runs_nothing() {
    let r = resolve("#cgo CFLAGS: -O2\n");
    assert_eq!(
        run_pkg_config(&r, &Env::Process).unwrap(),
        Default::default()
    );
}
