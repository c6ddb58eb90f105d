//! Ports of the `[[ptr]]` cases of /work/shared/vectors/ptrcheck-cases.toml,
//! i.e. Go's `cmd/cgo/internal/testerrors/ptr_test.go` (`TestPointerChecks`).
//! Each test is named after its case and asserts the expected outcome at the
//! case's level, plus the level-0/1/2 outcomes the vector lists. "C memory" is
//! memory the checker does not know (a `Box`); "managed" memory is the test
//! heap of `common`.
#![allow(non_snake_case)]

mod common;

use common::{Arena, TestHeap, assert_fails, c_memory, setup};
use core::ffi::{c_char, c_int, c_void};
use core::mem::offset_of;
use ptrcheck::{Checker, Level, Pinner, Reason, call, impl_pointers};

extern "C" fn c_void_arg(_p: *mut c_void) {}

fn levels() -> [Level; 3] {
    [Level::Off, Level::Calls, Level::Writes]
}

/// Go's expectation for a failing case: a violation whose message holds every
/// needle at levels 1 and 2, and success with checks off.
#[track_caller]
fn fails_unless_off<T: std::fmt::Debug>(
    level: Level,
    r: Result<T, ptrcheck::Violation>,
    needles: &[&str],
) {
    if level == Level::Off {
        r.unwrap();
    } else {
        assert_fails(r, needles);
    }
}

// ---- ptr1 / ptr2: struct holding a managed pointer, whole object ----

#[repr(C)]
struct S1 {
    p: *mut c_int,
}
impl_pointers!(S1 { p: *mut c_int });

extern "C" fn c_take_s1(_s: *mut S1) {}

fn ptr_case(level: Level, via_variable: bool) -> Result<(), ptrcheck::Violation> {
    let (ck, heap) = setup(level);
    let i = heap.alloc(0 as c_int, &[]);
    let s = heap.alloc(S1 { p: i }, &[offset_of!(S1, p)]);
    if via_variable {
        let p = s;
        call!(&ck, c_take_s1(p))
    } else {
        // SAFETY: s is a live object of the test heap; nothing writes it.
        let s = unsafe { &mut *s };
        call!(&ck, c_take_s1(&mut *s))
    }
}

#[test]
fn ptr1() {
    let e = assert_fails(
        ptr_case(Level::Calls, false),
        &[
            "unpinned Go",
            "argument of cgo function has Go pointer to unpinned Go pointer",
            "c_take_s1: arg 1 (*S1).p",
        ],
    );
    assert_eq!(e.reason(), Reason::Unpinned);
    ptr_case(Level::Off, false).unwrap();
}

#[test]
fn ptr2() {
    let e = assert_fails(
        ptr_case(Level::Calls, true),
        &["unpinned Go", "c_take_s1: arg 1 →object+0x0"],
    );
    assert_eq!(e.reason(), Reason::Unpinned);
    ptr_case(Level::Off, true).unwrap();
    assert_fails(ptr_case(Level::Writes, true), &["unpinned Go pointer"]);
}

// ---- ok1 / ptrfield / ptrfieldok: address of a field ----

#[repr(C)]
struct S2 {
    i: c_int,
    p: *mut c_int,
}
impl_pointers!(S2 { i: c_int, p: *mut c_int });

extern "C" fn c_take_int_ptr(_p: *mut c_int) {}
extern "C" fn c_take_int_ptr_ptr(_p: *mut *mut c_int) {}

fn s2(level: Level) -> (Checker, std::sync::Arc<TestHeap>, *mut S2) {
    let (ck, heap) = setup(level);
    let i = heap.alloc(7 as c_int, &[]);
    let s = heap.alloc(S2 { i: 1, p: i }, &[offset_of!(S2, p)]);
    (ck, heap, s)
}

#[test]
fn ok1() {
    for level in levels() {
        let (ck, _heap, s) = s2(level);
        // SAFETY: live test-heap object, no concurrent writes.
        let s = unsafe { &mut *s };
        call!(&ck, c_take_int_ptr(&mut s.i)).unwrap();
    }
}

#[test]
fn ptrfield() {
    for level in levels() {
        let (ck, _heap, s) = s2(level);
        // SAFETY: live test-heap object, no concurrent writes.
        let s = unsafe { &mut *s };
        let r = call!(&ck, c_take_int_ptr_ptr(&mut s.p));
        fails_unless_off(
            level,
            r,
            &[
                "unpinned Go pointer",
                "c_take_int_ptr_ptr: arg 1 (**mut i32)",
            ],
        );
    }
}

#[repr(C)]
struct S3 {
    p1: *mut c_int,
    p2: *mut c_int,
}
impl_pointers!(S3 { p1: *mut c_int, p2: *mut c_int });

#[test]
fn ptrfieldok() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(7 as c_int, &[]);
        let s = heap.alloc(
            S3 {
                p1: std::ptr::null_mut(),
                p2: i,
            },
            &[0, 8],
        );
        // SAFETY: live test-heap object, no concurrent writes.
        let s = unsafe { &mut *s };
        call!(&ck, c_take_int_ptr_ptr(&mut s.p1)).unwrap();
        // The sibling field alone fails.
        if level != Level::Off {
            assert_fails(call!(&ck, c_take_int_ptr_ptr(&mut s.p2)), &["unpinned Go"]);
        }
    }
}

// ---- slices: address of an element checks the whole slice ----

extern "C" fn c_take_void_ptr_ptr(_p: *mut *mut c_void) {}

#[allow(clippy::mut_from_ref)] // an allocator: fresh memory each call
fn managed_slice<'h>(heap: &'h TestHeap, items: &[*mut c_void]) -> &'h mut [*mut c_void] {
    let p = heap.alloc_array(items.len(), std::ptr::null_mut::<c_void>(), &[0]);
    // SAFETY: p is a fresh test-heap array of items.len() pointers.
    let s = unsafe { std::slice::from_raw_parts_mut(p, items.len()) };
    s.copy_from_slice(items);
    s
}

#[test]
fn sliceok1() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let s = managed_slice(&heap, &[std::ptr::null_mut()]);
        call!(&ck, c_take_void_ptr_ptr(&mut s[0])).unwrap();
    }
}

#[test]
fn sliceptr1() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let s = managed_slice(&heap, &[i.cast()]);
        let r = call!(&ck, c_take_void_ptr_ptr(&mut s[0]));
        fails_unless_off(
            level,
            r,
            &[
                "argument of cgo function has Go pointer to unpinned Go unsafe pointer",
                "arg 1 [0]:",
            ],
        );
    }
}

#[test]
fn sliceptr2() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let s = managed_slice(&heap, &[std::ptr::null_mut(), i.cast()]);
        let r = call!(&ck, c_take_void_ptr_ptr(&mut s[0]));
        fails_unless_off(level, r, &["unpinned Go unsafe pointer", "arg 1 [1]:"]);
    }
}

#[repr(C)]
struct WithSlice<'a> {
    p: *mut c_int,
    s: &'a mut [*mut c_void],
}
impl_pointers!(impl['a] WithSlice<'a> { p: *mut c_int, s: &'a mut [*mut c_void] });

#[test]
fn sliceok2() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let s = managed_slice(&heap, &[std::ptr::null_mut()]);
        let v = heap.alloc(WithSlice { p: i, s }, &[0, 8]);
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        call!(&ck, c_take_void_ptr_ptr(&mut v.s[0])).unwrap();
    }
}

#[repr(C)]
struct WithBytes {
    p: *mut c_int,
    a: [u8; 4],
}
impl_pointers!(WithBytes { p: *mut c_int, a: [u8; 4] });

extern "C" fn c_take_bytes(_p: *mut u8) {}

fn with_bytes(level: Level) -> (Checker, std::sync::Arc<TestHeap>, *mut WithBytes) {
    let (ck, heap) = setup(level);
    let i = heap.alloc(0 as c_int, &[]);
    let v = heap.alloc(
        WithBytes {
            p: i,
            a: [1, 2, 3, 4],
        },
        &[0],
    );
    (ck, heap, v)
}

#[test]
fn sliceok3() {
    for level in levels() {
        let (ck, _heap, v) = with_bytes(level);
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        let t = &mut v.a[..];
        call!(&ck, c_take_bytes(&mut t[0])).unwrap();
    }
}

#[test]
fn sliceok4() {
    for level in levels() {
        let (ck, _heap, v) = with_bytes(level);
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        // The argument is converted to void*: name the form explicitly (a
        // conversion hides `&v.a[0]` from `call!`).
        ck.check_elements("c_void_arg", 1, &v.a).unwrap();
        c_void_arg((&mut v.a[0] as *mut u8).cast());
        // The whole-object form would have scanned the object, and failed.
        let whole: *mut c_void = (&mut v.a[0] as *mut u8).cast();
        if level != Level::Off {
            assert_fails(call!(&ck, c_void_arg(whole)), &["unpinned Go pointer"]);
        }
    }
}

// ---- varok / var1: pointers into static data ----

extern "C" fn c_take_char_ptr_ptr(_p: *mut *mut c_char) {}
extern "C" fn c_take_char_ptr_ptr_ptr(_p: *mut *mut *mut c_char) {}

#[test]
fn varok() {
    // A pointer-free global lives in memory the runtime does not register.
    static GLOBAL: [c_char; 4] = [1, 2, 3, 4];
    for level in levels() {
        let (ck, heap) = setup(level);
        let local = heap.alloc([GLOBAL.as_ptr().cast_mut()], &[0]);
        // SAFETY: live test-heap object, no concurrent writes.
        let local = unsafe { &mut *local };
        call!(&ck, c_take_char_ptr_ptr(&mut local[0])).unwrap();
    }
}

#[test]
fn var1() {
    for level in levels() {
        let (ck, heap) = setup(level);
        // A pointer-bearing global: a data region the runtime registers.
        let data = Arena::new(64);
        ck.registry().add_data(data.range()).unwrap();
        let c = heap.alloc(0 as c_char, &[]);
        let global = data.put([c]);
        let local = heap.alloc([global.cast::<*mut c_char>()], &[0]);
        // SAFETY: live test-heap object, no concurrent writes.
        let local = unsafe { &mut *local };
        let r = call!(&ck, c_take_char_ptr_ptr_ptr(&mut local[0]));
        if level == Level::Off {
            r.unwrap();
        } else {
            let e = assert_fails(r, &["unpinned Go", "arg 1 [0]:", "static data region"]);
            assert_eq!(e.reason(), Reason::StaticData);
        }
    }
}

// ---- write checks (level 2) ----

fn run_barrier(level: Level, pin: bool) -> Result<(), ptrcheck::Violation> {
    let (ck, heap) = setup(level);
    let c = heap.alloc(0 as c_char, &[]);
    let mut pinner = Pinner::new(&ck);
    if pin {
        pinner.pin(c).unwrap();
    }
    let mut slot = c_memory(std::ptr::null_mut::<c_char>());
    // SAFETY: slot is a valid, aligned C-side (unmanaged) char* slot.
    let r = unsafe { ck.store(&mut *slot, c) };
    if r.is_ok() {
        assert_eq!(*slot, c, "a passing checked store writes");
        c_take_char_ptr_ptr(&mut *slot);
    } else {
        assert!(slot.is_null(), "a failing checked store writes nothing");
    }
    pinner.unpin();
    r
}

#[test]
fn barrier() {
    let e = assert_fails(
        run_barrier(Level::Writes, false),
        &[
            "unpinned Go pointer stored into non-Go memory",
            "write of unpinned Go pointer 0x",
        ],
    );
    assert_eq!(e.reason(), Reason::Unpinned);
    run_barrier(Level::Calls, false).unwrap();
    run_barrier(Level::Off, false).unwrap();
}

#[test]
fn barrierpinnedok() {
    run_barrier(Level::Writes, true).unwrap();
    run_barrier(Level::Calls, true).unwrap();
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CArray10 {
    a: [*mut c_char; 10],
}
impl_pointers!(CArray10 { a: [*mut c_char; 10] });

fn run_barrierstruct(level: Level) -> Result<(), ptrcheck::Violation> {
    let (ck, heap) = setup(level);
    let c = heap.alloc(0 as c_char, &[]);
    let mut dst = c_memory(CArray10 {
        a: [std::ptr::null_mut(); 10],
    });
    let mut value = [std::ptr::null_mut(); 10];
    value[0] = c;
    // SAFETY: dst.a is a valid, aligned unmanaged array.
    unsafe { ck.store(&mut dst.a, value) }
}

#[test]
fn barrierstruct() {
    assert_fails(
        run_barrierstruct(Level::Writes),
        &["unpinned Go pointer stored into non-Go memory", "[0]"],
    );
    run_barrierstruct(Level::Calls).unwrap();
    run_barrierstruct(Level::Off).unwrap();
}

fn run_barrierslice(level: Level) -> Result<(), ptrcheck::Violation> {
    let (ck, heap) = setup(level);
    let c = heap.alloc(0 as c_char, &[]);
    let src = heap.alloc_array(1, c, &[0]);
    // SAFETY: a one-element test-heap array.
    let src = unsafe { std::slice::from_raw_parts(src, 1) };
    let mut dst = c_memory(CArray10 {
        a: [std::ptr::null_mut(); 10],
    });
    // SAFETY: dst.a has room for 10 >= 1 elements and does not overlap src.
    unsafe { ck.copy(src, dst.a.as_mut_ptr()) }
}

#[test]
fn barrierslice() {
    assert_fails(
        run_barrierslice(Level::Writes),
        &["unpinned Go pointer stored into non-Go memory", "[0]"],
    );
    run_barrierslice(Level::Calls).unwrap();
    run_barrierslice(Level::Off).unwrap();
}

/// Go's 32769-element array (big enough for a GC program); smaller under
/// Miri, where each of its words costs microseconds.
const BIG: usize = if cfg!(miri) { 1025 } else { 32769 };

#[repr(C)]
#[derive(Clone, Copy)]
struct BigArray {
    a: [*mut c_char; BIG],
}
impl_pointers!(BigArray { a: [*mut c_char; BIG] });

#[repr(C)]
#[derive(Clone, Copy)]
struct BigStruct {
    f: BigArray,
}
impl_pointers!(BigStruct { f: BigArray });

/// Zeroed, 8-aligned C-side (unmanaged) memory for one `T`.
struct CBuf(Vec<u64>);
impl CBuf {
    fn new<T>() -> Self {
        assert!(align_of::<T>() <= 8);
        CBuf(vec![0; size_of::<T>().div_ceil(8)])
    }
    fn as_mut_ptr<T>(&mut self) -> *mut T {
        assert!(size_of::<T>() <= self.0.len() * 8);
        self.0.as_mut_ptr().cast()
    }
}

fn barriergcprog(
    level: Level,
    nested: bool,
    source_on_heap: bool,
) -> Result<(), ptrcheck::Violation> {
    let (ck, heap) = common::setup_sized(level, 1 << 20);
    let c = heap.alloc(0 as c_char, &[]);
    let src: *mut *mut c_char = if source_on_heap {
        heap.alloc_array(BIG, std::ptr::null_mut(), &[0])
    } else {
        Box::leak(vec![std::ptr::null_mut::<c_char>(); BIG].into_boxed_slice()).as_mut_ptr()
    };
    // SAFETY: src has BIG elements and nothing else references them.
    unsafe { *src = c };
    let src_array = src.cast::<BigArray>();
    let r = if nested {
        let mut dst = CBuf::new::<BigStruct>();
        // SAFETY: dst is valid unmanaged memory for a BigStruct; src_array is
        // BIG initialised pointers, read by value.
        unsafe {
            ck.store(
                dst.as_mut_ptr::<BigStruct>(),
                BigStruct {
                    f: src_array.read(),
                },
            )
        }
    } else {
        let mut dst = CBuf::new::<BigArray>();
        // SAFETY: as above.
        unsafe { ck.store(dst.as_mut_ptr::<BigArray>(), src_array.read()) }
    };
    // SAFETY: as above.
    unsafe { *src = std::ptr::null_mut() };
    if source_on_heap {
        // Go then passes the (now pointer-free) source object to C: fine.
        call!(&ck, c_take_char_ptr_ptr(src)).unwrap();
    } else {
        // SAFETY: leaked above from a boxed slice of BIG elements.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(src, BIG)) });
    }
    r
}

fn barriergcprog_case(nested: bool, source_on_heap: bool, path: &str) {
    assert_fails(
        barriergcprog(Level::Writes, nested, source_on_heap),
        &["unpinned Go pointer stored into non-Go memory", path],
    );
    barriergcprog(Level::Calls, nested, source_on_heap).unwrap();
    barriergcprog(Level::Off, nested, source_on_heap).unwrap();
}

#[test]
fn barriergcprogarray() {
    barriergcprog_case(false, false, ".a[0]");
}

#[test]
fn barriergcprogarrayheap() {
    barriergcprog_case(false, true, ".a[0]");
}

#[test]
fn barriergcprogstruct() {
    barriergcprog_case(true, false, ".f.a[0]");
}

#[test]
fn barriergcprogstructheap() {
    barriergcprog_case(true, true, ".f.a[0]");
}

// ---- results returned to C ----

#[test]
fn export1() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let b = heap.alloc(0u8, &[]);
        let r = ck.check_result("GoFn21", &b);
        fails_unless_off(
            level,
            r,
            &[
                "result of Go function GoFn21 called from cgo is unpinned Go pointer or points to unpinned Go pointer",
            ],
        );
    }
}

#[test]
fn exportok() {
    for level in levels() {
        let (ck, _heap) = setup(level);
        let mut c = c_memory(0u8);
        let p: *mut u8 = &mut *c;
        ck.check_result("GoFn", &p).unwrap();
    }
}

// ---- strings ----

#[repr(C)]
#[derive(Clone, Copy)]
struct GoStringHeader {
    p: *const c_char,
    n: isize,
}
impl_pointers!(GoStringHeader { p: *const c_char, n: isize });

extern "C" fn c_echo_string(s: GoStringHeader) -> GoStringHeader {
    s
}

fn managed_str<'h>(heap: &'h TestHeap, text: &str) -> &'h str {
    let p = heap.alloc_array(text.len(), 0u8, &[]);
    // SAFETY: a fresh test-heap byte array of text.len() bytes.
    let bytes = unsafe { std::slice::from_raw_parts_mut(p, text.len()) };
    bytes.copy_from_slice(text.as_bytes());
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn passstring() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let s = managed_str(&heap, "hello");
        let h = GoStringHeader {
            p: s.as_ptr().cast(),
            n: s.len() as isize,
        };
        let back = call!(&ck, c_echo_string(h)).unwrap();
        assert_eq!(back.n, 5);
        // A string passed by value needs no check at all.
        const { assert!(!<&str as ptrcheck::Pointers>::NEEDS_ARG_CHECK) };
        ck.check_arg("f", 1, &s).unwrap();
    }
}

#[repr(C)]
struct StrArray<'a> {
    a: [&'a str; 1],
}
impl_pointers!(impl['a] StrArray<'a> { a: [&'a str; 1] });

#[test]
fn passstringslice() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let s = managed_str(&heap, "x");
        let v = heap.alloc(StrArray { a: [s] }, &[0]);
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &*v };
        let r = ck.check_elements("c_void_arg", 1, &v.a);
        fails_unless_off(
            level,
            r,
            &[
                "argument of cgo function has Go pointer to unpinned Go string",
                "arg 1 [0]:",
            ],
        );
    }
}

#[test]
fn retstring() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let s = managed_str(&heap, "result");
        let r = ck.check_result("GoStr25", &s);
        fails_unless_off(
            level,
            r,
            &[
                "result of Go function GoStr25 called from cgo is unpinned Go string or points to unpinned Go string",
            ],
        );
    }
}

// ---- integers holding addresses are not pointers ----

#[repr(C)]
#[derive(Clone, Copy)]
struct PtrData<const N: usize> {
    p: *mut c_int,
    a: [u8; N],
    q: *mut c_int,
    u: usize,
}
impl_pointers!(impl[const N: usize] PtrData<N> { p: *mut c_int, a: [u8; N], q: *mut c_int, u: usize });

extern "C" fn c_take_ptrdata(_p: *mut c_void) {}

fn ptrdata<const N: usize>(level: Level) {
    let (ck, heap) = common::setup_sized(level, N + 4096);
    let i = heap.alloc(0 as c_int, &[]);
    let value = PtrData::<N> {
        p: std::ptr::null_mut(),
        a: [0; N],
        q: std::ptr::null_mut(),
        u: i.addr(),
    };
    let v = heap.alloc(value, &[0, offset_of!(PtrData<N>, q)]);
    let mut c = CBuf::new::<PtrData<N>>();
    // SAFETY: c is valid unmanaged memory for the struct; v is a live object.
    unsafe { ck.store(c.as_mut_ptr::<PtrData<N>>(), v.read()) }.unwrap();
    let cp: *mut c_void = c.as_mut_ptr::<c_void>();
    call!(&ck, c_take_ptrdata(cp)).unwrap();
    // The managed original passes too: `u` is an integer.
    call!(&ck, c_take_ptrdata(v.cast())).unwrap();
}

#[test]
fn ptrdata1() {
    ptrdata::<64>(Level::Calls);
    ptrdata::<64>(Level::Writes);
}

#[test]
fn ptrdata2() {
    ptrdata::<262152>(Level::Calls);
    ptrdata::<262152>(Level::Writes);
}

// ---- unions ----

#[repr(C)]
union U1 {
    p: *mut *mut c_char,
    i: u64,
}
impl_pointers!(union U1 { p: *mut *mut c_char, i: u64 });

#[repr(C)]
union U2 {
    i: u64,
}
impl_pointers!(union U2 { i: u64 });

extern "C" fn c_take_u1(_p: *mut U1) {}
extern "C" fn c_take_u2(_p: *mut U2) {}

#[test]
fn union1() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let c = heap.alloc(0 as c_char, &[]);
        let v = heap.alloc(c, &[0]);
        let r = call!(&ck, c_take_u1(v.cast::<U1>()));
        fails_unless_off(
            level,
            r,
            &[
                "argument of cgo function has Go pointer to unpinned Go pointer",
                "→object+0x0",
            ],
        );
    }
}

#[test]
fn union2() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let c = heap.alloc(0 as c_char, &[]);
        let v = heap.alloc(c, &[0]);
        call!(&ck, c_take_u2(v.cast::<U2>())).unwrap();
    }
}

// ---- no pointers cross the boundary ----

extern "C" fn c_no_args() -> c_int {
    1
}

#[test]
fn preemptduringcall() {
    let (ck, _heap) = setup(Level::Calls);
    let (tasks, calls) = if cfg!(miri) { (4, 5) } else { (100, 100) };
    std::thread::scope(|s| {
        for t in 0..tasks {
            let ck = &ck;
            s.spawn(move || {
                for c in 0..calls {
                    // Change the level under the other tasks' feet, as Go's
                    // test changes GOMAXPROCS.
                    if (t + c) % 17 == 0 {
                        ck.set_level(if c % 2 == 0 {
                            Level::Writes
                        } else {
                            Level::Calls
                        });
                    }
                    assert_eq!(call!(ck, c_no_args()).unwrap(), 1);
                }
            });
        }
    });
}

#[test]
fn deadline() {
    // Runtime-internal stores of managed pointers into managed memory never
    // trip the write check.
    let (ck, heap) = setup(Level::Writes);
    let timer = heap.alloc(0u64, &[]);
    let slot = heap.alloc(std::ptr::null_mut::<u64>(), &[0]);
    // SAFETY: slot is a live, aligned test-heap object.
    unsafe { ck.store(slot, timer) }.unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { slot.read() }, timer);
    assert_eq!(call!(&ck, c_no_args()).unwrap(), 1);
}

#[test]
fn finalizer() {
    // Many byte buffers come and go (a sweeper releasing arenas) while calls
    // with pointer-free arguments run. Each round's buffers form one arena,
    // registered with the heap's (shared) object lookup and removed after.
    let ck = Checker::with_level(16, Level::Writes);
    let rounds = if cfg!(miri) { 4 } else { 200 };
    let heap = TestHeap::new(rounds * 4 * 4096, rounds * 4);
    for round in 0..rounds {
        let bufs: Vec<*mut u8> = (0..4)
            .map(|_| heap.alloc_array(4096 - 16, round as u8, &[]))
            .collect();
        let arena = bufs[0].addr()..bufs[3].addr() + 4096 - 16;
        let id = ck.registry().add_heap(arena, heap.clone()).unwrap();
        for b in &bufs {
            // SAFETY: a live test-heap byte array.
            let bytes = unsafe { std::slice::from_raw_parts_mut(*b, 4096 - 16) };
            call!(&ck, c_take_bytes(&mut bytes[0])).unwrap();
        }
        ck.registry().remove(id).unwrap();
    }
    assert!(ck.registry().is_empty());
}

trait Method {
    fn method(&self) -> i64;
}
struct IntLike(i64);
impl Method for IntLike {
    fn method(&self) -> i64 {
        self.0 * 2
    }
}
impl_pointers!(dyn Method);

#[test]
fn structof() {
    let (ck, _heap) = setup(Level::Calls);
    // A value built at run time, used through a trait object, not passed.
    let v: Box<dyn Method> = Box::new(IntLike(21));
    assert_eq!(v.method(), 42);
    ck.check_arg("f", 1, &v).unwrap();
    assert_eq!(call!(&ck, c_no_args()).unwrap(), 1);
}

// ---- address of a field: only that field ----

#[repr(C)]
struct SF {
    p: *mut c_int,
    a: [u8; 8],
    u: usize,
}
impl_pointers!(SF { p: *mut c_int, a: [u8; 8], u: usize });

#[test]
fn structfield() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let v = heap.alloc(
            SF {
                p: i,
                a: [0; 8],
                u: 0,
            },
            &[0],
        );
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        // `&v.a` converted to void*: the caller names the field form.
        ck.check_addr_of("c_void_arg", 1, &v.a).unwrap();
        c_void_arg((&mut v.a as *mut [u8; 8]).cast());
    }
}

#[repr(C)]
struct SF2 {
    a: [u8; 8],
    p: *mut c_int,
    b: i64,
}
impl_pointers!(SF2 { a: [u8; 8], p: *mut c_int, b: i64 });

extern "C" fn c_take_three(_a: *mut [u8; 8], _b: *mut i64, _c: c_int) {}

#[test]
fn structfield2() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let v = heap.alloc(
            SF2 {
                a: [0; 8],
                p: i,
                b: 0,
            },
            &[8],
        );
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        call!(&ck, c_take_three(&mut v.a, &mut v.b, 3)).unwrap();
    }
}

#[repr(C)]
struct Sfc {
    p: *mut c_int,
    a: S2,
}
impl_pointers!(Sfc { p: *mut c_int, a: S2 });

extern "C" fn c_take_s2(_p: *mut S2) {}

#[test]
fn structfieldcast() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let v = heap.alloc(
            Sfc {
                p: i,
                a: S2 {
                    i: 0,
                    p: std::ptr::null_mut(),
                },
            },
            &[0, 16],
        );
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        call!(&ck, c_take_s2(&mut v.a)).unwrap();
    }
}

// ---- buffer, string data, slice data, array pointers ----

struct Buffer<'a> {
    data: &'a mut [u8],
}
impl Buffer<'_> {
    fn bytes(&mut self) -> &mut [u8] {
        self.data
    }
}

#[test]
fn buffer() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let p = heap.alloc_array(1, b'a', &[]);
        // SAFETY: a fresh one-byte test-heap array.
        let data = unsafe { std::slice::from_raw_parts_mut(p, 1) };
        let mut b = Buffer { data };
        call!(&ck, c_take_bytes(&mut b.bytes()[0])).unwrap();
    }
}

#[repr(C)]
struct BytesThenPtr {
    a: [u8; 4],
    p: *mut c_int,
}
impl_pointers!(BytesThenPtr { a: [u8; 4], p: *mut c_int });

#[test]
fn stringdata() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let v = heap.alloc(BytesThenPtr { a: *b"abcd", p: i }, &[8]);
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &*v };
        let s = std::str::from_utf8(&v.a).unwrap();
        // String data is never examined: it cannot hold pointers.
        ck.check_elements("c_void_arg", 1, s.as_bytes()).unwrap();
        c_void_arg(s.as_ptr().cast_mut().cast());
    }
}

extern "C" fn c_take_byte_ptrs(_p: *mut *mut u8) {}

#[test]
fn slicedata() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let b = heap.alloc(0u8, &[]);
        let p = heap.alloc_array(2, std::ptr::null_mut::<u8>(), &[0]);
        // SAFETY: a fresh two-element test-heap array.
        let s = unsafe { std::slice::from_raw_parts_mut(p, 2) };
        s[1] = b;
        // SliceData(s): the whole slice is examined.
        let r = ck.check_elements("c_take_byte_ptrs", 1, s);
        if r.is_ok() {
            c_take_byte_ptrs(s.as_mut_ptr());
        }
        fails_unless_off(
            level,
            r,
            &[
                "argument of cgo function has Go pointer to unpinned Go pointer",
                "arg 1 [1]:",
            ],
        );
    }
}

#[test]
fn slicedata2() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let v = heap.alloc(BytesThenPtr { a: *b"abcd", p: i }, &[8]);
        // SAFETY: live test-heap object, no concurrent writes.
        let v = unsafe { &mut *v };
        ck.check_elements("c_take_bytes", 1, &v.a[..]).unwrap();
        c_take_bytes(v.a.as_mut_ptr());
    }
}

#[test]
fn arraypointer() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let a = heap.alloc([0u8; 10], &[]);
        // SAFETY: live test-heap object, no concurrent writes.
        let a = unsafe { &mut *a };
        call!(&ck, c_take_bytes(&mut a[0])).unwrap();
    }
}

#[test]
fn arraypointer2() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let i = heap.alloc(0 as c_int, &[]);
        let a = heap.alloc([std::ptr::null_mut::<c_void>(), i.cast()], &[0, 8]);
        // SAFETY: live test-heap object, no concurrent writes.
        let a = unsafe { &mut *a };
        let r = call!(&ck, c_take_void_ptr_ptr(&mut a[0]));
        fails_unless_off(
            level,
            r,
            &[
                "argument of cgo function has Go pointer to unpinned Go unsafe pointer",
                "arg 1 [1]:",
            ],
        );
    }
}

// ---- maps are never allowed ----

/// The runtime's managed map: its internals always live in managed memory.
struct ManagedMap {
    _table: *mut u8,
}
impl_pointers!(reject ManagedMap as "map");

extern "C" fn c_take_map(_p: *mut ManagedMap) {}

#[test]
fn argmap() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let table = heap.alloc([0u64; 2], &[]);
        let m = heap.alloc(
            ManagedMap {
                _table: table.cast(),
            },
            &[0],
        );
        // SAFETY: live test-heap object, no concurrent writes.
        let m = unsafe { &mut *m };
        let r = call!(&ck, c_take_map(&mut *m));
        if level == Level::Off {
            r.unwrap();
        } else {
            let e = assert_fails(
                r,
                &["argument of cgo function has Go pointer to unpinned Go map"],
            );
            assert!(matches!(e.reason(), Reason::Rejected { .. }));
            // Pinning does not help: maps are rejected outright.
            let mut pinner = Pinner::new(&ck);
            pinner.pin(m as *const ManagedMap).unwrap();
            pinner.pin(table).unwrap();
            assert_fails(call!(&ck, c_take_map(&mut *m)), &["unpinned Go map"]);
            pinner.unpin();
        }
    }
}

#[test]
fn retmap() {
    for level in levels() {
        let (ck, heap) = setup(level);
        let table = heap.alloc([0u64; 2], &[]);
        let m = ManagedMap {
            _table: table.cast(),
        };
        let r = ck.check_result("GoMap47", &m);
        fails_unless_off(
            level,
            r,
            &[
                "result of Go function GoMap47 called from cgo is unpinned Go map or points to unpinned Go map",
            ],
        );
    }
}
