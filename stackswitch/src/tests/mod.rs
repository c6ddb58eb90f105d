//! Internal tests: the guard-range registry and the overflow message.

use crate::overflow::{Kind, format_report, lookup, register};

#[test]
fn registry_finds_registered_ranges_and_forgets_dropped_ones() {
    // Addresses that no real mapping of this test uses (the top of the
    // canonical lower half, page aligned).
    let base = 0x7fff_0000_0000usize;
    let a = register(
        (base, base + 0x1000),
        (base + 0x1000, base + 0x9000),
        Kind::Green(7),
    );
    let b = register(
        (base + 0x10000, base + 0x11000),
        (base + 0x11000, base + 0x21000),
        Kind::System(42),
    );
    assert_eq!(
        lookup(base),
        Some((Kind::Green(7), base + 0x1000, base + 0x9000))
    );
    assert_eq!(
        lookup(base + 0xfff),
        Some((Kind::Green(7), base + 0x1000, base + 0x9000))
    );
    assert_eq!(
        lookup(base + 0x1000),
        None,
        "the usable range is not the guard"
    );
    assert_eq!(lookup(base + 0x10800).map(|e| e.0), Some(Kind::System(42)));
    drop(a);
    assert_eq!(lookup(base), None);
    assert!(lookup(base + 0x10000).is_some());
    drop(b);
    assert_eq!(lookup(base + 0x10000), None);
}

#[test]
fn report_names_the_stack_its_bounds_and_size() {
    let line = format_report(Kind::Green(3), 0x10000, 0x20000, 0xfff8);
    assert_eq!(
        std::str::from_utf8(line.as_bytes()).unwrap(),
        "stackswitch: stack overflow on green-thread stack #3 [0x10000, 0x20000) of 64 KiB \
         (fault at 0xfff8); run this code on a larger Stack; aborting\n"
    );
    let line = format_report(Kind::System(0), 0, usize::MAX, 0);
    let text = std::str::from_utf8(line.as_bytes()).unwrap();
    assert!(
        text.starts_with(
            "stackswitch: stack overflow on the system stack of thread 0 [0x0, 0xffffffffffffffff)"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("give this thread a larger stack; aborting\n"),
        "{text}"
    );
}
