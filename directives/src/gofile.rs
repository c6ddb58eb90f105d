//! Checks on Go source files of a cgo package that are not about the preamble itself: which
//! files the go command ignores, and `//go:cgo_*` directives, which only cgo-generated code may
//! contain (they would otherwise smuggle linker flags past the flag check).

use crate::diag::{Diagnostic, ErrorKind, Errors, Location};

/// Reports whether the go command ignores a file name when building a package directory: names
/// starting with `_` or `.`.
///
/// # References
/// Go `go/build/build.go`, `(*Context).matchFile`.
pub fn is_ignored_file_name(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.starts_with('_') || base.starts_with('.')
}

/// Checks the Go files of one package: ignored names are skipped (`no Go files` when nothing is
/// left), and every `//go:cgo_*` line comment in the others is an error
/// (`//go:cgo_ldflag "..." only allowed in cgo-generated code`).
///
/// # Errors
/// Every problem found.
///
/// # References
/// Go `cmd/compile/internal/noder` (`only allowed in cgo-generated code`); `go/build`
/// (`no Go files`).
pub fn check_go_package(files: &[(&str, &str)]) -> Result<(), Errors> {
    let mut errors = Vec::new();
    let mut any = false;
    for (name, content) in files {
        if is_ignored_file_name(name) || !name.ends_with(".go") {
            continue;
        }
        any = true;
        for (n, line) in content.split('\n').enumerate() {
            let t = line.trim_end_matches('\r');
            let lead = t.len() - t.trim_start().len();
            let t = t.trim();
            if let Some(text) = t.strip_prefix("//") {
                if text.starts_with("go:cgo_") {
                    let loc = Location {
                        file: (*name).into(),
                        line: u32::try_from(n + 1).unwrap_or(u32::MAX),
                        column: u32::try_from(line[..lead].chars().count() + 1).unwrap_or(u32::MAX),
                    };
                    errors.push(
                        Diagnostic::new(
                            ErrorKind::GoDirective,
                            format!("//{text} only allowed in cgo-generated code"),
                        )
                        .at(loc, line.trim_end_matches('\r')),
                    );
                }
            }
        }
    }
    if !any {
        errors.push(Diagnostic::new(
            ErrorKind::NoGoFiles,
            "no Go files in package",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Errors(errors))
    }
}
