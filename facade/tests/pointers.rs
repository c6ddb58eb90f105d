//! Pointer checks on the C call path: the three argument forms, the
//! `noescape`+`nocallback` skip at level 1, level 2, pinning, plain threads.

mod common;

use common::*;
use facade::ptrcheck::Pinner;
use facade::{CheckLevel, elem};

#[test]
fn element_form_catches_an_unpinned_managed_pointer_with_a_named_message() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let target = heap.slot(3) as usize;
    let e = rt
        .spawn(move || {
            // A green-stack array whose second element points at an unpinned heap object.
            let words: [*const u8; 2] = [std::ptr::null(), target as *const u8];
            // SAFETY: reads 2 words.
            unsafe { facade_sum_words(elem(&words, 0), 2) }
        })
        .join()
        .unwrap_err();
    let msg = panic_message(e);
    assert!(msg.contains("facade_sum_words: arg 1"), "{msg}");
    assert!(msg.contains("[1]"), "path names the element: {msg}");
    assert!(msg.contains("unpinned"), "{msg}");
    assert!(
        msg.contains(&format!("{target:#x}")),
        "names the address: {msg}"
    );
}

#[test]
fn pinned_objects_may_be_passed() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let checker = rt.checker();
    let target = heap.slot(2);
    let mut pinner = Pinner::new(&checker);
    pinner.pin(target).unwrap();
    let t = target as usize;
    let sum = rt.block_on(move || {
        let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
        // SAFETY: reads 2 words.
        unsafe { facade_sum_words(elem(&words, 0), 2) }
    });
    assert_eq!(sum, target as usize);
    pinner.unpin();
}

#[test]
fn noescape_and_nocallback_skip_level_one_but_not_level_two() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let t = heap.slot(1) as usize;
    let sum = rt.block_on(move || {
        let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
        // SAFETY: reads 2 words; C keeps nothing and does not call back.
        unsafe { facade_sum_words_ne(elem(&words, 0), 2) }
    });
    assert_eq!(sum, t);

    let (rt, heap) = runtime_with_heap(CheckLevel::Writes);
    let t = heap.slot(1) as usize;
    let e = rt
        .spawn(move || {
            let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
            // SAFETY: as above.
            unsafe { facade_sum_words_ne(elem(&words, 0), 2) }
        })
        .join()
        .unwrap_err();
    assert!(panic_message(e).contains("facade_sum_words_ne: arg 1"));
}

/// Only the two attributes together skip level 1 (C keeps no pointer and cannot
/// call back, so nothing can store or reach the argument's managed pointers during
/// the call): `#[noescape]` alone or `#[nocallback]` alone still checks.
#[test]
fn noescape_alone_or_nocallback_alone_still_checks_at_level_one() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let t = heap.slot(2) as usize;
    type SumWords = unsafe fn(facade::Elem<'_, *const u8>, usize) -> usize;
    let forms: [(&str, SumWords); 2] = [
        ("noescape", |p, n| {
            // SAFETY: the caller's contract (reads `n` words at `p`).
            unsafe { noescape_only::facade_sum_words_ne(p, n) }
        }),
        ("nocallback", |p, n| {
            // SAFETY: as above.
            unsafe { nocallback_only::facade_sum_words_ne(p, n) }
        }),
    ];
    for (which, sum_words) in forms {
        let e = rt
            .spawn(move || {
                let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
                // SAFETY: reads 2 words.
                unsafe { sum_words(elem(&words, 0), 2) }
            })
            .join()
            .unwrap_err();
        let msg = panic_message(e);
        assert!(msg.contains("facade_sum_words_ne: arg 1"), "{which}: {msg}");
        assert!(msg.contains("unpinned"), "{which}: {msg}");
    }
}

#[test]
fn level_zero_checks_nothing() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Off);
    let t = heap.slot(0) as usize;
    let sum = rt.block_on(move || {
        let words: [*const u8; 2] = [t as *const u8, std::ptr::null()];
        // SAFETY: reads 2 words.
        unsafe { facade_sum_words(elem(&words, 0), 2) }
    });
    assert_eq!(sum, t);
}

#[test]
fn address_form_examines_only_the_addressed_place_on_the_green_stack() {
    let (rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let t = heap.slot(4) as usize;
    rt.block_on(move || {
        let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
        // `&words[0]` as an address: only element 0 (null) is examined: passes.
        // SAFETY: reads 1 word.
        assert_eq!(unsafe { facade_sum_words(&words[0], 1) }, 0);
        // `&words[1]`: the element holds the unpinned pointer: caught.
        let e = std::panic::catch_unwind(|| {
            // SAFETY: reads 1 word.
            unsafe { facade_sum_words(&words[1], 1) }
        })
        .unwrap_err();
        assert!(panic_message(e).contains("facade_sum_words: arg 1"));
    });
}

#[test]
fn pointer_free_arguments_are_never_checked() {
    let (rt, _heap) = runtime_with_heap(CheckLevel::Writes);
    let out = rt.block_on(|| {
        let mut b = [0u8; 32];
        // SAFETY: writes 32 bytes into b.
        unsafe { facade_fill(&mut b[..], 32, 9) };
        b
    });
    assert_eq!(out, [9u8; 32]);
}

#[test]
fn plain_threads_call_without_checks() {
    let (_rt, heap) = runtime_with_heap(CheckLevel::Calls);
    let t = heap.slot(5) as usize;
    let words: [*const u8; 2] = [std::ptr::null(), t as *const u8];
    // SAFETY: reads 2 words. Outside the runtime: a direct, unchecked call.
    assert_eq!(unsafe { facade_sum_words(elem(&words, 0), 2) }, t);
}
