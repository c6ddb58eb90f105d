//! Processor tokens, enter/exit accounting of foreign code, and the hand-off monitor.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the crate map.
//! A leaf crate: it depends on no sibling crate. It is Go's `entersyscall` /
//! `exitsyscall` / `sysmon.retake` protocol (Go 1.27, `runtime/proc.go`), independent of
//! any scheduler.
//!
//! # The parts
//!
//! * [`Procs`]: `n ≥ 1` processor tokens (Go's `P`s, `GOMAXPROCS`), resizable with
//!   [`Procs::resize`]. [`Procs::acquire`] / [`Procs::try_acquire`] hand out a
//!   [`Processor`]; dropping it releases it.
//! * [`Processor`]: the right to run managed code. Around foreign code:
//!   [`Processor::enter`] (lazy hand-off), [`Processor::enter_short`] (never handed off),
//!   [`Processor::enter_blocking`] (handed off at once), each returning a [`ForeignCall`]
//!   guard that exits on drop; the raw forms [`Processor::enter_raw`],
//!   [`Processor::exit`] and [`Processor::reenter`] serve callers that cannot hold a guard;
//!   [`Processor::return_to_foreign`] and [`Processor::release_in_foreign`] serve threads
//!   that foreign code owns.
//! * [`Scheduler`]: the three questions the protocol asks the runtime (is there other
//!   work; take this processor; wake an idle thread). [`NoScheduler`] answers "nothing".
//! * The monitor: a thread per [`Procs`], started by the first foreign call, that retakes
//!   processors stuck in foreign code ([`Config`], [`Policy`], [`MonitorPriority`]).
//! * [`Stats`] from [`Procs::stats`], and [`thread_calls`]: counters readable at any time;
//!   a runtime with per-thread state of its own keeps a [`ThreadCalls`] there and enters
//!   with [`Processor::enter_raw_with`], saving the counter's lookup per call.
//!
//! # Example
//!
//! ```
//! use syscall_accounting::{Exit, NoScheduler, Procs};
//!
//! let procs = Procs::new(2, NoScheduler)?;
//! let mut p = procs.acquire(); // a worker thread takes a processor
//! {
//!     let call = p.enter(); // about to run foreign code
//!     // ... the foreign call ...
//!     assert_eq!(call.exit(), Exit::Kept); // short call: same processor, fast path
//! }
//! let mut call = p.enter();
//! call.callback(|p| {
//!     // C called back into managed code: we hold a processor again here.
//!     assert!(!p.in_foreign());
//! });
//! drop(call); // exit on drop
//! drop(p); // release
//! assert_eq!(procs.stats().calls, 2);
//! # Ok::<(), syscall_accounting::Error>(())
//! ```
//!
//! # How the sibling crates use it
//!
//! * **facade** (a green-thread runtime): each worker thread holds a [`Processor`] while it
//!   runs green threads; a green thread calling C does `enter()` … `exit()` on its worker's
//!   processor. The runtime implements [`Scheduler`]: `has_work` = its run queues are not
//!   empty, `handoff` = start (or unpark) a worker thread with the given processor,
//!   `wake_idle` = unpark an idle worker, which then calls [`Procs::try_acquire`]. A worker
//!   whose `exit` returned [`Exit::Idle`] or [`Exit::Parked`] was handed off: it continues
//!   on the processor it now holds ([`Processor::id`] may differ). [`Stats::retakes`],
//!   [`Stats::handoffs`] and [`Stats::exit_parks`] count the hand-offs.
//! * **callback**: a callback from C on a thread that entered foreign code does
//!   [`ForeignCall::callback`] (exit → managed code → [`Processor::reenter`]). A bound
//!   foreign thread (one that C created) keeps its [`Processor`] in a thread-local between
//!   callbacks, parked in the foreign-code state with the raw API: `enter_raw(Lazy)` once,
//!   then per callback `exit()` … `reenter()`. While it sits in C, the monitor can hand its
//!   processor to other work (then its next callback's `exit` waits for one); it is not
//!   counted as a new foreign call by `reenter`. Such a thread, sitting in C with no
//!   managed code on its stack, should use [`Processor::return_to_foreign`] instead of
//!   `enter_raw(Lazy)`: the monitor treats it alike, but it is neither a foreign call nor
//!   [`Stats::in_foreign`] (Go's not-in-go metric skips it too;
//!   [`Stats::returned_to_foreign`] counts it). When it is done with managed code for
//!   good, [`Processor::release_in_foreign`] gives the processor up without taking one
//!   back (also for a foreign call known to outlive its caller).
//!
//! # The protocol
//!
//! Every hand-over of a processor creates a fresh *lease*: a small shared record with two
//! words. `sys` is written only by the holding thread, with plain stores:
//! `(seq << 4) | RETURNED | BLOCKING | NO_HANDOFF | FOREIGN`, where `seq` counts enters and reenters (Go's
//! `p.syscalltick` role: two sightings of the same odd value mean "still the same call").
//! `state` is `OWNED`, `STEALING`, `LOST`, `RETIRE` or `CLOSED`; the holder's fast path only
//! reads it. A thread that lost its processor writes only its own dead lease, so it can
//! never disturb the next holder (the problem Go solves with the G's scan bit).
//!
//! * **enter** (fast path): store `sys = seq|FOREIGN` (Release: the thief that reads it
//!   inherits everything done under the processor), light fence, load the monitor flag;
//!   only if the monitor is asleep or not started, wake/start it (slow, out of line).
//! * **exit** (fast path): store `sys = seq` (even), light fence, load `state`; `OWNED` →
//!   done. Otherwise (slow path): `STEALING` → CAS it back to `OWNED` (the undecided retake
//!   is cancelled, [`Exit::Kept`]); `LOST` or `RETIRE` → take an idle processor
//!   ([`Exit::Idle`]) or park until one is released to this thread ([`Exit::Parked`]).
//! * **retake** (monitor, under the scheduler lock): if a lease showed the same odd `sys`
//!   on two consecutive ticks and (the scheduler has work or a thread is parked waiting):
//!   CAS `state` `OWNED → STEALING`, **heavy fence**, re-read `sys`. Unchanged → CAS
//!   `STEALING → LOST` (commit; fails if the holder cancelled) and place the processor;
//!   changed → CAS back to `OWNED`.
//!
//! ## Why the asymmetric fences are enough
//!
//! With the membarrier backend the light fence is a compiler fence only (no instruction)
//! and the heavy fence is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which returns
//! only after every running thread of the process executed a full memory barrier (threads
//! not running pass one when switched in). For any light fence `L` and heavy fence `H`
//! this gives: either `L` is ordered before `H` — everything the thread stored before `L`
//! is visible to the monitor after `H` — or `H` before `L` — everything the monitor stored
//! before `H` is visible to the thread after `L` (the contract of folly's
//! `asymmetric_thread_fence_light/heavy`, equivalent to a pair of `SeqCst` fences).
//!
//! The exit/retake race is the store-buffering (Dekker) pattern: thread `W(sys=even); L;
//! R(state)`, monitor `W(state=STEALING); H; R(sys)`. By the contract the outcome "thread
//! reads `OWNED` **and** monitor reads the old odd `sys`" is impossible. So:
//! * thread reads `OWNED` ⇒ monitor reads the even (or a newer) `sys` ⇒ it reverts; the
//!   thread keeps its processor and nobody else gets it;
//! * thread reads `STEALING` ⇒ it goes to the slow path, where the CAS on `state` decides
//!   between its cancel (`STEALING → OWNED`) and the monitor's commit (`STEALING → LOST`):
//!   exactly one wins;
//! * thread reads `LOST` ⇒ the commit happened; the thread never touches the processor.
//!
//! Hence never two holders; and a processor is never lost, because every transition out
//! of `OWNED` is followed, under the scheduler lock, by placing the processor (to a parked
//! thread, the scheduler, or the idle list). The same pattern, with `W(flag=SLEEPING); H;
//! R(every sys)` on the monitor's side, guarantees that a monitor going to sleep either
//! sees a thread's entry or that thread sees the monitor asleep and wakes it.
//!
//! Without `membarrier` (ENOSYS, e.g. under qemu-user or an old kernel; EPERM under
//! seccomp; macOS; Windows), detected once at run time, the **CAS backend** runs instead:
//! `exit` does `CAS(state, OWNED → OWNED)` (Release) and the monitor's `OWNED → STEALING`
//! CAS is Acquire: both RMWs are totally ordered on `state`, and if the holder's comes
//! first the monitor reads from it and so sees the even `sys`. `enter` has a `SeqCst` fence
//! for the sleep handshake (paired with a `SeqCst` fence in the monitor). Under
//! `--cfg loom` both backends are model-checked, the asymmetric one with both fences as
//! `SeqCst` fences (loom cannot run `membarrier`, so it checks the protocol against the
//! contract above); removing any of these fences or orderings makes the models fail.
//!
//! Orderings in short: every atomic access states its reason where it is made. `SeqCst`
//! appears only as fences in the two store-buffering handshakes, where it is required,
//! and as the compiler fence (the only `compiler_fence` ordering that forbids hoisting a
//! load above a store).
//!
//! ## Fairness
//!
//! Threads waiting for a processor (parked exits and parked [`Procs::acquire`] calls) are
//! served first come, first served: a released, grown or retaken processor goes to the
//! longest waiter. A retake also happens *because* a thread waits (a parked exit is
//! pending work, as in Go where the exiting goroutine goes to the global run queue). Only
//! with nobody waiting does a retaken processor go to [`Scheduler::handoff`]. A thread on
//! the fast path is never queued: it keeps its processor if nobody took it.
//!
//! ## The monitor, compared with Go's sysmon
//!
//! Go's rule is kept: retake only a processor seen in the *same* lazy call on two
//! consecutive ticks (≥ 1 tick), and only if there is other work. Differences:
//! * Go also retakes when no processor is idle or spinning, and after 10 ms even with no
//!   work, so that its monitor can back off; that wakes a thread that finds nothing to do.
//!   Here the monitor polls [`Scheduler::has_work`] on every tick while anyone is in
//!   foreign code, so work that arrives later is still noticed within a tick, and with no
//!   work nothing is handed off and nobody is woken.
//! * Go's sysmon backs off from 20 µs to 10 ms sleeps after 1 ms without retakes, which
//!   delays hand-offs after busy work (18 ms measured). This monitor never backs off while
//!   a processor holder is in foreign code; after [`Config::idle_ticks`] ticks with nobody
//!   in foreign code it sleeps until the next `enter` wakes it. On Linux it also asks for
//!   the fair scheduler's shortest slice. That is not enough on a loaded machine with
//!   group scheduling (Linux autogroups: each session is a group): right after the
//!   process used more than its share, a tick waits until the group is eligible again,
//!   2-6 ms measured on a loaded 2-core VM. [`MonitorPriority::RealTime`] (opt-in,
//!   [`Config::monitor_priority`]) runs the monitor as a `SCHED_FIFO` thread instead:
//!   p99 hand-off 55-120 µs there (from idle / after busy work; rare outliers to
//!   300 µs on a saturated host), against 2-6 ms for an ordinary monitor after busy work.
//! * The tick that decides a hand-off (the one after the pass that first saw the call)
//!   is spun through rather than slept when the tick is short (≤ 100 µs): on a virtual
//!   machine a 20 µs sleep lasts about 40 µs. Always after a wake-up, otherwise within a
//!   budget of about one tick in eight. On a quiet 2-core VM this gives p99 hand-offs of
//!   45-66 µs from idle and 74-81 µs right after 30 ms of busy work with the ordinary
//!   monitor (p50 26 / 49 µs), against 40-60 µs / 100-600 µs p99 with sleeps only.
//! * Per-call policies: [`CallKind::Blocking`] hands off at once (Go's
//!   `entersyscallblock`), [`CallKind::Short`] is never handed off; [`Policy::Never`]
//!   disables retakes entirely.
//! * Time in foreign code ([`Stats::foreign_time`]) is credited by the monitor per tick
//!   (tick length × holders seen in foreign code): no clock is read on the fast path.
//!
//! # Supported targets
//!
//! | target | backend | parking |
//! |---|---|---|
//! | Linux x86_64, aarch64, riscv64 (tested, the latter two under qemu) | membarrier when the kernel has it, else CAS | futex |
//! | macOS x86_64/aarch64, Windows x86_64 (compile-checked; Windows sleeps have ~1 ms granularity, so hand-offs take that long there) | CAS | mutex + condition variable |
//! | other Unixes | CAS | mutex + condition variable |
//!
//! # Cargo features and cfgs
//!
//! No cargo features. `--cfg loom` swaps every atomic, lock and `Arc` for loom's (module
//! `primitive`) and compiles the models in `src/tests/loom_models.rs`:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p syscall-accounting --release --lib loom
//! ```

// Under loom the monitor thread is not built; its pass functions are used by the models only.
#![cfg_attr(loom, allow(dead_code))]

mod hooks;
mod imp;
mod monitor;
mod primitive;
mod procs;

#[cfg(test)]
mod tests;

pub use hooks::{NoScheduler, Scheduler};
#[cfg(not(loom))]
pub use procs::WeakProcs;
pub use procs::{
    Backend, BackendChoice, CallKind, Config, Error, Exit, ForeignCall, MonitorPriority, Policy,
    Processor, Procs, Stats, ThreadCalls, thread_calls,
};
