//! A tour of what the facade provides: a green-thread runtime whose calls into C,
//! and C's calls back into Rust, behave like Go's cgo.
//!
//! `cargo run --release -p facade --example tour`
//!
//! 1. 1,000 green threads on 2 processors while one of them sits 300 ms in a
//!    blocking C call: the others all finish meanwhile; the hand-offs are counted.
//! 2. A pointer-rule violation caught before C sees it, with its message; the
//!    same call passes once the object is pinned.
//! 3. Callbacks Rust → C → Rust nested 100 deep from a green thread.
//! 4. A pthread created in C calling into Rust 100,000 times.
//! 5. A `#[nocallback]` C function calling back, refused in a child process.
//! 6. What calls and callbacks cost, in ns and as a ratio to a direct C call.
//!
//! The C functions live in `examples/c/tour.c`, compiled by the facade's
//! `build.rs` into the static library `facade_tour`; the scenarios in
//! `examples/tour/scenarios.rs` are shared with `tests/tour.rs`, which checks the
//! claims printed here.

#[path = "tour/scenarios.rs"]
mod scenarios;

/// Environment variable that makes the tour run the nocallback violation instead.
const CHILD: &str = "FACADE_TOUR_CHILD";

fn main() -> std::io::Result<()> {
    if std::env::var_os(CHILD).is_some() {
        scenarios::nocallback_violation();
        return Ok(());
    }
    println!("facade tour: a green-thread runtime calling C, and called by C, the way Go does\n");
    let b = scenarios::blocking_call(300)?;
    assert!(
        b.others_done < b.c_returned && b.stats.handoffs >= 1,
        "the others should finish while the C call blocks"
    );
    scenarios::pointer_rules()?;
    let (r, _) = scenarios::nested_callbacks(100)?;
    assert_eq!(r, 100);
    let (sum, _) = scenarios::c_thread_callbacks(100_000)?;
    assert_eq!(sum, 100_000 * 100_001 / 2);
    scenarios::nocallback_in_child(&[], (CHILD, "1"))?;
    scenarios::costs(1_000_000)?;
    println!("\ndone.");
    Ok(())
}
