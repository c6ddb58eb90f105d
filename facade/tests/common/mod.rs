//! Shared by the integration tests: the C functions of `tests/c/facade_tests.c`
//! and a tiny managed heap for pointer-check scenarios.
#![allow(dead_code)]

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

use facade::ptrcheck::{Object, ObjectLookup, PinCell, PointerMap};

facade::c_functions! {
    #![link(name = "facade_tests", kind = "static")]
    pub fn facade_empty();
    #[nocallback] #[noescape] pub fn facade_empty_ptr(p: *mut c_void);
    pub fn facade_mix(x: i64) -> i64;
    pub fn facade_fill(p: *mut u8, n: usize, v: u8);
    pub fn facade_sum_words(p: *const *const u8, n: usize) -> usize;
    #[nocallback] #[noescape] pub fn facade_sum_words_ne(p: *const *const u8, n: usize) -> usize;
    /// Blocks in nanosleep; declared blocking: the processor is handed on at once.
    #[blocking] pub fn facade_sleep_ms(ms: c_int) -> c_int;
    pub fn facade_spin_us(us: c_int) -> c_int;
    pub fn facade_big_frame(x: c_int) -> c_int;
    #[nocallback] pub fn facade_call_fn(f: extern "C" fn());
}

/// `facade_call_fn` without `#[nocallback]`.
pub mod may_call_back {
    facade::c_functions! {
        #![link(name = "facade_tests", kind = "static")]
        pub fn facade_call_fn(f: extern "C" fn());
    }
}

/// `facade_sum_words_ne` with one of the two attributes that, together, skip the
/// level-1 pointer check.
pub mod noescape_only {
    facade::c_functions! {
        #![link(name = "facade_tests", kind = "static")]
        #[noescape] pub fn facade_sum_words_ne(p: *const *const u8, n: usize) -> usize;
    }
}

/// See [`noescape_only`].
pub mod nocallback_only {
    facade::c_functions! {
        #![link(name = "facade_tests", kind = "static")]
        #[nocallback] pub fn facade_sum_words_ne(p: *const *const u8, n: usize) -> usize;
    }
}

/// `facade_sleep_ms` without `#[blocking]`: the monitor must notice it.
pub mod lazy {
    use std::ffi::c_int;
    facade::c_functions! {
        #![link(name = "facade_tests", kind = "static")]
        pub fn facade_sleep_ms(ms: c_int) -> c_int;
    }
}

/// Is the test binary running under qemu-user (set by `cargo xtask ci`)?
pub fn under_emulation() -> bool {
    std::env::var("CGO_RS_RUNNER").is_ok_and(|r| !r.trim().is_empty())
}

/// Resident set size of this process in bytes.
pub fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc_page_size() };
    pages * page
}

unsafe extern "C" {
    fn getpagesize() -> c_int;
}

unsafe fn libc_page_size() -> usize {
    // SAFETY: getpagesize has no preconditions.
    unsafe { getpagesize() as usize }
}

/// A managed heap of `N` 16-byte objects, every word possibly a pointer.
pub struct SlotHeap {
    base: NonNull<u8>,
    pins: Vec<PinCell>,
}

// SAFETY: the slots are plain memory owned by the heap; tests synchronise access.
unsafe impl Send for SlotHeap {}
// SAFETY: as above.
unsafe impl Sync for SlotHeap {}

impl SlotHeap {
    pub const SLOT: usize = 16;

    pub fn new(n: usize) -> SlotHeap {
        let mem = vec![0u64; n * 2].leak();
        SlotHeap {
            base: NonNull::from(&mut mem[0]).cast(),
            pins: (0..n).map(|_| PinCell::new()).collect(),
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        let s = self.base.as_ptr().addr();
        s..s + self.pins.len() * Self::SLOT
    }

    pub fn slot(&self, i: usize) -> *const u8 {
        assert!(i < self.pins.len());
        // SAFETY: in bounds of the leaked block.
        unsafe { self.base.as_ptr().add(i * Self::SLOT) }
    }
}

// SAFETY: (1) object i spans base+16i..base+16i+16 and contains every address
// mapped to it; (2) 16-byte slots of a u64 block are word-aligned; (3) the block
// is zero-initialised and leaked, so always readable; (4) tests write slots only
// before handing them to checks, on the same green thread; (5) one cell per slot.
unsafe impl ObjectLookup for SlotHeap {
    fn object(&self, addr: usize) -> Option<Object<'_>> {
        let off = addr.checked_sub(self.base.as_ptr().addr())?;
        let i = off / Self::SLOT;
        let pin = self.pins.get(i)?;
        // SAFETY: i < n, so the offset stays inside the block.
        let base = unsafe { self.base.add(i * Self::SLOT) };
        Some(Object {
            base,
            size: Self::SLOT,
            pointers: PointerMap::AllWords,
            pin,
        })
    }
}

/// A runtime with one processor at pointer-check `level`, and a `SlotHeap` of 8
/// slots registered as its managed memory.
pub fn runtime_with_heap(level: facade::CheckLevel) -> (facade::Runtime, std::sync::Arc<SlotHeap>) {
    let rt = facade::Runtime::builder()
        .processors(1)
        .pointer_checks(level)
        .build()
        .unwrap();
    let heap = std::sync::Arc::new(SlotHeap::new(8));
    rt.checker()
        .registry()
        .add_heap(heap.range(), heap.clone())
        .unwrap();
    (rt, heap)
}

/// The message of a panic payload (`String` or `&str`).
pub fn panic_message(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| format!("{:?}", e.downcast_ref::<&str>()))
}
