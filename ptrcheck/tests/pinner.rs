//! Pinner behaviour (Go's runtime/pinner_test.go: Simple, MultiplePinsSame,
//! TwoPinner, PinZerosizeObj, PinGlobalPtr, PinNonPtrPanics, EmptyUnpin,
//! LeakPanics, ConstStringData, interior pointers).

mod common;

use common::{Arena, setup};
use ptrcheck::{Level, PinError, Pinned, Pinner, RegionKind};

#[test]
fn pin_and_unpin_one_object() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc([0u64; 4], &[]);
    let mut pinner = Pinner::new(&ck);
    match pinner.pin(p).unwrap() {
        Pinned::Object { base, size, pins } => {
            assert_eq!((base, size, pins), (p.addr(), 32, 1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(heap.pins(p), 1);
    assert_eq!(pinner.len(), 1);
    pinner.unpin();
    assert_eq!(heap.pins(p), 0);
    assert!(pinner.is_empty());
}

#[test]
fn interior_pointer_pins_whole_object() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc([0u64; 4], &[]);
    let mut pinner = Pinner::new(&ck);
    // SAFETY: in bounds of the 4-element array.
    let interior = unsafe { p.cast::<u64>().add(3) };
    pinner.pin(interior).unwrap();
    assert_eq!(heap.pins(p), 1);
    assert_eq!(heap.pins(interior), 1);
    pinner.unpin();
}

#[test]
fn multiple_pins_of_the_same_object_add_up() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u64, &[]);
    let mut pinner = Pinner::new(&ck);
    let n = if cfg!(miri) { 10 } else { 100 };
    for i in 1..=n {
        assert!(matches!(pinner.pin(p).unwrap(), Pinned::Object { pins, .. } if pins == i));
    }
    assert_eq!(heap.pins(p), n);
    pinner.unpin();
    assert_eq!(heap.pins(p), 0);
}

#[test]
fn two_pinners_share_an_object() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u64, &[]);
    let holder = heap.alloc(p.cast_const(), &[0]);
    let mut a = Pinner::new(&ck);
    let mut b = Pinner::new(&ck);
    a.pin(p).unwrap();
    b.pin(p).unwrap();
    assert_eq!(heap.pins(p), 2);
    a.unpin();
    // Still pinned by b: the object may still be referenced from C-bound memory.
    assert_eq!(heap.pins(p), 1);
    // SAFETY: live test-heap object.
    ck.check_addr_of("f", 1, unsafe { &*holder }).unwrap();
    b.unpin();
    assert_eq!(heap.pins(p), 0);
    // SAFETY: as above.
    assert!(ck.check_addr_of("f", 1, unsafe { &*holder }).is_err());
}

#[test]
fn pinning_unmanaged_or_non_heap_memory_is_a_no_op() {
    static GLOBAL: u64 = 1;
    let (ck, _heap) = setup(Level::Calls);
    let stack = Arena::new(64);
    ck.registry().add_stack(stack.range()).unwrap();
    let data = Arena::new(64);
    ck.registry().add_data(data.range()).unwrap();
    let on_stack = stack.put(1u64);
    let in_data = data.put(2u64);
    let local = 3u64;
    let zero_sized: *const () = std::ptr::NonNull::dangling().as_ptr();
    let mut pinner = Pinner::new(&ck);
    for p in [&GLOBAL as *const u64, &local, on_stack, in_data] {
        assert_eq!(pinner.pin(p).unwrap(), Pinned::NotHeap);
    }
    assert_eq!(pinner.pin(zero_sized).unwrap(), Pinned::NotHeap);
    assert_eq!(
        pinner.pin("constant string data".as_ptr()).unwrap(),
        Pinned::NotHeap
    );
    assert!(pinner.is_empty(), "non-heap pins are not recorded");
    assert_eq!(
        ck.registry().find(on_stack.addr()).unwrap().kind,
        RegionKind::Stack
    );
}

#[test]
fn pinning_null_is_an_error() {
    let (ck, _heap) = setup(Level::Calls);
    let mut pinner = Pinner::new(&ck);
    let e = pinner.pin(std::ptr::null::<u8>()).unwrap_err();
    assert_eq!(e, PinError::Null);
    assert!(e.to_string().contains("argument is nil"));
}

#[test]
fn pinning_free_heap_memory_is_an_error() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u8, &[]);
    // Past the last object: heap memory, no object.
    let free = p.wrapping_add(64);
    let mut pinner = Pinner::new(&ck);
    let e = pinner.pin(free).unwrap_err();
    assert_eq!(e, PinError::NotAnObject { addr: free.addr() });
    assert!(e.to_string().contains("no live object"));
}

#[test]
fn empty_unpin_and_double_unpin_are_fine() {
    let (ck, heap) = setup(Level::Calls);
    let mut pinner = Pinner::new(&ck);
    pinner.unpin();
    pinner.unpin();
    let p = heap.alloc(0u64, &[]);
    pinner.pin(p).unwrap();
    pinner.unpin();
    pinner.unpin();
    assert_eq!(heap.pins(p), 0);
    // Reuse after unpin.
    pinner.pin(p).unwrap();
    assert_eq!(heap.pins(p), 1);
    pinner.unpin();
}

#[test]
#[should_panic(expected = "Pinner dropped while holding 2 pin(s)")]
fn dropping_a_pinner_with_pins_reports_the_leak() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u64, &[]);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(p).unwrap();
    pinner.pin(p).unwrap();
    drop(pinner);
}

#[test]
fn a_leaked_pinner_releases_its_pins() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u64, &[]);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut pinner = Pinner::new(&ck);
        pinner.pin(p).unwrap();
    }));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("found leaking pinned pointer; forgot to call Unpin()?"),
        "{msg}"
    );
    assert!(msg.contains(&format!("{:#x}", p.addr())), "{msg}");
    assert_eq!(heap.pins(p), 0);
}

#[test]
fn pins_are_visible_to_checks_on_other_threads() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u64, &[]);
    let holder = heap.alloc(p.cast_const(), &[0]);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(p).unwrap();
    struct SendPtr(*mut *const u64);
    // SAFETY: the pointee is a test-heap object nobody writes while shared.
    unsafe impl Send for SendPtr {}
    let holder = SendPtr(holder);
    std::thread::scope(|s| {
        s.spawn(|| {
            let holder = holder;
            // SAFETY: live test-heap object, not written by anyone.
            ck.check_addr_of("f", 1, unsafe { &*holder.0 }).unwrap();
        });
    });
    pinner.unpin();
}

#[test]
#[should_panic(expected = "object already unpinned")]
fn unpin_after_the_runtime_dropped_the_region_panics() {
    let (ck, heap) = setup(Level::Calls);
    let p = heap.alloc(0u64, &[]);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(p).unwrap();
    let id = ck.registry().find(p.addr()).unwrap().id();
    ck.registry().remove(id).unwrap();
    pinner.unpin();
}
