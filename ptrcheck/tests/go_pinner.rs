//! Ports of the `[[pin]]` cases of /work/shared/vectors/ptrcheck-cases.toml,
//! i.e. Go's `runtime/pinner_test.go` (`TestPinnerReuse`,
//! `TestPinnerCgoCheck*`). Each case is one step of a sequence on the same
//! objects; each test runs the sequence up to its step and asserts that
//! step's outcome. "typed" checks use the field form (Go passes `true`), which
//! knows the pointee's type; "unknown" checks pass an untyped pointer, whose
//! whole heap object is scanned.
#![allow(non_snake_case)]

mod common;

use common::setup;
use core::ffi::c_void;
use core::mem::offset_of;
use ptrcheck::{Checker, Level, Pinner, Violation, impl_pointers};
use std::any::Any;

/// `obj` of pinner_test.go: three int64, no pointers.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Obj {
    x: i64,
    y: i64,
    z: i64,
}
impl_pointers!(Obj {
    x: i64,
    y: i64,
    z: i64
});

/// `objWith[T]`.
#[repr(C)]
#[derive(Clone, Copy)]
struct ObjWith<T> {
    x: i64,
    y: i64,
    z: i64,
    o: T,
}
impl_pointers!(impl[T: ptrcheck::Pointers] ObjWith<T> { x: i64, y: i64, z: i64, o: T });

fn obj_with<T>(o: T) -> ObjWith<T> {
    ObjWith {
        x: 0,
        y: 0,
        z: 0,
        o,
    }
}

const O: usize = offset_of!(ObjWith<*const Obj>, o);

/// The typed check: Go's `cgoCheckPointer(p, true)`.
fn typed<T: ptrcheck::Pointers + ?Sized>(ck: &Checker, p: *const T) -> Result<(), Violation> {
    // SAFETY: every p passed here is a live test-heap object that nothing
    // writes during the check.
    ck.check_addr_of("f", 1, unsafe { &*p })
}

/// The unknown check: Go's `cgoCheckPointer(p, nil)` on an untyped pointer.
fn unknown(ck: &Checker, p: *const c_void) -> Result<(), Violation> {
    ck.check_arg("f", 1, &p)
}

/// Asserts the outcome of step `step` (1-based) of a sequence.
fn expect(results: &[Result<(), Violation>], step: usize, pass: bool, needles: &[&str]) {
    let r = &results[step - 1];
    match (pass, r) {
        (true, Ok(())) => {}
        (true, Err(e)) => panic!("step {step}: expected pass, got: {e}"),
        (false, Ok(())) => panic!("step {step}: expected a violation"),
        (false, Err(e)) => {
            let msg = e.to_string();
            assert!(msg.contains("unpinned Go"), "step {step}: {msg}");
            for n in needles {
                assert!(msg.contains(n), "step {step}: message lacks {n:?}: {msg}");
            }
        }
    }
}

// ---- TestPinnerReuse ----

fn reuse() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(Obj::default(), &[]);
    let p2 = heap.alloc(p.cast_const(), &[0]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p2)];
    pinner.pin(p).unwrap();
    out.push(typed(&ck, p2));
    pinner.unpin();
    out.push(typed(&ck, p2));
    pinner.pin(p).unwrap();
    out.push(typed(&ck, p2));
    pinner.unpin();
    assert_eq!(heap.pins(p), 0);
    out
}

#[test]
fn TestPinnerReuse_1() {
    expect(
        &reuse(),
        1,
        false,
        &["argument of cgo function has Go pointer to unpinned Go pointer"],
    );
}
#[test]
fn TestPinnerReuse_2() {
    expect(&reuse(), 2, true, &[]);
}
#[test]
fn TestPinnerReuse_3() {
    expect(&reuse(), 3, false, &["unpinned Go pointer"]);
}
#[test]
fn TestPinnerReuse_4() {
    expect(&reuse(), 4, true, &[]);
}

// ---- TestPinnerCgoCheckPtr2Ptr ----

/// p = new obj; p2 = new objWith{o: p}; check p2, pin p (or p2 itself), check.
fn ptr2ptr_pinning(pin_container: bool) -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(Obj::default(), &[]);
    let p2 = heap.alloc(obj_with(p.cast_const()), &[O]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p2)];
    if pin_container {
        pinner.pin(p2).unwrap();
    } else {
        pinner.pin(p).unwrap();
    }
    out.push(typed(&ck, p2));
    pinner.unpin();
    out
}

fn ptr2ptr() -> Vec<Result<(), Violation>> {
    ptr2ptr_pinning(false)
}

#[test]
fn TestPinnerCgoCheckPtr2Ptr_1() {
    expect(
        &ptr2ptr(),
        1,
        false,
        &["unpinned Go pointer", "arg 1 (*ObjWith<*const Obj>).o:"],
    );
}
#[test]
fn TestPinnerCgoCheckPtr2Ptr_2() {
    expect(&ptr2ptr(), 2, true, &[]);
}

// ---- TestPinnerCgoCheckPtr2UnsafePtr ----

fn ptr2unsafeptr() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let p = heap
        .alloc(Obj::default(), &[])
        .cast::<c_void>()
        .cast_const();
    let p2 = heap.alloc(obj_with(p), &[O]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p2)];
    pinner.pin(p).unwrap();
    out.push(typed(&ck, p2));
    pinner.unpin();
    out
}

#[test]
fn TestPinnerCgoCheckPtr2UnsafePtr_1() {
    expect(
        &ptr2unsafeptr(),
        1,
        false,
        &[
            "argument of cgo function has Go pointer to unpinned Go unsafe pointer",
            ".o:",
        ],
    );
}
#[test]
fn TestPinnerCgoCheckPtr2UnsafePtr_2() {
    expect(&ptr2unsafeptr(), 2, true, &[]);
}

// ---- TestPinnerCgoCheckPtr2UnknownPtr ----

fn ptr2unknownptr() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let p = heap
        .alloc(Obj::default(), &[])
        .cast::<c_void>()
        .cast_const();
    let p2 = heap.alloc(p, &[0]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![unknown(&ck, p2.cast())];
    pinner.pin(p).unwrap();
    out.push(unknown(&ck, p2.cast()));
    pinner.unpin();
    out
}

#[test]
fn TestPinnerCgoCheckPtr2UnknownPtr_1() {
    expect(
        &ptr2unknownptr(),
        1,
        false,
        &["unpinned Go pointer", "arg 1 →object+0x0:"],
    );
}
#[test]
fn TestPinnerCgoCheckPtr2UnknownPtr_2() {
    expect(&ptr2unknownptr(), 2, true, &[]);
}

// ---- TestPinnerCgoCheckInterface ----

fn interface() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let o = heap.alloc(Obj::default(), &[]);
    // SAFETY: o is a live test-heap object, only read from here on.
    let ifc: &dyn Any = unsafe { &*o };
    let p = heap.alloc(ifc, &[0]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p)];
    pinner.pin(o).unwrap();
    out.push(typed(&ck, p));
    pinner.unpin();
    out
}

#[test]
fn TestPinnerCgoCheckInterface_1() {
    expect(&interface(), 1, false, &["unpinned Go trait object"]);
}
#[test]
fn TestPinnerCgoCheckInterface_2() {
    expect(&interface(), 2, true, &[]);
}

// ---- TestPinnerCgoCheckSlice ----

fn slice() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let backing = heap.alloc([1i64, 2, 3], &[]);
    // SAFETY: a live test-heap array, only read from here on.
    let sl: &[i64] = unsafe { &*backing };
    let p = heap.alloc(sl, &[0]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p)];
    pinner.pin(&sl[0]).unwrap();
    out.push(typed(&ck, p));
    pinner.unpin();
    out
}

#[test]
fn TestPinnerCgoCheckSlice_1() {
    expect(
        &slice(),
        1,
        false,
        &["argument of cgo function has Go pointer to unpinned Go slice"],
    );
}
#[test]
fn TestPinnerCgoCheckSlice_2() {
    expect(&slice(), 2, true, &[]);
}

// ---- TestPinnerCgoCheckString ----

fn string() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let b = heap.alloc(*b"foobar", &[]);
    // SAFETY: a live test-heap array, only read from here on.
    let s: &str = std::str::from_utf8(unsafe { &*b }).unwrap();
    let p = heap.alloc(s, &[0]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p)];
    // SAFETY: as above.
    pinner.pin(unsafe { &(*b)[0] }).unwrap();
    out.push(typed(&ck, p));
    pinner.unpin();
    out
}

#[test]
fn TestPinnerCgoCheckString_1() {
    expect(
        &string(),
        1,
        false,
        &["argument of cgo function has Go pointer to unpinned Go string"],
    );
}
#[test]
fn TestPinnerCgoCheckString_2() {
    expect(&string(), 2, true, &[]);
}

// ---- TestPinnerCgoCheckPinned2UnpinnedPanics ----

fn pinned2unpinned() -> Vec<Result<(), Violation>> {
    ptr2ptr_pinning(true)
}

#[test]
fn TestPinnerCgoCheckPinned2UnpinnedPanics_1() {
    expect(&pinned2unpinned(), 1, false, &["unpinned Go pointer"]);
}
#[test]
fn TestPinnerCgoCheckPinned2UnpinnedPanics_2() {
    expect(
        &pinned2unpinned(),
        2,
        false,
        &["unpinned Go pointer", ".o:"],
    );
}

// ---- TestPinnerCgoCheckPtr2Pinned2Unpinned ----

fn ptr2pinned2unpinned() -> Vec<Result<(), Violation>> {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(Obj::default(), &[]);
    let p2 = heap.alloc(obj_with(p.cast_const()), &[O]);
    let p3 = heap.alloc(obj_with(p2.cast_const()), &[O]);
    let mut pinner = Pinner::new(&ck);
    let mut out = vec![typed(&ck, p2), typed(&ck, p3)];
    pinner.pin(p2).unwrap();
    out.push(typed(&ck, p2));
    out.push(typed(&ck, p3));
    pinner.pin(p).unwrap();
    out.push(typed(&ck, p2));
    out.push(typed(&ck, p3));
    pinner.unpin();
    out
}

#[test]
fn TestPinnerCgoCheckPtr2Pinned2Unpinned_1() {
    expect(&ptr2pinned2unpinned(), 1, false, &["unpinned Go pointer"]);
}
#[test]
fn TestPinnerCgoCheckPtr2Pinned2Unpinned_2() {
    expect(
        &ptr2pinned2unpinned(),
        2,
        false,
        &["unpinned Go pointer", ".o:"],
    );
}
#[test]
fn TestPinnerCgoCheckPtr2Pinned2Unpinned_3() {
    expect(&ptr2pinned2unpinned(), 3, false, &["unpinned Go pointer"]);
}
#[test]
fn TestPinnerCgoCheckPtr2Pinned2Unpinned_4() {
    // p2 is pinned now, but the object it points into holds unpinned p.
    expect(
        &ptr2pinned2unpinned(),
        4,
        false,
        &["unpinned Go pointer", ".o→object+0x18:"],
    );
}
#[test]
fn TestPinnerCgoCheckPtr2Pinned2Unpinned_5() {
    expect(&ptr2pinned2unpinned(), 5, true, &[]);
}
#[test]
fn TestPinnerCgoCheckPtr2Pinned2Unpinned_6() {
    expect(&ptr2pinned2unpinned(), 6, true, &[]);
}
