//! Portable implementation: condition-variable parker, no heavy fence (the crate then uses
//! its compare-and-swap protocol). Used on every OS but Linux, and under loom.

use super::{HeavyFenceApi, ParkerApi};
use crate::primitive::{Condvar, Mutex, lock};

pub(crate) struct Parker {
    notified: Mutex<bool>,
    cv: Condvar,
}

impl ParkerApi for Parker {
    fn new() -> Self {
        Parker {
            notified: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    fn park(&self) {
        let mut n = lock(&self.notified);
        while !*n {
            n = match self.cv.wait(n) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
        *n = false;
    }

    fn unpark(&self) {
        *lock(&self.notified) = true;
        self.cv.notify_one();
    }
}

pub(crate) struct HeavyFence;

impl HeavyFenceApi for HeavyFence {
    fn available() -> bool {
        false
    }

    fn heavy() {
        // Never selected when `available()` is false; a full fence keeps it correct anyway.
        crate::primitive::fence(crate::primitive::Ordering::SeqCst);
    }
}
