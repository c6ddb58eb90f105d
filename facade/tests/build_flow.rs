//! The cgo-like build flow through the facade: `examples/cgo/preamble.c` is resolved,
//! compiled and linked by `build.rs` (as a user's build script does with
//! `facade::build`), and `c_functions!` with `#![preamble(...)]` takes its marks.
//! A `c_functions!` attribute the preamble contradicts is a compile error naming the
//! function: `tests/ui` is a crate that must fail to compile that way (checked here with
//! cargo, like the `compile_fail` example in `c_functions!`'s docs, which cannot check
//! the message).

use std::ffi::c_void;

mod child;

#[allow(dead_code)]
mod cgo {
    include!(concat!(env!("OUT_DIR"), "/cgo_functions.rs"));
}

facade::c_functions! {
    #![preamble(cgo)]
    #![link(name = "facade_preamble", kind = "static")]
    fn preamble_scale(x: i64) -> i64;
    fn preamble_hypot(a: f64, b: f64) -> f64;
    // No attribute here: `#cgo nocallback preamble_apply_nc` makes it nocallback.
    fn preamble_apply_nc(f: *const c_void, x: i64) -> i64;
    fn preamble_apply(f: *const c_void, x: i64) -> i64;
}

facade::export! {
    fn build_flow_twice(x: i64) -> i64 {
        2 * x
    }
}

#[test]
fn the_functions_file_lists_the_preamble_marks() {
    assert_eq!(cgo::FORMAT_VERSION, 1);
    assert_eq!(cgo::NOESCAPE, &["preamble_sum"]);
    assert_eq!(
        cgo::NOCALLBACK,
        &["preamble_apply_nc", "preamble_scale", "preamble_sum"]
    );
    assert_eq!(cgo::attributes("preamble_apply"), (false, false));
}

#[test]
fn cflags_and_ldflags_of_the_preamble_take_effect() {
    let rt = facade::Runtime::builder().processors(1).build().unwrap();
    let (s, h, a) = rt.block_on(|| {
        // SAFETY: arithmetic; libm's hypot; `build_flow_twice` has the callback signature.
        unsafe {
            (
                preamble_scale(5),
                preamble_hypot(6.0, 8.0),
                preamble_apply(build_flow_twice as *const c_void, 21),
            )
        }
    });
    assert_eq!((s, h, a), (15, 10.0, 42));
}

#[test]
fn a_nocallback_mark_from_the_preamble_is_enforced() {
    const NAME: &str = "a_nocallback_mark_from_the_preamble_is_enforced";
    if child::is_child(NAME) {
        let rt = facade::Runtime::builder().processors(1).build().unwrap();
        rt.block_on(|| {
            // SAFETY: breaks the preamble's nocallback promise on purpose.
            unsafe { preamble_apply_nc(build_flow_twice as *const c_void, 1) }
        });
        return;
    }
    let (err, ok) = child::child(NAME);
    assert!(!ok, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("function marked with #cgo nocallback called back into Go"))
        .unwrap_or_else(|| panic!("no nocallback message: {err}"));
    assert!(line.contains("`preamble_apply_nc`"), "{line}");
    assert!(line.contains("`build_flow_twice`"), "{line}");
}

#[test]
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    ignore = "spawns the host's cargo, which a cross run under qemu cannot execute"
)]
fn a_contradicting_attribute_fails_the_build_naming_the_function() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/Cargo.toml");
    let target_dir = concat!(env!("CARGO_TARGET_TMPDIR"), "/facade-ui");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        // `check`: the refusal is a compile-time evaluation; no code is generated.
        .args(["check", "--offline", "--manifest-path", manifest])
        .env("CARGO_TARGET_DIR", target_dir)
        // The outer build's settings must not leak into the inner one.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("spawn cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the contradiction compiled:\n{stderr}"
    );
    assert!(
        stderr.contains(
            "c_functions!: `sum` is declared #[nocallback] but the C preamble has no \
             `#cgo nocallback sum`; add the directive to the preamble or remove the attribute"
        ),
        "{stderr}"
    );
}
