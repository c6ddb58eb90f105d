//! A green-thread runtime that calls C the way Go's runtime does, composed from the
//! cgo-rs crates.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. The top of the layering: it depends on every other library crate and
//! re-exports each under a module, the way the `crossbeam` facade does.
//!
//! # Parts
//!
//! - **Re-exports** — each sub-crate under its own name: [`stackswitch`] (stacks,
//!   switching, system-stack bounds), [`syscall_accounting`] (processors, foreign-code
//!   accounting, the hand-off monitor), [`ptrcheck`] (the pointer-passing rules),
//!   [`callback`] and [`directives`] (used by part 2: C calling back in, `#cgo`
//!   build flow).
//! - **Runtime** ([`runtime`]) — [`Runtime::builder`], [`Runtime::block_on`],
//!   [`spawn`] → [`JoinHandle`], [`yield_now`], [`sleep`], a bounded [`channel`],
//!   [`stats`]. Green threads run on small guard-paged pooled stacks; worker threads
//!   hold processors; scheduling is cooperative.
//! - **Foreign calls** ([`foreign`]) — [`c_functions!`] declares C functions and
//!   generates wrappers doing Go's `cgocall` sequence: pointer checks, enter, switch
//!   to the system stack, call, switch back, exit. [`on_system_stack`] runs Rust
//!   code on the system stack (Go's `systemstack`).
//!
//! # Example
//!
//! ```
//! use std::ffi::c_int;
//! use std::time::Duration;
//!
//! facade::c_functions! {
//!     // `abs` comes from the C library every Rust program links already.
//!     #[nocallback] #[noescape] fn abs(x: c_int) -> c_int;
//! }
//!
//! let rt = facade::Runtime::builder().processors(2).build().unwrap();
//! let total = rt.block_on(|| {
//!     let (tx, rx) = facade::channel(16);
//!     for i in 0..100 {
//!         let tx = tx.clone();
//!         facade::spawn(move || {
//!             facade::sleep(Duration::from_millis(1));
//!             // SAFETY: `abs` has no preconditions beyond a representable result.
//!             tx.send(unsafe { abs(-i) }).unwrap();
//!         });
//!     }
//!     drop(tx);
//!     rx.map(i64::from).sum::<i64>()
//! });
//! assert_eq!(total, (0..100).sum());
//! println!("{:?}", facade::stats());
//! ```
//!
//! # Supported targets
//!
//! | target | status |
//! |---|---|
//! | x86_64 Linux (glibc) | tested |
//! | aarch64 Linux (glibc) | tested (qemu) |
//! | riscv64 Linux (glibc) | tested (qemu) |
//! | macOS, Windows | as `stackswitch` (macOS compiles; Windows: compile error naming what is missing) |
//!
//! # Cargo features
//!
//! None.

pub use callback;
pub use directives;

/// The cgo-like build-script helper (feature `build`): `directives::build`, re-exported.
/// See [`c_functions!`]'s `#![preamble(...)]` for how the generated functions file is used.
#[cfg(feature = "build")]
pub use directives::build;
pub use ptrcheck;
pub use stackswitch;
pub use syscall_accounting;

mod adapt;
pub mod export;
pub mod foreign;
pub mod runtime;
mod stats;

#[cfg(test)]
mod tests;

pub use foreign::{Arg, CheckLevel, Elem, ElemMut, elem, elem_mut, on_system_stack};
pub use runtime::{
    Builder, HandoffPolicy, JoinHandle, Receiver, RecvError, Runtime, SendError, Sender, channel,
    current_checker, in_green_thread, sleep, spawn, yield_now,
};
pub use stats::{Stats, stats};
