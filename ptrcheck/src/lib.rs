//! Run-time checks of the cgo pointer-passing rules, with pinning.
//!
//! A runtime that owns a managed (garbage-collected, possibly moving) heap and
//! calls C needs what Go's `cgocheck` gives: managed code may pass C a pointer
//! to managed memory only if that memory holds no *unpinned* managed pointers;
//! C must not keep the pointer; a function called from C must not return an
//! unpinned managed pointer; and (in the costlier mode) no unpinned managed
//! pointer may be stored into C memory. This crate checks those rules at run
//! time and says exactly which pointer broke them.
//!
//! A leaf crate of the cgo-rs workspace: it depends on no sibling crate; the
//! `facade` crate uses it to check `c_functions!` arguments and `export!`
//! results.
//!
//! # Parts
//!
//! - **Managed memory**: a [`Registry`] (inside each [`Checker`]) of heap
//!   arenas, green-thread stacks and static data regions, answering
//!   [`Registry::find`] lock-free in O(log n). Each heap comes with an
//!   [`ObjectLookup`] implemented by the runtime's allocator: address →
//!   [`Object`] (base, size, [`PointerMap`], [`PinCell`]), so pointers of unknown
//!   type are checked by scanning the whole object, like Go's heap-bitmap walk.
//! - **Types**: [`Pointers`] says where a type keeps pointers. Implemented for
//!   scalars, raw pointers, references, `Box`, arrays, slices, `str`, `Vec`,
//!   `String`, `Option`, tuples, function pointers, closures and `dyn Any`;
//!   [`impl_pointers!`] implements it for user structs, unions and opaque
//!   types. `Pointers::HAS_POINTERS` is a constant, so a check of a
//!   pointer-free type compiles to nothing. What Go rejects outright (map,
//!   channel, closures) has Rust forms, listed in [`pointers`].
//! - **Argument forms**: [`Checker::check_arg`] (whole value / whole object),
//!   [`Checker::check_addr_of`] (`&s.f`: that field only) and
//!   [`Checker::check_elements`] (`&a[i]`: the whole array or slice). The
//!   [`call!`] macro picks the form from the argument's syntax, as cmd/cgo does.
//! - **Pinning**: [`Pinner`] pins heap objects; pins add up; dropping a
//!   `Pinner` that still holds pins reports the leak.
//! - **Results**: [`Checker::check_result`] for values returned to C.
//! - **Writes** (level 2): [`Checker::store`], [`Checker::copy`] and
//!   [`Checker::check_write`].
//! - **Levels**: [`Level`] 0/1/2, per checker ([`Checker::set_level`]), with the
//!   default read once from the environment variable `CGO_RS_PTRCHECK`
//!   ([`Level::from_env`]).
//! - **Errors**: a [`Violation`] names the function and argument, the path
//!   inside the value (`arg 1 (*Node).next→object+0x8`), the offending address
//!   and the object it points into, and keeps Go's sentence (`argument of cgo
//!   function has Go pointer to unpinned Go pointer`, `result of Go function
//!   … called from cgo is unpinned Go …`, `unpinned Go pointer stored into
//!   non-Go memory`) as a substring.
//!
//! # The rules, as checked
//!
//! A walk over the value carries Go's `top` flag: `true` for the argument
//! itself, `false` for everything reached from it.
//! - A managed pointer found below top must point into a pinned heap object
//!   (stack and static data never move, so they count as pinned).
//! - Behind every managed heap pointer (at any level) the whole heap object is
//!   scanned once with the allocator's [`PointerMap`]: each of its pointer
//!   words must be null, unmanaged, or point at something pinned. The scan does
//!   not go further (as in Go).
//! - A pointer into a [`RegionKind::Data`] region that must be examined is
//!   rejected: object sizes there are unknown (Go's rule for `data`/`bss`).
//! - Slices and strings: the data pointer must be pinned below top; slice
//!   elements are then checked below top. Elements of slices whose data is not
//!   managed are not examined.
//! - A reference at top into a managed *stack* is checked through its type
//!   (Go moves such variables to the heap and scans them; a raw pointer into a
//!   stack, having no type to go by, is accepted like Go).
//! - Results are walked below top: any unpinned managed pointer fails. A
//!   trait object that *is* the result (not a field or element of it) is
//!   checked by scanning its data's heap object, which itself need not be
//!   pinned: Go checks a returned interface by its dynamic value, so a boxed
//!   integer passes and a boxed pointer must be pinned.
//! - Write checks (level 2) only look at the stored value's own pointer words.
//!   A bulk [`Checker::copy`] is checked only when its source lies in managed
//!   memory and its destination does not.
//! - A union (`impl_pointers!(union …)`) is opaque bytes: it holds no pointers
//!   by value, also inside a struct or array; only a pointer *to* a union with
//!   pointer members is checked (by scanning the heap object).
//!
//! # Differences from Go
//!
//! - Violations are returned as typed errors naming the culprit; Go panics with
//!   one fixed sentence (kept here as a substring of the message).
//! - Kinds use Rust names: "trait object" where Go says "interface",
//!   "closure" for Go's rejected func values; Go's map and channel are types a
//!   runtime declares with `impl_pointers!(reject …)`.
//! - A reference into a managed stack is checked through its type (Go has no
//!   such case: it moves such variables to the heap).
//! - Slices are checked over `len` elements (Rust has no capacity beyond the
//!   initialised elements); for a sub-slice `&a[r]`, `call!` checks `a` from
//!   the start of `r` to the end of `a`, where Go checks up to the capacity.
//! - A type declared with `impl_pointers!(reject …)` is rejected even when
//!   empty; Go lets a nil map or channel *returned by value* pass (but rejects
//!   one found behind an address). Return `Option<Map>` for a nil map.
//! - A trait object's data is checked by scanning the heap object it points
//!   into; Go walks an interface's value with its dynamic type (so it also
//!   looks behind the value's pinned pointers). Rust has no run-time type
//!   description to walk.
//! - A failing result check always names the exported function. Go names it
//!   only when the culprit is the returned value itself; when it is found
//!   deeper (a field, an element, a scanned object) Go's message names
//!   `t` at a line of `runtime/cgocall.go`, an artefact of how it finds the
//!   caller. Go's `cgocheck2` build may also throw the write error for a
//!   result holding an unpinned pointer before the result check runs (the
//!   result is stored into C memory on the way back); here a result is only
//!   checked by [`Checker::check_result`].
//! - A pointer into a heap region outside any live object is reported
//!   ([`Reason::FreeMemory`]), also at the top level; Go cannot tell free slots
//!   from objects.
//! - Level 2 does not imply level-1 checks when the level is set to 0: there is
//!   one knob, not a build flag plus a run-time setting.
//! - Pinning a pointer into a stack or static data, or into memory nobody
//!   registered, is a no-op (as in Go for globals); pinning null is refused
//!   with [`PinError::Null`] (Go panics with "argument is nil" for an untyped
//!   nil interface, and silently ignores a typed nil pointer).
//!
//! # How the facade uses it
//!
//! A generated wrapper for a C function calls [`Checker::check_arg`] on the
//! global checker for each parameter (constant-folded away unless the type has
//! [`Pointers::NEEDS_ARG_CHECK`]) and panics with the [`Violation`]'s message;
//! call sites that want cgo's `&s.f` / `&a[i]` precision use [`call!`]. An
//! exported function's wrapper calls [`Checker::check_result`] before
//! returning to C (both in the example below). A wrapper whose checks apply only
//! at [`Level::Writes`] (a `noescape` + `nocallback` function) first asks
//! [`any_checker_at_writes`], one load that needs no checker, and reads its
//! checker's level only if that says yes.
//!
//! ```
//! // What `c_functions!` can generate for `void c_fill(char *buf, size_t n)`
//! // and `export!` for a function returning a pointer to C.
//! extern "C" fn c_fill(_buf: *mut u8, _n: usize) {}
//!
//! fn c_fill_checked(buf: *mut u8, n: usize) {
//!     // `*mut u8` cannot reach pointers: this line compiles to nothing.
//!     if let Err(v) = ptrcheck::global().check_arg("c_fill", 1, &buf) {
//!         panic!("{v}");
//!     }
//!     c_fill(buf, n)
//! }
//!
//! extern "C" fn exported() -> *const *const u8 {
//!     static TABLE: [usize; 1] = [0];
//!     let result = TABLE.as_ptr().cast::<*const u8>();
//!     if let Err(v) = ptrcheck::global().check_result("exported", &result) {
//!         panic!("{v}");
//!     }
//!     result
//! }
//!
//! let mut buf = [0u8; 4];
//! c_fill_checked(buf.as_mut_ptr(), buf.len());
//! assert!(!exported().is_null());
//! ```
//!
//! # Example
//!
//! ```
//! use ptrcheck::{call, impl_pointers, Checker, Level, Object, ObjectLookup, PinCell,
//!                Pinner, PointerMap};
//! use std::ptr::NonNull;
//! use std::sync::Arc;
//!
//! // The runtime's allocator; here a heap of two 16-byte objects, each of two
//! // pointer words.
//! struct TwoObjects { base: NonNull<u8>, pins: [PinCell; 2] }
//! // SAFETY: the heap memory is only read through `ObjectLookup`, under its
//! // contract; `PinCell` is atomic.
//! unsafe impl Send for TwoObjects {}
//! // SAFETY: as for `Send`.
//! unsafe impl Sync for TwoObjects {}
//! // SAFETY: (1) object i spans base+16i..base+16i+16 and only addresses of the
//! // registered 32 bytes are looked up; (2) the words are usize-aligned;
//! // (3) all four words are initialised; (4) single-threaded; (5) one cell per
//! // object, and the memory outlives the checker.
//! unsafe impl ObjectLookup for TwoObjects {
//!     fn object(&self, addr: usize) -> Option<Object<'_>> {
//!         let i = (addr - self.base.addr().get()) / 16;
//!         // SAFETY: i < 2, so the offset stays inside the 32 bytes.
//!         let base = unsafe { self.base.add(16 * i) };
//!         Some(Object { base, size: 16, pointers: PointerMap::AllWords, pin: &self.pins[i] })
//!     }
//! }
//!
//! #[repr(C)]
//! struct Pair { a: *const u8, b: *const u8 }
//! impl_pointers!(Pair { a: *const u8, b: *const u8 });
//!
//! extern "C" fn c_function(_p: *const Pair) {}
//!
//! let mut words = [0usize; 4];
//! let base = NonNull::from(&mut words).cast::<u8>();
//! let start = base.addr().get();
//! let heap = Arc::new(TwoObjects { base, pins: [PinCell::new(), PinCell::new()] });
//! let checker = Checker::with_level(64, Level::Calls);
//! checker.registry().add_heap(start..start + 32, heap).unwrap();
//!
//! // Object 0 is a Pair whose `a` points at object 1.
//! // SAFETY: base is valid for 32 bytes and aligned for Pair.
//! let pair: &Pair = unsafe {
//!     base.cast::<Pair>().write(Pair { a: base.as_ptr().add(16), b: std::ptr::null() });
//!     base.cast::<Pair>().as_ref()
//! };
//!
//! // `&*pair`: the field form examines the Pair: `a` is not pinned.
//! let err = call!(&checker, c_function(&*pair)).unwrap_err();
//! let msg = err.to_string();
//! assert!(msg.contains("c_function: arg 1 (*Pair).a"), "{msg}");
//! assert!(msg.contains("argument of cgo function has Go pointer to unpinned Go pointer"));
//!
//! // Pin object 1 for the duration of the call.
//! let mut pinner = Pinner::new(&checker);
//! pinner.pin(pair.a).unwrap();
//! call!(&checker, c_function(&*pair)).unwrap();
//! pinner.unpin();
//! ```
//!
//! # Supported targets
//!
//! | target | status |
//! |---|---|
//! | Linux x86_64, aarch64, riscv64 | tested (aarch64/riscv64 under qemu), Miri-clean |
//! | macOS x86_64/aarch64, Windows x86_64 (gnu) | compiles (pure Rust, no OS code) |
//!
//! # Cargo features
//!
//! None.

mod call;
#[doc(hidden)]
pub use call::__ElementIndex;
mod checker;
mod error;
mod level;
mod object;
mod pinner;
pub mod pointers;
mod primitive;
mod registry;
mod walk;

#[cfg(test)]
mod tests;

pub use checker::{Checker, any_checker_at_writes, global};
pub use error::{Kind, PinError, Reason, Site, Step, Target, Violation, short_type_name};
pub use level::{ENV_VAR, Level, ParseLevelError};
pub use object::{Object, ObjectLookup, PinCell, PointerMap};
pub use pinner::{Pinned, Pinner};
pub use pointers::Pointers;
pub use registry::{
    DEFAULT_REGION_CAPACITY, MAX_HEAPS, Region, RegionId, RegionKind, Registry, RegistryError,
};
pub use walk::Walker;
