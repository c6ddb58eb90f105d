//! The cgo-like build flow end to end: `examples/cgo/preamble.c` carries `#cgo`
//! lines; `facade/build.rs` resolves them with `facade::build` (directives), compiles
//! the preamble with the flags they give (`-DPREAMBLE_SCALE=3`), links `-lm`, and
//! writes `$OUT_DIR/cgo_functions.rs`; `c_functions!` with `#![preamble(cgo)]` takes
//! the preamble's `noescape`/`nocallback` marks for each declaration.
//!
//! Run: `cargo run -p facade --example cgo`.

use std::ffi::c_void;

/// The functions file written by the build script.
#[allow(dead_code)]
mod cgo {
    include!(concat!(env!("OUT_DIR"), "/cgo_functions.rs"));
}

facade::c_functions! {
    #![preamble(cgo)]
    #![link(name = "facade_preamble", kind = "static")]
    /// `x * PREAMBLE_SCALE`: nocallback from the preamble.
    fn preamble_scale(x: i64) -> i64;
    /// Noescape and nocallback, both from the preamble (repeated here: allowed).
    #[noescape] fn preamble_sum(p: *const u8, n: usize) -> u64;
    /// From libm, linked by the preamble's LDFLAGS.
    fn preamble_hypot(a: f64, b: f64) -> f64;
    /// Calls back into Rust.
    fn preamble_apply(f: *const c_void, x: i64) -> i64;
}

facade::export! {
    /// Called back by `preamble_apply`.
    fn cgo_example_negate(x: i64) -> i64 {
        -x
    }
}

fn main() -> std::io::Result<()> {
    println!(
        "preamble marks: noescape {:?}, nocallback {:?}",
        cgo::NOESCAPE,
        cgo::NOCALLBACK
    );
    let rt = facade::Runtime::builder().processors(2).build()?;
    let (scaled, sum, h, neg) = rt.block_on(|| {
        let bytes = [1u8, 2, 3, 4];
        // SAFETY: pure arithmetic; `bytes` holds 4 bytes; hypot has no preconditions;
        // `cgo_example_negate` has the callback signature.
        unsafe {
            (
                preamble_scale(14),
                preamble_sum(bytes.as_ptr(), bytes.len()),
                preamble_hypot(3.0, 4.0),
                preamble_apply(cgo_example_negate as *const c_void, 5),
            )
        }
    });
    println!("preamble_scale(14) = {scaled} (PREAMBLE_SCALE came from #cgo CFLAGS)");
    println!("preamble_sum([1, 2, 3, 4]) = {sum}");
    println!("preamble_hypot(3, 4) = {h} (libm from #cgo LDFLAGS)");
    println!("preamble_apply(negate, 5) = {neg} (a callback through export!)");
    assert_eq!((scaled, sum, h, neg), (42, 10, 5.0, -5));
    Ok(())
}
