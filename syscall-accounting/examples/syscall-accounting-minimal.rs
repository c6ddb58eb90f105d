//! Minimal à-la-carte use of `syscall-accounting` on its own.

fn main() {
    println!("{} {}", "syscall-accounting", env!("CARGO_PKG_VERSION"));
}
