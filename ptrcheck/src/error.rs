//! Typed errors: a [`Violation`] of the pointer-passing rules, [`PinError`].

use core::fmt;

/// What kind of value held the offending pointer. Its name completes Go's
/// sentence "… unpinned Go `<kind>`".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A typed raw pointer, reference, `Box` or `NonNull`; also any word found
    /// by scanning a heap object (Go's "pointer").
    Pointer,
    /// A pointer to `c_void` (Go's "unsafe pointer").
    UnsafePointer,
    /// A slice (`&[T]`, `Vec<T>`).
    Slice,
    /// A string (`&str`, `String`).
    String,
    /// A function pointer whose code lies in managed memory.
    Function,
    /// A closure (`dyn Fn*`) whose captured data lies in managed memory.
    Closure,
    /// A trait object whose data lies in managed memory (Go's "interface").
    TraitObject,
    /// A type rejected outright, named by its `impl_pointers!(reject …)`
    /// declaration ("map", "channel", …).
    Named(&'static str),
}

impl Kind {
    /// The word used in messages.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Pointer => "pointer",
            Kind::UnsafePointer => "unsafe pointer",
            Kind::Slice => "slice",
            Kind::String => "string",
            Kind::Function => "function",
            Kind::Closure => "closure",
            Kind::TraitObject => "trait object",
            Kind::Named(name) => name,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// A managed pointer that had to be pinned was not.
    Unpinned,
    /// A pointer into a [`RegionKind::Data`](crate::RegionKind::Data) region
    /// had to be examined, but object sizes there are unknown (Go rejects these
    /// outright too).
    StaticData,
    /// A pointer into a heap region but not into a live object.
    FreeMemory,
    /// The type can never be passed (Go's map and channel; here also closures
    /// whose captured data, and functions whose code, is managed).
    Rejected {
        /// Type name of the rejected value.
        type_name: &'static str,
    },
}

/// Where the offending pointer points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Not into managed memory (or no address: a type rejected by value).
    None,
    /// Into a live heap object.
    HeapObject {
        /// Object base address.
        base: usize,
        /// Object size in bytes.
        size: usize,
    },
    /// Into a heap region, outside any live object.
    HeapFree {
        /// Region start.
        start: usize,
        /// Region end.
        end: usize,
    },
    /// Into a static data region.
    Data {
        /// Region start.
        start: usize,
        /// Region end.
        end: usize,
    },
}

/// Which check found the violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Site {
    /// A walk run directly through [`Walker`](crate::Walker), not through a
    /// [`Checker`](crate::Checker) entry point.
    Unnamed,
    /// An argument of a call into C.
    Argument {
        /// The C function.
        function: &'static str,
        /// The argument's position, counted from 1.
        index: usize,
    },
    /// A value returned to C by an exported function.
    Result {
        /// The exported function.
        function: &'static str,
    },
    /// A checked store or copy into non-managed memory (level 2).
    Write {
        /// The destination address.
        dst: usize,
    },
}

/// One step of the path from the argument to the offending pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// A struct field.
    Field(&'static str),
    /// An array or slice element.
    Index(usize),
    /// The value a reference or argument address points to, of the named type.
    Deref(&'static str),
    /// The word at this byte offset of the heap object a pointer points into
    /// (scanned with the allocator's pointer map, no type known).
    ObjectWord(usize),
}

struct Details {
    site: Site,
    /// Innermost step first.
    steps: Vec<Step>,
    kind: Kind,
    reason: Reason,
    addr: usize,
    target: Target,
}

/// A violation of the pointer-passing rules. `Display` gives one line naming
/// the function, the argument, the path inside the value, the offending address
/// and the object it points into, and keeps Go's sentence as a substring.
pub struct Violation(Box<Details>);

impl Violation {
    #[cold]
    pub(crate) fn new(kind: Kind, reason: Reason, addr: usize, target: Target) -> Self {
        Violation(Box::new(Details {
            site: Site::Unnamed,
            steps: Vec::new(),
            kind,
            reason,
            addr,
            target,
        }))
    }

    /// Adds an outer step to the path (used while the error propagates out of
    /// the walk, so the success path does no bookkeeping).
    #[cold]
    pub fn within(mut self, step: Step) -> Self {
        self.0.steps.push(step);
        self
    }

    #[cold]
    pub(crate) fn at(mut self, site: Site) -> Self {
        self.0.site = site;
        self
    }

    /// Which check found it.
    pub fn site(&self) -> Site {
        self.0.site
    }

    /// The kind of value holding the offending pointer.
    pub fn kind(&self) -> Kind {
        self.0.kind
    }

    /// Why it was rejected.
    pub fn reason(&self) -> Reason {
        self.0.reason
    }

    /// The offending pointer (0 for a type rejected by value).
    pub fn addr(&self) -> usize {
        self.0.addr
    }

    /// What the offending pointer points into.
    pub fn target(&self) -> Target {
        self.0.target
    }

    /// The steps from the argument to the offending pointer, outermost first.
    pub fn steps(&self) -> Vec<Step> {
        self.0.steps.iter().rev().copied().collect()
    }

    /// The path rendered as in messages, e.g. `(*Node).next→object+0x8`:
    /// `(*T)` is the value a reference or argument address points to, `.f` a
    /// field, `[i]` an element, `→object+0x8` a word of the heap object a
    /// pointer points into.
    pub fn path(&self) -> String {
        let mut s = String::new();
        for step in self.0.steps.iter().rev() {
            match step {
                Step::Field(name) => {
                    s.push('.');
                    s.push_str(name);
                }
                Step::Index(i) => s.push_str(&format!("[{i}]")),
                Step::Deref(ty) => {
                    if !s.is_empty() {
                        s.push('→');
                    }
                    s.push_str(&format!("(*{})", short_type_name(ty)));
                }
                Step::ObjectWord(off) => s.push_str(&format!("→object+{off:#x}")),
            }
        }
        s
    }

    /// Go's fixed sentence for this violation (without our details).
    pub fn go_message(&self) -> String {
        let kind = self.0.kind;
        match self.0.site {
            Site::Result { function } => format!(
                "result of Go function {function} called from cgo is unpinned Go {kind} or points to unpinned Go {kind}"
            ),
            Site::Write { dst } => format!(
                "write of unpinned Go pointer {:#x} to non-Go memory {dst:#x}: unpinned Go pointer stored into non-Go memory",
                self.0.addr
            ),
            Site::Argument { .. } | Site::Unnamed => {
                format!("argument of cgo function has Go pointer to unpinned Go {kind}")
            }
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &*self.0;
        let path = self.path();
        let sep = if path.is_empty() { "" } else { " " };
        f.write_str("ptrcheck: ")?;
        match d.site {
            Site::Argument { function, index } => write!(f, "{function}: arg {index}{sep}{path}")?,
            Site::Result { function } => write!(f, "{function}: result{sep}{path}")?,
            Site::Write { dst } => write!(f, "store into non-managed memory {dst:#x}{sep}{path}")?,
            Site::Unnamed => write!(f, "value{sep}{path}")?,
        }
        write!(f, ": {}: ", self.go_message())?;
        let addr = d.addr;
        match d.reason {
            Reason::Unpinned => {
                write!(f, "{addr:#x} points into ")?;
                fmt_target(f, addr, d.target)?;
                f.write_str(
                    ", which is not pinned; pin it with ptrcheck::Pinner for as long as C may use it, or use memory allocated by C",
                )
            }
            Reason::StaticData => {
                write!(f, "{addr:#x} points into ")?;
                fmt_target(f, addr, d.target)?;
                f.write_str(
                    ", where object sizes are unknown so what it points to cannot be checked; copy the data to C memory",
                )
            }
            Reason::FreeMemory => {
                write!(f, "{addr:#x} points into ")?;
                fmt_target(f, addr, d.target)?;
                f.write_str(", outside any live object (a dangling pointer?)")
            }
            Reason::Rejected { type_name } => {
                write!(f, "a {} ({}) ", short_type_name(type_name), d.kind)?;
                if addr != 0 {
                    write!(f, "with data at {addr:#x} in ")?;
                    fmt_target(f, addr, d.target)?;
                    f.write_str(" ")?;
                }
                f.write_str(
                    "can never be passed to C, because the layout behind it is unknown or lives in managed memory; pass the data it holds through a slice or a pinned object",
                )
            }
        }
    }
}

fn fmt_target(f: &mut fmt::Formatter<'_>, addr: usize, target: Target) -> fmt::Result {
    match target {
        Target::None => f.write_str("unmanaged memory"),
        Target::HeapObject { base, size } => write!(
            f,
            "the managed heap object {base:#x} ({size} bytes, offset {:#x})",
            addr.wrapping_sub(base)
        ),
        Target::HeapFree { start, end } => {
            write!(f, "the managed heap {start:#x}..{end:#x}")
        }
        Target::Data { start, end } => {
            write!(f, "the managed static data region {start:#x}..{end:#x}")
        }
    }
}

impl fmt::Debug for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Violation({self})")
    }
}

impl std::error::Error for Violation {}

/// Shortens `a::b::Node<c::D>` to `Node<D>` for messages.
pub fn short_type_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            while out.ends_with(|p: char| p.is_alphanumeric() || p == '_') {
                out.pop();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Why [`Pinner::pin`](crate::Pinner::pin) refused a pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinError {
    /// The pointer is null (Go: `runtime.Pinner: argument is nil`).
    Null,
    /// The pointer lies in a heap region but in no live object.
    NotAnObject {
        /// The pointer.
        addr: usize,
    },
    /// The object is pinned `u32::MAX` times already.
    TooManyPins {
        /// The object's base.
        base: usize,
    },
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinError::Null => f.write_str(
                "ptrcheck: Pinner::pin got a null pointer (runtime.Pinner: argument is nil); pin the object itself",
            ),
            PinError::NotAnObject { addr } => write!(
                f,
                "ptrcheck: Pinner::pin got {addr:#x}, which lies in the managed heap but in no live object; was it freed?"
            ),
            PinError::TooManyPins { base } => {
                write!(f, "ptrcheck: object {base:#x} is pinned {} times already", u32::MAX)
            }
        }
    }
}

impl std::error::Error for PinError {}
