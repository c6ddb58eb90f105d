//! The walk: Go's `cgoCheckArg` and `cgoCheckUnknownPointer` over Rust values.
//!
//! [`Pointers`] implementations call the [`Walker`] for each pointer-bearing
//! part of a value; the walker decides, per the rules, whether that pointer is
//! allowed and whether to look behind it.
//!
//! The `top` flag is Go's: `true` while examining the argument value itself (a
//! managed pointer may be passed as long as what it points to holds no unpinned
//! managed pointers), `false` below it (every managed pointer must be pinned).

use crate::error::{Kind, Reason, Step, Target, Violation};
use crate::object::{Object, PointerMap};
use crate::pointers::Pointers;
use crate::registry::{Region, RegionKind, Registry};

/// What is being checked; decides how deep the walk goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An argument (Go's `cgoCheckArg` with `cgoCheckPointerFail`).
    Argument,
    /// A result returned to C (same walk, always below top).
    Result,
    /// A store into C memory: only the value's own pointer words are examined
    /// (Go's `cgoCheckPtrWrite` / GC-mask walk of `cgoCheckMemmove`).
    Write,
}

/// Where an address falls.
enum Place<'r> {
    Unmanaged,
    Heap(Region<'r>, Option<Object<'r>>),
    Stack,
    Data(Region<'r>),
}

/// Walks a value on behalf of a [`Checker`](crate::Checker). Handed to
/// [`Pointers::check_value`]; implementations call its methods for the parts
/// of a value that hold pointers.
pub struct Walker<'a> {
    registry: &'a Registry,
    mode: Mode,
    /// Still at the value handed to the check (no field or element entered).
    root: bool,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(registry: &'a Registry, mode: Mode) -> Self {
        Walker {
            registry,
            mode,
            root: true,
        }
    }

    fn place(&self, addr: usize) -> Place<'a> {
        match self.registry.find(addr) {
            None => Place::Unmanaged,
            Some(region) => match region.kind {
                RegionKind::Heap => {
                    let obj = region.lookup().and_then(|l| l.object(addr));
                    Place::Heap(region, obj)
                }
                RegionKind::Stack => Place::Stack,
                RegionKind::Data => Place::Data(region),
            },
        }
    }

    /// Checks a struct field, adding `.name` to the path of a violation.
    #[inline]
    pub fn field<T: Pointers + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
        top: bool,
    ) -> Result<(), Violation> {
        if !T::HAS_POINTERS {
            return Ok(());
        }
        self.root = false;
        value
            .check_value(self, top)
            .map_err(|v| v.within(Step::Field(name)))
    }

    /// Checks array or slice elements in place, adding `[i]` to the path.
    #[inline]
    pub fn elements<T: Pointers>(&mut self, items: &[T], top: bool) -> Result<(), Violation> {
        if !T::HAS_POINTERS {
            return Ok(());
        }
        self.root = false;
        for (i, item) in items.iter().enumerate() {
            item.check_value(self, top)
                .map_err(|v| v.within(Step::Index(i)))?;
        }
        Ok(())
    }

    /// Go's rule for a raw pointer (no type information is used beyond
    /// `kind`): a managed pointer below top must be pinned, and the heap object
    /// it points into must hold no unpinned managed pointers.
    ///
    /// # References
    ///
    /// Go: `runtime/cgocall.go` `cgoCheckArg` (Pointer case) and
    /// `cgoCheckUnknownPointer`.
    pub fn raw_pointer(&mut self, p: *const u8, kind: Kind, top: bool) -> Result<(), Violation> {
        let addr = p.addr();
        if addr == 0 {
            return Ok(());
        }
        match self.place(addr) {
            Place::Unmanaged | Place::Stack => Ok(()),
            Place::Data(r) => self.data(addr, r),
            Place::Heap(r, obj) => self.heap(addr, r, obj, kind, top),
        }
    }

    /// The rule for a trait object whose data is at `p` (Go's interface
    /// rule). As an argument or a stored value, managed data must be pinned
    /// below top and its heap object may hold no unpinned managed pointers.
    /// When the trait object *is* the result returned to C (not a field or
    /// element of it), its data itself need not be pinned: Go checks a
    /// returned interface by its dynamic value, so the box holding a
    /// pointer-free value is never examined while a boxed pointer must be
    /// pinned. Scanning the data's heap object checks exactly those words.
    ///
    /// # References
    /// Go: `runtime/cgocall.go`, `cgoCheckArg` (the interface case) and
    /// `cgoCheckResult`.
    pub fn trait_object(&mut self, p: *const u8, top: bool) -> Result<(), Violation> {
        let top = top || (self.mode == Mode::Result && self.root);
        self.raw_pointer(p, Kind::TraitObject, top)
    }

    /// The rule for a reference `&T` (also `Box<T>`): like
    /// [`raw_pointer`](Self::raw_pointer), except that a reference at top into
    /// a managed stack is checked through its type (Go would accept it
    /// unchecked, because Go moves such variables to the heap).
    pub fn reference<T: Pointers + ?Sized>(&mut self, r: &T, top: bool) -> Result<(), Violation> {
        let addr = (r as *const T).cast::<u8>().addr();
        match self.place(addr) {
            Place::Unmanaged => Ok(()),
            Place::Stack => {
                if top && T::HAS_POINTERS && self.mode != Mode::Write {
                    r.check_value(self, false)
                        .map_err(|v| v.within(Step::Deref(core::any::type_name::<T>())))
                } else {
                    Ok(())
                }
            }
            Place::Data(region) => self.data(addr, region),
            Place::Heap(region, obj) => self.heap(addr, region, obj, T::POINTEE_KIND, top),
        }
    }

    /// Go's rule for a slice: its data pointer, if managed, must be pinned below
    /// top; then every element is checked below top. Elements of a slice whose
    /// data is not managed are not examined (as in Go).
    ///
    /// # References
    ///
    /// Go: `runtime/cgocall.go` `cgoCheckArg` (Slice case).
    pub fn slice<T: Pointers>(&mut self, items: &[T], top: bool) -> Result<(), Violation> {
        let addr = items.as_ptr().addr();
        match self.place(addr) {
            Place::Unmanaged => return Ok(()),
            Place::Heap(region, obj) => self.pinned(addr, region, obj, Kind::Slice, top)?,
            Place::Stack | Place::Data(_) => {}
        }
        if self.mode == Mode::Write {
            return Ok(());
        }
        self.elements(items, false)
    }

    /// Go's rule for a string: its data, if managed, must be pinned below top.
    ///
    /// # References
    ///
    /// Go: `runtime/cgocall.go` `cgoCheckArg` (String case).
    pub fn string(&mut self, s: &str, top: bool) -> Result<(), Violation> {
        let addr = s.as_ptr().addr();
        match self.place(addr) {
            Place::Heap(region, obj) => self.pinned(addr, region, obj, Kind::String, top),
            _ => Ok(()),
        }
    }

    /// A pointer to code (a function pointer) or to the data of a closure or
    /// trait object: rejected when it points into managed memory, whatever its
    /// pin state, because the layout behind it is unknown (Go rejects
    /// closures the same way). In a write check, it only has to be pinned.
    pub fn opaque(
        &mut self,
        p: *const u8,
        kind: Kind,
        type_name: &'static str,
    ) -> Result<(), Violation> {
        let addr = p.addr();
        if addr == 0 {
            return Ok(());
        }
        let place = self.place(addr);
        let target = match &place {
            Place::Unmanaged => return Ok(()),
            Place::Heap(region, obj) => {
                if self.mode == Mode::Write {
                    return self.pinned(addr, *region, *obj, kind, false);
                }
                heap_target(*region, obj.as_ref())
            }
            Place::Stack => {
                if self.mode == Mode::Write {
                    return Ok(());
                }
                Target::None
            }
            Place::Data(r) => Target::Data {
                start: r.start,
                end: r.end,
            },
        };
        Err(Violation::new(
            kind,
            Reason::Rejected { type_name },
            addr,
            target,
        ))
    }

    /// A type that can never be passed (Go's map and channel).
    #[cold]
    pub fn reject(&mut self, kind: Kind, type_name: &'static str) -> Result<(), Violation> {
        Err(Violation::new(
            kind,
            Reason::Rejected { type_name },
            0,
            Target::None,
        ))
    }

    #[cold]
    fn data(&self, addr: usize, region: Region<'_>) -> Result<(), Violation> {
        if self.mode == Mode::Write {
            // Go: not a heap pointer, so it counts as pinned for the store.
            return Ok(());
        }
        Err(Violation::new(
            Kind::Pointer,
            Reason::StaticData,
            addr,
            Target::Data {
                start: region.start,
                end: region.end,
            },
        ))
    }

    #[inline]
    fn pinned(
        &self,
        addr: usize,
        region: Region<'_>,
        obj: Option<Object<'_>>,
        kind: Kind,
        top: bool,
    ) -> Result<(), Violation> {
        match obj {
            None => Err(Violation::new(
                kind,
                Reason::FreeMemory,
                addr,
                Target::HeapFree {
                    start: region.start,
                    end: region.end,
                },
            )),
            Some(o) if !top && !o.pin.is_pinned() => Err(Violation::new(
                kind,
                Reason::Unpinned,
                addr,
                Target::HeapObject {
                    base: o.base_addr(),
                    size: o.size,
                },
            )),
            Some(_) => Ok(()),
        }
    }

    fn heap(
        &self,
        addr: usize,
        region: Region<'_>,
        obj: Option<Object<'_>>,
        kind: Kind,
        top: bool,
    ) -> Result<(), Violation> {
        self.pinned(addr, region, obj, kind, top)?;
        if self.mode == Mode::Write {
            return Ok(());
        }
        match obj {
            Some(o) => self.scan(&o),
            None => Ok(()),
        }
    }

    /// Go's `cgoCheckUnknownPointer` for a heap object: every pointer word of
    /// the whole object must be null, unmanaged, or point to something pinned.
    fn scan(&self, obj: &Object<'_>) -> Result<(), Violation> {
        const WORD: usize = size_of::<usize>();
        let words = obj.size / WORD;
        match obj.pointers {
            PointerMap::NoPointers => Ok(()),
            PointerMap::AllWords => (0..words).try_for_each(|w| self.scan_word(obj, w)),
            PointerMap::Bitmap(bits) => {
                for (byte_index, &byte) in bits.iter().enumerate() {
                    let mut byte = byte;
                    while byte != 0 {
                        let w = byte_index * 8 + byte.trailing_zeros() as usize;
                        byte &= byte - 1;
                        if w >= words {
                            return Ok(());
                        }
                        self.scan_word(obj, w)?;
                    }
                }
                Ok(())
            }
        }
    }

    #[inline]
    fn scan_word(&self, obj: &Object<'_>, word: usize) -> Result<(), Violation> {
        let offset = word * size_of::<usize>();
        // SAFETY: `ObjectLookup`'s contract: (1, 3) the word at `offset` lies in
        // the object, is initialised and readable through `obj.base`; (2) the
        // base is usize-aligned, so the word is aligned for a pointer read;
        // (4) nobody writes it concurrently without synchronisation.
        let q = unsafe { obj.base.as_ptr().add(offset).cast::<*const u8>().read() }.addr();
        if q == 0 {
            return Ok(());
        }
        match self.place(q) {
            Place::Heap(region, found) => self
                .pinned(q, region, found, Kind::Pointer, false)
                .map_err(|v| v.within(Step::ObjectWord(offset))),
            // Stack and static data are never moved: they count as pinned.
            _ => Ok(()),
        }
    }
}

fn heap_target(region: Region<'_>, obj: Option<&Object<'_>>) -> Target {
    match obj {
        Some(o) => Target::HeapObject {
            base: o.base_addr(),
            size: o.size,
        },
        None => Target::HeapFree {
            start: region.start,
            end: region.end,
        },
    }
}
