//! Guard-paged stacks from `mmap`, and a pool that reuses them.

use std::fmt;
use std::sync::Mutex;

use crate::bounds::StackBounds;
use crate::os::{Imp, OsImp};
use crate::overflow::{self, Kind, Registration};
use crate::primitive::{AtomicU64, Ordering};

/// Why a [`Stack`] could not be made.
#[derive(Debug)]
pub enum StackError {
    /// The requested size plus the guard page does not fit in the address space.
    TooLarge {
        /// The size that was asked for, in bytes.
        requested: usize,
    },
    /// `mmap` (or `mprotect`/`sigaltstack` on the fresh mapping) failed.
    Map {
        /// Bytes that were being mapped.
        size: usize,
        /// The OS error.
        error: std::io::Error,
    },
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackError::TooLarge { requested } => write!(
                f,
                "stackswitch: a stack of {requested} bytes plus its guard page does not fit in the address space; ask for a smaller stack"
            ),
            StackError::Map { size, error } => write!(
                f,
                "stackswitch: mapping {size} bytes of stack failed: {error}; lower the stack size or the number of live stacks"
            ),
        }
    }
}

impl std::error::Error for StackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StackError::Map { error, .. } => Some(error),
            StackError::TooLarge { .. } => None,
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A stack for green threads and [`crate::on_stack`]: an anonymous mapping
/// with one `PROT_NONE` guard page below the usable range.
///
/// ```text
///   top()    -> +-------------------+  (exclusive, page aligned)
///               |  usable, RW       |  size() bytes, grows down
///   bottom() -> +-------------------+
///               |  guard, PROT_NONE |  one page; a fault here is reported
///               +-------------------+  as an overflow of this stack
/// ```
///
/// The guard page is registered with the overflow handler, which is installed
/// on first use: running off the bottom prints
/// `stackswitch: stack overflow on green-thread stack #<id> ...` and aborts.
pub struct Stack {
    map: usize,
    map_len: usize,
    guard_len: usize,
    id: u64,
    _registration: Registration,
}

// SAFETY: a Stack is plain memory owned by this value; nothing in it is tied
// to a thread. Access to the memory goes through `&mut Stack` (on_stack,
// Context::new takes it by value).
unsafe impl Send for Stack {}
// SAFETY: `&Stack` only exposes addresses and sizes, never the memory.
unsafe impl Sync for Stack {}

impl Stack {
    /// Maps a stack with at least `size` usable bytes (rounded up to whole
    /// pages, at least one) plus one guard page.
    ///
    /// # Errors
    /// [`StackError::TooLarge`] if the size overflows, [`StackError::Map`] if
    /// the OS refuses the mapping.
    pub fn new(size: usize) -> Result<Stack, StackError> {
        let page = Imp::page_size();
        let usable = size
            .max(1)
            .checked_next_multiple_of(page)
            .ok_or(StackError::TooLarge { requested: size })?;
        let map_len = usable
            .checked_add(page)
            .ok_or(StackError::TooLarge { requested: size })?;
        overflow::install_overflow_handler()?;
        // SAFETY: anonymous private mapping with no address hint; the result is
        // checked against MAP_FAILED before use.
        let map = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANON | Imp::STACK_MAP_FLAGS,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(StackError::Map {
                size: map_len,
                error: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: the first page lies inside the mapping we just created and
        // nothing else refers to it yet.
        if unsafe { libc::mprotect(map, page, libc::PROT_NONE) } != 0 {
            let error = std::io::Error::last_os_error();
            // SAFETY: unmapping our own fresh mapping, which nothing references.
            unsafe { libc::munmap(map, map_len) };
            return Err(StackError::Map {
                size: map_len,
                error,
            });
        }
        // Relaxed: the id only has to be unique.
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let map = map as usize;
        let registration = overflow::register(
            (map, map + page),
            (map + page, map + map_len),
            Kind::Green(id),
        );
        Ok(Stack {
            map,
            map_len,
            guard_len: page,
            id,
            _registration: registration,
        })
    }

    /// The number naming this stack in overflow messages (`#<id>`).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Lowest usable address (just above the guard page).
    pub fn bottom(&self) -> usize {
        self.map + self.guard_len
    }

    /// One past the highest usable address; 16-byte aligned (page aligned).
    pub fn top(&self) -> usize {
        self.map + self.map_len
    }

    /// Usable bytes.
    pub fn size(&self) -> usize {
        self.map_len - self.guard_len
    }

    /// The guard page range `[lo, hi)`.
    pub fn guard(&self) -> core::ops::Range<usize> {
        self.map..self.map + self.guard_len
    }

    /// The usable range as bounds (`lo` = [`Stack::bottom`], `hi` = [`Stack::top`]).
    pub fn bounds(&self) -> StackBounds {
        StackBounds {
            lo: self.bottom(),
            hi: self.top(),
        }
    }
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Stack #{} [{:#x}, {:#x}) of {} KiB",
            self.id,
            self.bottom(),
            self.top(),
            self.size() / 1024
        )
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: we own the mapping; every user borrowed the Stack (on_stack)
        // or owned it (Context), so nothing runs on it any more.
        unsafe { libc::munmap(self.map as *mut libc::c_void, self.map_len) };
    }
}

/// A pool of same-sized [`Stack`]s: `take` reuses a cached one or maps a new
/// one; `give` returns one for reuse (dropping it when the pool is full).
///
/// A green-thread runtime keeps one per worker or one shared; the lock is
/// only held to push or pop a vector entry.
#[derive(Debug)]
pub struct StackPool {
    stack_size: usize,
    max_cached: usize,
    free: Mutex<Vec<Stack>>,
}

impl StackPool {
    /// A pool of stacks of `stack_size` usable bytes (rounded up to pages)
    /// that keeps at most `max_cached` unused stacks.
    pub fn new(stack_size: usize, max_cached: usize) -> StackPool {
        let page = Imp::page_size();
        let stack_size = stack_size
            .max(1)
            .checked_next_multiple_of(page)
            .unwrap_or(usize::MAX);
        StackPool {
            stack_size,
            max_cached,
            free: Mutex::new(Vec::new()),
        }
    }

    /// Usable size of every stack of this pool.
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }

    /// A cached stack, or a fresh one.
    ///
    /// # Errors
    /// As [`Stack::new`].
    pub fn take(&self) -> Result<Stack, StackError> {
        let cached = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match cached {
            Some(s) => Ok(s),
            None => Stack::new(self.stack_size),
        }
    }

    /// Returns a stack for reuse. Stacks of another size, and stacks beyond
    /// `max_cached`, are unmapped instead.
    pub fn give(&self, stack: Stack) {
        if stack.size() != self.stack_size {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < self.max_cached {
            free.push(stack);
        }
    }

    /// Number of stacks waiting for reuse.
    pub fn cached(&self) -> usize {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
