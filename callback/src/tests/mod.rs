//! Internal tests: the spare list's lock-bit protocol.

mod spare;
