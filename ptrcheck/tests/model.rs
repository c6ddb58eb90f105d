//! Property test: random object graphs with random pins; the checker's verdict
//! (and the offending address) must equal a small reference model of the
//! rules, for every argument form, results and write checks.
#![allow(clippy::needless_range_loop)] // indices name nodes in both graph and model

mod common;

use common::{Arena, setup_sized};
use core::ffi::c_void;
use ptrcheck::{Level, Pinner, Violation, impl_pointers};

/// splitmix64: a small seeded PRNG.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SLOTS: usize = 4;

#[repr(C)]
#[derive(Clone, Copy)]
struct GNode {
    p: [*const u8; SLOTS],
    n: [usize; 2],
}
impl_pointers!(GNode { p: [*const u8; SLOTS], n: [usize; 2] });

/// What a pointer slot points to, in the model.
#[derive(Clone, Copy, Debug)]
enum T {
    Null,
    Node(usize, usize),
    Unmanaged,
    Stack,
    Data,
    Free,
}

struct Graph {
    slots: Vec<[T; SLOTS]>,
    pins: Vec<u32>,
}

/// The model's addresses for targets.
struct Addrs {
    nodes: Vec<usize>,
    unmanaged: usize,
    stack: usize,
    data: usize,
    free: usize,
}

impl Addrs {
    fn of(&self, t: T) -> usize {
        match t {
            T::Null => 0,
            T::Node(j, off) => self.nodes[j] + off,
            T::Unmanaged => self.unmanaged,
            T::Stack => self.stack,
            T::Data => self.data,
            T::Free => self.free,
        }
    }
}

impl Graph {
    fn pinned(&self, j: usize) -> bool {
        self.pins[j] > 0
    }

    /// Go's cgoCheckUnknownPointer on node i: first unpinned slot.
    fn scan(&self, a: &Addrs, i: usize) -> Option<usize> {
        self.slots[i].iter().find_map(|&t| match t {
            T::Node(j, _) if !self.pinned(j) => Some(a.of(t)),
            T::Free => Some(a.of(t)),
            _ => None,
        })
    }

    /// A pointer found below top: must be pinned, then its object scanned.
    fn below_top(&self, a: &Addrs, t: T) -> Option<usize> {
        match t {
            T::Node(j, _) if !self.pinned(j) => Some(a.of(t)),
            T::Node(j, _) => self.scan(a, j),
            T::Free | T::Data => Some(a.of(t)),
            T::Null | T::Unmanaged | T::Stack => None,
        }
    }

    /// Field form on node i: every slot below top.
    fn typed(&self, a: &Addrs, i: usize) -> Option<usize> {
        self.slots[i].iter().find_map(|&t| self.below_top(a, t))
    }

    /// Write check of node i's value: slots only, no scan.
    fn write(&self, a: &Addrs, i: usize) -> Option<usize> {
        self.slots[i].iter().find_map(|&t| match t {
            T::Node(j, _) if !self.pinned(j) => Some(a.of(t)),
            T::Free => Some(a.of(t)),
            _ => None,
        })
    }
}

static OUTCOMES: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

fn verdict(r: Result<(), Violation>) -> Option<usize> {
    // Relaxed: a statistics counter read after all graphs ran on this thread.
    OUTCOMES[r.is_err() as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    r.err().map(|v| v.addr())
}

fn one_graph(seed: u64) {
    let mut rng = Rng(seed);
    let (ck, heap) = setup_sized(Level::Writes, 1 << 16);
    let stack = Arena::new(64);
    ck.registry().add_stack(stack.range()).unwrap();
    let data = Arena::new(64);
    ck.registry().add_data(data.range()).unwrap();
    let c_memory = Box::new([0u64; 4]);

    let n = 2 + rng.below(10);
    let blank = GNode {
        p: [std::ptr::null(); SLOTS],
        n: [0; 2],
    };
    let nodes: Vec<*mut GNode> = (0..n).map(|_| heap.alloc(blank, &[0, 8, 16, 24])).collect();
    let k = 1 + rng.below(4);
    let array = heap.alloc_array(k, std::ptr::null::<GNode>(), &[0]);
    let addrs = Addrs {
        nodes: nodes.iter().map(|p| p.addr()).collect(),
        unmanaged: c_memory.as_ptr().addr(),
        stack: stack.range().start + 8,
        data: data.range().start + 8,
        free: heap.range().end - 8,
    };
    assert!(heap.pins(addrs.free as *const u8) == 0);

    let mut g = Graph {
        slots: vec![[T::Null; SLOTS]; n],
        pins: vec![0; n],
    };
    for i in 0..n {
        for s in 0..SLOTS {
            g.slots[i][s] = match rng.below(10) {
                0..=2 => T::Null,
                3..=6 => T::Node(rng.below(n), [0, 8, 24, 40][rng.below(4)]),
                7 => T::Unmanaged,
                8 => [T::Stack, T::Data][rng.below(2)],
                _ => T::Free,
            };
            let addr = addrs.of(g.slots[i][s]);
            // The slot's pointer keeps the test heap's provenance where it
            // points into it; only its address matters to the checker.
            let p = heap.range().start as *const u8;
            let value = p.wrapping_byte_add(addr.wrapping_sub(p.addr()));
            let np = nodes[i];
            // SAFETY: node i is a live test-heap object; nothing borrows it.
            unsafe { (*np).p[s] = if addr == 0 { std::ptr::null() } else { value } };
        }
        // Integers holding addresses must be ignored.
        let np = nodes[i];
        // SAFETY: as above.
        unsafe { (*np).n = [addrs.nodes[rng.below(n)], rng.next() as usize] };
    }
    let elems: Vec<usize> = (0..k).map(|_| rng.below(n)).collect();
    for (e, &j) in elems.iter().enumerate() {
        // SAFETY: the array has k elements.
        unsafe { array.add(e).write(nodes[j]) };
    }

    // Random pins by several pinners, some released again.
    let mut pinners: Vec<(Pinner<'_>, Vec<usize>)> =
        (0..3).map(|_| (Pinner::new(&ck), Vec::new())).collect();
    for (pinner, held) in pinners.iter_mut() {
        for j in 0..n {
            if rng.below(3) == 0 {
                // SAFETY: an interior pointer of node j (within its 48 bytes).
                let interior = unsafe { nodes[j].cast::<u8>().add(8 * rng.below(6)) };
                pinner.pin(interior).unwrap();
                held.push(j);
            }
        }
    }
    for (pinner, held) in pinners.iter_mut() {
        if rng.below(2) == 0 {
            pinner.unpin();
            held.clear();
        }
    }
    for (_, held) in &pinners {
        for &j in held {
            g.pins[j] += 1;
        }
    }
    for j in 0..n {
        assert_eq!(
            heap.pins(nodes[j]),
            g.pins[j],
            "seed {seed}: pin count of node {j}"
        );
    }

    for i in 0..n {
        let ctx = || {
            format!(
                "seed {seed}, node {i}, graph {:?}, pins {:?}",
                g.slots, g.pins
            )
        };
        // Whole-object form with an untyped pointer.
        let untyped: *const c_void = nodes[i].cast();
        assert_eq!(
            verdict(ck.check_arg("f", 1, &untyped)),
            g.scan(&addrs, i),
            "unknown: {}",
            ctx()
        );
        // Whole-object form with a typed pointer: the same (a scan of the object).
        assert_eq!(
            verdict(ck.check_arg("f", 1, &nodes[i].cast_const())),
            g.scan(&addrs, i),
            "whole: {}",
            ctx()
        );
        // Field form.
        // SAFETY: live test-heap object, not written during the check.
        let place = unsafe { &*nodes[i] };
        assert_eq!(
            verdict(ck.check_addr_of("f", 1, place)),
            g.typed(&addrs, i),
            "typed: {}",
            ctx()
        );
        // Result: the returned pointer must itself be pinned.
        let expect = if g.pinned(i) {
            g.scan(&addrs, i)
        } else {
            Some(addrs.nodes[i])
        };
        assert_eq!(
            verdict(ck.check_result("f", &nodes[i].cast_const())),
            expect,
            "result: {}",
            ctx()
        );
        // Write of the node's value into C memory.
        assert_eq!(
            verdict(ck.check_write(c_memory.as_ptr().cast(), place)),
            g.write(&addrs, i),
            "write: {}",
            ctx()
        );
        // ... and into managed memory: never a violation.
        ck.check_write(nodes[i].cast::<u8>(), place).unwrap();
    }
    // Element form over the array of node pointers.
    // SAFETY: live test-heap array of k elements.
    let arr = unsafe { std::slice::from_raw_parts(array, k) };
    let expect = elems.iter().find_map(|&j| {
        if g.pinned(j) {
            g.scan(&addrs, j)
        } else {
            Some(addrs.nodes[j])
        }
    });
    assert_eq!(
        verdict(ck.check_elements("f", 1, arr)),
        expect,
        "elements, seed {seed}"
    );

    for (pinner, _) in pinners.iter_mut() {
        pinner.unpin();
    }
}

#[test]
fn checker_matches_reference_model() {
    let graphs = if cfg!(miri) { 12 } else { 1500 };
    for seed in 0..graphs {
        one_graph(0x5eed_0000 + seed);
    }
    // The graphs exercise both verdicts, in quantity.
    let [pass, fail] = [0, 1].map(|i| OUTCOMES[i].load(std::sync::atomic::Ordering::Relaxed));
    assert!(
        pass > graphs as usize && fail > graphs as usize,
        "pass {pass}, fail {fail}"
    );
}
