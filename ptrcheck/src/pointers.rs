//! [`Pointers`]: where a type keeps pointers, and how each part is checked.
//!
//! Implemented here for scalars, raw pointers, references, `Box`, `NonNull`,
//! `AtomicPtr`, arrays, slices, `str`, `Vec`, `String`, `Option`, tuples,
//! function pointers, `c_void`, and closure/`Any` trait objects. User structs
//! use [`impl_pointers!`](crate::impl_pointers).
//!
//! # Rust forms of what Go rejects outright
//!
//! Go never lets a channel or map cross into C, nor a closure (a function value
//! whose code pointer is managed), nor an interface whose type descriptor was
//! built at run time. Here:
//! - a type declared with `impl_pointers!(reject T as "map")` (the runtime's
//!   managed map, channel, or any handle whose internals live in managed
//!   memory) is rejected wherever it appears, even empty;
//! - a closure (`&dyn Fn…`, `Box<dyn FnMut…>`) is rejected when its captured
//!   data lies in managed memory, pinned or not — Go's rule for a func value
//!   that is a heap closure: the concrete type, hence where it keeps
//!   pointers, is unknown;
//! - a function pointer is rejected when its code lies in managed memory
//!   (code generated into the managed heap).
//!
//! Other trait objects (`dyn Any`, or `dyn Trait` declared with
//! `impl_pointers!(dyn Trait)`) follow Go's *interface* rule instead: their
//! data pointer, if managed, must be pinned below the top level (except when
//! the trait object is itself the result returned to C), and the heap
//! object it points into is scanned with the allocator's pointer map. (Go
//! rejects an interface outright only when its type descriptor was built at
//! run time in the heap; Rust vtables are always static.) Messages call the
//! kind "trait object" where Go says "interface".

use crate::error::{Kind, Violation};
use crate::walk::Walker;
use core::ffi::c_void;
use core::ptr::NonNull;
use std::sync::atomic::AtomicPtr;

/// Describes where a type keeps pointers, so the checker can examine values of
/// it. Implement it with [`impl_pointers!`](crate::impl_pointers).
///
/// An implementation that lists too few pointers makes the checker miss
/// violations; it cannot cause undefined behaviour (the walker only reads
/// memory through references and through the allocator's
/// [`ObjectLookup`](crate::ObjectLookup)).
pub trait Pointers {
    /// Whether a value holds any pointer (Go's `hasPointer(t, top=false)`).
    /// When `false`, every check of the type compiles to nothing.
    const HAS_POINTERS: bool;

    /// Whether passing a value of this type to C needs a check at all (Go's
    /// `hasPointer(t, top=true)`): a pointer needs one only if what it points
    /// to may hold pointers; a string passed by value needs none.
    const NEEDS_ARG_CHECK: bool = Self::HAS_POINTERS;

    /// The kind named in messages for a pointer *to* this type.
    const POINTEE_KIND: Kind = Kind::Pointer;

    /// Whether passing a pointer *to* this type needs an argument check (Go's
    /// `hasPointer(*T, top=true)`). Normally [`HAS_POINTERS`](Self::HAS_POINTERS);
    /// a union whose members may hold pointers has no pointers by value (its
    /// bytes are opaque, as Go treats C unions) but a pointer to it is still
    /// checked, by scanning the heap object it points into.
    const CHECK_BEHIND_POINTER: bool = Self::HAS_POINTERS;

    /// Checks the pointers held by `self`, found at level `top`.
    fn check_value(&self, walker: &mut Walker<'_>, top: bool) -> Result<(), Violation>;

    /// Checks a reference to `this`, found at level `top`. The default is
    /// [`Walker::reference`]; slices, `str` and trait objects override it.
    #[inline]
    fn check_ref(this: &Self, walker: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        walker.reference(this, top)
    }
}

macro_rules! no_pointers {
    ($($t:ty),* $(,)?) => {$(
        impl Pointers for $t {
            const HAS_POINTERS: bool = false;
            #[inline(always)]
            fn check_value(&self, _: &mut Walker<'_>, _: bool) -> Result<(), Violation> {
                Ok(())
            }
        }
    )*};
}

no_pointers!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    core::num::NonZeroU8,
    core::num::NonZeroU16,
    core::num::NonZeroU32,
    core::num::NonZeroU64,
    core::num::NonZeroUsize,
    core::num::NonZeroI8,
    core::num::NonZeroI16,
    core::num::NonZeroI32,
    core::num::NonZeroI64,
    core::num::NonZeroIsize,
    std::sync::atomic::AtomicBool,
    std::sync::atomic::AtomicU8,
    std::sync::atomic::AtomicU16,
    std::sync::atomic::AtomicU32,
    std::sync::atomic::AtomicU64,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicI8,
    std::sync::atomic::AtomicI16,
    std::sync::atomic::AtomicI32,
    std::sync::atomic::AtomicI64,
    std::sync::atomic::AtomicIsize,
    core::marker::PhantomPinned,
);

impl<T: ?Sized> Pointers for core::marker::PhantomData<T> {
    const HAS_POINTERS: bool = false;
    #[inline(always)]
    fn check_value(&self, _: &mut Walker<'_>, _: bool) -> Result<(), Violation> {
        Ok(())
    }
}

/// `void`: contents unknown, so a pointer to it is treated as possibly
/// pointing at pointers (Go's `unsafe.Pointer`) and checked by scanning the
/// heap object it points into.
impl Pointers for c_void {
    const HAS_POINTERS: bool = true;
    const POINTEE_KIND: Kind = Kind::UnsafePointer;
    #[inline]
    fn check_value(&self, _: &mut Walker<'_>, _: bool) -> Result<(), Violation> {
        // Nothing typed to look at; heap objects are scanned by the pointer
        // rule that led here.
        Ok(())
    }
}

impl<T: Pointers + ?Sized> Pointers for *const T {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.raw_pointer(self.cast::<u8>(), T::POINTEE_KIND, top)
    }
}

impl<T: Pointers + ?Sized> Pointers for *mut T {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.raw_pointer(self.cast::<u8>().cast_const(), T::POINTEE_KIND, top)
    }
}

impl<T: Pointers + ?Sized> Pointers for NonNull<T> {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.raw_pointer(
            self.as_ptr().cast::<u8>().cast_const(),
            T::POINTEE_KIND,
            top,
        )
    }
}

impl<T: Pointers> Pointers for AtomicPtr<T> {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        // Relaxed: only the pointer value is needed; the check is advisory and
        // orders nothing.
        let p = self.load(std::sync::atomic::Ordering::Relaxed);
        w.raw_pointer(p.cast::<u8>().cast_const(), T::POINTEE_KIND, top)
    }
}

impl<T: Pointers + ?Sized> Pointers for &T {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        T::check_ref(self, w, top)
    }
}

impl<T: Pointers + ?Sized> Pointers for &mut T {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        T::check_ref(self, w, top)
    }
}

impl<T: Pointers + ?Sized> Pointers for Box<T> {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        T::check_ref(self, w, top)
    }
}

impl<T: Pointers> Pointers for Option<T> {
    const HAS_POINTERS: bool = T::HAS_POINTERS;
    const NEEDS_ARG_CHECK: bool = T::NEEDS_ARG_CHECK;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        match self {
            Some(v) if T::HAS_POINTERS => v.check_value(w, top),
            _ => Ok(()),
        }
    }
}

impl<T: Pointers, const N: usize> Pointers for [T; N] {
    const HAS_POINTERS: bool = T::HAS_POINTERS && N > 0;
    const NEEDS_ARG_CHECK: bool = T::NEEDS_ARG_CHECK && N > 0;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        // Go: array elements are checked at the array's own level.
        w.elements(self, top)
    }
}

impl<T: Pointers> Pointers for [T] {
    const HAS_POINTERS: bool = T::HAS_POINTERS;
    const NEEDS_ARG_CHECK: bool = T::NEEDS_ARG_CHECK;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.elements(self, top)
    }
    #[inline]
    fn check_ref(this: &Self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.slice(this, top)
    }
}

impl Pointers for str {
    const HAS_POINTERS: bool = false;
    #[inline(always)]
    fn check_value(&self, _: &mut Walker<'_>, _: bool) -> Result<(), Violation> {
        Ok(())
    }
    #[inline]
    fn check_ref(this: &Self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.string(this, top)
    }
}

impl<T: Pointers> Pointers for Vec<T> {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = T::HAS_POINTERS;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.slice(self.as_slice(), top)
    }
}

impl Pointers for String {
    const HAS_POINTERS: bool = true;
    const NEEDS_ARG_CHECK: bool = false;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        w.string(self.as_str(), top)
    }
}

impl<T: Pointers + Copy> Pointers for core::cell::Cell<T> {
    const HAS_POINTERS: bool = T::HAS_POINTERS;
    const NEEDS_ARG_CHECK: bool = T::NEEDS_ARG_CHECK;
    const CHECK_BEHIND_POINTER: bool = T::CHECK_BEHIND_POINTER;
    #[inline]
    fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
        self.get().check_value(w, top)
    }
}

macro_rules! tuples {
    ($( ( $($name:ident . $idx:tt),+ ) )*) => {$(
        impl<$($name: Pointers),+> Pointers for ($($name,)+) {
            const HAS_POINTERS: bool = false $(|| $name::HAS_POINTERS)+;
            const NEEDS_ARG_CHECK: bool = false $(|| $name::NEEDS_ARG_CHECK)+;
            #[inline]
            fn check_value(&self, w: &mut Walker<'_>, top: bool) -> Result<(), Violation> {
                $( w.field(stringify!($idx), &self.$idx, top)?; )+
                Ok(())
            }
        }
    )*};
}

tuples! {
    (A.0)
    (A.0, B.1)
    (A.0, B.1, C.2)
    (A.0, B.1, C.2, D.3)
    (A.0, B.1, C.2, D.3, E.4)
    (A.0, B.1, C.2, D.3, E.4, F.5)
}

macro_rules! fn_pointers {
    ($( ($($arg:ident),*) )*) => {$(
        fn_pointers!(@one [] $($arg),*);
        fn_pointers!(@one [unsafe] $($arg),*);
        fn_pointers!(@one [extern "C"] $($arg),*);
        fn_pointers!(@one [unsafe extern "C"] $($arg),*);
    )*};
    (@one [$($q:tt)*] $($arg:ident),*) => {
        impl<R $(, $arg)*> Pointers for $($q)* fn($($arg),*) -> R {
            const HAS_POINTERS: bool = true;
            #[inline]
            fn check_value(&self, w: &mut Walker<'_>, _top: bool) -> Result<(), Violation> {
                w.opaque(*self as *const u8, Kind::Function, core::any::type_name::<Self>())
            }
        }
    };
}

fn_pointers! {
    ()
    (A1)
    (A1, A2)
    (A1, A2, A3)
    (A1, A2, A3, A4)
    (A1, A2, A3, A4, A5)
    (A1, A2, A3, A4, A5, A6)
}

/// Implements [`Pointers`] for a trait-object type: any reference to it is
/// rejected when its data is managed.
#[doc(hidden)]
#[macro_export]
macro_rules! __dyn_pointers {
    (closure; $([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> $crate::Pointers for $t {
            const HAS_POINTERS: bool = true;
            const POINTEE_KIND: $crate::Kind = $crate::Kind::Closure;
            #[inline]
            fn check_value(&self, _: &mut $crate::Walker<'_>, _: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                ::core::result::Result::Ok(())
            }
            #[inline]
            fn check_ref(this: &Self, w: &mut $crate::Walker<'_>, _: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                w.opaque(
                    (this as *const Self).cast::<u8>(),
                    $crate::Kind::Closure,
                    ::core::any::type_name::<Self>(),
                )
            }
        }
    )*};
    (interface; $([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> $crate::Pointers for $t {
            const HAS_POINTERS: bool = true;
            const POINTEE_KIND: $crate::Kind = $crate::Kind::TraitObject;
            #[inline]
            fn check_value(&self, _: &mut $crate::Walker<'_>, _: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                ::core::result::Result::Ok(())
            }
            #[inline]
            fn check_ref(this: &Self, w: &mut $crate::Walker<'_>, top: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                w.trait_object((this as *const Self).cast::<u8>(), top)
            }
        }
    )*};
}

use core::any::Any;
__dyn_pointers!(interface;
    [] dyn Any, [] dyn Any + Send, [] dyn Any + Send + Sync);
__dyn_pointers!(closure;
    [R] dyn Fn() -> R, [R] dyn Fn() -> R + Send, [R] dyn Fn() -> R + Send + Sync,
    [R] dyn FnMut() -> R, [R] dyn FnMut() -> R + Send, [R] dyn FnMut() -> R + Send + Sync,
    [R] dyn FnOnce() -> R, [R] dyn FnOnce() -> R + Send, [R] dyn FnOnce() -> R + Send + Sync,
    [A, R] dyn Fn(A) -> R, [A, R] dyn Fn(A) -> R + Send, [A, R] dyn Fn(A) -> R + Send + Sync,
    [A, R] dyn FnMut(A) -> R, [A, R] dyn FnMut(A) -> R + Send,
    [A, R] dyn FnMut(A) -> R + Send + Sync,
    [A, R] dyn FnOnce(A) -> R, [A, R] dyn FnOnce(A) -> R + Send,
    [A, R] dyn FnOnce(A) -> R + Send + Sync,
    [A, B, R] dyn Fn(A, B) -> R, [A, B, R] dyn Fn(A, B) -> R + Send,
    [A, B, R] dyn Fn(A, B) -> R + Send + Sync,
    [A, B, R] dyn FnMut(A, B) -> R, [A, B, R] dyn FnMut(A, B) -> R + Send,
    [A, B, R] dyn FnMut(A, B) -> R + Send + Sync,
);

/// Implements [`Pointers`] for a user type.
///
/// Forms:
/// - `impl_pointers!(Node { next: *const Node, data: [*mut u8; 4], len: usize })`
///   — a struct (or tuple struct with fields `0`, `1`, …): every field must be
///   listed with its type; a missing or mistyped field is a compile error.
/// - `impl_pointers!(impl[T: ptrcheck::Pointers] Wrapper<T> { inner: T, n: u32 })`
///   — a generic struct; the bracket holds the impl's generic parameters.
/// - `impl_pointers!(union U { p: *mut u8, i: u64 })` — a union: its active
///   member is unknown, so by value it is never examined and counts as
///   holding no pointers (as Go treats C unions: as bytes), also inside a
///   struct or array; only a pointer *to* it is checked (by scanning the heap
///   object) when any member type has pointers.
/// - `impl_pointers!(none Handle)` — a type with no pointers (opaque C structs,
///   newtypes of integers).
/// - `impl_pointers!(reject Map as "map")` — a type that may never be passed,
///   however empty (Go's map and channel).
/// - `impl_pointers!(dyn MyTrait)` — trait objects of a user trait, checked by
///   Go's interface rule (see the [module docs](crate::pointers)).
///
/// ```
/// use ptrcheck::{impl_pointers, Pointers};
/// #[repr(C)]
/// struct Node { next: *const Node, data: [*mut u8; 4], len: usize }
/// impl_pointers!(Node { next: *const Node, data: [*mut u8; 4], len: usize });
/// #[repr(C)]
/// struct Plain(u32, f64);
/// impl_pointers!(Plain { 0: u32, 1: f64 });
/// const _: () = assert!(Node::HAS_POINTERS && !Plain::HAS_POINTERS);
/// ```
#[macro_export]
macro_rules! impl_pointers {
    (union $t:ty { $($field:ident : $fty:ty),* $(,)? }) => {
        impl $crate::Pointers for $t {
            // By value a union is opaque bytes (Go's C unions are byte
            // arrays): no pointers, so a struct or array holding one does not
            // need a check on its account. Only a pointer *to* the union does.
            const HAS_POINTERS: bool = false;
            const CHECK_BEHIND_POINTER: bool =
                false $(|| <$fty as $crate::Pointers>::HAS_POINTERS)*;
            #[inline]
            fn check_value(&self, _: &mut $crate::Walker<'_>, _: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                ::core::result::Result::Ok(())
            }
        }
    };
    (none $t:ty) => {
        impl $crate::Pointers for $t {
            const HAS_POINTERS: bool = false;
            #[inline(always)]
            fn check_value(&self, _: &mut $crate::Walker<'_>, _: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                ::core::result::Result::Ok(())
            }
        }
    };
    (reject $t:ty as $kind:literal) => {
        impl $crate::Pointers for $t {
            const HAS_POINTERS: bool = true;
            #[inline]
            fn check_value(&self, w: &mut $crate::Walker<'_>, _: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                w.reject($crate::Kind::Named($kind), ::core::any::type_name::<Self>())
            }
        }
    };
    (dyn $($tr:tt)+) => {
        $crate::__dyn_pointers!(interface; [] dyn $($tr)+);
    };
    (impl [$($g:tt)*] $t:ty { $($field:tt : $fty:ty),* $(,)? }) => {
        impl<$($g)*> $crate::Pointers for $t {
            const HAS_POINTERS: bool = false $(|| <$fty as $crate::Pointers>::HAS_POINTERS)*;
            const NEEDS_ARG_CHECK: bool =
                false $(|| <$fty as $crate::Pointers>::NEEDS_ARG_CHECK)*;
            #[inline]
            fn check_value(&self, w: &mut $crate::Walker<'_>, top: bool)
                -> ::core::result::Result<(), $crate::Violation> {
                // Exhaustive: a field missing from the list fails to compile.
                let Self { $($field: _),* } = self;
                if !<Self as $crate::Pointers>::HAS_POINTERS {
                    return ::core::result::Result::Ok(());
                }
                $( w.field::<$fty>(::core::stringify!($field), &self.$field, top)?; )*
                ::core::result::Result::Ok(())
            }
        }
    };
    ($t:ty { $($field:tt : $fty:ty),* $(,)? }) => {
        $crate::impl_pointers!(impl [] $t { $($field : $fty),* });
    };
}
