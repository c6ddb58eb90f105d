//! Checks the claims of `examples/tour.rs` by running its scenarios (shared source,
//! `examples/tour/scenarios.rs`): the blocking-call scenario (the other green threads
//! finish before the C call returns; hand-offs counted), the pointer-rule refusal,
//! 100-deep nesting, a C thread calling in 100,000 times, the nocallback message of a
//! child process, and that the cost table has its five rows.

#[allow(dead_code)]
#[path = "../examples/tour/scenarios.rs"]
mod scenarios;

const CHILD: &str = "FACADE_TOUR_TEST_CHILD";

fn under_emulation() -> bool {
    std::env::var("CGO_RS_RUNNER").is_ok_and(|r| !r.trim().is_empty())
}

#[test]
fn the_tour_claims_hold() {
    if std::env::var_os(CHILD).is_some() {
        scenarios::nocallback_violation();
        return;
    }
    // Under qemu the emulated green threads are slower: a longer C call keeps the
    // claim about hand-off rather than emulation speed.
    let ms = if under_emulation() { 2000 } else { 300 };
    let b = scenarios::blocking_call(ms).unwrap();
    assert!(
        b.others_done < b.c_returned,
        "others finished at {:?}, the C call returned at {:?}",
        b.others_done,
        b.c_returned
    );
    assert!(b.stats.blocking_handoffs >= 1, "{:?}", b.stats);

    let msg = scenarios::pointer_rules().unwrap();
    assert!(msg.contains("tour_sum_words: arg 1 [1]"), "{msg}");
    assert!(msg.contains("not pinned"), "{msg}");

    assert_eq!(scenarios::nested_callbacks(100).unwrap(), (100, 101));

    let (sum, per) = scenarios::c_thread_callbacks(100_000).unwrap();
    assert_eq!(sum, 100_000 * 100_001 / 2);
    assert!(per > 0.0);

    let line = scenarios::nocallback_in_child(
        &[
            "--exact",
            "the_tour_claims_hold",
            "--nocapture",
            "--test-threads=1",
        ],
        (CHILD, "1"),
    )
    .unwrap();
    assert!(
        line.contains("function marked with #cgo nocallback called back into Go"),
        "{line}"
    );
    assert!(
        line.contains("`tour_apply_nc`") && line.contains("`tour_id`"),
        "{line}"
    );

    let rows = scenarios::costs(if under_emulation() { 1_000 } else { 10_000 }).unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|(_, ns)| *ns > 0.0));
}
