//! Black-box tests of the `cgo-directives` example (built by `cargo test` alongside the tests).
//! Under qemu the binary is run through `CGO_RS_RUNNER`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn exe() -> PathBuf {
    // target/<triple>/debug/deps/cli-HASH -> target/<triple>/debug/examples/cgo-directives
    let mut p = std::env::current_exe().expect("current exe");
    p.pop();
    p.pop();
    p.push("examples");
    p.push(format!("cgo-directives{}", std::env::consts::EXE_SUFFIX));
    p
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(r) => {
            let mut c = Command::new(r);
            c.args(words).arg(exe());
            c
        }
        None => Command::new(exe()),
    };
    for v in ["CFLAGS", "CPPFLAGS", "CXXFLAGS", "FFLAGS", "LDFLAGS"] {
        cmd.env_remove(format!("CGO_{v}_ALLOW"))
            .env_remove(format!("CGO_{v}_DISALLOW"));
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run cgo-directives")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn check_flags_ok_and_refused() {
    let o = run(
        &[
            "check-flags",
            "CFLAGS",
            "-O2",
            "-I",
            "/usr/include",
            "-DX=1",
        ],
        &[],
    );
    assert_eq!((o.status.code(), text(&o).0.as_str()), (Some(0), "ok\n"));
    let o = run(&["check-flags", "LDFLAGS", "-lm", "-Wl,--plugin=x.so"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains(
        "invalid flag in #cgo LDFLAGS: -Wl,--plugin=x.so (see https://go.dev/s/invalidflag)"
    ));
    // LDFLAGS uses the linker list: -Wall is a compiler flag.
    assert_eq!(
        run(&["check-flags", "LDFLAGS", "-Wall"], &[]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["check-flags", "CPPFLAGS", "-Wall"], &[])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["check-flags", "FFLAGS", "-D", "@x"], &[])
            .status
            .code(),
        Some(1)
    );
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn check_flags_honours_allow_and_disallow() {
    let o = run(
        &["check-flags", "CFLAGS", "-fplugin=a.so"],
        &[("CGO_CFLAGS_ALLOW", "-fplugin=.*")],
    );
    assert_eq!(o.status.code(), Some(0));
    let o = run(
        &["check-flags", "CXXFLAGS", "-Wall"],
        &[
            ("CGO_CXXFLAGS_ALLOW", "-Wall"),
            ("CGO_CXXFLAGS_DISALLOW", "-Wall"),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run(
        &["check-flags", "LDFLAGS", "-lm"],
        &[("CGO_LDFLAGS_ALLOW", "(")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("parsing $CGO_LDFLAGS_ALLOW"));
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn check_flags_usage_errors_exit_1() {
    let o = run(&["check-flags", "BOGUS", "-O2"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("BOGUS"));
    assert_eq!(run(&[], &[]).status.code(), Some(1));
}

fn write_preamble(name: &str, body: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).expect("tmpdir");
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write preamble");
    p
}

const PREAMBLE: &str = "\
#cgo CFLAGS: -DALL -Iinc
#cgo linux CFLAGS: -DLINUX
#cgo darwin,arm64 LDFLAGS: -framework CoreFoundation
#cgo windows LDFLAGS: -lws2_32
#cgo extra CPPFLAGS: -DEXTRA
#cgo pkg-config: zlib
#cgo noescape f
#cgo nocallback f
int f(int *p);
";

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn resolve_prints_json_for_a_target() {
    let f = write_preamble("ok.h", PREAMBLE);
    let fs = f.to_str().unwrap();
    let o = run(
        &[
            "resolve",
            "--target",
            "aarch64-apple-darwin",
            "--srcdir",
            "/src",
            fs,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(
        text(&o).0.trim_end(),
        r#"{"cflags":["-DALL","-I/src/inc"],"cppflags":[],"cxxflags":[],"fflags":[],"ldflags":["-framework","CoreFoundation"],"pkg_config":["zlib"],"noescape":["f"],"nocallback":["f"]}"#
    );
    let o = run(
        &[
            "resolve",
            "--goos",
            "windows",
            "--goarch",
            "amd64",
            "--tags",
            "extra,other",
            "--srcdir",
            "/s",
            fs,
        ],
        &[],
    );
    assert_eq!(
        text(&o).0.trim_end(),
        r#"{"cflags":["-DALL","-I/s/inc"],"cppflags":["-DEXTRA"],"cxxflags":[],"fflags":[],"ldflags":["-lws2_32"],"pkg_config":["zlib"],"noescape":["f"],"nocallback":["f"]}"#
    );
    // Default srcdir: the file's directory.
    let o = run(
        &["resolve", "--goos", "linux", "--goarch", "riscv64", fs],
        &[],
    );
    let dir = std::fs::canonicalize(f.parent().unwrap()).unwrap();
    assert!(
        text(&o).0.contains(&format!(
            r#""cflags":["-DALL","-I{}/inc","-DLINUX"]"#,
            dir.display()
        )),
        "{:?}",
        text(&o)
    );
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn resolve_prints_every_error_and_exits_1() {
    let f = write_preamble(
        "bad.h",
        "#cgo CFLAGS: -fplugin=x.so\n#cgo LDFLAGS: @rsp\n#cgo noescape nope\n#cgo bad\n",
    );
    let o = run(
        &[
            "resolve",
            "--goos",
            "linux",
            "--goarch",
            "amd64",
            f.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = text(&o);
    assert!(out.is_empty(), "{out}");
    for want in [
        "bad.h:4:1: invalid #cgo line: #cgo bad",
        "bad.h:1:14: invalid flag in #cgo CFLAGS: -fplugin=x.so",
        "bad.h:2:15: invalid flag in #cgo LDFLAGS: @rsp",
        "bad.h:3:15: #cgo noescape nope: no matched C function",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    let o = run(
        &[
            "resolve",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--goos",
            "linux",
            "x.h",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["resolve", "/nonexistent/file.h"], &[]);
    assert_eq!(o.status.code(), Some(1));
}
