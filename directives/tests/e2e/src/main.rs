//! Calls the preamble's functions and libm/zlib directly; prints `OK` when all agree.

use std::ffi::{CStr, c_char, c_double, c_uint, c_ulong};

mod cgo {
    include!(concat!(env!("OUT_DIR"), "/cgo_functions.rs"));
}

unsafe extern "C" {
    fn e2e_sqrt_scaled(x: c_double) -> c_double;
    fn e2e_zlib_version() -> *const c_char;
    fn e2e_crc32(p: *const u8, len: c_uint) -> c_ulong;
    fn sqrt(x: c_double) -> c_double;
    fn zlibVersion() -> *const c_char;
}

// The generated file is usable at compile time.
const _: () = assert!(matches!(cgo::attributes("e2e_crc32"), (true, true)));
const _: () = assert!(matches!(cgo::attributes("e2e_sqrt_scaled"), (false, true)));
const _: () = assert!(matches!(cgo::attributes("e2e_zlib_version"), (false, false)));

macro_rules! names {
    ($($f:ident => $c:literal $([$attr:ident])*;)*) => {
        &[$((stringify!($f), $c, &[$(stringify!($attr)),*] as &[&str])),*]
    };
}

fn main() {
    // SAFETY: sqrt and e2e_sqrt_scaled take a double by value and have no preconditions.
    let (direct, scaled) = unsafe { (sqrt(2.25), e2e_sqrt_scaled(2.25)) };
    assert_eq!(direct, 1.5);
    assert_eq!(scaled, 3.0, "CFLAGS -DE2E_SCALE=2 applied");
    // SAFETY: zlibVersion returns a pointer to a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(zlibVersion()) }.to_str().expect("ASCII version");
    // SAFETY: as above, through the preamble's wrapper.
    let w = unsafe { CStr::from_ptr(e2e_zlib_version()) }.to_str().expect("ASCII version");
    assert_eq!(v, w);
    assert!(v.starts_with('1'), "zlib version {v}");
    let data = b"The quick brown fox jumps over the lazy dog";
    // SAFETY: the pointer and length describe `data`, which outlives the call.
    let crc = unsafe { e2e_crc32(data.as_ptr(), data.len() as c_uint) };
    assert_eq!(crc, 0x414f_a339);
    assert_eq!(cgo::NOESCAPE, ["e2e_crc32"]);
    assert_eq!(cgo::NOCALLBACK, ["e2e_crc32", "e2e_sqrt_scaled"]);
    let entries: &[(&str, &str, &[&str])] = cgo::cgo_annotated_functions!(names);
    assert_eq!(entries.len(), 2);
    println!("sqrt(2.25)={direct} zlib={v} crc32={crc:#x}");
    println!("OK");
}
