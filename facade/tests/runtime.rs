//! Behaviour of the green-thread runtime: spawn/join, panics, yield, sleep,
//! channels, counters.

mod child;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use facade::{Runtime, channel, sleep, spawn, yield_now};

fn rt(procs: usize) -> Runtime {
    Runtime::builder()
        .processors(procs)
        .build()
        .expect("runtime")
}

#[test]
fn block_on_returns_the_value() {
    assert_eq!(rt(2).block_on(|| 6 * 7), 42);
}

#[test]
fn join_returns_values_of_many_green_threads() {
    let r = rt(2);
    let sum = r.block_on(|| {
        let hs: Vec<_> = (0..1000u64).map(|i| spawn(move || i * 2)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, 999 * 1000);
}

#[test]
fn a_panic_in_a_green_thread_is_returned_by_join() {
    let r = rt(2);
    let h = r.spawn(|| -> u32 { panic!("boom in green") });
    let err = h.join().unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"boom in green"));
    // The runtime keeps working afterwards.
    assert_eq!(r.block_on(|| 1), 1);
}

#[test]
#[should_panic(expected = "resumed by block_on")]
fn block_on_resumes_the_panic() {
    rt(1).block_on(|| panic!("resumed by block_on"));
}

#[test]
fn yield_now_interleaves_green_threads_on_one_processor() {
    let r = rt(1);
    let log = r.block_on(|| {
        let (tx, rx) = channel(64);
        let a = {
            let tx = tx.clone();
            spawn(move || {
                for i in 0..3 {
                    tx.send(('a', i)).unwrap();
                    yield_now();
                }
            })
        };
        let b = spawn(move || {
            for i in 0..3 {
                tx.send(('b', i)).unwrap();
                yield_now();
            }
        });
        a.join().unwrap();
        b.join().unwrap();
        rx.into_iter().collect::<Vec<_>>()
    });
    // Cooperative scheduling with a FIFO run queue: strict alternation.
    assert_eq!(
        log,
        vec![('a', 0), ('b', 0), ('a', 1), ('b', 1), ('a', 2), ('b', 2)]
    );
}

#[test]
fn sleep_lets_others_run_and_lasts_at_least_the_duration() {
    let r = rt(1);
    let (slept, ran) = r.block_on(|| {
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        let busy = spawn(move || {
            for _ in 0..100 {
                c.fetch_add(1, Ordering::Relaxed);
                yield_now();
            }
        });
        let t = Instant::now();
        sleep(Duration::from_millis(30));
        let slept = t.elapsed();
        busy.join().unwrap();
        (slept, counter.load(Ordering::Relaxed))
    });
    assert!(slept >= Duration::from_millis(30), "slept only {slept:?}");
    assert_eq!(ran, 100);
}

#[test]
fn many_sleepers_wake_in_deadline_order() {
    // Deadlines 15 ms apart: wide enough that the order is a property of the
    // timer queue, not of how fast an emulated or loaded machine runs the
    // sleepers (3 ms apart was flaky under qemu). Neighbours may still swap.
    const STEP: u64 = 15;
    let r = rt(2);
    let start = std::time::Instant::now();
    let woke = r.block_on(move || {
        let (tx, rx) = channel(100);
        for i in (0..20u64).rev() {
            let tx = tx.clone();
            spawn(move || {
                sleep(Duration::from_millis(5 + STEP * i));
                tx.send((i, start.elapsed())).unwrap();
            });
        }
        drop(tx);
        rx.into_iter().collect::<Vec<_>>()
    });
    assert_eq!(woke.len(), 20);
    for (i, at) in &woke {
        // A sleeper never wakes before its deadline.
        assert!(
            *at >= Duration::from_millis(5 + STEP * i),
            "sleeper {i} woke at {at:?}"
        );
    }
    let order: Vec<u64> = woke.iter().map(|(i, _)| *i).collect();
    for (pos, v) in order.iter().enumerate() {
        assert!((*v as i64 - pos as i64).abs() <= 2, "order {order:?}");
    }
}

#[test]
fn bounded_channel_makes_senders_wait() {
    let r = rt(2);
    let got = r.block_on(|| {
        let (tx, rx) = channel::<u32>(2);
        let producers: Vec<_> = (0..4)
            .map(|p| {
                let tx = tx.clone();
                spawn(move || {
                    for i in 0..250 {
                        tx.send(p * 1000 + i).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut got: Vec<u32> = rx.into_iter().collect();
        producers.into_iter().for_each(|h| h.join().unwrap());
        got.sort();
        got
    });
    let mut want: Vec<u32> = (0..4)
        .flat_map(|p| (0..250).map(move |i| p * 1000 + i))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn channel_errors_name_the_missing_side() {
    let (tx, rx) = channel::<u8>(1);
    drop(rx);
    let e = tx.send(7).unwrap_err();
    assert_eq!(e.0, 7);
    assert!(e.to_string().contains("receiver was dropped"));
    let (tx, rx) = channel::<u8>(1);
    drop(tx);
    assert!(
        rx.recv()
            .unwrap_err()
            .to_string()
            .contains("senders were all dropped")
    );
}

#[test]
fn channel_between_os_thread_and_green_threads() {
    let r = rt(2);
    let (tx, rx) = channel::<u64>(4);
    let h = r.spawn(move || rx.into_iter().sum::<u64>());
    for i in 0..100 {
        tx.send(i).unwrap();
    }
    drop(tx);
    assert_eq!(h.join().unwrap(), 4950);
}

#[test]
fn spawn_outside_a_runtime_panics_with_a_message() {
    let e = std::thread::spawn(|| spawn(|| ())).join().unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("not a runtime worker") && msg.contains("Runtime::spawn"),
        "{msg}"
    );
}

#[test]
fn stats_count_green_threads_and_pool_stacks() {
    let r = Runtime::builder()
        .processors(2)
        .stack_pool(64)
        .build()
        .unwrap();
    r.block_on(|| {
        let hs: Vec<_> = (0..200).map(|_| spawn(yield_now)).collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    // A joined green thread has delivered its result but its worker may not have
    // counted it finished yet (slow under qemu): wait for the count to settle.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut s = r.stats();
    while s.green_threads_live > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
        s = r.stats();
    }
    assert_eq!(s.green_threads_spawned, 201);
    assert_eq!(s.green_threads_live, 0, "{s:?}");
    assert!(s.stacks_pooled >= 1 && s.stacks_pooled <= 64, "{s:?}");
    assert_eq!(s.processors, 2);
    let g = facade::stats();
    assert!(g.green_threads_spawned >= 201);
}

#[test]
fn default_processors_is_the_core_count() {
    let r = Runtime::builder().build().unwrap();
    assert_eq!(
        r.processors(),
        std::thread::available_parallelism().unwrap().get()
    );
}

#[test]
fn deep_recursion_runs_on_the_system_stack() {
    fn depth(n: u64) -> u64 {
        let pad = std::hint::black_box([n as u8; 512]);
        if n == 0 {
            pad[0] as u64
        } else {
            depth(n - 1) + pad[1] as u64
        }
    }
    // 2,000 frames of > 512 bytes exceed a 64 KiB green stack, not the system stack.
    let r = rt(1);
    let v = r.block_on(|| facade::on_system_stack(|| depth(2000)));
    assert_eq!(v, (0..=2000u64).map(|n| n as u8 as u64).sum::<u64>());
}

#[test]
fn a_panic_on_the_system_stack_propagates_to_the_green_thread() {
    let r = rt(1);
    let caught = r.block_on(|| {
        let e = std::panic::catch_unwind(|| {
            facade::on_system_stack(|| panic!("from the system stack"))
        })
        .unwrap_err();
        // Still a working green thread afterwards.
        yield_now();
        e.downcast_ref::<&str>().copied()
    });
    assert_eq!(caught, Some("from the system stack"));
}

#[test]
fn block_on_inside_a_green_thread_parks_instead_of_blocking_the_worker() {
    let r = Arc::new(rt(1));
    let r2 = r.clone();
    // One processor: if the inner block_on blocked the worker, the inner green
    // thread could never run.
    let v = r.block_on(move || r2.block_on(|| 5) + 1);
    assert_eq!(v, 6);
}

#[test]
fn dropped_runtimes_stop_their_threads() {
    // Counted in a child process: the other tests of this binary run in
    // parallel and start threads of their own, which /proc/self/task counts.
    const NAME: &str = "dropped_runtimes_stop_their_threads";
    if !child::is_child(NAME) {
        let (stderr, ok) = child::child(NAME);
        assert!(ok, "child failed:\n{stderr}");
        assert!(stderr.contains("threads back to"), "{stderr}");
        return;
    }
    fn threads() -> usize {
        std::fs::read_dir("/proc/self/task").unwrap().count()
    }
    // Warm up process-wide helpers (signal stacks, overflow handler).
    rt(2).block_on(|| ());
    let before = threads();
    for _ in 0..10 {
        let r = rt(2);
        assert_eq!(r.block_on(|| 1), 1);
        drop(r);
    }
    // Workers, timers and monitors exit asynchronously after the drop.
    let deadline = Instant::now() + Duration::from_secs(10);
    while threads() > before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let after = threads();
    assert!(
        after <= before,
        "{after} threads after dropping 10 runtimes, {before} before"
    );
    eprintln!("threads back to {after} (were {before})");
}

#[inline(never)]
#[allow(unconditional_recursion)] // the point: run off the end of the green stack
fn bottomless(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 64]);
    bottomless(std::hint::black_box(n + 1)) + frame[3]
}

/// A green thread that runs off the end of its (small, guard-paged) stack is
/// stopped with one line naming its green-thread stack and size, then an abort;
/// also when the stack is a pooled one that an earlier green thread used.
#[test]
fn a_green_thread_overflowing_its_stack_is_named_and_aborts() {
    const NAME: &str = "a_green_thread_overflowing_its_stack_is_named_and_aborts";
    if child::is_child(NAME) {
        let rt = Runtime::builder()
            .processors(1)
            .stack_size(64 * 1024)
            .stack_pool(1)
            .build()
            .unwrap();
        // The first green thread returns its stack to the pool; the second gets it.
        rt.spawn(|| ()).join().unwrap();
        let _ = rt.spawn(|| bottomless(0)).join();
        unreachable!("the overflow must abort the process");
    }
    let (stderr, ok) = child::child(NAME);
    assert!(!ok, "the child survived an overflow:\n{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("stackswitch: stack overflow"))
        .collect();
    assert_eq!(lines.len(), 1, "exactly one report line:\n{stderr}");
    assert!(lines[0].contains("green-thread stack #"), "{stderr}");
    assert!(lines[0].contains("of 64 KiB"), "{stderr}");
    assert!(lines[0].contains("aborting"), "{stderr}");
}
