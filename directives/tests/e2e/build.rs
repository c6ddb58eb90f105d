//! Resolves `src/preamble.c`'s `#cgo` lines for the target, compiles it, links `-lm` and
//! pkg-config's zlib, and writes the annotated-functions file.

fn main() {
    let plan = directives::build::CgoBuild::new()
        .file("src/preamble.c")
        .resolve()
        .unwrap_or_else(|e| panic!("#cgo directives:\n{e}"));
    assert!(plan.pkg_config.ldflags.iter().any(|f| f == "-lz"), "{:?}", plan.pkg_config);
    plan.compile("e2e_preamble").unwrap_or_else(|e| panic!("compiling the preamble: {e}"));
    let out = plan.out_dir().expect("OUT_DIR");
    plan.write_functions_file(&out.join("cgo_functions.rs")).expect("write functions file");
}
