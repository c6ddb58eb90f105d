//! Shared test helpers: a tiny reader for the vector files' TOML shape, and the per-section
//! checks the generated vector tests call.

#![allow(dead_code)] // each test binary uses a different subset

pub const FLAGS_TOML: &str = include_str!("../../../../shared/vectors/directives-flags.toml");
pub const PARSE_TOML: &str = include_str!("../../../../shared/vectors/directives-parse.toml");

/// How a string appears as a Rust/JSON literal in the generated tables.
pub fn rust_str_literal(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

pub mod toml {
    //! Reads exactly the shape of the vector files: comments, `[[section]]` headers, and
    //! `key = value` lines whose value is a basic string, a boolean, an array of strings, or an
    //! inline table of strings. Anything else panics (this is a test helper: loud is right).

    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Str(String),
        Bool(bool),
        Array(Vec<String>),
        Table(Vec<(String, String)>),
    }

    #[derive(Debug, Clone)]
    pub struct Entry {
        pub section: String,
        pub fields: Vec<(String, Value)>,
    }

    impl Entry {
        pub fn get(&self, k: &str) -> Option<&Value> {
            self.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v)
        }
        pub fn string(&self, k: &str) -> String {
            match self.get(k) {
                Some(Value::Str(s)) => s.clone(),
                v => panic!("{k}: expected string, got {v:?}"),
            }
        }
        pub fn bool(&self, k: &str) -> bool {
            match self.get(k) {
                Some(Value::Bool(b)) => *b,
                v => panic!("{k}: expected bool, got {v:?}"),
            }
        }
        pub fn strings(&self, k: &str) -> Vec<String> {
            match self.get(k) {
                Some(Value::Array(a)) => a.clone(),
                v => panic!("{k}: expected array, got {v:?}"),
            }
        }
    }

    pub fn parse(text: &str) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(sec) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
                out.push(Entry {
                    section: sec.to_owned(),
                    fields: Vec::new(),
                });
                continue;
            }
            let (k, v) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("line {}: {line}", n + 1));
            let mut p = Cursor { s: v.trim(), i: 0 };
            let value = p.value();
            out.last_mut()
                .expect("key before any section")
                .fields
                .push((k.trim().to_owned(), value));
        }
        out
    }

    struct Cursor<'a> {
        s: &'a str,
        i: usize,
    }

    impl Cursor<'_> {
        fn peek(&self) -> Option<char> {
            self.s[self.i..].chars().next()
        }
        fn ws(&mut self) {
            while self.peek().is_some_and(|c| c == ' ') {
                self.i += 1;
            }
        }
        fn eat(&mut self, c: char) {
            self.ws();
            assert_eq!(self.peek(), Some(c), "in {:?} at {}", self.s, self.i);
            self.i += c.len_utf8();
        }
        fn value(&mut self) -> Value {
            self.ws();
            match self.peek() {
                Some('"') => Value::Str(self.string()),
                Some('[') => {
                    self.eat('[');
                    let mut a = Vec::new();
                    loop {
                        self.ws();
                        if self.peek() == Some(']') {
                            self.i += 1;
                            break;
                        }
                        a.push(self.string());
                        self.ws();
                        if self.peek() == Some(',') {
                            self.i += 1;
                        }
                    }
                    Value::Array(a)
                }
                Some('{') => {
                    self.eat('{');
                    let mut t = Vec::new();
                    loop {
                        self.ws();
                        if self.peek() == Some('}') {
                            self.i += 1;
                            break;
                        }
                        let rest = &self.s[self.i..];
                        let k = rest.split('=').next().unwrap().trim().to_owned();
                        self.i += rest.find('=').unwrap() + 1;
                        self.ws();
                        t.push((k, self.string()));
                        self.ws();
                        if self.peek() == Some(',') {
                            self.i += 1;
                        }
                    }
                    Value::Table(t)
                }
                _ if self.s[self.i..].starts_with("true") => Value::Bool(true),
                _ if self.s[self.i..].starts_with("false") => Value::Bool(false),
                _ => panic!("unsupported value {:?}", &self.s[self.i..]),
            }
        }
        fn string(&mut self) -> String {
            self.eat('"');
            let mut o = String::new();
            let mut chars = self.s[self.i..].char_indices();
            while let Some((j, c)) = chars.next() {
                match c {
                    '"' => {
                        self.i += j + 1;
                        return o;
                    }
                    '\\' => {
                        let (_, e) = chars.next().expect("escape");
                        match e {
                            'n' => o.push('\n'),
                            't' => o.push('\t'),
                            '"' => o.push('"'),
                            '\\' => o.push('\\'),
                            'u' => {
                                let hex: String = (0..4).map(|_| chars.next().unwrap().1).collect();
                                o.push(
                                    char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                                );
                            }
                            e => panic!("unsupported escape \\{e}"),
                        }
                    }
                    c => o.push(c),
                }
            }
            panic!("unterminated string in {:?}", self.s)
        }
    }
}

pub mod flags {
    //! Checks for the flag vectors.
    pub use directives::flags::{
        FlagClass, Overrides, check_compiler_flags_for_internal_link, check_flags,
    };

    fn owned(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    pub fn compiler(args: &[&str], ok: bool) {
        let r = check_flags(
            FlagClass::Compiler,
            "test",
            &owned(args),
            &Overrides::none(),
        );
        assert_eq!(r.is_ok(), ok, "compiler {args:?}: {r:?}");
        if let Err(e) = r {
            assert!(
                e.message.starts_with("invalid flag in test: "),
                "{}",
                e.message
            );
            assert!(
                e.message.ends_with("(see https://go.dev/s/invalidflag)"),
                "{}",
                e.message
            );
        }
    }

    pub fn linker(args: &[&str], ok: bool) {
        let r = check_flags(FlagClass::Linker, "test", &owned(args), &Overrides::none());
        assert_eq!(r.is_ok(), ok, "linker {args:?}: {r:?}");
    }

    pub fn internal_link(args: &[&str], ok: bool) {
        let r = check_compiler_flags_for_internal_link("test", &owned(args));
        assert_eq!(r.is_ok(), ok, "internal link {args:?}: {r:?}");
    }

    pub fn allow_disallow(
        var: &str,
        allow: Option<&str>,
        disallow: Option<&str>,
        args: &[&str],
        ok: bool,
    ) {
        let o = Overrides::from_patterns(var, allow, disallow).expect("vector regexps compile");
        let r = check_flags(FlagClass::Compiler, "test", &owned(args), &o);
        assert_eq!(
            r.is_ok(),
            ok,
            "allow={allow:?} disallow={disallow:?} {args:?}: {r:?}"
        );
    }

    /// Declares one named test calling the check `$kind` with the vector's fields.
    #[macro_export]
    macro_rules! vector {
        ($name:ident, $kind:ident, $($arg:expr),* $(,)?) => {
            #[test]
            fn $name() {
                $kind($($arg),*);
            }
        };
    }
}

pub mod parse {
    //! Checks for the parse vectors.
    use std::collections::BTreeSet;

    use directives::constraint::Context;
    use directives::{Env, Preamble, ResolveOptions, Verb, collect_all, expand_src_dir};

    /// The package directory used for `{srcdir}` in the cgo_line vectors.
    pub const SRCDIR: &str = "/work/pkg/x";

    pub fn expand_srcdir(input: &str, srcdir: &str, expected: &str, ok: bool) {
        assert_eq!(expand_src_dir(input, srcdir), (expected.to_owned(), ok));
    }

    fn set(a: &[&str]) -> BTreeSet<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    pub fn match_expr(
        goos: &str,
        goarch: &str,
        cgo: bool,
        tags: &[&str],
        expr: &str,
        want: bool,
        consulted: &[&str],
    ) {
        let mut c = Context::for_go(goos, goarch).with_tags(tags.iter().copied());
        c.cgo_enabled = cgo;
        let mut seen = BTreeSet::new();
        assert_eq!(c.match_auto(expr, Some(&mut seen)), want, "{expr}");
        assert_eq!(seen, set(consulted));
    }

    pub fn should_build(
        tags: &[&str],
        cgo: bool,
        content: &str,
        want: bool,
        binary_only: bool,
        consulted: &[&str],
    ) {
        // Go's test context: BuildTags only, GOOS/GOARCH/compiler empty, no release tags.
        let c = Context {
            goos: String::new(),
            goarch: String::new(),
            rust_names: Vec::new(),
            cgo_enabled: cgo,
            tags: tags.iter().map(|s| s.to_string()).collect(),
            compiler: String::new(),
            release_tags: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        let r = c
            .should_build(content, Some(&mut seen))
            .expect("header parses");
        assert_eq!((r.build, r.binary_only), (want, binary_only));
        assert_eq!(seen, set(consulted));
    }

    fn options() -> ResolveOptions {
        let mut o = ResolveOptions::new(Context::for_go("linux", "amd64"));
        o.srcdir = SRCDIR.to_owned();
        o.env = Env::from_pairs::<_, String, String>([]);
        o
    }

    fn subst(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.replace("{srcdir}", SRCDIR)).collect()
    }

    pub fn cgo_line(
        preamble: &[&str],
        cflags: Option<&[&str]>,
        ldflags: Option<&[&str]>,
        pkg_config: Option<&[&str]>,
        ok: bool,
        error: &str,
    ) {
        let text = preamble.join("\n");
        let p = Preamble::parse("x.go", &text);
        let (r, errors) = collect_all(std::slice::from_ref(&p), &options());
        if let Some(f) = cflags {
            assert_eq!(r.cflags, subst(f));
        }
        if let Some(f) = ldflags {
            assert_eq!(r.ldflags, subst(f));
        }
        if let Some(f) = pkg_config {
            assert_eq!(r.pkg_config, subst(f));
        }
        assert_eq!(errors.is_empty(), ok, "{errors:?}");
        if !ok {
            let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            assert!(
                all.iter().any(|e| e.contains(error)),
                "want {error:?} in {all:#?}"
            );
            // Every diagnostic points into the preamble with a caret.
            for e in &errors {
                let loc = e.location.as_ref().expect("location");
                assert_eq!(&*loc.file, "x.go");
                assert!(e.caret().is_some());
            }
        }
    }

    pub fn env_flags(env: &[(&str, &str)], preamble: &[&str], ok: bool, contains: &str) {
        let mut o = options();
        o.env = Env::from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let p = Preamble::parse("x.go", &preamble.join("\n"));
        let r = p.resolve(&o);
        assert_eq!(r.is_ok(), ok);
        let mut command = directives::env_flags(&o.env, Verb::CFlags).expect("env splits");
        command.extend(r.unwrap().cflags);
        assert!(command.iter().any(|f| f == contains), "{command:?}");
    }

    pub fn go_directive(file: &str, content: &str, ok: bool, error: &str) {
        let r = directives::gofile::check_go_package(&[(file, content)]);
        assert_eq!(r.is_ok(), ok);
        if let Err(e) = r {
            let s = e.to_string();
            assert!(s.contains(error), "{s}");
            if file == "x.go" {
                // error_regexp: //go:cgo_ldflag .* only allowed in cgo-generated code
                let i = s.find("//go:cgo_ldflag ").expect("directive named");
                assert!(
                    s[i..].contains(" only allowed in cgo-generated code"),
                    "{s}"
                );
            }
        }
    }

    pub fn cgo_directive(preamble: &[&str], ok: bool, error: &str) {
        let p = Preamble::parse("x.go", &preamble.join("\n"));
        let r = p.resolve(&options());
        assert_eq!(r.is_ok(), ok);
        if let Err(e) = r {
            assert!(e.to_string().contains(error), "{e}");
        }
    }
}
