//! Processors, leases and the thread-side protocol (enter / exit / reenter / release).
//!
//! See the crate documentation for the protocol and its correctness argument; the comments
//! here justify each memory ordering locally.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use crate::Scheduler;
use crate::imp::{HeavyFence, HeavyFenceApi, Parker, ParkerApi};
use crate::monitor::MonitorCtl;
use crate::primitive::{
    Arc, AtomicU32, AtomicU64, Mutex, MutexGuard, Ordering, fence, light_fence, lock, thread_local,
};

// ---- the owner-written `sys` word of a lease: (seq << 4) | RETURNED | BLOCKING | NO_HANDOFF | FOREIGN ----

/// The owner is in foreign code.
pub(crate) const FOREIGN: u64 = 1;
/// The current foreign call was declared short: the monitor never retakes it.
pub(crate) const NO_HANDOFF: u64 = 2;
/// The current foreign call was declared blocking (its processor was given up at entry).
const BLOCKING: u64 = 4;
/// The thread went back to foreign code that it owns, with no managed code on its stack
/// ([`Processor::return_to_foreign`]): a lazy call for the monitor, but neither a foreign
/// call nor "in foreign code" for the counters (Go's `m.isExtraInC`).
pub(crate) const RETURNED: u64 = 8;
/// The call-kind bits, kept after exit so that `reenter` restores the kind.
const KIND_BITS: u64 = NO_HANDOFF | BLOCKING | RETURNED;
/// One step of the sequence number (bits 4 and up).
const SEQ_ONE: u64 = 16;
/// `Processor::word` once [`Processor::release_in_foreign`] gave everything up: the
/// drop then does nothing.
const RELEASED: u64 = u64::MAX;

// ---- the shared `state` word of a lease ----

/// The lease's thread owns the processor (it may be in foreign code, see `sys`).
pub(crate) const OWNED: u32 = 0;
/// The monitor is deciding whether to take the processor (it holds the scheduler lock).
pub(crate) const STEALING: u32 = 1;
/// The processor was taken while the owner was in foreign code; the lease is dead.
pub(crate) const LOST: u32 = 2;
/// [`Procs::resize`] removed this processor; the owner gives it up at its next exit or release.
pub(crate) const RETIRE: u32 = 3;
/// The owner released the processor; the lease is dead.
pub(crate) const CLOSED: u32 = 4;

// ---- the monitor flag read by `enter` ----

/// The monitor thread runs its tick loop (or there is no monitor): `enter` does nothing more.
pub(crate) const MON_RUNNING: u32 = 0;
/// The monitor sleeps until woken: the next `enter` wakes it.
pub(crate) const MON_SLEEPING: u32 = 1;
/// The monitor thread has not been started: the first `enter` starts it.
pub(crate) const MON_NOT_STARTED: u32 = 2;

#[cfg(not(loom))]
thread_local! {
    static THREAD_CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}
#[cfg(loom)]
thread_local! {
    static THREAD_CALLS: std::cell::Cell<u64> = std::cell::Cell::new(0);
}

/// Adds one to the calling thread's [`thread_calls`].
///
/// Never inlined: `enter` is inlined into its callers, and a caller may be a green
/// thread of a runtime that continues on another OS thread after a switch. Inlined, the
/// compiler could compute the thread-local's address once, before a loop that both
/// calls and switches (it treats that address as fixed within a function), and later
/// iterations would update the counter of the thread the loop started on: a data race
/// with that thread. A call that writes memory is made anew each time.
#[inline(never)]
fn count_thread_call() {
    THREAD_CALLS.with(|c| c.set(c.get() + 1));
}

/// The calling thread's foreign-call counter ([`thread_calls`]), looked up once.
///
/// [`Processor::enter_raw`] (and every `enter`) finds the counter with a call that
/// cannot be inlined (a green thread may continue on another OS thread after any
/// switch, see `count_thread_call`), which costs 1–2 ns on a path that also switches
/// stacks. A runtime that already looks up per-thread state of its own for each foreign
/// call can keep a `ThreadCalls` there, made once by the thread, and enter with
/// [`Processor::enter_raw_with`] instead: the same accounting, no lookup.
///
/// Neither `Send` nor `Sync`, so it stays on the thread that made it. A runtime whose
/// green threads move between OS threads must not let one keep a `ThreadCalls` across a
/// switch; it reaches the current thread's through state it looks up per call.
///
/// ```
/// use syscall_accounting::{CallKind, NoScheduler, Procs, ThreadCalls, thread_calls};
/// let procs = Procs::new(1, NoScheduler)?;
/// let mut p = procs.acquire();
/// let here = ThreadCalls::current();
/// let before = thread_calls();
/// p.enter_raw_with(CallKind::Lazy, &here);
/// // ... the foreign call ...
/// p.exit();
/// assert_eq!(thread_calls(), before + 1);
/// # Ok::<(), syscall_accounting::Error>(())
/// ```
pub struct ThreadCalls {
    #[cfg(not(loom))]
    cell: core::ptr::NonNull<std::cell::Cell<u64>>,
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl ThreadCalls {
    /// The calling thread's counter.
    pub fn current() -> ThreadCalls {
        ThreadCalls {
            #[cfg(not(loom))]
            cell: THREAD_CALLS.with(|c| core::ptr::NonNull::from(c)),
            _not_send: core::marker::PhantomData,
        }
    }

    #[inline(always)]
    fn bump(&self) {
        #[cfg(not(loom))]
        {
            // SAFETY: `cell` is the THREAD_CALLS of the thread that made this handle,
            // which is the calling thread (neither Send nor Sync); that thread-local is
            // constant-initialised and has no destructor, so its storage lives as long
            // as the thread. Only this thread touches it, through a Cell.
            let c = unsafe { self.cell.as_ref() };
            c.set(c.get() + 1);
        }
        // Loom's thread-locals are not constant-initialised: count through the lookup.
        #[cfg(loom)]
        count_thread_call();
    }
}

impl fmt::Debug for ThreadCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadCalls").finish_non_exhaustive()
    }
}

/// Foreign calls entered by the calling thread so far (through any [`Procs`]).
///
/// This is the per-thread part of [`Stats::calls`]; Go keeps it per M (`m.ncgocall`).
/// It counts [`Processor::enter`], [`Processor::enter_short`] and
/// [`Processor::enter_blocking`] (and their raw forms), not [`Processor::reenter`].
pub fn thread_calls() -> u64 {
    THREAD_CALLS.with(|c| c.get())
}

/// How the monitor may treat a foreign call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// Go's lazy rule: keep the processor; the monitor retakes it if the call is still the
    /// same one after at least one tick and there is other work.
    Lazy,
    /// The call is declared short: the monitor never retakes this processor during it
    /// (the caller promises it returns promptly; a long call starves other work).
    Short,
    /// The call is known to block: the processor is handed on at once, before the call
    /// (Go's `entersyscallblock`). `exit` then takes an idle processor or parks.
    Blocking,
}

/// How [`Processor::exit`] got its processor back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// The same processor as at entry: nobody took it (the fast path, or a retake that
    /// was still undecided and got cancelled).
    Kept,
    /// The processor had been taken (or retired, or given up by `enter_blocking`); an idle
    /// processor was free and is now held. [`Processor::id`] may have changed.
    Idle,
    /// No processor was free: the thread parked until one was released to it.
    Parked,
}

/// Which exclusion protocol runs between `exit` and the monitor's retake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Asymmetric fences: plain stores and a compiler fence on the thread side,
    /// `membarrier(2)` on the monitor side. No locked instruction on the fast path.
    Membarrier,
    /// Portable: `exit` compare-and-swaps the lease state; `enter` has a full fence.
    Cas,
}

/// Which backend [`Config`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendChoice {
    /// [`Backend::Membarrier`] when the kernel offers it (checked once at run time), else
    /// [`Backend::Cas`].
    Auto,
    /// Always [`Backend::Cas`].
    Cas,
}

/// When the monitor retakes a processor from a thread in a [`CallKind::Lazy`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Go's rule: after the same call was seen on two consecutive ticks, if the scheduler
    /// reports other work or a thread is parked waiting for a processor.
    Lazy,
    /// The monitor never retakes (it still counts time in foreign code). Calls that must
    /// hand off use [`Processor::enter_blocking`].
    Never,
}

/// How the monitor thread asks the OS to schedule it (see [`Config::monitor_priority`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MonitorPriority {
    /// An ordinary thread. On Linux it asks the fair scheduler for its shortest slice
    /// (100 µs), which makes its ticks prompt on a machine that is not loaded. On a loaded
    /// machine with per-session group scheduling (Linux autogroups, cgroups) a tick waits
    /// until the process's *group* is eligible again: right after the process used more
    /// than its share (busy work on another thread) that takes a few milliseconds.
    Normal,
    /// Linux: `SCHED_FIFO` at the lowest real-time priority (1), so each tick runs as soon
    /// as its timer fires, whatever the process or the machine did before. The monitor
    /// only ticks while some thread is in foreign code, and does a few microseconds of
    /// work per tick; the kernel's real-time throttling bounds it regardless. Needs
    /// `CAP_SYS_NICE` or a non-zero `RLIMIT_RTPRIO`; without them (and on other OSes) the
    /// monitor runs as [`MonitorPriority::Normal`] and [`Stats::monitor_realtime`] says so.
    /// The [`Scheduler`] hooks that the monitor calls then run at that priority too (keep
    /// them short, as the trait asks); threads they start are ordinary threads
    /// (`SCHED_RESET_ON_FORK`).
    RealTime,
}

/// Configuration of a [`Procs`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Monitor tick while some thread is in foreign code. Default 20 µs (Go's minimum).
    /// Values below 1 µs are raised to 1 µs. The OS timer decides the real granularity:
    /// about 20 µs on Linux (the monitor asks for a 1 ns timer slack), 1 ms or more on
    /// Windows.
    pub tick: Duration,
    /// Retake policy for lazy calls. Default [`Policy::Lazy`].
    pub policy: Policy,
    /// Consecutive ticks without any thread in foreign code after which the monitor
    /// sleeps until the next `enter` wakes it. Default 50 (about 1 ms).
    pub idle_ticks: u32,
    /// Exclusion protocol. Default [`BackendChoice::Auto`].
    pub backend: BackendChoice,
    /// Start the monitor thread (on the first foreign call). Default true. Without it
    /// nothing is retaken and no time in foreign code is counted.
    pub monitor: bool,
    /// How the monitor thread is scheduled. Default [`MonitorPriority::Normal`].
    pub monitor_priority: MonitorPriority,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tick: Duration::from_micros(20),
            policy: Policy::Lazy,
            idle_ticks: 50,
            backend: BackendChoice::Auto,
            monitor: true,
            monitor_priority: MonitorPriority::Normal,
        }
    }
}

impl Config {
    /// Sets [`Config::tick`].
    pub fn with_tick(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }
    /// Sets [`Config::policy`].
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
    /// Sets [`Config::idle_ticks`].
    pub fn with_idle_ticks(mut self, idle_ticks: u32) -> Self {
        self.idle_ticks = idle_ticks;
        self
    }
    /// Sets [`Config::backend`].
    pub fn with_backend(mut self, backend: BackendChoice) -> Self {
        self.backend = backend;
        self
    }
    /// Sets [`Config::monitor`].
    pub fn with_monitor(mut self, monitor: bool) -> Self {
        self.monitor = monitor;
        self
    }
    /// Sets [`Config::monitor_priority`].
    pub fn with_monitor_priority(mut self, priority: MonitorPriority) -> Self {
        self.monitor_priority = priority;
        self
    }
}

/// Errors of [`Procs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A processor count of zero was asked for.
    ZeroProcessors,
    /// More processors than the crate supports (`u32::MAX`).
    TooManyProcessors(usize),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroProcessors => f.write_str(
                "syscall-accounting: a processor count of 0 was given; at least 1 processor is needed",
            ),
            Error::TooManyProcessors(n) => write!(
                f,
                "syscall-accounting: {n} processors asked for; at most {} are supported",
                u32::MAX
            ),
        }
    }
}

impl std::error::Error for Error {}

/// A snapshot of the counters, from [`Procs::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Foreign calls entered (Go's `runtime.NumCgoCall`); `reenter` is not counted.
    pub calls: u64,
    /// Processors the monitor took from threads in foreign code.
    pub retakes: u64,
    /// Processors given up at once by [`Processor::enter_blocking`].
    pub blocking_handoffs: u64,
    /// Processors passed to [`Scheduler::handoff`].
    pub handoffs: u64,
    /// Calls of [`Scheduler::wake_idle`].
    pub wakes: u64,
    /// Exits whose processor was gone and that took an idle one.
    pub exits_idle: u64,
    /// Exits that parked until a processor was released to them.
    pub exit_parks: u64,
    /// [`Procs::acquire`] calls that parked.
    pub acquire_parks: u64,
    /// Time spent in foreign code by processor-holding threads, summed over threads,
    /// measured coarsely by the monitor's tick (calls shorter than a tick mostly escape it).
    /// Threads that [returned to foreign code](Processor::return_to_foreign) are not timed.
    pub foreign_time: Duration,
    /// Threads in foreign code whose processor was taken or given up (Go's
    /// `sched.nGsyscallNoP`). Threads that [returned to foreign
    /// code](Processor::return_to_foreign) are not counted.
    pub foreign_without_processor: u64,
    /// Threads in foreign code right now, with or without a processor (Go's
    /// `/sched/goroutines/not-in-go:goroutines`: syscalling `P`s plus `nGsyscallNoP`).
    /// Threads that [returned to foreign code](Processor::return_to_foreign) after a
    /// callback are not counted: no managed code waits for them (Go skips them too).
    pub in_foreign: u64,
    /// Threads that [returned to foreign code](Processor::return_to_foreign) (foreign
    /// threads between callbacks, no managed code on their stack), with or without a
    /// processor. Not part of [`Stats::in_foreign`].
    pub returned_to_foreign: u64,
    /// Threads parked waiting for a processor right now.
    pub waiting: u64,
    /// Processor count (the target after [`Procs::resize`]).
    pub processors: usize,
    /// Idle processors right now.
    pub idle: usize,
    /// Whether the monitor thread is sleeping until the next foreign call (or not started).
    pub monitor_asleep: bool,
    /// Whether the monitor thread runs with real-time priority (asked for with
    /// [`MonitorPriority::RealTime`] and granted by the OS).
    pub monitor_realtime: bool,
}

/// One ownership of one processor by one holder. A processor gets a fresh lease every
/// time it changes hands, so a thread that lost its processor still writes only its own
/// (dead) lease and can never disturb the next owner.
pub(crate) struct Lease {
    /// Written only by the owner, with plain stores:
    /// `(seq << 4) | RETURNED | BLOCKING | NO_HANDOFF | FOREIGN`.
    /// `seq` counts enters and reenters, so two observations of the same odd value mean
    /// "still the same foreign call" (Go's `p.syscalltick` comparison).
    pub(crate) sys: AtomicU64,
    /// Foreign calls entered under this lease; written only by the owner.
    pub(crate) calls: AtomicU64,
    /// `OWNED`, `STEALING`, `LOST`, `RETIRE` or `CLOSED`.
    pub(crate) state: AtomicU32,
    /// The processor index.
    pub(crate) proc: u32,
    /// Unique per lease (never 0): lets the monitor tell leases apart across ticks.
    pub(crate) generation: u64,
}

impl Lease {
    fn calls(&self) -> u64 {
        // Relaxed: a counter read for statistics; no other data depends on it.
        self.calls.load(Ordering::Relaxed)
    }
}

pub(crate) enum Slot {
    Idle,
    Owned(Arc<Lease>),
    Dead,
}

/// A thread waiting for a processor.
pub(crate) struct Waiter {
    parker: Parker,
    grant: Mutex<Option<Arc<Lease>>>,
}

/// Everything under the scheduler lock (Go's `sched.lock`).
pub(crate) struct Sched {
    pub(crate) slots: Vec<Slot>,
    pub(crate) target: usize,
    idle: Vec<u32>,
    pub(crate) waiters: VecDeque<Arc<Waiter>>,
    /// Leases taken while their owner was in foreign code, until the owner returns.
    pub(crate) orphans: Vec<Arc<Lease>>,
    next_gen: u64,
    retired_calls: u64,
    pub(crate) retakes: u64,
    blocking_handoffs: u64,
    handoffs: u64,
    wakes: u64,
    exits_idle: u64,
    exit_parks: u64,
    acquire_parks: u64,
}

impl Sched {
    fn new_lease(&mut self, proc: u32, asym: bool) -> Arc<Lease> {
        let _ = asym;
        self.next_gen += 1;
        let lease = Arc::new(Lease {
            sys: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            state: AtomicU32::new(OWNED),
            proc,
            generation: self.next_gen,
        });
        self.slots[proc as usize] = Slot::Owned(lease.clone());
        lease
    }

    fn take_idle(&mut self, asym: bool) -> Option<Arc<Lease>> {
        let id = self.idle.pop()?;
        Some(self.new_lease(id, asym))
    }

    fn fold(&mut self, lease: &Arc<Lease>) {
        self.retired_calls += lease.calls();
    }

    fn remove_orphan(&mut self, lease: &Arc<Lease>) {
        if let Some(i) = self.orphans.iter().position(|o| Arc::ptr_eq(o, lease)) {
            self.orphans.swap_remove(i);
        }
    }
}

/// What to do once the scheduler lock is dropped.
pub(crate) enum After {
    Nothing,
    /// A parked thread was granted a processor.
    Unpark(Arc<Waiter>),
    /// Give this lease to the scheduler.
    Handoff(Arc<Lease>),
    /// A processor went idle: wake an idle thread if there is work.
    WentIdle,
}

pub(crate) struct Shared {
    /// `MON_RUNNING`, `MON_SLEEPING` or `MON_NOT_STARTED`; read by every `enter`.
    pub(crate) monitor_flag: AtomicU32,
    /// The exclusion protocol (fixed at creation).
    pub(crate) asym: bool,
    pub(crate) sched: Mutex<Sched>,
    pub(crate) hooks: Box<dyn Scheduler>,
    pub(crate) config: Config,
    pub(crate) ctl: Arc<MonitorCtl>,
    /// Nanoseconds in foreign code, written only by the monitor.
    pub(crate) foreign_nanos: AtomicU64,
    /// Whether the monitor thread got real-time priority; written only by the monitor.
    pub(crate) monitor_realtime: AtomicU32,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.ctl.stop();
    }
}

impl Shared {
    /// Gives processor `id` (no longer owned by anyone) to the longest-waiting parked
    /// thread, else to the scheduler when `work`, else to the idle list.
    pub(crate) fn place(&self, s: &mut Sched, id: u32, work: bool) -> After {
        if id as usize >= s.target {
            s.slots[id as usize] = Slot::Dead;
            return After::Nothing;
        }
        if let Some(w) = s.waiters.pop_front() {
            let lease = s.new_lease(id, self.asym);
            *lock(&w.grant) = Some(lease);
            return After::Unpark(w);
        }
        if work {
            let lease = s.new_lease(id, self.asym);
            s.handoffs += 1;
            return After::Handoff(lease);
        }
        s.slots[id as usize] = Slot::Idle;
        s.idle.push(id);
        After::WentIdle
    }

    /// Carries out `after` (no lock held).
    pub(crate) fn finish(this: &Arc<Self>, after: After) {
        match after {
            After::Nothing => {}
            After::Unpark(w) => w.parker.unpark(),
            After::Handoff(lease) => {
                let p = Processor::from_lease(lease, this.clone());
                this.hooks.handoff(p);
            }
            After::WentIdle => {
                if this.hooks.has_work() {
                    lock(&this.sched).wakes += 1;
                    this.hooks.wake_idle();
                }
            }
        }
    }

    /// Blocks until a processor is granted; `s` is the held scheduler lock.
    fn wait_for_processor(&self, mut s: MutexGuard<'_, Sched>, exit: bool) -> Arc<Lease> {
        let w = Arc::new(Waiter {
            parker: Parker::new(),
            grant: Mutex::new(None),
        });
        s.waiters.push_back(w.clone());
        if exit {
            s.exit_parks += 1;
        } else {
            s.acquire_parks += 1;
        }
        drop(s);
        loop {
            w.parker.park();
            if let Some(lease) = lock(&w.grant).take() {
                return lease;
            }
        }
    }

    /// The slow part of `enter`: start or wake the monitor.
    #[cold]
    #[inline(never)]
    fn wake_monitor(this: &Arc<Self>) {
        // Relaxed on failure and success: the flag carries no data; the monitor re-reads
        // every lease after it wakes, under the scheduler lock.
        if this
            .monitor_flag
            .compare_exchange(
                MON_NOT_STARTED,
                MON_RUNNING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            crate::monitor::start(this);
        } else if this
            .monitor_flag
            .compare_exchange(
                MON_SLEEPING,
                MON_RUNNING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            this.ctl.wake();
        }
    }

    /// The heavy side of the fence pair (see the crate docs).
    pub(crate) fn heavy_fence(&self) {
        if self.asym {
            #[cfg(loom)]
            fence(Ordering::SeqCst);
            #[cfg(not(loom))]
            HeavyFence::heavy();
        } else {
            // SeqCst: the CAS backend's `enter` pairs a SeqCst fence with this one
            // (store sys; fence | store flag; fence; load sys): the classic store-buffering
            // pattern, which needs SeqCst fences on both sides.
            fence(Ordering::SeqCst);
        }
    }
}

/// The set of processor tokens, like Go's `allp` with `GOMAXPROCS`.
///
/// Cloning gives another handle to the same set. See the crate docs for the protocol.
#[derive(Clone)]
pub struct Procs {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Procs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Procs")
            .field("backend", &self.backend())
            .field("stats", &self.stats())
            .finish()
    }
}

impl Procs {
    /// `n` processors, default [`Config`], `hooks` as the scheduler.
    ///
    /// # Errors
    /// [`Error::ZeroProcessors`] for `n == 0`, [`Error::TooManyProcessors`] above `u32::MAX`.
    pub fn new(n: usize, hooks: impl Scheduler + 'static) -> Result<Procs, Error> {
        Procs::with_config(n, hooks, Config::default())
    }

    /// `n` processors with an explicit configuration.
    ///
    /// # Errors
    /// As [`Procs::new`].
    pub fn with_config(
        n: usize,
        hooks: impl Scheduler + 'static,
        config: Config,
    ) -> Result<Procs, Error> {
        check_count(n)?;
        let asym = match config.backend {
            BackendChoice::Cas => false,
            BackendChoice::Auto => !cfg!(loom) && HeavyFence::available(),
        };
        Ok(Procs::build(n, Box::new(hooks), config, asym))
    }

    /// Builds with an explicit backend (loom models use the asymmetric one, whose heavy
    /// fence is modelled as a `SeqCst` fence there).
    pub(crate) fn build(n: usize, hooks: Box<dyn Scheduler>, config: Config, asym: bool) -> Procs {
        let sched = Sched {
            slots: (0..n).map(|_| Slot::Idle).collect(),
            target: n,
            idle: (0..n as u32).rev().collect(),
            waiters: VecDeque::new(),
            orphans: Vec::new(),
            next_gen: 0,
            retired_calls: 0,
            retakes: 0,
            blocking_handoffs: 0,
            handoffs: 0,
            wakes: 0,
            exits_idle: 0,
            exit_parks: 0,
            acquire_parks: 0,
        };
        let flag = if config.monitor {
            MON_NOT_STARTED
        } else {
            MON_RUNNING
        };
        Procs {
            shared: Arc::new(Shared {
                monitor_flag: AtomicU32::new(flag),
                asym,
                sched: Mutex::new(sched),
                hooks,
                config,
                ctl: Arc::new(MonitorCtl::new()),
                foreign_nanos: AtomicU64::new(0),
                monitor_realtime: AtomicU32::new(0),
            }),
        }
    }

    /// The exclusion protocol in use.
    pub fn backend(&self) -> Backend {
        if self.shared.asym {
            Backend::Membarrier
        } else {
            Backend::Cas
        }
    }

    /// Takes an idle processor, or parks until one is released (first come, first served
    /// with parked exits).
    ///
    /// # References
    /// Go: `runtime/proc.go`, `pidleget` + `acquirep` (and `stopm` for the wait).
    pub fn acquire(&self) -> Processor {
        let mut s = lock(&self.shared.sched);
        if let Some(lease) = s.take_idle(self.shared.asym) {
            drop(s);
            return Processor::from_lease(lease, self.shared.clone());
        }
        let lease = self.shared.wait_for_processor(s, false);
        Processor::from_lease(lease, self.shared.clone())
    }

    /// Takes an idle processor if there is one.
    pub fn try_acquire(&self) -> Option<Processor> {
        let lease = lock(&self.shared.sched).take_idle(self.shared.asym)?;
        Some(Processor::from_lease(lease, self.shared.clone()))
    }

    /// Sets the processor count, like `runtime.GOMAXPROCS(n)`.
    ///
    /// Growing frees the new processors at once (to parked threads first). Shrinking
    /// removes idle processors at once; a removed processor that is held is given up by
    /// its holder at its next [`Processor::exit`] or release (holders can poll
    /// [`Processor::is_retired`] at their safe points), so the number of holders reaches
    /// `n` as those happen, not instantly (Go stops the world instead).
    ///
    /// # Errors
    /// As [`Procs::new`]; on error nothing changes.
    ///
    /// # References
    /// Go: `runtime/proc.go`, `procresize`.
    pub fn resize(&self, n: usize) -> Result<(), Error> {
        check_count(n)?;
        let sh = &self.shared;
        let mut afters = Vec::new();
        {
            let mut s = lock(&sh.sched);
            let old = s.target;
            s.target = n;
            if n > old {
                while s.slots.len() < n {
                    s.slots.push(Slot::Dead);
                }
                for id in old..n {
                    match &s.slots[id] {
                        Slot::Dead => afters.push(sh.place(&mut s, id as u32, false)),
                        Slot::Owned(lease) => {
                            // Un-retire. Relaxed: the state carries no data. Failure means
                            // the lease is LOST/CLOSED and its slot will be placed under
                            // this lock later, now with `id < target`.
                            let _ = lease.state.compare_exchange(
                                RETIRE,
                                OWNED,
                                Ordering::Relaxed,
                                Ordering::Relaxed,
                            );
                        }
                        Slot::Idle => {}
                    }
                }
            } else {
                for id in n..old.min(s.slots.len()) {
                    match &s.slots[id] {
                        Slot::Idle => {
                            s.idle.retain(|&i| i as usize != id);
                            s.slots[id] = Slot::Dead;
                        }
                        Slot::Owned(lease) => {
                            // Relaxed: the owner only needs to notice eventually. Failure:
                            // LOST or CLOSED, handled by whoever holds the slot next
                            // (it re-checks `target` under this lock). STEALING is
                            // impossible here: the monitor resolves it under this lock.
                            let _ = lease.state.compare_exchange(
                                OWNED,
                                RETIRE,
                                Ordering::Relaxed,
                                Ordering::Relaxed,
                            );
                        }
                        Slot::Dead => {}
                    }
                }
            }
        }
        for a in afters {
            Shared::finish(sh, a);
        }
        Ok(())
    }

    /// The processor count.
    pub fn processors(&self) -> usize {
        lock(&self.shared.sched).target
    }

    /// The counters. Takes the scheduler lock briefly; never stops the threads.
    ///
    /// # References
    /// Go: `runtime/debug.go`, `NumCgoCall`; `runtime/metrics.go`, `/cgo/go-to-c-calls:calls`
    /// and `/sched/goroutines/not-in-go:goroutines`.
    pub fn stats(&self) -> Stats {
        let sh = &self.shared;
        let s = lock(&sh.sched);
        let mut calls = s.retired_calls;
        let mut holders_in_foreign = 0;
        let mut returned = 0;
        for slot in &s.slots {
            if let Slot::Owned(l) = slot {
                calls += l.calls();
                // Relaxed: a statistics read.
                match l.sys.load(Ordering::Relaxed) & (FOREIGN | RETURNED) {
                    FOREIGN => holders_in_foreign += 1,
                    x if x == FOREIGN | RETURNED => returned += 1,
                    _ => {}
                }
            }
        }
        let mut without = 0;
        for o in &s.orphans {
            calls += o.calls();
            // Relaxed: a statistics read.
            match o.sys.load(Ordering::Relaxed) & (FOREIGN | RETURNED) {
                FOREIGN => without += 1,
                x if x == FOREIGN | RETURNED => returned += 1,
                _ => {}
            }
        }
        Stats {
            calls,
            retakes: s.retakes,
            blocking_handoffs: s.blocking_handoffs,
            handoffs: s.handoffs,
            wakes: s.wakes,
            exits_idle: s.exits_idle,
            exit_parks: s.exit_parks,
            acquire_parks: s.acquire_parks,
            // Relaxed: a statistics read of a monitor-written counter.
            foreign_time: Duration::from_nanos(sh.foreign_nanos.load(Ordering::Relaxed)),
            foreign_without_processor: without,
            in_foreign: holders_in_foreign + without,
            returned_to_foreign: returned,
            waiting: s.waiters.len() as u64,
            processors: s.target,
            idle: s.idle.len(),
            // Relaxed: an instantaneous observation.
            monitor_asleep: sh.monitor_flag.load(Ordering::Relaxed) != MON_RUNNING,
            // Relaxed: a flag for reporting, set once by the monitor.
            monitor_realtime: sh.monitor_realtime.load(Ordering::Relaxed) != 0,
        }
    }

    /// A handle that does not keep the processors (and the monitor thread) alive: what a
    /// [`Scheduler`] implementation should store if it needs to reach its `Procs`, to avoid
    /// a reference cycle (`Procs` owns the scheduler).
    #[cfg(not(loom))]
    pub fn downgrade(&self) -> WeakProcs {
        WeakProcs {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Runs one monitor pass on the calling thread (tests and loom models).
    #[cfg(any(test, loom))]
    pub(crate) fn monitor_pass(&self, st: &mut crate::monitor::MonitorState) -> bool {
        Shared::monitor_pass(&self.shared, st)
    }
}

/// A weak handle to a [`Procs`], from [`Procs::downgrade`].
#[cfg(not(loom))]
#[derive(Clone, Debug)]
pub struct WeakProcs {
    shared: std::sync::Weak<Shared>,
}

#[cfg(not(loom))]
impl WeakProcs {
    /// The `Procs`, if any handle or processor still keeps it alive.
    pub fn upgrade(&self) -> Option<Procs> {
        self.shared.upgrade().map(|shared| Procs { shared })
    }
}

fn check_count(n: usize) -> Result<(), Error> {
    if n == 0 {
        return Err(Error::ZeroProcessors);
    }
    if n > u32::MAX as usize {
        return Err(Error::TooManyProcessors(n));
    }
    Ok(())
}

/// Ownership of one processor: the token a thread needs to run managed code.
///
/// Dropping it releases the processor (to a parked thread first, else to the idle list).
/// It may be sent to another thread. See [`Processor::enter`] for foreign calls.
pub struct Processor {
    lease: Arc<Lease>,
    shared: Arc<Shared>,
    /// The last value stored to `lease.sys` (so the fast path never loads it): sequence
    /// number, the kind bits of the last call entered (kept after exit for `reenter`), and
    /// `FOREIGN` while in foreign code.
    word: u64,
    /// Copy of `lease.calls`.
    calls: u64,
    /// Copy of the (immutable) backend choice, next to `word` in the holder's cache.
    asym: bool,
}

impl fmt::Debug for Processor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Processor")
            .field("id", &self.id())
            .field("in_foreign", &self.in_foreign())
            .finish()
    }
}

impl Processor {
    fn from_lease(lease: Arc<Lease>, shared: Arc<Shared>) -> Processor {
        let asym = shared.asym;
        Processor {
            lease,
            shared,
            word: 0,
            calls: 0,
            asym,
        }
    }

    /// The processor index, `0..n`.
    pub fn id(&self) -> usize {
        self.lease.proc as usize
    }

    /// Whether the holder is between an enter and its exit.
    pub fn in_foreign(&self) -> bool {
        self.word & FOREIGN != 0
    }

    /// Whether [`Procs::resize`] removed this processor: the holder should drop it at its
    /// next safe point (an `exit` also gives it up by itself).
    pub fn is_retired(&self) -> bool {
        // Relaxed: advisory; `exit`/drop re-check with the proper protocol.
        self.lease.state.load(Ordering::Relaxed) == RETIRE
    }

    /// The set this processor belongs to.
    pub fn procs(&self) -> Procs {
        Procs {
            shared: self.shared.clone(),
        }
    }

    /// Enters a foreign call (lazy hand-off), returning a guard that exits on drop.
    ///
    /// The fast path is three plain stores (call counters and the lease's `sys` word), a
    /// compiler fence and one load: no lock, no syscall, no allocation, and no locked
    /// instruction with the membarrier backend.
    ///
    /// # Panics
    /// Never in the guarded form (the guard holds the borrow). The raw form panics when
    /// already in foreign code.
    ///
    /// # References
    /// Go: `runtime/proc.go`, `entersyscall` / `reentersyscall`.
    #[inline]
    pub fn enter(&mut self) -> ForeignCall<'_> {
        self.enter_raw(CallKind::Lazy);
        ForeignCall { p: self }
    }

    /// Enters a foreign call declared short: the monitor never retakes the processor.
    #[inline]
    pub fn enter_short(&mut self) -> ForeignCall<'_> {
        self.enter_raw(CallKind::Short);
        ForeignCall { p: self }
    }

    /// Enters a foreign call known to block: the processor is handed on now (to a parked
    /// thread, else to the scheduler if it has work, else to the idle list).
    ///
    /// # References
    /// Go: `runtime/proc.go`, `entersyscallblock`.
    pub fn enter_blocking(&mut self) -> ForeignCall<'_> {
        self.enter_raw(CallKind::Blocking);
        ForeignCall { p: self }
    }

    /// Raw form of [`Processor::enter`] and its variants, for callers that cannot keep a
    /// guard borrowed across the foreign call (a callback layer keeps the processor in a
    /// thread-local while C runs). Must be paired with [`Processor::exit`].
    ///
    /// # Panics
    /// If already in foreign code (`enter` twice without `exit`).
    #[inline]
    pub fn enter_raw(&mut self, kind: CallKind) {
        self.enter_counted(kind, count_thread_call);
    }

    /// [`Processor::enter_raw`], counting the call in [`thread_calls`] through `here`
    /// (the calling thread's counter, looked up once) instead of looking it up.
    ///
    /// # Panics
    /// If already in foreign code (`enter` twice without `exit`).
    #[inline]
    pub fn enter_raw_with(&mut self, kind: CallKind, here: &ThreadCalls) {
        self.enter_counted(kind, || here.bump());
    }

    #[inline(always)]
    fn enter_counted(&mut self, kind: CallKind, count: impl FnOnce()) {
        if self.in_foreign() {
            already_in_foreign(self.id());
        }
        self.calls += 1;
        // Relaxed: the owner is the only writer; readers (stats) want a count, no data.
        self.lease.calls.store(self.calls, Ordering::Relaxed);
        count();
        let bits = match kind {
            CallKind::Lazy => 0,
            CallKind::Short => NO_HANDOFF,
            CallKind::Blocking => BLOCKING,
        };
        self.enter_window(bits);
    }

    /// Re-enters foreign code after a callback ran managed code in the middle of a foreign
    /// call: the call continues with the kind saved by the last enter, and is not counted
    /// again. The callback layer does `exit` → managed code → `reenter`.
    ///
    /// # Panics
    /// If already in foreign code.
    ///
    /// # References
    /// Go: `runtime/proc.go`, `reentersyscall` (as used by `cgocallbackg`).
    #[inline]
    pub fn reenter(&mut self) {
        if self.in_foreign() {
            already_in_foreign(self.id());
        }
        self.enter_window(self.word & KIND_BITS);
    }

    /// Goes (back) to foreign code that the thread itself runs, with no managed code on
    /// its stack: a thread that foreign code created, returning from a callback while it
    /// keeps its processor for the next one. For the monitor this is a lazy call (the
    /// processor is handed on if the thread stays away and other work waits; the next
    /// callback's [`exit`](Processor::exit) then takes one back, parking if needed), but
    /// it is not a foreign call: not counted in [`Stats::calls`] or [`thread_calls`], and
    /// the thread counts in [`Stats::returned_to_foreign`], not in [`Stats::in_foreign`].
    /// Per later callback: [`exit`](Processor::exit) … managed code …
    /// [`reenter`](Processor::reenter) (which keeps this kind) or this method again. When
    /// the thread is done with managed code for good,
    /// [`release_in_foreign`](Processor::release_in_foreign) gives the processor up
    /// without taking one back.
    ///
    /// # Panics
    /// If already in foreign code.
    ///
    /// # References
    /// Go: `runtime/proc.go`, `dropm` and `cgocallbackg` on an extra M (`m.isExtraInC`);
    /// `runtime/testdata/testprogcgo/notingo.go`, `NotInGoMetricCgoCallback`.
    #[inline]
    pub fn return_to_foreign(&mut self) {
        if self.in_foreign() {
            already_in_foreign(self.id());
        }
        self.enter_window(RETURNED);
    }

    /// Ends the current foreign call (if any) *without* taking a processor back, and
    /// releases this processor if the thread still holds it (to a parked thread first,
    /// else to the idle list, waking an idle thread if the scheduler has work). Returns
    /// whether the thread still held it; false when the monitor, an
    /// [`enter_blocking`](Processor::enter_blocking) or a [`Procs::resize`] had already
    /// taken it (then nothing more is released).
    ///
    /// This is what a thread needs when it leaves managed code for good while in foreign
    /// code: a foreign thread whose last callback returned (after
    /// [`return_to_foreign`](Processor::return_to_foreign) or `exit` + `reenter`), or a
    /// foreign call known to outlive its caller. Dropping a [`Processor`] in foreign code
    /// instead exits first, which may wait for a processor only to release it. Not in
    /// foreign code, it is the same as dropping the processor.
    ///
    /// The call, if any, stays counted in [`Stats::calls`]; the thread no longer counts in
    /// [`Stats::in_foreign`] or [`Stats::returned_to_foreign`].
    ///
    /// # References
    /// Go: `runtime/proc.go`, `dropm` (an extra M giving its P back when C no longer needs Go).
    pub fn release_in_foreign(mut self) -> bool {
        if !self.in_foreign() {
            self.release_inner();
            self.word = RELEASED;
            return true;
        }
        let sh = self.shared.clone();
        let mut s = lock(&sh.sched);
        // Leave the call in the lease's own word (the stats and the monitor read it under
        // the scheduler lock). Relaxed: the lock orders it with those readers; a thief
        // cannot be between its `OWNED → STEALING` and its decision here, because the
        // monitor resolves `STEALING` before it unlocks.
        self.word &= !FOREIGN;
        self.lease.sys.store(self.word, Ordering::Relaxed);
        // Relaxed: under the scheduler lock, which every change of a held lease's state
        // except the holder's own cancel (impossible: we are not in `exit`) is made under.
        let st = self.lease.state.load(Ordering::Relaxed);
        let (held, after) = match st {
            OWNED | RETIRE => {
                self.lease.state.store(CLOSED, Ordering::Relaxed);
                s.fold(&self.lease);
                let id = self.lease.proc;
                (true, sh.place(&mut s, id, false))
            }
            LOST => {
                s.remove_orphan(&self.lease);
                s.fold(&self.lease);
                (false, After::Nothing)
            }
            _ => lease_misuse(self.id(), st),
        };
        drop(s);
        Shared::finish(&sh, after);
        self.word = RELEASED;
        held
    }

    #[inline(always)]
    fn enter_window(&mut self, kind_bits: u64) {
        // Next sequence number, this call's kind, in foreign code.
        self.word = ((self.word & !(SEQ_ONE - 1)) + SEQ_ONE) | kind_bits | FOREIGN;
        // Release: everything the holder did under this processor happens-before a thief
        // that reads this value (Acquire) and hands the processor to someone else.
        self.lease.sys.store(self.word, Ordering::Release);
        if kind_bits & BLOCKING != 0 {
            self.give_up();
            return;
        }
        if self.asym {
            light_fence();
        } else {
            // SeqCst: pairs with the monitor's SeqCst fence before it re-reads every lease
            // when it goes to sleep (store-buffering pattern; see `Shared::heavy_fence`).
            fence(Ordering::SeqCst);
        }
        // Relaxed: the flag carries no data; the fence above orders it after the store.
        if self.shared.monitor_flag.load(Ordering::Relaxed) != MON_RUNNING {
            Shared::wake_monitor(&self.shared);
        }
    }

    /// Leaves foreign code and returns how the processor came back (see the guard's
    /// [`ForeignCall::exit`]).
    ///
    /// # Panics
    /// If not in foreign code.
    ///
    /// # References
    /// Go: `runtime/proc.go`, `exitsyscall`, `exitsyscallTryGetP`, `exitsyscallNoP`.
    #[inline]
    pub fn exit(&mut self) -> Exit {
        if !self.in_foreign() {
            not_in_foreign(self.id());
        }
        self.word &= !FOREIGN;
        let lease = &*self.lease;
        // Relaxed: this store carries no data; what matters is its order against the state
        // load below (light fence / CAS), argued in the crate docs.
        lease.sys.store(self.word, Ordering::Relaxed);
        let kept = if self.asym {
            light_fence();
            // Relaxed: OWNED publishes nothing (a cancelled retake wrote no data).
            lease.state.load(Ordering::Relaxed) == OWNED
        } else {
            // Release on success: a thief whose CAS reads this value (Acquire) then sees the
            // `sys` store above, so it cannot also see the call as still running.
            lease
                .state
                .compare_exchange(OWNED, OWNED, Ordering::Release, Ordering::Relaxed)
                .is_ok()
        };
        if kept { Exit::Kept } else { self.exit_slow() }
    }

    #[cold]
    #[inline(never)]
    fn exit_slow(&mut self) -> Exit {
        let sh = self.shared.clone();
        loop {
            // Acquire: pairs with the Relaxed-then-locked transitions only through the
            // scheduler lock; it is here for the CAS below to start from a fresh value.
            let st = self.lease.state.load(Ordering::Acquire);
            match st {
                OWNED => return Exit::Kept,
                STEALING => {
                    // Cancel the undecided retake: we are out of foreign code already, the
                    // monitor's commit CAS will fail. Relaxed: no data changes hands.
                    if self
                        .lease
                        .state
                        .compare_exchange(STEALING, OWNED, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                    {
                        return Exit::Kept;
                    }
                }
                LOST | RETIRE => break,
                _ => lease_misuse(self.id(), st),
            }
        }
        let mut s = lock(&sh.sched);
        // Relaxed: under the scheduler lock, which orders this with resize/retake.
        let st = self.lease.state.load(Ordering::Relaxed);
        let mut after = After::Nothing;
        if st == OWNED {
            // Un-retired by a resize between our look and the lock.
            return Exit::Kept;
        }
        if st == RETIRE {
            // Resize only sets RETIRE under this lock, and un-retires under it too, so the
            // processor is beyond `target` now: give it up.
            self.lease.state.store(CLOSED, Ordering::Relaxed);
            s.fold(&self.lease);
            let id = self.lease.proc;
            after = sh.place(&mut s, id, false);
        } else {
            s.remove_orphan(&self.lease);
            s.fold(&self.lease);
        }
        let (lease, how) = match s.take_idle(sh.asym) {
            Some(l) => {
                s.exits_idle += 1;
                drop(s);
                (l, Exit::Idle)
            }
            None => (sh.wait_for_processor(s, true), Exit::Parked),
        };
        Shared::finish(&sh, after);
        self.lease = lease;
        // A fresh lease: sequence from 0, the call kind kept for a later `reenter`.
        self.word &= KIND_BITS;
        self.calls = 0;
        how
    }

    /// `enter_blocking`: give the processor away while in foreign code.
    #[cold]
    #[inline(never)]
    fn give_up(&mut self) {
        let sh = self.shared.clone();
        // Asked before taking the lock: hooks never run under it (racy by nature, like Go's
        // handoffp reading the run queue).
        let work = sh.hooks.has_work();
        let mut s = lock(&sh.sched);
        let id = self.lease.proc;
        // Under the scheduler lock no retake is undecided (the monitor resolves STEALING
        // before unlocking), so the state is OWNED or RETIRE; either way the lease dies as
        // LOST (the exit's slow path then finds a processor) and the processor is placed
        // (a retired one, beyond `target`, is simply removed). Relaxed: the lock orders it.
        debug_assert!(matches!(
            self.lease.state.load(Ordering::Relaxed),
            OWNED | RETIRE
        ));
        self.lease.state.store(LOST, Ordering::Relaxed);
        s.orphans.push(self.lease.clone());
        s.blocking_handoffs += 1;
        let after = sh.place(&mut s, id, work);
        drop(s);
        Shared::finish(&sh, after);
    }

    fn release_inner(&mut self) {
        if self.in_foreign() {
            self.exit();
        }
        let sh = self.shared.clone();
        let mut s = lock(&sh.sched);
        // Under the lock: OWNED or RETIRE (see `give_up`). Relaxed: the lock orders it.
        let st = self.lease.state.load(Ordering::Relaxed);
        debug_assert!(
            st == OWNED || st == RETIRE,
            "release of a lease in state {st}"
        );
        self.lease.state.store(CLOSED, Ordering::Relaxed);
        s.fold(&self.lease);
        let id = self.lease.proc;
        let after = sh.place(&mut s, id, false);
        drop(s);
        Shared::finish(&sh, after);
    }
}

impl Drop for Processor {
    fn drop(&mut self) {
        if self.word != RELEASED {
            self.release_inner();
        }
    }
}

#[cold]
#[inline(never)]
fn already_in_foreign(id: usize) -> ! {
    panic!(
        "syscall-accounting: enter() on processor {id}, which is already in foreign code; \
         call exit() before entering again"
    )
}

#[cold]
#[inline(never)]
fn not_in_foreign(id: usize) -> ! {
    panic!(
        "syscall-accounting: exit() on processor {id}, which is not in foreign code; \
         call enter() (or reenter()) first"
    )
}

#[cold]
#[inline(never)]
fn lease_misuse(id: usize, st: u32) -> ! {
    panic!("syscall-accounting: internal error: processor {id} lease in state {st} at exit")
}

/// A foreign call in progress: the guard returned by [`Processor::enter`]. Dropping it
/// exits (taking a processor back, parking if none is free).
#[must_use = "dropping the guard exits foreign code at once"]
pub struct ForeignCall<'a> {
    p: &'a mut Processor,
}

impl fmt::Debug for ForeignCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignCall")
            .field("processor", &self.p)
            .finish()
    }
}

impl ForeignCall<'_> {
    /// Leaves foreign code: the fast path takes the same processor back; otherwise an idle
    /// one; otherwise the thread parks until one is released to it (first come, first
    /// served).
    #[inline]
    pub fn exit(self) -> Exit {
        let mut me = std::mem::ManuallyDrop::new(self);
        me.p.exit()
    }

    /// Runs managed code in the middle of the foreign call (a callback): exits, runs `f`
    /// with the processor, and re-enters with the same call kind. If `f` panics the
    /// processor stays in managed code and the guard's drop does nothing more.
    pub fn callback<R>(&mut self, f: impl FnOnce(&mut Processor) -> R) -> R {
        self.p.exit();
        let r = f(self.p);
        self.p.reenter();
        r
    }

    /// The processor (for its [`id`](Processor::id)).
    pub fn processor(&self) -> &Processor {
        self.p
    }
}

impl Drop for ForeignCall<'_> {
    fn drop(&mut self) {
        if self.p.in_foreign() {
            self.p.exit();
        }
    }
}
