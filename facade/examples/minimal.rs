//! The smallest real use of the facade: a runtime, green threads that call a C
//! function through `c_functions!`, a channel, and the counters.
//!
//! `cargo run -p facade --example minimal`

use std::ffi::c_long;

facade::c_functions! {
    /// `labs` from the C library (linked into every Rust program already).
    #[nocallback] #[noescape] fn labs(x: c_long) -> c_long;
}

fn main() -> std::io::Result<()> {
    let rt = facade::Runtime::builder().processors(2).build()?;
    let total = rt.block_on(|| {
        let (tx, rx) = facade::channel(8);
        for i in 0..100 {
            let tx = tx.clone();
            facade::spawn(move || {
                facade::yield_now();
                // SAFETY: `labs` has no preconditions for values far from c_long::MIN.
                let v = unsafe { labs(-(i as c_long)) };
                tx.send(v).expect("the receiver outlives the senders");
            });
        }
        drop(tx);
        rx.sum::<c_long>()
    });
    println!("sum of |-i| for i in 0..100, computed in C by 100 green threads: {total}");
    let s = rt.stats();
    println!(
        "{} green threads, {} foreign calls, {} processors, {} stacks pooled",
        s.green_threads_spawned, s.foreign_calls, s.processors, s.stacks_pooled
    );
    assert_eq!(total, 4950);
    Ok(())
}
