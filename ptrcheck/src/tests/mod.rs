//! Internal tests: message rendering, the pin counter, registry bounds.

use crate::error::{Kind, Reason, Site, Step, Target, Violation, short_type_name};
use crate::object::PinCell;
use crate::registry::{RegionKind, Registry};

#[test]
fn short_type_names() {
    assert_eq!(short_type_name("a::b::Node"), "Node");
    assert_eq!(short_type_name("*const core::ffi::c_void"), "*const c_void");
    assert_eq!(
        short_type_name("x::Wrap<y::z::A, [u8; 4]>"),
        "Wrap<A, [u8; 4]>"
    );
    assert_eq!(
        short_type_name("&dyn core::any::Any + core::marker::Send"),
        "&dyn Any + Send"
    );
    assert_eq!(short_type_name("u64"), "u64");
}

#[test]
fn path_rendering() {
    let v = Violation::new(
        Kind::Pointer,
        Reason::Unpinned,
        0x1010,
        Target::HeapObject {
            base: 0x1000,
            size: 32,
        },
    )
    .within(Step::ObjectWord(8))
    .within(Step::Index(3))
    .within(Step::Field("data"))
    .within(Step::Deref("m::Node"))
    .at(Site::Argument {
        function: "f",
        index: 2,
    });
    assert_eq!(v.path(), "(*Node).data[3]→object+0x8");
    let msg = v.to_string();
    assert_eq!(
        msg,
        "ptrcheck: f: arg 2 (*Node).data[3]→object+0x8: argument of cgo function has Go pointer to unpinned Go pointer: 0x1010 points into the managed heap object 0x1000 (32 bytes, offset 0x10), which is not pinned; pin it with ptrcheck::Pinner for as long as C may use it, or use memory allocated by C"
    );
    // A dereference below the root wraps what came before.
    let v = Violation::new(Kind::Slice, Reason::Unpinned, 1, Target::None)
        .within(Step::Deref("T"))
        .within(Step::Field("f"));
    assert_eq!(v.path(), ".f→(*T)");
}

#[test]
fn result_and_write_sentences() {
    let v = Violation::new(Kind::String, Reason::Unpinned, 0x20, Target::None).at(Site::Result {
        function: "GoStr25",
    });
    assert!(v.to_string().starts_with("ptrcheck: GoStr25: result: result of Go function GoStr25 called from cgo is unpinned Go string or points to unpinned Go string: "));
    let v = Violation::new(Kind::Pointer, Reason::Unpinned, 0x20, Target::None)
        .within(Step::Index(0))
        .at(Site::Write { dst: 0x40 });
    assert!(v.to_string().starts_with(
        "ptrcheck: store into non-managed memory 0x40 [0]: write of unpinned Go pointer 0x20 to non-Go memory 0x40: unpinned Go pointer stored into non-Go memory"
    ));
    let v = Violation::new(
        Kind::Named("map"),
        Reason::Rejected {
            type_name: "rt::Map",
        },
        0,
        Target::None,
    )
    .at(Site::Argument {
        function: "g",
        index: 1,
    });
    assert!(
        v.to_string()
            .contains("unpinned Go map: a Map (map) can never be passed to C"),
        "{v}"
    );
}

#[test]
fn pin_cell_counts_and_refuses_underflow() {
    let c = PinCell::new();
    assert!(!c.is_pinned());
    assert_eq!(c.unpin(), None);
    assert_eq!(c.pin(), Some(1));
    assert_eq!(c.pin(), Some(2));
    assert_eq!(c.unpin(), Some(1));
    assert!(c.is_pinned());
    assert_eq!(c.unpin(), Some(0));
    assert_eq!(c.pins(), 0);
}

#[test]
fn pin_cell_refuses_overflow_and_keeps_its_count() {
    let c = PinCell::with_pins(u32::MAX - 1);
    assert_eq!(c.pin(), Some(u32::MAX));
    assert_eq!(c.pin(), None);
    assert_eq!(c.pins(), u32::MAX);
    assert_eq!(c.unpin(), Some(u32::MAX - 1));
}

#[test]
fn pin_cell_counts_concurrent_pins_exactly() {
    // Fewer rounds under Miri, which still interleaves the threads' exchanges.
    let rounds = if cfg!(miri) { 50 } else { 10_000 };
    let c = PinCell::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..rounds {
                    assert!(c.pin().is_some());
                    assert!(c.unpin().is_some());
                }
                assert!(c.pin().is_some());
            });
        }
    });
    assert_eq!(c.pins(), 4);
}

#[test]
fn registry_bounds_follow_registrations() {
    let r = Registry::with_capacity(4);
    let a = r.add_stack(0x5000..0x6000).unwrap();
    let b = r.add_data(0x1000..0x2000).unwrap();
    assert!(r.find(0x1000).is_some() && r.find(0x5fff).is_some());
    r.remove(b).unwrap();
    // The lower bound moved up; the old range is gone.
    assert!(r.find(0x1000).is_none());
    assert_eq!(r.find(0x5000).unwrap().kind, RegionKind::Stack);
    r.remove(a).unwrap();
    assert!(r.find(0x5000).is_none());
    // Regions whose ends are not in start order (a big region first).
    r.add_stack(0x1000..0x9000).unwrap();
    r.add_stack(0x9000..0x9100).unwrap();
    assert!(r.find(0x8fff).is_some() && r.find(0x90ff).is_some() && r.find(0x9100).is_none());
}
