//! Pointer checks (over `ptrcheck`).
//!
//! What the runtime needs: a checker per runtime at the builder's level, with the
//! green-thread stacks registered as managed memory while they exist, and the
//! three argument forms (whole value, `&x` field form, `&a[i]` element form).

pub(crate) use ptrcheck::{Checker, Level, Pointers, RegionId, Violation};

/// A checker with room for `regions` managed regions, at `level`.
pub(crate) fn new_checker(regions: usize, level: Level) -> Checker {
    Checker::with_level(regions, level)
}

/// Register a green-thread stack's usable range; `None` when the registry is full
/// (the stack then works unregistered: `&x` arguments on it are not examined).
pub(crate) fn register_stack(c: &Checker, range: std::ops::Range<usize>) -> Option<RegionId> {
    c.registry().add_stack(range).ok()
}

/// Unregister a stack that is being unmapped.
pub(crate) fn unregister(c: &Checker, id: RegionId) {
    // The id came from `register_stack` on this checker and is removed once.
    let _ = c.registry().remove(id);
}
