//! Compiles the C code used by the tests, benches and examples into static
//! libraries in `OUT_DIR` (linked by `#[link(name = ..., kind = "static")]`).

fn main() {
    println!("cargo:rerun-if-changed=tests/c");
    println!("cargo:rerun-if-changed=examples/c");
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
        .opt_level(2)
        .cargo_metadata(false)
        .compile("facade_tour");
    println!("cargo:rustc-link-search=native={out}");
}
