//! Minimal à-la-carte use of `ptrcheck` on its own.

fn main() {
    println!("{} {}", "ptrcheck", env!("CARGO_PKG_VERSION"));
}
