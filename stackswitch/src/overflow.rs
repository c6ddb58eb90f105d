//! Stack-overflow detection: a SIGSEGV/SIGBUS handler on an alternate signal
//! stack that names the stack whose guard page was hit, then aborts.
//!
//! Faults that are not in a registered guard range are passed on to the
//! handler that was installed before ours (for example the Rust standard
//! library's own guard-page handler), or to the default action.
//!
//! A SIGSEGV or SIGBUS that a process sent (`kill`, `tgkill`, `sigqueue`: told
//! apart by its `si_code`) is never taken for an overflow, and goes to the
//! previous disposition the same way: ignored if it was ignored, handled once by
//! a previous handler. Returning from a handler does not bring such a signal
//! back as it brings back a fault, so when the default action is in place
//! afterwards (restored by us, or by a chained handler such as std's that waits
//! for the fault to recur) it is raised again and kills the process, as it would
//! without the handler (Go's `TgkillSegvInCgo`).

use core::cell::{RefCell, UnsafeCell};
use core::mem::MaybeUninit;
use std::sync::Once;

use crate::os::{Imp, OsImp};
use crate::primitive::{AtomicPtr, AtomicUsize, Ordering, fence};
use crate::stack::StackError;
use crate::thread;

/// What kind of stack a guard range protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A [`crate::Stack`], named by its id.
    Green(u64),
    /// A thread's system stack, named by its owner's `pthread_self()`; the
    /// handler turns it into a thread id (see [`Report`]) only when a fault
    /// needs one, so registering a thread makes no `gettid` system call.
    System(usize),
}

/// Which stack an overflow report names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// A [`crate::Stack`], by id.
    Green(u64),
    /// The faulting thread's own system stack, by thread id.
    Thread(u64),
    /// The system stack of a registered thread other than the faulting one
    /// (a wild access into its guard page), by its `pthread_t`.
    OtherThread(usize),
}

const FREE: usize = 0;
const WRITING: usize = 1;
const LIVE: usize = 2;
const SLOTS: usize = 256;

pub(crate) struct Slot {
    state: AtomicUsize,
    /// A sequence lock over the stack range, for [`stack_containing`] (which,
    /// unlike the signal handler, keeps what it found for later calls): odd
    /// while the owner writes the fields, and advanced by every registration
    /// and every release, so an unchanged even value means the same
    /// registration is still live.
    seq: AtomicUsize,
    guard_lo: AtomicUsize,
    guard_hi: AtomicUsize,
    stack_lo: AtomicUsize,
    stack_hi: AtomicUsize,
    /// Low bit: 0 green, 1 system; the rest: the stack id or the owner's
    /// `pthread_t` (an address or a small number, below 2^63 either way).
    kind: AtomicUsize,
}

struct Chunk {
    slots: [Slot; SLOTS],
    next: AtomicPtr<Chunk>,
}

impl Chunk {
    const fn new() -> Self {
        #[allow(clippy::declare_interior_mutable_const)]
        const EMPTY: Slot = Slot {
            state: AtomicUsize::new(FREE),
            seq: AtomicUsize::new(0),
            guard_lo: AtomicUsize::new(0),
            guard_hi: AtomicUsize::new(0),
            stack_lo: AtomicUsize::new(0),
            stack_hi: AtomicUsize::new(0),
            kind: AtomicUsize::new(0),
        };
        Chunk {
            slots: [EMPTY; SLOTS],
            next: AtomicPtr::new(core::ptr::null_mut()),
        }
    }
}

/// The registry of guard ranges: a list of fixed chunks that only grows, so
/// the signal handler can walk it without locks or allocation.
static REGISTRY: Chunk = Chunk::new();

/// A registered guard range; unregisters on drop.
#[derive(Debug)]
pub(crate) struct Registration(&'static Slot);

impl core::fmt::Debug for Slot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Slot")
            .field("guard_lo", &self.guard_lo.load(Ordering::Relaxed))
            .field("guard_hi", &self.guard_hi.load(Ordering::Relaxed))
            .finish()
    }
}

/// Records `guard` (the fault range) as protecting `stack`.
pub(crate) fn register(guard: (usize, usize), stack: (usize, usize), kind: Kind) -> Registration {
    let mut chunk: &'static Chunk = &REGISTRY;
    loop {
        for slot in &chunk.slots {
            // Acquire on success pairs with the Release store of FREE in
            // `Drop`, so our field writes happen after the previous owner's.
            if slot
                .state
                .compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                let seq = slot.write_begin();
                slot.guard_lo.store(guard.0, Ordering::Relaxed);
                slot.guard_hi.store(guard.1, Ordering::Relaxed);
                slot.stack_lo.store(stack.0, Ordering::Relaxed);
                slot.stack_hi.store(stack.1, Ordering::Relaxed);
                let word = match kind {
                    Kind::Green(id) => (id as usize) << 1,
                    Kind::System(owner) => owner << 1 | 1,
                };
                slot.kind.store(word, Ordering::Relaxed);
                slot.write_end(seq);
                // Release: a handler that sees LIVE (Acquire) sees the fields.
                slot.state.store(LIVE, Ordering::Release);
                return Registration(slot);
            }
        }
        // Acquire pairs with the Release of the successful CAS below, so the
        // chunk's initialised slots are visible.
        let next = chunk.next.load(Ordering::Acquire);
        if !next.is_null() {
            // SAFETY: chunks are leaked on creation and never freed, so a
            // non-null `next` points to a valid Chunk for 'static.
            chunk = unsafe { &*next };
            continue;
        }
        let fresh = Box::into_raw(Box::new(Chunk::new()));
        // AcqRel: publish the new chunk (Release) or see the winner's (Acquire).
        match chunk.next.compare_exchange(
            core::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: `fresh` was just leaked from a Box and is now shared for 'static.
            Ok(_) => chunk = unsafe { &*fresh },
            Err(winner) => {
                // SAFETY: `fresh` came from Box::into_raw above and was never
                // shared (our CAS failed); `winner` is a leaked, never-freed chunk.
                unsafe {
                    drop(Box::from_raw(fresh));
                    chunk = &*winner;
                }
            }
        }
    }
}

impl Registration {
    /// The slot, kept by a thread's registration state (a plain pointer in a
    /// thread-local without destructor); [`Registration::from_slot`] undoes it.
    pub(crate) fn into_slot(self) -> &'static Slot {
        let slot = self.0;
        core::mem::forget(self);
        slot
    }

    /// The registration that [`Registration::into_slot`] gave up.
    pub(crate) fn from_slot(slot: &'static Slot) -> Registration {
        Registration(slot)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.0.state.store(WRITING, Ordering::Relaxed);
        let seq = self.0.write_begin();
        self.0.guard_lo.store(0, Ordering::Relaxed);
        self.0.guard_hi.store(0, Ordering::Relaxed);
        self.0.write_end(seq);
        // Release: the next owner (Acquire CAS) sees the cleared fields.
        self.0.state.store(FREE, Ordering::Release);
    }
}

impl Slot {
    /// Starts a change of the fields by their owner (the thread that holds the
    /// slot in `WRITING`): makes the sequence odd. Returns the odd value.
    fn write_begin(&self) -> usize {
        // Relaxed load: only the owner writes `seq`, and it is the owner.
        let odd = self.seq.load(Ordering::Relaxed) + 1;
        self.seq.store(odd, Ordering::Relaxed);
        // Release fence: a reader whose field loads see any of the writes below
        // also sees the odd value (its second `seq` load comes after an Acquire
        // fence), so it discards what it read.
        fence(Ordering::Release);
        odd
    }

    /// Ends a change begun by [`Slot::write_begin`] (which returned `odd`).
    fn write_end(&self, odd: usize) {
        // Release: a reader that loads this value (Acquire) sees the fields.
        self.seq.store(odd + 1, Ordering::Release);
    }
}

/// A registered stack whose usable range contains an address, found by
/// [`stack_containing`] and kept by the thread's state for the next query.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    /// The stack's usable range `[lo, hi)`.
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    /// Its registration, and the registration's sequence value then.
    slot: *const Slot,
    seq: usize,
}

impl Found {
    /// Nothing found yet.
    pub(crate) const NONE: Found = Found {
        lo: 0,
        hi: 0,
        slot: core::ptr::null(),
        seq: 0,
    };

    /// `[lo, hi)` contains `sp` and is still a registered stack's range.
    #[inline]
    pub(crate) fn holds(&self, sp: usize) -> bool {
        if !(self.lo <= sp && sp < self.hi) {
            return false;
        }
        // SAFETY: a non-empty range was found in a registry slot, and slots are
        // never freed (chunks are leaked, see `register`).
        let slot = unsafe { &*self.slot };
        // Acquire pairs with the Release of `write_end`. The value is unchanged
        // only if no registration or release touched the slot since the range
        // was read: every one of them advances it. A release of the stack we run
        // on cannot be in progress unseen: that stack is in use by this thread
        // (an `on_stack` borrows it, a context owns it, a thread's system stack
        // is released only by its thread), and memory freed after a release is
        // mapped again only after the munmap that followed it.
        slot.seq.load(Ordering::Acquire) == self.seq
    }
}

/// The registered stack (a [`crate::Stack`], or a registered thread's system
/// stack) whose usable range contains `sp`. Walks the whole registry: callers
/// keep the answer ([`Found::holds`] checks it again in one load).
pub(crate) fn stack_containing(sp: usize) -> Option<Found> {
    #[cfg(test)]
    WALKS.with(|w| w.set(w.get() + 1));
    find_slot(|slot| {
        // A sequence-lock read: Acquire pairs with `write_end`'s Release, so
        // the fields read below are at least that write's.
        let seq = slot.seq.load(Ordering::Acquire);
        if seq & 1 != 0 || seq == 0 {
            return None;
        }
        // Relaxed: ordered by the sequence reads around them.
        let live = slot.state.load(Ordering::Relaxed) == LIVE;
        let lo = slot.stack_lo.load(Ordering::Relaxed);
        let hi = slot.stack_hi.load(Ordering::Relaxed);
        // Acquire fence: if a field load above saw a write made after
        // `write_begin`, the `seq` load below sees that odd value or later.
        fence(Ordering::Acquire);
        let unchanged = slot.seq.load(Ordering::Relaxed) == seq;
        (unchanged && live && lo <= sp && sp < hi).then_some(Found { lo, hi, slot, seq })
    })
}

#[cfg(test)]
thread_local! {
    /// Walks of the registry by [`stack_containing`] on this thread (tests).
    pub(crate) static WALKS: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

/// The first `Some` that `f` returns for a slot of the registry, in registry
/// order; `None` when it returns `None` for every slot. Allocates nothing and
/// takes no lock (the signal handler uses it).
fn find_slot<T>(mut f: impl FnMut(&'static Slot) -> Option<T>) -> Option<T> {
    let mut chunk: *const Chunk = &REGISTRY;
    while !chunk.is_null() {
        // SAFETY: chunks are never freed (see `register`).
        let c: &'static Chunk = unsafe { &*chunk };
        if let Some(found) = c.slots.iter().find_map(&mut f) {
            return Some(found);
        }
        // Acquire pairs with the chunk publication in `register`.
        chunk = c.next.load(Ordering::Acquire);
    }
    None
}

/// A registered range that contains `addr`: `(kind, stack_lo, stack_hi)`.
pub(crate) fn lookup(addr: usize) -> Option<(Kind, usize, usize)> {
    find_slot(|slot| {
        // Acquire pairs with the Release store of LIVE in `register`.
        if slot.state.load(Ordering::Acquire) != LIVE {
            return None;
        }
        let lo = slot.guard_lo.load(Ordering::Relaxed);
        let hi = slot.guard_hi.load(Ordering::Relaxed);
        if !(lo <= addr && addr < hi) {
            return None;
        }
        let word = slot.kind.load(Ordering::Relaxed);
        let kind = if word & 1 == 0 {
            Kind::Green((word >> 1) as u64)
        } else {
            Kind::System(word >> 1)
        };
        Some((
            kind,
            slot.stack_lo.load(Ordering::Relaxed),
            slot.stack_hi.load(Ordering::Relaxed),
        ))
    })
}

/// The actions that were installed before ours, for chaining.
struct Previous(UnsafeCell<[MaybeUninit<libc::sigaction>; 2]>);
// SAFETY: written only inside `INSTALL.call_once`, before our handler is
// installed; read only by the handler, which runs after that (the sigaction
// system call orders the writes before any delivery of our handler).
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous(UnsafeCell::new([MaybeUninit::uninit(); 2]));
static INSTALL: Once = Once::new();
const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Installs the overflow handler for SIGSEGV and SIGBUS (once per process,
/// thread-safe) and makes sure the calling thread has an alternate signal
/// stack to run it on.
///
/// [`crate::Stack::new`] and [`crate::register_current_thread`] call this, so
/// calling it directly is only needed to install the handler early.
///
/// # Errors
/// The calling thread needs a signal stack and none could be mapped.
pub fn install_overflow_handler() -> Result<(), StackError> {
    install_handler();
    ensure_signal_stack()
}

/// Installs the handler (once per process); no signal stack.
pub(crate) fn install_handler() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: `PREVIOUS` is written only here, inside call_once, before
            // our handler exists (see `Previous`). `new` is a zeroed sigaction
            // (a valid value: empty mask, no flags) then filled with our
            // handler; both pointers passed to sigaction are valid.
            unsafe {
                let prev = &mut (*PREVIOUS.0.get())[i];
                let mut old: libc::sigaction = core::mem::zeroed();
                libc::sigaction(sig, core::ptr::null(), &mut old);
                prev.write(old);
                let mut new: libc::sigaction = core::mem::zeroed();
                new.sa_sigaction = handler as *const () as usize;
                new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut new.sa_mask);
                libc::sigaction(sig, &new, core::ptr::null_mut());
            }
        }
    });
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    // A signal sent by a process carries its sender's pid and uid where a
    // fault's address would be: it is never an overflow.
    let sent = Imp::sent_by_process(code);
    let overflow = if sent { None } else { lookup(addr) };
    if let Some((kind, lo, hi)) = overflow {
        let whose = match kind {
            Kind::Green(id) => Report::Green(id),
            // Mostly a thread overflowing its own stack: its id is asked for
            // now (gettid is async-signal-safe), not at registration.
            Kind::System(owner) if owner == self_token() => Report::Thread(Imp::thread_id()),
            Kind::System(owner) => Report::OtherThread(owner),
        };
        report(whose, lo, hi, addr);
        // SAFETY: abort has no preconditions; it is async-signal-safe.
        unsafe { libc::abort() };
    }
    let i = if sig == libc::SIGSEGV { 0 } else { 1 };
    // SAFETY: our handler is only installed after `PREVIOUS` was written
    // (see `Previous`), so the slot is initialised.
    let prev = unsafe { (*PREVIOUS.0.get())[i].assume_init_ref() };
    let action = prev.sa_sigaction;
    if sent && action == libc::SIG_IGN {
        // Ignored, as it would have been without us.
        return;
    }
    if action == libc::SIG_DFL || action == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction
        // runs again and the process dies with the signal, as without us.
        // SAFETY: a zeroed sigaction with SIG_DFL is valid; sigaction is
        // async-signal-safe.
        unsafe {
            let mut dfl: libc::sigaction = core::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &dfl, core::ptr::null_mut());
        }
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it has
        // the three-argument signature; we pass it our own arguments unchanged.
        unsafe {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                core::mem::transmute(action);
            f(sig, info, ctx);
        }
    } else {
        // SAFETY: without SA_SIGINFO the previous handler takes one argument.
        unsafe {
            let f: extern "C" fn(libc::c_int) = core::mem::transmute(action);
            f(sig);
        }
    }
    if sent {
        redeliver_if_default(sig);
    }
}

/// After a signal a process sent (`kill`, `tgkill`) was passed on: nothing runs
/// again when the handler returns, so a disposition now back at the default
/// (ours restored it, or the handler we chained to did, counting on a fault to
/// come back, as std's does) would let the process survive a signal that kills
/// it without us. Raise it again: it is blocked while this handler runs, so it
/// is delivered, with the default action, as soon as the handler returns (Go
/// dies here too: its `TgkillSegvInCgo` test).
fn redeliver_if_default(sig: libc::c_int) {
    // SAFETY: `now` is valid storage for the current action; sigaction and
    // raise are async-signal-safe.
    unsafe {
        let mut now: libc::sigaction = core::mem::zeroed();
        libc::sigaction(sig, core::ptr::null(), &mut now);
        if now.sa_sigaction == libc::SIG_DFL {
            libc::raise(sig);
        }
    }
}

/// A fixed buffer for building the message without allocating (we are in a
/// signal handler).
pub(crate) struct Line {
    buf: [u8; 320],
    len: usize,
}

impl Line {
    fn str(&mut self, s: &str) -> &mut Self {
        for &b in s.as_bytes() {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
        self
    }
    fn hex(&mut self, mut v: usize) -> &mut Self {
        let mut tmp = [0u8; 18];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b"0123456789abcdef"[v & 15];
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        i -= 1;
        tmp[i] = b'x';
        i -= 1;
        tmp[i] = b'0';
        // tmp[i..] is ASCII, so from_utf8 cannot fail.
        self.str(core::str::from_utf8(&tmp[i..]).unwrap_or("?"))
    }
    fn dec(&mut self, mut v: u64) -> &mut Self {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.str(core::str::from_utf8(&tmp[i..]).unwrap_or("?"))
    }
}

/// The calling thread's `pthread_self()`, as the owner token of its
/// registration: unique among live threads, and read without a system call
/// or allocation (the handler compares it).
pub(crate) fn self_token() -> usize {
    // SAFETY: pthread_self has no preconditions; it reads the thread pointer.
    let me = unsafe { libc::pthread_self() };
    // Masked to 63 bits to fit the registry's kind word: a pthread_t is a
    // user-space address or a small number either way.
    (me as usize) & (usize::MAX >> 1)
}

fn report(kind: Report, lo: usize, hi: usize, addr: usize) {
    let line = format_report(kind, lo, hi, addr);
    let text = line.as_bytes();
    // SAFETY: write(2) is async-signal-safe; the buffer is valid for its length.
    unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
}

impl Line {
    /// The text built so far.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The one-line overflow report, built without allocating.
pub(crate) fn format_report(kind: Report, lo: usize, hi: usize, addr: usize) -> Line {
    let mut line = Line {
        buf: [0; 320],
        len: 0,
    };
    line.str("stackswitch: stack overflow on ");
    match kind {
        Report::Green(id) => line.str("green-thread stack #").dec(id),
        Report::Thread(tid) => line.str("the system stack of thread ").dec(tid),
        Report::OtherThread(owner) => line
            .str("the system stack of another thread (pthread_t ")
            .hex(owner)
            .str(")"),
    };
    line.str(" [")
        .hex(lo)
        .str(", ")
        .hex(hi)
        .str(") of ")
        .dec((hi.wrapping_sub(lo) / 1024) as u64)
        .str(" KiB (fault at ")
        .hex(addr)
        .str("); ");
    match kind {
        Report::Green(_) => line.str("run this code on a larger Stack; aborting\n"),
        Report::Thread(_) | Report::OtherThread(_) => {
            line.str("give this thread a larger stack; aborting\n")
        }
    };
    line
}

/// An alternate signal stack this crate mapped and installed for the current
/// thread by [`ensure_signal_stack`]; the thread-local destructor gives it
/// back at thread exit.
struct AltStack {
    /// Start of the mapping (its first page is the guard).
    map: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        release_alt_stack(self.map);
        // Read through `thread::with` (no destructor, alive until the thread
        // ends): the next `ensure_signal_stack` must install one again.
        thread::with(|t| t.alt_known.set(false));
    }
}

/// Disables the calling thread's alternate stack `map` (installed by
/// [`install_alt_stack`]) and pools the mapping: one `sigaltstack` call.
fn release_alt_stack(map: usize) {
    let off = libc::stack_t {
        ss_sp: core::ptr::null_mut(),
        ss_flags: libc::SS_DISABLE,
        ss_size: 0,
    };
    // SAFETY: `sigaltstack` with valid pointers only changes this thread's
    // alternate stack. One call disables it and reports what was there.
    let (ok, old) = unsafe {
        let mut old: libc::stack_t = core::mem::zeroed();
        let r = libc::sigaltstack(&off, &mut old);
        (r == 0, old)
    };
    if !ok {
        // EPERM: the thread is running on it (a signal handler is exiting
        // the thread). The memory may still be in use: never reuse it.
        return;
    }
    if old.ss_sp as usize != map + Imp::page_size() || old.ss_flags & libc::SS_DISABLE != 0 {
        // Someone replaced or disabled ours since: put theirs back. Ours is
        // no longer registered anywhere, so it can be reused.
        // SAFETY: `old` is the valid stack_t the kernel just reported.
        unsafe { libc::sigaltstack(&old, core::ptr::null_mut()) };
    }
    ALT_POOL.put(map);
}

/// Alternate-stack mappings of exited threads, reused by the next thread
/// that needs one: a foreign thread attaching and exiting then costs one
/// `sigaltstack` call each way instead of `mmap` + `mprotect` + `munmap`.
struct AltPool(std::sync::Mutex<Vec<usize>>);

/// Mappings kept for reuse at most (65 pages each); beyond, they are unmapped.
const ALT_POOL_CAP: usize = 32;

static ALT_POOL: AltPool = AltPool(std::sync::Mutex::new(Vec::new()));

impl AltPool {
    fn take(&self) -> Option<usize> {
        // A poisoned lock only means a panic elsewhere while pushing or
        // popping a plain address: the vector is still consistent.
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        v.pop()
    }

    fn put(&self, map: usize) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if v.len() < ALT_POOL_CAP {
            v.push(map);
            return;
        }
        drop(v);
        // SAFETY: `map` is a mapping of `alt_map_len()` bytes made by
        // `map_alt_stack`, registered nowhere any more.
        unsafe { libc::munmap(map as *mut libc::c_void, alt_map_len()) };
    }
}

thread_local! {
    /// The alternate stack [`ensure_signal_stack`] installed, given back by
    /// its destructor. Touched only when one is installed: the first access
    /// to a thread-local with a destructor registers it with the C library
    /// (an allocation on a fresh thread, and a destructor run at its exit),
    /// which [`crate::register_current_thread`] avoids by keeping its stack
    /// in the destructor-free thread state and giving it back when the
    /// registration is dropped.
    static ALT_STACK: RefCell<Option<AltStack>> = const { RefCell::new(None) };
}

/// Size of the alternate signal stacks this crate maps.
const ALT_STACK_SIZE: usize = 64 * 1024;

/// Length of one alternate-stack mapping: a guard page and the stack.
fn alt_map_len() -> usize {
    ALT_STACK_SIZE + Imp::page_size()
}

/// Makes sure the calling thread has an alternate signal stack, so the
/// overflow handler can run when the thread's current stack is exhausted.
///
/// Threads started by the Rust standard library already have one; threads
/// created by C (or by other runtimes) usually do not. The stack is given
/// back when the thread exits and reused by the next thread that needs one.
/// After the first call on a thread, further calls make no system call (a
/// thread that replaces or disables its alternate stack itself afterwards
/// keeps its own choice).
///
/// # Errors
/// The stack could not be mapped.
pub fn ensure_signal_stack() -> Result<(), StackError> {
    let (known, mut for_registration) =
        thread::with(|t| (t.alt_known.get(), t.alt_registered.get()));
    if known && for_registration == 0 {
        let parked = thread::with(|t| t.alt_parked.replace(0));
        if parked == 0 {
            return Ok(());
        }
        // Left installed by a dropped registration: take it back from the
        // parking list, then keep it as below.
        PARKED.take_own(parked);
        for_registration = parked;
    }
    if known {
        // The stack was installed for a thread registration, which would
        // disable it when dropped: keep it for the thread's lifetime instead
        // (stacks made on this thread need it after the registration ends).
        let kept = ALT_STACK.try_with(|s| {
            *s.borrow_mut() = Some(AltStack {
                map: for_registration,
            })
        });
        let registered = thread::with(|t| t.alt_registered.get()) != 0;
        match (kept, registered) {
            (Ok(()), _) => thread::with(|t| t.alt_registered.set(0)),
            // Teardown: a registration's stack stays the registration's.
            (Err(_), true) => {}
            // Teardown, and the stack was parked: park it again (if the list
            // filled up meanwhile it stays installed until the thread ends,
            // and its mapping is not reused).
            (Err(_), false) => {
                if PARKED.park(self_token(), for_registration) {
                    thread::with(|t| t.alt_parked.set(for_registration));
                }
            }
        }
        return Ok(());
    }
    match install_alt_stack(PARKED.take_dead(self_token()))? {
        None => {}
        Some(map) => {
            let stored = ALT_STACK.try_with(|s| *s.borrow_mut() = Some(AltStack { map }));
            if stored.is_err() {
                // Teardown: the closure (and the `AltStack` in it) was dropped
                // without running, which disabled the stack again; report it
                // rather than pretend.
                return Err(StackError::Map {
                    size: alt_map_len(),
                    error: std::io::Error::other("thread-local storage already destroyed"),
                });
            }
        }
    }
    thread::with(|t| t.alt_known.set(true));
    Ok(())
}

/// Gives the calling thread an alternate stack for a thread registration
/// unless it has one: remembered in the destructor-free thread state and
/// given back by [`release_registration_alt_stack`].
///
/// A thread registering again takes back the stack its earlier registration
/// left installed (parked, see [`Parked`]), without a system call. A new
/// thread first looks for a stack parked by an exited thread whose
/// `pthread_t` it now has (see [`Parked`]), then in the pool.
pub(crate) fn ensure_registration_alt_stack() -> Result<(), StackError> {
    let (known, parked) = thread::with(|t| (t.alt_known.get(), t.alt_parked.replace(0)));
    if known {
        if parked != 0 {
            PARKED.take_own(parked);
            thread::with(|t| t.alt_registered.set(parked));
        }
        return Ok(());
    }
    let ours = install_alt_stack(PARKED.take_dead(self_token()))?;
    thread::with(|t| {
        t.alt_known.set(true);
        t.alt_registered.set(ours.unwrap_or(0));
    });
    Ok(())
}

/// Gives back the alternate stack [`ensure_registration_alt_stack`]
/// installed, if it did (the thread's last registration is being dropped).
///
/// The stack is parked, still installed, without a system call (see
/// [`Parked`]); when the parking list is full it is disabled (one
/// `sigaltstack` call) and pooled.
pub(crate) fn release_registration_alt_stack() {
    let map = thread::with(|t| t.alt_registered.replace(0));
    if map == 0 {
        return;
    }
    if PARKED.park(self_token(), map) {
        thread::with(|t| t.alt_parked.set(map));
    } else {
        release_alt_stack(map);
        thread::with(|t| t.alt_known.set(false));
    }
}

/// Alternate stacks that threads left installed when their last registration
/// was dropped (mostly at thread exit, from a thread-exit destructor), each
/// with its owner's `pthread_t` ([`self_token`]).
///
/// Disabling the stack at that point would cost a `sigaltstack` call, and
/// handing it to another thread without disabling it is unsafe while its
/// owner may still take a signal on it (it runs until the kernel ends it).
/// A parked stack is therefore handed out only in two cases, both without a
/// system call at parking time:
/// - to its owner, registering again (it is still installed there);
/// - to a thread whose `pthread_t` equals the owner's: two live threads never
///   share a `pthread_t`, and the C library gives an exited thread's
///   descriptor (and so its `pthread_t`) to a new thread only once the old
///   one has ended (glibc reuses a stack and its descriptor after the kernel
///   cleared the exited thread's id), so the owner can take no more signals.
///   The new thread installs it (one call), as it would a pooled one.
///
/// glibc hands a finished thread's cached stack, and with it the same
/// `pthread_t`, to the next thread that asks for a stack of that size, so a
/// program that starts and ends C threads mostly finds its stack here. Parked
/// stacks whose owner's `pthread_t` is never seen again stay parked; the list
/// is bounded and, when full, a registration's stack is disabled and pooled.
struct Parked(std::sync::Mutex<ParkedList>);

/// Parked stacks at most.
const PARKED_CAP: usize = 32;

struct ParkedList {
    len: usize,
    /// `(owner, map)`.
    entries: [(usize, usize); PARKED_CAP],
}

static PARKED: Parked = Parked(std::sync::Mutex::new(ParkedList {
    len: 0,
    entries: [(0, 0); PARKED_CAP],
}));

impl Parked {
    fn lock(&self) -> std::sync::MutexGuard<'_, ParkedList> {
        // A poisoned lock only means a panic elsewhere while copying plain
        // words: the list is still consistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks `map`, installed on the thread `owner`; `false` when full.
    fn park(&self, owner: usize, map: usize) -> bool {
        let mut l = self.lock();
        if l.len == PARKED_CAP {
            return false;
        }
        let n = l.len;
        l.entries[n] = (owner, map);
        l.len = n + 1;
        true
    }

    /// Removes the entry at `i`.
    fn remove(l: &mut ParkedList, i: usize) -> usize {
        let map = l.entries[i].1;
        l.len -= 1;
        l.entries[i] = l.entries[l.len];
        map
    }

    /// Takes back `map`, parked by the calling thread.
    fn take_own(&self, map: usize) {
        let mut l = self.lock();
        if let Some(i) = l.entries[..l.len].iter().position(|e| e.1 == map) {
            Self::remove(&mut l, i);
        }
    }

    /// A stack parked by an exited thread whose `pthread_t` was `me` (the
    /// calling thread's, which did not park anything itself).
    fn take_dead(&self, me: usize) -> Option<usize> {
        let mut l = self.lock();
        let i = l.entries[..l.len].iter().position(|e| e.0 == me)?;
        Some(Self::remove(&mut l, i))
    }
}

/// The stacks parked now (tests).
#[cfg(test)]
pub(crate) fn parked_contents() -> Vec<(usize, usize)> {
    let l = PARKED.lock();
    l.entries[..l.len].to_vec()
}

/// Installs an alternate stack (pooled, or freshly mapped) on the calling
/// thread unless it has one; returns the mapping when ours was installed,
/// `None` when the thread already had one.
///
/// `preferred` (a stack parked by an exited thread) is used before the pool.
fn install_alt_stack(preferred: Option<usize>) -> Result<Option<usize>, StackError> {
    let page = Imp::page_size();
    let len = alt_map_len();
    let pooled = preferred.or_else(|| ALT_POOL.take());
    if pooled.is_none() {
        // Nothing to install cheaply: ask first, so a thread that has a stack
        // (all threads of the standard library) does not make us map one.
        // SAFETY: querying with a null new stack only writes `cur`.
        let has = unsafe {
            let mut cur: libc::stack_t = core::mem::zeroed();
            libc::sigaltstack(core::ptr::null(), &mut cur);
            cur.ss_flags & libc::SS_DISABLE == 0
        };
        if has {
            return Ok(None);
        }
    }
    let map = match pooled {
        Some(map) => map,
        None => map_alt_stack(len, page)?,
    };
    let st = libc::stack_t {
        ss_sp: (map + page) as *mut libc::c_void,
        ss_flags: 0,
        ss_size: ALT_STACK_SIZE,
    };
    // One call installs ours and reports what was there (a pooled stack is
    // installed without asking first: threads that reach here are mostly
    // foreign threads, which have none).
    // SAFETY: `st` describes the writable part of a mapping that nothing else
    // uses (fresh, or pooled after its thread disabled it); `old` is writable.
    let (r, old) = unsafe {
        let mut old: libc::stack_t = core::mem::zeroed();
        let r = libc::sigaltstack(&st, &mut old);
        (r, old)
    };
    if r != 0 {
        // EPERM: running on the current alternate stack, so the thread has one.
        let error = std::io::Error::last_os_error();
        ALT_POOL.put(map);
        if error.raw_os_error() == Some(libc::EPERM) {
            return Ok(None);
        }
        return Err(StackError::Map { size: len, error });
    }
    if old.ss_flags & libc::SS_DISABLE == 0 {
        // The thread had one already: put it back, keep ours for later.
        // SAFETY: `old` is the valid stack_t the kernel just reported; ours
        // is registered nowhere once it is replaced.
        unsafe { libc::sigaltstack(&old, core::ptr::null_mut()) };
        ALT_POOL.put(map);
        return Ok(None);
    }
    Ok(Some(map))
}

/// Maps a fresh alternate stack: `len` bytes whose first page is a guard.
#[cold]
fn map_alt_stack(len: usize, page: usize) -> Result<usize, StackError> {
    // SAFETY: anonymous private mapping with no address hint; checked below.
    let map = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANON,
            -1,
            0,
        )
    };
    if map == libc::MAP_FAILED {
        return Err(StackError::Map {
            size: len,
            error: std::io::Error::last_os_error(),
        });
    }
    // SAFETY: the first page of our fresh mapping becomes the guard.
    if unsafe { libc::mprotect(map, page, libc::PROT_NONE) } != 0 {
        let error = std::io::Error::last_os_error();
        // SAFETY: our own fresh mapping, used by nothing.
        unsafe { libc::munmap(map, len) };
        return Err(StackError::Map { size: len, error });
    }
    Ok(map as usize)
}

/// The mappings waiting in the alternate-stack pool (tests).
#[cfg(test)]
pub(crate) fn alt_pool_contents() -> Vec<usize> {
    ALT_POOL.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
