//! The green-thread runtime: processors, worker threads, green threads on small
//! pooled stacks, and the switch points between them.
//!
//! # Model
//!
//! A [`Runtime`] owns `procs` processor tokens (Go's GOMAXPROCS "P"s, from
//! `syscall-accounting`). Worker threads (Go's "M"s) run green threads only while
//! they hold a processor, so at most `procs` green threads run Rust code at once. A
//! green thread that enters C through a [`c_functions!`](crate::c_functions) wrapper
//! keeps running on its worker, inside C, while the runtime's monitor hands its
//! processor to another worker (started on demand), so the other green threads keep
//! going; when the C call returns, the green thread takes a processor back, waiting
//! for one if all are busy.
//!
//! # Cooperative scheduling
//!
//! Green threads are **not preempted**: a green thread runs until it reaches a
//! switch point — [`yield_now`], a wait on a [`JoinHandle`], a [`channel`] send or
//! receive that must wait, [`sleep`] — or ends. A green thread that loops forever in
//! Rust without a switch point keeps its processor. (A long call into C does not:
//! that is what the monitor's hand-off is for.)
//!
//! # Threads under green threads
//!
//! A green thread may continue on another worker thread after any switch point.
//! Do not keep thread-bound state across a switch point: a `std::sync::MutexGuard`
//! (locked on one thread, unlocked on another), a reference into a
//! `thread_local!`, an id from `std::thread::current()`. Values that are `Send`
//! are fine; the spawn bound already requires the closure to be `Send`.
//!
//! # Outside the runtime
//!
//! [`yield_now`], [`sleep`], [`JoinHandle::join`] and the channel also work on plain
//! OS threads (they fall back to the thread's own yield, sleep and park);
//! [`spawn`] needs a runtime and panics with a message outside one.

pub(crate) mod chan;
pub(crate) mod sched;
pub(crate) mod timer;

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::foreign::CheckLevel;
use sched::{Shared, Waker, lock};

pub use chan::{Receiver, RecvError, SendError, Sender, channel};

/// When the monitor hands the processor of a thread in C to another worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HandoffPolicy {
    /// Go's rule: a processor seen in the same foreign call on two consecutive
    /// monitor ticks is retaken when other green threads are waiting to run.
    #[default]
    Lazy,
    /// Never retake; only `#[blocking]` calls hand their processor on. For programs
    /// whose C calls are all short.
    Never,
}

/// A runtime's settings, fixed at build time.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) procs: usize,
    pub(crate) stack_size: usize,
    pub(crate) stack_pool: usize,
    pub(crate) monitor_tick: Duration,
    pub(crate) handoff: HandoffPolicy,
    pub(crate) realtime_monitor: bool,
    pub(crate) check: CheckLevel,
}

/// Configures and builds a [`Runtime`].
#[derive(Clone, Debug)]
pub struct Builder {
    cfg: Config,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            cfg: Config {
                procs: std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
                stack_size: 64 * 1024,
                stack_pool: 1024,
                monitor_tick: Duration::from_micros(20),
                handoff: HandoffPolicy::Lazy,
                realtime_monitor: false,
                check: CheckLevel::from_env(),
            },
        }
    }
}

impl Builder {
    /// Number of processors: how many green threads run Rust code at once.
    /// Default: the number of available cores. Values below 1 are raised to 1.
    pub fn processors(mut self, n: usize) -> Self {
        self.cfg.procs = n.max(1);
        self
    }

    /// Usable size of each green-thread stack (rounded up to pages; a guard page is
    /// added below). Default 64 KiB. Deep recursion or big C frames do not need it:
    /// C runs on the worker's system stack.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.cfg.stack_size = bytes.max(16 * 1024);
        self
    }

    /// How many stacks of ended green threads are kept for reuse. Default 1024.
    pub fn stack_pool(mut self, stacks: usize) -> Self {
        self.cfg.stack_pool = stacks;
        self
    }

    /// The monitor's tick: a processor in the same C call for a whole tick is handed
    /// on (policy permitting). Default 20 µs, as in Go.
    pub fn monitor_tick(mut self, tick: Duration) -> Self {
        self.cfg.monitor_tick = tick.max(Duration::from_micros(1));
        self
    }

    /// When processors of threads in C are handed on. Default [`HandoffPolicy::Lazy`].
    pub fn handoff(mut self, policy: HandoffPolicy) -> Self {
        self.cfg.handoff = policy;
        self
    }

    /// Run the monitor at real-time priority (Linux `SCHED_FIFO` 1, not inherited by
    /// the threads it starts), so it hands a processor on within about a tick even
    /// right after the process used up its CPU share; an ordinary monitor can then be
    /// held back by the kernel for milliseconds (see `syscall_accounting`'s
    /// `MonitorPriority`). Needs `CAP_SYS_NICE` or an `RLIMIT_RTPRIO` of at least 1;
    /// without them, and on other systems, the monitor stays ordinary and
    /// [`Stats::monitor_realtime`](crate::Stats::monitor_realtime) says so.
    /// Default off.
    pub fn realtime_monitor(mut self, on: bool) -> Self {
        self.cfg.realtime_monitor = on;
        self
    }

    /// Pointer-check level for arguments of C calls. Default: from the environment
    /// variable read by `ptrcheck`, else level 1.
    pub fn pointer_checks(mut self, level: CheckLevel) -> Self {
        self.cfg.check = level;
        self
    }

    /// Start the runtime's workers, monitor and timer.
    ///
    /// # Errors
    /// Fails if a thread cannot be started.
    pub fn build(self) -> std::io::Result<Runtime> {
        let shared = Shared::new(self.cfg)
            .map_err(|e| std::io::Error::other(format!("facade: cannot build the runtime: {e}")))?;
        crate::stats::register(&shared);
        crate::export::ensure_init();
        for _ in 0..shared.config.procs {
            shared.start_worker(None);
        }
        Ok(Runtime { shared })
    }
}

/// A green-thread runtime.
///
/// Dropping it stops its workers once the run queue is empty. A green thread that
/// is still waiting then (on a channel, a join, a timer) never runs again; when the
/// thing it waits on is dropped, its stack is unwound on the dropping thread, so its
/// destructors run.
pub struct Runtime {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("processors", &self.shared.config.procs)
            .finish()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

impl Runtime {
    /// A builder with the defaults (see each setter).
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Number of processors.
    pub fn processors(&self) -> usize {
        self.shared.config.procs
    }

    /// Start a green thread on this runtime.
    ///
    /// # Panics
    /// If its stack cannot be allocated (the message says so).
    pub fn spawn<T, F>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_on(&self.shared, f)
    }

    /// Run `f` as a green thread and block the calling thread until it ends,
    /// returning its value or resuming its panic.
    pub fn block_on<T, F>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match self.spawn(f).join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        }
    }

    /// The pointer checker of this runtime: register managed heaps with its
    /// registry, pin objects with `ptrcheck::Pinner::new(&checker)`, change its
    /// level. Green-thread stacks are registered with it as managed memory.
    pub fn checker(&self) -> Arc<ptrcheck::Checker> {
        self.shared.checker.clone()
    }

    /// This runtime's counters.
    pub fn stats(&self) -> crate::Stats {
        crate::stats::of(&self.shared)
    }
}

struct Packet<T> {
    result: Option<std::thread::Result<T>>,
    waiter: Option<Waker>,
}

/// Owned permission to wait for a green thread's end.
pub struct JoinHandle<T> {
    packet: Arc<Mutex<Packet<T>>>,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinHandle { .. }")
    }
}

impl<T> JoinHandle<T> {
    /// Wait for the green thread to end; return its value, or `Err` with the payload
    /// of its panic. A switch point when called on a green thread; blocks the thread
    /// otherwise.
    pub fn join(self) -> Result<T, Box<dyn Any + Send + 'static>> {
        loop {
            let mut p = lock(&self.packet);
            if let Some(r) = p.result.take() {
                return r;
            }
            p.waiter = Some(Waker::current());
            drop(p);
            sched::park();
        }
    }

    /// Has the green thread ended?
    pub fn is_finished(&self) -> bool {
        lock(&self.packet).result.is_some()
    }
}

fn spawn_on<T, F>(shared: &Arc<Shared>, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let packet = Arc::new(Mutex::new(Packet {
        result: None,
        waiter: None,
    }));
    let p2 = packet.clone();
    let body = Box::new(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let mut p = lock(&p2);
        p.result = Some(r);
        let w = p.waiter.take();
        drop(p);
        if let Some(w) = w {
            w.wake();
        }
    });
    if let Err(e) = shared.spawn_task(body) {
        panic!(
            "facade::spawn: cannot allocate a {} KiB green-thread stack: {e}; \
             lower the number of live green threads or Builder::stack_size",
            shared.config.stack_size / 1024
        );
    }
    JoinHandle { packet }
}

/// Start a green thread on the runtime of the calling green thread or worker.
///
/// # Panics
/// When called outside a runtime (use [`Runtime::spawn`] or [`Runtime::block_on`]
/// there), or if the stack cannot be allocated.
pub fn spawn<T, F>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let Some(local) = sched::current_local() else {
        panic!(
            "facade::spawn called on thread {:?}, which is not a runtime worker; \
             use Runtime::spawn or Runtime::block_on",
            std::thread::current().name().unwrap_or("<unnamed>")
        );
    };
    spawn_on(&local.shared, f)
}

/// Let other green threads run (a switch point). On a plain OS thread this is
/// [`std::thread::yield_now`].
pub fn yield_now() {
    if !sched::yield_green() {
        std::thread::yield_now();
    }
}

/// Suspend the calling green thread for at least `d`, letting others run. On a
/// plain OS thread this is [`std::thread::sleep`].
pub fn sleep(d: Duration) {
    let Some(local) = sched::current_local().filter(|l| !l.current.get().is_null()) else {
        return std::thread::sleep(d);
    };
    let fired = Arc::new(AtomicBool::new(false));
    local
        .shared
        .timer
        .add(Instant::now() + d, fired.clone(), Waker::current());
    // Acquire: pairs with the timer thread's Release store.
    while !fired.load(Ordering::Acquire) {
        sched::park();
    }
}

/// The pointer checker of the runtime the caller is a worker or green thread of
/// (see [`Runtime::checker`]); `None` on other threads.
pub fn current_checker() -> Option<Arc<ptrcheck::Checker>> {
    sched::current_local().map(|l| l.shared.checker.clone())
}

/// Is the caller a green thread of some runtime?
pub fn in_green_thread() -> bool {
    sched::current_local().is_some_and(|l| !l.current.get().is_null())
}
