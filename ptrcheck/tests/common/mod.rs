//! A small managed heap for the tests: a bump allocator over one raw block,
//! with per-object metadata (size, pointer bitmap, pin cell) that implements
//! `ObjectLookup`, plus plain arenas to register as stack or static data.
#![allow(dead_code)]

use ptrcheck::{Checker, Level, Object, ObjectLookup, PinCell, PointerMap};
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

const ALIGN: usize = 16;
const WORD: usize = size_of::<usize>();

/// A zeroed raw block with a bump allocator. Values are never dropped.
pub struct Arena {
    base: NonNull<u8>,
    layout: Layout,
    next: Mutex<usize>,
}

// SAFETY: the block is plain memory owned by the arena; allocation is
// serialised by the mutex and callers synchronise access to what they allocate.
unsafe impl Send for Arena {}
// SAFETY: as for Send.
unsafe impl Sync for Arena {}

impl Arena {
    pub fn new(bytes: usize) -> Self {
        let layout = Layout::from_size_align(bytes.max(ALIGN), ALIGN).unwrap();
        // SAFETY: the layout has a non-zero size.
        let base =
            NonNull::new(unsafe { alloc_zeroed(layout) }).expect("test arena: out of memory");
        Arena {
            base,
            layout,
            next: Mutex::new(0),
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        let start = self.base.addr().get();
        start..start + self.layout.size()
    }

    /// Reserves `size` bytes (16-aligned, at least 16 apart) and returns the offset.
    fn bump(&self, size: usize) -> usize {
        let mut next = self.next.lock().unwrap();
        let offset = *next;
        let end = offset + size.max(1);
        assert!(end <= self.layout.size(), "test arena exhausted");
        *next = end.next_multiple_of(ALIGN);
        offset
    }

    fn at(&self, offset: usize) -> NonNull<u8> {
        // SAFETY: offsets come from `bump`, inside the block.
        unsafe { self.base.add(offset) }
    }

    /// Moves `value` into the arena.
    pub fn put<T>(&self, value: T) -> *mut T {
        assert!(align_of::<T>() <= ALIGN);
        let p = self.at(self.bump(size_of::<T>())).cast::<T>().as_ptr();
        // SAFETY: freshly reserved, aligned, in bounds.
        unsafe { p.write(value) };
        p
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.base.as_ptr(), self.layout) };
    }
}

struct Meta {
    offset: usize,
    size: usize,
    bitmap: Vec<u8>,
    no_pointers: bool,
    all_words: bool,
    pin: PinCell,
}

/// The test heap: an arena whose allocations are objects with pointer maps.
pub struct TestHeap {
    arena: Arena,
    objects: Box<[OnceLock<Meta>]>,
    count: AtomicUsize,
}

impl TestHeap {
    pub fn new(bytes: usize, max_objects: usize) -> Arc<Self> {
        Arc::new(TestHeap {
            arena: Arena::new(bytes),
            objects: (0..max_objects).map(|_| OnceLock::new()).collect(),
            count: AtomicUsize::new(0),
        })
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.arena.range()
    }

    fn record(&self, offset: usize, size: usize, ptr_offsets: &[usize], all_words: bool) {
        let mut bitmap = vec![0u8; size.div_ceil(WORD).div_ceil(8)];
        for &off in ptr_offsets {
            assert!(
                off % WORD == 0 && off < size,
                "pointer offset {off} of a {size}-byte object"
            );
            bitmap[off / WORD / 8] |= 1 << (off / WORD % 8);
        }
        // Allocation order is address order; the arena lock is released, but
        // tests allocate from one thread at a time.
        let i = self.count.load(Ordering::Relaxed);
        assert!(i < self.objects.len(), "test heap: too many objects");
        let no_pointers = bitmap.iter().all(|&b| b == 0);
        let meta = Meta {
            offset,
            size,
            bitmap,
            no_pointers,
            all_words,
            pin: PinCell::new(),
        };
        let _ = self.objects[i].set(meta);
        // Release: publishes the metadata to lookups on other threads.
        self.count.store(i + 1, Ordering::Release);
    }

    /// Allocates `value` as one object whose pointer words are at the byte
    /// offsets `ptr_offsets`.
    pub fn alloc<T>(&self, value: T, ptr_offsets: &[usize]) -> *mut T {
        let p = self.arena.put(value);
        let offset = p.addr() - self.arena.base.addr().get();
        self.record(offset, size_of::<T>(), ptr_offsets, false);
        p
    }

    /// Allocates an object of `size` zero bytes in which every word may hold
    /// a pointer (a conservative allocator).
    pub fn alloc_conservative(&self, size: usize) -> NonNull<u8> {
        let offset = self.arena.bump(size);
        self.record(offset, size, &[], true);
        self.arena.at(offset)
    }

    /// Allocates `len` copies of `value` as one array object; every element's
    /// pointer words are at `elem_ptr_offsets`.
    pub fn alloc_array<T: Copy>(&self, len: usize, value: T, elem_ptr_offsets: &[usize]) -> *mut T {
        assert!(align_of::<T>() <= ALIGN);
        let size = size_of::<T>() * len;
        let offset = self.arena.bump(size);
        let p = self.arena.at(offset).cast::<T>().as_ptr();
        for i in 0..len {
            // SAFETY: in bounds of the reserved block, aligned.
            unsafe { p.add(i).write(value) };
        }
        let offsets: Vec<usize> = (0..len)
            .flat_map(|i| elem_ptr_offsets.iter().map(move |o| i * size_of::<T>() + o))
            .collect();
        self.record(offset, size, &offsets, false);
        p
    }

    /// Pins held on the object containing `p` (0 if none or not an object).
    pub fn pins<T>(&self, p: *const T) -> u32 {
        self.object(p.addr()).map_or(0, |o| o.pin.pins())
    }
}

// SAFETY: (1) `object` returns the object whose [offset, offset+size) holds
// addr (or addr == base for size 0); (2) objects are 16-aligned; (3) pointer
// words lie inside the object, and the arena is zeroed at creation so every
// word is initialised; (4) tests mutate objects only from the thread running
// the checks; (5) one Meta, hence one PinCell, per object, and the arena is
// freed only when the heap is dropped, after its registry.
unsafe impl ObjectLookup for TestHeap {
    fn object(&self, addr: usize) -> Option<Object<'_>> {
        let rel = addr.checked_sub(self.arena.base.addr().get())?;
        // Acquire: pairs with the Release in `record`.
        let count = self.count.load(Ordering::Acquire);
        let metas = &self.objects[..count];
        let idx = metas.partition_point(|m| m.get().is_some_and(|m| m.offset <= rel));
        let m = metas.get(idx.checked_sub(1)?)?.get()?;
        if rel >= m.offset + m.size.max(1) {
            return None;
        }
        let pointers = if m.all_words {
            PointerMap::AllWords
        } else if m.no_pointers {
            PointerMap::NoPointers
        } else {
            PointerMap::Bitmap(&m.bitmap)
        };
        Some(Object {
            base: self.arena.at(m.offset),
            size: m.size,
            pointers,
            pin: &m.pin,
        })
    }
}

/// A checker at `level` with a fresh 64 KiB test heap registered (small, so
/// that Miri sets it up quickly).
pub fn setup(level: Level) -> (Checker, Arc<TestHeap>) {
    setup_sized(level, 64 << 10)
}

/// As `setup`, with a heap of `bytes` bytes.
pub fn setup_sized(level: Level, bytes: usize) -> (Checker, Arc<TestHeap>) {
    let checker = Checker::with_level(64, level);
    let heap = TestHeap::new(bytes, 128);
    checker
        .registry()
        .add_heap(heap.range(), heap.clone())
        .unwrap();
    (checker, heap)
}

/// Memory the checker knows nothing about ("C memory").
pub fn c_memory<T>(value: T) -> Box<T> {
    Box::new(value)
}

/// Asserts that `r` failed and its message contains every needle.
#[track_caller]
pub fn assert_fails<T: std::fmt::Debug>(
    r: Result<T, ptrcheck::Violation>,
    needles: &[&str],
) -> ptrcheck::Violation {
    match r {
        Ok(v) => panic!("expected a violation, got Ok({v:?})"),
        Err(e) => {
            let msg = e.to_string();
            for n in needles {
                assert!(msg.contains(n), "message lacks {n:?}: {msg}");
            }
            e
        }
    }
}
