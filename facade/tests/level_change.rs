//! A pointer-check level changed on a running runtime applies to the calls that skip
//! their checks below level 2 (`noescape` + `nocallback`). Alone in its binary: the
//! skip is decided by `ptrcheck::any_checker_at_writes`, a process-wide count, and a
//! runtime at level 2 in a parallel test would keep it raised, so a count that missed
//! `set_level` would go unnoticed.

mod common;

use common::*;
use facade::{CheckLevel, elem};

/// The level is read per call: raised to 2 on a running runtime, a `noescape` +
/// `nocallback` call checks its arguments again; lowered back, it skips them.
#[test]
fn a_level_changed_at_run_time_applies_to_skippable_calls() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let t = heap.slot(3) as usize;
    let call = move || {
        let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
        // SAFETY: reads 2 words; C keeps nothing and does not call back.
        unsafe { facade_sum_words_ne(elem(&words, 0), 2) }
    };
    assert_eq!(rt.block_on(call), t, "skipped at level 1");
    rt.checker().set_level(CheckLevel::Writes);
    let e = rt.spawn(call).join().unwrap_err();
    assert!(panic_message(e).contains("facade_sum_words_ne: arg 1"));
    rt.checker().set_level(CheckLevel::Calls);
    assert_eq!(rt.block_on(call), t, "skipped again at level 1");
}
