//! Compiles the C test programs in `tests/c` into a static library for the integration
//! tests and benches.

fn main() {
    println!("cargo:rerun-if-changed=tests/c");
    // The C test programs use pthreads, makecontext/swapcontext and Linux stack sizes:
    // they are Linux-only, like the tests that link them.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    cc::Build::new()
        .file("tests/c/callback_tests.c")
        // Unwind tables let a propagated panic pass through the C frames (see the crate
        // docs, "Panics through C"); explicit because not every target defaults to them.
        .flag("-funwind-tables")
        // `recurse` overflows its stack on purpose (the overflow scenario).
        .flag_if_supported("-Wno-infinite-recursion")
        .opt_level(2)
        .cargo_metadata(false)
        .compile("callback_tests");
    println!("cargo:rustc-link-search=native={out}");
}
