//! Timers for [`sleep`](crate::sleep): one thread per runtime wakes sleeping green
//! threads at their deadlines.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use crate::runtime::sched::{Waker, lock};

struct Entry {
    at: Instant,
    seq: u64,
    fired: Arc<AtomicBool>,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

#[derive(Default)]
struct State {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    shutdown: bool,
}

/// A timer thread and its deadline heap.
#[derive(Default)]
pub(crate) struct Timer {
    inner: Arc<(Mutex<State>, Condvar)>,
}

impl Timer {
    pub(crate) fn new() -> Timer {
        Timer::default()
    }

    pub(crate) fn start(&self) -> std::io::Result<()> {
        let inner = self.inner.clone();
        std::thread::Builder::new()
            .name("facade-timer".into())
            .spawn(move || {
                let (m, cv) = &*inner;
                let mut s = lock(m);
                loop {
                    if s.shutdown {
                        return;
                    }
                    let now = Instant::now();
                    match s.heap.peek() {
                        Some(Reverse(e)) if e.at <= now => {
                            let Reverse(e) = s.heap.pop().expect("peeked entry");
                            // Release: the sleeper's Acquire load sees the deadline passed.
                            e.fired.store(true, Ordering::Release);
                            drop(s);
                            e.waker.wake();
                            s = lock(m);
                        }
                        Some(Reverse(e)) => {
                            let d = e.at - now;
                            s = cv.wait_timeout(s, d).unwrap_or_else(|e| e.into_inner()).0;
                        }
                        None => s = cv.wait(s).unwrap_or_else(|e| e.into_inner()),
                    }
                }
            })?;
        Ok(())
    }

    /// Wake `waker` at `at`; `fired` is set just before.
    pub(crate) fn add(&self, at: Instant, fired: Arc<AtomicBool>, waker: Waker) {
        let (m, cv) = &*self.inner;
        let mut s = lock(m);
        s.seq += 1;
        let seq = s.seq;
        let earliest = s.heap.peek().is_none_or(|Reverse(e)| at < e.at);
        s.heap.push(Reverse(Entry {
            at,
            seq,
            fired,
            waker,
        }));
        drop(s);
        if earliest {
            cv.notify_one();
        }
    }

    pub(crate) fn shutdown(&self) {
        let (m, cv) = &*self.inner;
        lock(m).shutdown = true;
        cv.notify_one();
    }
}
