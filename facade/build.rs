//! Compiles the C code used by the tests, benches and examples into static
//! libraries in `OUT_DIR` (linked by `#[link(name = ..., kind = "static")]`).

fn main() {
    println!("cargo:rerun-if-changed=tests/c");
    println!("cargo:rerun-if-changed=examples/c");
    preamble_example();
    // The C test programs are Linux-only (they use POSIX timing and are run under
    // qemu-user for the other architectures); other targets only compile-check.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    cc::Build::new()
        .file("tests/c/facade_tests.c")
        .opt_level(2)
        .cargo_metadata(false)
        .compile("facade_tests");
    // Unwind tables: a Rust panic in a callback may propagate through these frames
    // (`PanicPolicy::Propagate`).
    cc::Build::new()
        .file("tests/c/facade_callbacks.c")
        .flag("-funwind-tables")
        .flag("-fexceptions")
        .opt_level(2)
        .cargo_metadata(false)
        .compile("facade_callbacks");
    cc::Build::new()
        .file("examples/c/tour.c")
        .flag("-funwind-tables")
        .opt_level(2)
        .cargo_metadata(false)
        .compile("facade_tour");
    println!("cargo:rustc-link-search=native={out}");
}

/// The cgo-like build flow for `examples/cgo.rs`, exactly as a user's build script
/// does it with `facade::build` (= `directives::build`): resolve the preamble's
/// `#cgo` lines (a `noescape`/`nocallback` naming a function the preamble lacks
/// fails here, naming it), compile it with the resolved flags, print the link lines,
/// and write the functions file `c_functions!` checks its attributes against.
fn preamble_example() {
    let plan = directives::build::CgoBuild::new()
        .file("examples/cgo/preamble.c")
        .resolve()
        .unwrap_or_else(|e| panic!("examples/cgo/preamble.c: {e}"));
    let out = plan.out_dir().expect("cargo sets OUT_DIR");
    plan.write_functions_file(&out.join("cgo_functions.rs"))
        .expect("writing cgo_functions.rs");
    // Linux only, like the other C code here; elsewhere the example only type-checks.
    // Linked into the example and the tests that use it, not into facade's library
    // (a user's build script would usually link into its whole package instead).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        use directives::build::LinkTarget;
        plan.compile_for(
            "facade_preamble",
            &[LinkTarget::Examples, LinkTarget::Tests],
        )
        .unwrap_or_else(|e| panic!("compiling examples/cgo/preamble.c: {e}"));
    }
}
