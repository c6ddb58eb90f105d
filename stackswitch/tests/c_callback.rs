//! A C function that uses 64 KiB and then 1 MiB of its stack calls back into
//! Rust from a runtime thread whose system-stack bounds this crate recorded.
//! The green thread calls C on the system stack (`on_system_stack`), C calls
//! back, the callback keeps the accurate bounds and continues on the green
//! stack (`on_green_stack`).

#![cfg(target_os = "linux")]

use stackswitch::{
    Context, Resume, Stack, current_sp, enter_callback, on_green_stack, on_system_stack,
    register_current_thread, remaining_stack,
};

type Callback = extern "C" fn(*mut core::ffi::c_void, i32) -> usize;

#[link(name = "stackswitch_ctests", kind = "static")]
unsafe extern "C" {
    fn ss_use_stack_then_call(bytes: usize, cb: Callback, arg: *mut core::ffi::c_void) -> usize;
}

#[derive(Debug, Default, Clone, Copy)]
struct Report {
    c_entry_sp: usize,
    callback_sp: usize,
    kept: bool,
    accurate: bool,
    above_guard: bool,
    room_on_system: usize,
    green_sp: usize,
    room_on_green: usize,
}

extern "C" fn callback(arg: *mut core::ffi::c_void, _kib: i32) -> usize {
    // SAFETY: `arg` is the Report of the on_system_stack call below, alive
    // until ss_use_stack_then_call returns.
    let report = unsafe { &mut *arg.cast::<Report>() };
    let sp = current_sp();
    let bounds = enter_callback(sp);
    report.callback_sp = sp;
    report.kept = bounds.update().kept;
    report.accurate = bounds.update().current.accurate;
    report.above_guard = sp > bounds.update().current.guard_limit();
    report.room_on_system = remaining_stack().unwrap_or(0);
    let (green_sp, room) = on_green_stack(|| (current_sp(), remaining_stack().unwrap_or(0)));
    report.green_sp = green_sp;
    report.room_on_green = room;
    7
}

fn run(bytes: usize) -> Report {
    std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(move || {
            let reg = register_current_thread().unwrap();
            assert!(reg.system_stack().accurate);
            let mut g = Context::new(Stack::new(128 * 1024).unwrap(), move |_, _| {
                on_system_stack(|| {
                    let mut report = Report {
                        c_entry_sp: current_sp(),
                        ..Report::default()
                    };
                    // SAFETY: the callback matches the C typedef and `report`
                    // outlives the call.
                    let r = unsafe {
                        ss_use_stack_then_call(bytes, callback, (&raw mut report).cast())
                    };
                    assert_eq!(r, 7, "C frame clobbered or callback failed");
                    report
                })
            });
            let green = g.stack().bounds();
            let Resume::Returned(report) = g.resume(0) else {
                panic!("green thread failed")
            };
            assert!(green.contains_sp(report.green_sp), "{report:x?}");
            assert!(report.room_on_green < 128 * 1024 && report.room_on_green > 64 * 1024);
            report
        })
        .unwrap()
        .join()
        .unwrap()
}

fn check(bytes: usize) {
    let r = run(bytes);
    assert!(
        r.c_entry_sp - r.callback_sp >= bytes,
        "C used {bytes} bytes below {r:x?}"
    );
    assert!(r.kept && r.accurate && r.above_guard, "{r:x?}");
    assert!(
        r.room_on_system < (4 << 20) - bytes && r.room_on_system > (4 << 20) - bytes - (256 << 10),
        "{r:x?}"
    );
}

#[test]
fn c_using_64_kib_then_calling_back() {
    check(64 << 10);
}

#[test]
fn c_using_1_mib_then_calling_back() {
    check(1 << 20);
}
