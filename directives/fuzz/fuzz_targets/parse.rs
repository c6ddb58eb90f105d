//! Fuzzes the whole text pipeline: `#cgo` line parsing, C function scanning, condition
//! evaluation (both syntaxes), quoting, `${SRCDIR}` expansion and the flag checks.
//! The property: nothing panics, and diagnostics always carry a position inside the input.
#![no_main]

use directives::constraint::{Context, parse_go_build, parse_plus_build};
use directives::flags::{FlagClass, Overrides, check_flags_all};
use directives::{Env, Preamble, ResolveOptions, collect_all, expand_src_dir, split_quoted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = Preamble::parse("fuzz.h", &text);
    let lines = text.split('\n').count() as u32;
    for ctx in [
        Context::for_go("linux", "amd64").with_tags(["foo"]),
        Context::for_target("aarch64-apple-darwin").unwrap(),
    ] {
        let mut o = ResolveOptions::new(ctx);
        o.srcdir = "/src/dir [x]".into();
        o.env = Env::from_pairs([("CGO_CFLAGS_ALLOW", "-fplugin=.*"), ("CGO_LDFLAGS_DISALLOW", "-lbad")]);
        let (_r, errors) = collect_all(std::slice::from_ref(&p), &o);
        for e in &errors {
            let _ = e.to_string();
            if let Some(l) = &e.location {
                assert!(l.line >= 1 && l.line <= lines, "{e:?}");
                assert!(l.column >= 1);
            }
        }
    }
    let _ = parse_go_build(&text);
    let _ = parse_plus_build(&text);
    let c = Context::for_go("linux", "riscv64");
    let _ = c.should_build(&text, None);
    for word in text.split_whitespace().take(64) {
        let _ = c.match_auto(word, None);
    }
    if let Ok(args) = split_quoted(&text) {
        for a in &args {
            let _ = expand_src_dir(a, "/p");
        }
        for class in [FlagClass::Compiler, FlagClass::Linker, FlagClass::PkgConfig] {
            let _ = check_flags_all(class, "fuzz", &args, &Overrides::none());
        }
    }
    // Regex compilation is costly: only short inputs are tried as override patterns.
    if text.len() <= 48 {
        let _ = Overrides::from_patterns("CFLAGS", Some(&text), None);
    }
});
