//! Minimal à-la-carte use of `stackswitch` on its own.

fn main() {
    println!("{} {}", "stackswitch", env!("CARGO_PKG_VERSION"));
}
