//! Processor tokens, enter/exit accounting of foreign code, and the hand-off monitor.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. A leaf crate: it depends on no sibling crate.

mod hooks;
mod imp;
mod monitor;
mod primitive;
mod procs;

#[cfg(test)]
mod tests;

pub use hooks::{NoScheduler, Scheduler};
pub use procs::{
    Backend, BackendChoice, CallKind, Config, Error, Exit, ForeignCall, Policy, Processor, Procs,
    Stats, thread_calls,
};
