//! The spare list without a runtime: take, put, the cap, and the "held" path.

use crate::extra;

#[test]
fn take_never_waits_while_held_and_counts_a_waiter() {
    extra::seed();
    let before = extra::spare_stats();
    let hold = extra::hold_spare_list();
    // The list is held: a taker gets nothing back at once instead of spinning.
    assert!(extra::take().is_none());
    let during = extra::spare_stats();
    assert!(during.contended > before.contended);
    assert!(during.waiters >= 1);
    drop(hold);
    // Released: a spare can be taken, and returned.
    let (m, _) = extra::take().expect("a seeded spare");
    // SAFETY: `m` was just taken and is installed nowhere.
    unsafe { extra::put(m) };
    extra::replenish();
}
