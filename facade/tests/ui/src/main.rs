//! `sum` is declared `#[nocallback]`, but the preamble (as the build flow would
//! describe it, reduced to what `c_functions!` reads) marks it `noescape` only:
//! the build must fail with a message naming `sum`.

mod cgo {
    /// The preamble has `#cgo noescape sum` and nothing else.
    pub const fn attributes(name: &str) -> (bool, bool) {
        let (a, b) = (name.as_bytes(), b"sum");
        if a.len() != b.len() {
            return (false, false);
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return (false, false);
            }
            i += 1;
        }
        (true, false)
    }
}

facade::c_functions! {
    #![preamble(cgo)]
    #[nocallback] fn sum(p: *const u8, n: usize) -> u64;
}

fn main() {
    // SAFETY: never runs: the build fails first.
    let _ = unsafe { sum(core::ptr::null(), 0) };
}
