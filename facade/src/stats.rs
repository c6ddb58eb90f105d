//! Counters: [`stats`] for the whole process, [`Runtime::stats`](crate::Runtime::stats)
//! for one runtime. Reading them never stops a thread.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};

use crate::runtime::sched::{Shared, lock};

/// A snapshot of the runtime counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Foreign calls made by green threads through `c_functions!` wrappers (calls
    /// from plain threads are direct and not counted).
    pub foreign_calls: u64,
    /// Processors handed from a thread in foreign code to another worker: retaken
    /// by the monitor plus given up at once by `#[blocking]` calls.
    pub handoffs: u64,
    /// Of `handoffs`, those the monitor retook.
    pub retakes: u64,
    /// Of `handoffs`, those given up by `#[blocking]` calls.
    pub blocking_handoffs: u64,
    /// Returns from C that found their processor gone and waited for one.
    pub exit_parks: u64,
    /// Green threads started so far.
    pub green_threads_spawned: u64,
    /// Green threads not yet ended.
    pub green_threads_live: u64,
    /// Green-thread stacks kept for reuse right now.
    pub stacks_pooled: u64,
    /// Worker threads started so far (one per processor at start, more when
    /// processors are handed on while workers sit in C).
    pub worker_threads: u64,
    /// Processors (summed over runtimes for [`stats`]).
    pub processors: u64,
    /// Whether the monitor runs at real-time priority
    /// ([`Builder::realtime_monitor`](crate::runtime::Builder::realtime_monitor) asked
    /// for it and the system granted it); for [`stats`], whether every runtime's does.
    pub monitor_realtime: bool,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.foreign_calls += o.foreign_calls;
        self.handoffs += o.handoffs;
        self.retakes += o.retakes;
        self.blocking_handoffs += o.blocking_handoffs;
        self.exit_parks += o.exit_parks;
        self.green_threads_spawned += o.green_threads_spawned;
        self.green_threads_live += o.green_threads_live;
        self.stacks_pooled += o.stacks_pooled;
        self.worker_threads += o.worker_threads;
        self.processors += o.processors;
        self.monitor_realtime &= o.monitor_realtime;
    }
}

static RUNTIMES: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

pub(crate) fn register(shared: &Arc<Shared>) {
    let mut all = lock(&RUNTIMES);
    all.retain(|w| w.strong_count() > 0);
    all.push(Arc::downgrade(shared));
}

pub(crate) fn of(sh: &Shared) -> Stats {
    let p = sh.procs.stats();
    Stats {
        foreign_calls: p.calls,
        handoffs: p.retakes + p.blocking_handoffs,
        retakes: p.retakes,
        blocking_handoffs: p.blocking_handoffs,
        exit_parks: p.exit_parks,
        // Relaxed: statistics reads.
        green_threads_spawned: sh.spawned.load(Ordering::Relaxed),
        green_threads_live: sh.live.load(Ordering::Relaxed),
        stacks_pooled: sh.pool.pooled() as u64,
        worker_threads: sh.worker_threads.load(Ordering::Relaxed),
        processors: p.processors as u64,
        monitor_realtime: p.monitor_realtime,
    }
}

/// The counters of every live runtime of the process, summed.
pub fn stats() -> Stats {
    let all: Vec<Arc<Shared>> = lock(&RUNTIMES).iter().filter_map(Weak::upgrade).collect();
    let mut total = Stats {
        monitor_realtime: !all.is_empty(),
        ..Stats::default()
    };
    for sh in &all {
        total.add(&of(sh));
    }
    total
}
