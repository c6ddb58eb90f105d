//! Minimal à-la-carte use of `callback` on its own: register a runtime, then let a
//! foreign thread (here a plain Rust thread standing in for a C thread) call an exported
//! function; it attaches a context on its first call and keeps it until it exits.

use callback::{ThreadsOnly, callback, spare_stats, with_current};

static RT: ThreadsOnly = ThreadsOnly;

/// What C would call.
extern "C" fn square(x: i32) -> i32 {
    callback("square", || x * x)
}

fn main() {
    callback::init(&RT).expect("first init");
    let t = std::thread::spawn(|| {
        let a = square(3);
        let b = square(4);
        let id = with_current(|m| m.map(|m| m.id()));
        (a + b, id)
    });
    let (sum, id) = t.join().expect("thread");
    println!(
        "callback {}: 3² + 4² = {sum} on context {id:?}; spares now {:?}",
        env!("CARGO_PKG_VERSION"),
        spare_stats()
    );
}
