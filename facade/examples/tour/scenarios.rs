//! The tour's scenarios, shared by `examples/tour.rs` (which prints them) and
//! `tests/tour.rs` (which checks the tour's claims). Each scenario prints readable
//! progress lines and returns what it measured.

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
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
    /// Calls `cb(x)`: C calling back into Rust.
    fn tour_apply(cb: *const c_void, x: i64) -> i64;
    /// Calls `cb(x)` although declared as never calling back.
    #[nocallback] fn tour_apply_nc(cb: *const c_void, x: i64) -> i64;
    /// A pthread created in C calls `cb(0..n)`.
    #[blocking] fn tour_thread_loop(cb: *const c_void, n: i64, ns: *mut i64) -> i64;
    /// Stores a callback for `tour_call_stored`.
    fn tour_store(cb: *const c_void);
    /// Calls the stored callback (no pointer argument to check).
    fn tour_call_stored(x: i64) -> i64;
}

#[link(name = "facade_tour", kind = "static")]
unsafe extern "C-unwind" {
    #[link_name = "tour_empty"]
    fn direct_empty();
}

/// Deepest nesting seen by `tour_nest`.
static DEEPEST: AtomicU32 = AtomicU32::new(0);

facade::export! {
    /// Rust -> C -> Rust, `d` more levels.
    fn tour_nest(d: i64) -> i64 {
        let depth = facade::callback::with_current(|m| m.map_or(0, |m| m.callback_depth()));
        DEEPEST.fetch_max(depth, Ordering::Relaxed);
        if d == 0 {
            0
        } else {
            // SAFETY: `tour_nest` has the signature `tour_apply` calls.
            unsafe { tour_apply(tour_nest as *const c_void, d - 1) + 1 }
        }
    }

    /// Called by the C thread: `x + 1`.
    fn tour_inc(x: i64) -> i64 {
        x + 1
    }

    /// Returns its argument: the cost of a callback.
    fn tour_id(x: i64) -> i64 {
        x
    }
}

/// What the blocking-call scenario saw.
pub struct Blocking {
    /// When the last of the 999 other green threads finished.
    pub others_done: Duration,
    /// When the blocking C call returned.
    pub c_returned: Duration,
    /// The runtime's counters afterwards.
    pub stats: facade::Stats,
}

/// 1,000 green threads on 2 processors while one sits `ms` in a blocking C call.
pub fn blocking_call(ms: c_int) -> std::io::Result<Blocking> {
    println!("== 1. 1,000 green threads on 2 processors; one blocks {ms} ms in C ==");
    let rt = Runtime::builder().processors(2).build()?;
    let t0 = Instant::now();
    let (others_done, c_returned) = rt.block_on(move || {
        let sleeper = spawn(move || {
            // SAFETY: tour_sleep_ms only sleeps.
            let r = unsafe { tour_sleep_ms(ms) };
            (r, t0.elapsed())
        });
        yield_now(); // let it enter C first
        println!(
            "  green thread #0 entered tour_sleep_ms({ms}) [#[blocking]] at {:?}",
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
        let (r, returned) = sleeper.join().expect("no panics");
        assert_eq!(r, ms);
        println!("  the blocking C call returned at {returned:?}");
        (done, returned)
    });
    let s = rt.stats();
    println!(
        "  hand-offs: {} ({} by #[blocking], {} retaken by the monitor); foreign calls: {}; worker threads: {}",
        s.handoffs, s.blocking_handoffs, s.retakes, s.foreign_calls, s.worker_threads
    );
    if others_done < c_returned {
        println!("  => the other green threads kept running while one sat in C\n");
    } else {
        println!("  => NOT as claimed: the others finished after the C call returned\n");
    }
    Ok(Blocking {
        others_done,
        c_returned,
        stats: s,
    })
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

/// A pointer-rule violation caught before C runs; returns the refusal message.
pub fn pointer_rules() -> std::io::Result<String> {
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
    // The panic message is printed by the default hook; we show it ourselves.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = rt.spawn(move || {
        let words: [*const u8; 2] = [std::ptr::null(), object as *const u8];
        // SAFETY: reads two words.
        unsafe { tour_sum_words(elem(&words, 0), 2) }
    });
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
    Ok(msg)
}

/// Rust -> C -> Rust nested `depth` levels from a green thread; returns (result,
/// deepest callback depth seen).
pub fn nested_callbacks(depth: i64) -> std::io::Result<(i64, u32)> {
    println!("== 3. Callbacks: Rust -> C -> Rust nested {depth} deep, from a green thread ==");
    // Each level's Rust frames live on the green stack: give it room.
    let rt = Runtime::builder()
        .processors(2)
        .stack_size(1 << 20)
        .build()?;
    let r = rt.block_on(move || {
        // SAFETY: `tour_nest` has the callback signature.
        spawn(move || unsafe { tour_apply(tour_nest as *const c_void, depth) })
            .join()
            .expect("no panics")
    });
    let deepest = DEEPEST.load(Ordering::Relaxed);
    println!(
        "  tour_nest({depth}) returned {r}; deepest callback nesting seen: {deepest}; \
         foreign calls: {}",
        rt.stats().foreign_calls
    );
    println!("  => each level ran on the same green thread, C frames on its worker's stack\n");
    Ok((r, deepest))
}

/// A pthread created in C calls in `n` times; returns (sum, ns per callback).
pub fn c_thread_callbacks(n: i64) -> std::io::Result<(i64, f64)> {
    println!("== 4. A pthread created in C calls into Rust {n} times ==");
    let rt = Runtime::builder().processors(2).build()?;
    let (sum, ns) = rt.block_on(move || {
        let mut ns = 0i64;
        // SAFETY: `tour_inc` has the callback signature; `ns` is a valid i64.
        let sum = unsafe { tour_thread_loop(tour_inc as *const c_void, n, &mut ns) };
        (sum, ns)
    });
    let per = ns as f64 / n as f64;
    println!(
        "  sum of tour_inc(0..{n}) = {sum} (expected {}); {per:.1} ns per callback",
        n * (n + 1) / 2
    );
    println!("  => the thread attached on its first callback and stayed bound until it exited\n");
    Ok((sum, per))
}

/// The violating call the nocallback child process makes (it aborts).
pub fn nocallback_violation() {
    let rt = Runtime::builder().processors(1).build().expect("runtime");
    rt.block_on(|| {
        // SAFETY: deliberately breaks the nocallback promise; the runtime aborts.
        unsafe { tour_apply_nc(tour_id as *const c_void, 1) }
    });
}

/// Runs `exe args` with `env` set (through `CGO_RS_RUNNER` when set, e.g. qemu);
/// returns (stderr, exited successfully).
pub fn run_child(args: &[&str], env: (&str, &str)) -> std::io::Result<(String, bool)> {
    let exe = std::env::current_exe()?;
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(r) => {
            let mut c = std::process::Command::new(r);
            c.args(words).arg(&exe);
            c
        }
        None => std::process::Command::new(&exe),
    };
    let out = cmd.args(args).env(env.0, env.1).output()?;
    Ok((
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    ))
}

/// Shows the nocallback violation of a child process; returns its message line.
pub fn nocallback_in_child(args: &[&str], env: (&str, &str)) -> std::io::Result<String> {
    println!("== 5. A #[nocallback] C function calling back (in a child process) ==");
    let (err, ok) = run_child(args, env)?;
    let line = err
        .lines()
        .find(|l| l.contains("nocallback called back"))
        .unwrap_or("(no message)")
        .to_string();
    println!(
        "  the child {}:",
        if ok {
            "exited normally (unexpected)"
        } else {
            "aborted"
        }
    );
    println!("    {line}\n");
    Ok(line)
}

/// Best-of-5 nanoseconds per iteration of `f`, measured on a green thread.
fn ns_per_call(rt: &Runtime, n: u32, f: fn()) -> f64 {
    rt.block_on(move || {
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

/// The cost table: (name, ns) rows, the first being the direct call.
pub fn costs(n: u32) -> std::io::Result<Vec<(&'static str, f64)>> {
    println!("== 6. What a call costs (best of 5 x {n} calls) ==");
    let rt = Runtime::builder().processors(1).build()?;
    // SAFETY: empty C functions.
    let direct = ns_per_call(&rt, n, || unsafe { direct_empty() });
    // SAFETY: as above.
    let facade = ns_per_call(&rt, n, || unsafe { tour_empty() });
    // SAFETY: as above.
    let nc = ns_per_call(&rt, n, || unsafe { tour_empty_nc() });
    rt.block_on(|| {
        // SAFETY: `tour_id` has the callback signature.
        unsafe { tour_store(tour_id as *const c_void) }
    });
    let runtime_cb = ns_per_call(&rt, n, || {
        // SAFETY: calls the stored `tour_id`.
        std::hint::black_box(unsafe { tour_call_stored(1) });
    });
    let bound = (0..5)
        .map(|_| {
            let mut ns = 0i64;
            // SAFETY: as above; `ns` is a valid i64.
            unsafe { tour_thread_loop(tour_id as *const c_void, i64::from(n), &mut ns) };
            ns as f64 / f64::from(n)
        })
        .fold(f64::INFINITY, f64::min);
    let rows = vec![
        ("direct C call (no runtime involvement)", direct),
        ("facade call (accounting + system stack)", facade),
        ("facade call, #[nocallback] #[noescape]", nc),
        ("callback on a runtime thread (call + callback)", runtime_cb),
        ("callback from a bound C thread", bound),
    ];
    println!("  {:<48} {:>8} {:>8}", "operation", "ns", "ratio");
    for (name, ns) in &rows {
        println!("  {name:<48} {ns:>8.2} {:>7.1}x", ns / direct);
    }
    println!(
        "  (Go 1.27 on this kind of machine: empty cgo call 30.8 ns, nocallback+noescape 38.1 ns,\n   \
         callback on a Go thread 54 ns, from a bound C thread 52.8 ns)"
    );
    Ok(rows)
}
