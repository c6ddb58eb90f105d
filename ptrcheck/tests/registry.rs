//! The managed-memory registry: registration errors, lookups, removal, and
//! lock-free reads racing with writers.

use ptrcheck::{RegionKind, Registry, RegistryError};
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn find_classifies_addresses() {
    let r = Registry::with_capacity(8);
    assert!(r.find(0x1000).is_none());
    r.add_stack(0x1000..0x2000).unwrap();
    r.add_data(0x8000..0x9000).unwrap();
    r.add_stack(0x3000..0x4000).unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r.find(0x1000).unwrap().kind, RegionKind::Stack);
    assert_eq!(r.find(0x1fff).unwrap().start, 0x1000);
    assert!(r.find(0x2000).is_none());
    assert!(r.find(0xfff).is_none());
    assert_eq!(r.find(0x3800).unwrap().end, 0x4000);
    assert_eq!(r.find(0x8000).unwrap().kind, RegionKind::Data);
    assert!(r.find(0x9000).is_none() && r.find(usize::MAX).is_none());
    assert!(r.is_managed(0x8fff) && !r.is_managed(0x5000));
    let starts: Vec<usize> = r.regions().iter().map(|g| g.start).collect();
    assert_eq!(starts, [0x1000, 0x3000, 0x8000]);
}

#[test]
fn registration_errors_change_nothing() {
    let r = Registry::with_capacity(2);
    assert_eq!(
        r.add_stack(0x2000..0x2000),
        Err(RegistryError::EmptyRange {
            range: 0x2000..0x2000
        })
    );
    r.add_stack(0x1000..0x2000).unwrap();
    let e = r.add_data(0x1800..0x2800).unwrap_err();
    assert_eq!(
        e,
        RegistryError::Overlap {
            range: 0x1800..0x2800,
            existing: 0x1000..0x2000,
            kind: RegionKind::Stack
        }
    );
    assert!(
        e.to_string()
            .contains("overlaps the managed stack region 0x1000..0x2000"),
        "{e}"
    );
    r.add_data(0x2000..0x3000).unwrap();
    let e = r.add_data(0x5000..0x6000).unwrap_err();
    assert_eq!(e, RegistryError::Full { capacity: 2 });
    assert!(e.to_string().contains("registry is full (2 regions)"));
    assert_eq!(r.len(), 2);
    assert!(r.find(0x5000).is_none());
}

#[test]
fn remove_regions() {
    let r = Registry::with_capacity(4);
    let a = r.add_stack(0x1000..0x2000).unwrap();
    let b = r.add_stack(0x2000..0x3000).unwrap();
    r.remove(a).unwrap();
    assert!(r.find(0x1500).is_none());
    assert_eq!(r.find(0x2500).unwrap().id(), b);
    assert!(matches!(
        r.remove(a),
        Err(RegistryError::NotFound { start: 0x1000 })
    ));
    r.remove(b).unwrap();
    assert!(r.is_empty());
    // Slots are reusable.
    for i in 0..4 {
        r.add_stack(0x10000 * (i + 1)..0x10000 * (i + 1) + 0x100)
            .unwrap();
    }
}

#[test]
fn readers_never_see_a_torn_registry() {
    // A writer adds and removes regions; readers look up an address that is
    // always registered and must always find it, with consistent bounds, and
    // an address that never is.
    let r = Registry::with_capacity(64);
    r.add_stack(0x100_0000..0x100_1000).unwrap();
    let stop = AtomicBool::new(false);
    let rounds = if cfg!(miri) { 20 } else { 20_000 };
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut n = 0u64;
                // Relaxed: a stop flag; nothing is published through it.
                while !stop.load(Ordering::Relaxed) || n < 10 {
                    let g = r.find(0x100_0800).expect("always-registered region lost");
                    assert_eq!(
                        (g.start, g.end, g.kind),
                        (0x100_0000, 0x100_1000, RegionKind::Stack)
                    );
                    assert!(r.find(0x0ff_f000).is_none());
                    n += 1;
                    if cfg!(miri) {
                        std::thread::yield_now();
                    }
                }
            });
        }
        s.spawn(|| {
            for i in 0..rounds {
                let lo = 0x10_0000 * (i % 8 + 1);
                let below = r.add_data(lo..lo + 0x1000).unwrap();
                let above = r.add_stack(0x200_0000 + lo..0x200_1000 + lo).unwrap();
                r.remove(below).unwrap();
                r.remove(above).unwrap();
            }
            stop.store(true, Ordering::Relaxed);
        });
    });
    assert_eq!(r.len(), 1);
}
