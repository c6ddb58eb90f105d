//! [`thread_slot!`](crate::thread_slot): a per-thread pointer that code running on
//! green threads may read and write directly.
//!
//! A green thread can continue on another OS thread after any switch, while the
//! compiler treats a thread-local's address as fixed within a function: once code that
//! reads a `thread_local!` is inlined into a loop that also switches (a scheduler's
//! yield), the compiler may compute the address once, before the loop, and later
//! iterations then read the slot of the thread the green thread *started* on. The usual
//! cure, a read in a function that is never inlined, costs a call per read (about 2 ns
//! on the development machine). A `thread_slot!` costs no call where the platform
//! allows it:
//!
//! - **x86_64 Linux**: an 8-byte thread-local symbol defined in assembly (`.tbss`,
//!   zero-initialised, so null until set), read and written by inline assembly that
//!   the compiler may neither move nor merge (it is not declared `pure`), addressed in
//!   the initial-exec model (`symbol@GOTTPOFF`): one load of the slot's offset and one
//!   `fs`-relative access. In an executable the linker turns the first load into a
//!   constant. In a shared library the initial-exec model reserves 8 bytes of static
//!   TLS per slot when the library is loaded; glibc keeps spare static TLS for
//!   libraries opened with `dlopen` that need some.
//! - **Elsewhere** (aarch64, riscv64, macOS; and under Miri): a `thread_local!` read in
//!   a function that is never inlined, so every access is a call made where it is
//!   written.

/// Declares a per-thread pointer slot, null in every thread until set, that code
/// running on green threads may use directly (see [the module docs](crate::slot)
/// for why a plain `thread_local!` is not enough and what each platform does).
///
/// ```
/// stackswitch::thread_slot! {
///     /// The current worker of this thread.
///     static WORKER: *const u64 = "doc_example_worker";
/// }
///
/// fn main() {
///     assert!(WORKER.get().is_null());
///     static ONE: u64 = 1;
///     WORKER.set(&ONE);
///     // SAFETY: points at `ONE`, a static.
///     assert_eq!(unsafe { *WORKER.get() }, 1);
///     std::thread::spawn(|| assert!(WORKER.get().is_null())).join().unwrap();
/// }
/// ```
///
/// Declare slots at item level (module scope), not inside a function body.
///
/// The slot is a unit value with two methods, `get(self) -> P` and `set(self, P)`,
/// where `P` is the declared pointer type (`*const T` or `*mut T`). The string names
/// the slot's symbol (on x86_64 Linux): it must be unique in the program, so make it
/// start with your crate's name; the macro appends your crate's version (from
/// Cargo's `CARGO_PKG_VERSION_*`), so two versions of one crate keep two slots.
/// A signal handler reading the slot on the same thread sees the last value set
/// before the interrupted instruction (add compiler fences around `set` if the order
/// with other stores matters to it).
#[macro_export]
macro_rules! thread_slot {
    ($(#[$m:meta])* $vis:vis static $name:ident: *const $t:ty = $sym:literal;) => {
        $crate::__thread_slot!($(#[$m])* $vis $name, *const $t, $sym, ::core::ptr::null());
    };
    ($(#[$m:meta])* $vis:vis static $name:ident: *mut $t:ty = $sym:literal;) => {
        $crate::__thread_slot!($(#[$m])* $vis $name, *mut $t, $sym, ::core::ptr::null_mut());
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __thread_slot {
    ($(#[$m:meta])* $vis:vis $name:ident, $p:ty, $sym:literal, $null:expr) => {
        $(#[$m])*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        $vis struct $name;

        #[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
        ::core::arch::global_asm!(::core::concat!(
                ".pushsection .tbss,\"awT\",@nobits\n.p2align 3\n.globl ",
                $crate::__thread_slot!(@sym $sym),
                "\n.hidden ",
                $crate::__thread_slot!(@sym $sym),
                "\n.type ",
                $crate::__thread_slot!(@sym $sym),
                ", @object\n.size ",
                $crate::__thread_slot!(@sym $sym),
                ", 8\n",
                $crate::__thread_slot!(@sym $sym),
                ":\n.zero 8\n.popsection\n"
        ));

        #[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
        const _: () = {
            impl $name {
                /// This thread's value (null until set on this thread).
                #[inline(always)]
                #[allow(dead_code)]
                $vis fn get(self) -> $p {
                    let v: $p;
                    // SAFETY: reads the calling thread's 8-byte slot, defined above in
                    // `.tbss` (zero-initialised: null until set), at the thread pointer
                    // plus the slot's initial-exec offset: mapped while the thread runs
                    // code. No memory written, no stack, no flags; not `pure`, so it runs
                    // where it is written, on the thread that runs it then.
                    unsafe {
                        ::core::arch::asm!(
                            ::core::concat!(
                                "mov {v}, qword ptr [rip + ",
                                $crate::__thread_slot!(@sym $sym),
                                "@GOTTPOFF]"
                            ),
                            "mov {v}, qword ptr fs:[{v}]",
                            v = out(reg) v,
                            options(nostack, readonly, preserves_flags),
                        );
                    }
                    v
                }

                /// Sets this thread's value.
                #[inline(always)]
                #[allow(dead_code)]
                $vis fn set(self, value: $p) {
                    // SAFETY: writes the calling thread's slot (see `get`) and nothing
                    // else; no stack, no flags.
                    unsafe {
                        ::core::arch::asm!(
                            ::core::concat!(
                                "mov {t}, qword ptr [rip + ",
                                $crate::__thread_slot!(@sym $sym),
                                "@GOTTPOFF]"
                            ),
                            "mov qword ptr fs:[{t}], {v}",
                            t = out(reg) _,
                            v = in(reg) value,
                            options(nostack, preserves_flags),
                        );
                    }
                }
            }
        };

        #[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
        const _: () = {
            ::std::thread_local! {
                static SLOT: ::core::cell::Cell<$p> = const { ::core::cell::Cell::new($null) };
            }

            impl $name {
                /// This thread's value (null until set on this thread): a call that is
                /// never inlined, so it is made where it is written.
                #[inline(never)]
                #[allow(dead_code)]
                $vis fn get(self) -> $p {
                    SLOT.with(::core::cell::Cell::get)
                }

                /// Sets this thread's value.
                #[inline(never)]
                #[allow(dead_code)]
                $vis fn set(self, value: $p) {
                    SLOT.with(|s| s.set(value));
                }
            }
        };
    };
    (@sym $sym:literal) => {
        ::core::concat!(
            $sym,
            "_",
            ::core::env!("CARGO_PKG_VERSION_MAJOR"),
            "_",
            ::core::env!("CARGO_PKG_VERSION_MINOR"),
            "_",
            ::core::env!("CARGO_PKG_VERSION_PATCH")
        )
    };
}
