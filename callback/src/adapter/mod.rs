//! Adapters to the sibling crates and the OS.
//!
//! Everything the callback protocol needs from `stackswitch` (stack pointer, bounds,
//! the switches between a green thread's stack and the system stack, the overflow
//! handler) and from
//! `syscall-accounting` (leaving and re-entering the foreign-code state) goes through
//! these small private modules, so the protocol in [`crate::entry`] reads the same
//! whichever way each piece is provided.

pub(crate) mod acct;
pub(crate) mod key;
pub(crate) mod stack;
