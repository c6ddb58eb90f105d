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

const NOT_STARTED: u8 = 0;
const SUSPENDED: u8 = 1;
const RUNNING: u8 = 2;
const FINISHED: u8 = 3;

/// The part of a context the switching code needs, independent of the
/// closure's result type.
pub(crate) struct Header {
    /// Saved stack pointer while suspended.
    sp: Cell<usize>,
    /// The link slot at the top of the stack: the resumer's stack pointer.
    pub(crate) link: *mut usize,
    /// The context that was running on this thread when this one was
    /// resumed (null: resumed from the system stack). Set by every resume.
    pub(crate) parent: Cell<*const Header>,
    /// Lowest address the context's code may use: the stack's bottom, or an
    /// `on_stack` stack's while it runs inside one. Kept here, always up to
    /// date (`thread::replace_limit` writes it while the context is current),
    /// so that switches neither save nor restore a thread-local limit.
    pub(crate) limit: Cell<usize>,
    /// Number of `on_green_stack` calls running on this context's stack: C
    /// frames sit on the system stack below its resumer, so it must not
    /// suspend (the resumer would overwrite them).
    pub(crate) callbacks: Cell<u32>,
    state: Cell<u8>,
    /// Set by `Drop` to make `suspend` unwind the context.
    cancel: Cell<bool>,
    stack_id: u64,
    /// The usable range of the context's own stack.
    stack_lo: usize,
    stack_hi: usize,
    /// Save and restore the floating-point control words (x86_64 MXCSR, x87 CW).
    fp_control: bool,
}

impl Header {
    /// Switches from the context back to its resumer.
    ///
    /// # Safety
    /// As `arch::suspend`: runs on this context's stack while its resumer is
    /// blocked in `arch::resume`.
    #[inline(always)]
    unsafe fn suspend(&self, value: usize) -> usize {
        // SAFETY: forwarded from this function's contract; `fp_control` is
        // fixed at creation, so every switch of this context uses the same frame.
        unsafe { arch::suspend(value, self.link, self.sp.as_ptr(), self.fp_control) }
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
    /// Turn it off only when no code in the context or in its resumers changes
    /// the rounding mode, exception masks, flush-to-zero or precision control:
    /// reading MXCSR (`stmxcsr`) is the most expensive instruction of an
    /// x86_64 switch on some processors. With it off, a change made on one side
    /// is seen by the other.
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
    // the Box lives until the Context is dropped, which waits for FINISHED.
    let f = unsafe { (*inner).f.take() };
    let header: *const Header = data.cast::<Header>();
    // SAFETY: as below; the header is alive and only read.
    if unsafe { (*header).fp_control } {
        arch::reset_fp_control();
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
    // SAFETY: as above; Inner is repr(C) with the header first, so the cast of
    // `data` to Header is valid. The resumer is blocked in its switch.
    unsafe {
        (*inner).outcome = Some(outcome);
        (*header).state.set(FINISHED);
        (*header).suspend(0);
    }
    // A finished context is never resumed again (resume checks FINISHED).
    std::process::abort()
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
        let link = (stack.top() - arch::LINK_OFFSET) as *mut usize;
        let inner = Box::new(Inner {
            header: Header {
                sp: Cell::new(0),
                link,
                parent: Cell::new(core::ptr::null()),
                limit: Cell::new(stack.bottom()),
                callbacks: Cell::new(0),
                state: Cell::new(NOT_STARTED),
                cancel: Cell::new(false),
                stack_id: stack.id(),
                stack_lo: stack.bottom(),
                stack_hi: stack.top(),
                fp_control: options.preserve_fp_control,
            },
            f: Some(Box::new(f)),
            outcome: None,
        });
        let inner = NonNull::from(Box::leak(inner));
        // SAFETY: the stack is ours (moved in), unused, far larger than the
        // initial frame, and the entry/data pair matches (context_entry::<R>
        // expects exactly this Inner<R>).
        let sp = unsafe {
            arch::init_context_stack(stack.top(), context_entry::<R>, inner.as_ptr().cast())
        };
        // SAFETY: `inner` is valid (just leaked) and not shared yet.
        unsafe { inner.as_ref().header.sp.set(sp) };
        Context {
            inner,
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
        self.header().state.get() == FINISHED
    }

    /// Whether the context has been resumed at least once.
    pub fn is_started(&self) -> bool {
        self.header().state.get() != NOT_STARTED
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
    /// [`Resume::Panicked`] before resuming again) or is running (resumed
    /// from inside itself).
    #[inline]
    pub fn resume(&mut self, arg: usize) -> Resume<R> {
        let header = self.header();
        let state = header.state.get();
        if state == FINISHED || state == RUNNING {
            resume_misuse(header.stack_id, state);
        }
        header.state.set(RUNNING);
        let h: *const Header = header;
        let ret = thread::with(|t| {
            let prev_current = t.current.replace(h);
            header.parent.set(prev_current);
            // SAFETY: the context is NOT_STARTED or SUSPENDED, so `sp` is its
            // initial frame or the frame its last switch saved, not resumed
            // since; the link slot at its stack top is valid for a write.
            let ret = unsafe { arch::resume(arg, header.sp.get(), header.link, header.fp_control) };
            t.current.set(prev_current);
            ret
        });
        if header.state.get() != FINISHED {
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
    ///   to the thread it ran on (no `Rc`, no references into thread-locals,
    ///   no held `MutexGuard` of a lock that must be released on the same
    ///   thread), and `R` may be sent (it is required to be `Send`).
    pub unsafe fn into_send(self) -> SendContext<R>
    where
        R: Send,
    {
        SendContext(self)
    }

    fn unwind(&mut self) {
        loop {
            let state = self.header().state.get();
            if state == NOT_STARTED {
                // Never ran: drop the closure here, on this stack.
                // SAFETY: nothing runs on the context; we own `inner`.
                unsafe { (*self.inner.as_ptr()).f = None };
                self.header().state.set(FINISHED);
                return;
            }
            if state != SUSPENDED {
                return;
            }
            self.header().cancel.set(true);
            // A panic payload other than ours is dropped: the owner is gone.
            let _ = self.resume(0);
        }
    }
}

#[cold]
#[inline(never)]
fn resume_misuse(stack_id: u64, state: u8) -> ! {
    if state == FINISHED {
        panic!(
            "stackswitch: resume of the finished context on stack #{stack_id}; stop resuming once it returned Resume::Returned or Resume::Panicked"
        )
    }
    panic!(
        "stackswitch: resume of the context on stack #{stack_id} from inside itself; a context can only be resumed by another stack"
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
        let state = match self.header().state.get() {
            NOT_STARTED => "not started",
            SUSPENDED => "suspended",
            RUNNING => "running",
            _ => "finished",
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
        let sp = arch::current_sp();
        // On our own stack this context is the one running (no thread-local
        // access needed). Elsewhere it is legitimate only inside an
        // `on_stack` of this very context (whose limit stays in the header
        // until that returns).
        if !(header.stack_lo < sp && sp <= header.stack_hi) {
            check_suspend_elsewhere(header);
        }
        if header.callbacks.get() != 0 {
            suspend_misuse(header.stack_id, header.callbacks.get());
        }
        header.state.set(SUSPENDED);
        // SAFETY: we run on this context's stack (checked above), so its
        // resumer is blocked in the switch that stored the link slot.
        let ret = unsafe { header.suspend(value) };
        if header.cancel.get() {
            panic::resume_unwind(Box::new(ForcedUnwind));
        }
        ret
    }

    /// The id of the stack this context runs on.
    pub fn stack_id(&self) -> u64 {
        // SAFETY: as in `suspend`.
        unsafe { (*self.header).stack_id }
    }
}

/// `suspend` off the context's own stack: legitimate only inside an
/// `on_stack` of this very context (it is then still the current one).
#[cold]
#[inline(never)]
fn check_suspend_elsewhere(header: &Header) {
    if !thread::with(|t| core::ptr::eq(t.current.get(), header)) {
        suspend_misuse(header.stack_id, 0);
    }
}

#[cold]
#[inline(never)]
fn suspend_misuse(stack_id: u64, callbacks: u32) -> ! {
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
