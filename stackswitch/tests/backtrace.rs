//! The switch routines carry DWARF CFI: a backtrace taken on another stack
//! continues into the function that switched (checked by name, debug build).

use std::backtrace::Backtrace;

use stackswitch::{Context, Resume, Stack, on_stack, on_system_stack};

#[inline(never)]
fn caller_of_on_stack_1f3a() -> String {
    let mut stack = Stack::new(256 * 1024).unwrap();
    on_stack(&mut stack, || Backtrace::force_capture().to_string())
}

#[inline(never)]
fn resumer_of_context_7c2e() -> String {
    let mut ctx = Context::new(Stack::new(256 * 1024).unwrap(), |_, _| {
        Backtrace::force_capture().to_string()
    });
    match ctx.resume(0) {
        Resume::Returned(s) => s,
        _ => panic!("context did not return"),
    }
}

#[inline(never)]
fn green_code_calling_c_9d41() -> String {
    on_system_stack(|| Backtrace::force_capture().to_string())
}

#[inline(never)]
fn resumer_of_green_code_5b07() -> String {
    let mut ctx = Context::new(Stack::new(256 * 1024).unwrap(), |_, _| {
        green_code_calling_c_9d41()
    });
    match ctx.resume(0) {
        Resume::Returned(s) => s,
        _ => panic!("context did not return"),
    }
}

fn assert_in_order(bt: &str, names: &[&str]) {
    let mut at = 0;
    for name in names {
        match bt[at..].find(name) {
            Some(i) => at += i + name.len(),
            None => panic!("{name} missing (or out of order) in backtrace:\n{bt}"),
        }
    }
}

#[test]
fn backtrace_inside_on_stack_shows_the_caller() {
    let bt = caller_of_on_stack_1f3a();
    assert_in_order(
        &bt,
        &[
            "stackswitch_on_stack",
            "caller_of_on_stack_1f3a",
            "backtrace_inside_on_stack_shows_the_caller",
        ],
    );
}

#[test]
fn backtrace_inside_a_context_shows_the_resumer() {
    let bt = resumer_of_context_7c2e();
    assert_in_order(
        &bt,
        &[
            "stackswitch_ctx_start",
            "resumer_of_context_7c2e",
            "backtrace_inside_a_context_shows_the_resumer",
        ],
    );
}

#[test]
fn backtrace_on_the_system_stack_shows_green_code_then_its_resumer() {
    let bt = resumer_of_green_code_5b07();
    assert_in_order(
        &bt,
        &[
            "stackswitch_on_stack",
            "green_code_calling_c_9d41",
            "stackswitch_ctx_start",
            "resumer_of_green_code_5b07",
            "backtrace_on_the_system_stack_shows_green_code_then_its_resumer",
        ],
    );
}
