//! Minimal à-la-carte use of `callback` on its own.

fn main() {
    println!("{} {}", "callback", env!("CARGO_PKG_VERSION"));
}
