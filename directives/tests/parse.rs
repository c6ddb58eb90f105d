//! Behaviour of the `#cgo` parser and resolver: every error collected with position and
//! caret, conditions, verbs, quoting, `${SRCDIR}`, noescape/nocallback.

use directives::{
    Context, Env, ErrorKind, Preamble, ResolveOptions, Verb, collect_all, strip_directives,
};

fn opts(triple: &str) -> ResolveOptions {
    let mut o = ResolveOptions::new(Context::for_target(triple).expect("triple"));
    o.srcdir = "/pkg".into();
    o.env = Env::from_pairs::<_, String, String>([]);
    o
}

fn linux() -> ResolveOptions {
    opts("x86_64-unknown-linux-gnu")
}

#[test]
fn every_error_is_reported_with_file_line_column_and_caret() {
    let text = "\
int f(void);
#cgo CFLAGS: -O2 -fplugin=a.so
  #cgo LDFLAGS: -lm -Wl,--plugin=b.so
#cgo nonsense
#cgo WHAT: x
#cgo noescape g
\t#cgo CFLAGS: 'unclosed
";
    let p = Preamble::parse("pre.h", text);
    let err = p.resolve(&linux()).unwrap_err();
    let kinds: Vec<ErrorKind> = err.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::InvalidLine,
            ErrorKind::InvalidVerb,
            ErrorKind::InvalidLine,
            ErrorKind::InvalidFlag,
            ErrorKind::InvalidFlag,
            ErrorKind::NoMatchedCFunction
        ]
    );
    let s: Vec<String> = err.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        s[0],
        "pre.h:4:1: invalid #cgo line: #cgo nonsense\n    #cgo nonsense\n    ^"
    );
    assert_eq!(
        s[1],
        "pre.h:5:6: invalid #cgo verb: #cgo WHAT: x\n    #cgo WHAT: x\n         ^"
    );
    assert!(
        s[2].starts_with(
            "pre.h:7:14: invalid #cgo line: \t#cgo CFLAGS: 'unclosed (unclosed quote)"
        ),
        "{}",
        s[2]
    );
    assert!(
        s[2].ends_with("\n    \t#cgo CFLAGS: 'unclosed\n    \t            ^"),
        "{:?}",
        s[2]
    );
    assert_eq!(
        s[3],
        "pre.h:2:18: invalid flag in #cgo CFLAGS: -fplugin=a.so (see https://go.dev/s/invalidflag)\n    \
         #cgo CFLAGS: -O2 -fplugin=a.so\n                     ^"
    );
    assert!(
        s[4].starts_with("pre.h:3:21: invalid flag in #cgo LDFLAGS: -Wl,--plugin=b.so"),
        "{}",
        s[4]
    );
    assert!(
        s[5].starts_with("pre.h:6:15: #cgo noescape g: no matched C function"),
        "{}",
        s[5]
    );
    // Collecting keeps what was good.
    let (r, errors) = collect_all(std::slice::from_ref(&p), &linux());
    assert_eq!(errors.len(), 6);
    assert_eq!(r.cflags, ["-O2", "-fplugin=a.so"]);
    assert_eq!(r.ldflags, ["-lm", "-Wl,--plugin=b.so"]);
}

#[test]
fn conditions_use_go_and_rust_spellings_or_between_words() {
    let text = "\
#cgo linux CFLAGS: -DLINUX
#cgo darwin CFLAGS: -DDARWIN
#cgo macos CFLAGS: -DMACOS
#cgo amd64 x86_64 CFLAGS: -DX86
#cgo arm64,aarch64 CFLAGS: -DARM64
#cgo riscv64 CFLAGS: -DRV
#cgo !windows CFLAGS: -DNOTWIN
#cgo cgo CFLAGS: -DCGO
#cgo unix&&!linux CFLAGS: -DBSDISH
#cgo mytag CFLAGS: -DMYTAG
#cgo unknownos CFLAGS: -DUNKNOWN
";
    let p = Preamble::parse("c.h", text);
    let flags = |o: &ResolveOptions| p.resolve(o).unwrap().cflags.join(" ");
    assert_eq!(flags(&linux()), "-DLINUX -DX86 -DNOTWIN -DCGO");
    assert_eq!(
        flags(&opts("aarch64-apple-darwin")),
        "-DDARWIN -DMACOS -DARM64 -DNOTWIN -DCGO -DBSDISH"
    );
    assert_eq!(
        flags(&opts("riscv64gc-unknown-linux-gnu")),
        "-DLINUX -DRV -DNOTWIN -DCGO"
    );
    assert_eq!(flags(&opts("x86_64-pc-windows-gnu")), "-DX86 -DCGO");
    let mut tagged = opts("aarch64-unknown-linux-gnu");
    tagged.context.tags.push("mytag".into());
    assert_eq!(flags(&tagged), "-DLINUX -DARM64 -DNOTWIN -DCGO -DMYTAG");
    let mut nocgo = linux();
    nocgo.context.cgo_enabled = false;
    assert_eq!(flags(&nocgo), "-DLINUX -DX86 -DNOTWIN");
}

#[test]
fn false_condition_skips_validation_like_go() {
    let p = Preamble::parse(
        "c.h",
        "#cgo windows BOGUS: 'unclosed ${SRCDIR}\n#cgo windows CFLAGS: -fplugin=x\n",
    );
    let r = p.resolve(&linux()).unwrap();
    assert!(r.cflags.is_empty());
    assert!(p.resolve(&opts("x86_64-pc-windows-gnu")).is_err());
}

#[test]
fn verbs_are_case_sensitive_and_all_six_work() {
    let text = "\
#cgo CFLAGS: -DA
#cgo CPPFLAGS: -DB
#cgo CXXFLAGS: -std=c++17
#cgo FFLAGS: -O3
#cgo LDFLAGS: -lz
#cgo pkg-config: --static zlib
#cgo cflags: -DC
";
    let p = Preamble::parse("v.h", text);
    let (r, errors) = collect_all(std::slice::from_ref(&p), &linux());
    assert_eq!(r.flags(Verb::CFlags), ["-DA"]);
    assert_eq!(r.flags(Verb::CppFlags), ["-DB"]);
    assert_eq!(r.flags(Verb::CxxFlags), ["-std=c++17"]);
    assert_eq!(r.flags(Verb::FFlags), ["-O3"]);
    assert_eq!(r.flags(Verb::LdFlags), ["-lz"]);
    assert_eq!(r.pkg_config_packages(), ["zlib"]);
    assert_eq!(r.pkg_config_options(), ["--static"]);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .contains("invalid #cgo verb: #cgo cflags: -DC")
    );
}

#[test]
fn flag_and_argument_may_be_on_different_lines() {
    // Go checks the package's whole list, so `-D` at the end of one line takes the first
    // argument of the next.
    let p = Preamble::parse("d.h", "#cgo CFLAGS: -D\n#cgo CFLAGS: FOO\n");
    assert_eq!(p.resolve(&linux()).unwrap().cflags, ["-D", "FOO"]);
    let p = Preamble::parse("d.h", "#cgo CFLAGS: -D\n#cgo CFLAGS: @FOO\n");
    let e = p.resolve(&linux()).unwrap_err().to_string();
    assert!(
        e.starts_with("d.h:1:14: invalid flag in #cgo CFLAGS: -D @FOO"),
        "{e}"
    );
}

#[test]
fn srcdir_expansion_and_absolute_paths() {
    let p = Preamble::parse(
        "s.h",
        "#cgo CFLAGS: -I${SRCDIR}/inc -Irel -I /abs -I rel2\n#cgo LDFLAGS: -L${SRCDIR} -Llib\n",
    );
    let r = p.resolve(&linux()).unwrap();
    assert_eq!(
        r.cflags,
        ["-I/pkg/inc", "-I/pkg/rel", "-I", "/abs", "-I", "/pkg/rel2"]
    );
    assert_eq!(r.ldflags, ["-L/pkg", "-L/pkg/lib"]);
    let mut o = linux();
    o.srcdir = "/tmp/[evil]".into();
    let e = p.resolve(&o).unwrap_err();
    assert_eq!(
        e.iter()
            .filter(|d| d.kind == ErrorKind::MalformedArgument)
            .count(),
        2
    );
    assert!(
        e.to_string()
            .contains("s.h:1:14: malformed #cgo argument: -I/tmp/[evil]/inc"),
        "{e}"
    );
    // Unsafe characters without ${SRCDIR} are refused too.
    let p = Preamble::parse("s.h", "#cgo CFLAGS: -DX=`id`\n");
    assert!(
        p.resolve(&linux())
            .unwrap_err()
            .to_string()
            .contains("malformed #cgo argument: -DX=`id`")
    );
}

#[test]
fn quoting_follows_go() {
    let p = Preamble::parse("q.h", r#"#cgo CFLAGS: -I"c flags" '-DA=b c' -DX=\,y"#);
    assert_eq!(
        p.resolve(&linux()).unwrap().cflags,
        ["-I/pkg/c flags", "-DA=b c", "-DX=,y"]
    );
    // A quote character that survives splitting is not shell-safe: refused, as in Go.
    let p = Preamble::parse("q.h", r#"#cgo CFLAGS: -DX=\"y\""#);
    let e = p.resolve(&linux()).unwrap_err().to_string();
    assert!(
        e.starts_with(r#"q.h:1:14: malformed #cgo argument: -DX="y""#),
        "{e}"
    );
    let p = Preamble::parse("q.h", "#cgo CFLAGS: -DA\\");
    assert!(
        p.resolve(&linux())
            .unwrap_err()
            .to_string()
            .contains("(unfinished escaping)")
    );
}

#[test]
fn noescape_and_nocallback_need_a_c_function() {
    let text = "\
#cgo noescape f
#cgo nocallback f
#cgo nocallback g
#cgo noescape f
#cgo noescape h i
static int f(int *p) { return *p; }
extern void g(void);
";
    let p = Preamble::parse("n.h", text);
    let (r, errors) = collect_all(std::slice::from_ref(&p), &linux());
    assert_eq!(r.noescape, ["f"]);
    assert_eq!(r.nocallback, ["f", "g"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("invalid #cgo line: #cgo noescape h i")
    );
    // A function of another preamble of the same package counts.
    let a = Preamble::parse("a.h", "#cgo noescape other\n");
    let b = Preamble::parse("b.c", "int other(void) { return 0; }\n");
    assert_eq!(
        directives::resolve_all(&[a.clone(), b], &linux())
            .unwrap()
            .noescape,
        ["other"]
    );
    let e = a.resolve(&linux()).unwrap_err();
    assert_eq!(
        e.to_string().lines().next().unwrap(),
        "a.h:1:15: #cgo noescape other: no matched C function"
    );
}

#[test]
fn what_counts_as_a_directive_line() {
    let text = "#cgoCFLAGS: -DA\n//#cgo CFLAGS: -DB\n \t#cgo\tCFLAGS:\t-DC\r\n#cgo CFLAGS: -DD\r\n#cgo\u{a0}CFLAGS: -DE\n#cgo\u{b}noescape f\n#cgo\u{a0}noescape g\nint f(void);\nint g(void);";
    let p = Preamble::parse("l.h", text);
    let r = p.resolve(&linux()).unwrap();
    assert_eq!(r.cflags, ["-DC", "-DD"]);
    assert_eq!(
        r.noescape,
        ["f"],
        "cmd/cgo accepts ASCII white space (\\v too) after #cgo, but not U+00A0"
    );
}

#[test]
fn strip_directives_keeps_line_numbers() {
    let text = "a\n#cgo CFLAGS: -DX\r\n  #cgo noescape f\nint f(void);\n#cgoX\n";
    let s = strip_directives(text);
    assert_eq!(s, "a\n\r\n\nint f(void);\n#cgoX\n");
    assert_eq!(s.split('\n').count(), text.split('\n').count());
}

#[test]
fn json_output_has_the_eight_keys_and_escapes() {
    let p = Preamble::parse("j.h", "#cgo nocallback f\nvoid f(void);\n");
    let mut r = p.resolve(&linux()).unwrap();
    r.cflags.push("-DA=\"q\\\"".into());
    assert_eq!(
        r.to_json(),
        r#"{"cflags":["-DA=\"q\\\""],"cppflags":[],"cxxflags":[],"fflags":[],"ldflags":[],"pkg_config":[],"noescape":[],"nocallback":["f"]}"#
    );
}

#[test]
fn overrides_come_from_the_given_environment() {
    let p = Preamble::parse("o.h", "#cgo CFLAGS: -fplugin=ok.so\n#cgo LDFLAGS: -lm\n");
    let mut o = linux();
    o.env = Env::from_pairs([
        ("CGO_CFLAGS_ALLOW", "-fplugin=.*"),
        ("CGO_LDFLAGS_DISALLOW", "-lm"),
    ]);
    let e = p.resolve(&o).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(
        e.to_string()
            .contains("o.h:2:15: invalid flag in #cgo LDFLAGS: -lm")
    );
    o.env = Env::from_pairs([("CGO_CFLAGS_ALLOW", "(")]);
    let e = p.resolve(&o).unwrap_err();
    assert_eq!(e.0[0].kind, ErrorKind::BadOverride);
    assert!(e.0[0].message.starts_with("parsing $CGO_CFLAGS_ALLOW: "));
}

/// xorshift64*: deterministic pseudo-random inputs, no dependency.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn parser_never_panics_on_generated_input() {
    const PIECES: &[&str] = &[
        "#cgo",
        " ",
        "\t",
        "\n",
        "\r\n",
        "CFLAGS",
        "LDFLAGS",
        "pkg-config",
        "noescape",
        "nocallback",
        ":",
        "'",
        "\"",
        "\\",
        "${SRCDIR}",
        "-I",
        "-D",
        "@",
        "-Wl,",
        ",",
        "linux",
        "!",
        "&&",
        "||",
        "(",
        ")",
        "int f(void);",
        "{",
        "}",
        "/*",
        "*/",
        "//",
        "#define X \\",
        "é",
        "\u{a0}",
        "extern \"C\" {",
        "-l",
        "x",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let n = if cfg!(miri) { 30 } else { 3000 };
    for _ in 0..n {
        let len = (rng(&mut seed) % 40) as usize;
        let text: String = (0..len)
            .map(|_| PIECES[(rng(&mut seed) % PIECES.len() as u64) as usize])
            .collect();
        let p = Preamble::parse("gen.h", &text);
        let (_r, errors) = collect_all(std::slice::from_ref(&p), &linux());
        for e in errors {
            let _ = e.to_string();
        }
    }
}
