//! Build conditions: Go's `//go:build` and `// +build` syntax, evaluated for a target.
//!
//! A `#cgo` line's conditions are whitespace-separated words; the line applies when any word
//! matches ([`Context::match_auto`]). A word containing `&`, `|`, `(` or `)` is a `//go:build`
//! expression (`linux && !cgo`); otherwise it is a legacy term where `,` is AND and a leading
//! `!` is NOT (`linux,!arm64`). A word that does not parse never matches.

use std::collections::BTreeSet;
use std::fmt;

/// A parsed build-constraint expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A tag name.
    Tag(String),
    /// `!x`
    Not(Box<Expr>),
    /// `x && y`
    And(Box<Expr>, Box<Expr>),
    /// `x || y`
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Evaluates the expression, asking `tag` about each tag name. Both sides of `&&` and `||`
    /// are always evaluated, so `tag` sees every name (Go records them as "consulted").
    pub fn eval(&self, tag: &mut dyn FnMut(&str) -> bool) -> bool {
        match self {
            Expr::Tag(t) => tag(t),
            Expr::Not(x) => !x.eval(tag),
            Expr::And(x, y) => {
                let a = x.eval(tag);
                let b = y.eval(tag);
                a && b
            }
            Expr::Or(x, y) => {
                let a = x.eval(tag);
                let b = y.eval(tag);
                a || b
            }
        }
    }
}

/// A syntax error in a build-constraint expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset in the expression text.
    pub offset: usize,
    /// What is wrong (Go's wording).
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// Go's limit on the number of terms of one `//go:build` expression.
const MAX_SIZE: usize = 1000;
/// Go's limit on the number of operators of one `// +build` line.
const MAX_OLD_SIZE: usize = 100;

/// Parses a whole constraint line: `//go:build <expr>` or `// +build <terms>`.
///
/// # Errors
/// A [`SyntaxError`] for a bad expression, or for a line that is neither form.
///
/// # References
/// Go `go/build/constraint/expr.go`, `Parse`.
pub fn parse_line(line: &str) -> Result<Expr, SyntaxError> {
    if let Some(text) = split_go_build(line) {
        return parse_go_build(text);
    }
    if let Some(text) = split_plus_build(line) {
        return parse_plus_build(text);
    }
    Err(SyntaxError {
        offset: 0,
        message: "not a build constraint".into(),
    })
}

fn trim_one_newline(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    (!line.contains('\n')).then_some(line)
}

/// The expression part of a `//go:build` line, if it is one.
fn split_go_build(line: &str) -> Option<&str> {
    let line = trim_one_newline(line)?;
    if !line.starts_with("//go:build") {
        return None;
    }
    let rest = &line.trim()["//go:build".len()..];
    let trimmed = rest.trim();
    if rest.len() == trimmed.len() && !rest.is_empty() {
        return None; // `//go:buildx`
    }
    Some(trimmed)
}

/// The terms of a `// +build` line, if it is one.
fn split_plus_build(line: &str) -> Option<&str> {
    let line = trim_one_newline(line)?;
    let rest = line.strip_prefix("//")?.trim();
    let rest = rest.strip_prefix("+build")?;
    let trimmed = rest.trim();
    if rest.len() == trimmed.len() && !rest.is_empty() {
        return None;
    }
    Some(trimmed)
}

fn is_tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c == '_' || c == '.'
}

fn is_valid_tag(word: &str) -> bool {
    !word.is_empty() && word.chars().all(is_tag_char)
}

/// Parses a legacy `// +build` term list: spaces are OR, `,` is AND, a leading `!` is NOT.
/// Malformed terms become the tag `ignore` (never set), as in Go.
///
/// # Errors
/// More than 100 operators (`expression too complex for // +build lines`).
///
/// # References
/// Go `go/build/constraint/expr.go`, `parsePlusBuildExpr`.
pub fn parse_plus_build(text: &str) -> Result<Expr, SyntaxError> {
    let mut size = 0usize;
    let mut too_complex = || {
        size += 1;
        if size > MAX_OLD_SIZE {
            Err(SyntaxError {
                offset: 0,
                message: "expression too complex for // +build lines".into(),
            })
        } else {
            Ok(())
        }
    };
    let ignore = || Expr::Tag("ignore".into());
    let mut x: Option<Expr> = None;
    for clause in text.split_whitespace() {
        let mut y: Option<Expr> = None;
        for lit in clause.split(',') {
            let z = if lit.starts_with("!!") || lit == "!" {
                ignore()
            } else {
                let (neg, name) = match lit.strip_prefix('!') {
                    Some(n) => (true, n),
                    None => (false, lit),
                };
                let t = if is_valid_tag(name) {
                    Expr::Tag(name.into())
                } else {
                    ignore()
                };
                if neg { Expr::Not(Box::new(t)) } else { t }
            };
            y = Some(match y {
                None => z,
                Some(y) => {
                    too_complex()?;
                    Expr::And(Box::new(y), Box::new(z))
                }
            });
        }
        let y = y.unwrap_or_else(ignore);
        x = Some(match x {
            None => y,
            Some(x) => {
                too_complex()?;
                Expr::Or(Box::new(x), Box::new(y))
            }
        });
    }
    Ok(x.unwrap_or_else(ignore))
}

/// Parses a `//go:build` expression (`&&`, `||`, `!`, parentheses).
///
/// # Errors
/// A [`SyntaxError`] with Go's messages (`unexpected token`, `missing close paren`,
/// `double negation not allowed`, `build expression too large`, ...).
///
/// # References
/// Go `go/build/constraint/expr.go`, `parseExpr`.
pub fn parse_go_build(text: &str) -> Result<Expr, SyntaxError> {
    // An explicit-stack (shunting-yard) parser: deeply nested parentheses cannot exhaust the
    // thread's stack. Precedence: `!` > `&&` > `||`, both binary operators left-associative.
    enum Op {
        Paren(usize),
        Not,
        And,
        Or,
    }
    fn reduce(vals: &mut Vec<Expr>, op: &Op) {
        let y = vals.pop();
        let x = vals.pop();
        if let (Some(x), Some(y)) = (x, y) {
            vals.push(match op {
                Op::And => Expr::And(Box::new(x), Box::new(y)),
                _ => Expr::Or(Box::new(x), Box::new(y)),
            });
        }
    }
    fn apply_nots(vals: &mut Vec<Expr>, ops: &mut Vec<Op>) {
        while matches!(ops.last(), Some(Op::Not)) {
            ops.pop();
            if let Some(x) = vals.pop() {
                vals.push(Expr::Not(Box::new(x)));
            }
        }
    }
    let mut p = ExprParser {
        s: text,
        i: 0,
        tok: "",
        is_tag: false,
        pos: 0,
        size: 0,
    };
    let mut vals: Vec<Expr> = Vec::new();
    let mut ops: Vec<Op> = Vec::new();
    let in_paren = |ops: &Vec<Op>| {
        ops.iter()
            .rev()
            .find_map(|o| if let Op::Paren(p) = o { Some(*p) } else { None })
    };
    'operand: loop {
        // Expecting an operand: `!`? then `(` or a tag.
        p.size += 1;
        if p.size > MAX_SIZE {
            return Err(p.err(p.pos, "build expression too large".into()));
        }
        p.lex()?;
        let mut negated = false;
        if p.tok == "!" {
            p.lex()?;
            if p.tok == "!" {
                return Err(p.err(p.pos, "double negation not allowed".into()));
            }
            negated = true;
        }
        if p.tok == "(" {
            if negated {
                ops.push(Op::Not);
            }
            ops.push(Op::Paren(p.pos));
            continue 'operand;
        }
        if !p.is_tag {
            if p.tok.is_empty() {
                let msg = if in_paren(&ops).is_some() {
                    "missing close paren"
                } else {
                    "unexpected end of expression"
                };
                return Err(p.err(p.pos, msg.into()));
            }
            return Err(p.err(p.pos, format!("unexpected token {}", p.tok)));
        }
        let t = Expr::Tag(p.tok.to_owned());
        vals.push(if negated { Expr::Not(Box::new(t)) } else { t });
        p.lex()?;
        // Expecting an operator, `)` or the end.
        loop {
            match p.tok {
                "&&" => {
                    while matches!(ops.last(), Some(Op::And)) {
                        let op = ops.pop().unwrap_or(Op::And);
                        reduce(&mut vals, &op);
                    }
                    ops.push(Op::And);
                    continue 'operand;
                }
                "||" => {
                    while matches!(ops.last(), Some(Op::And | Op::Or)) {
                        let op = ops.pop().unwrap_or(Op::Or);
                        reduce(&mut vals, &op);
                    }
                    ops.push(Op::Or);
                    continue 'operand;
                }
                ")" if in_paren(&ops).is_some() => {
                    while let Some(op) = ops.pop() {
                        if matches!(op, Op::Paren(_)) {
                            break;
                        }
                        reduce(&mut vals, &op);
                    }
                    apply_nots(&mut vals, &mut ops);
                    p.lex()?;
                }
                _ => {
                    if let Some(pos) = in_paren(&ops) {
                        return Err(p.err(pos, "missing close paren".into()));
                    }
                    if !p.tok.is_empty() {
                        return Err(p.err(p.pos, format!("unexpected token {}", p.tok)));
                    }
                    while let Some(op) = ops.pop() {
                        reduce(&mut vals, &op);
                    }
                    return vals
                        .pop()
                        .ok_or_else(|| p.err(0, "unexpected end of expression".into()));
                }
            }
        }
    }
}

struct ExprParser<'a> {
    s: &'a str,
    i: usize,
    tok: &'a str,
    is_tag: bool,
    pos: usize,
    size: usize,
}

impl<'a> ExprParser<'a> {
    fn err(&self, offset: usize, message: String) -> SyntaxError {
        SyntaxError { offset, message }
    }

    fn lex(&mut self) -> Result<(), SyntaxError> {
        self.is_tag = false;
        let b = self.s.as_bytes();
        while self.i < b.len() && (b[self.i] == b' ' || b[self.i] == b'\t') {
            self.i += 1;
        }
        if self.i >= b.len() {
            self.tok = "";
            self.pos = self.i;
            return Ok(());
        }
        match b[self.i] {
            b'(' | b')' | b'!' => {
                self.pos = self.i;
                self.i += 1;
                self.tok = &self.s[self.pos..self.i];
                return Ok(());
            }
            c @ (b'&' | b'|') => {
                if self.i + 1 >= b.len() || b[self.i + 1] != c {
                    return Err(self.err(self.i, format!("invalid syntax at {}", c as char)));
                }
                self.pos = self.i;
                self.i += 2;
                self.tok = &self.s[self.pos..self.i];
                return Ok(());
            }
            _ => {}
        }
        let rest = &self.s[self.i..];
        let len = rest.find(|c: char| !is_tag_char(c)).unwrap_or(rest.len());
        if len == 0 {
            let c = rest.chars().next().unwrap_or('\u{fffd}');
            return Err(self.err(self.i, format!("invalid syntax at {c}")));
        }
        self.pos = self.i;
        self.i += len;
        self.tok = &self.s[self.pos..self.i];
        self.is_tag = true;
        Ok(())
    }
}

/// Go operating systems matched by the `unix` tag.
const UNIX_GOOS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "linux",
    "netbsd",
    "openbsd",
    "solaris",
];

/// Rust `target_os` name ↔ Go `GOOS` name, where they differ or both exist.
const OS_NAMES: &[(&str, &str)] = &[
    ("linux", "linux"),
    ("android", "android"),
    ("macos", "darwin"),
    ("ios", "ios"),
    ("windows", "windows"),
    ("freebsd", "freebsd"),
    ("netbsd", "netbsd"),
    ("openbsd", "openbsd"),
    ("dragonfly", "dragonfly"),
    ("solaris", "solaris"),
    ("illumos", "illumos"),
    ("aix", "aix"),
    ("hurd", "hurd"),
    ("wasi", "wasip1"),
    ("emscripten", "js"),
];

/// Rust `target_arch` name (plus endianness where Go has two names) ↔ Go `GOARCH` name.
const ARCH_NAMES: &[(&str, bool, &str)] = &[
    // (rust arch, little endian, goarch)
    ("x86_64", true, "amd64"),
    ("x86", true, "386"),
    ("aarch64", true, "arm64"),
    ("aarch64", false, "arm64be"),
    ("arm", true, "arm"),
    ("arm", false, "armbe"),
    ("riscv64", true, "riscv64"),
    ("riscv32", true, "riscv"),
    ("powerpc64", false, "ppc64"),
    ("powerpc64", true, "ppc64le"),
    ("powerpc", false, "ppc"),
    ("mips", false, "mips"),
    ("mips", true, "mipsle"),
    ("mips64", false, "mips64"),
    ("mips64", true, "mips64le"),
    ("s390x", false, "s390x"),
    ("loongarch64", true, "loong64"),
    ("wasm32", true, "wasm"),
    ("sparc64", false, "sparc64"),
    ("sparc", false, "sparc"),
];

/// Maps a Rust `target_os` value to Go's `GOOS` (`macos` → `darwin`, `wasi` → `wasip1`, ...).
/// Names Go does not know are returned unchanged.
pub fn goos_from_rust(target_os: &str) -> &str {
    OS_NAMES
        .iter()
        .find(|(r, _)| *r == target_os)
        .map_or(target_os, |(_, g)| g)
}

/// Maps a Go `GOOS` to Rust's `target_os` (`darwin` → `macos`); unknown names unchanged.
pub fn rust_os_from_goos(goos: &str) -> &str {
    OS_NAMES
        .iter()
        .find(|(_, g)| *g == goos)
        .map_or(goos, |(r, _)| r)
}

/// Maps a Rust `target_arch` (with its endianness) to Go's `GOARCH` (`x86_64` → `amd64`,
/// `aarch64` → `arm64`, `powerpc64` little-endian → `ppc64le`); unknown names unchanged.
pub fn goarch_from_rust(target_arch: &str, little_endian: bool) -> &str {
    ARCH_NAMES
        .iter()
        .find(|(r, le, _)| *r == target_arch && *le == little_endian)
        .or_else(|| ARCH_NAMES.iter().find(|(r, _, _)| *r == target_arch))
        .map_or(target_arch, |(_, _, g)| g)
}

/// Maps a Go `GOARCH` to Rust's `target_arch` (`amd64` → `x86_64`); unknown names unchanged.
pub fn rust_arch_from_goarch(goarch: &str) -> &str {
    ARCH_NAMES
        .iter()
        .find(|(_, _, g)| *g == goarch)
        .map_or(goarch, |(r, _, _)| r)
}

/// The build context `#cgo` conditions are evaluated in: the target (in both Go's and Rust's
/// spelling), whether cgo is enabled, custom tags, the compiler name, Go release tags and Go's
/// default architecture-level tags (`amd64.v1`, `arm64.v8.0`, `riscv64.rva20u64`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// Go `GOOS` (`linux`, `darwin`, `windows`, ...). May be empty.
    pub goos: String,
    /// Go `GOARCH` (`amd64`, `arm64`, `riscv64`, ...). May be empty.
    pub goarch: String,
    /// Rust spellings also accepted for the target (`macos`, `x86_64`, `aarch64`, ...).
    pub rust_names: Vec<String>,
    /// Whether the `cgo` tag is set. True by default: a preamble is being built.
    pub cgo_enabled: bool,
    /// Custom tags (Go's `-tags`).
    pub tags: Vec<String>,
    /// Compiler tag. Go sets `gc`; [`Context`] constructors set `gc` too so Go preambles that
    /// test for it keep working.
    pub compiler: String,
    /// Release tags `go1.1` .. `go1.27`, like Go 1.27's default context.
    pub release_tags: Vec<String>,
}

/// The architecture-level tags Go 1.27 sets by default for `goarch` (its "tool tags" for
/// `GO386=sse2`, `GOAMD64=v1`, `GOARM=7`, `GOARM64=v8.0`, `GOMIPS*=hardfloat`,
/// `GOPPC64=power8`, `GORISCV64=rva20u64`), so `#cgo amd64.v1 ...` matches as in Go. Higher
/// levels (`amd64.v3`) can be set with [`Context::with_tags`]. Go's `goexperiment.*` tool tags
/// describe Go's own toolchain and are not set.
///
/// # References
/// Go `internal/buildcfg/cfg.go`, `gogoarchTags`.
fn arch_level_tags(goarch: &str) -> &'static [&'static str] {
    match goarch {
        "386" => &["386.sse2"],
        "amd64" => &["amd64.v1"],
        "arm" => &["arm.5", "arm.6", "arm.7"],
        "arm64" => &["arm64.v8.0"],
        "mips" => &["mips.hardfloat"],
        "mipsle" => &["mipsle.hardfloat"],
        "mips64" => &["mips64.hardfloat"],
        "mips64le" => &["mips64le.hardfloat"],
        "ppc64" => &["ppc64.power8"],
        "ppc64le" => &["ppc64le.power8"],
        "riscv64" => &["riscv64.rva20u64"],
        "wasm" => &["wasm.satconv", "wasm.signext"],
        _ => &[],
    }
}

/// The Go release this crate mirrors; release tags `go1.1` through this are set.
const GO_MINOR: u32 = 27;

impl Context {
    /// A context for Go names, e.g. `Context::for_go("linux", "amd64")`. The Rust spellings of
    /// the same target are accepted as well.
    pub fn for_go(goos: &str, goarch: &str) -> Context {
        let mut rust_names = Vec::new();
        for n in [rust_os_from_goos(goos), rust_arch_from_goarch(goarch)] {
            if !n.is_empty() && n != goos && n != goarch {
                rust_names.push(n.to_owned());
            }
        }
        Context {
            goos: goos.to_owned(),
            goarch: goarch.to_owned(),
            rust_names,
            cgo_enabled: true,
            tags: Vec::new(),
            compiler: "gc".to_owned(),
            release_tags: (1..=GO_MINOR).map(|m| format!("go1.{m}")).collect(),
        }
    }

    /// A context for Rust `cfg` values (`target_os`, `target_arch`, little-endian?).
    pub fn for_rust(target_os: &str, target_arch: &str, little_endian: bool) -> Context {
        let mut c = Context::for_go(
            goos_from_rust(target_os),
            goarch_from_rust(target_arch, little_endian),
        );
        for n in [target_os, target_arch] {
            if !n.is_empty() && n != c.goos && n != c.goarch && !c.rust_names.iter().any(|x| x == n)
            {
                c.rust_names.push(n.to_owned());
            }
        }
        c
    }

    /// A context for a Rust target triple such as `aarch64-unknown-linux-gnu`,
    /// `x86_64-apple-darwin` or `riscv64gc-unknown-linux-gnu`.
    ///
    /// Returns `None` when the triple has no recognisable architecture.
    pub fn for_target(triple: &str) -> Option<Context> {
        let (os, arch, le) = parse_triple(triple)?;
        Some(Context::for_rust(os, arch, le))
    }

    /// The context of the crate being built, from the variables cargo gives build scripts
    /// (`CARGO_CFG_TARGET_OS`, `CARGO_CFG_TARGET_ARCH`, `CARGO_CFG_TARGET_ENDIAN`, else `TARGET`).
    pub fn from_cargo_env() -> Option<Context> {
        let os = std::env::var("CARGO_CFG_TARGET_OS").ok();
        let arch = std::env::var("CARGO_CFG_TARGET_ARCH").ok();
        if let (Some(os), Some(arch)) = (os, arch) {
            let le = std::env::var("CARGO_CFG_TARGET_ENDIAN").map_or(true, |e| e != "big");
            return Some(Context::for_rust(&os, &arch, le));
        }
        Context::for_target(&std::env::var("TARGET").ok()?)
    }

    /// Adds custom tags (builder style).
    pub fn with_tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Context {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Reports whether one tag name is set for this context, recording it in `consulted`.
    ///
    /// # References
    /// Go `go/build/build.go`, `(*Context).matchTag`.
    pub fn match_tag(&self, name: &str, consulted: Option<&mut BTreeSet<String>>) -> bool {
        if let Some(c) = consulted {
            c.insert(name.to_owned());
        }
        if name.is_empty() {
            return false;
        }
        if self.cgo_enabled && name == "cgo" {
            return true;
        }
        if name == self.goos || name == self.goarch || name == self.compiler {
            return true;
        }
        if self.rust_names.iter().any(|n| n == name) {
            return true;
        }
        match (self.goos.as_str(), name) {
            ("android", "linux")
            | ("illumos", "solaris")
            | ("ios", "darwin")
            | ("ios", "macos") => return true,
            _ => {}
        }
        if name == "unix" && UNIX_GOOS.contains(&self.goos.as_str()) {
            return true;
        }
        let name = if name == "boringcrypto" {
            "goexperiment.boringcrypto"
        } else {
            name
        };
        self.tags.iter().any(|t| t == name)
            || self.release_tags.iter().any(|t| t == name)
            || arch_level_tags(&self.goarch).contains(&name)
    }

    /// Evaluates one `#cgo` condition word: `//go:build` syntax when it contains `&|()`,
    /// legacy `+build` syntax otherwise. A word that fails to parse is false.
    ///
    /// # References
    /// Go `go/build/build.go`, `(*Context).matchAuto`.
    pub fn match_auto(&self, text: &str, mut consulted: Option<&mut BTreeSet<String>>) -> bool {
        let parsed = if text.contains(['&', '|', '(', ')']) {
            parse_line(&format!("//go:build {text}"))
        } else {
            parse_line(&format!("// +build {text}"))
        };
        match parsed {
            Ok(x) => x.eval(&mut |t| self.match_tag(t, consulted.as_deref_mut())),
            Err(_) => false,
        }
    }

    /// Whole-file constraint evaluation over a Go file's header: reports whether the file is
    /// built and whether it carries `//go:binary-only-package`.
    ///
    /// # Errors
    /// Several `//go:build` lines, or a `//go:build` line that does not parse.
    ///
    /// # References
    /// Go `go/build/build.go`, `(*Context).shouldBuild` and `parseFileHeader`.
    pub fn should_build(
        &self,
        content: &str,
        mut consulted: Option<&mut BTreeSet<String>>,
    ) -> Result<ShouldBuild, SyntaxError> {
        let header = parse_file_header(content)?;
        let build = if let Some(gb) = header.go_build {
            let x = parse_line(gb).map_err(|e| SyntaxError {
                offset: e.offset,
                message: format!("parsing //go:build line: {e}"),
            })?;
            x.eval(&mut |t| self.match_tag(t, consulted.as_deref_mut()))
        } else {
            let mut ok = true;
            for line in header.trimmed.split('\n') {
                let line = line.trim();
                if !line.starts_with("//")
                    || !line.contains("+build")
                    || split_plus_build(line).is_none()
                {
                    continue;
                }
                if let Ok(x) = parse_line(line) {
                    if !x.eval(&mut |t| self.match_tag(t, consulted.as_deref_mut())) {
                        ok = false;
                    }
                }
            }
            ok
        };
        Ok(ShouldBuild {
            build,
            binary_only: header.binary_only,
        })
    }
}

/// Result of [`Context::should_build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShouldBuild {
    /// The file's constraints are satisfied.
    pub build: bool,
    /// The header has `//go:binary-only-package`.
    pub binary_only: bool,
}

struct FileHeader<'a> {
    trimmed: &'a str,
    go_build: Option<&'a str>,
    binary_only: bool,
}

fn is_go_build_comment(line: &str) -> bool {
    match line.strip_prefix("//go:build") {
        None => false,
        Some(rest) => rest.is_empty() || rest.trim_start().len() < rest.len(),
    }
}

fn parse_file_header(content: &str) -> Result<FileHeader<'_>, SyntaxError> {
    let mut end = 0;
    let mut ended = false;
    let mut in_slash_star = false;
    let mut go_build = None;
    let mut binary_only = false;
    let mut rest = content;
    'lines: while !rest.is_empty() {
        let raw;
        (raw, rest) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let mut line = raw.trim();
        if line.is_empty() && !ended {
            end = content.len() - rest.len();
            continue;
        }
        if !line.starts_with("//") {
            ended = true;
        }
        if !in_slash_star && is_go_build_comment(line) {
            if go_build.is_some() {
                return Err(SyntaxError {
                    offset: 0,
                    message: "multiple //go:build comments".into(),
                });
            }
            go_build = Some(line);
        }
        if !in_slash_star && line == "//go:binary-only-package" {
            binary_only = true;
        }
        while !line.is_empty() {
            if in_slash_star {
                match line.find("*/") {
                    Some(i) => {
                        in_slash_star = false;
                        line = line[i + 2..].trim();
                        continue;
                    }
                    None => continue 'lines,
                }
            }
            if line.starts_with("//") {
                continue 'lines;
            }
            if let Some(r) = line.strip_prefix("/*") {
                in_slash_star = true;
                line = r.trim();
                continue;
            }
            break 'lines;
        }
    }
    Ok(FileHeader {
        trimmed: &content[..end],
        go_build,
        binary_only,
    })
}

/// Splits a Rust target triple into (`target_os`, `target_arch`, little-endian).
fn parse_triple(triple: &str) -> Option<(&'static str, &'static str, bool)> {
    let mut parts = triple.split('-');
    let arch_part = parts.next()?;
    let (arch, le): (&'static str, bool) = match arch_part {
        "x86_64" | "x86_64h" => ("x86_64", true),
        a if a.starts_with('i') && a.ends_with("86") && a.len() == 4 => ("x86", true),
        "aarch64" | "arm64" | "arm64e" => ("aarch64", true),
        "aarch64_be" => ("aarch64", false),
        a if a.starts_with("riscv64") => ("riscv64", true),
        a if a.starts_with("riscv32") => ("riscv32", true),
        a if a.starts_with("armeb") => ("arm", false),
        a if a.starts_with("arm") || a.starts_with("thumb") => ("arm", true),
        "powerpc64le" => ("powerpc64", true),
        "powerpc64" => ("powerpc64", false),
        "powerpc" => ("powerpc", false),
        "mips64el" | "mipsisa64r6el" => ("mips64", true),
        "mips64" | "mipsisa64r6" => ("mips64", false),
        "mipsel" | "mipsisa32r6el" => ("mips", true),
        "mips" | "mipsisa32r6" => ("mips", false),
        "s390x" => ("s390x", false),
        "loongarch64" => ("loongarch64", true),
        "wasm32" => ("wasm32", true),
        "sparc64" | "sparcv9" => ("sparc64", false),
        "sparc" => ("sparc", false),
        _ => return None,
    };
    let rest: Vec<&str> = parts.collect();
    let has = |s: &str| rest.iter().any(|p| p.starts_with(s));
    let os = if has("android") {
        "android"
    } else if has("linux") {
        "linux"
    } else if has("darwin") || has("macos") {
        "macos"
    } else if has("ios") {
        "ios"
    } else if has("windows") {
        "windows"
    } else if has("freebsd") {
        "freebsd"
    } else if has("netbsd") {
        "netbsd"
    } else if has("openbsd") {
        "openbsd"
    } else if has("dragonfly") {
        "dragonfly"
    } else if has("solaris") {
        "solaris"
    } else if has("illumos") {
        "illumos"
    } else if has("aix") {
        "aix"
    } else if has("hurd") {
        "hurd"
    } else if has("wasi") {
        "wasi"
    } else if has("emscripten") {
        "emscripten"
    } else {
        "none"
    };
    Some((os, arch, le))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triples_map_to_go_names() {
        let cases = [
            ("x86_64-unknown-linux-gnu", "linux", "amd64"),
            ("aarch64-unknown-linux-gnu", "linux", "arm64"),
            ("riscv64gc-unknown-linux-gnu", "linux", "riscv64"),
            ("x86_64-apple-darwin", "darwin", "amd64"),
            ("aarch64-apple-darwin", "darwin", "arm64"),
            ("x86_64-pc-windows-gnu", "windows", "amd64"),
            ("i686-pc-windows-msvc", "windows", "386"),
            ("armv7-unknown-linux-gnueabihf", "linux", "arm"),
            ("aarch64-linux-android", "android", "arm64"),
            ("powerpc64le-unknown-linux-gnu", "linux", "ppc64le"),
            ("powerpc64-unknown-linux-gnu", "linux", "ppc64"),
            ("mipsel-unknown-linux-gnu", "linux", "mipsle"),
            ("loongarch64-unknown-linux-gnu", "linux", "loong64"),
            ("s390x-unknown-linux-gnu", "linux", "s390x"),
            ("wasm32-wasip1", "wasip1", "wasm"),
            ("x86_64-unknown-illumos", "illumos", "amd64"),
        ];
        for (t, os, arch) in cases {
            let c = Context::for_target(t).unwrap();
            assert_eq!((c.goos.as_str(), c.goarch.as_str()), (os, arch), "{t}");
        }
        assert!(Context::for_target("nonsense").is_none());
    }

    #[test]
    fn both_spellings_match() {
        let c = Context::for_target("aarch64-apple-darwin").unwrap();
        for t in [
            "darwin", "macos", "arm64", "aarch64", "unix", "cgo", "gc", "go1.21",
        ] {
            assert!(c.match_tag(t, None), "{t}");
        }
        for t in [
            "linux", "amd64", "x86_64", "windows", "ios", "go1.28", "", "ignore",
        ] {
            assert!(!c.match_tag(t, None), "{t}");
        }
        let g = Context::for_go("linux", "amd64");
        assert!(g.match_tag("x86_64", None) && g.match_tag("amd64", None));
        let a = Context::for_go("android", "arm64");
        assert!(a.match_tag("linux", None) && a.match_tag("unix", None));
        assert!(!Context::for_go("windows", "amd64").match_tag("unix", None));
    }

    #[test]
    fn match_auto_both_syntaxes() {
        let c = Context::for_go("linux", "amd64").with_tags(["foo"]);
        assert!(c.match_auto("linux,amd64,foo", None));
        assert!(!c.match_auto("linux,!foo", None));
        assert!(c.match_auto("linux&&(arm64||amd64)", None));
        assert!(c.match_auto("!windows&&!darwin", None));
        assert!(!c.match_auto("linux&&", None), "syntax error is no match");
        assert!(
            !c.match_auto("!!linux", None),
            "double negation is the never-set `ignore` tag"
        );
        assert!(!c.match_auto("linux&&!!amd64", None));
        assert!(!c.match_auto("linux&amd64", None));
    }

    #[test]
    fn go_build_parser_errors() {
        for (text, msg) in [
            ("", "unexpected end of expression"),
            ("(a", "missing close paren"),
            ("a b", "unexpected token b"),
            ("!!a", "double negation not allowed"),
            ("a & b", "invalid syntax at &"),
            ("a && $", "invalid syntax at $"),
            (")", "unexpected token )"),
        ] {
            assert_eq!(parse_go_build(text).unwrap_err().message, msg, "{text}");
        }
        let big = vec!["a"; 1001].join("&&");
        assert_eq!(
            parse_go_build(&big).unwrap_err().message,
            "build expression too large"
        );
        let deep = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
        assert!(parse_go_build(&deep).is_err());
    }

    #[test]
    fn plus_build_too_complex() {
        let t = vec!["a"; 102].join(",");
        assert!(parse_plus_build(&t).is_err());
        assert!(parse_plus_build(&vec!["a"; 50].join(",")).is_ok());
    }
}
