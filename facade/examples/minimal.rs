//! Minimal à-la-carte use of `facade` on its own.

fn main() {
    println!("{} {}", "facade", env!("CARGO_PKG_VERSION"));
}
