//! Argument handling shared by `#cgo` lines: quoted splitting, `${SRCDIR}` expansion with its
//! shell-safety rule, and making `-I`/`-L` paths absolute.

use std::fmt;
use std::path::Path;

/// Why [`split_quoted`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// A `'` or `"` was opened and never closed.
    UnclosedQuote,
    /// The text ends with a lone `\`.
    UnfinishedEscaping,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitError::UnclosedQuote => "unclosed quote",
            SplitError::UnfinishedEscaping => "unfinished escaping",
        })
    }
}

impl std::error::Error for SplitError {}

/// Splits `s` into arguments the way Go's `#cgo` lines do.
///
/// Runs of Unicode white space separate arguments; `'` and `"` quote (and are removed; either
/// kind may appear inside the other); `\` makes the next character literal, even inside quotes;
/// an empty quoted string is an empty argument. Example:
/// `a b:"c d" 'e''f'  "g\""` gives `a`, `b:c d`, `ef`, `g"`.
///
/// # Errors
/// [`SplitError::UnclosedQuote`] or [`SplitError::UnfinishedEscaping`].
///
/// # References
/// Go `go/build/build.go`, `splitQuoted`.
pub fn split_quoted(s: &str) -> Result<Vec<String>, SplitError> {
    split_quoted_spans(s).map(|v| v.into_iter().map(|(a, _)| a).collect())
}

/// Like [`split_quoted`], also returning the byte offset in `s` where each argument starts.
pub(crate) fn split_quoted_spans(s: &str) -> Result<Vec<(String, usize)>, SplitError> {
    let mut args = Vec::new();
    let mut cur = String::with_capacity(32);
    let mut start = None::<usize>;
    let mut escaped = false;
    let mut quoted = false; // the current argument contained a quote (so may be empty)
    let mut quote = None::<char>;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
            start.get_or_insert(i);
            continue;
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
                continue;
            }
        } else if c == '"' || c == '\'' {
            quoted = true;
            quote = Some(c);
            start.get_or_insert(i);
            continue;
        } else if c.is_whitespace() {
            if quoted || !cur.is_empty() {
                quoted = false;
                args.push((
                    std::mem::replace(&mut cur, String::with_capacity(32)),
                    start.take().unwrap_or(i),
                ));
            }
            start = None;
            continue;
        }
        start.get_or_insert(i);
        cur.push(c);
    }
    if quoted || !cur.is_empty() {
        args.push((cur, start.unwrap_or(s.len())));
    }
    if quote.is_some() {
        Err(SplitError::UnclosedQuote)
    } else if escaped {
        Err(SplitError::UnfinishedEscaping)
    } else {
        Ok(args)
    }
}

/// Splits an environment flag list (`CGO_CFLAGS`, ...) the go command's way: fields separated
/// by space, tab, CR or LF; a field starting with `'` or `"` ends at the next same quote
/// (both removed, nothing unescaped); quotes elsewhere are ordinary characters.
///
/// # Errors
/// `unterminated ' string` (or `"`) when the closing quote is missing.
///
/// # References
/// Go `cmd/internal/quoted/quoted.go`, `Split`.
pub(crate) fn split_env_list(s: &str) -> Result<Vec<String>, String> {
    let is_sep = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let mut fields = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(is_sep);
        let Some(first) = rest.chars().next() else {
            return Ok(fields);
        };
        if first == '\'' || first == '"' {
            let body = &rest[1..];
            let Some(end) = body.find(first) else {
                return Err(format!("unterminated {first} string"));
            };
            fields.push(body[..end].to_owned());
            rest = &body[end + 1..];
        } else {
            let end = rest.find(is_sep).unwrap_or(rest.len());
            fields.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
}

/// Reports whether `s` is made only of bytes Go accepts in `#cgo` arguments and directory
/// names: ASCII letters, digits, `+-.,/=_:$@%!~^` and space, or any non-ASCII byte.
/// The empty string is not safe.
///
/// # References
/// Go `go/build/build.go`, `safeCgoName`.
pub fn safe_cgo_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b >= 0x80 || b.is_ascii_alphanumeric() || b"+-.,/=_:$@%! ~^".contains(&b))
}

/// Expands every literal `${SRCDIR}` in `s` to `srcdir` and reports whether the result is
/// safe (see [`safe_cgo_name`]).
///
/// Without `${SRCDIR}`, `s` is returned unchanged with `safe_cgo_name(s)`. Otherwise each
/// non-empty piece around the occurrences must be safe, `srcdir` (with `\` turned into `/`)
/// must be safe unless empty, and the result must be non-empty. `$SRCDIR` without braces is
/// not expanded.
///
/// # References
/// Go `go/build/build.go`, `expandSrcDir`.
pub fn expand_src_dir(s: &str, srcdir: &str) -> (String, bool) {
    const KEY: &str = "${SRCDIR}";
    if !s.contains(KEY) {
        return (s.to_owned(), safe_cgo_name(s));
    }
    let srcdir = to_slash(srcdir);
    let mut ok = true;
    for chunk in s.split(KEY) {
        ok &= chunk.is_empty() || safe_cgo_name(chunk);
    }
    ok &= srcdir.is_empty() || safe_cgo_name(&srcdir);
    let res = s.replace(KEY, &srcdir);
    let ok = ok && !res.is_empty();
    (res, ok)
}

fn to_slash(p: &str) -> String {
    if std::path::MAIN_SEPARATOR == '/' {
        p.to_owned()
    } else {
        p.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Rewrites relative paths given to `-I` and `-L` (joined, `-Ifoo`, or as the next argument
/// after a bare `-I`/`-L`) as `srcdir` joined with the path.
///
/// # References
/// Go `go/build/build.go`, `makePathsAbsolute`.
pub fn make_paths_absolute(args: &mut [String], srcdir: &str) {
    let mut next_is_path = false;
    for arg in args.iter_mut() {
        if next_is_path {
            if !Path::new(arg.as_str()).is_absolute() {
                *arg = join_clean(srcdir, arg);
            }
            next_is_path = false;
        } else if arg.starts_with("-I") || arg.starts_with("-L") {
            if arg.len() == 2 {
                next_is_path = true;
            } else if !Path::new(&arg[2..]).is_absolute() {
                *arg = format!("{}{}", &arg[..2], join_clean(srcdir, &arg[2..]));
            }
        }
    }
}

/// `filepath.Join(dir, rel)`: join with the separator, then clean the result lexically
/// (remove `.` elements, fold `x/..`, squeeze separators). An empty result is `.`.
fn join_clean(dir: &str, rel: &str) -> String {
    let sep = std::path::MAIN_SEPARATOR;
    let joined = match (dir.is_empty(), rel.is_empty()) {
        (true, true) => return String::new(),
        (true, false) => rel.to_owned(),
        (false, true) => dir.to_owned(),
        (false, false) => format!("{dir}{sep}{rel}"),
    };
    clean(&joined, sep)
}

fn clean(p: &str, sep: char) -> String {
    let is_sep = |c: char| c == '/' || c == sep;
    let rooted = p.starts_with(is_sep);
    let mut out: Vec<&str> = Vec::new();
    for part in p.split(is_sep) {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(&last) if last != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            _ => out.push(part),
        }
    }
    let body = out.join(&sep.to_string());
    match (rooted, body.is_empty()) {
        (true, _) => format!("{sep}{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_quoted_go_doc_example() {
        assert_eq!(
            split_quoted(r#"a b:"c d" 'e''f'  "g\"""#).unwrap(),
            ["a", "b:c d", "ef", "g\""]
        );
    }

    #[test]
    fn split_quoted_edge_cases() {
        assert_eq!(split_quoted("''").unwrap(), [""]);
        assert_eq!(split_quoted("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split_quoted("'a\"b'").unwrap(), ["a\"b"]);
        assert_eq!(split_quoted("a\\ b").unwrap(), ["a b"]);
        assert_eq!(split_quoted("x\u{a0}y").unwrap(), ["x", "y"]);
        assert_eq!(split_quoted("-I\"c flags\"").unwrap(), ["-Ic flags"]);
        assert_eq!(split_quoted("'abc"), Err(SplitError::UnclosedQuote));
        assert_eq!(split_quoted("abc\\"), Err(SplitError::UnfinishedEscaping));
    }

    #[test]
    fn split_spans_point_at_argument_starts() {
        let v = split_quoted_spans(" ab  'c d' \\e").unwrap();
        assert_eq!(v, [("ab".into(), 1), ("c d".into(), 5), ("e".into(), 11)]);
    }

    #[test]
    fn make_paths_absolute_joins_relative_only() {
        let mut a: Vec<String> = [
            "-Ibar",
            "-I",
            "x/../y",
            "-L/abs",
            "-Lc flags",
            "-lm",
            "-I",
            "/abs",
        ]
        .map(String::from)
        .into();
        make_paths_absolute(&mut a, "/src/pkg");
        assert_eq!(
            a,
            [
                "-I/src/pkg/bar",
                "-I",
                "/src/pkg/y",
                "-L/abs",
                "-L/src/pkg/c flags",
                "-lm",
                "-I",
                "/abs"
            ]
        );
        let mut b = vec!["-I".to_owned(), "@foo".to_owned()];
        make_paths_absolute(&mut b, "/s");
        assert_eq!(b, ["-I", "/s/@foo"]);
    }

    #[test]
    fn clean_folds_dots() {
        assert_eq!(clean("/a/./b/../../..", '/'), "/");
        assert_eq!(clean("a/../..", '/'), "..");
        assert_eq!(clean("", '/'), ".");
    }
}
