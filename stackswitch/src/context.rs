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
/// Aligned to a cache line: what a switch reads and writes (the link and the
/// stack range) is in its first 64 bytes.
#[repr(C, align(64))]
pub(crate) struct Header {
    /// First, so that the switching code reaches it through the header
    /// pointer both sides already hold.
    link_words: Link,
    /// The stack the context's code runs on, as `(limit, top)`: `limit` is
    /// the lowest address it may use (the stack's bottom, or an
    /// `on_stack_raw` stack's while it runs inside one) and `top` that stack's
    /// (exclusive) top. Kept here (`thread::replace_range` writes it while the
    /// context is current), so that switches neither save nor restore a
    /// thread-local range. `on_stack` on a registered `Stack` leaves it alone:
    /// `remaining_stack` finds that stack by address.
    ///
    /// `limit` also gates `suspend`'s fast path, which tests `limit <= sp`
    /// (see `Yielder::suspend`), through two marks above every user-space
    /// address on the supported targets, so that no stack pointer passes
    /// that test while either is set:
    /// - [`IN_CALLBACK`], while `on_green_stack` runs a callback on the
    ///   context: C frames then sit on the system stack below its resumer, so
    ///   it must not suspend (the resumer would overwrite them);
    /// - [`OFF_STACK`], while it runs inside `on_stack_raw`: the limit is then
    ///   another stack's, so the fast path's reasoning does not apply.
    ///
    /// Readers of the range mask both off ([`unmarked`]).
    pub(crate) range: Cell<(usize, usize)>,
    /// Save and restore the floating-point control words (x86_64 MXCSR, x87 CW).
    fp_control: bool,
    stack_id: u64,
}

/// Mark in `Header::range`'s `limit`: a callback from C runs on the context
/// (see there).
pub(crate) const IN_CALLBACK: usize = 1 << (usize::BITS - 1);

/// Mark in `Header::range`'s `limit`: the context runs inside `on_stack_raw`
/// (see there).
pub(crate) const OFF_STACK: usize = 1 << (usize::BITS - 2);

// Both marks lie above every user-space address of the supported targets
// (x86_64, aarch64 and riscv64 Linux and macOS keep user space below 2^57).
static_assertions::const_assert!(OFF_STACK > (1 << 57));

/// A stack range as recorded in a header or the thread's state, without the
/// marks ([`IN_CALLBACK`], [`OFF_STACK`]).
#[inline(always)]
pub(crate) fn unmarked((limit, top): (usize, usize)) -> (usize, usize) {
    (limit & !(IN_CALLBACK | OFF_STACK), top)
}

// The fields a switch uses share the header's first cache line.
static_assertions::const_assert!(
    core::mem::offset_of!(Header, range) + core::mem::size_of::<(usize, usize)>() <= 64
);

impl Header {
    /// Sets `range`'s `limit` (with its marks), keeping its `top`.
    #[inline(always)]
    pub(crate) fn set_limit(&self, limit: usize) {
        // The store of the unchanged top compiles away (it stores the value
        // just loaded from the same place).
        self.range.set((limit, self.range.get().1));
    }

    /// The link, as the switching code addresses it (the same address as
    /// [`link_of`] gives).
    #[inline(always)]
    fn link_ptr(&self) -> *mut usize {
        self.link_words.sp.as_ptr()
    }
}

/// The address of the link of the context whose header is at `header`,
/// without dereferencing it: the link is the header's first word.
#[inline(always)]
pub(crate) fn link_of(header: *const Header) -> *const usize {
    header.cast::<usize>()
}

static_assertions::const_assert_eq!(core::mem::offset_of!(Header, link_words), 0);
static_assertions::const_assert_eq!(core::mem::offset_of!(Link, sp), 0);

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
    /// [`CurrentThread`] costs about 1.01–1.03× corosensei's resume + yield in
    /// the same run: 27 loads and stores against corosensei's 26, on the
    /// development machine (an AMD EPYC Zen 4 VM, medians and minima of 14
    /// interleaved runs: 4.10 and 3.93 ns against 3.97 and 3.90 ns; 14.8–14.9 ns
    /// with `true`). What remains of the difference is the record of which
    /// context runs on the thread, which the resumer keeps (a load of it, and
    /// two stores: set, then cleared) for [`crate::on_system_stack`] and
    /// callbacks, and corosensei does not keep.
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
    /// The header's `fp_control`, a constant of the context: kept here, in
    /// memory the compiler may assume unchanged (`&Yielder` is a shared
    /// reference to a `Freeze` type), so a loop of suspends reads it once.
    fp_control: bool,
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
            fp_control: header.fp_control,
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
                range: Cell::new((stack.bottom(), stack.top())),
                fp_control: options.preserve_fp_control,
                stack_id: stack.id(),
            },
            f: Some(Box::new(f)),
            outcome: None,
        });
        let mut inner = NonNull::from(Box::leak(inner));
        // SAFETY: `inner` is valid (just leaked) and not shared yet.
        let header = unsafe { &mut inner.as_mut().header };
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
        let prev = t.current.get();
        let (ret, sp) = if prev.is_null() {
            // Resumed from outside any context (the usual case). The record
            // of which context runs is kept by the resumer alone, in both
            // directions: the context's switches touch no thread state.
            // Its system-stack switches go below its resumer, whose stack
            // pointer the switch saves in the link: with `sys_link` null (as it
            // is whenever no context is current), that is what the thread's
            // state says once `current` is set.
            debug_assert!(
                t.sys_link.get().is_null(),
                "stackswitch: sys_link set with no context current"
            );
            t.current.set(header);
            // SAFETY: `ctx_sp` (`self.sp`) is non-zero, so it is the context's
            // initial frame or the frame its last switch handed back, not
            // resumed since (resume takes &mut self); the link is its header's.
            let back = unsafe { arch::resume(arg, usize::from(cancel), ctx_sp, header.link_ptr()) };
            // The context switched back (suspended or finished): this thread
            // runs the resumer's code again. A constant, not the value read
            // before the switch, so that consecutive round trips form no
            // chain of stores and loads through `current`.
            t.current.set(core::ptr::null());
            back
        } else {
            // SAFETY: as above; `prev` is the non-null `current` of this
            // thread (the function's contract).
            unsafe { resume_nested(t, header, prev, arg, cancel, ctx_sp) }
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

/// A resume from inside another context, `prev` (the one running on this
/// thread): the new context is current until it switches back, then `prev`
/// again. The system stack is still the one under the outermost context's
/// resumer (or the C frames of the callback that `prev` runs), so the new
/// context's system-stack switches go where `prev`'s go: the thread's
/// `sys_link` names that slot while the new context runs (its own link holds
/// `prev`'s stack pointer), and gets its previous value back afterwards.
///
/// # Safety
/// - `prev` is `t.current` of the calling thread, whose state `t` is: the
///   header of the context running here, alive while it runs.
/// - `ctx_sp` is the non-zero saved stack pointer of `header`'s context, not
///   resumed since it was handed back.
#[cold]
#[inline(never)]
unsafe fn resume_nested(
    t: &thread::ThreadState,
    header: &Header,
    prev: *const Header,
    arg: usize,
    cancel: bool,
    ctx_sp: usize,
) -> (usize, usize) {
    let outer = t.sys_link.get();
    t.sys_link.set(thread::sys_slot(outer, prev));
    t.current.set(header);
    // SAFETY: forwarded from the contract.
    let back = unsafe { arch::resume(arg, usize::from(cancel), ctx_sp, header.link_ptr()) };
    t.current.set(prev);
    t.sys_link.set(outer);
    back
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
            let sp = arch::current_sp();
            // The common case, tested with one load and two comparisons:
            // `limit <= sp < self`. The Yielder lives in the entry's frame,
            // the outermost one on the context's stack, so `limit..self` is
            // the part of that stack below it, where only the context's own
            // code runs: `on_system_stack`, `on_stack` and a context resumed
            // inside it run on other stacks, and the only way back onto this
            // stack from them is a callback, which marks `limit` (IN_CALLBACK);
            // inside `on_stack_raw`, whose memory may be anywhere, `limit` is
            // marked too (OFF_STACK). No stack pointer passes a marked limit.
            // So this context is the one running here, as the other path
            // checks directly. The check reads no thread state: the resumer
            // alone keeps the thread's record of the running context (see
            // `Context::resume`), so a round trip touches nothing else.
            let limit = header.range.get().0;
            if sp < limit || sp >= self as *const Yielder as usize {
                // Elsewhere (an `on_stack` or `on_stack_raw` inside this
                // context, allowed) or a misuse, which panics.
                suspend_check_thread(header);
            }
            // Either way, this context is the one the thread runs (debug builds
            // check the reasoning above against the thread's record).
            debug_assert!(
                thread::with(|t| core::ptr::eq(t.current.get(), header)),
                "stackswitch: suspend passed its check while another context runs"
            );
            // SAFETY: this context runs (checked above), so its resumer is
            // blocked in the switch that stored the link; `fp_control` is fixed
            // at creation, so every switch of this context uses the same frame.
            unsafe { arch::suspend(value, header.link_ptr(), self.fp_control) }
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

/// The check of a suspend off the context's own stack or during a
/// callback, through the thread's state: returns when this context is the
/// one running on the thread and runs no callback (a suspend from inside an
/// `on_stack` of it), panics otherwise.
#[cold]
#[inline(never)]
fn suspend_check_thread(header: &Header) {
    let running = thread::with(|t| core::ptr::eq(t.current.get(), header));
    if !running || in_callback(header) {
        suspend_misuse(header);
    }
}

/// Whether a callback from C runs on the context (`on_green_stack`).
fn in_callback(header: &Header) -> bool {
    header.range.get().0 & IN_CALLBACK != 0
}

#[cold]
#[inline(never)]
fn suspend_misuse(header: &Header) -> ! {
    let stack_id = header.stack_id;
    if in_callback(header) {
        panic!(
            "stackswitch: suspend of the context on stack #{stack_id} inside a callback from C (on_green_stack); the resumer would overwrite the C frames on the system stack: return to C first, or block the whole thread"
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
