//! [`Checker`]: the registry, the level, and the entry points a runtime calls.

use crate::error::{Kind, Site, Step, Violation};
use crate::level::Level;
use crate::pointers::Pointers;
use crate::primitive::{AtomicU8, AtomicUsize, Ordering};
use crate::registry::{DEFAULT_REGION_CAPACITY, Registry};
use crate::walk::{Mode, Walker};
use core::fmt;
use std::sync::OnceLock;

/// Checks the pointer-passing rules against one runtime's managed memory.
///
/// Every check method is `#[inline]` and starts with the compile-time
/// [`Pointers`] constants, so checks of pointer-free types compile to nothing;
/// then it reads the level (one relaxed atomic load).
pub struct Checker {
    registry: Registry,
    level: AtomicU8,
}

/// How many `Writes` values the checkers' `level` fields hold now, or more: each
/// change to `Writes` is counted in before the value is stored, each change away from
/// it counted out after the value is gone (see `Checker::set_level`). So the count
/// never falls below the number of checkers at `Writes`; while changes are in
/// progress it may be higher.
static AT_WRITES: AtomicUsize = AtomicUsize::new(0);

/// Whether any [`Checker`] in the process may be at [`Level::Writes`]: one relaxed
/// load of a process-wide count, independent of any checker.
///
/// A fast filter for callers whose checks apply only at `Writes` (the facade skips
/// the argument checks of a `noescape` + `nocallback` C function below `Writes`).
/// `false` means that no checker is at `Writes` for a caller that each checker's last
/// change to `Writes` happens-before, so the caller need not reach its checker to
/// read its level. `true` means read [`Checker::level`] (a change in progress, or a
/// checker at `Writes`).
#[inline]
pub fn any_checker_at_writes() -> bool {
    // Relaxed: a count, no data published through it. A change to `Writes` counts in
    // before it returns, so a check that happens-after it reads that increment or a
    // later value (coherence), and no later value drops it before that checker leaves
    // `Writes` (see `AT_WRITES`).
    AT_WRITES.load(Ordering::Relaxed) != 0
}

/// Counts one `Writes` value in.
fn count_in() {
    // Relaxed: see `any_checker_at_writes`.
    AT_WRITES.fetch_add(1, Ordering::Relaxed);
}

/// Counts one `Writes` value out, after it left a checker's `level`.
fn count_out() {
    // Relaxed: see `any_checker_at_writes`. The increment that counted this value in
    // happens-before (see `Checker::set_level`), so it precedes this decrement in the
    // count's modification order and the count does not wrap.
    AT_WRITES.fetch_sub(1, Ordering::Relaxed);
}

impl Checker {
    /// A checker with an empty registry of [`DEFAULT_REGION_CAPACITY`] regions,
    /// at the level of [`Level::from_env`].
    ///
    /// # Panics
    ///
    /// If `CGO_RS_PTRCHECK` holds anything but `0`, `1` or `2` (see
    /// [`Level::from_env`]); [`with_level`](Self::with_level) does not read it.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_REGION_CAPACITY)
    }

    /// A checker with room for `regions` regions, at [`Level::from_env`].
    pub fn with_capacity(regions: usize) -> Self {
        Self::with_level(regions, Level::from_env())
    }

    /// A checker with room for `regions` regions, at `level` (the environment
    /// is not read).
    pub fn with_level(regions: usize, level: Level) -> Self {
        // The registry first: if it cannot be made (a panic), nothing was counted.
        let registry = Registry::with_capacity(regions);
        if level == Level::Writes {
            count_in();
        }
        Checker {
            registry,
            level: AtomicU8::new(level as u8),
        }
    }

    /// The managed-memory registry.
    #[inline]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The current level.
    #[inline]
    pub fn level(&self) -> Level {
        // Relaxed: the level is an independent flag; no other memory is
        // published through it.
        Level::from_u8(self.level.load(Ordering::Relaxed))
    }

    /// Changes the level (takes effect for checks that start afterwards).
    pub fn set_level(&self, level: Level) {
        // The process-wide count of `Writes` values (`AT_WRITES`): a `Writes` is
        // counted in before it is stored, and the value the swap removes counted out
        // after, so the count never drops below the checkers at `Writes`, also while
        // other threads change this checker's level at the same time.
        if level == Level::Writes {
            count_in();
        }
        // AcqRel: a swap that removes a `Writes` reads it from the swap that stored it
        // (or from a later one in its release sequence), so that store's `count_in`
        // happens-before the `count_out` below. Readers of the level (`level`) need no
        // ordering.
        let old = Level::from_u8(self.level.swap(level as u8, Ordering::AcqRel));
        if old == Level::Writes {
            count_out();
        }
    }

    /// **Whole-value form**: checks argument `index` (from 1) of C function
    /// `function`, whose value is `*arg`. For a pointer argument this is Go's
    /// default form: the whole heap object it points into must hold no
    /// unpinned managed pointers. A value passed by value is checked field by
    /// field at the top level.
    ///
    /// Use [`check_addr_of`](Self::check_addr_of) for `&s.f` / `&x` and
    /// [`check_elements`](Self::check_elements) for `&a[i]`, or let
    /// [`call!`](crate::call!) pick.
    ///
    /// # References
    ///
    /// Go: `runtime/cgocall.go` `cgoCheckPointer` with a nil second argument.
    #[inline]
    pub fn check_arg<T: Pointers + ?Sized>(
        &self,
        function: &'static str,
        index: usize,
        arg: &T,
    ) -> Result<(), Violation> {
        if !T::NEEDS_ARG_CHECK || self.level() == Level::Off {
            return Ok(());
        }
        self.arg_value(function, index, arg)
    }

    #[inline(never)]
    fn arg_value<T: Pointers + ?Sized>(
        &self,
        function: &'static str,
        index: usize,
        arg: &T,
    ) -> Result<(), Violation> {
        let mut w = Walker::new(&self.registry, Mode::Argument);
        arg.check_value(&mut w, true)
            .map_err(|v| v.at(Site::Argument { function, index }))
    }

    /// **Field form** (`&s.f`, `&x`): the argument is the address of `place`,
    /// and only `place` itself is examined — its managed pointers must be
    /// pinned, and what they point to must hold no unpinned managed pointers.
    /// Nothing is checked when `place` is not in managed memory. A place of
    /// unknown contents (`c_void`) has no fields to examine, so it is checked
    /// like a `void *` argument: the whole heap object it lies in is scanned.
    ///
    /// # References
    ///
    /// Go: `cmd/cgo/gcc.go` `checkAddr`; `runtime/cgocall.go` `cgoCheckPointer`
    /// with a bool second argument.
    #[inline]
    pub fn check_addr_of<T: Pointers + ?Sized>(
        &self,
        function: &'static str,
        index: usize,
        place: &T,
    ) -> Result<(), Violation> {
        if !T::HAS_POINTERS || self.level() == Level::Off {
            return Ok(());
        }
        self.arg_addr_of(function, index, place)
    }

    #[inline(never)]
    fn arg_addr_of<T: Pointers + ?Sized>(
        &self,
        function: &'static str,
        index: usize,
        place: &T,
    ) -> Result<(), Violation> {
        let p = (place as *const T).cast::<u8>();
        if !self.registry.is_managed(p.addr()) {
            return Ok(());
        }
        let mut w = Walker::new(&self.registry, Mode::Argument);
        if matches!(T::POINTEE_KIND, Kind::UnsafePointer) {
            // The place's type says nothing about its contents (`void`), so
            // there is no field to look at: fall back to the whole-object
            // rule, as for a `void *` argument.
            return w
                .raw_pointer(p, Kind::UnsafePointer, true)
                .map_err(|v| v.at(Site::Argument { function, index }));
        }
        place.check_value(&mut w, false).map_err(|v| {
            v.within(Step::Deref(core::any::type_name::<T>()))
                .at(Site::Argument { function, index })
        })
    }

    /// **Element form** (`&a[i]`, a slice's data pointer): the argument points
    /// at an element of `items`, and the whole array or slice is examined —
    /// nothing else in the allocation.
    ///
    /// # References
    ///
    /// Go: `cmd/cgo/gcc.go` `checkIndex`; `runtime/cgocall.go`
    /// `cgoCheckPointer` with a slice or array second argument.
    #[inline]
    pub fn check_elements<T: Pointers>(
        &self,
        function: &'static str,
        index: usize,
        items: &[T],
    ) -> Result<(), Violation> {
        if !T::HAS_POINTERS || self.level() == Level::Off {
            return Ok(());
        }
        self.arg_elements(function, index, items)
    }

    #[inline(never)]
    fn arg_elements<T: Pointers>(
        &self,
        function: &'static str,
        index: usize,
        items: &[T],
    ) -> Result<(), Violation> {
        let mut w = Walker::new(&self.registry, Mode::Argument);
        w.slice(items, true)
            .map_err(|v| v.at(Site::Argument { function, index }))
    }

    /// Checks a value an exported function returns to C: it must not be, nor
    /// hold, an unpinned managed pointer.
    ///
    /// # References
    ///
    /// Go: `runtime/cgocall.go` `cgoCheckResult`.
    #[inline]
    pub fn check_result<T: Pointers + ?Sized>(
        &self,
        function: &'static str,
        value: &T,
    ) -> Result<(), Violation> {
        if !T::HAS_POINTERS || self.level() == Level::Off {
            return Ok(());
        }
        self.result(function, value)
    }

    #[inline(never)]
    fn result<T: Pointers + ?Sized>(
        &self,
        function: &'static str,
        value: &T,
    ) -> Result<(), Violation> {
        let mut w = Walker::new(&self.registry, Mode::Result);
        value
            .check_value(&mut w, false)
            .map_err(|v| v.at(Site::Result { function }))
    }

    /// At [`Level::Writes`], checks that storing `value` at `dst` stores no
    /// unpinned managed pointer into non-managed memory. Only the value's own
    /// pointer words are examined, wherever the value was read from (Go's
    /// check of a single pointer store; for a bulk copy out of memory, whose
    /// source location matters, use [`copy`](Self::copy)). Always `Ok` below
    /// level 2 or when `dst` is managed.
    ///
    /// # References
    ///
    /// Go: `runtime/cgocheck.go` `cgoCheckPtrWrite`, `cgoCheckMemmove`.
    #[inline]
    pub fn check_write<T: Pointers + ?Sized>(
        &self,
        dst: *const u8,
        value: &T,
    ) -> Result<(), Violation> {
        if !T::HAS_POINTERS || self.level() != Level::Writes {
            return Ok(());
        }
        self.write_value(dst, |w| value.check_value(w, false))
    }

    #[inline(never)]
    fn write_value(
        &self,
        dst: *const u8,
        f: impl FnOnce(&mut Walker<'_>) -> Result<(), Violation>,
    ) -> Result<(), Violation> {
        if self.registry.is_managed(dst.addr()) {
            return Ok(());
        }
        let mut w = Walker::new(&self.registry, Mode::Write);
        f(&mut w).map_err(|v| v.at(Site::Write { dst: dst.addr() }))
    }

    /// A checked store: [`check_write`](Self::check_write), then
    /// `dst.write(value)`. On a violation nothing is written.
    ///
    /// # Safety
    ///
    /// 1. `dst` must be valid for a write of `T` and aligned for `T`.
    pub unsafe fn store<T: Pointers + Copy>(&self, dst: *mut T, value: T) -> Result<(), Violation> {
        self.check_write(dst.cast::<u8>().cast_const(), &value)?;
        // SAFETY: (1) is the caller's guarantee.
        unsafe { dst.write(value) };
        Ok(())
    }

    /// A checked bulk copy of `src` to `dst` (Go's `typedslicecopy` into C
    /// memory). All elements are checked before anything is copied; on a
    /// violation nothing is written and the path names the element.
    ///
    /// As in Go, only a copy *from* managed memory *to* non-managed memory is
    /// checked: when `src` lies outside every registered region (C memory to
    /// C memory), or `dst` is managed, the elements are copied unchecked.
    ///
    /// # Safety
    ///
    /// 1. `dst` must be valid for writes of `src.len()` values of `T`, aligned
    ///    for `T`;
    /// 2. and must not overlap `src`.
    ///
    /// # References
    ///
    /// Go: `runtime/cgocheck.go` `cgoCheckSliceCopy`.
    pub unsafe fn copy<T: Pointers + Copy>(&self, src: &[T], dst: *mut T) -> Result<(), Violation> {
        if T::HAS_POINTERS
            && self.level() == Level::Writes
            && self.registry.is_managed(src.as_ptr().addr())
        {
            self.write_value(dst.cast::<u8>().cast_const(), |w| w.elements(src, false))?;
        }
        // SAFETY: (1) dst is valid and aligned for src.len() writes; (2) the
        // ranges do not overlap; src is valid for reads as a slice.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
        Ok(())
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        // `&mut self`: every change of the level happens-before this (as for any
        // access through `&mut`), its `count_in` included.
        if Level::from_u8(*self.level.get_mut()) == Level::Writes {
            count_out();
        }
    }
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("level", &self.level())
            .field("registry", &self.registry)
            .finish()
    }
}

/// The process-wide checker (created on first use, level from
/// [`Level::from_env`]), for runtimes and the facade that keep one managed
/// heap per process.
///
/// # Panics
///
/// On first use, if `CGO_RS_PTRCHECK` is set to an invalid level.
pub fn global() -> &'static Checker {
    static GLOBAL: OnceLock<Checker> = OnceLock::new();
    GLOBAL.get_or_init(Checker::new)
}
