//! [`Pinner`]: pins managed heap objects so memory passed to C may point at
//! them (Go's `runtime.Pinner`).

use crate::checker::Checker;
use crate::error::PinError;
use crate::registry::RegionKind;
use core::fmt;

/// What [`Pinner::pin`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pinned {
    /// The heap object was pinned (again, if it was pinned already: pins add
    /// up and each is released by the `unpin` of the `Pinner` that took it).
    Object {
        /// Object base.
        base: usize,
        /// Object size in bytes.
        size: usize,
        /// Pins now held on the object, by all pinners.
        pins: u32,
    },
    /// The pointer does not point into the managed heap (a stack, static data,
    /// C or Rust memory): such memory never moves and counts as pinned, so
    /// nothing was recorded (Go: pinning a global is a no-op).
    NotHeap,
}

/// Pins managed heap objects until [`unpin`](Self::unpin).
///
/// A pinned object may be referenced from memory passed to C (and from C
/// memory at level 2). Pinning is per object: an interior pointer pins the
/// whole object; what the object points to is not pinned.
///
/// Dropping a `Pinner` that still holds pins releases them and reports the
/// leak by panicking (or, if the thread is already panicking, by printing one
/// line to stderr), as Go's finalizer does.
///
/// # References
///
/// Go: `runtime/pinner.go` `Pinner.Pin`, `Pinner.Unpin`, `setPinned`.
pub struct Pinner<'c> {
    checker: &'c Checker,
    /// Bases of pinned objects, one entry per pin.
    refs: Vec<usize>,
}

impl<'c> Pinner<'c> {
    /// A pinner holding no pins.
    pub fn new(checker: &'c Checker) -> Self {
        Pinner {
            checker,
            refs: Vec::new(),
        }
    }

    /// Pins the heap object containing `p`. Does not dereference `p`.
    pub fn pin<T: ?Sized>(&mut self, p: *const T) -> Result<Pinned, PinError> {
        let addr = p.cast::<u8>().addr();
        if addr == 0 {
            return Err(PinError::Null);
        }
        let Some(region) = self.checker.registry().find(addr) else {
            return Ok(Pinned::NotHeap);
        };
        if region.kind != RegionKind::Heap {
            return Ok(Pinned::NotHeap);
        }
        let obj = region
            .lookup()
            .and_then(|l| l.object(addr))
            .ok_or(PinError::NotAnObject { addr })?;
        let base = obj.base_addr();
        let pins = obj.pin.pin().ok_or(PinError::TooManyPins { base })?;
        self.refs.push(base);
        Ok(Pinned::Object {
            base,
            size: obj.size,
            pins,
        })
    }

    /// Number of pins this pinner holds.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Whether it holds no pins.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Releases every pin this pinner holds. A no-op when it holds none;
    /// calling it twice is fine.
    ///
    /// # Panics
    ///
    /// If a pinned object is no longer found, or is not pinned any more: the
    /// runtime freed or reset a pinned object, which breaks the contract of
    /// [`ObjectLookup`](crate::ObjectLookup) (Go throws "object already
    /// unpinned" in the same situation).
    pub fn unpin(&mut self) {
        for base in core::mem::take(&mut self.refs) {
            let obj = self
                .checker
                .registry()
                .find(base)
                .filter(|r| r.kind == RegionKind::Heap)
                .and_then(|r| r.lookup())
                .and_then(|l| l.object(base));
            let released = obj.and_then(|o| o.pin.unpin());
            if released.is_none() {
                panic!(
                    "ptrcheck: Pinner::unpin: object {base:#x} was freed or unpinned behind the pinner's back (runtime.Pinner: object already unpinned); the runtime must keep pinned objects alive"
                );
            }
        }
    }
}

impl Drop for Pinner<'_> {
    fn drop(&mut self) {
        if self.refs.is_empty() {
            return;
        }
        let n = self.refs.len();
        let first = self.refs[0];
        self.unpin();
        let msg = format!(
            "ptrcheck: Pinner dropped while holding {n} pin(s) (first on object {first:#x}); they were released now, but call Pinner::unpin when C no longer uses the objects (runtime.Pinner: found leaking pinned pointer; forgot to call Unpin()?)"
        );
        if std::thread::panicking() {
            eprintln!("{msg}");
        } else {
            panic!("{msg}");
        }
    }
}

impl fmt::Debug for Pinner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pinner")
            .field("pins", &self.refs.len())
            .finish()
    }
}
