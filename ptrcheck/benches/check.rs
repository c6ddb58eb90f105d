//! Cost of the checks, side by side in one group: a direct call without a
//! check, the check at level 0, a pointer-free argument (should cost ~0), a
//! 64-field struct with 8 pointer fields (field form, pointers into C memory
//! or into pinned heap objects; whole-object form), and a 1 MiB pointer-free
//! managed buffer (element form, whole-object form). Go's reference on this
//! machine: `CallWithPointerArg` 44.8 ns with cgocheck=1 vs 33.5 ns with
//! cgocheck=0, i.e. 11.3 ns for the check.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::TestHeap;
use core::ffi::c_void;
use criterion::{Criterion, criterion_group, criterion_main};
use ptrcheck::{Checker, Level, Pinner, impl_pointers};
use std::hint::black_box;

/// 64 fields, every eighth a pointer.
#[repr(C)]
#[derive(Clone, Copy)]
struct Wide {
    f0: u64,
    f1: u64,
    f2: u64,
    f3: u64,
    f4: u64,
    f5: u64,
    f6: u64,
    p0: *const u8,
    f8: u64,
    f9: u64,
    f10: u64,
    f11: u64,
    f12: u64,
    f13: u64,
    f14: u64,
    p1: *const u8,
    f16: u64,
    f17: u64,
    f18: u64,
    f19: u64,
    f20: u64,
    f21: u64,
    f22: u64,
    p2: *const u8,
    f24: u64,
    f25: u64,
    f26: u64,
    f27: u64,
    f28: u64,
    f29: u64,
    f30: u64,
    p3: *const u8,
    f32: u64,
    f33: u64,
    f34: u64,
    f35: u64,
    f36: u64,
    f37: u64,
    f38: u64,
    p4: *const u8,
    f40: u64,
    f41: u64,
    f42: u64,
    f43: u64,
    f44: u64,
    f45: u64,
    f46: u64,
    p5: *const u8,
    f48: u64,
    f49: u64,
    f50: u64,
    f51: u64,
    f52: u64,
    f53: u64,
    f54: u64,
    p6: *const u8,
    f56: u64,
    f57: u64,
    f58: u64,
    f59: u64,
    f60: u64,
    f61: u64,
    f62: u64,
    p7: *const u8,
}
impl_pointers!(Wide { f0: u64, f1: u64, f2: u64, f3: u64, f4: u64, f5: u64, f6: u64, p0: *const u8, f8: u64, f9: u64, f10: u64, f11: u64, f12: u64, f13: u64, f14: u64, p1: *const u8, f16: u64, f17: u64, f18: u64, f19: u64, f20: u64, f21: u64, f22: u64, p2: *const u8, f24: u64, f25: u64, f26: u64, f27: u64, f28: u64, f29: u64, f30: u64, p3: *const u8, f32: u64, f33: u64, f34: u64, f35: u64, f36: u64, f37: u64, f38: u64, p4: *const u8, f40: u64, f41: u64, f42: u64, f43: u64, f44: u64, f45: u64, f46: u64, p5: *const u8, f48: u64, f49: u64, f50: u64, f51: u64, f52: u64, f53: u64, f54: u64, p6: *const u8, f56: u64, f57: u64, f58: u64, f59: u64, f60: u64, f61: u64, f62: u64, p7: *const u8 });

#[inline(never)]
extern "C" fn c_function(p: *const c_void) -> usize {
    p.addr()
}

fn wide(ptrs: [*const u8; 8]) -> Wide {
    Wide {
        f0: 0,
        f1: 1,
        f2: 2,
        f3: 3,
        f4: 4,
        f5: 5,
        f6: 6,
        p0: ptrs[0],
        f8: 8,
        f9: 9,
        f10: 10,
        f11: 11,
        f12: 12,
        f13: 13,
        f14: 14,
        p1: ptrs[1],
        f16: 16,
        f17: 17,
        f18: 18,
        f19: 19,
        f20: 20,
        f21: 21,
        f22: 22,
        p2: ptrs[2],
        f24: 24,
        f25: 25,
        f26: 26,
        f27: 27,
        f28: 28,
        f29: 29,
        f30: 30,
        p3: ptrs[3],
        f32: 32,
        f33: 33,
        f34: 34,
        f35: 35,
        f36: 36,
        f37: 37,
        f38: 38,
        p4: ptrs[4],
        f40: 40,
        f41: 41,
        f42: 42,
        f43: 43,
        f44: 44,
        f45: 45,
        f46: 46,
        p5: ptrs[5],
        f48: 48,
        f49: 49,
        f50: 50,
        f51: 51,
        f52: 52,
        f53: 53,
        f54: 54,
        p6: ptrs[6],
        f56: 56,
        f57: 57,
        f58: 58,
        f59: 59,
        f60: 60,
        f61: 61,
        f62: 62,
        p7: ptrs[7],
    }
}

const WIDE_PTR_OFFSETS: [usize; 8] = [56, 120, 184, 248, 312, 376, 440, 504];

fn bench(c: &mut Criterion) {
    let ck = Checker::with_level(64, Level::Calls);
    let heap = TestHeap::new(4 << 20, 64);
    ck.registry().add_heap(heap.range(), heap.clone()).unwrap();
    // A realistic registry: the heap plus 31 green-thread stacks.
    let stacks = common::Arena::new(31 * 4096);
    let s0 = stacks.range().start;
    for i in 0..31 {
        ck.registry()
            .add_stack(s0 + i * 4096..s0 + (i + 1) * 4096)
            .unwrap();
    }
    let c_memory = [0u8; 8];
    let targets: Vec<*mut u64> = (0..8).map(|_| heap.alloc(0u64, &[])).collect();
    let mut pinner = Pinner::new(&ck);
    for t in &targets {
        pinner.pin(*t).unwrap();
    }
    let to_c = heap.alloc(wide([c_memory.as_ptr(); 8]), &WIDE_PTR_OFFSETS);
    let mut heap_ptrs = [std::ptr::null::<u8>(); 8];
    for (p, t) in heap_ptrs.iter_mut().zip(&targets) {
        *p = t.cast();
    }
    let to_heap = heap.alloc(wide(heap_ptrs), &WIDE_PTR_OFFSETS);
    let buffer = heap.alloc_array(1 << 20, 0u8, &[]);
    // SAFETY: live test-heap objects, not written during the benchmark.
    let (to_c, to_heap, buffer) = unsafe {
        (
            &*to_c,
            &*to_heap,
            std::slice::from_raw_parts(buffer, 1 << 20),
        )
    };

    let mut g = c.benchmark_group("arg_check");
    g.bench_function("direct_call_no_check", |b| {
        b.iter(|| c_function(black_box(to_heap as *const Wide).cast()))
    });
    g.bench_function("level0_struct64", |b| {
        let off = Checker::with_level(4, Level::Off);
        b.iter(|| {
            let p = black_box(to_heap);
            off.check_addr_of("f", 1, p).unwrap();
            c_function((p as *const Wide).cast())
        })
    });
    g.bench_function("pointer_free_u64", |b| {
        b.iter(|| {
            let v = black_box(42u64);
            ck.check_arg("f", 1, &v).unwrap();
            c_function(v as *const c_void)
        })
    });
    g.bench_function("struct64_8ptr_to_c_memory", |b| {
        b.iter(|| {
            let p = black_box(to_c);
            ck.check_addr_of("f", 1, p).unwrap();
            c_function((p as *const Wide).cast())
        })
    });
    g.bench_function("struct64_8ptr_to_pinned_heap", |b| {
        b.iter(|| {
            let p = black_box(to_heap);
            ck.check_addr_of("f", 1, p).unwrap();
            c_function((p as *const Wide).cast())
        })
    });
    g.bench_function("struct64_whole_object", |b| {
        b.iter(|| {
            let p: *const c_void = black_box((to_heap as *const Wide).cast());
            ck.check_arg("f", 1, &p).unwrap();
            c_function(p)
        })
    });
    // The registry lookup alone, for an address in the heap (the test heap's
    // own object lookup is not part of it).
    g.bench_function("registry_find", |b| {
        b.iter(|| {
            ck.registry()
                .find(black_box(buffer.as_ptr().addr()))
                .is_some()
        })
    });
    g.bench_function("buffer_1mib_elements", |b| {
        b.iter(|| {
            let s = black_box(buffer);
            ck.check_elements("f", 1, s).unwrap();
            c_function(s.as_ptr().cast())
        })
    });
    g.bench_function("buffer_1mib_whole_object", |b| {
        b.iter(|| {
            let p: *const c_void = black_box(buffer.as_ptr().cast());
            ck.check_arg("f", 1, &p).unwrap();
            c_function(p)
        })
    });
    g.finish();
    pinner.unpin();
}

criterion_group!(benches, bench);
criterion_main!(benches);
