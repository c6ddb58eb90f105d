//! Finding and parsing `#cgo` lines, and resolving them for a target.

use std::collections::BTreeMap;
use std::fmt;

use crate::args::{SplitError, expand_src_dir, make_paths_absolute, split_quoted_spans};
use crate::cfunc::scan_c_functions;
use crate::constraint::Context;
use crate::diag::{Diagnostic, ErrorKind, Errors, Location};
use crate::flags::{FlagClass, Overrides, check_flags_all, safe_arg};

/// The variable a `#cgo` flags line sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// `CFLAGS`: C compiler flags.
    CFlags,
    /// `CPPFLAGS`: C preprocessor flags (C and C++).
    CppFlags,
    /// `CXXFLAGS`: C++ compiler flags.
    CxxFlags,
    /// `FFLAGS`: Fortran compiler flags.
    FFlags,
    /// `LDFLAGS`: linker flags.
    LdFlags,
    /// `pkg-config`: packages (and pkg-config options) whose flags are added.
    PkgConfig,
}

impl Verb {
    /// All verbs, in Go's order.
    pub const ALL: [Verb; 6] = [
        Verb::CFlags,
        Verb::CppFlags,
        Verb::CxxFlags,
        Verb::FFlags,
        Verb::LdFlags,
        Verb::PkgConfig,
    ];

    /// Parses a verb; case-sensitive, as in Go.
    pub fn from_name(s: &str) -> Option<Verb> {
        Some(match s {
            "CFLAGS" => Verb::CFlags,
            "CPPFLAGS" => Verb::CppFlags,
            "CXXFLAGS" => Verb::CxxFlags,
            "FFLAGS" => Verb::FFlags,
            "LDFLAGS" => Verb::LdFlags,
            "pkg-config" => Verb::PkgConfig,
            _ => return None,
        })
    }

    /// The verb as written in a `#cgo` line.
    pub fn name(self) -> &'static str {
        match self {
            Verb::CFlags => "CFLAGS",
            Verb::CppFlags => "CPPFLAGS",
            Verb::CxxFlags => "CXXFLAGS",
            Verb::FFlags => "FFLAGS",
            Verb::LdFlags => "LDFLAGS",
            Verb::PkgConfig => "pkg-config",
        }
    }

    /// The allow list that applies to the verb's flags.
    pub fn flag_class(self) -> FlagClass {
        match self {
            Verb::LdFlags => FlagClass::Linker,
            Verb::PkgConfig => FlagClass::PkgConfig,
            _ => FlagClass::Compiler,
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One argument of a `#cgo` line, as split (before `${SRCDIR}` expansion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The argument with quotes and escapes removed.
    pub value: String,
    /// 1-based column (in characters) where the argument starts in its line.
    pub column: u32,
}

/// A `#cgo [conditions] VERB: args` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagsLine {
    /// Condition words; the line applies when any matches (none: always).
    pub conditions: Vec<String>,
    /// The verb as written (validated only when the conditions match, as in Go).
    pub verb: String,
    /// The split arguments, or why they could not be split.
    pub args: Result<Vec<Arg>, SplitError>,
    /// 1-based column of the verb.
    pub verb_column: u32,
    /// 1-based column where the argument text starts (after the colon).
    pub args_column: u32,
}

impl FlagsLine {
    /// The parsed verb, if it is one of the six known ones.
    pub fn verb(&self) -> Option<Verb> {
        Verb::from_name(&self.verb)
    }
}

/// What a `#cgo` line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    /// A flags or pkg-config line.
    Flags(FlagsLine),
    /// `#cgo noescape NAME`: the C function does not keep its pointer arguments.
    NoEscape {
        /// The function name.
        name: String,
        /// 1-based column of the name.
        column: u32,
    },
    /// `#cgo nocallback NAME`: the C function never calls back into Rust.
    NoCallback {
        /// The function name.
        name: String,
        /// 1-based column of the name.
        column: u32,
    },
}

/// One `#cgo` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Where the line's `#cgo` starts.
    pub location: Location,
    /// The whole source line (without its terminator), for messages.
    pub line_text: String,
    /// What it says.
    pub kind: DirectiveKind,
}

/// A parsed preamble: its `#cgo` lines, the C functions it declares, and the syntax errors
/// found. Parsing never fails and never panics; errors that depend on the target (an unknown
/// verb or bad quoting under a false condition is not an error, as in Go) are reported by
/// [`resolve`](Preamble::resolve).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preamble {
    /// The file name used in messages.
    pub file: std::sync::Arc<str>,
    /// The `#cgo` lines, in order.
    pub directives: Vec<Directive>,
    /// Names of C functions declared or defined at file scope (for `noescape`/`nocallback`).
    pub c_functions: Vec<String>,
    /// Syntax errors (`invalid #cgo line`), in order.
    pub errors: Vec<Diagnostic>,
}

fn col_of(line: &str, byte: usize) -> u32 {
    if line.is_ascii() {
        return u32::try_from(byte.min(line.len()) + 1).unwrap_or(u32::MAX);
    }
    let mut b = byte.min(line.len());
    while !line.is_char_boundary(b) {
        b -= 1;
    }
    u32::try_from(line[..b].chars().count() + 1).unwrap_or(u32::MAX)
}

fn line_no(n: usize) -> u32 {
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

impl Preamble {
    /// Parses preamble text: a C header or source file, or the text of a comment block.
    ///
    /// A line is a `#cgo` line when, after trimming white space, it starts with `#cgo` followed
    /// by a space or tab (for `noescape`/`nocallback`, any ASCII white space including `\v`,
    /// `\f` and `\r`, as cmd/cgo accepts; a non-ASCII space such as U+00A0 does not count).
    ///
    /// # References
    /// Go `go/build/build.go`, `saveCgo`; `cmd/cgo/gcc.go`, `ProcessCgoDirectives`.
    pub fn parse(file: &str, text: &str) -> Preamble {
        let mut p = Preamble {
            file: file.into(),
            directives: Vec::new(),
            c_functions: Vec::new(),
            errors: Vec::new(),
        };
        for (n, raw) in text.split('\n').enumerate() {
            // Cheap pre-filter: most lines are plain C.
            if !raw.contains("#cgo") {
                continue;
            }
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            p.parse_line(line_no(n), line);
        }
        let mut names: Vec<String> = scan_c_functions(text).into_iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        p.c_functions = names;
        p
    }

    fn parse_line(&mut self, line_no: u32, line: &str) {
        let trimmed = line.trim();
        let lead = line.len() - line.trim_start().len();
        let Some(after) = trimmed.strip_prefix("#cgo") else {
            return;
        };
        let Some(c5) = after.chars().next() else {
            return;
        };
        if !is_cgo_separator(c5) {
            return;
        }
        let location = Location {
            file: self.file.clone(),
            line: line_no,
            column: col_of(line, lead),
        };
        // Exactly three fields with `noescape`/`nocallback` second (checked without collecting).
        let mut fields = trimmed.split_whitespace();
        let (f1, f2, f3) = (fields.nth(1), fields.next(), fields.next());
        if let (Some(word @ ("noescape" | "nocallback")), Some(f2), None) = (f1, f2, f3) {
            let name = f2.to_owned();
            let off = lead + trimmed.rfind(f2).unwrap_or(0);
            let column = col_of(line, off);
            let kind = if word == "noescape" {
                DirectiveKind::NoEscape { name, column }
            } else {
                DirectiveKind::NoCallback { name, column }
            };
            self.directives.push(Directive {
                location,
                line_text: line.to_owned(),
                kind,
            });
            return;
        }
        if c5 != ' ' && c5 != '\t' {
            return; // go/build does not treat it as a directive
        }
        let body_off = lead + 4 + (after.len() - after.trim_start().len());
        let body = after.trim();
        let invalid = |loc: Location| {
            Diagnostic::new(ErrorKind::InvalidLine, format!("invalid #cgo line: {line}"))
                .at(loc, line)
        };
        let Some((head, argstr)) = body.split_once(':') else {
            self.errors.push(invalid(location));
            return;
        };
        let mut conditions: Vec<String> = head.split_whitespace().map(str::to_owned).collect();
        let Some(verb) = conditions.pop() else {
            self.errors.push(invalid(location));
            return;
        };
        let verb_off = body_off + head.rfind(verb.as_str()).unwrap_or(0);
        let args_off = body_off + head.len() + 1;
        let args = split_quoted_spans(argstr).map(|v| {
            v.into_iter()
                .map(|(value, off)| Arg {
                    value,
                    column: col_of(line, args_off + off),
                })
                .collect()
        });
        self.directives.push(Directive {
            location,
            line_text: line.to_owned(),
            kind: DirectiveKind::Flags(FlagsLine {
                conditions,
                verb,
                args,
                verb_column: col_of(line, verb_off),
                args_column: col_of(line, args_off),
            }),
        });
    }

    /// Resolves this preamble alone; see [`resolve_all`].
    ///
    /// # Errors
    /// Every error found, see [`resolve_all`].
    pub fn resolve(&self, options: &ResolveOptions) -> Result<Resolved, Errors> {
        resolve_all(std::slice::from_ref(self), options)
    }
}

/// Whether `c`, right after `#cgo`, makes the line a directive for cmd/cgo: cmd/cgo tests the
/// fifth *byte* for white space, so only ASCII white space (with `\v` and `\f`) qualifies.
fn is_cgo_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Returns `text` with every `#cgo` line replaced by an empty line (line terminators kept), so
/// the C compiler sees the preamble with the same line numbers and without the directives.
/// (cmd/cgo also drops the `\r` of a CRLF directive line; it is kept here so CRLF text stays
/// CRLF. The C compiler sees the same lines either way.)
///
/// # References
/// Go `cmd/cgo/gcc.go`, `ProcessCgoDirectives`.
pub fn strip_directives(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let t = line.trim();
        let is_directive = t
            .strip_prefix("#cgo")
            .and_then(|r| r.chars().next())
            .is_some_and(is_cgo_separator);
        if is_directive {
            if line.ends_with('\r') {
                out.push('\r');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Where environment values (`CGO_<VAR>_ALLOW`, `CGO_<VAR>_DISALLOW`, `CGO_CFLAGS`, ...) come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Env {
    /// The process environment.
    #[default]
    Process,
    /// An explicit map (tests, tools); variables not in it are unset.
    Map(BTreeMap<String, String>),
}

impl Env {
    /// An explicit environment from pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(key).ok(),
            Env::Map(m) => m.get(key).cloned(),
        }
    }

    /// The `CGO_<var>_ALLOW` / `CGO_<var>_DISALLOW` overrides for `var`.
    ///
    /// # Errors
    /// `parsing $CGO_<var>_ALLOW: ...` for a bad regular expression.
    pub fn overrides(&self, var: &str) -> Result<Overrides, crate::flags::OverrideError> {
        let a = self.get(&format!("CGO_{var}_ALLOW"));
        let d = self.get(&format!("CGO_{var}_DISALLOW"));
        Overrides::from_patterns(var, a.as_deref(), d.as_deref())
    }
}

/// How to resolve a preamble.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveOptions {
    /// The target's build context (conditions).
    pub context: Context,
    /// The package directory: `${SRCDIR}` expands to it and relative `-I`/`-L` paths are
    /// joined to it. Empty: no expansion target and relative paths are left as they are.
    pub srcdir: String,
    /// Where `CGO_<VAR>_ALLOW` / `_DISALLOW` are read from.
    pub env: Env,
}

impl ResolveOptions {
    /// Options for a context, no srcdir, process environment.
    pub fn new(context: Context) -> ResolveOptions {
        ResolveOptions {
            context,
            srcdir: String::new(),
            env: Env::Process,
        }
    }
}

/// The flags and annotations that apply to one target, all checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// `#cgo CFLAGS`.
    pub cflags: Vec<String>,
    /// `#cgo CPPFLAGS`.
    pub cppflags: Vec<String>,
    /// `#cgo CXXFLAGS`.
    pub cxxflags: Vec<String>,
    /// `#cgo FFLAGS`.
    pub fflags: Vec<String>,
    /// `#cgo LDFLAGS`.
    pub ldflags: Vec<String>,
    /// `#cgo pkg-config` arguments: package names and `--` options, in order.
    pub pkg_config: Vec<String>,
    /// Functions marked `#cgo noescape`, in order of first mention, without duplicates.
    pub noescape: Vec<String>,
    /// Functions marked `#cgo nocallback`, in order of first mention, without duplicates.
    pub nocallback: Vec<String>,
    /// Where each `pkg_config` entry came from (for pkg-config failure messages).
    pub(crate) pkg_config_at: Vec<(Location, String)>,
}

impl Resolved {
    /// The flags of one verb.
    pub fn flags(&self, verb: Verb) -> &[String] {
        match verb {
            Verb::CFlags => &self.cflags,
            Verb::CppFlags => &self.cppflags,
            Verb::CxxFlags => &self.cxxflags,
            Verb::FFlags => &self.fflags,
            Verb::LdFlags => &self.ldflags,
            Verb::PkgConfig => &self.pkg_config,
        }
    }

    fn flags_mut(&mut self, verb: Verb) -> &mut Vec<String> {
        match verb {
            Verb::CFlags => &mut self.cflags,
            Verb::CppFlags => &mut self.cppflags,
            Verb::CxxFlags => &mut self.cxxflags,
            Verb::FFlags => &mut self.fflags,
            Verb::LdFlags => &mut self.ldflags,
            Verb::PkgConfig => &mut self.pkg_config,
        }
    }

    /// The pkg-config package names (arguments not starting with `--`).
    pub fn pkg_config_packages(&self) -> Vec<&str> {
        self.pkg_config
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with("--"))
            .collect()
    }

    /// The pkg-config options (arguments starting with `--`, except a bare `--`).
    pub fn pkg_config_options(&self) -> Vec<&str> {
        self.pkg_config
            .iter()
            .map(String::as_str)
            .filter(|a| a.starts_with("--") && *a != "--")
            .collect()
    }

    /// The resolution as one JSON object with the keys `cflags`, `cppflags`, `cxxflags`,
    /// `fflags`, `ldflags`, `pkg_config`, `noescape` and `nocallback`, each an array of strings.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{");
        let fields: [(&str, &[String]); 8] = [
            ("cflags", &self.cflags),
            ("cppflags", &self.cppflags),
            ("cxxflags", &self.cxxflags),
            ("fflags", &self.fflags),
            ("ldflags", &self.ldflags),
            ("pkg_config", &self.pkg_config),
            ("noescape", &self.noescape),
            ("nocallback", &self.nocallback),
        ];
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            json_string(&mut s, k);
            s.push_str(":[");
            for (j, item) in v.iter().enumerate() {
                if j > 0 {
                    s.push(',');
                }
                json_string(&mut s, item);
            }
            s.push(']');
        }
        s.push('}');
        s
    }
}

/// Appends `v` as a JSON string literal.
pub(crate) fn json_string(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Where one resolved flag came from.
#[derive(Clone)]
struct Origin<'a> {
    directive: &'a Directive,
    column: u32,
}

/// Resolves the preambles of one package for a target and checks everything: conditions,
/// argument splitting, `${SRCDIR}` safety, verbs, flag safety (with `CGO_<VAR>_ALLOW`/`DISALLOW`
/// from `options.env`), pkg-config names and options, and that every `noescape`/`nocallback`
/// name is a C function declared or defined in one of the preambles.
///
/// pkg-config itself is not run here (see [`crate::pkgconfig`]).
///
/// # Errors
/// Every error found, in file order: the parse errors, then per line the resolution errors, then
/// the flag-safety errors per verb, then unmatched function names.
///
/// # References
/// Go `go/build/build.go`, `saveCgo`; `cmd/go/internal/work/exec.go`, `buildFlags` and
/// `getPkgConfigFlags`; `cmd/cgo/main.go` (`no matched C function`).
pub fn resolve_all(preambles: &[Preamble], options: &ResolveOptions) -> Result<Resolved, Errors> {
    let (resolved, errors) = collect_all(preambles, options);
    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(Errors(errors))
    }
}

/// Like [`resolve_all`], but returns what was collected together with the errors, so nothing is
/// lost: the flag lists hold every argument of every applicable line (as `go list` would show
/// them), including refused ones; lines with malformed arguments or an invalid verb contribute
/// nothing. Only matched `noescape`/`nocallback` names are listed.
pub fn collect_all(
    preambles: &[Preamble],
    options: &ResolveOptions,
) -> (Resolved, Vec<Diagnostic>) {
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut out = Resolved::default();
    let mut origins: BTreeMap<Verb, Vec<Origin<'_>>> = BTreeMap::new();
    let mut marks: Vec<(&Directive, &str, u32, bool)> = Vec::new(); // (directive, name, column, noescape)

    for p in preambles {
        errors.extend(p.errors.iter().cloned());
        for d in &p.directives {
            let fl = match &d.kind {
                DirectiveKind::Flags(fl) => fl,
                DirectiveKind::NoEscape { name, column } => {
                    marks.push((d, name, *column, true));
                    continue;
                }
                DirectiveKind::NoCallback { name, column } => {
                    marks.push((d, name, *column, false));
                    continue;
                }
            };
            if !fl.conditions.is_empty()
                && !fl
                    .conditions
                    .iter()
                    .any(|c| options.context.match_auto(c, None))
            {
                continue;
            }
            let loc = |column: u32| Location {
                column,
                ..d.location.clone()
            };
            let args = match &fl.args {
                Ok(a) => a,
                Err(e) => {
                    errors.push(
                        Diagnostic::new(
                            ErrorKind::InvalidLine,
                            format!("invalid #cgo line: {} ({e})", d.line_text),
                        )
                        .at(loc(fl.args_column), &d.line_text),
                    );
                    continue;
                }
            };
            let mut ok = true;
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                let (v, safe) = expand_src_dir(&a.value, &options.srcdir);
                if !safe {
                    ok = false;
                    errors.push(
                        Diagnostic::new(
                            ErrorKind::MalformedArgument,
                            format!("malformed #cgo argument: {v}"),
                        )
                        .at(loc(a.column), &d.line_text),
                    );
                }
                values.push(v);
            }
            let Some(verb) = fl.verb() else {
                errors.push(
                    Diagnostic::new(
                        ErrorKind::InvalidVerb,
                        format!("invalid #cgo verb: {}", d.line_text),
                    )
                    .at(loc(fl.verb_column), &d.line_text),
                );
                continue;
            };
            if !ok {
                continue;
            }
            if verb != Verb::PkgConfig && !options.srcdir.is_empty() {
                make_paths_absolute(&mut values, &options.srcdir);
            }
            let o = origins.entry(verb).or_default();
            for (v, a) in values.into_iter().zip(args) {
                if verb == Verb::PkgConfig {
                    out.pkg_config_at.push((loc(a.column), d.line_text.clone()));
                }
                out.flags_mut(verb).push(v);
                o.push(Origin {
                    directive: d,
                    column: a.column,
                });
            }
        }
    }

    // Flag safety, per verb, over the whole list (a flag's argument may be on the next line).
    for verb in Verb::ALL {
        let list = out.flags(verb).to_vec();
        if list.is_empty() {
            continue;
        }
        let os = &origins[&verb];
        let at = |i: usize, d: Diagnostic| {
            let o = &os[i];
            d.at(
                Location {
                    column: o.column,
                    ..o.directive.location.clone()
                },
                &o.directive.line_text,
            )
        };
        if verb == Verb::PkgConfig {
            let opts: Vec<(usize, String)> = list
                .iter()
                .enumerate()
                .filter(|(_, a)| a.starts_with("--") && *a != "--")
                .map(|(i, a)| (i, a.clone()))
                .collect();
            for (i, name) in list.iter().enumerate() {
                if !name.starts_with("--") && !safe_arg(name) {
                    errors.push(at(
                        i,
                        Diagnostic::new(
                            ErrorKind::InvalidPackageName,
                            format!("invalid pkg-config package name: {name}"),
                        ),
                    ));
                }
            }
            let only: Vec<String> = opts.iter().map(|(_, a)| a.clone()).collect();
            for e in check_flags_all(
                FlagClass::PkgConfig,
                "pkg-config",
                &only,
                &Overrides::none(),
            ) {
                errors.push(at(
                    opts[e.index].0,
                    Diagnostic::new(ErrorKind::InvalidFlag, e.message),
                ));
            }
            continue;
        }
        let overrides = match options.env.overrides(verb.name()) {
            Ok(o) => o,
            Err(e) => {
                errors.push(Diagnostic::new(ErrorKind::BadOverride, e.message));
                continue;
            }
        };
        let source = format!("#cgo {}", verb.name());
        for e in check_flags_all(verb.flag_class(), &source, &list, &overrides) {
            errors.push(at(
                e.index,
                Diagnostic::new(ErrorKind::InvalidFlag, e.message),
            ));
        }
    }

    // noescape / nocallback must name a C function of the package's preambles.
    let known = |n: &str| {
        preambles.iter().any(|p| {
            p.c_functions
                .binary_search_by(|f| f.as_str().cmp(n))
                .is_ok()
        })
    };
    for (d, name, column, noescape) in marks {
        let word = if noescape { "noescape" } else { "nocallback" };
        if !known(name) {
            errors.push(
                Diagnostic::new(
                    ErrorKind::NoMatchedCFunction,
                    format!("#cgo {word} {name}: no matched C function"),
                )
                .at(
                    Location {
                        column,
                        ..d.location.clone()
                    },
                    &d.line_text,
                ),
            );
            continue;
        }
        let list = if noescape {
            &mut out.noescape
        } else {
            &mut out.nocallback
        };
        if !list.iter().any(|n| n == name) {
            list.push(name.to_owned());
        }
    }

    (out, errors)
}

/// The trusted flags of the `CGO_<VERB>` environment variable (`CGO_CFLAGS`, `CGO_LDFLAGS`, ...),
/// split as the go command splits environment flag lists (not with the `#cgo` line rules): fields
/// are separated by space, tab, CR or LF; a field that *starts* with `'` or `"` runs to the next
/// same quote, which is removed, and there are no escapes (`-I"a b"` is two fields, `-I"a` and
/// `b"`). They are placed before the preamble's flags of the same kind and, as in Go, **not**
/// checked against the allow list: the person running the build chose them.
/// Unset or empty gives no flags (Go's `-O2 -g` default is left to the build tool, e.g. `cc`).
///
/// # Errors
/// An unterminated quote: `parsing $CGO_CFLAGS: unterminated ' string`.
///
/// # References
/// Go `cmd/go/internal/work/exec.go`, `buildFlags` / `envList`; `cmd/internal/quoted`, `Split`.
pub fn env_flags(env: &Env, verb: Verb) -> Result<Vec<String>, Diagnostic> {
    let var = format!("CGO_{}", verb.name());
    match env.get(&var) {
        None => Ok(Vec::new()),
        Some(v) => crate::args::split_env_list(&v)
            .map_err(|e| Diagnostic::new(ErrorKind::InvalidLine, format!("parsing ${var}: {e}"))),
    }
}
