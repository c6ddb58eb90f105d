//! Context switching for back ends with one symmetric routine,
//! `stackswitch_switch`, used in both directions (aarch64, riscv64): the
//! return-address predictor there is a link-register stack that a `ret` to
//! the other side's resume address mispredicts once per switch, which costs
//! far less than on x86_64, so these back ends keep the simpler shape.
//!
//! The routine passes its first two argument registers through untouched, so
//! the other side's call returns them as its two result registers: a resume
//! hands over `(arg, aux)`, a suspend `(value, 1)`, the finishing switch
//! `(value, 0)`. A suspending context stores its stack pointer in its link
//! (which is dead until the next resume rewrites it), where the resumer picks
//! it up.

/// The two result registers of `stackswitch_switch` (x0/x1, a0/a1).
#[repr(C)]
struct Handed {
    value: usize,
    aux: usize,
}

unsafe extern "C" {
    /// Saves this side, stores its stack pointer to `*save`, resumes the side
    /// saved at `to_sp` and returns `(value, aux)` there.
    ///
    /// # Safety
    /// - `to_sp` was stored by a previous `stackswitch_switch` (or produced by
    ///   `init_context_stack`) and has not been resumed since.
    /// - `save` is valid for a write of one `usize`.
    fn stackswitch_switch(value: usize, aux: usize, to_sp: usize, save: *mut usize) -> Handed;
}

/// Switches into the context whose saved stack pointer is `ctx_sp`, records
/// the resumer's stack pointer in `*link`, and hands it `arg` and `aux`.
/// Returns the value the context hands back and its new saved stack pointer
/// (0: the context finished).
///
/// # Safety
/// - `ctx_sp` came from `init_context_stack` or from the previous `resume` of
///   this context (non-zero), and has not been resumed since; `link` is the
///   context's link.
#[inline(always)]
pub(crate) unsafe fn resume(
    arg: usize,
    aux: usize,
    ctx_sp: usize,
    link: *mut usize,
) -> (usize, usize) {
    // SAFETY: forwarded from the contract: the context side was saved by
    // stackswitch_switch (or laid out by init_context_stack).
    let back = unsafe { stackswitch_switch(arg, aux, ctx_sp, link) };
    // A suspended context left its stack pointer in the link; a finished one
    // has none.
    // SAFETY: `link` is valid (the contract); only this thread uses it now.
    let sp = if back.aux != 0 { unsafe { *link } } else { 0 };
    (back.value, sp)
}

/// Switches from the running context back to its resumer (whose stack
/// pointer is in `*link`), handing it `value`; returns the next resume's
/// `arg` and `aux`.
///
/// No floating-point control state is callee-saved on these architectures
/// (FPCR / fcsr are thread-global), so `fp` changes nothing.
///
/// # Safety
/// - Runs on the context's own stack (or an `on_stack` stack of it), and
///   `*link` holds the stack pointer its current resumer stored.
#[inline(always)]
pub(crate) unsafe fn suspend(value: usize, link: *mut usize, _fp: bool) -> (usize, usize) {
    // SAFETY: forwarded from the contract: the resumer is blocked in its
    // stackswitch_switch, which saved the frame `*link` points at; the link
    // is free for our stack pointer until the next resume rewrites it.
    let back = unsafe { stackswitch_switch(value, 1, *link, link) };
    (back.value, back.aux)
}

/// The last switch of a finished context: back to its resumer for good.
///
/// # Safety
/// - As `suspend`; nothing on the context's stack is used afterwards.
#[inline(always)]
pub(crate) unsafe fn finish(value: usize, link: *mut usize, _fp: bool) -> ! {
    // SAFETY: as in `suspend`; aux 0 tells the resumer that no frame is left.
    unsafe { stackswitch_switch(value, 0, *link, link) };
    // Nothing resumes a finished context (its resumer saw stack pointer 0).
    std::process::abort()
}

/// Nothing to record or reset: no floating-point control state is
/// callee-saved here.
///
/// # Safety
/// None needed; `unsafe` to match the back ends that store through `_link`.
#[inline]
pub(crate) unsafe fn start_fp_control(_link: *mut usize) {}
