//! Minimal à-la-carte use of `ptrcheck` on its own: a toy managed heap of
//! two objects, a struct in it pointing at the other object, a check that
//! reports the unpinned pointer, and the same call passing once it is pinned.

use ptrcheck::{
    Checker, Level, Object, ObjectLookup, PinCell, Pinner, PointerMap, call, impl_pointers,
};
use std::ptr::NonNull;
use std::sync::Arc;

/// The runtime's allocator: two 16-byte objects of two pointer words each.
struct TwoObjects {
    base: NonNull<u8>,
    pins: [PinCell; 2],
}

// SAFETY: the memory is only read through `ObjectLookup`, under its contract;
// `PinCell` is atomic.
unsafe impl Send for TwoObjects {}
// SAFETY: as for `Send`.
unsafe impl Sync for TwoObjects {}

// SAFETY: (1) object i spans base+16i..base+16i+16, and only addresses of the
// registered 32 bytes are looked up; (2) the words are usize-aligned; (3) all
// words are initialised; (4) single-threaded; (5) one cell per object, and the
// memory outlives the checker.
unsafe impl ObjectLookup for TwoObjects {
    fn object(&self, addr: usize) -> Option<Object<'_>> {
        let i = (addr - self.base.addr().get()) / 16;
        // SAFETY: i < 2, so the offset stays inside the 32 bytes.
        let base = unsafe { self.base.add(16 * i) };
        Some(Object {
            base,
            size: 16,
            pointers: PointerMap::AllWords,
            pin: &self.pins[i],
        })
    }
}

#[repr(C)]
struct Pair {
    a: *const u8,
    b: *const u8,
}
impl_pointers!(Pair { a: *const u8, b: *const u8 });

/// Stands in for a C function taking `const struct pair *`.
extern "C" fn c_function(p: *const Pair) -> usize {
    // SAFETY: the caller passes a valid Pair.
    unsafe { (*p).a.addr() }
}

fn main() {
    let mut words = [0usize; 4];
    let base = NonNull::from(&mut words).cast::<u8>();
    let start = base.addr().get();
    let heap = Arc::new(TwoObjects {
        base,
        pins: [PinCell::new(), PinCell::new()],
    });
    let checker = Checker::with_level(64, Level::Calls);
    checker
        .registry()
        .add_heap(start..start + 32, heap)
        .expect("register the heap");

    // SAFETY: base is valid for 32 bytes and aligned for Pair; object 0 is a
    // Pair whose `a` points at object 1.
    let pair: &Pair = unsafe {
        base.cast::<Pair>().write(Pair {
            a: base.as_ptr().add(16),
            b: std::ptr::null(),
        });
        base.cast::<Pair>().as_ref()
    };

    match call!(&checker, c_function(&*pair)) {
        Ok(_) => println!("unexpected: the unpinned pointer was accepted"),
        Err(violation) => println!("{violation}"),
    }
    let mut pinner = Pinner::new(&checker);
    pinner.pin(pair.a).expect("pin object 1");
    let seen = call!(&checker, c_function(&*pair)).expect("pinned: allowed");
    println!("after pinning, C saw {seen:#x}");
    pinner.unpin();
}
