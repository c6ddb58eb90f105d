//! Internal tests: loom models (`--cfg loom`) and white-box checks of the protocol.

#[cfg(loom)]
mod loom_models;

#[cfg(not(loom))]
mod internals;
