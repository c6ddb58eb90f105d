//! The `Pointers` trait and the three argument forms: compile-time constants,
//! implementations for std types, `impl_pointers!` forms, outright rejections,
//! stack regions, and the messages' paths.

mod common;

use common::{Arena, assert_fails, setup};
use core::ffi::c_void;
use ptrcheck::{Kind, Level, Pinner, Pointers, Reason, Step, Target, call, impl_pointers};

#[repr(C)]
struct Plain {
    a: u32,
    b: [f64; 3],
}
impl_pointers!(Plain {
    a: u32,
    b: [f64; 3]
});

#[repr(C)]
struct Node {
    next: *const Node,
    data: [*mut u8; 4],
    len: usize,
}
impl_pointers!(Node { next: *const Node, data: [*mut u8; 4], len: usize });

#[repr(C)]
struct Tuple(u8, *const u8);
impl_pointers!(Tuple { 0: u8, 1: *const u8 });

#[allow(dead_code)]
struct Handle(u64);
impl_pointers!(none Handle);

#[test]
fn has_pointers_constants() {
    const {
        assert!(!u64::HAS_POINTERS && !f64::HAS_POINTERS && !<()>::HAS_POINTERS);
        assert!(!Plain::HAS_POINTERS && !<[Plain; 4]>::HAS_POINTERS && !Handle::HAS_POINTERS);
        assert!(Node::HAS_POINTERS && Tuple::HAS_POINTERS);
        assert!(<*const u8>::HAS_POINTERS && <&u8>::HAS_POINTERS && <Option<&u8>>::HAS_POINTERS);
        assert!(!<Option<u32>>::HAS_POINTERS && !<[*const u8; 0]>::HAS_POINTERS);
        assert!(<fn(u32) -> u32>::HAS_POINTERS && <extern "C" fn()>::HAS_POINTERS);
        assert!(<&str>::HAS_POINTERS && !str::HAS_POINTERS && <&[u8]>::HAS_POINTERS);
        assert!(<Box<u8>>::HAS_POINTERS && <Vec<u8>>::HAS_POINTERS && String::HAS_POINTERS);
        // cgo's top-level rule: a pointer needs a check only if its pointee
        // may hold pointers; a string by value never does.
        assert!(!<*const u8>::NEEDS_ARG_CHECK && !<&[u8]>::NEEDS_ARG_CHECK);
        assert!(
            !<&str>::NEEDS_ARG_CHECK && !String::NEEDS_ARG_CHECK && !<Vec<u8>>::NEEDS_ARG_CHECK
        );
        assert!(<*const c_void>::NEEDS_ARG_CHECK && <*const Node>::NEEDS_ARG_CHECK);
        assert!(<&[&u8]>::NEEDS_ARG_CHECK && <(u8, *const Node)>::NEEDS_ARG_CHECK);
        assert!(!<(u8, *const u8)>::NEEDS_ARG_CHECK);
    }
}

#[test]
fn pointer_free_checks_do_nothing_even_on_bad_memory() {
    // A pointer-free type is not even looked at: its check is constant-folded.
    let (ck, heap) = setup(Level::Writes);
    let b = heap.alloc([0u8; 16], &[]);
    // SAFETY: live test-heap object.
    let bytes = unsafe { &*b };
    ck.check_arg("f", 1, &b).unwrap();
    ck.check_addr_of("f", 1, bytes).unwrap();
    ck.check_elements("f", 1, bytes).unwrap();
    ck.check_result("f", &42u64).unwrap();
    ck.check_write(std::ptr::null(), &Plain { a: 1, b: [0.0; 3] })
        .unwrap();
}

extern "C" fn take_node(_n: *const Node) {}
extern "C" fn take_ptr(_p: *mut *mut u8) {}

#[test]
fn path_names_function_argument_field_and_index() {
    let (ck, heap) = setup(Level::Calls);
    let byte = heap.alloc(0u8, &[]);
    let node = heap.alloc(
        Node {
            next: std::ptr::null(),
            data: [
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                byte,
            ],
            len: 0,
        },
        &[0, 8, 16, 24, 32],
    );
    // SAFETY: live test-heap object.
    let n = unsafe { &*node };
    let e = assert_fails(
        call!(&ck, take_node(&*n)),
        &[
            "ptrcheck: take_node: arg 1 (*Node).data[3]: argument of cgo function has Go pointer to unpinned Go pointer",
        ],
    );
    assert_eq!(
        e.steps(),
        vec![
            Step::Deref(std::any::type_name::<Node>()),
            Step::Field("data"),
            Step::Index(3)
        ]
    );
    assert_eq!(e.addr(), byte.addr());
    assert_eq!(
        e.target(),
        Target::HeapObject {
            base: byte.addr(),
            size: 1
        }
    );
    assert_eq!(e.kind(), Kind::Pointer);
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "{:#x} points into the managed heap object {:#x} (1 bytes, offset 0x0)",
            byte.addr(),
            byte.addr()
        )),
        "{msg}"
    );

    // The pointee of `next` is scanned as a whole object.
    let outer = heap.alloc(
        Node {
            next: node,
            data: [std::ptr::null_mut(); 4],
            len: 0,
        },
        &[0, 8, 16, 24, 32],
    );
    let mut pinner = Pinner::new(&ck);
    pinner.pin(node).unwrap();
    // SAFETY: live test-heap object.
    let o = unsafe { &*outer };
    assert_fails(
        call!(&ck, take_node(&*o)),
        &["arg 1 (*Node).next→object+0x20:"],
    );
    pinner.pin(byte).unwrap();
    call!(&ck, take_node(&*o)).unwrap();
    // A pointer-to-pointer argument: path through a tuple-struct field.
    let t = heap.alloc(Tuple(1, byte), &[8]);
    pinner.unpin();
    // SAFETY: live test-heap object.
    assert_fails(
        ck.check_addr_of("g", 2, unsafe { &*t }),
        &["g: arg 2 (*Tuple).1:"],
    );
    let _ = take_ptr;
}

#[test]
fn element_form_checks_the_whole_array_and_nothing_else() {
    #[repr(C)]
    struct Holder {
        sibling: *const u8,
        arr: [*const u8; 3],
    }
    impl_pointers!(Holder { sibling: *const u8, arr: [*const u8; 3] });
    extern "C" fn take(_p: *const *const u8) {}

    let (ck, heap) = setup(Level::Calls);
    let x = heap.alloc(0u8, &[]);
    let h = heap.alloc(
        Holder {
            sibling: x,
            arr: [std::ptr::null(); 3],
        },
        &[0, 8, 16, 24],
    );
    let hp = h;
    // SAFETY: live test-heap object; only read while this borrow is used.
    let h = unsafe { &*hp };
    // Element form: only `arr`, which is clean.
    call!(&ck, take(&h.arr[1])).unwrap();
    // Whole-object form: the sibling is in the same object.
    let raw: *const *const u8 = &h.arr[1];
    assert_fails(call!(&ck, take(raw)), &["take: arg 1 →object+0x0:"]);
    // A bad element anywhere in the array fails the element form.
    // SAFETY: live test-heap object; no reference to it is used after this.
    unsafe { (*hp).arr[2] = x };
    // SAFETY: as above.
    let h = unsafe { &*hp };
    assert_fails(call!(&ck, take(&h.arr[0])), &["take: arg 1 [2]:"]);
    // `&a[range]` passes the sub-slice, and checks the array (Go checks a
    // sub-slice up to its capacity, which here includes element 2).
    fn count(s: &[*const u8]) -> usize {
        s.len()
    }
    assert_fails(call!(&ck, count(&h.arr[..2])), &["count: arg 1 [2]:"]);
    // The form is chosen by syntax, ranges too.
    call!(&ck, take(&h.arr[0..2][0])).unwrap();
    assert_fails(call!(&ck, take(&h.arr[1..][0])), &["arg 1 [1]"]);
}

#[test]
fn call_evaluates_each_argument_once_and_skips_the_call_on_violation() {
    use std::cell::Cell;
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    extern "C" fn two(_a: *const *const u8, _b: *const u8) {
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let (ck, heap) = setup(Level::Calls);
    let x = heap.alloc(0u8, &[]);
    let arr = heap.alloc([x.cast_const(), std::ptr::null()], &[0, 8]);
    // SAFETY: live test-heap object.
    let arr = unsafe { &mut *arr };
    let evaluations = Cell::new(0);
    let idx = || {
        evaluations.set(evaluations.get() + 1);
        1
    };
    assert_fails(
        call!(&ck, two(&arr[idx()], std::ptr::null())),
        &["two: arg 1 [0]"],
    );
    assert_eq!(evaluations.get(), 1);
    assert_eq!(CALLS.load(std::sync::atomic::Ordering::Relaxed), 0);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(x).unwrap();
    call!(&ck, two(&arr[idx()], x)).unwrap();
    assert_eq!(evaluations.get(), 2);
    assert_eq!(CALLS.load(std::sync::atomic::Ordering::Relaxed), 1);
    pinner.unpin();
    // Trailing comma and no-argument calls.
    extern "C" fn none() -> i32 {
        7
    }
    assert_eq!(call!(&ck, none()).unwrap(), 7);
    call!(&ck, two(std::ptr::null(), std::ptr::null(),)).unwrap();
}

#[test]
fn closures_are_rejected_when_their_data_is_managed() {
    let (ck, heap) = setup(Level::Calls);
    // Captured data in managed memory: a closure over a managed value.
    let captured = heap.alloc(5u64, &[]);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(captured).unwrap();
    // SAFETY: live test-heap object.
    let c = unsafe { &*captured };
    // The closure value itself lives in the managed heap, too.
    let f = heap.alloc(move || *c + 1, &[0]);
    // SAFETY: live test-heap object.
    let f: &dyn Fn() -> u64 = unsafe { &*f };
    assert_eq!(f(), 6);
    pinner.pin(f as *const dyn Fn() -> u64).unwrap();
    let e = assert_fails(
        ck.check_arg("run", 1, &f),
        &["unpinned Go closure", "can never be passed to C"],
    );
    assert!(matches!(e.reason(), Reason::Rejected { .. }));
    assert_eq!(e.kind(), Kind::Closure);
    pinner.unpin();
    // A closure on the Rust heap is fine.
    let boxed: Box<dyn Fn() -> u64> = Box::new(|| 1);
    ck.check_arg("run", 1, &boxed).unwrap();
}

#[test]
fn function_pointers_into_managed_memory_are_rejected() {
    extern "C" fn real() {}
    let (ck, heap) = setup(Level::Calls);
    ck.check_arg("f", 1, &(real as extern "C" fn())).unwrap();
    if cfg!(miri) {
        // Miri knows only the functions it compiled: a function pointer to any other
        // memory (generated code) is undefined behaviour there when it is used. This
        // part runs natively on every architecture.
        return;
    }
    // Code "generated" into the managed heap.
    let code = heap.alloc([0u8; 16], &[]);
    // SAFETY: never called; only its address is examined.
    let jit: extern "C" fn() = unsafe { std::mem::transmute(code) };
    assert_fails(
        ck.check_arg("f", 1, &jit),
        &["unpinned Go function", "can never be passed to C"],
    );
}

#[test]
fn trait_objects_follow_the_interface_rule() {
    trait Shape {
        fn area(&self) -> u64;
    }
    #[allow(dead_code)]
    struct Square(u64, *const u8);
    impl Shape for Square {
        fn area(&self) -> u64 {
            self.0 * self.0
        }
    }
    impl_pointers!(dyn Shape);
    let (ck, heap) = setup(Level::Calls);
    let inner = heap.alloc(0u8, &[]);
    let sq = heap.alloc(Square(3, inner), &[8]);
    // SAFETY: live test-heap object.
    let shape: &dyn Shape = unsafe { &*sq };
    assert_eq!(shape.area(), 9);
    // At top: the object behind it is scanned; `inner` is unpinned.
    assert_fails(ck.check_arg("f", 1, &shape), &["arg 1 →object+0x8"]);
    // Below top: it must be pinned itself.
    let holder = (shape,);
    let e = assert_fails(
        ck.check_result("f", &holder),
        &["unpinned Go trait object", "result .0:"],
    );
    assert_eq!(e.kind(), Kind::TraitObject);
    let mut pinner = Pinner::new(&ck);
    pinner.pin(sq).unwrap();
    pinner.pin(inner).unwrap();
    ck.check_result("f", &holder).unwrap();
    pinner.unpin();
}

#[test]
fn options_boxes_vecs_and_strings() {
    let (ck, heap) = setup(Level::Calls);
    let x = heap.alloc(1u32, &[]);
    // SAFETY: live test-heap object.
    let r: &u32 = unsafe { &*x };
    ck.check_result("f", &None::<&u32>).unwrap();
    assert_fails(ck.check_result("f", &Some(r)), &["unpinned Go pointer"]);
    // Vec<&T> with unmanaged storage: elements are not examined (Go's rule
    // for slices whose data is not managed), but below top its elements would be.
    let v = vec![r];
    ck.check_result("f", &v).unwrap();
    let managed_vec_data = heap.alloc([r], &[0]);
    // SAFETY: live test-heap object.
    let s: &[&u32] = unsafe { &*managed_vec_data };
    ck.check_arg("f", 1, &s).unwrap_err();
    let b = Box::new(5u64);
    ck.check_result("f", &b).unwrap();
    ck.check_result("f", &String::from("rust heap")).unwrap();
    // Unmanaged memory is not examined (as in Go, where managed pointers get
    // into C memory only through stores that level 2 checks).
    ck.check_arg("f", 1, &Box::new([r])).unwrap();
}

#[test]
fn stack_regions_count_as_pinned_but_are_checked_through_references() {
    let (ck, heap) = setup(Level::Calls);
    let stack = Arena::new(256);
    ck.registry().add_stack(stack.range()).unwrap();
    let managed = heap.alloc(0u8, &[]);
    let on_stack = stack.put(0u64);
    // A stack pointer below top is fine (stacks never move).
    let holder = heap.alloc(on_stack.cast_const(), &[0]);
    // SAFETY: live test-heap object.
    ck.check_addr_of("f", 1, unsafe { &*holder }).unwrap();
    // A stack variable holding an unpinned heap pointer, passed by reference:
    // checked through its type (Go would move it to the heap and scan it).
    let var = stack.put(managed.cast_const());
    // SAFETY: live arena value.
    let var_ref: &*const u8 = unsafe { &*var };
    assert_fails(ck.check_arg("f", 1, &var_ref), &["f: arg 1 (**const u8):"]);
    // As a raw pointer there is no type to go by: accepted, like Go.
    ck.check_arg("f", 1, &var.cast::<c_void>().cast_const())
        .unwrap();
    // The write check lets stack pointers into C memory (they count as pinned).
    ck.set_level(Level::Writes);
    let mut c = Box::new(std::ptr::null::<u64>());
    // SAFETY: valid unmanaged slot.
    unsafe { ck.store(&mut *c, on_stack.cast_const()) }.unwrap();
}

#[test]
fn pointers_into_free_heap_memory_are_reported() {
    let (ck, heap) = setup(Level::Calls);
    let last = heap.alloc(0u8, &[]);
    let dangling = last.wrapping_add(100);
    let holder = heap.alloc(dangling.cast_const(), &[0]);
    // SAFETY: live test-heap object.
    let e = assert_fails(
        ck.check_addr_of("f", 1, unsafe { &*holder }),
        &["outside any live object"],
    );
    assert_eq!(e.reason(), Reason::FreeMemory);
    assert!(matches!(e.target(), Target::HeapFree { .. }));
}

#[test]
fn conservative_objects_scan_every_word() {
    let (ck, heap) = setup(Level::Calls);
    let x = heap.alloc(0u8, &[]);
    let obj = heap.alloc_conservative(64);
    // SAFETY: word 5 of the 8-word zeroed object.
    unsafe { obj.cast::<*const u8>().add(5).write(x) };
    let p: *const c_void = obj.as_ptr().cast();
    assert_fails(ck.check_arg("f", 1, &p), &["arg 1 →object+0x28:"]);
}
