//! Private adapters over the sibling crates.
//!
//! The runtime and the foreign-call path never name `stackswitch`,
//! `syscall_accounting` or `ptrcheck` directly: they go through the three small
//! modules below, each of which exposes exactly what the facade needs. This keeps
//! the runtime logic readable on its own and confines every dependency on a
//! sibling's API to one place.

pub(crate) mod check;
pub(crate) mod context;
pub(crate) mod procs;
