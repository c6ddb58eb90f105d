//! Flag safety: the go command's allow and deny lists for compiler and linker flags.
//!
//! Some compiler and linker flags run arbitrary code at build time (`-fplugin=`, `@file`
//! response files, `-Wl,--plugin`...), so flags that come from source files (`#cgo` lines and
//! pkg-config output) must be on an allow list. Users widen or narrow the list with the
//! `CGO_<VAR>_ALLOW` and `CGO_<VAR>_DISALLOW` regular expressions, which must match a whole flag;
//! DISALLOW wins over ALLOW. Flags from the `CGO_CFLAGS`-style environment variables are trusted
//! and never checked.
//!
//! Messages keep Go's wording:
//! `invalid flag in #cgo CFLAGS: -fplugin=foo.so (see https://go.dev/s/invalidflag)`.

use std::fmt;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

use crate::pattern::Pattern;

/// The URL the go command cites for refused flags.
pub const INVALID_FLAG_URL: &str = "https://go.dev/s/invalidflag";

/// Which allow list applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlagClass {
    /// Compiler flags (CFLAGS, CPPFLAGS, CXXFLAGS, FFLAGS, `pkg-config --cflags`).
    Compiler,
    /// Linker flags (LDFLAGS, `pkg-config --libs`).
    Linker,
    /// Flags given to pkg-config itself in a `#cgo pkg-config:` line (no overrides).
    PkgConfig,
}

/// Compiler flags accepted on their own (each must match the whole flag).
const COMPILER_ALLOW: &[&str] = &[
    r"-D([A-Za-z_][A-Za-z0-9_]*)(=[^@\-]*)?",
    r"-U([A-Za-z_][A-Za-z0-9_]*)",
    r"-F([^@\-].*)",
    r"-I([^@\-].*)",
    r"-O",
    r"-O([^@\-].*)",
    r"-W",
    r"-W([^@,]+)",
    r"-Wa,-mbig-obj",
    r"-Wp,-D([A-Za-z_][A-Za-z0-9_]*)(=[^@,\-]*)?",
    r"-Wp,-U([A-Za-z_][A-Za-z0-9_]*)",
    r"-ansi",
    r"-f(no-)?asynchronous-unwind-tables",
    r"-f(no-)?blocks",
    r"-f(no-)builtin-[a-zA-Z0-9_]*",
    r"-f(no-)?common",
    r"-f(no-)?constant-cfstrings",
    r"-fdebug-prefix-map=([^@]+)=([^@]+)",
    r"-fdiagnostics-show-note-include-stack",
    r"-ffile-prefix-map=([^@]+)=([^@]+)",
    r"-fno-canonical-system-headers",
    r"-f(no-)?eliminate-unused-debug-types",
    r"-f(no-)?exceptions",
    r"-f(no-)?fast-math",
    r"-f(no-)?inline-functions",
    r"-finput-charset=([^@\-].*)",
    r"-f(no-)?fat-lto-objects",
    r"-f(no-)?keep-inline-dllexport",
    r"-f(no-)?lto",
    r"-fmacro-backtrace-limit=(.+)",
    r"-fmessage-length=(.+)",
    r"-f(no-)?modules",
    r"-f(no-)?objc-arc",
    r"-f(no-)?objc-nonfragile-abi",
    r"-f(no-)?objc-legacy-dispatch",
    r"-f(no-)?omit-frame-pointer",
    r"-f(no-)?openmp(-simd)?",
    r"-f(no-)?permissive",
    r"-f(no-)?(pic|PIC|pie|PIE)",
    r"-f(no-)?plt",
    r"-f(no-)?rtti",
    r"-f(no-)?split-stack",
    r"-f(no-)?stack-(.+)",
    r"-f(no-)?strict-aliasing",
    r"-f(un)signed-char",
    r"-f(no-)?use-linker-plugin",
    r"-f(no-)?visibility-inlines-hidden",
    r"-fsanitize=(.+)",
    r"-fsanitize-undefined-strip-path-components=(-)?[0-9]+",
    r"-ftemplate-depth-(.+)",
    r"-ftls-model=(global-dynamic|local-dynamic|initial-exec|local-exec)",
    r"-fvisibility=(.+)",
    r"-g([^@\-].*)?",
    r"-m32",
    r"-m64",
    r"-m(abi|arch|cpu|fpu|simd|tls-dialect|tune)=([^@\-].*)",
    r"-m(no-)?v?aes",
    r"-marm",
    r"-mcmodel=[0-9a-z-]+",
    r"-mfloat-abi=([^@\-].*)",
    r"-m(soft|single|double)-float",
    r"-mfpmath=[0-9a-z,+]*",
    r"-m(no-)?avx[0-9a-z.]*",
    r"-m(no-)?ms-bitfields",
    r"-m(no-)?stack-(.+)",
    r"-mmacosx-(.+)",
    r"-m(no-)?relax",
    r"-m(no-)?strict-align",
    r"-m(no-)?(lsx|lasx|frecipe|div32|lam-bh|lamcas|ld-seq-sa)",
    r"-mios-simulator-version-min=(.+)",
    r"-miphoneos-version-min=(.+)",
    r"-mlarge-data-threshold=[0-9]+",
    r"-mtvos-simulator-version-min=(.+)",
    r"-mtvos-version-min=(.+)",
    r"-mwatchos-simulator-version-min=(.+)",
    r"-mwatchos-version-min=(.+)",
    r"-mnop-fun-dllimport",
    r"-m(no-)?sse[0-9.]*",
    r"-m(no-)?ssse3",
    r"-mthumb(-interwork)?",
    r"-mthreads",
    r"-mwindows",
    r"-no-canonical-prefixes",
    r"--param=ssp-buffer-size=[0-9]*",
    r"-pedantic(-errors)?",
    r"-pipe",
    r"-pthread",
    r"--static",
    r"-?-std=([^@\-].*)",
    r"-?-stdlib=([^@\-].*)",
    r"--sysroot=([^@\-].*)",
    r"-w",
    r"-x([^@\-].*)",
    r"-v",
];

/// Compiler flags that take the following argument, which must then be a safe argument.
const COMPILER_WITH_NEXT: &[&str] = &[
    "-arch",
    "-D",
    "-U",
    "-I",
    "-F",
    "-framework",
    "-include",
    "-isysroot",
    "-isystem",
    "--sysroot",
    "-target",
    "-x",
];

/// Linker flags refused even though an allow pattern would match them (`-lto_library` makes
/// Apple's linker load a library named by the next argument).
const LINKER_DENY: &[&str] = &[r"-lto_library"];

/// Linker flags accepted on their own. `-Wl,` wildcards never match a comma, so no extra linker
/// argument can be smuggled through one.
const LINKER_ALLOW: &[&str] = &[
    r"-F([^@\-].*)",
    r"-l([^@\-].*)",
    r"-L([^@\-].*)",
    r"-O",
    r"-O([^@\-].*)",
    r"-f(no-)?(pic|PIC|pie|PIE)",
    r"-f(no-)?openmp(-simd)?",
    r"-fsanitize=([^@\-].*)",
    r"-flat_namespace",
    r"-g([^@\-].*)?",
    r"-headerpad_max_install_names",
    r"-m(abi|arch|cpu|fpu|simd|tls-dialect|tune)=([^@\-].*)",
    r"-mcmodel=[0-9a-z-]+",
    r"-mfloat-abi=([^@\-].*)",
    r"-m(soft|single|double)-float",
    r"-m(no-)?relax",
    r"-m(no-)?strict-align",
    r"-m(no-)?(lsx|lasx|frecipe|div32|lam-bh|lamcas|ld-seq-sa)",
    r"-mmacosx-(.+)",
    r"-mios-simulator-version-min=(.+)",
    r"-miphoneos-version-min=(.+)",
    r"-mthreads",
    r"-mwindows",
    r"-(pic|PIC|pie|PIE)",
    r"-pthread",
    r"-rdynamic",
    r"-shared",
    r"-?-static([-a-z0-9+]*)",
    r"-?-stdlib=([^@\-].*)",
    r"-v",
    r"-Wl,--(no-)?allow-multiple-definition",
    r"-Wl,--(no-)?allow-shlib-undefined",
    r"-Wl,--(no-)?as-needed",
    r"-Wl,-Bdynamic",
    r"-Wl,-berok",
    r"-Wl,-Bstatic",
    r"-Wl,-Bsymbolic-functions",
    r"-Wl,-O[0-9]+",
    r"-Wl,-d[ny]",
    r"-Wl,--disable-new-dtags",
    r"-Wl,-e[=,][a-zA-Z0-9]+",
    r"-Wl,--enable-new-dtags",
    r"-Wl,--end-group",
    r"-Wl,--(no-)?export-dynamic",
    r"-Wl,-E",
    r"-Wl,-framework,[^,@\-][^,]*",
    r"-Wl,--hash-style=(sysv|gnu|both)",
    r"-Wl,-headerpad_max_install_names",
    r"-Wl,--no-undefined",
    r"-Wl,--pop-state",
    r"-Wl,--push-state",
    r"-Wl,-R,?([^@\-,][^,@]*$)",
    r"-Wl,--just-symbols[=,]([^,@\-][^,@]*)",
    r"-Wl,-rpath(-link)?[=,]([^,@\-][^,]*)",
    r"-Wl,-s",
    r"-Wl,-search_paths_first",
    r"-Wl,-sectcreate,([^,@\-][^,]*),([^,@\-][^,]*),([^,@\-][^,]*)",
    r"-Wl,--start-group",
    r"-Wl,-?-static",
    r"-Wl,-?-subsystem,(native|windows|console|posix|xbox)",
    r"-Wl,-syslibroot[=,]([^,@\-][^,]*)",
    r"-Wl,-undefined[=,]([^,@\-][^,]*)",
    r"-Wl,-?-unresolved-symbols=[^,]+",
    r"-Wl,--(no-)?warn-([^,]+)",
    r"-Wl,-?-wrap[=,][^,@\-][^,]*",
    r"-Wl(,-z,(relro|now|(no)?execstack))+",
    // Direct linker inputs (x.o, libfoo.so), but not -foo.o or @foo.o.
    r"[a-zA-Z0-9_/].*\.(a|o|obj|dll|dylib|so|tbd)",
    r"\./.*\.(a|o|obj|dll|dylib|so|tbd)",
];

/// Linker flags that take the following argument.
const LINKER_WITH_NEXT: &[&str] = &[
    "-arch",
    "-F",
    "-l",
    "-L",
    "-framework",
    "-isysroot",
    "--sysroot",
    "-target",
    "-Wl,-framework",
    "-Wl,-rpath",
    "-Wl,-R",
    "-Wl,--just-symbols",
    "-Wl,-undefined",
];

/// Options a `#cgo pkg-config:` line may pass to pkg-config.
const PKG_CONFIG_ALLOW: &[&str] = &[
    r"--atleast-pkgconfig-version=[0-9]+\.[0-9]+\.[0-9]+",
    r"--atleast-version=[0-9]+\.[0-9]+\.[0-9]+",
    r"--cflags-only-I",
    r"--cflags",
    r"--define-prefix",
    r"--define-variable=[A-Za-z_][A-Za-z0-9_]*=[^@\-]*",
    r"--digraph",
    r"--dont-define-prefix",
    r"--dont-relocate-paths",
    r"--dump-personality",
    r"--env-only",
    r"--errors-to-stdout",
    r"--exact-version=[0-9]+\.[0-9]+\.[0-9]+",
    r"--exists",
    r"--fragment-filter=[A-Za-z_][a-zA-Z0-9_]*",
    r"--ignore-conflicts",
    r"--internal-cflags",
    r"--keep-system-cflags",
    r"--keep-system-libs",
    r"--libs-only-l",
    r"--libs-only-L",
    r"--libs",
    r"--list-all",
    r"--list-package-names",
    r"--max-version=[0-9]+\.[0-9]+\.[0-9]+",
    r"--maximum-traverse-depth=[0-9]+",
    r"--modversion",
    r"--msvc-syntax",
    r"--no-cache",
    r"--no-provides",
    r"--no-uninstalled",
    r"--path",
    r"--personality=(triplet|filename)",
    r"--prefix-variable=[A-Za-z_][a-zA-Z0-9_]*",
    r"--print-errors",
    r"--print-provides",
    r"--print-requires-private",
    r"--print-requires",
    r"--print-variables",
    r"--pure",
    r"--shared",
    r"--short-errors",
    r"--silence-errors",
    r"--simulate",
    r"--static",
    r"--uninstalled",
    r"--validate",
    r"--variable=[A-Za-z_][a-zA-Z0-9_]*",
    r"--with-path=[^@\-].*",
];

/// A parsed pattern list (see [`crate::pattern`]: a small matcher with Go's leftmost-first
/// semantics; each pattern also carries its literal prefix, so most patterns are skipped with
/// one `starts_with`).
struct PatternList {
    each: Vec<Pattern>,
}

impl PatternList {
    /// Go's test for "a pattern matches all of `s`". Go compares the leftmost-first match with
    /// `s`, and a failed match reads as the empty string, so an empty `s` counts as matched by
    /// every pattern: an empty flag passes any allow list and fails any deny list.
    fn any_whole(&self, s: &str) -> bool {
        if s.is_empty() {
            return !self.each.is_empty();
        }
        self.each.iter().any(|p| p.matches_whole(s))
    }
}

struct Lists {
    deny: PatternList,
    allow: PatternList,
    with_next: &'static [&'static str],
}

fn compile_all(pats: &[&str]) -> PatternList {
    // The patterns are constants of this file, checked by the unit tests; a failure here is a
    // bug in this crate, never caused by input.
    PatternList {
        each: pats
            .iter()
            .map(|p| {
                Pattern::new(p).unwrap_or_else(|e| panic!("built-in flag pattern {p:?}: {}", e.0))
            })
            .collect(),
    }
}

fn lists(class: FlagClass) -> &'static Lists {
    static COMPILER: OnceLock<Lists> = OnceLock::new();
    static LINKER: OnceLock<Lists> = OnceLock::new();
    static PKG: OnceLock<Lists> = OnceLock::new();
    match class {
        FlagClass::Compiler => COMPILER.get_or_init(|| Lists {
            deny: compile_all(&[]),
            allow: compile_all(COMPILER_ALLOW),
            with_next: COMPILER_WITH_NEXT,
        }),
        FlagClass::Linker => LINKER.get_or_init(|| Lists {
            deny: compile_all(LINKER_DENY),
            allow: compile_all(LINKER_ALLOW),
            with_next: LINKER_WITH_NEXT,
        }),
        FlagClass::PkgConfig => PKG.get_or_init(|| Lists {
            deny: compile_all(&[]),
            allow: compile_all(PKG_CONFIG_ALLOW),
            with_next: &[],
        }),
    }
}

/// The built-in allow-list patterns of `class` (Go RE2 syntax; a flag is allowed when a
/// pattern's leftmost-first match is the whole flag). For tools that display or test the list.
pub fn builtin_allow_patterns(class: FlagClass) -> &'static [&'static str] {
    match class {
        FlagClass::Compiler => COMPILER_ALLOW,
        FlagClass::Linker => LINKER_ALLOW,
        FlagClass::PkgConfig => PKG_CONFIG_ALLOW,
    }
}

/// Whether one of the built-in allow patterns of `class` matches all of `arg` (Go's rule),
/// ignoring deny lists, overrides and flags that take a next argument.
pub fn builtin_allows(class: FlagClass, arg: &str) -> bool {
    lists(class).allow.any_whole(arg)
}

/// Go's "must be complete match": the leftmost-first match is the whole string. As in Go, a
/// failed match reads as the empty string, so an empty `s` always counts as matched.
fn whole(re: &Regex, s: &str) -> bool {
    match re.find(s) {
        Some(m) => m.start() == 0 && m.end() == s.len(),
        None => s.is_empty(),
    }
}

/// Reports whether `s` may safely follow a flag as its own argument: non-empty and starting
/// with an ASCII letter or digit, `.`, `_`, `/`, or a non-ASCII character (so never `-` or `@`).
///
/// # References
/// Go `cmd/go/internal/load/pkg.go`, `SafeArg`.
pub fn safe_arg(s: &str) -> bool {
    match s.as_bytes().first() {
        None => false,
        Some(&c) => c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'/' || c >= 0x80,
    }
}

/// User overrides for one variable: `CGO_<VAR>_ALLOW` and `CGO_<VAR>_DISALLOW`.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    allow: Option<Regex>,
    disallow: Option<Regex>,
}

/// A `CGO_<VAR>_ALLOW`/`_DISALLOW` value that is not a valid regular expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideError {
    /// The message, Go's wording: `parsing $CGO_CFLAGS_ALLOW: <error>`.
    pub message: String,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OverrideError {}

impl Overrides {
    /// No overrides.
    pub fn none() -> Overrides {
        Overrides::default()
    }

    /// Overrides from explicit patterns for variable `var` (`CFLAGS`, `LDFLAGS`, ...; used only
    /// in messages). An empty pattern counts as unset, as in Go.
    ///
    /// Patterns use Go's RE2 syntax with Go's meaning: what Go refuses is refused with Go's
    /// message (`a**`, `\u0041`, `(?x)`, counts above 1000), what Go accepts is accepted
    /// (`\Q..\E`, `\101`, `x{,3}`), and `\d`, `\w`, `\s`, `\b` stay ASCII-only.
    ///
    /// # Errors
    /// `parsing $CGO_<var>_ALLOW: ...` when a pattern does not compile.
    pub fn from_patterns(
        var: &str,
        allow: Option<&str>,
        disallow: Option<&str>,
    ) -> Result<Overrides, OverrideError> {
        let compile = |which: &str, p: Option<&str>| -> Result<Option<Regex>, OverrideError> {
            let fail = |why: String| OverrideError {
                message: format!("parsing $CGO_{var}_{which}: {why}"),
            };
            match p {
                None | Some("") => Ok(None),
                Some(p) => {
                    let rust = crate::goregex::translate(p).map_err(|e| fail(e.to_string()))?;
                    RegexBuilder::new(&rust)
                        // Go allows larger programs than the crate's default. Nesting keeps the
                        // crate's default limit (250): compiling deeper patterns recurses
                        // deeply enough to overflow a thread's stack.
                        .size_limit(256 << 20)
                        .build()
                        .map(Some)
                        .map_err(|e| fail(engine_limit(&e)))
                }
            }
        };
        Ok(Overrides {
            allow: compile("ALLOW", allow)?,
            disallow: compile("DISALLOW", disallow)?,
        })
    }

    /// Reads `CGO_<var>_ALLOW` and `CGO_<var>_DISALLOW` from the environment.
    ///
    /// # Errors
    /// As [`from_patterns`](Self::from_patterns).
    pub fn from_env(var: &str) -> Result<Overrides, OverrideError> {
        let a = std::env::var(format!("CGO_{var}_ALLOW")).ok();
        let d = std::env::var(format!("CGO_{var}_DISALLOW")).ok();
        Overrides::from_patterns(var, a.as_deref(), d.as_deref())
    }
}

/// Why the `regex` crate refused a pattern Go accepts (a Unicode script newer than its tables,
/// nesting deeper than 250 levels, a program over 256 MiB). The levels are those of the
/// translated pattern, where each repetition adds a group: about 80 nested `(…)*` already reach
/// the limit. Its message quotes the translated pattern, which the user never wrote, so only the
/// reason is kept.
fn engine_limit(e: &regex::Error) -> String {
    let text = e.to_string();
    let reason = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().next().unwrap_or("").trim());
    format!("{reason} (valid Go syntax, but beyond what this implementation supports)")
}

/// One refused flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagError {
    /// Index of the refused flag in the checked list.
    pub index: usize,
    /// The message in Go's wording, e.g.
    /// `invalid flag in #cgo CFLAGS: -D @foo (see https://go.dev/s/invalidflag)`.
    pub message: String,
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FlagError {}

/// Checks `list` against the allow/deny lists of `class`, reporting the first refused flag,
/// as the go command does.
///
/// `source` names where the flags came from and appears in the message (`#cgo CFLAGS`,
/// `pkg-config --libs`, ...). `overrides` are ignored for [`FlagClass::PkgConfig`].
///
/// # Errors
/// The first [`FlagError`].
///
/// # References
/// Go `cmd/go/internal/work/security.go`, `checkFlags`, `checkCompilerFlags`, `checkLinkerFlags`,
/// `checkPkgConfigFlags`.
pub fn check_flags(
    class: FlagClass,
    source: &str,
    list: &[String],
    overrides: &Overrides,
) -> Result<(), FlagError> {
    match check_flags_all(class, source, list, overrides)
        .into_iter()
        .next()
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Like [`check_flags`] but reports every refused flag. After a refused flag with a separate
/// argument (`-D @foo`) checking resumes after the argument.
pub fn check_flags_all(
    class: FlagClass,
    source: &str,
    list: &[String],
    overrides: &Overrides,
) -> Vec<FlagError> {
    let no = Overrides::none();
    let ov = if class == FlagClass::PkgConfig {
        &no
    } else {
        overrides
    };
    Check {
        lists: lists(class),
        use_deny: true,
    }
    .run(source, list, ov)
}

/// One allow list, with or without its deny list.
struct Check {
    lists: &'static Lists,
    use_deny: bool,
}

impl Check {
    fn run(&self, source: &str, list: &[String], ov: &Overrides) -> Vec<FlagError> {
        let lists = self.lists;
        let mut errors = Vec::new();
        let bad = |i: usize, text: &str| FlagError {
            index: i,
            message: format!("invalid flag in {source}: {text} (see {INVALID_FLAG_URL})"),
        };
        let mut i = 0;
        while i < list.len() {
            let arg = list[i].as_str();
            match classify(lists, self.use_deny, ov, arg) {
                Verdict::Ok => i += 1,
                Verdict::Bad => {
                    errors.push(bad(i, arg));
                    i += 1;
                }
                Verdict::Other => {
                    if lists.with_next.contains(&arg) {
                        match list.get(i + 1) {
                            Some(next) if next_ok(arg, next) => i += 2,
                            Some(next) => {
                                errors.push(bad(i, &format!("{arg} {next}")));
                                i += 2;
                            }
                            None => {
                                errors.push(FlagError {
                                index: i,
                                message: format!("invalid flag in {source}: {arg} without argument (see {INVALID_FLAG_URL})"),
                            });
                                i += 1;
                            }
                        }
                    } else {
                        errors.push(bad(i, arg));
                        i += 1;
                    }
                }
            }
        }
        errors
    }
}

enum Verdict {
    Ok,
    Bad,
    /// Not matched by a single-flag rule; may still be a flag taking a next argument.
    Other,
}

fn classify(lists: &Lists, use_deny: bool, ov: &Overrides, arg: &str) -> Verdict {
    if ov.disallow.as_ref().is_some_and(|r| whole(r, arg)) {
        return Verdict::Bad;
    }
    if ov.allow.as_ref().is_some_and(|r| whole(r, arg)) {
        return Verdict::Ok;
    }
    if use_deny && lists.deny.any_whole(arg) {
        return Verdict::Bad;
    }
    if lists.allow.any_whole(arg) {
        return Verdict::Ok;
    }
    if arg.starts_with("-Wl,--push-state,") {
        // Several linker options in one -Wl argument: each must be allowed on its own.
        let ok = arg.split(',').skip(1).all(|piece| {
            let a = format!("-Wl,{piece}");
            lists.allow.any_whole(&a) && !(use_deny && lists.deny.any_whole(&a))
        });
        return if ok { Verdict::Ok } else { Verdict::Bad };
    }
    Verdict::Other
}

fn next_ok(arg: &str, next: &str) -> bool {
    if safe_arg(next) {
        return true;
    }
    // `-Wl,-framework -Wl,Name`: the second -Wl must carry one safe word.
    if arg.starts_with("-Wl,") {
        if let Some(rest) = next.strip_prefix("-Wl,") {
            if safe_arg(rest) && !rest.contains(',') {
                return true;
            }
        }
    }
    // `-I =/usr/include` (sysroot-relative) and `-I $SYSROOT/dir`.
    if arg == "-I" && (next.starts_with('=') || next.starts_with("$SYSROOT")) {
        return safe_arg(&next[1..]);
    }
    false
}

/// Why a package cannot be linked by Go's internal linker (kept for parity with Go; Rust always
/// links externally, but tools that mimic the go command use this).
///
/// Returns an error for any flag not allowed, for `-flto*`, and for `-static`/`--static`.
///
/// # Errors
/// `invalid flag in ...` or `flag "<f>" triggers external linking`.
///
/// # References
/// Go `cmd/go/internal/work/security.go`, `checkCompilerFlagsForInternalLink`.
pub fn check_compiler_flags_for_internal_link(
    source: &str,
    list: &[String],
) -> Result<(), FlagError> {
    check_flags(FlagClass::Compiler, source, list, &Overrides::none())?;
    for (i, f) in list.iter().enumerate() {
        if f.starts_with("-flto") || f == "-static" || f == "--static" {
            return Err(FlagError {
                index: i,
                message: format!("flag {f:?} triggers external linking"),
            });
        }
    }
    Ok(())
}

/// Linker counterpart of [`check_compiler_flags_for_internal_link`]: flags forcing static
/// linking (`-static`, `--static`, `-Wl,-static`, `-Wl,--static`, `-Wl,-Bstatic`) need the
/// external linker.
///
/// # Errors
/// `invalid flag in ...` or `flag "<f>" triggers external linking`.
///
/// # References
/// Go `cmd/go/internal/work/security.go`, `checkLinkerFlagsForInternalLink`.
pub fn check_linker_flags_for_internal_link(
    source: &str,
    list: &[String],
) -> Result<(), FlagError> {
    // Go checks the allow list here without the deny list (`-lto_library` passes: the ordinary
    // check has already refused it).
    let allow_only = Check {
        lists: lists(FlagClass::Linker),
        use_deny: false,
    };
    if let Some(e) = allow_only
        .run(source, list, &Overrides::none())
        .into_iter()
        .next()
    {
        return Err(e);
    }
    for (i, f) in list.iter().enumerate() {
        if matches!(
            f.as_str(),
            "-static" | "--static" | "-Wl,-static" | "-Wl,--static" | "-Wl,-Bstatic"
        ) {
            return Err(FlagError {
                index: i,
                message: format!("flag {f:?} triggers external linking"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_builtin_patterns_compile() {
        for c in [FlagClass::Compiler, FlagClass::Linker, FlagClass::PkgConfig] {
            assert!(!lists(c).allow.each.is_empty());
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "compiles ~230 regexes with the regex crate (seconds each under Miri)"
    )]
    fn builtin_matcher_agrees_with_the_regex_crate() {
        let mut samples: Vec<String> = Vec::new();
        for class in [FlagClass::Compiler, FlagClass::Linker, FlagClass::PkgConfig] {
            for p in builtin_allow_patterns(class) {
                // Strings derived from the pattern text exercise its literal parts.
                let lit: String = p.chars().filter(|c| !"()[]?*+|\\$^".contains(*c)).collect();
                samples.push(lit.clone());
                samples.push(format!("{lit}x"));
                samples.push(format!("{lit}@"));
                samples.push(format!("{lit},-z"));
                samples.push(lit.chars().take(lit.len() / 2).collect());
            }
        }
        for s in [
            "-DFOO",
            "-D@X",
            "-Wl,-z,relro,-z,now",
            "-Wl,-z,noexecstack",
            "x.obj",
            "x.o",
            "a.dylib",
            "./x.so",
            "../x.o",
            "-Wl,-R,/a,b",
            "-Wl,-R/x",
            "-std=c99",
            "--std=-x",
            "-fno-lto",
            "-fdebug-prefix-map=a=b",
            "-fdebug-prefix-map=a=@",
            "-mfpmath=sse,387",
            "-I世界",
            "-lé",
            "-Wl,-rpath,$ORIGIN/x",
            "",
            "-",
        ] {
            samples.push(s.to_owned());
        }
        for class in [FlagClass::Compiler, FlagClass::Linker, FlagClass::PkgConfig] {
            let res: Vec<Regex> = builtin_allow_patterns(class)
                .iter()
                .map(|p| Regex::new(p).unwrap())
                .collect();
            for s in &samples {
                let want = res.iter().any(|r| whole(r, s));
                assert_eq!(builtin_allows(class, s), want, "{class:?} {s:?}");
            }
        }
    }

    #[test]
    fn collects_every_error() {
        let e = check_flags_all(
            FlagClass::Compiler,
            "#cgo CFLAGS",
            &v(&["-fplugin=x", "-O2", "-D", "@a", "-Wall", "-I"]),
            &Overrides::none(),
        );
        let msgs: Vec<_> = e.iter().map(|e| (e.index, e.message.as_str())).collect();
        assert_eq!(
            msgs,
            [
                (
                    0,
                    "invalid flag in #cgo CFLAGS: -fplugin=x (see https://go.dev/s/invalidflag)"
                ),
                (
                    2,
                    "invalid flag in #cgo CFLAGS: -D @a (see https://go.dev/s/invalidflag)"
                ),
                (
                    5,
                    "invalid flag in #cgo CFLAGS: -I without argument (see https://go.dev/s/invalidflag)"
                ),
            ]
        );
    }

    #[test]
    fn override_regex_is_go_ascii() {
        let o = Overrides::from_patterns("CFLAGS", Some(r"-X\d+"), None).unwrap();
        assert!(check_flags(FlagClass::Compiler, "s", &v(&["-X12"]), &o).is_ok());
        assert!(
            check_flags(FlagClass::Compiler, "s", &v(&["-X١٢"]), &o).is_err(),
            "Arabic digits are not \\d in Go"
        );
        let o = Overrides::from_patterns("CFLAGS", Some(r"-Y[\w]+"), None).unwrap();
        assert!(check_flags(FlagClass::Compiler, "s", &v(&["-Yab_1"]), &o).is_ok());
        assert!(check_flags(FlagClass::Compiler, "s", &v(&["-Yé"]), &o).is_err());
        let e = Overrides::from_patterns("LDFLAGS", None, Some("(")).unwrap_err();
        assert!(
            e.message.starts_with("parsing $CGO_LDFLAGS_DISALLOW: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn pkg_config_flags_ignore_overrides() {
        let o = Overrides::from_patterns("CFLAGS", Some(".*"), None).unwrap();
        assert!(
            check_flags(
                FlagClass::PkgConfig,
                "pkg-config",
                &v(&["--log-file=/tmp/x"]),
                &o
            )
            .is_err()
        );
        assert!(
            check_flags(
                FlagClass::PkgConfig,
                "pkg-config",
                &v(&["--static", "--define-variable=a=b"]),
                &o
            )
            .is_ok()
        );
    }

    #[test]
    fn internal_link_linker() {
        assert!(check_linker_flags_for_internal_link("s", &v(&["-lm", "-Wl,-Bstatic"])).is_err());
        assert!(check_linker_flags_for_internal_link("s", &v(&["-lm", "-Wl,-Bdynamic"])).is_ok());
        let e =
            check_compiler_flags_for_internal_link("s", &v(&["-O2", "-flto=thin"])).unwrap_err();
        assert!(
            e.message
                .contains(r#"flag "-flto=thin" triggers external linking"#)
                || e.message.contains("invalid flag")
        );
    }
}
