//! The monitor (Go's `sysmon`, reduced to `retake`): a background thread that hands on
//! processors whose holder stays in the same foreign call.
//!
//! * Started by the first `enter` of a [`Procs`](crate::Procs) (off the fast path: the
//!   flag `enter` reads is not "running" until then).
//! * While any holder is in foreign code it ticks every [`Config::tick`](crate::Config)
//!   (20 µs by default) and never backs off: Go's sysmon doubles its sleep up to 10 ms
//!   after 1 ms of quiet, which is why a hand-off can wait 18 ms there after busy work.
//! * After [`Config::idle_ticks`](crate::Config) ticks with nobody in foreign code it
//!   sleeps without a timeout; the next `enter` wakes it (again off the fast path: the
//!   store-then-load race between "going to sleep" and "entering" is closed by the fence
//!   pair described in the crate docs).
//! * Each tick: time in foreign code is credited (tick length × holders seen in foreign
//!   code), and a holder seen in the same lazy call on two consecutive ticks is retaken
//!   if the scheduler has other work or a thread waits for a processor.

use std::time::Instant;

use crate::primitive::{Arc, Condvar, Mutex, Ordering, lock};
use crate::procs::{
    FOREIGN, LOST, Lease, MON_RUNNING, MON_SLEEPING, NO_HANDOFF, OWNED, Policy, RETURNED, STEALING,
    Shared, Slot,
};

/// Sleep/wake/stop handshake with the monitor thread; kept apart from `Shared` so the
/// monitor can sleep without keeping the processors alive.
pub(crate) struct MonitorCtl {
    m: Mutex<CtlState>,
    cv: Condvar,
}

struct CtlState {
    woken: bool,
    stop: bool,
    /// The monitor thread, once started (joined by tests).
    #[cfg(not(loom))]
    #[cfg_attr(not(test), allow(dead_code))]
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MonitorCtl {
    pub(crate) fn new() -> Self {
        MonitorCtl {
            m: Mutex::new(CtlState {
                woken: false,
                stop: false,
                #[cfg(not(loom))]
                thread: None,
            }),
            cv: Condvar::new(),
        }
    }

    pub(crate) fn wake(&self) {
        lock(&self.m).woken = true;
        self.cv.notify_one();
    }

    pub(crate) fn stop(&self) {
        lock(&self.m).stop = true;
        self.cv.notify_one();
    }

    /// Sleeps until woken or stopped; returns false when stopped.
    #[cfg_attr(loom, allow(dead_code))]
    fn sleep(&self) -> bool {
        let mut g = lock(&self.m);
        while !g.woken && !g.stop {
            g = match self.cv.wait(g) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
        g.woken = false;
        !g.stop
    }

    #[cfg_attr(loom, allow(dead_code))]
    fn stopped(&self) -> bool {
        lock(&self.m).stop
    }
}

/// What the monitor remembers between ticks.
#[derive(Default)]
pub(crate) struct MonitorState {
    /// Per slot: (lease generation, sys word) seen at the last tick; generation 0 = none.
    obs: Vec<(u64, u64)>,
    last: Option<Instant>,
    /// Retake candidates of this tick (kept to reuse the allocation).
    cands: Vec<(usize, Arc<Lease>, u64)>,
    /// Consecutive ticks with nobody in foreign code.
    pub(crate) quiet: u32,
    /// Set by a pass that saw a lazy call for the first time: the next pass decides
    /// whether it is retaken.
    pub(crate) fresh: bool,
}

impl Shared {
    /// One monitor tick. Returns whether some holder was in foreign code.
    pub(crate) fn monitor_pass(this_arc: &Arc<Shared>, st: &mut MonitorState) -> bool {
        let this: &Shared = this_arc;
        let now = Instant::now();
        let dt = st
            .last
            .map_or(0, |l| now.duration_since(l).as_nanos() as u64);
        st.last = Some(now);
        let lazy = this.config.policy == Policy::Lazy;
        let mut in_foreign = 0u64;
        // Holders in foreign calls of managed code (not threads returned to their own).
        let mut timed = 0u64;
        let waiting;
        st.fresh = false;
        {
            let s = lock(&this.sched);
            st.obs.resize(s.slots.len(), (0, 0));
            for (i, slot) in s.slots.iter().enumerate() {
                let Slot::Owned(lease) = slot else {
                    st.obs[i] = (0, 0);
                    continue;
                };
                // Acquire: pairs with the holder's Release store in `enter`; a retake based
                // on this value then happens-after everything the holder did before.
                let sys = lease.sys.load(Ordering::Acquire);
                if sys & FOREIGN == 0 {
                    st.obs[i] = (0, 0);
                    continue;
                }
                in_foreign += 1;
                if sys & RETURNED == 0 {
                    timed += 1;
                }
                let seen = (lease.generation, sys);
                if lazy && sys & NO_HANDOFF == 0 {
                    if st.obs[i] == seen {
                        st.cands.push((i, lease.clone(), sys));
                    } else {
                        st.fresh = true;
                    }
                }
                st.obs[i] = seen;
            }
            waiting = !s.waiters.is_empty();
        }
        if timed > 0 && dt > 0 {
            // Relaxed: only the monitor writes it; readers want a number.
            this.foreign_nanos.fetch_add(dt * timed, Ordering::Relaxed);
        }
        if !st.cands.is_empty() {
            // Go's rule: retake when there is other work (run queue) or someone waits for a
            // processor (an exiting goroutine in Go's global run queue).
            let has_work = this.hooks.has_work();
            if waiting || has_work {
                for (i, lease, sys) in st.cands.drain(..) {
                    if Shared::retake(this_arc, &lease, sys, has_work) {
                        st.obs[i] = (0, 0);
                    }
                }
            }
            st.cands.clear();
        }
        if in_foreign > 0 {
            st.quiet = 0;
        } else {
            st.quiet = st.quiet.saturating_add(1);
        }
        in_foreign > 0
    }

    /// Tries to take `lease`'s processor, still seen in foreign call `sys`. Returns
    /// whether it did (the processor was then placed: to a parked thread, else to the
    /// scheduler when `has_work`, else to the idle list).
    ///
    /// # References
    /// Go: `runtime/proc.go`, `retake`, `setBlockOnExitSyscall`, `takeP`, `handoffp`.
    pub(crate) fn retake(this: &Arc<Shared>, lease: &Arc<Lease>, sys: u64, has_work: bool) -> bool {
        let mut s = lock(&this.sched);
        // Acquire (CAS backend): if this CAS reads the value written by the holder's exit
        // CAS (Release), the holder's `sys` store before it is visible below. The
        // membarrier backend relies on the heavy fence instead (Acquire is free there).
        if lease
            .state
            .compare_exchange(OWNED, STEALING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        this.heavy_fence();
        // Acquire: pairs with the holder's Release store in `enter` (see `monitor_pass`).
        let now = lease.sys.load(Ordering::Acquire);
        if now != sys {
            // The holder left the call (and maybe entered another): give the state back.
            // Relaxed: no data; failure means the holder already cancelled.
            let _ =
                lease
                    .state
                    .compare_exchange(STEALING, OWNED, Ordering::Relaxed, Ordering::Relaxed);
            return false;
        }
        // Commit, unless the holder cancelled in between. Relaxed: the processor's data was
        // published by the `enter` store read above; the new holder gets it through the
        // scheduler lock / parker below.
        if lease
            .state
            .compare_exchange(STEALING, LOST, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        s.orphans.push(lease.clone());
        s.retakes += 1;
        // To a parked thread first; else to the scheduler if it has work; else idle (the
        // waiter that motivated the retake was served meanwhile).
        let after = this.place(&mut s, lease.proc, has_work);
        drop(s);
        Shared::finish(this, after);
        true
    }

    /// Prepares to sleep without a timeout: announces it, then re-reads every lease after
    /// the heavy fence. Returns false (and stays running) if a holder is in foreign code.
    pub(crate) fn prepare_sleep(&self) -> bool {
        // Relaxed: ordered before the lease reads by the heavy fence.
        self.monitor_flag.store(MON_SLEEPING, Ordering::Relaxed);
        self.heavy_fence();
        let busy = {
            let s = lock(&self.sched);
            s.slots.iter().any(|slot| match slot {
                // Relaxed: ordered after the flag store by the heavy fence.
                Slot::Owned(l) => l.sys.load(Ordering::Relaxed) & FOREIGN != 0,
                _ => false,
            })
        };
        if busy {
            // Failure: an `enter` saw SLEEPING and is waking us (a spurious wake later).
            let _ = self.monitor_flag.compare_exchange(
                MON_SLEEPING,
                MON_RUNNING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            return false;
        }
        true
    }
}

// Unused state names are part of the protocol vocabulary documented in `procs`.
const _: u32 = LOST;

/// Starts the monitor thread for `shared`.
#[cfg(not(loom))]
pub(crate) fn start(shared: &Arc<Shared>) {
    let weak = Arc::downgrade(shared);
    let ctl = shared.ctl.clone();
    let r = std::thread::Builder::new()
        .name("syscall-monitor".into())
        .spawn(move || run(weak, ctl));
    match r {
        Ok(h) => lock(&shared.ctl.m).thread = Some(h),
        Err(e) => panic!(
            "syscall-accounting: cannot start the monitor thread ({e}); without it processors \
             blocked in foreign code are never handed on"
        ),
    }
}

/// The monitor thread handle, if started (tests).
#[cfg(all(test, not(loom)))]
pub(crate) fn take_thread(ctl: &MonitorCtl) -> Option<std::thread::JoinHandle<()>> {
    lock(&ctl.m).thread.take()
}

#[cfg(loom)]
pub(crate) fn start(_shared: &Arc<Shared>) {
    unreachable!("loom models run monitor passes by hand (Config::monitor = false)")
}

/// The longest tick the monitor spins through instead of sleeping (see `run`).
#[cfg(not(loom))]
const SPIN_MAX_TICK: std::time::Duration = std::time::Duration::from_micros(100);

#[cfg(not(loom))]
fn run(weak: std::sync::Weak<Shared>, ctl: Arc<MonitorCtl>) {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes an integer and changes only this thread's timer
    // slack (1 ns, so a 20 µs tick sleeps about 20 µs instead of 70 µs).
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
    #[cfg(target_os = "linux")]
    prefer_short_slices();
    if let Some(shared) = weak.upgrade()
        && shared.config.monitor_priority == crate::MonitorPriority::RealTime
        && become_realtime()
    {
        // Relaxed: a flag read by `stats` for reporting only.
        shared.monitor_realtime.store(1, Ordering::Relaxed);
    }
    let mut st = MonitorState::default();
    // A tick after which a newly seen call may be retaken is waited for by spinning,
    // not sleeping, within a budget (below).
    let mut spin_credit = std::time::Duration::ZERO;
    loop {
        let Some(shared) = weak.upgrade() else { return };
        let pass_start = Instant::now();
        Shared::monitor_pass(&shared, &mut st);
        let tick = shared.config.tick.max(std::time::Duration::from_micros(1));
        if st.quiet >= shared.config.idle_ticks && shared.prepare_sleep() {
            drop(shared);
            if !ctl.sleep() {
                return;
            }
            st.quiet = 0;
            st.last = None;
            // The call that woke us is seen next pass: let it always be spun for.
            spin_credit = spin_credit.max(tick);
            continue;
        }
        drop(shared);
        if ctl.stopped() {
            return;
        }
        // A pass that saw a call for the first time is followed by the one that may
        // retake it, so the tick between them is the hand-off latency of a call that
        // blocks at once. A sleep of one 20 µs tick lasts about 40 µs on a virtual
        // machine (timer and wake-up overhead, even with 1 ns slack and real-time
        // priority); spinning keeps it one tick. Spinning is bounded: for the call that woke
        // the monitor (wake-ups only follow `idle_ticks` quiet ticks) always, otherwise from a credit
        // that grows by an eighth of a tick per tick, so a monitor kept busy by a stream
        // of calls spins at most about one tick in eight.
        // Only short ticks are spun: a sleep's overshoot matters little to a long one.
        spin_credit = (spin_credit + tick / 8).min(tick * 4);
        let spin = tick <= SPIN_MAX_TICK && st.fresh && spin_credit >= tick;
        if spin {
            spin_credit -= tick;
            while pass_start.elapsed() < tick {
                std::hint::spin_loop();
            }
        } else {
            std::thread::sleep(tick);
        }
    }
}

/// Switches the calling thread to `SCHED_FIFO` priority 1; false if not permitted.
/// `SCHED_RESET_ON_FORK`: threads that scheduler hooks start from the monitor thread
/// (a hand-off starting a worker) are ordinary threads again.
#[cfg(all(target_os = "linux", not(loom)))]
fn become_realtime() -> bool {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: pid 0 names the calling thread on Linux (the policy is per thread);
    // `param` is a live, initialised `sched_param` the call only reads.
    let r = unsafe {
        libc::sched_setscheduler(0, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, &param)
    };
    if std::env::var_os("SYSCALL_ACCOUNTING_DEBUG").is_some() {
        eprintln!(
            "syscall-accounting: monitor SCHED_FIFO -> {r} {}",
            std::io::Error::last_os_error()
        );
    }
    r == 0
}

/// Real-time priority is only implemented on Linux.
#[cfg(all(not(target_os = "linux"), not(loom)))]
fn become_realtime() -> bool {
    false
}

/// Asks the kernel's fair scheduler (EEVDF, Linux 6.6+) for a short time slice for the
/// monitor thread. A task with a short slice gets an early virtual deadline, so when it
/// wakes for a tick it runs promptly even on a loaded machine, without any privilege and
/// without taking more CPU than its fair share. Older kernels reject or ignore the request;
/// the monitor then works as before, only with more scheduling delay under load.
#[cfg(all(target_os = "linux", not(loom)))]
fn prefer_short_slices() {
    #[repr(C)]
    struct SchedAttr {
        size: u32,
        policy: u32,
        flags: u64,
        nice: i32,
        priority: u32,
        runtime: u64,
        deadline: u64,
        period: u64,
        util_min: u32,
        util_max: u32,
    }
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: libc::SCHED_OTHER as u32,
        flags: 0,
        nice: 0,
        priority: 0,
        // The smallest slice the kernel accepts (100 µs).
        runtime: 100_000,
        deadline: 0,
        period: 0,
        util_min: 0,
        util_max: 0,
    };
    // SAFETY: sched_setattr(0 = this thread, attr, flags 0) reads `size` bytes of `attr`,
    // a live, initialised #[repr(C)] struct laid out like the kernel's `struct sched_attr`.
    let r = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0u32) };
    if std::env::var_os("SYSCALL_ACCOUNTING_DEBUG").is_some() {
        eprintln!(
            "syscall-accounting: monitor sched_setattr slice 100us -> {r} {}",
            std::io::Error::last_os_error()
        );
    }
}
