//! A tour of what the facade provides (part 1): a green-thread runtime whose
//! calls into C behave like Go's cgo calls.
//!
//! `cargo run --release -p facade --example tour`
//!
//! 1. 1,000 green threads on 2 processors while one of them sits 300 ms in a
//!    blocking C call: the others all finish meanwhile; the hand-offs are counted.
//! 2. A pointer-rule violation caught before C sees it, with its message; the
//!    same call passes once the object is pinned.
//! 3. What a call costs: direct C call vs facade call, in ns and as a ratio.
//!
//! The C functions live in `examples/c/tour.c`, compiled by the facade's
//! `build.rs` into the static library `facade_tour`.

use std::ffi::c_int;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use facade::ptrcheck::{Object, ObjectLookup, PinCell, Pinner, PointerMap};
use facade::{Runtime, elem, spawn, yield_now};

facade::c_functions! {
    #![link(name = "facade_tour", kind = "static")]
    /// Sleeps in C; declared blocking, so its processor is handed on at once.
    #[blocking] fn tour_sleep_ms(ms: c_int) -> c_int;
    /// Plain arithmetic in C.
    fn tour_square(x: i64) -> i64;
    /// Reads `n` pointer-sized words.
    fn tour_sum_words(p: *const *const u8, n: usize) -> usize;
    /// Does nothing: the cost of the call path.
    fn tour_empty();
    #[nocallback] #[noescape] fn tour_empty_nc();
}

#[link(name = "facade_tour", kind = "static")]
unsafe extern "C-unwind" {
    #[link_name = "tour_empty"]
    fn direct_empty();
}

fn main() -> std::io::Result<()> {
    println!("facade tour (part 1): a green-thread runtime calling C the way Go does\n");
    blocking_call()?;
    pointer_rules()?;
    costs()?;
    println!("\ndone.");
    Ok(())
}

fn blocking_call() -> std::io::Result<()> {
    println!("== 1. 1,000 green threads on 2 processors; one blocks 300 ms in C ==");
    let rt = Runtime::builder().processors(2).build()?;
    let t0 = Instant::now();
    let (others_done, c_returned) = rt.block_on(move || {
        let sleeper = spawn(move || {
            // SAFETY: tour_sleep_ms only sleeps.
            let ms = unsafe { tour_sleep_ms(300) };
            (ms, t0.elapsed())
        });
        yield_now(); // let it enter C first
        println!(
            "  green thread #0 entered tour_sleep_ms(300) [#[blocking]] at {:?}",
            t0.elapsed()
        );
        let latest = Arc::new(Mutex::new(Duration::ZERO));
        let handles: Vec<_> = (1..1000i64)
            .map(|i| {
                let latest = latest.clone();
                spawn(move || {
                    let mut sum = 0;
                    for k in 0..10 {
                        // SAFETY: arithmetic only.
                        sum += unsafe { tour_square(i + k) };
                        yield_now();
                    }
                    let mut l = latest.lock().expect("no panics while held");
                    *l = (*l).max(t0.elapsed());
                    sum
                })
            })
            .collect();
        println!("  spawned 999 more green threads, each making 10 C calls and yielding");
        let total: i64 = handles
            .into_iter()
            .map(|h| h.join().expect("no panics"))
            .sum();
        let want: i64 = (1..1000i64)
            .map(|i| (0..10).map(|k| (i + k) * (i + k)).sum::<i64>())
            .sum();
        assert_eq!(total, want);
        let done = *latest.lock().expect("no panics while held");
        println!("  all 999 finished by {done:?}, results correct");
        let (ms, returned) = sleeper.join().expect("no panics");
        assert_eq!(ms, 300);
        println!("  the blocking C call returned at {returned:?}");
        (done, returned)
    });
    let s = rt.stats();
    println!(
        "  hand-offs: {} ({} by #[blocking], {} retaken by the monitor); foreign calls: {}; worker threads: {}",
        s.handoffs, s.blocking_handoffs, s.retakes, s.foreign_calls, s.worker_threads
    );
    assert!(
        others_done < c_returned,
        "the others should finish while the C call blocks"
    );
    println!("  => the other green threads kept running while one sat in C\n");
    Ok(())
}

/// A toy managed heap: 8 objects of 16 bytes whose words may all be pointers.
struct ToyHeap {
    base: NonNull<u8>,
    pins: [PinCell; 8],
}

// SAFETY: plain leaked memory; the tour uses it from one green thread at a time.
unsafe impl Send for ToyHeap {}
// SAFETY: as above.
unsafe impl Sync for ToyHeap {}

// SAFETY: (1) object i spans base+16i..base+16i+16 and contains the addresses
// mapped to it; (2) 16-byte slots of a u64 block are word-aligned; (3) the block
// is zeroed and leaked; (4) single-threaded use; (5) one cell per object.
unsafe impl ObjectLookup for ToyHeap {
    fn object(&self, addr: usize) -> Option<Object<'_>> {
        let i = addr.checked_sub(self.base.as_ptr().addr())? / 16;
        let pin = self.pins.get(i)?;
        // SAFETY: i < 8 keeps the offset inside the 128-byte block.
        let base = unsafe { self.base.add(16 * i) };
        Some(Object {
            base,
            size: 16,
            pointers: PointerMap::AllWords,
            pin,
        })
    }
}

fn pointer_rules() -> std::io::Result<()> {
    println!("== 2. The pointer-passing rules, checked before C runs ==");
    let rt = Runtime::builder().processors(1).build()?;
    let block = vec![0u64; 16].leak();
    let heap = Arc::new(ToyHeap {
        base: NonNull::from(&mut block[0]).cast(),
        pins: Default::default(),
    });
    let start = heap.base.as_ptr().addr();
    rt.checker()
        .registry()
        .add_heap(start..start + 128, heap.clone())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let object = start + 32;
    println!("  a managed heap is registered; object #2 is at {object:#x}, not pinned");
    let outcome = rt.spawn(move || {
        let words: [*const u8; 2] = [std::ptr::null(), object as *const u8];
        // SAFETY: reads two words.
        unsafe { tour_sum_words(elem(&words, 0), 2) }
    });
    // The panic message is printed by the default hook; we show it ourselves.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let err = outcome.join().expect_err("the call must be refused");
    std::panic::set_hook(hook);
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    println!("  tour_sum_words(elem(&words, 0), 2) where words[1] points at it:");
    println!("    refused: {msg}");
    let checker = rt.checker();
    let mut pinner = Pinner::new(&checker);
    pinner
        .pin(object as *const u8)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let sum = rt.block_on(move || {
        let words: [*const u8; 2] = [std::ptr::null(), object as *const u8];
        // SAFETY: reads two words.
        unsafe { tour_sum_words(elem(&words, 0), 2) }
    });
    pinner.unpin();
    assert_eq!(sum, object);
    println!("  after Pinner::pin the same call passes (C read {sum:#x})\n");
    Ok(())
}

/// Best-of-5 nanoseconds per iteration of `f`, measured on a green thread.
fn ns_per_call(rt: &Runtime, f: fn()) -> f64 {
    rt.block_on(move || {
        let n = 2_000_000u32;
        (0..5)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..n {
                    f();
                }
                t.elapsed().as_secs_f64() * 1e9 / f64::from(n)
            })
            .fold(f64::INFINITY, f64::min)
    })
}

fn costs() -> std::io::Result<()> {
    println!("== 3. What a call costs (best of 5 x 2M calls, on a green thread) ==");
    let rt = Runtime::builder().processors(1).build()?;
    // SAFETY: empty C functions.
    let direct = ns_per_call(&rt, || unsafe { direct_empty() });
    // SAFETY: as above.
    let facade = ns_per_call(&rt, || unsafe { tour_empty() });
    // SAFETY: as above.
    let nc = ns_per_call(&rt, || unsafe { tour_empty_nc() });
    println!("  {:<44} {:>8} {:>8}", "call", "ns", "ratio");
    for (name, ns) in [
        ("direct C call (no runtime involvement)", direct),
        ("facade call (accounting + system stack)", facade),
        ("facade call, #[nocallback] #[noescape]", nc),
    ] {
        println!("  {name:<44} {ns:>8.2} {:>7.1}x", ns / direct);
    }
    println!("  (Go 1.27's empty cgo call on this kind of machine: about 30.8 ns)");
    Ok(())
}
