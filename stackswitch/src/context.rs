//! Green-thread contexts: a closure running on its own [`Stack`], switched
//! into with [`Context::resume`] and out with [`Yielder::suspend`].

use core::cell::Cell;
use core::marker::PhantomData;
use core::ptr::NonNull;
use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::arch;
use crate::stack::Stack;
use crate::thread;

/// The link: the resumer's stack pointer while the context runs, stored by
/// every switch into it and read by the switch out, and one word the back end
/// may use with it (x86_64: the resumer's floating-point control words).
#[repr(C)]
struct Link {
    sp: Cell<usize>,
    scratch: Cell<usize>,
}

/// The part of a context the switching code needs, independent of the
/// closure's result type.
///
/// Aligned to a cache line: what a switch reads and writes (the link, the
/// thread, the stack range, the gate word) is in its first 64 bytes.
#[repr(C, align(64))]
pub(crate) struct Header {
    /// First, so that the switching code reaches it through the header
    /// pointer both sides already hold.
    link_words: Link,
    /// The state of the OS thread this context runs on, set by every resume:
    /// a context runs on its resumer's thread until it switches back, so
    /// `suspend` finds the state here with one load, with no thread-local
    /// lookup (which would be a call, see `thread::with`).
    thread: Cell<*const thread::ThreadState>,
    /// The stack the context's code runs on, as `(limit, top)`: `limit` is
    /// the lowest address it may use (the stack's bottom, or an
    /// `on_stack_raw` stack's while it runs inside one) and `top` that stack's
    /// (exclusive) top. Kept here (`thread::replace_range` writes it while the
    /// context is current), so that switches neither save nor restore a
    /// thread-local range. `on_stack` on a registered `Stack` leaves it alone:
    /// `remaining_stack` finds that stack by address. `suspend` checks that the
    /// stack pointer lies in `limit..top`: the context's own code runs there
    /// and nothing else does (see `Yielder::suspend`); a suspend from inside an
    /// `on_stack` takes its other path, which checks the thread's state.
    pub(crate) range: Cell<(usize, usize)>,
    /// Number of `on_green_stack` calls running on this context's stack: C
    /// frames sit on the system stack below its resumer, so it must not
    /// suspend (the resumer would overwrite them).
    ///
    /// `callbacks` and the three bytes after it form one aligned 8-byte word
    /// (`Header::gate`) that `suspend` reads with a single load.
    pub(crate) callbacks: Cell<u32>,
    /// Save and restore the floating-point control words (x86_64 MXCSR, x87 CW).
    fp_control: bool,
    /// `parent` is set (a nested resume). Tested with `callbacks` and
    /// `fp_control` in one load, so that a suspend from a context resumed on
    /// the system stack does not read `parent`.
    nested: Cell<bool>,
    /// Zero; completes the gate word (no padding bytes inside it).
    gate_zero: [u8; 2],
    /// The link slot that holds the stack pointer of the code that resumed
    /// the outermost context running on this thread: this context's own
    /// `link_words.sp` when it was resumed from outside any context (the
    /// usual case, set at creation), the outermost context's while a nested
    /// resume runs it. `on_system_stack` switches below the value in that
    /// slot with two loads, without walking `parent`. Changed only by a
    /// nested resume and by the nested context's switch back.
    pub(crate) outer_link: Cell<*mut usize>,
    /// The context that was running on this thread when this one was
    /// resumed from inside it; null when resumed from the system stack (or an
    /// `on_stack` stack outside any context). Set by a nested resume, cleared
    /// by the context when it switches back.
    pub(crate) parent: Cell<*const Header>,
    stack_id: u64,
}

/// What `suspend` needs to know about its header, from one load.
struct Gate(u64);

// The gate word is `callbacks`, `fp_control`, `nested` and `gate_zero`, all
// initialised, starting at an 8-byte aligned offset.
static_assertions::const_assert_eq!(core::mem::offset_of!(Header, callbacks) % 8, 0);
// The fields a switch uses share the header's first cache line.
static_assertions::const_assert!(core::mem::offset_of!(Header, gate_zero) + 2 <= 64);
static_assertions::const_assert_eq!(
    core::mem::offset_of!(Header, gate_zero) + 2,
    core::mem::offset_of!(Header, callbacks) + 8
);

impl Gate {
    /// Byte `i` of the gate word, in memory order.
    #[inline(always)]
    fn byte(&self, i: usize) -> u8 {
        self.0.to_ne_bytes()[i]
    }

    #[inline(always)]
    fn callbacks(&self) -> u32 {
        let b = self.0.to_ne_bytes();
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }

    /// No callback and not nested (whatever `fp_control` says).
    #[inline(always)]
    fn is_plain(&self) -> bool {
        const NOT_FP: u64 = {
            let mut bytes = [0xff; 8];
            bytes[Gate::FP_BYTE] = 0;
            u64::from_ne_bytes(bytes)
        };
        self.0 & NOT_FP == 0
    }

    /// Index of `fp_control` in the word's bytes, in memory order.
    const FP_BYTE: usize =
        core::mem::offset_of!(Header, fp_control) - core::mem::offset_of!(Header, callbacks);

    #[inline(always)]
    fn fp_control(&self) -> bool {
        self.byte(Self::FP_BYTE) != 0
    }

    #[inline(always)]
    fn nested(&self) -> bool {
        self.byte(core::mem::offset_of!(Header, nested) - core::mem::offset_of!(Header, callbacks))
            != 0
    }
}

impl Header {
    /// The link, as the switching code addresses it.
    #[inline(always)]
    fn link_ptr(&self) -> *mut usize {
        self.link_words.sp.as_ptr()
    }

    /// `callbacks`, `fp_control` and `nested`, read with one load.
    #[inline(always)]
    fn gate(&self) -> Gate {
        let word = (self as *const Header)
            .wrapping_byte_add(core::mem::offset_of!(Header, callbacks))
            .cast::<u64>();
        // SAFETY: `word` lies inside this header (pointer derived from the
        // whole header), 8-byte aligned and fully initialised (asserted
        // above); the fields are Cells or never written after creation, and
        // only this thread touches them while the context runs.
        Gate(unsafe { word.read() })
    }

    /// Gives `thread::current` back to the code that resumed this context,
    /// just before switching to it: the resumer only sets it on the way in.
    ///
    /// Resumed from the system stack (the usual case) the restored value is
    /// the constant null, not a value read back from memory, so consecutive
    /// round trips do not form a chain of stores and loads through it.
    #[inline(always)]
    fn hand_back_current(&self, t: &thread::ThreadState, gate: &Gate) {
        if gate.nested() {
            self.hand_back_current_nested(t);
        } else {
            t.current.set(core::ptr::null());
        }
    }

    #[cold]
    #[inline(never)]
    fn hand_back_current_nested(&self, t: &thread::ThreadState) {
        t.current.set(self.parent.get());
        self.parent.set(core::ptr::null());
        self.nested.set(false);
        self.outer_link.set(self.link_ptr());
    }
}

/// How a [`Context`] is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextOptions {
    /// Save and restore the floating-point control state on every switch, as
    /// the ABI's callee-saved rules require (x86_64: MXCSR control bits and the
    /// x87 control word; other architectures have none, so this changes
    /// nothing there). Default `true`.
    ///
    /// With `false` a switch preserves exactly the registers `corosensei`
    /// preserves (x86_64: rbx, rbp, r12–r15), and a round trip through a
    /// [`CurrentThread`] costs about 1.08× corosensei's resume + yield in the same
    /// run (4.12–4.17 ns against 3.83–3.85 ns on the development machine, an AMD
    /// EPYC Zen 4 VM, on a quiet host, and 14.8–14.9 ns with `true`; noisier runs
    /// there gave up to 1.19×). The difference is the
    /// record of which context runs on the thread, which
    /// [`crate::on_system_stack`] and the checks of [`Yielder::suspend`] need
    /// and corosensei does not keep.
    /// What is given up: a change of the rounding mode, exception masks,
    /// flush-to-zero / denormals-are-zero or x87 precision control made on one
    /// side of a switch (`fesetround`, `_mm_setcsr`, a library that sets FTZ)
    /// is seen by the other side. Turn it off only when no code in the
    /// context or in its resumers changes them, or when all of it expects
    /// the same settings.
    ///
    /// Why the default costs that much more on x86_64: the words must be read
    /// when each side switches away (nothing records a change), and reading
    /// MXCSR (`stmxcsr`) takes 4.2 ns there and does not overlap with other
    /// work; two reads per round trip cost more than corosensei's whole
    /// round trip. Loads (`ldmxcsr`, `fldcw`) only run when the two sides'
    /// words differ. The `fp_control_words` bench group measures the
    /// instructions alone.
    pub preserve_fp_control: bool,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            preserve_fp_control: true,
        }
    }
}

/// A context's entry closure, boxed.
type Entry<R> = Box<dyn FnOnce(&Yielder, usize) -> R>;

#[repr(C)]
struct Inner<R> {
    header: Header,
    f: Option<Entry<R>>,
    outcome: Option<std::thread::Result<R>>,
}

/// Payload of the panic used to unwind a context that is dropped while
/// suspended.
struct ForcedUnwind;

/// What a [`Context::resume`] came back with.
pub enum Resume<R> {
    /// The context called [`Yielder::suspend`] with this value.
    Suspended(usize),
    /// The entry closure returned.
    Returned(R),
    /// The entry closure panicked; the payload, as `catch_unwind` gives it.
    Panicked(Box<dyn Any + Send + 'static>),
}

impl<R: core::fmt::Debug> core::fmt::Debug for Resume<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Resume::Suspended(v) => f.debug_tuple("Suspended").field(v).finish(),
            Resume::Returned(r) => f.debug_tuple("Returned").field(r).finish(),
            Resume::Panicked(_) => f.write_str("Panicked(..)"),
        }
    }
}

/// A green thread: an entry closure and the [`Stack`] it runs on.
///
/// ```
/// use stackswitch::{Context, Resume, Stack};
/// let mut ctx = Context::new(Stack::new(64 * 1024)?, |y, first| {
///     let second = y.suspend(first + 1);
///     second * 10
/// });
/// assert!(matches!(ctx.resume(1), Resume::Suspended(2)));
/// assert!(matches!(ctx.resume(4), Resume::Returned(40)));
/// # Ok::<(), stackswitch::StackError>(())
/// ```
///
/// Every callee-saved register of the platform ABI survives a switch in both
/// directions (x86_64: rbx, rbp, r12–r15, MXCSR, x87 control word; aarch64:
/// x19–x29, d8–d15; riscv64: s0–s11, fs0–fs11). A new context starts with the
/// ABI's default floating-point control state.
///
/// Dropping a context that is suspended unwinds its stack first (its
/// destructors run), by making the pending `suspend` panic with a private
/// payload; code that catches every panic inside a context must let that one
/// go ([`std::panic::resume_unwind`] it).
///
/// A `Context` is not `Send`: code inside may hold thread-bound values across
/// a suspension. A runtime that migrates contexts between threads uses
/// [`Context::into_send`], whose contract says why that is sound for it.
pub struct Context<R> {
    inner: NonNull<Inner<R>>,
    /// The context's saved stack pointer while it is not running (its initial
    /// frame before the first resume); 0 once it has finished. Kept here,
    /// behind `&mut self`, so that a loop of resumes can keep it in a register.
    sp: usize,
    /// The initial frame's stack pointer (`sp` until the first resume).
    initial_sp: usize,
    stack: Option<Stack>,
    _not_send: PhantomData<*mut R>,
}

/// Handed to a context's entry closure; switches back to the resumer.
pub struct Yielder {
    header: *const Header,
    _not_send: PhantomData<*mut ()>,
}

unsafe extern "C" fn context_entry<R>(arg: usize, data: *mut u8) -> ! {
    let inner = data.cast::<Inner<R>>();
    // SAFETY: `data` is the boxed Inner<R> of the Context that resumed us
    // (Context::new passed it to init_context_stack with this instantiation);
    // the Box lives until the Context is dropped, which waits for the context
    // to finish.
    let f = unsafe { (*inner).f.take() };
    // SAFETY: Inner is repr(C) with the header first, so the cast of `data`
    // is valid; the header is alive (as above) and only read here.
    let header: &Header = unsafe { &*data.cast::<Header>() };
    if header.fp_control {
        // SAFETY: the link is this context's, followed by its scratch word.
        unsafe { arch::start_fp_control(header.link_ptr()) };
    }
    let outcome = {
        let y = Yielder {
            header,
            _not_send: PhantomData,
        };
        match f {
            Some(f) => panic::catch_unwind(AssertUnwindSafe(|| f(&y, arg))),
            None => Err(Box::new("stackswitch: context entry ran twice") as Box<dyn Any + Send>),
        }
    };
    // SAFETY: as above; the resumer is blocked in its switch and reads the
    // outcome only after the switch below.
    unsafe { (*inner).outcome = Some(outcome) };
    thread::with(|t| header.hand_back_current(t, &header.gate()));
    // SAFETY: we run on this context's stack (the entry frame), its resumer is
    // blocked in the switch that stored the link, and nothing on this stack
    // needs to run again: every local above has been moved or dropped.
    unsafe { arch::finish(0, header.link_ptr(), header.fp_control) }
}

/// The calling OS thread's switching state, looked up once: for code that
/// knows it stays on its thread and switches many times, such as a
/// scheduler's loop ([`Context::resume_on`]) or a runtime's foreign-call path
/// ([`CurrentThread::on_system_stack`] and its variants), which can reach the
/// handle through state it has already looked up for the call.
///
/// Every free function of this crate that switches ([`Context::resume`],
/// [`crate::on_system_stack`], …) finds the calling thread's state with a
/// call that the optimiser can neither inline nor move: code that switches
/// may itself run in a green thread that continues on another OS thread
/// after a switch, so an address computed once could name the wrong thread
/// (see `Yielder::suspend` and the 0.1.3 CHANGELOG entry). Such a call costs
/// 1–2 ns in a switch-heavy path; a `CurrentThread` makes it once.
///
/// It is neither `Send` nor `Sync`, so it stays on the thread that created
/// it. The one way around that is a context moved to another thread while it
/// holds a `CurrentThread` (or a reference to one) across a suspension, which
/// [`Context::into_send`]'s contract rules out (it is a thread-bound value).
///
/// ```
/// use stackswitch::{Context, CurrentThread, Resume, Stack};
/// let mut ctx: Context<()> = Context::new(Stack::new(64 * 1024)?, |y, mut v| loop {
///     v = y.suspend(v * 2);
/// });
/// let here = CurrentThread::get();
/// for i in 0..1000 {
///     assert!(matches!(ctx.resume_on(&here, i), Resume::Suspended(v) if v == i * 2));
/// }
/// # Ok::<(), stackswitch::StackError>(())
/// ```
pub struct CurrentThread {
    state: NonNull<thread::ThreadState>,
    _not_send: PhantomData<*mut ()>,
}

impl CurrentThread {
    /// The calling thread.
    pub fn get() -> CurrentThread {
        CurrentThread {
            state: thread::with(|t| NonNull::from(t)),
            _not_send: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn state(&self) -> &thread::ThreadState {
        // SAFETY: `state` is the state of the thread that created this
        // handle, which is the calling thread: a CurrentThread is neither Send
        // nor Sync, and a context holding one across a suspension is not moved
        // to another thread (`Context::into_send`'s contract). That state lives
        // as long as its thread and needs no drop (see `thread::with`).
        unsafe { self.state.as_ref() }
    }
}

impl core::fmt::Debug for CurrentThread {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CurrentThread").finish_non_exhaustive()
    }
}

impl<R: 'static> Context<R> {
    /// A context that will run `f(&yielder, first_resume_arg)` on `stack`
    /// when first resumed.
    pub fn new<F>(stack: Stack, f: F) -> Context<R>
    where
        F: FnOnce(&Yielder, usize) -> R + 'static,
    {
        Context::with_options(stack, ContextOptions::default(), f)
    }

    /// [`Context::new`] with explicit [`ContextOptions`].
    pub fn with_options<F>(stack: Stack, options: ContextOptions, f: F) -> Context<R>
    where
        F: FnOnce(&Yielder, usize) -> R + 'static,
    {
        let inner = Box::new(Inner {
            header: Header {
                link_words: Link {
                    sp: Cell::new(0),
                    scratch: Cell::new(0),
                },
                outer_link: Cell::new(core::ptr::null_mut()),
                thread: Cell::new(core::ptr::null()),
                parent: Cell::new(core::ptr::null()),
                range: Cell::new((stack.bottom(), stack.top())),
                callbacks: Cell::new(0),
                fp_control: options.preserve_fp_control,
                nested: Cell::new(false),
                gate_zero: [0; 2],
                stack_id: stack.id(),
            },
            f: Some(Box::new(f)),
            outcome: None,
        });
        let mut inner = NonNull::from(Box::leak(inner));
        // SAFETY: `inner` is valid (just leaked) and not shared yet.
        let header = unsafe { &mut inner.as_mut().header };
        header.outer_link.set(header.link_ptr());
        // SAFETY: the stack is ours (moved in), unused, far larger than the
        // initial frame, and the entry/data pair matches (context_entry::<R>
        // expects exactly this Inner<R>, whose header holds `link`).
        let sp = unsafe {
            arch::init_context_stack(
                stack.top(),
                context_entry::<R>,
                inner.as_ptr().cast(),
                header.link_ptr(),
            )
        };
        Context {
            inner,
            sp,
            initial_sp: sp,
            stack: Some(stack),
            _not_send: PhantomData,
        }
    }
}

impl<R> Context<R> {
    fn header(&self) -> &Header {
        // SAFETY: `inner` stays valid until Drop.
        unsafe { &self.inner.as_ref().header }
    }

    /// Whether the entry closure has returned or panicked.
    pub fn is_finished(&self) -> bool {
        self.sp == 0
    }

    /// Whether the context has been resumed at least once.
    pub fn is_started(&self) -> bool {
        self.sp != self.initial_sp
    }

    /// The stack the context runs on.
    pub fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("stack present until drop")
    }

    /// Switches into the context, handing it `arg` (the entry's second
    /// argument on the first resume, the return value of
    /// [`Yielder::suspend`] afterwards), and runs it until it suspends,
    /// returns or panics.
    ///
    /// # Panics
    /// If the context has finished (check [`Resume::Returned`] /
    /// [`Resume::Panicked`] before resuming again). A context cannot be
    /// resumed while it runs: that would need a second `&mut` to it.
    ///
    /// Each call looks the calling thread's switching state up (a call that
    /// cannot be inlined, see [`CurrentThread`]); a loop that resumes contexts many
    /// times, such as a scheduler's, does that once with
    /// [`Context::resume_on`].
    #[inline]
    pub fn resume(&mut self, arg: usize) -> Resume<R> {
        thread::with(|t| self.switch_in(t, arg, false))
    }

    /// [`Context::resume`] on the thread `here` stands for (the calling
    /// thread: a [`CurrentThread`] cannot leave it), without looking its state
    /// up again.
    ///
    /// # Panics
    /// As [`Context::resume`].
    #[inline]
    pub fn resume_on(&mut self, here: &CurrentThread, arg: usize) -> Resume<R> {
        self.switch_in(here.state(), arg, false)
    }

    /// Resumes the context on the thread whose state is `t` (the calling
    /// thread's); with `cancel`, its pending `suspend` unwinds.
    #[inline(always)]
    fn switch_in(&mut self, t: &thread::ThreadState, arg: usize, cancel: bool) -> Resume<R> {
        let ctx_sp = self.sp;
        if ctx_sp == 0 {
            resume_finished(self.header().stack_id);
        }
        // SAFETY: `inner` stays valid until Drop; only its header's Cells are
        // touched through this shared reference while the context runs.
        let header: &Header = unsafe { &(*self.inner.as_ptr()).header };
        let (ret, sp) = {
            let prev = t.current.replace(header);
            header.thread.set(t);
            if !prev.is_null() {
                // Resumed from inside another context; the context clears
                // both as it switches back (see Header::hand_back_current).
                header.parent.set(prev);
                header.nested.set(true);
                // SAFETY: a non-null `current` is the header of the context
                // running on this thread (the one resuming us), alive while
                // it runs; only its Cell is read.
                header.outer_link.set(unsafe { (*prev).outer_link.get() });
            }
            // SAFETY: `ctx_sp` (`self.sp`) is non-zero, so it is the context's
            // initial frame or the frame its last switch handed back, not
            // resumed since (resume takes &mut self); the link is its header's.
            unsafe { arch::resume(arg, usize::from(cancel), ctx_sp, header.link_ptr()) }
        };
        self.sp = sp;
        if sp != 0 {
            return Resume::Suspended(ret);
        }
        self.finished()
    }

    #[cold]
    #[inline(never)]
    fn finished(&mut self) -> Resume<R> {
        // SAFETY: the context finished; its entry stored the outcome and the
        // stack is dead, so we are the only user of `inner`.
        let outcome = unsafe { (*self.inner.as_ptr()).outcome.take() };
        match outcome {
            Some(Ok(r)) => Resume::Returned(r),
            Some(Err(p)) => Resume::Panicked(p),
            None => Resume::Panicked(Box::new("stackswitch: context finished without an outcome")),
        }
    }

    /// Finishes the context (unwinding it if it is suspended) and gives its
    /// stack back, e.g. to a [`crate::StackPool`].
    pub fn into_stack(mut self) -> Stack {
        self.unwind();
        self.stack.take().expect("stack present until drop")
    }

    /// Makes the context `Send`, so a runtime can resume it on other threads.
    ///
    /// # Safety
    /// - Nothing the context's code keeps across a [`Yielder::suspend`] is tied
    ///   to the thread it ran on (no `Rc`, no [`CurrentThread`], no references into thread-locals,
    ///   no held `MutexGuard` of a lock that must be released on the same
    ///   thread), and `R` may be sent (it is required to be `Send`).
    pub unsafe fn into_send(self) -> SendContext<R>
    where
        R: Send,
    {
        SendContext(self)
    }

    fn unwind(&mut self) {
        while !self.is_finished() {
            if !self.is_started() {
                // Never ran: drop the closure here, on this stack.
                // SAFETY: nothing runs on the context; we own `inner`.
                unsafe { (*self.inner.as_ptr()).f = None };
                self.sp = 0;
                return;
            }
            // A panic payload other than ours is dropped: the owner is gone.
            let _ = thread::with(|t| self.switch_in(t, 0, true));
        }
    }
}

#[cold]
#[inline(never)]
fn resume_finished(stack_id: u64) -> ! {
    panic!(
        "stackswitch: resume of the finished context on stack #{stack_id}; stop resuming once it returned Resume::Returned or Resume::Panicked"
    )
}

impl<R> Drop for Context<R> {
    fn drop(&mut self) {
        self.unwind();
        // SAFETY: the context is finished or never started, so its stack is
        // dead and nothing references `inner`, which came from Box::leak.
        unsafe { drop(Box::from_raw(self.inner.as_ptr())) };
    }
}

impl<R> core::fmt::Debug for Context<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = if self.is_finished() {
            "finished"
        } else if self.is_started() {
            "suspended"
        } else {
            "not started"
        };
        f.debug_struct("Context")
            .field("stack", &self.stack)
            .field("state", &state)
            .finish()
    }
}

/// A [`Context`] that may be sent to other threads (see [`Context::into_send`]).
#[derive(Debug)]
pub struct SendContext<R>(Context<R>);

// SAFETY: the contract of `Context::into_send` makes the context's code and
// result independent of the thread; the header's Cells are only touched by
// the thread that currently resumes the context (resume takes &mut).
unsafe impl<R: Send> Send for SendContext<R> {}

impl<R> core::ops::Deref for SendContext<R> {
    type Target = Context<R>;
    fn deref(&self) -> &Context<R> {
        &self.0
    }
}

impl<R> core::ops::DerefMut for SendContext<R> {
    fn deref_mut(&mut self) -> &mut Context<R> {
        &mut self.0
    }
}

impl<R> SendContext<R> {
    /// The wrapped context.
    pub fn into_inner(self) -> Context<R> {
        self.0
    }
}

impl Yielder {
    /// Switches back to whoever resumed this context, handing it `value`
    /// ([`Resume::Suspended`]); returns the argument of the next
    /// [`Context::resume`].
    ///
    /// # Panics
    /// If called while this context is not the one running on the current
    /// stack (for example from inside [`crate::on_system_stack`], where the
    /// thread is on its system stack), or while it runs a callback from C
    /// ([`crate::on_green_stack`]): C frames then live on the system stack
    /// below the resumer, which would overwrite them. Like Go, which keeps a
    /// goroutine in a cgo callback on its thread, a runtime must block the
    /// thread instead of switching away in that state.
    #[inline]
    pub fn suspend(&self, value: usize) -> usize {
        // SAFETY: the Yielder only exists inside the entry closure, while the
        // Inner (and so the header) is alive.
        let header = unsafe { &*self.header };
        let (arg, cancel) = {
            // SAFETY: `thread` was set by the resume that started this context's
            // current run. A Yielder is only reachable from this context's own
            // code, which only runs during such a run (also inside
            // `on_system_stack` or a callback of it, the misuses caught below),
            // and a run stays on its resumer's OS thread: the context moves only
            // by suspending. So this is the calling thread's state, alive as long
            // as the thread.
            let t = unsafe { &*header.thread.get() };
            let gate = header.gate();
            let sp = arch::current_sp();
            // The common case, tested with one comparison of the gate word and
            // two of the stack pointer: no callback runs on this context (so
            // suspending is allowed), it was resumed from the system stack (the
            // resumer's `current` is the constant null), and we run on its
            // stack (or the `on_stack_raw` stack it runs in). Only this context's
            // own code runs there with no callback counted: `on_system_stack`
            // and a context resumed inside it run on other stacks, and the only
            // way back onto this stack from them is a callback. So this context
            // is the one running here, as the other path checks directly; the
            // check by address reads nothing through `t`, which would put two
            // dependent loads before the switch (measured: a quarter of a
            // round trip).
            let (limit, top) = header.range.get();
            let plain = gate.is_plain() && sp >= limit && sp < top;
            // Otherwise: this context is the one running here (on its own stack
            // or an `on_stack` stack of it), and no C callback runs on it.
            if !plain && (!core::ptr::eq(t.current.get(), header) || gate.callbacks() != 0) {
                suspend_misuse(header);
            }
            debug_assert!(core::ptr::eq(t.current.get(), header));
            if plain {
                t.current.set(core::ptr::null());
            } else {
                header.hand_back_current(t, &gate);
            }
            // SAFETY: this context runs (checked above), so its resumer is
            // blocked in the switch that stored the link; `fp_control` is fixed
            // at creation, so every switch of this context uses the same frame.
            unsafe { arch::suspend(value, header.link_ptr(), gate.fp_control()) }
        };
        if cancel != 0 {
            panic::resume_unwind(Box::new(ForcedUnwind));
        }
        arg
    }

    /// The id of the stack this context runs on.
    pub fn stack_id(&self) -> u64 {
        // SAFETY: as in `suspend`.
        unsafe { (*self.header).stack_id }
    }
}

#[cold]
#[inline(never)]
fn suspend_misuse(header: &Header) -> ! {
    let stack_id = header.stack_id;
    let callbacks = header.callbacks.get();
    if callbacks != 0 {
        panic!(
            "stackswitch: suspend of the context on stack #{stack_id} inside a callback from C (on_green_stack, {callbacks} deep); the resumer would overwrite the C frames on the system stack: return to C first, or block the whole thread"
        )
    }
    panic!(
        "stackswitch: suspend of the context on stack #{stack_id} while not running on its stack (inside on_system_stack or another context); suspend only from the context's own code"
    )
}

impl core::fmt::Debug for Yielder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Yielder")
            .field("stack_id", &self.stack_id())
            .finish()
    }
}
