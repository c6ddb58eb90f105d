//! What the runtime's allocator tells the checker about one heap object.
//!
//! A runtime that registers a heap region ([`Registry::add_heap`]) hands the
//! registry an [`ObjectLookup`]: given any address inside the region it answers
//! with the [`Object`] containing it, that object's [`PointerMap`] (which words
//! hold pointers, Go's heap bitmap) and the object's [`PinCell`].
//!
//! [`Registry::add_heap`]: crate::Registry::add_heap

use crate::primitive::{AtomicU32, Ordering};
use core::fmt;
use core::ptr::NonNull;

/// Per-object pin count, stored by the allocator next to its object metadata
/// (Go keeps the equivalent "pinner bits" in the span).
///
/// Only a [`Pinner`](crate::Pinner) changes it. The runtime reads it: an object
/// with [`is_pinned`](Self::is_pinned) must be neither freed nor moved.
pub struct PinCell {
    /// Number of outstanding pins. Go keeps one "pinned" bit plus a counter of
    /// extra pins; a single counter expresses both.
    count: AtomicU32,
}

impl PinCell {
    /// An unpinned cell.
    pub const fn new() -> Self {
        PinCell {
            count: AtomicU32::new(0),
        }
    }

    /// A cell already holding `n` pins (tests of the counter's limits).
    #[cfg(test)]
    pub(crate) fn with_pins(n: u32) -> Self {
        PinCell {
            count: AtomicU32::new(n),
        }
    }

    /// Whether at least one pin is held on the object.
    #[inline]
    pub fn is_pinned(&self) -> bool {
        // Acquire pairs with the AcqRel increment in `pin`: a thread that sees
        // the pin also sees what the pinning thread wrote before pinning.
        self.count.load(Ordering::Acquire) != 0
    }

    /// Number of pins currently held (pins by several [`Pinner`](crate::Pinner)s
    /// or several pins of the same object add up).
    pub fn pins(&self) -> u32 {
        // Acquire: same reason as in `is_pinned`.
        self.count.load(Ordering::Acquire)
    }

    /// Adds a pin; `None` if the counter would overflow.
    pub(crate) fn pin(&self) -> Option<u32> {
        // AcqRel: Release publishes the pinning thread's earlier writes to
        // checker/GC threads that load with Acquire; Acquire orders this pin
        // after earlier unpins of the same object.
        self.update(|c| c.checked_add(1))
    }

    /// Removes a pin; `None` if the object was not pinned.
    pub(crate) fn unpin(&self) -> Option<u32> {
        // AcqRel: same reasoning as `pin`.
        self.update(|c| c.checked_sub(1))
    }
}

impl PinCell {
    /// Replaces the count `c` with `f(c)` atomically and returns the new count, or
    /// `None` (count unchanged) when `f` gives `None`. A compare-and-swap loop written
    /// out rather than `fetch_update`, which newer toolchains deprecate under a new
    /// name that older ones lack.
    #[inline]
    fn update(&self, f: impl Fn(u32) -> Option<u32>) -> Option<u32> {
        // Acquire, like every failed exchange below: a refused update (`f` gives
        // `None`) is ordered after the pin changes it saw, as `fetch_update` did.
        let mut cur = self.count.load(Ordering::Acquire);
        loop {
            let new = f(cur)?;
            // AcqRel / Acquire: as `pin` and `unpin` explain; the failure ordering
            // matches the one `fetch_update` was given.
            match self
                .count
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(new),
                Err(seen) => cur = seen,
            }
        }
    }
}

impl Default for PinCell {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PinCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinCell")
            .field("pins", &self.pins())
            .finish()
    }
}

/// Which words of an object hold pointers (Go's heap bitmap).
///
/// A word is `size_of::<usize>()` bytes, counted from the object's base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointerMap<'a> {
    /// The object holds no pointers (a byte buffer, an integer array).
    NoPointers,
    /// Every whole word may hold a pointer (a conservative allocator).
    AllWords,
    /// Bit `w % 8` of byte `w / 8` is set when word `w` holds a pointer. Words
    /// past the end of the bitmap hold no pointers.
    Bitmap(&'a [u8]),
}

/// One managed heap object, as described by the allocator.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    /// First byte of the object, aligned to `usize`, with provenance over all
    /// `size` bytes.
    pub base: NonNull<u8>,
    /// Size of the object in bytes.
    pub size: usize,
    /// Which of its words hold pointers.
    pub pointers: PointerMap<'a>,
    /// The object's pin count.
    pub pin: &'a PinCell,
}

impl Object<'_> {
    /// Address of the first byte.
    pub fn base_addr(&self) -> usize {
        self.base.as_ptr().addr()
    }
}

/// The allocator side of the checker: maps an address to the heap object that
/// contains it, like Go's `findObject` plus the heap bitmap.
///
/// # Safety
///
/// An implementation must guarantee, for every `Some(obj)` it returns from
/// [`object`](Self::object) and for as long as the returned borrow lives:
/// 1. `obj.base.addr() <= addr < obj.base.addr() + obj.size` (or
///    `addr == obj.base.addr()` when `size` is 0);
/// 2. `obj.base` is aligned to `align_of::<usize>()`;
/// 3. every word named by `obj.pointers` lies inside the object, is initialised
///    and may be read through `obj.base` (the checker reads those words as
///    pointer-sized values and never writes them);
/// 4. no other thread writes those words without synchronising with the
///    thread that runs the check (the same rule Go has: the check runs on the
///    goroutine that passes the memory to C);
/// 5. `obj.pin` is the one cell for that object: every address inside the
///    object yields the same cell, and the runtime neither frees nor moves an
///    object whose cell [`is_pinned`](PinCell::is_pinned).
pub unsafe trait ObjectLookup: Send + Sync {
    /// The live object containing `addr`, or `None` if `addr` lies in free
    /// space of the heap.
    fn object(&self, addr: usize) -> Option<Object<'_>>;
}
