//! Many foreign threads calling in concurrently.

mod common;

use std::os::raw::c_int;

use callback::{callback, spare_stats};
use common::*;

extern "C" fn inc(x: c_int) -> c_int {
    callback("inc", || x + 1)
}

/// 8 C threads each making 10^5 callbacks (10^4 under qemu, where each callback costs
/// ~50× more); every result arrives, and every context is back at the end.
#[test]
fn eight_threads_times_many_callbacks() {
    init();
    let n: i64 = if emulated() { 10_000 } else { 100_000 };
    let before = spare_stats();
    // SAFETY: `inc` matches `Cb`.
    let s = unsafe { cbt_threads_parallel(inc, 8, n as _) };
    let per: i64 = (0..n).map(|i| (i & 0xff) + 1).sum();
    assert_eq!(s, 8 * per);
    assert_eq!(spare_stats().in_use, before.in_use);
}
