//! Stack-overflow detection: a SIGSEGV/SIGBUS handler on an alternate signal
//! stack that names the stack whose guard page was hit, then aborts.
//!
//! Faults that are not in a registered guard range are passed on to the
//! handler that was installed before ours (for example the Rust standard
//! library's own guard-page handler), or to the default action.

use core::cell::{RefCell, UnsafeCell};
use core::mem::MaybeUninit;
use std::sync::Once;

use crate::os::{Imp, OsImp};
use crate::primitive::{AtomicPtr, AtomicUsize, Ordering};
use crate::stack::StackError;

/// What kind of stack a guard range protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A [`crate::Stack`], named by its id.
    Green(u64),
    /// A thread's system stack, named by its thread id.
    System(u64),
}

const FREE: usize = 0;
const WRITING: usize = 1;
const LIVE: usize = 2;
const SLOTS: usize = 256;

struct Slot {
    state: AtomicUsize,
    guard_lo: AtomicUsize,
    guard_hi: AtomicUsize,
    stack_lo: AtomicUsize,
    stack_hi: AtomicUsize,
    /// Low bit: 0 green, 1 system; the rest: the id.
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
                slot.guard_lo.store(guard.0, Ordering::Relaxed);
                slot.guard_hi.store(guard.1, Ordering::Relaxed);
                slot.stack_lo.store(stack.0, Ordering::Relaxed);
                slot.stack_hi.store(stack.1, Ordering::Relaxed);
                let word = match kind {
                    Kind::Green(id) => (id as usize) << 1,
                    Kind::System(id) => (id as usize) << 1 | 1,
                };
                slot.kind.store(word, Ordering::Relaxed);
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

impl Drop for Registration {
    fn drop(&mut self) {
        self.0.state.store(WRITING, Ordering::Relaxed);
        self.0.guard_lo.store(0, Ordering::Relaxed);
        self.0.guard_hi.store(0, Ordering::Relaxed);
        // Release: the next owner (Acquire CAS) sees the cleared fields.
        self.0.state.store(FREE, Ordering::Release);
    }
}

/// A registered range that contains `addr`: `(kind, stack_lo, stack_hi)`.
pub(crate) fn lookup(addr: usize) -> Option<(Kind, usize, usize)> {
    let mut chunk: *const Chunk = &REGISTRY;
    while !chunk.is_null() {
        // SAFETY: chunks are never freed (see `register`).
        let c = unsafe { &*chunk };
        for slot in &c.slots {
            // Acquire pairs with the Release store of LIVE in `register`.
            if slot.state.load(Ordering::Acquire) != LIVE {
                continue;
            }
            let lo = slot.guard_lo.load(Ordering::Relaxed);
            let hi = slot.guard_hi.load(Ordering::Relaxed);
            if lo <= addr && addr < hi {
                let word = slot.kind.load(Ordering::Relaxed);
                let id = (word >> 1) as u64;
                let kind = if word & 1 == 0 {
                    Kind::Green(id)
                } else {
                    Kind::System(id)
                };
                return Some((
                    kind,
                    slot.stack_lo.load(Ordering::Relaxed),
                    slot.stack_hi.load(Ordering::Relaxed),
                ));
            }
        }
        // Acquire pairs with the chunk publication in `register`.
        chunk = c.next.load(Ordering::Acquire);
    }
    None
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
    ensure_signal_stack()
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some((kind, lo, hi)) = lookup(addr) {
        report(kind, lo, hi, addr);
        // SAFETY: abort has no preconditions; it is async-signal-safe.
        unsafe { libc::abort() };
    }
    let i = if sig == libc::SIGSEGV { 0 } else { 1 };
    // SAFETY: our handler is only installed after `PREVIOUS` was written
    // (see `Previous`), so the slot is initialised.
    let prev = unsafe { (*PREVIOUS.0.get())[i].assume_init_ref() };
    let action = prev.sa_sigaction;
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

fn report(kind: Kind, lo: usize, hi: usize, addr: usize) {
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
pub(crate) fn format_report(kind: Kind, lo: usize, hi: usize, addr: usize) -> Line {
    let mut line = Line {
        buf: [0; 320],
        len: 0,
    };
    line.str("stackswitch: stack overflow on ");
    match kind {
        Kind::Green(id) => line.str("green-thread stack #").dec(id),
        Kind::System(tid) => line.str("the system stack of thread ").dec(tid),
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
        Kind::Green(_) => line.str("run this code on a larger Stack; aborting\n"),
        Kind::System(_) => line.str("give this thread a larger stack; aborting\n"),
    };
    line
}

/// An alternate signal stack this crate mapped for the current thread.
struct AltStack {
    /// Start of the mapping (its first page is the guard).
    map: usize,
    /// The usable range handed to `sigaltstack` starts here.
    sp: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
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
        if old.ss_sp as usize != self.sp || old.ss_flags & libc::SS_DISABLE != 0 {
            // Someone replaced or disabled ours since: put theirs back. Ours is
            // no longer registered anywhere, so it can be reused.
            // SAFETY: `old` is the valid stack_t the kernel just reported.
            unsafe { libc::sigaltstack(&old, core::ptr::null_mut()) };
        }
        ALT_POOL.put(self.map);
    }
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
        // `ensure_signal_stack`, registered nowhere any more.
        unsafe { libc::munmap(map as *mut libc::c_void, alt_map_len()) };
    }
}

/// Whether the calling thread is known to have an alternate signal stack
/// (ours, in `ALT_STACK`, or one it had before: the standard library gives
/// its threads one), so later calls need no system call.
struct AltState {
    known: core::cell::Cell<bool>,
    ours: RefCell<Option<AltStack>>,
}

thread_local! {
    static ALT_STACK: AltState = const {
        AltState { known: core::cell::Cell::new(false), ours: RefCell::new(None) }
    };
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
    // During thread teardown (TLS destroyed) there is nothing to remember the
    // answer in: fall back to asking the kernel each time.
    let known = ALT_STACK.try_with(|s| s.known.get()).unwrap_or(false);
    if known {
        return Ok(());
    }
    let page = Imp::page_size();
    let len = alt_map_len();
    let pooled = ALT_POOL.take();
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
            let _ = ALT_STACK.try_with(|s| s.known.set(true));
            return Ok(());
        }
    }
    let map = match pooled {
        Some(map) => map,
        None => map_alt_stack(len, page)?,
    };
    let sp = map + page;
    let st = libc::stack_t {
        ss_sp: sp as *mut libc::c_void,
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
            let _ = ALT_STACK.try_with(|s| s.known.set(true));
            return Ok(());
        }
        return Err(StackError::Map { size: len, error });
    }
    if old.ss_flags & libc::SS_DISABLE == 0 {
        // The thread had one already: put it back, keep ours for later.
        // SAFETY: `old` is the valid stack_t the kernel just reported; ours
        // is registered nowhere once it is replaced.
        unsafe { libc::sigaltstack(&old, core::ptr::null_mut()) };
        ALT_POOL.put(map);
        let _ = ALT_STACK.try_with(|s| s.known.set(true));
        return Ok(());
    }
    let alt = AltStack { map, sp };
    let stored = ALT_STACK.try_with(|s| {
        *s.ours.borrow_mut() = Some(alt);
        s.known.set(true);
    });
    // Teardown: the closure (and `alt`) was dropped without running, which
    // disabled the stack again; report it rather than pretend.
    if stored.is_err() {
        return Err(StackError::Map {
            size: len,
            error: std::io::Error::other("thread-local storage already destroyed"),
        });
    }
    Ok(())
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
