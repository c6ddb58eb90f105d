//! A green-thread runtime that calls C, and is called by C, the way Go's runtime
//! does, composed from the cgo-rs crates.
//!
//! This crate is part of the cgo-rs workspace and sits at the top of its layering:
//! it depends on every other library crate and re-exports each under a module, the
//! way the `crossbeam` facade does, and adds what they need to mean anything
//! together: a runtime with processors and green threads, the call path from green
//! threads into C, and the path from C back into Rust.
//!
//! # A guided tour
//!
//! **1. The runtime** ([`runtime`]). [`Runtime::builder`] makes a runtime with a
//! number of processors (worker threads that may run Rust code at once) and green
//! threads on small guard-paged pooled stacks. [`Runtime::block_on`] runs a closure
//! as a green thread and waits for it; inside, [`spawn`] → [`JoinHandle`],
//! [`yield_now`], [`sleep`] and a bounded [`channel`] are enough for real programs.
//! Scheduling is cooperative: `yield_now`, channel waits, joins and `sleep` are the
//! switch points. [`stats`] counts foreign calls, hand-offs, green threads, stacks.
//!
//! **2. Calling C** ([`foreign`]). [`c_functions!`] declares C functions and
//! generates wrappers that do Go's `cgocall` sequence: pointer checks (`ptrcheck`),
//! tell the processor it is in foreign code (`syscall-accounting`), switch to the
//! worker's system stack (`stackswitch`), call, switch back, take a processor
//! back. While one green thread sits in C, the monitor hands its processor to
//! another worker, so the other green threads keep running (`#[blocking]` hands it
//! on at once). `#[nocallback]` and `#[noescape]` are cgo's annotations: together
//! they make the call cheaper (see [the module docs](foreign#when-checks-are-skipped)).
//!
//! **3. Being called by C** ([`mod@export`]). [`export!`] defines `extern
//! "C-unwind"` functions C may call at any time on any thread: a runtime worker
//! inside a foreign call (the body runs on the calling green thread, which may call
//! C again, nesting to any depth) or a thread C created itself (attached on its
//! first call, bound until it exits). A callback from inside a `#[nocallback]` C
//! function is refused with a message naming both functions; a panic aborts with a
//! message naming the function, or propagates to the Rust caller of the C function
//! ([`callback::PanicPolicy`]).
//!
//! **4. The cgo-like build flow** (`facade::build`, feature `build`). A build script
//! resolves a C preamble's `#cgo` lines (`CFLAGS`, `LDFLAGS`, `pkg-config`,
//! `noescape`, `nocallback`), compiles it with `cc`, prints the link lines and writes
//! a functions file; `c_functions!` with `#![preamble(module)]` then takes the
//! preamble's annotations and refuses attributes that contradict them at compile
//! time. `examples/cgo.rs` with `examples/cgo/preamble.c` is the worked example:
//!
//! ```text
//! // build.rs                                   // src/main.rs
//! let plan = facade::build::CgoBuild::new()      mod cgo {
//!     .file("src/preamble.c")                        include!(concat!(env!("OUT_DIR"),
//!     .resolve()                                         "/cgo_functions.rs"));
//!     .unwrap_or_else(|e| panic!("{e}"));        }
//! plan.compile("preamble")?;                     facade::c_functions! {
//! plan.write_functions_file(                         #![preamble(cgo)]
//!     &plan.out_dir()?.join("cgo_functions.rs"))?;   fn crc32(p: *const u8, n: usize) -> u32;
//!                                                }
//! ```
//!
//! **5. The parts**, re-exported each under its own name: [`stackswitch`] (stacks,
//! switching, system-stack bounds), [`syscall_accounting`] (processors, foreign-code
//! accounting, the hand-off monitor), [`ptrcheck`] (the pointer-passing rules),
//! [`callback`] (C calling in: thread contexts, extra contexts for C threads,
//! policies), [`directives`] (`#cgo` lines).
//!
//! # A complete example
//!
//! C calls back into Rust from a green thread, and a green thread keeps running
//! while another sits in a blocking C call (here C's `qsort` calls the exported
//! comparison function, and `usleep` blocks):
//!
//! ```
//! use std::ffi::{c_int, c_void};
//! use std::time::{Duration, Instant};
//!
//! facade::c_functions! {
//!     // From the C library every Rust program links already.
//!     fn qsort(base: *mut c_void, n: usize, size: usize, cmp: *const c_void);
//!     #[blocking] fn usleep(us: u32) -> c_int;
//! }
//!
//! facade::export! {
//!     /// The comparison `qsort` calls back: descending order.
//!     fn facade_doc_descending(a: *const c_void, b: *const c_void) -> c_int {
//!         // SAFETY: qsort passes pointers to two elements of the i32 array.
//!         let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
//!         b.cmp(&a) as c_int
//!     }
//! }
//!
//! let rt = facade::Runtime::builder().processors(2).build()?;
//! let (sorted, waited) = rt.block_on(|| {
//!     let t = Instant::now();
//!     // SAFETY: usleep only sleeps.
//!     let sleeper = facade::spawn(|| unsafe { usleep(50_000) });
//!     let mut v = vec![3, 1, 4, 1, 5, 9, 2, 6];
//!     // SAFETY: `v` holds v.len() i32s; the comparison has qsort's signature.
//!     unsafe {
//!         qsort(
//!             v.as_mut_ptr().cast::<c_void>(),
//!             v.len(),
//!             4,
//!             facade_doc_descending as *const c_void,
//!         )
//!     };
//!     let sorted_at = t.elapsed();
//!     sleeper.join().unwrap();
//!     (v, sorted_at)
//! });
//! assert_eq!(sorted, [9, 6, 5, 4, 3, 2, 1, 1]);
//! assert!(waited < Duration::from_millis(50), "sorting did not wait for the sleeper");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Safety contracts
//!
//! - **`c_functions!`**: each wrapper is an `unsafe fn`; calling it is calling the C
//!   function, so the caller guarantees what that function requires (valid pointers,
//!   sizes, thread rules) and the declared signature matches the C one. `#[noescape]`
//!   promises C keeps no pointer it was given after returning; `#[nocallback]`
//!   promises C never calls back into Rust during the call (checked: a violation
//!   aborts with a message); `#[short]` promises a prompt return. See
//!   [`c_functions!`].
//! - **`export!`**: defining the function is safe; its symbol is global and
//!   unmangled, C must call it with the declared signature, must not switch stacks
//!   between a Rust foreign call and the callback it makes, and (for
//!   `PanicPolicy::Propagate`) must be compiled with unwind tables. See [`export!`].
//!
//! # Supported targets
//!
//! | target | status |
//! |---|---|
//! | x86_64 Linux (glibc) | tested |
//! | aarch64 Linux (glibc) | tested (qemu) |
//! | riscv64 Linux (glibc) | tested (qemu) |
//! | macOS, Windows | as `stackswitch` and `callback` (macOS compiles; Windows: compile error naming what is missing) |
//!
//! # Cargo features
//!
//! - `build`: `facade::build`, the cgo-like build-script helper (`directives/build`).

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
