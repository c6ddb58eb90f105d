//! Context switching for back ends with one symmetric routine,
//! `stackswitch_switch`, used in both directions (aarch64, riscv64): the
//! return-address predictor there is a link-register stack that a `ret` to
//! the other side's resume address mispredicts once per switch, which costs
//! far less than on x86_64, so these back ends keep the simpler shape.

unsafe extern "C" {
    /// Saves this side, stores its stack pointer to `*save`, resumes the side
    /// saved at `to_sp` and returns `arg` there.
    ///
    /// # Safety
    /// - `to_sp` was stored by a previous `stackswitch_switch` (or produced by
    ///   `init_context_stack`) and has not been resumed since.
    /// - `save` is valid for a write of one `usize`.
    fn stackswitch_switch(arg: usize, to_sp: usize, save: *mut usize) -> usize;
}

/// Switches into the context whose saved stack pointer is `ctx_sp`, records
/// the resumer's stack pointer in `*link`, and returns the value the context
/// hands back when it suspends (or finishes).
///
/// No floating-point control state is callee-saved on these architectures
/// (FPCR / fcsr are thread-global), so `fp` changes nothing.
///
/// # Safety
/// - `ctx_sp` came from `init_context_stack` or from the context's last
///   `suspend`, and has not been resumed since; `link` is its link slot.
#[inline(always)]
pub(crate) unsafe fn resume(arg: usize, ctx_sp: usize, link: *mut usize, _fp: bool) -> usize {
    // SAFETY: forwarded from the contract: the context side was saved by
    // stackswitch_switch (or laid out by init_context_stack).
    unsafe { stackswitch_switch(arg, ctx_sp, link) }
}

/// Switches from the running context back to its resumer (whose stack
/// pointer is in `*link`), handing it `value`; stores the context's stack
/// pointer to `*save` and returns the argument of the next resume.
///
/// # Safety
/// - Runs on the context's own stack, and `*link` holds the stack pointer its
///   current resumer stored; `save` is valid for a write.
#[inline(always)]
pub(crate) unsafe fn suspend(value: usize, link: *mut usize, save: *mut usize, _fp: bool) -> usize {
    // SAFETY: forwarded from the contract: the resumer is blocked in its
    // stackswitch_switch, which saved the frame `*link` points at.
    unsafe { stackswitch_switch(value, *link, save) }
}

/// Nothing to reset: no floating-point control state is callee-saved here.
#[inline]
pub(crate) fn reset_fp_control() {}
