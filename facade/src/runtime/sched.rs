//! The scheduler: run queue, worker threads, green threads and their park/unpark.
//!
//! Go's names map onto this module as follows: a worker thread is an *M*, a
//! processor token (from `syscall-accounting`, through `adapt::procs`) is a *P*, a
//! green thread ([`Task`]) is a *G*. A worker runs green threads only while it holds
//! a processor. Scheduling is cooperative: a green thread runs until it yields
//! ([`yield_now`](crate::yield_now)), waits (join, channel, sleep) or ends.

use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

use crate::adapt::check::{self, Checker};
use callback::RuntimeThread;

use crate::adapt::context::{Fiber, Resumed, StackPool, Suspender, register_worker};
use crate::adapt::procs::{self, Processor, Procs, Scheduler};
use crate::runtime::Config;
use crate::runtime::timer::Timer;

/// Lock a mutex, ignoring poisoning: the scheduler's critical sections never panic
/// half-way, so the data is consistent even if some unrelated holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// Green threads

const EMPTY: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// A green thread.
pub(crate) struct Task {
    /// Park protocol: EMPTY (running or runnable), NOTIFIED (an unpark arrived while
    /// it was not parked), PARKED (switched out, waiting for an unpark).
    state: AtomicU8,
    /// The context. Touched only by the one worker that currently runs the task (the
    /// run queue hands a task to exactly one worker at a time).
    fiber: UnsafeCell<Option<Fiber>>,
    /// Set on the first resume; used by the task itself to switch out.
    suspender: Cell<Option<Suspender>>,
    /// Lock count to the current worker thread (a callback's C frames sit on that
    /// thread's stack): while non-zero the task never switches out; its switch points
    /// wait on the OS thread instead (see `export`).
    pub(crate) locked: Cell<u32>,
    shared: Arc<Shared>,
}

// SAFETY: the `UnsafeCell`/`Cell` fields are only accessed by the worker that runs
// the task (or by the task itself, on that worker); the run queue's mutex and the
// park protocol's atomics order hand-overs between workers.
unsafe impl Send for Task {}
// SAFETY: as above; other threads only touch `state` (atomic) and `shared`.
unsafe impl Sync for Task {}

/// Something to wake: a green thread or a plain OS thread.
pub(crate) enum Waker {
    Green(Arc<Task>),
    Os(std::thread::Thread),
}

impl Waker {
    /// The waker for the calling context.
    pub(crate) fn current() -> Waker {
        match current_task() {
            Some(t) if t.locked.get() == 0 => Waker::Green(t),
            _ => Waker::Os(std::thread::current()),
        }
    }

    pub(crate) fn wake(self) {
        match self {
            Waker::Green(t) => unpark(t),
            Waker::Os(th) => th.unpark(),
        }
    }
}

/// Park the calling context until woken. Spurious returns are possible: callers
/// re-check their condition in a loop.
pub(crate) fn park() {
    match current_local() {
        Some(local) if !local.current.get().is_null() => {
            // SAFETY: `current` is the task this worker is running (us); the worker
            // keeps its Arc alive while it runs.
            let task = unsafe { &*local.current.get() };
            if task.locked.get() != 0 {
                // Locked under a callback: its waker is the OS thread (`Waker::current`).
                std::thread::park();
                return;
            }
            if task
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
            local.reason.set(Reason::Park);
            switch_out(task);
        }
        _ => std::thread::park(),
    }
}

fn unpark(task: Arc<Task>) {
    // AcqRel: Release publishes the waker's writes to the woken task; Acquire pairs
    // with the scheduler's store of PARKED so we see the task fully switched out.
    if task.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
        task.state.store(EMPTY, Ordering::Relaxed);
        let shared = task.shared.clone();
        shared.push(task);
    }
}

/// Switch from the running task back to its worker.
fn switch_out(task: &Task) {
    let s = task
        .suspender
        .get()
        .expect("facade: task switched out before its first resume");
    // SAFETY: we are running on `task`'s fiber (it is the worker's current task and
    // this code runs on it), which owns `s`.
    unsafe { s.suspend() }
}

/// Yield the processor to other green threads (a switch point).
pub(crate) fn yield_green() -> bool {
    match current_local() {
        Some(local) if !local.current.get().is_null() => {
            // SAFETY: see `park`.
            let task = unsafe { &*local.current.get() };
            if task.locked.get() != 0 {
                // Locked under a callback: the C frames below must stay on this thread.
                return false;
            }
            local.reason.set(Reason::Yield);
            switch_out(task);
            true
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Worker threads

#[derive(Clone, Copy)]
pub(crate) enum Reason {
    Yield,
    Park,
}

/// State of one worker thread, reachable through a thread-local.
pub(crate) struct WorkerLocal {
    pub(crate) shared: Arc<Shared>,
    /// Worker id, ≥ 1 (0 means "nobody" in the ownership table).
    pub(crate) id: usize,
    /// The processor this worker holds. Only this worker thread touches it (the
    /// scheduler loop, or a green thread running on this worker).
    pub(crate) proc: UnsafeCell<Option<Processor>>,
    /// The task running now, or null while on the scheduler loop.
    pub(crate) current: Cell<*const Task>,
    /// The `#[nocallback]` C function the running green thread is inside, if any
    /// (see `foreign::nocallback_function`). Kept here, reached through the
    /// worker pointer the call path has already looked up, rather than in a
    /// thread-local of its own: an inlined thread-local access in a green thread's
    /// code can name the thread it ran on before its last switch (see
    /// `current_local`).
    pub(crate) nocallback: Cell<Option<&'static callback::ForeignFn>>,
    reason: Cell<Reason>,
    /// This worker thread's handles, looked up once: its switching state (for resuming
    /// green threads, and for the system-stack switch of a foreign call made by the
    /// green thread running here, which reaches it through this worker state, looked up
    /// anew for each call), its foreign-call counter, and its `callback` context (for
    /// the record of a foreign call, and for a callback from C during one).
    pub(crate) thread: RuntimeThread,
}

stackswitch::thread_slot! {
    /// The worker state of this thread, or null. A `stackswitch::thread_slot!`, not a
    /// `thread_local!`: a green thread can migrate between workers at every switch, and
    /// a thread-local address cached across a switch would name the old worker's slot
    /// (the compiler treats a thread-local's address as fixed within a function, and may
    /// compute it once before a loop that switches); each read of a slot is made where
    /// it is written, without a call on x86_64 Linux.
    static LOCAL: *const WorkerLocal = "facade_worker_local";
}

/// The calling thread's worker state, if it is a runtime worker (see [`LOCAL`]).
#[inline(always)]
pub(crate) fn current_local() -> Option<&'static WorkerLocal> {
    let p = LOCAL.get();
    // SAFETY: a non-null pointer was set by `worker_main` to a `WorkerLocal` that
    // lives in the worker's frame for as long as the thread runs its loop; it is
    // reset to null before that frame ends.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The running green thread, if the caller is one.
pub(crate) fn current_task() -> Option<Arc<Task>> {
    let local = current_local()?;
    let t = local.current.get();
    if t.is_null() {
        return None;
    }
    // SAFETY: `t` came from `Arc::as_ptr` of the Arc the worker holds while the task
    // runs; bumping the count and rebuilding an Arc is then sound.
    unsafe {
        Arc::increment_strong_count(t);
        Some(Arc::from_raw(t))
    }
}

/// The running green thread, if the caller is one (borrowed from its worker).
#[inline]
pub(crate) fn running_task(local: &WorkerLocal) -> Option<&Task> {
    let t = local.current.get();
    // SAFETY: the worker keeps the task's Arc alive while it runs.
    (!t.is_null()).then(|| unsafe { &*t })
}

struct SchedState {
    queue: VecDeque<Arc<Task>>,
    /// Workers waiting on `work` for a task or a handed processor.
    idle_workers: usize,
    /// Processors handed to idle workers by the monitor.
    handed: Vec<Processor>,
    shutdown: bool,
}

/// Everything a runtime's workers share.
pub(crate) struct Shared {
    sched: Mutex<SchedState>,
    work: Condvar,
    pub(crate) procs: Procs,
    pub(crate) pool: StackPool,
    /// Pointer checker: level from the builder; green stacks registered as managed.
    pub(crate) checker: Arc<Checker>,
    pub(crate) config: Config,
    pub(crate) timer: Timer,
    /// Debug check that no processor is ever used by two workers at once: the id
    /// of the worker running Rust code on each processor, 0 when none.
    owners: Box<[AtomicUsize]>,
    next_worker: AtomicUsize,
    pub(crate) spawned: AtomicU64,
    pub(crate) live: AtomicU64,
    pub(crate) worker_threads: AtomicU64,
}

/// The runtime's side of `syscall-accounting`'s scheduler interface. Holds a weak
/// handle: the processor set lives inside `Shared`.
struct Hooks(Weak<Shared>);

impl Shared {
    pub(crate) fn new(config: Config) -> Result<Arc<Shared>, String> {
        let n = config.procs;
        let mut err = None;
        let shared = Arc::new_cyclic(|me: &Weak<Shared>| {
            let procs = match procs::new_procs(
                n,
                config.monitor_tick,
                config.handoff,
                config.realtime_monitor,
                Hooks(me.clone()),
            ) {
                Ok(p) => p,
                Err(e) => {
                    err = Some(e.to_string());
                    // A valid placeholder so the cyclic constructor can finish; the
                    // error is returned below and this runtime is dropped unused.
                    procs::new_procs(
                        1,
                        config.monitor_tick,
                        config.handoff,
                        false,
                        Hooks(Weak::new()),
                    )
                    .expect("one processor is always valid")
                }
            };
            Shared {
                sched: Mutex::new(SchedState {
                    queue: VecDeque::new(),
                    idle_workers: 0,
                    handed: Vec::new(),
                    shutdown: false,
                }),
                work: Condvar::new(),
                procs,
                pool: StackPool::new(config.stack_size, config.stack_pool),
                checker: Arc::new(check::new_checker(
                    config.stack_pool.max(1024) * 4,
                    config.check,
                )),
                timer: Timer::new(),
                owners: (0..n).map(|_| AtomicUsize::new(0)).collect(),
                next_worker: AtomicUsize::new(1),
                spawned: AtomicU64::new(0),
                live: AtomicU64::new(0),
                worker_threads: AtomicU64::new(0),
                config,
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        shared
            .timer
            .start()
            .map_err(|e| format!("cannot start the timer thread: {e}"))?;
        Ok(shared)
    }

    /// Make `task` runnable, and start a worker on a free processor if there is
    /// one (Go's `wakep`). Workers are only woken when a processor is free for
    /// them: waking a worker that then finds every processor busy costs a futex
    /// wake and two context switches for nothing.
    pub(crate) fn push(self: &Arc<Self>, task: Arc<Task>) {
        lock(&self.sched).queue.push_back(task);
        // No lost wake-up when no processor is free now: a processor that becomes
        // free later goes to a parked exit, or `syscall-accounting` asks `has_work`
        // (true: the task is queued) and calls `wake_idle`.
        let Some(p) = self.procs.try_acquire() else {
            return;
        };
        let mut s = lock(&self.sched);
        if s.idle_workers > s.handed.len() {
            s.handed.push(p);
            drop(s);
            self.work.notify_one();
        } else {
            // Not under the lock: a processor must never be dropped (released)
            // while the scheduler lock is held, and starting a thread is slow.
            drop(s);
            self.start_worker(Some(p));
        }
    }

    pub(crate) fn start_worker(self: &Arc<Self>, p: Option<Processor>) {
        let shared = self.clone();
        self.worker_threads.fetch_add(1, Ordering::Relaxed);
        std::thread::Builder::new()
            .name("facade-worker".into())
            // C code runs on this stack: give it what a C thread gets by default
            // (8 MiB on glibc), not Rust's 2 MiB. Only touched pages cost memory.
            .stack_size(8 << 20)
            .spawn(move || worker_main(shared, p))
            .expect("facade: cannot start a worker thread");
    }

    pub(crate) fn shutdown(&self) {
        lock(&self.sched).shutdown = true;
        self.work.notify_all();
        self.timer.shutdown();
    }

    /// Record that worker `me` now runs Rust code on processor `p`; debug builds
    /// assert that no other worker does.
    #[inline]
    pub(crate) fn claim(&self, p: usize, me: usize) {
        if cfg!(debug_assertions) {
            // AcqRel: orders this claim after the previous user's unclaim.
            let prev = self.owners[p].swap(me, Ordering::AcqRel);
            assert!(
                prev == 0,
                "facade: processor {p} taken by worker {me} while worker {prev} uses it"
            );
        }
    }

    /// Whether worker `me` is recorded as running Rust code on `p` (always true in
    /// release builds, which keep no table).
    #[inline]
    pub(crate) fn claimed_by(&self, p: usize, me: usize) -> bool {
        // Acquire: pairs with the AcqRel swaps of `claim`/`unclaim`.
        !cfg!(debug_assertions) || self.owners[p].load(Ordering::Acquire) == me
    }

    /// Record that worker `me` stops running Rust code on `p` (before a foreign
    /// call, or before giving `p` up); debug builds assert it was the user.
    #[inline]
    pub(crate) fn unclaim(&self, p: usize, me: usize) {
        if cfg!(debug_assertions) {
            let prev = self.owners[p].swap(0, Ordering::AcqRel);
            assert!(
                prev == me,
                "facade: processor {p} released by worker {me} but used by worker {prev}"
            );
        }
    }

    pub(crate) fn spawn_task(self: &Arc<Self>, f: Box<dyn FnOnce() + Send>) -> Result<(), String> {
        let entry = Box::new(move |s: Suspender| {
            let local = current_local().expect("facade: green thread started outside a worker");
            let task = running_task(local).expect("facade: green thread started without a task");
            task.suspender.set(Some(s));
            f();
        });
        let fiber = Fiber::new(&self.pool, &self.checker, entry).map_err(|e| e.to_string())?;
        let task = Arc::new(Task {
            state: AtomicU8::new(EMPTY),
            fiber: UnsafeCell::new(Some(fiber)),
            suspender: Cell::new(None),
            locked: Cell::new(0),
            shared: self.clone(),
        });
        self.spawned.fetch_add(1, Ordering::Relaxed);
        self.live.fetch_add(1, Ordering::Relaxed);
        self.push(task);
        Ok(())
    }
}

impl Scheduler for Hooks {
    fn has_work(&self) -> bool {
        self.0
            .upgrade()
            .is_some_and(|sh| !lock(&sh.sched).queue.is_empty())
    }

    fn handoff(&self, p: Processor) {
        let Some(sh) = self.0.upgrade() else { return };
        let mut s = lock(&sh.sched);
        if s.shutdown {
            drop(s);
            drop(p);
            return;
        }
        if s.idle_workers > s.handed.len() {
            s.handed.push(p);
            drop(s);
            sh.work.notify_all();
            return;
        }
        drop(s);
        // No idle worker: start one on this processor (Go's startm).
        sh.start_worker(Some(p));
    }

    fn wake_idle(&self) {
        let Some(sh) = self.0.upgrade() else { return };
        let s = lock(&sh.sched);
        if s.idle_workers > 0 {
            drop(s);
            sh.work.notify_one();
            return;
        }
        drop(s);
        if let Some(p) = sh.procs.try_acquire() {
            sh.start_worker(Some(p));
        }
    }
}

fn worker_main(shared: Arc<Shared>, first: Option<Processor>) {
    // Real system-stack bounds and overflow reporting for C code run here. Without
    // them the worker still works; stack overflows in C are then plain faults.
    let _registration = register_worker().ok();
    let id = shared.next_worker.fetch_add(1, Ordering::Relaxed);
    let local = WorkerLocal {
        shared: shared.clone(),
        id,
        proc: UnsafeCell::new(None),
        current: Cell::new(std::ptr::null()),
        nocallback: Cell::new(None),
        reason: Cell::new(Reason::Yield),
        // SAFETY: kept in this frame, which the thread leaves before it exits.
        thread: unsafe { RuntimeThread::current() }
            .expect("facade: a runtime worker's thread has a foreign thread's context"),
    };
    LOCAL.set(&local);
    let mut p = first.or_else(|| wait_for_work(&shared));
    while let Some(held) = p {
        let pid = held.id();
        shared.claim(pid, id);
        // SAFETY: only this thread touches its worker's processor slot, and no green
        // thread runs on it right now.
        unsafe { *local.proc.get() = Some(held) };
        loop {
            let next = lock(&shared.sched).queue.pop_front();
            let Some(task) = next else { break };
            run(&local, task);
        }
        // SAFETY: as above.
        let held = unsafe { (*local.proc.get()).take() }.expect("worker lost its processor slot");
        shared.unclaim(held.id(), id);
        // Released outside the scheduler lock: the release may call the hooks.
        drop(held);
        p = wait_for_work(&shared);
    }
    LOCAL.set(std::ptr::null());
}

/// Wait (without a processor) until there is work and a processor to run it.
/// Returns `None` on shutdown.
fn wait_for_work(shared: &Shared) -> Option<Processor> {
    let mut s = lock(&shared.sched);
    loop {
        if let Some(p) = s.handed.pop() {
            return Some(p);
        }
        if s.shutdown {
            return None;
        }
        if !s.queue.is_empty() {
            drop(s);
            if let Some(p) = shared.procs.try_acquire() {
                return Some(p);
            }
            s = lock(&shared.sched);
            if !s.handed.is_empty() || s.shutdown {
                continue;
            }
        }
        s.idle_workers += 1;
        s = shared.work.wait(s).unwrap_or_else(|e| e.into_inner());
        s.idle_workers -= 1;
    }
}

fn run(local: &WorkerLocal, mut task: Arc<Task>) {
    loop {
        local.current.set(Arc::as_ptr(&task));
        // SAFETY: this worker took `task` from the run queue (or is re-running the
        // task that just yielded), so no other worker runs it; the fiber is only
        // touched here and by the task itself.
        let fiber = unsafe { &mut *task.fiber.get() };
        let outcome = fiber
            .as_mut()
            .expect("facade: resumed a finished green thread")
            .resume(local.thread.here());
        local.current.set(std::ptr::null());
        let shared = &local.shared;
        match outcome {
            Resumed::Finished => {
                if let Some(f) = fiber.take() {
                    f.recycle(&shared.pool, &shared.checker);
                }
                shared.live.fetch_sub(1, Ordering::Relaxed);
                return;
            }
            Resumed::Suspended => match local.reason.get() {
                Reason::Yield => {
                    // Go's Gosched: to the back of the queue. When nothing else is
                    // runnable the yielder runs again at once, without a round trip
                    // through the queue or waking anyone.
                    let mut s = lock(&shared.sched);
                    if let Some(next) = s.queue.pop_front() {
                        s.queue.push_back(task);
                        task = next;
                    }
                }
                Reason::Park => {
                    // AcqRel: Release lets an unparker that swaps in NOTIFIED and sees
                    // PARKED also see the fiber fully switched out.
                    if task
                        .state
                        .compare_exchange(EMPTY, PARKED, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        return;
                    }
                    // An unpark arrived while switching out: run it again.
                    task.state.store(EMPTY, Ordering::Relaxed);
                }
            },
        }
    }
}
