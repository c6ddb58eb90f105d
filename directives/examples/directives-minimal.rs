//! Minimal à-la-carte use of `directives` on its own.

fn main() {
    println!("{} {}", "directives", env!("CARGO_PKG_VERSION"));
}
