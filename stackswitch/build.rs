//! Compiles the C test programs in `tests/c` into a static library that the
//! integration tests link with `#[link(name = "stackswitch_ctests", kind = "static")]`.

fn main() {
    println!("cargo:rerun-if-changed=tests/c");
    // The C test programs use glibc's pthread_getattr_np and makecontext; they
    // are Linux-only, like the tests that call them.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir("tests/c")
        .expect("tests/c exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    files.sort();
    cc::Build::new()
        .files(&files)
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-fno-omit-frame-pointer")
        .cargo_metadata(false)
        .compile("stackswitch_ctests");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rustc-link-search=native={out}");
}
