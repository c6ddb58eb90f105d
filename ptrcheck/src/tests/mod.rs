//! Internal tests.
