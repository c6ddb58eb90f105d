//! Check levels: set by API, default read once from `CGO_RS_PTRCHECK`.
//! Environment cases run this test binary again as a child process (prefixed
//! with `CGO_RS_RUNNER` under qemu), since the variable is read once per
//! process.

mod common;

use common::{assert_fails, setup};
use ptrcheck::{Checker, ENV_VAR, Level};

#[test]
fn parse_levels() {
    assert_eq!(Level::parse("0"), Ok(Level::Off));
    assert_eq!(Level::parse(" 1\n"), Ok(Level::Calls));
    assert_eq!(Level::parse("2"), Ok(Level::Writes));
    let e = Level::parse("3").unwrap_err();
    assert!(
        e.to_string()
            .contains("\"3\" is not a check level; use 0 (off), 1"),
        "{e}"
    );
    assert!(Level::parse("").is_err() && Level::parse("on").is_err());
}

#[test]
fn set_level_switches_checks_on_and_off() {
    let (ck, heap) = setup(Level::Off);
    let x = heap.alloc(0u8, &[]);
    let holder = heap.alloc(x.cast_const(), &[0]);
    // SAFETY: live test-heap object.
    let place = unsafe { &*holder };
    let mut c_slot = Box::new(std::ptr::null::<u8>());
    ck.check_addr_of("f", 1, place).unwrap();
    ck.check_result("g", &x).unwrap();
    ck.set_level(Level::Calls);
    assert_eq!(ck.level(), Level::Calls);
    assert_fails(ck.check_addr_of("f", 1, place), &["f: arg 1"]);
    assert_fails(ck.check_result("g", &x), &["result of Go function g"]);
    // SAFETY: valid unmanaged slot.
    unsafe { ck.store(&mut *c_slot, x.cast_const()) }.unwrap();
    ck.set_level(Level::Writes);
    // SAFETY: as above.
    assert_fails(
        unsafe { ck.store(&mut *c_slot, x.cast_const()) },
        &["stored into non-Go memory"],
    );
}

/// Child side: prints the level it sees, and checks it is read only once.
#[test]
fn env_child() {
    if std::env::var_os("PTRCHECK_ENV_CHILD").is_none() {
        return;
    }
    let first = Level::from_env();
    let ck = Checker::new();
    assert_eq!(ck.level(), first);
    // SAFETY: the child runs this single test on one thread; nothing else
    // reads the environment concurrently.
    unsafe { std::env::set_var(ENV_VAR, if first == Level::Off { "2" } else { "0" }) };
    assert_eq!(Level::from_env(), first, "the variable is read once");
    println!("child level = {}", first as u8);
}

#[cfg(not(miri))]
fn run_child(value: Option<&str>) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(prog) => {
            let mut c = std::process::Command::new(prog);
            c.args(words).arg(&exe);
            c
        }
        None => std::process::Command::new(&exe),
    };
    cmd.args(["--exact", "env_child", "--nocapture", "--test-threads=1"]);
    cmd.env("PTRCHECK_ENV_CHILD", "1");
    match value {
        Some(v) => cmd.env(ENV_VAR, v),
        None => cmd.env_remove(ENV_VAR),
    };
    cmd.output().unwrap()
}

#[test]
#[cfg(not(miri))]
fn level_comes_from_the_environment_once() {
    for (value, expected) in [(None, 1), (Some("0"), 0), (Some("1"), 1), (Some("2"), 2)] {
        let out = run_child(value);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{value:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("child level = {expected}")),
            "{value:?}: {stdout}"
        );
    }
}

#[test]
#[cfg(not(miri))]
fn a_bad_level_in_the_environment_is_a_clear_error() {
    let out = run_child(Some("3"));
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("\"3\" is not a check level") && text.contains("CGO_RS_PTRCHECK"),
        "{text}"
    );
}
