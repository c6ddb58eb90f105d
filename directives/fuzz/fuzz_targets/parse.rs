//! Fuzzes the whole text pipeline: `#cgo` line parsing, C function scanning, condition
//! evaluation (both syntaxes), quoting, `${SRCDIR}` expansion and the flag checks.
//! The property: nothing panics, and diagnostics always carry a position inside the input.
#![no_main]

use directives::constraint::{Context, parse_go_build, parse_plus_build};
use directives::flags::{FlagClass, Overrides, builtin_allow_patterns, builtin_allows, check_flags_all};
use directives::{Env, Preamble, ResolveOptions, collect_all, expand_src_dir, split_quoted};
use libfuzzer_sys::fuzz_target;
use regex::Regex;
use std::sync::OnceLock;

/// The built-in allow lists compiled with the `regex` crate: the reference the crate's own
/// matcher is checked against (differential fuzzing).
fn reference(class: FlagClass) -> &'static [Regex] {
    static R: OnceLock<Vec<Vec<Regex>>> = OnceLock::new();
    let all = R.get_or_init(|| {
        [FlagClass::Compiler, FlagClass::Linker, FlagClass::PkgConfig]
            .iter()
            .map(|c| builtin_allow_patterns(*c).iter().map(|p| Regex::new(p).expect("pattern")).collect())
            .collect()
    });
    &all[match class {
        FlagClass::Compiler => 0,
        FlagClass::Linker => 1,
        FlagClass::PkgConfig => 2,
    }]
}

/// Go's whole-match test: the leftmost-first match equals `s`, where a failed match reads as the
/// empty string (so an empty `s` is matched by every pattern).
fn reference_allows(class: FlagClass, s: &str) -> bool {
    reference(class).iter().any(|r| match r.find(s) {
        Some(m) => m.start() == 0 && m.end() == s.len(),
        None => s.is_empty(),
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = Preamble::parse("fuzz.h", &text);
    let lines = text.split('\n').count() as u32;
    // Alternate the target with the input's first byte so both spellings get exercised without
    // doubling the cost of every run.
    let ctx = if data.first().is_some_and(|b| b & 1 == 0) {
        Context::for_go("linux", "amd64").with_tags(["foo"])
    } else {
        Context::for_target("aarch64-apple-darwin").expect("known triple")
    };
    {
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
    if let Ok(mut args) = split_quoted(&text) {
        args.truncate(128);
        for a in &args {
            let _ = expand_src_dir(a, "/p");
        }
        for class in [FlagClass::Compiler, FlagClass::Linker, FlagClass::PkgConfig] {
            let _ = check_flags_all(class, "fuzz", &args, &Overrides::none());
            for a in args.iter().take(16) {
                assert_eq!(builtin_allows(class, a), reference_allows(class, a), "{class:?} {a:?}");
            }
        }
    }
    // Regex compilation is costly: only short inputs are tried as override patterns.
    if text.len() <= 48 {
        let _ = Overrides::from_patterns("CFLAGS", Some(&text), None);
    }
});
