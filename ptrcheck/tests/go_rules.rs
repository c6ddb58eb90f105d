//! Rules checked against Go 1.27.3 beyond the `ptr_test.go` table.
//!
//! Each test covers one rule of cgo's pointer checks (cmd/cgo's choice of
//! argument form, `runtime` argument/result/write checks) whose Go behaviour
//! was read from the Go sources and confirmed by running a small cgo program
//! against Go 1.27.3. The doc comment of each test names the Go case it
//! mirrors and what Go does. "C memory" is memory the checker does not know;
//! "managed" memory is the test heap of `common`.

mod common;

use common::{Arena, assert_fails, c_memory, setup};
use core::ffi::{c_int, c_void};
use core::mem::offset_of;
use ptrcheck::{Kind, Level, Pinner, Pointers, Reason, call, impl_pointers};

extern "C" fn c_take_void(_p: *mut c_void) {}
extern "C" fn c_take_int_ptr_ptr(_p: *mut *mut c_int) {}
extern "C" fn c_take_const_int_ptr_ptr(_p: *const *mut c_int) {}

#[repr(C)]
struct Two {
    p1: *mut c_int,
    p2: *mut c_int,
}
impl_pointers!(Two { p1: *mut c_int, p2: *mut c_int });

/// A managed `Two` whose `p1` is nil and whose `p2` points at an unpinned
/// managed `int` (also returned).
fn two_with_unpinned_p2(heap: &common::TestHeap) -> (*mut Two, *mut c_int) {
    let i = heap.alloc(0 as c_int, &[]);
    let s = heap.alloc(
        Two {
            p1: std::ptr::null_mut(),
            p2: i,
        },
        &[0, 8],
    );
    (s, i)
}

// ---- level 2: bulk copies ----

/// Go: `copy(cDst, cSrc)` between two C arrays, the source holding an unpinned
/// Go pointer, does not throw under cgocheck2: a typed copy is checked only
/// when its source is Go memory (and its destination is not).
#[test]
fn copy_from_c_memory_into_c_memory_is_not_checked() {
    let (ck, heap) = setup(Level::Writes);
    let i = heap.alloc(0 as c_int, &[]);
    let src = c_memory([i, std::ptr::null_mut()]);
    let mut dst = c_memory([std::ptr::null_mut::<c_int>(); 2]);
    // SAFETY: dst has room for 2 elements and does not overlap src.
    unsafe { ck.copy(&src[..], dst.as_mut_ptr()) }.unwrap();
    assert_eq!(dst[0], i, "the unchecked copy still copies");

    // The same copy out of managed memory is checked.
    let managed = heap.alloc([i, std::ptr::null_mut()], &[0, 8]);
    // SAFETY: live two-element test-heap array.
    let managed = unsafe { &*managed };
    let mut dst = c_memory([std::ptr::null_mut::<c_int>(); 2]);
    // SAFETY: as above.
    let e = assert_fails(
        unsafe { ck.copy(&managed[..], dst.as_mut_ptr()) },
        &["unpinned Go pointer stored into non-Go memory", "[0]"],
    );
    assert_eq!(e.reason(), Reason::Unpinned);
    assert!(dst[0].is_null(), "a failing copy writes nothing");
}

/// Go: a copy into Go memory is never checked, wherever the source is.
#[test]
fn copy_into_managed_memory_is_not_checked() {
    let (ck, heap) = setup(Level::Writes);
    let i = heap.alloc(0 as c_int, &[]);
    let src = heap.alloc([i], &[0]);
    // SAFETY: live one-element test-heap array.
    let src = unsafe { &*src };
    let dst = heap.alloc([std::ptr::null_mut::<c_int>()], &[0]);
    // SAFETY: dst is a one-element test-heap array distinct from src.
    unsafe { ck.copy(&src[..], dst.cast::<*mut c_int>()) }.unwrap();
}

/// Go: a pointer store into C memory of a pointer into Go static data (or a
/// goroutine stack) is allowed: such memory never moves, so it counts as
/// pinned.
#[test]
fn storing_pointer_to_static_data_into_c_memory_is_allowed() {
    let (ck, _heap) = setup(Level::Writes);
    let data = Arena::new(64);
    ck.registry().add_data(data.range()).unwrap();
    let global = data.put(0 as c_int);
    let mut slot = c_memory(std::ptr::null_mut::<c_int>());
    // SAFETY: slot is a valid, aligned C-side slot.
    unsafe { ck.store(&mut *slot, global) }.unwrap();
    assert_eq!(*slot, global);
}

// ---- cmd/cgo: which form a call argument gets ----

/// Go: `C.f(unsafe.SliceData(s[1:]))` checks the slice expression `s[1:]`
/// only (from 1 to its capacity): an unpinned pointer in `s[0]` is not seen.
/// `s[1:2]` still reaches `s[2]`, which lies within its capacity.
#[test]
fn subslice_argument_is_checked_from_its_start_to_the_end() {
    fn count(s: &[*mut c_int]) -> usize {
        s.len()
    }
    let (ck, heap) = setup(Level::Calls);
    let i = heap.alloc(0 as c_int, &[]);
    let s = heap.alloc([i, std::ptr::null_mut(), std::ptr::null_mut()], &[0, 8, 16]);
    // SAFETY: live test-heap object, no concurrent writes.
    let s = unsafe { &mut *s };
    assert_eq!(call!(&ck, count(&s[1..])).unwrap(), 2);
    assert_eq!(call!(&ck, count(&s[1..=1])).unwrap(), 1);
    // `&a[i]` (an element) still checks the whole array.
    assert_fails(
        call!(&ck, c_take_const_int_ptr_ptr(&s[1])),
        &["c_take_const_int_ptr_ptr: arg 1 [0]", "unpinned Go pointer"],
    );
    // A range starting at 0 covers the bad element.
    assert_fails(call!(&ck, count(&s[..2])), &["count: arg 1 [0]"]);
    s.swap(0, 2);
    // s = [nil, nil, i]: `&s[1..2]` reaches s[2] (index 1 of the part checked).
    assert_fails(call!(&ck, count(&s[1..2])), &["count: arg 1 [1]"]);
}

/// Go: `C.f(&p.f)` checks only the field, while `C.f((&p.f))` is not an
/// address expression to cmd/cgo (parentheses are not looked through), so the
/// whole heap object is scanned and an unpinned sibling field fails it.
#[test]
fn parenthesized_address_is_checked_as_a_whole_object() {
    let (ck, heap) = setup(Level::Calls);
    let (s, _) = two_with_unpinned_p2(&heap);
    // SAFETY: live test-heap object, no concurrent writes.
    let s = unsafe { &mut *s };
    call!(&ck, c_take_int_ptr_ptr(&mut s.p1)).unwrap();
    assert_fails(
        call!(&ck, c_take_int_ptr_ptr((&mut s.p1))),
        &[
            "c_take_int_ptr_ptr: arg 1 →object+0x8",
            "unpinned Go pointer",
        ],
    );
}

/// Go: conversions around `&x` and `&a[i]` (`unsafe.Pointer(&s.p1)`,
/// `(*T)(unsafe.Pointer(&a[0]))`) do not change the form: cmd/cgo looks
/// through them. Here trailing `as` casts play that part.
#[test]
fn conversions_do_not_change_the_argument_form() {
    let (ck, heap) = setup(Level::Calls);
    let (s, i) = two_with_unpinned_p2(&heap);
    // SAFETY: live test-heap object, no concurrent writes.
    let s = unsafe { &mut *s };
    // Field form: only p1 (nil) is examined.
    call!(
        &ck,
        c_take_void(&mut s.p1 as *mut *mut c_int as *mut c_void)
    )
    .unwrap();
    // The converted value is what the function receives.
    extern "C" fn echo(p: *mut c_void) -> *mut c_void {
        p
    }
    let got = call!(&ck, echo(&mut s.p1 as *mut *mut c_int as *mut c_void)).unwrap();
    assert_eq!(got, (&raw mut s.p1).cast::<c_void>());
    // p2 alone fails, named as the field form names it.
    assert_fails(
        call!(
            &ck,
            c_take_void(&mut s.p2 as *mut *mut c_int as *mut c_void)
        ),
        &["c_take_void: arg 1 (**mut i32)", "unpinned Go pointer"],
    );

    // Element form: the whole array, nothing else in the object.
    #[repr(C)]
    struct Holder {
        sibling: *mut c_int,
        arr: [*mut c_int; 2],
    }
    impl_pointers!(Holder { sibling: *mut c_int, arr: [*mut c_int; 2] });
    let h = heap.alloc(
        Holder {
            sibling: i,
            arr: [std::ptr::null_mut(); 2],
        },
        &[0, 8, 16],
    );
    // SAFETY: live test-heap object, no concurrent writes.
    let h = unsafe { &mut *h };
    call!(
        &ck,
        c_take_void(&mut h.arr[1] as *mut *mut c_int as *mut c_void)
    )
    .unwrap();
    h.arr[0] = i;
    assert_fails(
        call!(
            &ck,
            c_take_void(&mut h.arr[1] as *mut *mut c_int as *mut c_void)
        ),
        &["c_take_void: arg 1 [0]"],
    );
}

/// Only an `as` followed by a pointer type starts a trailing conversion: an `as`
/// inside a qualified path (`&<T as Trait>::C`) or a reference cast
/// (`&a[1] as &usize`) stays part of the expression, which compiles and is
/// passed as written.
#[test]
fn only_pointer_casts_are_split_off_as_conversions() {
    trait Tr {
        const C: usize;
    }
    struct T;
    impl Tr for T {
        const C: usize = 7;
    }
    extern "C" fn read(p: *const usize) -> usize {
        // SAFETY: every caller below passes a valid `usize` reference.
        unsafe { *p }
    }
    let (ck, _heap) = setup(Level::Calls);
    assert_eq!(call!(&ck, read(&<T as Tr>::C)).unwrap(), 7);
    let a = [1usize, 2];
    assert_eq!(call!(&ck, read(&a[1] as &usize)).unwrap(), 2);
    assert_eq!(
        call!(&ck, read(&a[1] as *const usize as *const usize)).unwrap(),
        2
    );
}

// ---- runtime: argument rules ----

/// Go: `C.f(unsafe.Pointer(&s))` where `s` is a Go string built at run time
/// panics with "unpinned Go string" (a string below the top level must be
/// pinned); a string whose bytes are not Go memory (a literal) passes.
#[test]
fn string_behind_an_address_must_be_pinned() {
    extern "C" fn take_str(_p: *const &str) {}
    let (ck, heap) = setup(Level::Calls);
    let bytes = heap.alloc(*b"12345", &[]);
    // SAFETY: 5 initialised ASCII bytes in a live test-heap object.
    let built: &str = unsafe { std::str::from_utf8_unchecked(&*bytes) };
    let place = heap.alloc(built, &[0]);
    // SAFETY: live test-heap object, no concurrent writes.
    let place = unsafe { &*place };
    let e = assert_fails(
        call!(&ck, take_str(&*place)),
        &["argument of cgo function has Go pointer to unpinned Go string"],
    );
    assert_eq!(e.kind(), Kind::String);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(bytes).unwrap();
    call!(&ck, take_str(&*place)).unwrap();
    pinner.unpin();

    let literal = heap.alloc("literal", &[0]);
    // SAFETY: live test-heap object, no concurrent writes.
    let literal = unsafe { &*literal };
    call!(&ck, take_str(&*literal)).unwrap();
}

/// Go: a pointer into Go static data (`data`/`bss`) found by a *typed* walk
/// (`C.f(&sv)` with `sv.p = unsafe.Pointer(&global)`) panics, because the size
/// of what it points to is unknown; the same pointer found by *scanning* a
/// heap object (`C.f(s)` with `s` on the heap) passes: static data counts as
/// pinned.
#[test]
fn static_data_pointer_fails_a_typed_walk_but_passes_an_object_scan() {
    #[repr(C)]
    struct S {
        p: *mut c_void,
    }
    impl_pointers!(S { p: *mut c_void });
    extern "C" fn take_s(_s: *mut S) {}
    let (ck, heap) = setup(Level::Calls);
    let data = Arena::new(64);
    ck.registry().add_data(data.range()).unwrap();
    let global = data.put([0usize; 2]);
    let s = heap.alloc(
        S {
            p: global.cast::<c_void>(),
        },
        &[0],
    );
    // Whole-object form: the scan sees a pointer into static data: fine.
    call!(&ck, take_s(s)).unwrap();
    // Field form: the typed walk must look behind `p`, and cannot.
    // SAFETY: live test-heap object, no concurrent writes.
    let sv = unsafe { &mut *s };
    let e = assert_fails(
        call!(&ck, take_s(&mut *sv)),
        &["take_s: arg 1 (*S).p", "unpinned Go pointer", "static data"],
    );
    assert_eq!(e.reason(), Reason::StaticData);
}

/// Go: `var x any = &global; C.f(unsafe.Pointer(&x))` panics with "unpinned
/// Go pointer": the interface's data points into static data, whose contents
/// cannot be checked.
#[test]
fn trait_object_pointing_into_static_data_is_rejected() {
    extern "C" fn take_any(_p: *const &dyn std::any::Any) {}
    let (ck, heap) = setup(Level::Calls);
    let data = Arena::new(64);
    ck.registry().add_data(data.range()).unwrap();
    let global = data.put(0usize);
    // SAFETY: the arena outlives every use below.
    let global: &'static usize = unsafe { &*global };
    let x = heap.alloc(global as &dyn std::any::Any, &[0]);
    // SAFETY: live test-heap object, no concurrent writes.
    let x = unsafe { &*x };
    let e = assert_fails(
        call!(&ck, take_any(&*x)),
        &["take_any: arg 1", "unpinned Go pointer", "static data"],
    );
    assert_eq!(e.reason(), Reason::StaticData);
}

/// Go: an unpinned pointer *to* a map, found below the top level (a Go struct
/// `{p *map[int]int}` passed by address), is reported as a "pointer" (the
/// kind of the pointer), not as a "map".
#[test]
fn unpinned_pointer_to_a_map_is_reported_as_a_pointer() {
    struct ManagedMap {
        _table: *mut u8,
    }
    impl_pointers!(reject ManagedMap as "map");
    #[repr(C)]
    struct Gs {
        p: *mut ManagedMap,
    }
    impl_pointers!(Gs { p: *mut ManagedMap });

    let (ck, heap) = setup(Level::Calls);
    let m = heap.alloc(
        ManagedMap {
            _table: std::ptr::null_mut(),
        },
        &[0],
    );
    let gs = heap.alloc(Gs { p: m }, &[0]);
    // SAFETY: live test-heap object, no concurrent writes.
    let gs = unsafe { &mut *gs };
    let e = assert_fails(
        ck.check_addr_of("f", 1, gs),
        &["argument of cgo function has Go pointer to unpinned Go pointer"],
    );
    assert_eq!(e.kind(), Kind::Pointer);
    assert_eq!(e.reason(), Reason::Unpinned);
    // The map itself, by address, is still rejected as a map.
    // SAFETY: live test-heap object.
    let m = unsafe { &*m };
    assert_fails(ck.check_addr_of("f", 1, m), &["unpinned Go map"]);
}

/// Go: when the address form reaches a place whose type says nothing about
/// its contents (`unsafe.Pointer`), it falls back to the whole-object rule:
/// the heap object the place lies in is scanned.
#[test]
fn address_of_void_place_scans_the_whole_object() {
    let (ck, heap) = setup(Level::Calls);
    let i = heap.alloc(0 as c_int, &[]);
    let obj = heap.alloc([std::ptr::null_mut(), i], &[0, 8]);
    // SAFETY: `c_void` is only used as a place; nothing is read through it.
    let place: &c_void = unsafe { &*obj.cast::<c_void>() };
    let e = assert_fails(
        ck.check_addr_of("f", 1, place),
        &["f: arg 1 →object+0x8", "unpinned Go pointer"],
    );
    assert_eq!(e.reason(), Reason::Unpinned);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(i).unwrap();
    ck.check_addr_of("f", 1, place).unwrap();
    pinner.unpin();
    // A `void` place outside managed memory is not checked.
    let c = c_memory(0usize);
    // SAFETY: as above.
    let place: &c_void = unsafe { &*(&raw const *c).cast::<c_void>() };
    ck.check_addr_of("f", 1, place).unwrap();
}

/// Go: a C union is opaque bytes. A pointer to a union with pointer members
/// is checked (ptr_test union1), but a struct or array that merely contains
/// such a union holds no pointers on its account, so a pointer to it is not
/// checked at all.
#[test]
fn union_has_no_pointers_by_value_but_a_pointer_to_it_is_checked() {
    #[repr(C)]
    #[derive(Clone, Copy)]
    union U {
        p: *mut c_int,
        i: u64,
    }
    impl_pointers!(union U { p: *mut c_int, i: u64 });
    #[repr(C)]
    struct W {
        u: U,
    }
    impl_pointers!(W { u: U });
    const _: () = assert!(!U::HAS_POINTERS && !W::HAS_POINTERS);
    const _: () = assert!(<*const U as Pointers>::NEEDS_ARG_CHECK);
    const _: () = assert!(!<*const W as Pointers>::NEEDS_ARG_CHECK);
    const _: () = assert!(!<*const [U; 2] as Pointers>::NEEDS_ARG_CHECK);

    extern "C" fn take_u(_p: *mut U) {}
    extern "C" fn take_w(_p: *mut W) {}
    let (ck, heap) = setup(Level::Calls);
    let i = heap.alloc(0 as c_int, &[]);
    // The runtime's allocator marks the word as a possible pointer.
    let w = heap.alloc(W { u: U { p: i } }, &[0]);
    assert_fails(call!(&ck, take_u(w.cast::<U>())), &["unpinned Go pointer"]);
    call!(&ck, take_w(w)).unwrap();
    // Nor is a union value examined where it is stored.
    let (ck2, heap2) = setup(Level::Writes);
    let j = heap2.alloc(0 as c_int, &[]);
    let mut slot = c_memory(U { i: 0 });
    // SAFETY: slot is a valid, aligned C-side U.
    unsafe { ck2.store(&mut *slot, U { p: j }) }.unwrap();
}

// ---- runtime: result rules ----

/// Go: an exported function returning a pointer into Go static data panics
/// ("result of Go function … is unpinned Go pointer …"): what it points to
/// cannot be checked.
#[test]
fn result_pointing_into_static_data_is_rejected() {
    let (ck, _heap) = setup(Level::Calls);
    let data = Arena::new(64);
    ck.registry().add_data(data.range()).unwrap();
    let global = data.put(0usize);
    let e = assert_fails(
        ck.check_result("GoRetGlobal", &global.cast::<c_void>()),
        &[
            "result of Go function GoRetGlobal called from cgo is unpinned Go pointer or points to unpinned Go pointer",
        ],
    );
    assert_eq!(e.reason(), Reason::StaticData);
}

/// Go: an exported function returning a closure whose data is Go memory
/// panics ("… is unpinned Go function …"), pinned or not.
#[test]
fn closure_result_is_rejected_even_when_pinned() {
    let (ck, heap) = setup(Level::Calls);
    let captured = 7u64;
    // A closure whose captured state lives in the managed heap.
    let env = heap.alloc(move || captured, &[]);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(env).unwrap();
    // SAFETY: env is a live closure value in the test heap.
    let f: &dyn Fn() -> u64 = unsafe { &*env };
    assert_eq!(f(), 7);
    let e = assert_fails(
        ck.check_result("GoRetClosure", &f),
        &["result of Go function GoRetClosure called from cgo is unpinned Go closure"],
    );
    assert!(matches!(e.reason(), Reason::Rejected { .. }));
    pinner.unpin();
}

// ---- sanity: the field offsets used above ----

#[test]
fn layouts_used_by_these_tests() {
    assert_eq!(offset_of!(Two, p2), 8);
}
