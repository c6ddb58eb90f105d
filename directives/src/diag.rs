//! Diagnostics: one error with its position and a caret excerpt, and the list of all of them.

use std::fmt;

/// Where a diagnostic points: a file name, a 1-based line and a 1-based column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file name given to the parser (used only for messages); shared by all locations
    /// of one file.
    pub file: std::sync::Arc<str>,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in Unicode scalar values.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What kind of problem a [`Diagnostic`] reports; lets callers and tests match without parsing text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A `#cgo` line without a colon, without a verb, or whose arguments do not split
    /// (Go: `invalid #cgo line`).
    InvalidLine,
    /// A verb other than the six known ones (Go: `invalid #cgo verb`).
    InvalidVerb,
    /// `${SRCDIR}` expansion or the argument itself is not shell-safe
    /// (Go: `malformed #cgo argument`).
    MalformedArgument,
    /// A flag refused by the allow/deny lists (Go: `invalid flag in ...`).
    InvalidFlag,
    /// A `CGO_<VAR>_ALLOW` / `CGO_<VAR>_DISALLOW` regular expression does not compile
    /// (Go: `parsing $CGO_..._ALLOW`).
    BadOverride,
    /// A pkg-config package name that is not a safe argument
    /// (Go: `invalid pkg-config package name`).
    InvalidPackageName,
    /// pkg-config itself failed (package not found, tool missing, cross-compilation refused...).
    PkgConfig,
    /// `#cgo noescape f` / `#cgo nocallback f` names no C function of the preamble
    /// (Go: `no matched C function`).
    NoMatchedCFunction,
    /// Reading a file failed.
    Io,
    /// A `//go:cgo_*` directive in a hand-written Go file (only cgo-generated code may use them).
    GoDirective,
    /// A package directory with no buildable Go file.
    NoGoFiles,
}

/// One error: what went wrong, where, and the source line with a caret under the spot.
///
/// `Display` prints `file:line:col: message`, then the source line and a caret line, so the
/// Go wording (`invalid flag in #cgo LDFLAGS: ...`) is always a substring of the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The kind of problem.
    pub kind: ErrorKind,
    /// Where it is; `None` for problems without a source position (for example a bad
    /// `CGO_CFLAGS_ALLOW` regular expression, which comes from the environment).
    pub location: Option<Location>,
    /// The message, keeping Go's wording.
    pub message: String,
    /// The source line the location points into (without its line terminator), if any.
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Diagnostic {
            kind,
            location: None,
            message: message.into(),
            source_line: None,
        }
    }

    pub(crate) fn at(mut self, location: Location, source_line: &str) -> Self {
        self.location = Some(location);
        self.source_line = Some(source_line.to_owned());
        self
    }

    /// The caret line under [`source_line`](Self::source_line): tabs are kept so the caret
    /// lines up in a terminal, other characters become spaces.
    pub fn caret(&self) -> Option<String> {
        let loc = self.location.as_ref()?;
        let line = self.source_line.as_ref()?;
        let mut s: String = line
            .chars()
            .take(loc.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        s.push('^');
        Some(s)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        f.write_str(&self.message)?;
        if let (Some(line), Some(caret)) = (&self.source_line, self.caret()) {
            write!(f, "\n    {line}\n    {caret}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Every error found, in source order. Never empty when returned as an `Err`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Errors(pub Vec<Diagnostic>);

impl Errors {
    /// The diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl IntoIterator for Errors {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
