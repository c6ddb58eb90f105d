//! The managed-memory registry: which address ranges belong to the runtime.
//!
//! The runtime registers its heap arenas (each with an [`ObjectLookup`]), its
//! green-thread stacks (or the arenas it carves stacks from) and the static data
//! regions that may hold managed pointers. [`Registry::find`] answers "is this
//! address managed, and where?" in O(log n) without taking a lock.
//!
//! # Design
//!
//! Regions live in a fixed-capacity array kept sorted by start address. Every
//! field is an atomic, so readers never race with the writer in the language
//! sense (Miri-clean). Writers (serialised by a mutex) bump a sequence number to
//! odd, edit the array, and bump it to even; a reader runs a binary search
//! between two reads of the sequence number and retries if it changed — a
//! seqlock. Registration is rare (a new arena, a new stack pool); lookups are on
//! every check of a pointer.
//!
//! Object lookups are kept in a small append-only table of
//! [`OnceLock`]s; region entries name them by index.

use crate::object::ObjectLookup;
use crate::primitive::{AtomicUsize, Ordering, fence};
use core::fmt;
use core::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// Default number of regions a [`Registry`] can hold.
pub const DEFAULT_REGION_CAPACITY: usize = 1024;
/// Number of distinct [`ObjectLookup`]s a [`Registry`] can hold.
pub const MAX_HEAPS: usize = 16;

/// What a managed region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// Heap objects, described by an [`ObjectLookup`]. Pointers into it must be
    /// pinned to be stored in memory passed to C.
    Heap,
    /// Green-thread stacks. Like Go, pointers into a stack count as managed
    /// but are never moved by the collector, so they count as pinned.
    Stack,
    /// Static data that may hold managed pointers (Go's `data`/`bss`). Object
    /// sizes are unknown there, so a pointer into it that must be examined is
    /// always rejected, as in Go. Do not register pointer-free statics.
    Data,
}

impl RegionKind {
    fn tag(self) -> usize {
        match self {
            RegionKind::Heap => 1,
            RegionKind::Stack => 2,
            RegionKind::Data => 3,
        }
    }

    fn from_tag(tag: usize) -> Option<Self> {
        match tag & 3 {
            1 => Some(RegionKind::Heap),
            2 => Some(RegionKind::Stack),
            3 => Some(RegionKind::Data),
            _ => None,
        }
    }
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegionKind::Heap => "managed heap",
            RegionKind::Stack => "managed stack",
            RegionKind::Data => "managed static data",
        })
    }
}

/// A registered region, as returned by [`Registry::find`].
#[derive(Clone, Copy)]
pub struct Region<'a> {
    /// First address of the region.
    pub start: usize,
    /// One past the last address.
    pub end: usize,
    /// What the region holds.
    pub kind: RegionKind,
    lookup: Option<&'a dyn ObjectLookup>,
}

impl<'a> Region<'a> {
    /// The object lookup of a [`RegionKind::Heap`] region.
    pub fn lookup(&self) -> Option<&'a dyn ObjectLookup> {
        self.lookup
    }

    /// The id under which the region was registered.
    pub fn id(&self) -> RegionId {
        RegionId { start: self.start }
    }
}

impl fmt::Debug for Region<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("start", &format_args!("{:#x}", self.start))
            .field("end", &format_args!("{:#x}", self.end))
            .field("kind", &self.kind)
            .finish()
    }
}

/// Names a registered region, for [`Registry::remove`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionId {
    start: usize,
}

/// Why a registration failed. Nothing is changed when it does.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The range is empty (`start >= end`).
    EmptyRange {
        /// The rejected range.
        range: Range<usize>,
    },
    /// The range overlaps a registered region.
    Overlap {
        /// The rejected range.
        range: Range<usize>,
        /// The region it overlaps.
        existing: Range<usize>,
        /// What the existing region holds.
        kind: RegionKind,
    },
    /// All region slots are used.
    Full {
        /// The registry's capacity.
        capacity: usize,
    },
    /// [`MAX_HEAPS`] distinct object lookups are registered already.
    TooManyHeaps,
    /// No region was registered under that id.
    NotFound {
        /// The start address the id names.
        start: usize,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::EmptyRange { range } => write!(
                f,
                "ptrcheck: cannot register the empty range {:#x}..{:#x}; pass start < end",
                range.start, range.end
            ),
            RegistryError::Overlap {
                range,
                existing,
                kind,
            } => write!(
                f,
                "ptrcheck: cannot register {:#x}..{:#x}: it overlaps the {kind} region {:#x}..{:#x}; remove that region first",
                range.start, range.end, existing.start, existing.end
            ),
            RegistryError::Full { capacity } => write!(
                f,
                "ptrcheck: the registry is full ({capacity} regions); create the Checker with a larger capacity or register whole arenas instead of single stacks"
            ),
            RegistryError::TooManyHeaps => write!(
                f,
                "ptrcheck: at most {MAX_HEAPS} distinct object lookups can be registered; share one ObjectLookup between heap arenas"
            ),
            RegistryError::NotFound { start } => {
                write!(f, "ptrcheck: no region starts at {start:#x}")
            }
        }
    }
}

impl std::error::Error for RegistryError {}

/// One slot of the sorted region array: `starts[i]` with `entries[i]`. All
/// fields are atomics so that the seqlock readers never perform a non-atomic
/// racy read. Start addresses sit in their own dense array, which the binary
/// search walks.
struct Entry {
    end: AtomicUsize,
    /// `kind tag | lookup index << 2`.
    tag: AtomicUsize,
}

impl Entry {
    fn empty() -> Self {
        Entry {
            end: AtomicUsize::new(0),
            tag: AtomicUsize::new(0),
        }
    }
}

/// The set of managed memory regions.
///
/// Regions live in a fixed-capacity array kept sorted by start address; every
/// field is an atomic, and a seqlock (a sequence number that is odd while a
/// writer edits) lets [`find`](Self::find) run a branch-free binary search
/// without locks. Writers are serialised by a mutex.
pub struct Registry {
    /// Seqlock sequence: odd while a writer edits the fields below.
    seq: AtomicUsize,
    len: AtomicUsize,
    /// Lowest start and highest end of all regions (`usize::MAX`/0 when
    /// empty): most unmanaged addresses are rejected by these two compares.
    lowest: AtomicUsize,
    highest: AtomicUsize,
    starts: Box<[AtomicUsize]>,
    entries: Box<[Entry]>,
    lookups: Box<[OnceLock<Arc<dyn ObjectLookup>>]>,
    /// Serialises writers.
    writer: Mutex<()>,
}

impl Registry {
    /// An empty registry with room for `capacity` regions.
    pub fn with_capacity(capacity: usize) -> Self {
        Registry {
            seq: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            lowest: AtomicUsize::new(usize::MAX),
            highest: AtomicUsize::new(0),
            starts: (0..capacity).map(|_| AtomicUsize::new(0)).collect(),
            entries: (0..capacity).map(|_| Entry::empty()).collect(),
            lookups: (0..MAX_HEAPS).map(|_| OnceLock::new()).collect(),
            writer: Mutex::new(()),
        }
    }

    /// Maximum number of regions.
    pub fn capacity(&self) -> usize {
        self.starts.len()
    }

    /// Number of registered regions.
    pub fn len(&self) -> usize {
        // Relaxed: a snapshot count for diagnostics, not used to index.
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no region is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers a heap arena whose objects `lookup` describes.
    ///
    /// Several arenas may share one lookup (pass clones of the same `Arc`).
    /// A lookup stays referenced until the registry is dropped, even after
    /// its regions are removed (lock-free readers may still be using it), and
    /// at most [`MAX_HEAPS`] distinct lookups can be registered: give all
    /// arenas of one allocator the same lookup.
    pub fn add_heap(
        &self,
        range: Range<usize>,
        lookup: Arc<dyn ObjectLookup>,
    ) -> Result<RegionId, RegistryError> {
        let _guard = self.lock();
        // Reuse the slot of the same lookup, else take a free one.
        let mut index = None;
        for (i, slot) in self.lookups.iter().enumerate() {
            match slot.get() {
                Some(existing) if Arc::ptr_eq(existing, &lookup) => {
                    index = Some(i);
                    break;
                }
                Some(_) => {}
                None => {
                    index = Some(i);
                    break;
                }
            }
        }
        let index = index.ok_or(RegistryError::TooManyHeaps)?;
        self.check_insert(&range)?;
        // Only the writer sets slots, under the lock, so this cannot race.
        let _ = self.lookups[index].set(lookup);
        Ok(self.insert(range, RegionKind::Heap.tag() | index << 2))
    }

    /// Registers a green-thread stack, or an arena that stacks are carved from.
    pub fn add_stack(&self, range: Range<usize>) -> Result<RegionId, RegistryError> {
        let _guard = self.lock();
        self.check_insert(&range)?;
        Ok(self.insert(range, RegionKind::Stack.tag()))
    }

    /// Registers a static data region that may hold managed pointers.
    pub fn add_data(&self, range: Range<usize>) -> Result<RegionId, RegistryError> {
        let _guard = self.lock();
        self.check_insert(&range)?;
        Ok(self.insert(range, RegionKind::Data.tag()))
    }

    /// Unregisters a region (a freed stack, an unmapped arena).
    pub fn remove(&self, id: RegionId) -> Result<(), RegistryError> {
        let _guard = self.lock();
        // Relaxed: only the writer (holding the lock) stores these.
        let len = self.len.load(Ordering::Relaxed);
        let pos = (0..len)
            .find(|&i| self.starts[i].load(Ordering::Relaxed) == id.start)
            .ok_or(RegistryError::NotFound { start: id.start })?;
        self.begin_write();
        for i in pos..len - 1 {
            self.copy_entry(i + 1, i);
        }
        self.len.store(len - 1, Ordering::Relaxed);
        self.update_bounds(len - 1);
        self.end_write();
        Ok(())
    }

    /// The region containing `addr`, if any. Lock-free, O(log n).
    #[inline]
    pub fn find(&self, addr: usize) -> Option<Region<'_>> {
        loop {
            // Acquire pairs with the Release store ending a write: the entries
            // read below are at least as new as that write.
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 & 1 == 1 {
                core::hint::spin_loop();
                continue;
            }
            // Relaxed loads: validated by the sequence re-check below.
            let found = if addr < self.lowest.load(Ordering::Relaxed)
                || addr >= self.highest.load(Ordering::Relaxed)
            {
                None
            } else {
                let len = self.len.load(Ordering::Relaxed).min(self.starts.len());
                self.search(addr, len)
            };
            // Acquire fence: if any load above saw a store made after a
            // writer's opening Release fence, the re-read below sees that
            // writer's odd (or later) sequence number.
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != s1 {
                continue;
            }
            let (start, end, tag) = found?;
            let kind = RegionKind::from_tag(tag)?;
            let lookup = match kind {
                RegionKind::Heap => Some(&**self.lookups.get(tag >> 2)?.get()?),
                _ => None,
            };
            return Some(Region {
                start,
                end,
                kind,
                lookup,
            });
        }
    }

    /// Branch-free binary search for the last region starting at or below
    /// `addr` (conditional moves instead of unpredictable branches).
    #[inline]
    fn search(&self, addr: usize, len: usize) -> Option<(usize, usize, usize)> {
        if len == 0 {
            return None;
        }
        let (mut base, mut size) = (0, len);
        while size > 1 {
            let half = size / 2;
            // Relaxed: see `find`.
            let probe = self.starts[base + half].load(Ordering::Relaxed);
            base = if probe <= addr { base + half } else { base };
            size -= half;
        }
        let start = self.starts[base].load(Ordering::Relaxed);
        let e = &self.entries[base];
        let end = e.end.load(Ordering::Relaxed);
        (start <= addr && addr < end).then(|| (start, end, e.tag.load(Ordering::Relaxed)))
    }

    /// Whether `addr` lies in a registered region (Go's `cgoIsGoPointer`).
    #[inline]
    pub fn is_managed(&self, addr: usize) -> bool {
        self.find(addr).is_some()
    }

    /// All registered regions, in address order.
    pub fn regions(&self) -> Vec<Region<'_>> {
        let _guard = self.lock();
        let len = self.len.load(Ordering::Relaxed);
        (0..len)
            .filter_map(|i| self.find(self.starts[i].load(Ordering::Relaxed)))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic while holding the lock cannot leave
        // it inconsistent beyond what the seqlock already tolerates.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check_insert(&self, range: &Range<usize>) -> Result<(), RegistryError> {
        if range.start >= range.end {
            return Err(RegistryError::EmptyRange {
                range: range.clone(),
            });
        }
        // Relaxed: only the lock holder writes.
        let len = self.len.load(Ordering::Relaxed);
        for (st, e) in self.starts[..len].iter().zip(&self.entries[..len]) {
            let (s, en) = (st.load(Ordering::Relaxed), e.end.load(Ordering::Relaxed));
            if s < range.end && range.start < en {
                return Err(RegistryError::Overlap {
                    range: range.clone(),
                    existing: s..en,
                    kind: RegionKind::from_tag(e.tag.load(Ordering::Relaxed))
                        .unwrap_or(RegionKind::Heap),
                });
            }
        }
        if len == self.starts.len() {
            return Err(RegistryError::Full {
                capacity: self.starts.len(),
            });
        }
        Ok(())
    }

    /// Inserts a checked range; the caller holds the lock.
    fn insert(&self, range: Range<usize>, tag: usize) -> RegionId {
        let len = self.len.load(Ordering::Relaxed);
        let pos = (0..len)
            .find(|&i| self.starts[i].load(Ordering::Relaxed) > range.start)
            .unwrap_or(len);
        self.begin_write();
        for i in (pos..len).rev() {
            self.copy_entry(i, i + 1);
        }
        let e = &self.entries[pos];
        self.starts[pos].store(range.start, Ordering::Relaxed);
        e.end.store(range.end, Ordering::Relaxed);
        e.tag.store(tag, Ordering::Relaxed);
        self.len.store(len + 1, Ordering::Relaxed);
        self.update_bounds(len + 1);
        self.end_write();
        RegionId { start: range.start }
    }

    /// Recomputes `lowest`/`highest`; inside a write section.
    fn update_bounds(&self, len: usize) {
        // Relaxed: inside the seqlock write section (see begin_write).
        let (lowest, highest) = if len == 0 {
            (usize::MAX, 0)
        } else {
            let last_end = self.entries[..len]
                .iter()
                .map(|e| e.end.load(Ordering::Relaxed))
                .max();
            (
                self.starts[0].load(Ordering::Relaxed),
                last_end.unwrap_or(0),
            )
        };
        self.lowest.store(lowest, Ordering::Relaxed);
        self.highest.store(highest, Ordering::Relaxed);
    }

    fn copy_entry(&self, from: usize, to: usize) {
        let (f, t) = (&self.entries[from], &self.entries[to]);
        // Relaxed: inside the seqlock write section (see begin_write).
        self.starts[to].store(self.starts[from].load(Ordering::Relaxed), Ordering::Relaxed);
        t.end
            .store(f.end.load(Ordering::Relaxed), Ordering::Relaxed);
        t.tag
            .store(f.tag.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn begin_write(&self) {
        let s = self.seq.load(Ordering::Relaxed);
        // Relaxed store of the odd value, then a Release fence: every entry
        // store that follows is ordered after it, so a reader that observes
        // one of them (and then fences with Acquire) observes the odd value.
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
    }

    fn end_write(&self) {
        let s = self.seq.load(Ordering::Relaxed);
        // Release: publishes all entry stores to readers that Acquire-load it.
        self.seq.store(s.wrapping_add(1), Ordering::Release);
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_REGION_CAPACITY)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("capacity", &self.capacity())
            .field("regions", &self.regions())
            .finish()
    }
}
