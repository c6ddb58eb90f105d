//! [`call!`](crate::call!): check each argument in the form its syntax implies,
//! then call.

/// Calls a (C) function after checking each argument in the form cgo would
/// pick from its syntax, and evaluates to `Result<R, Violation>`:
///
/// | argument written as | form | what is examined |
/// |---|---|---|
/// | `&a[i]`, `&mut a[i]` (also `&p.s[i]`) | [`check_elements`](crate::Checker::check_elements) | the whole array/slice `a`, nothing else |
/// | `&a[i..j]`, `&a[i..]`, `&a[..j]` | [`check_elements`](crate::Checker::check_elements) | `a` from `i` to its end (cgo's slice expression `a[i:j]`, checked up to its capacity), nothing else |
/// | `&x`, `&s.f`, `&mut s.f` | [`check_addr_of`](crate::Checker::check_addr_of) | only `x` / the field `s.f` |
/// | anything else (`p`, `ptr.cast()`, `(&x)`, `42`) | [`check_arg`](crate::Checker::check_arg) | the value; for a pointer, the whole heap object it points into |
///
/// In the element form, `&a[i]` with a `usize` index is passed as a raw
/// pointer (`*const T`, or `*mut T` for `&mut a[i]`) derived from the whole
/// array, so C may use its neighbours too (`&buf[0]` with a length, as in C);
/// `&a[range]` is passed as the sub-slice reference.
///
/// Trailing raw-pointer conversions do not change the form, as cgo looks
/// through type conversions: `&mut s.f as *mut F as *mut c_void` is checked in
/// the field form and `&a[0] as *const T as *const c_void` in the element form;
/// the converted value is what the function receives. Only an `as` followed by
/// a pointer type starts them (`as *const`, `as *mut`): other casts, and `as`
/// inside a qualified path such as `&<T as Trait>::VALUE`, are part of the
/// expression.
///
/// Arguments are evaluated once, left to right (in `&a[i]`, `i` before `a`),
/// each checked right after it is evaluated; the function is called only if
/// every check passes. A
/// reference argument coerces to the raw-pointer parameter as in a direct
/// call. Wrap an argument containing a top-level comma (a turbofish) in
/// parentheses.
///
/// ```
/// # use ptrcheck::{call, Checker, Level};
/// extern "C" fn sum(p: *const u64, n: usize) -> u64 {
///     // SAFETY: the caller passes n readable elements.
///     unsafe { std::slice::from_raw_parts(p, n) }.iter().sum()
/// }
/// let checker = Checker::with_level(16, Level::Calls);
/// let a = [1u64, 2, 3];
/// let total = call!(&checker, sum(&a[0], a.len())).unwrap();
/// assert_eq!(total, 6);
/// ```
#[macro_export]
macro_rules! call {
    ($checker:expr, $($f:ident)::+ ( $($args:tt)* )) => {{
        let __ptrcheck_checker: &$crate::Checker = $checker;
        $crate::__call!(@split {__ptrcheck_checker, ::core::stringify!($($f)::+), ($($f)::+)}
            [] [] $($args)*)
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __call {
    // ---- split the arguments at top-level commas ----
    (@split $cx:tt [$($done:tt)*] [$($cur:tt)*] , $($rest:tt)*) => {
        $crate::__call!(@split $cx [$($done)* [$($cur)*]] [] $($rest)*)
    };
    (@split $cx:tt [$($done:tt)*] [$($cur:tt)*] $t:tt $($rest:tt)*) => {
        $crate::__call!(@split $cx [$($done)*] [$($cur)* $t] $($rest)*)
    };
    (@split $cx:tt [$($done:tt)*] []) => {
        $crate::__call!(@bind $cx (1usize) [] $($done)*)
    };
    (@split $cx:tt [$($done:tt)*] [$($cur:tt)+]) => {
        $crate::__call!(@bind $cx (1usize) [] $($done)* [$($cur)+])
    };

    // ---- all arguments bound and checked: call ----
    (@bind {$ck:expr, $name:expr, ($($f:tt)*)} ($idx:expr) [$($vals:expr),*]) => {
        ::core::result::Result::Ok::<_, $crate::Violation>($($f)*($($vals),*))
    };
    // ---- classify the next argument ----
    (@bind $cx:tt ($idx:expr) $vals:tt [& mut $($e:tt)+] $($rest:tt)*) => {
        $crate::__call!(@conv $cx ($idx) $vals [$($rest)*] (mut) [] $($e)+)
    };
    (@bind $cx:tt ($idx:expr) $vals:tt [& $($e:tt)+] $($rest:tt)*) => {
        $crate::__call!(@conv $cx ($idx) $vals [$($rest)*] () [] $($e)+)
    };
    (@bind {$ck:expr, $name:expr, $f:tt} ($idx:expr) [$($vals:expr),*] [$($e:tt)+]
        $($rest:tt)*) => {{
        // `(&x)` is meaningful here: it selects the whole-value form.
        #[allow(unused_parens)]
        let __ptrcheck_arg = $($e)+;
        match $crate::Checker::check_arg($ck, $name, $idx, &__ptrcheck_arg) {
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
            ::core::result::Result::Ok(()) => $crate::__call!(@bind {$ck, $name, $f} ($idx + 1)
                [$($vals,)* __ptrcheck_arg] $($rest)*),
        }
    }};

    // ---- `&… as *T …`: split off trailing raw-pointer conversions (cgo looks
    // through conversions; they are applied to the value passed). Only an `as`
    // followed by `*` starts them: an `as` in a qualified path
    // (`&<T as Trait>::C`), in a reference cast (`&a[0] as &T`) or in a closure
    // stays part of the expression, as before these rules existed ----
    (@conv $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) [$($acc:tt)+] as * $($cast:tt)+) => {
        $crate::__call!(@last $cx ($idx) $vals $rest ($($m)?) (as * $($cast)+) [] $($acc)+)
    };
    (@conv $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) [$($acc:tt)*] $next:tt
        $($more:tt)*) => {
        $crate::__call!(@conv $cx ($idx) $vals $rest ($($m)?) [$($acc)* $next] $($more)*)
    };
    (@conv $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) [$($acc:tt)+]) => {
        $crate::__call!(@last $cx ($idx) $vals $rest ($($m)?) () [] $($acc)+)
    };

    // ---- `&…`: does the expression end in an index? ----
    (@last $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) $cast:tt [] $only:tt) => {
        $crate::__call!(@addr $cx ($idx) $vals $rest ($($m)?) $cast $only)
    };
    (@last $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) $cast:tt [$($acc:tt)+]
        [$($i:tt)*]) => {
        $crate::__call!(@index $cx ($idx) $vals $rest ($($m)?) $cast ($($acc)+) ($($i)*))
    };
    (@last $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) $cast:tt [$($acc:tt)*] $last:tt) => {
        $crate::__call!(@addr $cx ($idx) $vals $rest ($($m)?) $cast $($acc)* $last)
    };
    (@last $cx:tt ($idx:expr) $vals:tt $rest:tt ($($m:tt)?) $cast:tt [$($acc:tt)*] $next:tt
        $($more:tt)+) => {
        $crate::__call!(@last $cx ($idx) $vals $rest ($($m)?) $cast [$($acc)* $next] $($more)+)
    };

    // ---- `&x` / `&s.f`: field form ----
    (@addr {$ck:expr, $name:expr, $f:tt} ($idx:expr) [$($vals:expr),*] [$($rest:tt)*]
        ($($m:tt)?) ($($cast:tt)*) $($e:tt)+) => {{
        let __ptrcheck_arg = & $($m)? $($e)+;
        match $crate::Checker::check_addr_of($ck, $name, $idx, &*__ptrcheck_arg) {
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
            ::core::result::Result::Ok(()) => $crate::__call!(@bind {$ck, $name, $f} ($idx + 1)
                [$($vals,)* (__ptrcheck_arg $($cast)*)] $($rest)*),
        }
    }};

    (@element () $base:ident, $index:ident) => {
        $crate::__ElementIndex::element_ref($index, $base)
    };
    (@element (mut) $base:ident, $index:ident) => {
        $crate::__ElementIndex::element_mut($index, $base)
    };

    // ---- `&a[i]`: element form ----
    (@index {$ck:expr, $name:expr, $f:tt} ($idx:expr) [$($vals:expr),*] [$($rest:tt)*]
        ($($m:tt)?) ($($cast:tt)*) ($($base:tt)+) ($($i:tt)*)) => {{
        // The index first, so that `&mut a[a.len() - 1]` borrows as usual.
        let __ptrcheck_index = $($i)*;
        let __ptrcheck_base = & $($m)? $($base)+[..];
        match $crate::Checker::check_elements($ck, $name, $idx,
            $crate::__ElementIndex::checked_part(&__ptrcheck_index, &*__ptrcheck_base)) {
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
            ::core::result::Result::Ok(()) => {
                let __ptrcheck_arg =
                    $crate::__call!(@element ($($m)?) __ptrcheck_base, __ptrcheck_index);
                $crate::__call!(@bind {$ck, $name, $f} ($idx + 1)
                    [$($vals,)* (__ptrcheck_arg $($cast)*)] $($rest)*)
            }
        }
    }};
}

/// How `call!` turns `&a[i]` into the argument: a `usize` index yields a raw
/// pointer with the provenance of the rest of the slice; a range yields the
/// sub-slice.
#[doc(hidden)]
pub trait __ElementIndex<T> {
    /// What `&a[i]` passes.
    type Ref<'a>
    where
        T: 'a;
    /// What `&mut a[i]` passes.
    type Mut<'a>
    where
        T: 'a;
    /// `&a[i]`.
    fn element_ref(self, items: &[T]) -> Self::Ref<'_>;
    /// `&mut a[i]`.
    fn element_mut(self, items: &mut [T]) -> Self::Mut<'_>;
    /// The part of `items` the check examines: all of it for `&a[i]`; for a
    /// sub-slice `&a[r]`, from the start of `r` to the end of `a` (cgo checks
    /// a slice expression `a[i:j]` from `i` up to its capacity).
    #[inline]
    fn checked_part<'a>(&self, items: &'a [T]) -> &'a [T] {
        items
    }
}

impl<T> __ElementIndex<T> for usize {
    type Ref<'a>
        = *const T
    where
        T: 'a;
    type Mut<'a>
        = *mut T
    where
        T: 'a;
    #[inline]
    fn element_ref(self, items: &[T]) -> *const T {
        // Index first: out of bounds panics exactly like `&a[i]`.
        let _ = &items[self];
        items[self..].as_ptr()
    }
    #[inline]
    fn element_mut(self, items: &mut [T]) -> *mut T {
        let _ = &items[self];
        items[self..].as_mut_ptr()
    }
}

macro_rules! range_element_index {
    ($($r:ty => |$r_:ident| $start:expr),*) => {$(
        impl<T> __ElementIndex<T> for $r {
            type Ref<'a>
                = &'a [T]
            where
                T: 'a;
            type Mut<'a>
                = &'a mut [T]
            where
                T: 'a;
            #[inline]
            fn element_ref(self, items: &[T]) -> &[T] {
                &items[self]
            }
            #[inline]
            fn element_mut(self, items: &mut [T]) -> &mut [T] {
                &mut items[self]
            }
            #[inline]
            fn checked_part<'a>(&self, items: &'a [T]) -> &'a [T] {
                let $r_ = self;
                // Out of bounds: check nothing; taking the sub-slice panics
                // right after, exactly like `&a[r]`.
                items.get($start..).unwrap_or(&[])
            }
        }
    )*};
}

range_element_index!(
    core::ops::Range<usize> => |r| r.start,
    core::ops::RangeFrom<usize> => |r| r.start,
    core::ops::RangeTo<usize> => |_r| 0,
    core::ops::RangeFull => |_r| 0,
    core::ops::RangeInclusive<usize> => |r| *r.start(),
    core::ops::RangeToInclusive<usize> => |_r| 0
);
