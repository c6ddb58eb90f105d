//! The spare list of extra contexts, with Go's lock-bit protocol and waiter count.
//!
//! The list head is one word: `0` = empty, `1` = locked (the "lock bit" sentinel), any
//! other value = the first context, linked through [`ThreadContext::next`]. Taking the
//! list is a compare-and-swap of the head to `1`; releasing it is a store of the new
//! head. The lock makes pop ABA-free (reading `head.next` and swapping the head happen
//! while nobody else can push or pop) without any allocation or system call, so the
//! protocol works on a bare foreign thread that has no context yet.
//!
//! Unlike Go, a taker never waits: when the list is empty, or held by someone else, the
//! attaching thread creates a fresh context instead ([`take`] returns `None` and counts a
//! waiter). That is what makes the "signal handler calls in while the list is held" case
//! (Go's `TestNeedmDeadlock`, issue 42207) impossible to deadlock even without Go's
//! signal blocking. Returning a context ([`put`]) spins briefly for the lock and frees the
//! context instead if the holder does not let go.
//!
//! The list is replenished off the hot path: after an attach has installed its context,
//! [`replenish`] creates as many spares as there were waiters (at least one when the list
//! ran empty), like Go's `newextram`.
//!
//! # References
//! Go `runtime/proc.go`: `lockextra`, `unlockextra`, `getExtraM`, `putExtraM`,
//! `addExtraM`, `newextram`, `oneNewExtraM`.

use core::ptr;

use crate::context::ThreadContext;
use crate::primitive::{AtomicU32, AtomicUsize, Ordering, global, spin_loop};

/// Head value of an empty list.
const EMPTY: usize = 0;
/// Head value while the list is locked.
const LOCKED: usize = 1;

/// The spare list: its head word and counters.
pub(crate) struct SpareList {
    /// The list head (see the module docs).
    head: AtomicUsize,
    /// Contexts on the list (Go's `extraMLength`).
    length: AtomicU32,
    /// Takers that found the list empty or held since the last replenish (Go's
    /// `extraMWaiters`).
    waiters: AtomicU32,
    /// Extra contexts held by threads (Go's `extraMInUse`).
    in_use: AtomicU32,
    /// Extra contexts alive (on the list or in use).
    live: AtomicU32,
    /// Extra contexts created since start.
    created: AtomicU32,
    /// Times a taker found the list held by another thread and created a context instead.
    contended: AtomicU32,
}

/// An empty [`SpareList`] (a macro so that the `static` gets a `const` initialiser and
/// loom models, whose atomics have no `const` constructors, the same value).
macro_rules! empty_list {
    () => {
        SpareList {
            head: AtomicUsize::new(EMPTY),
            length: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
            in_use: AtomicU32::new(0),
            live: AtomicU32::new(0),
            created: AtomicU32::new(0),
            contended: AtomicU32::new(0),
        }
    };
}

global! {
    /// The program's spare list.
    LIST: SpareList = empty_list!();
}

/// Attempts [`SpareList::push`] makes before giving up on a held list (a few under loom,
/// where every attempt is a branch of the model).
const PUSH_SPINS: u32 = if cfg!(loom) { 2 } else { 256 };

/// At most this many spares stay on the list; a context returned beyond it is freed, so
/// bursts of short-lived foreign threads do not leave memory behind.
pub(crate) const SPARE_CAP: u32 = 4;

/// Counters of the spare list, readable at any time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpareStats {
    /// Contexts on the spare list.
    pub spare: u32,
    /// Extra contexts held by foreign threads.
    pub in_use: u32,
    /// Extra contexts alive (spare + in use).
    pub live: u32,
    /// Extra contexts created since start.
    pub created: u32,
    /// Takers that found the list empty or held and have not been replenished yet.
    pub waiters: u32,
    /// Takers that found the list held by another thread (and did not wait).
    pub contended: u32,
}

/// Reads the spare-list counters.
///
/// # Examples
/// ```
/// // A snapshot of independent counters (other threads may attach meanwhile).
/// let s = callback::spare_stats();
/// println!("{} spare, {} in use, {} created", s.spare, s.in_use, s.created);
/// ```
pub fn spare_stats() -> SpareStats {
    LIST.stats()
}

impl SpareList {
    /// An empty list (for loom models; the program's list is [`LIST`]).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        empty_list!()
    }

    /// Takes and frees every spare, returning how many there were (loom models end with
    /// it, so a lost or duplicated context shows as a count mismatch or a double free).
    #[cfg(all(loom, test))]
    pub(crate) fn drain(&self) -> u32 {
        let mut n = 0;
        while let Some((m, _)) = self.take() {
            // Relaxed: statistics (the context is no longer in use once freed).
            self.in_use.fetch_sub(1, Ordering::Relaxed);
            // SAFETY: just taken from the list: owned by us, installed nowhere.
            unsafe { self.free(m) };
            n += 1;
        }
        n
    }

    /// Reads the counters.
    pub(crate) fn stats(&self) -> SpareStats {
        // Relaxed loads: a snapshot of independent counters, each individually exact.
        SpareStats {
            spare: self.length.load(Ordering::Relaxed),
            in_use: self.in_use.load(Ordering::Relaxed),
            live: self.live.load(Ordering::Relaxed),
            created: self.created.load(Ordering::Relaxed),
            waiters: self.waiters.load(Ordering::Relaxed),
            contended: self.contended.load(Ordering::Relaxed),
        }
    }

    /// Tries to lock the list once. `Ok(old head)` when locked by us; `Err(head)` when it was
    /// empty (`EMPTY`) or held (`LOCKED`) and `nil_ok` does not allow taking it empty.
    #[inline]
    pub(crate) fn try_lock(&self, nil_ok: bool) -> Result<usize, usize> {
        // Relaxed: only a hint for the CAS below, which carries the ordering.
        let head = self.head.load(Ordering::Relaxed);
        if head == LOCKED || (head == EMPTY && !nil_ok) {
            return Err(head);
        }
        // Acquire on success: we read the contexts (and their `next` links) the previous
        // holder published with its Release unlock.
        self.head
            .compare_exchange(head, LOCKED, Ordering::Acquire, Ordering::Relaxed)
    }

    /// Unlocks the list, making `head` the new head.
    #[inline]
    pub(crate) fn unlock(&self, head: usize) {
        // Release: publishes our writes to the contexts and links before the next holder's
        // Acquire.
        self.head.store(head, Ordering::Release);
    }

    /// Takes a spare context without ever waiting. `None` when the list is empty or held by
    /// another thread: the caller creates a context ([`create`]); a waiter is counted so the
    /// next [`replenish`] makes up for it. On success also returns whether the list is now
    /// empty (the caller should replenish).
    pub(crate) fn take(&self) -> Option<(*mut ThreadContext, bool)> {
        self.take_inner(false)
    }

    /// [`take`](Self::take) for an attaching thread: leaves the last spare on the list
    /// (returns `None` then, without counting a waiter, as the list is not short), so that
    /// a callback from a signal handler interrupting the attach (which borrows a second
    /// context, see [`Phase`](crate::context::Phase)) finds one without allocating.
    pub(crate) fn take_unless_last(&self) -> Option<*mut ThreadContext> {
        self.take_inner(true).map(|(m, _)| m)
    }

    fn take_inner(&self, keep_last: bool) -> Option<(*mut ThreadContext, bool)> {
        loop {
            match self.try_lock(false) {
                Ok(head) => {
                    let m = head as *mut ThreadContext;
                    // SAFETY: `try_lock(false)` locked the list with `m` at its head: nobody
                    // else can pop or free it, and the Acquire in `try_lock` made its
                    // `next` link visible (Relaxed: ordered by the lock word).
                    if keep_last && unsafe { (*m).next.load(Ordering::Relaxed) }.is_null() {
                        self.unlock(head);
                        return None;
                    }
                    // SAFETY: as above.
                    let taken = unsafe { self.pop_locked(head) };
                    // Relaxed: statistics.
                    self.in_use.fetch_add(1, Ordering::Relaxed);
                    return Some(taken);
                }
                Err(EMPTY) => {
                    // Relaxed: a hint counter for `replenish`.
                    self.waiters.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                Err(LOCKED) => {
                    // Relaxed: statistics and the replenish hint.
                    self.contended.fetch_add(1, Ordering::Relaxed);
                    self.waiters.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                // The head changed between the load and the CAS: try again.
                Err(_) => continue,
            }
        }
    }

    /// Unlinks the first context of the list we hold locked at `head` and unlocks the
    /// list with the rest (the one unlink step of [`take`](Self::take) and
    /// [`trim`](Self::trim)); returns the context, now the caller's, and whether the
    /// list is empty now.
    ///
    /// # Safety
    /// The caller locked the list with [`try_lock`](Self::try_lock), which returned
    /// `Ok(head)` with `head` neither `EMPTY` nor `LOCKED`.
    unsafe fn pop_locked(&self, head: usize) -> (*mut ThreadContext, bool) {
        let m = head as *mut ThreadContext;
        // SAFETY: per the contract we hold the lock, so `m` (a context pushed by
        // `put`/`replenish` and owned by the list) cannot be popped or freed by anyone
        // else; the Acquire in `try_lock` made its `next` link visible (Relaxed: ordered
        // by the lock word).
        let next = unsafe { (*m).next.load(Ordering::Relaxed) };
        // SAFETY: as above, we own the list, and now `m` (Relaxed: the unlock's Release
        // orders it, like every link).
        unsafe { (*m).next.store(ptr::null_mut(), Ordering::Relaxed) };
        // Relaxed: statistics (and `put`'s capacity heuristic).
        self.length.fetch_sub(1, Ordering::Relaxed);
        self.unlock(next as usize);
        (m, next.is_null())
    }

    /// Creates a fresh extra context that is immediately in use (the list was empty or held).
    pub(crate) fn create_in_use(&self) -> *mut ThreadContext {
        let m = self.new_extra();
        // Relaxed: statistics.
        self.in_use.fetch_add(1, Ordering::Relaxed);
        m
    }

    fn new_extra(&self) -> *mut ThreadContext {
        let green = crate::runtime::get().map(|rt| rt.new_extra_green());
        // Relaxed: statistics.
        self.live.fetch_add(1, Ordering::Relaxed);
        self.created.fetch_add(1, Ordering::Relaxed);
        Box::into_raw(ThreadContext::new(true, green))
    }

    /// Pushes a context onto the list (Go's `addExtraM`). Gives up, returning `false`, when
    /// the list stays held for a few hundred spins: a holder is normally done within a
    /// handful of instructions, and a thread must never wait on a holder that cannot run
    /// (one it interrupted in a signal handler, or a held-list test).
    fn push(&self, m: *mut ThreadContext) -> bool {
        let mut spins = 0u32;
        let head = loop {
            match self.try_lock(true) {
                Ok(h) => break h,
                Err(_) if spins < PUSH_SPINS => {
                    spins += 1;
                    spin_loop();
                }
                Err(_) => return false,
            }
        };
        // SAFETY: `m` is owned by the caller and not on the list; we hold the lock.
        // (Relaxed: the unlock's Release publishes it.)
        unsafe {
            (*m).next
                .store(head as *mut ThreadContext, Ordering::Relaxed)
        };
        // Relaxed: statistics.
        self.length.fetch_add(1, Ordering::Relaxed);
        self.unlock(m as usize);
        true
    }

    /// Returns a context to the list at thread exit or detach (Go's `putExtraM`), freeing it
    /// instead when the list already holds [`SPARE_CAP`] spares or stays held.
    ///
    /// # Safety
    /// `m` is an extra context owned by the caller, uninstalled from every thread.
    pub(crate) unsafe fn put(&self, m: *mut ThreadContext) {
        // Relaxed: statistics.
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        // Relaxed: a capacity heuristic; a race only makes the list one longer or shorter.
        if self.length.load(Ordering::Relaxed) >= SPARE_CAP || !self.push(m) {
            // SAFETY: the caller owns `m` and nobody else references it (a failed push
            // leaves it untouched).
            unsafe { self.free(m) };
        }
    }

    /// Returns a context without ever freeing it, for a callback that may have interrupted
    /// this thread inside the allocator (see [`Phase`](crate::context::Phase)): pushed
    /// regardless of [`SPARE_CAP`] (a later [`put`](Self::put) or [`trim`](Self::trim)
    /// brings the list back under it). `false` when the list stays held: the caller keeps
    /// the context for later.
    ///
    /// # Safety
    /// As [`put`](Self::put).
    pub(crate) unsafe fn put_no_free(&self, m: *mut ThreadContext) -> bool {
        if self.push(m) {
            // Relaxed: statistics.
            self.in_use.fetch_sub(1, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// Frees spares beyond [`SPARE_CAP`] (left by [`put_no_free`](Self::put_no_free)).
    /// Gives up when the list is held or changes under it: a later call trims.
    pub(crate) fn trim(&self) {
        // Relaxed: a capacity heuristic, as in `put`.
        while self.length.load(Ordering::Relaxed) > SPARE_CAP {
            let Ok(head) = self.try_lock(false) else {
                return;
            };
            // SAFETY: `try_lock(false)` locked the list with a context at its head.
            let (m, _) = unsafe { self.pop_locked(head) };
            // SAFETY: unlinked under the lock: owned by us, referenced by nobody.
            unsafe { self.free(m) };
        }
    }

    /// Frees an extra context and its parked green context.
    ///
    /// # Safety
    /// `m` came from `new_extra`, is owned by the caller and referenced by nobody.
    unsafe fn free(&self, m: *mut ThreadContext) {
        // SAFETY: per the contract `m` is a uniquely owned `Box` pointer.
        let b = unsafe { Box::from_raw(m) };
        if let (Some(g), Some(rt)) = (b.curg.get(), crate::runtime::get()) {
            rt.free_extra_green(g);
        }
        drop(b);
        // Relaxed: statistics.
        self.live.fetch_sub(1, Ordering::Relaxed);
    }

    /// Creates spares for every waiter counted since the last call, or one when the list is
    /// empty (Go's `newextram`). Runs off the hot path, after an attach.
    pub(crate) fn replenish(&self) {
        // Relaxed: the swap only needs atomicity; the contexts are published by `push`.
        let waiters = self.waiters.swap(0, Ordering::Relaxed);
        let n = if waiters > 0 {
            waiters.min(SPARE_CAP)
        } else if self.head.load(Ordering::Relaxed) == EMPTY {
            1
        } else {
            0
        };
        for i in 0..n {
            let m = self.new_extra();
            if !self.push(m) {
                // The list stays held: keep the debt for the next replenish.
                // SAFETY: `m` was just created and is referenced by nobody.
                unsafe { self.free(m) };
                // Relaxed: a hint counter.
                self.waiters.fetch_add(n - i, Ordering::Relaxed);
                return;
            }
        }
    }

    /// Seeds the list with one spare (Go's `mstartm0` → `newextram`).
    pub(crate) fn seed(&self) {
        if self.head.load(Ordering::Relaxed) == EMPTY {
            self.replenish();
        }
    }
}

/// [`SpareList::take`] on the program's list.
pub(crate) fn take() -> Option<(*mut ThreadContext, bool)> {
    LIST.take()
}

/// [`SpareList::take_unless_last`] on the program's list.
pub(crate) fn take_unless_last() -> Option<*mut ThreadContext> {
    LIST.take_unless_last()
}

/// [`SpareList::put_no_free`] on the program's list.
///
/// # Safety
/// As [`SpareList::put`].
pub(crate) unsafe fn put_no_free(m: *mut ThreadContext) -> bool {
    // SAFETY: forwarded contract.
    unsafe { LIST.put_no_free(m) }
}

/// [`SpareList::trim`] on the program's list.
pub(crate) fn trim() {
    LIST.trim()
}

/// [`SpareList::create_in_use`] on the program's list.
pub(crate) fn create_in_use() -> *mut ThreadContext {
    LIST.create_in_use()
}

/// [`SpareList::put`] on the program's list.
///
/// # Safety
/// As [`SpareList::put`].
pub(crate) unsafe fn put(m: *mut ThreadContext) {
    // SAFETY: forwarded contract.
    unsafe { LIST.put(m) }
}

/// [`SpareList::replenish`] on the program's list.
pub(crate) fn replenish() {
    LIST.replenish()
}

/// [`SpareList::seed`] on the program's list.
pub(crate) fn seed() {
    LIST.seed()
}

/// Holds the spare list locked until dropped, so tests can reproduce the "list held by
/// another attaching thread" race deterministically (Go's `TestNeedmDeadlock`).
#[doc(hidden)]
pub struct SpareListHold(usize);

impl Drop for SpareListHold {
    fn drop(&mut self) {
        LIST.unlock(self.0);
    }
}

/// Locks the spare list (test hook; see [`SpareListHold`]).
#[doc(hidden)]
pub fn hold_spare_list() -> SpareListHold {
    loop {
        if let Ok(h) = LIST.try_lock(true) {
            return SpareListHold(h);
        }
        std::thread::yield_now();
    }
}
