//! A small scanner of the C functions a preamble declares or defines at file scope.
//!
//! `#cgo noescape f` / `#cgo nocallback f` must name a C function. Go learns the preamble's
//! functions from the C compiler's debug information; a build script has no such luxury, so this
//! scanner reads the C text itself. It is deliberately small:
//!
//! - comments, string and character literals, and preprocessor lines (with `\` continuations)
//!   are skipped; so are function bodies and any other `{...}` block, except the braces of
//!   `extern "C" { ... }`, whose contents are at file scope;
//! - in each top-level declaration (up to `;`, or a function body), every declarator's name is
//!   the first identifier followed by `(` that is not a keyword or attribute-like construct;
//!   initializers (`= ...`) are skipped and `typedef` declarations name types, not functions.
//!
//! Function-like macro invocations at file scope (`DECLARE(foo)`) are therefore reported as
//! functions named after the macro; that can only make a `noescape` name be accepted, never
//! rejected, and a macro named in `#cgo noescape` is a user error the C compiler reports anyway.

/// A C function found at file scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CFunction {
    /// Its name.
    pub name: String,
    /// Byte offset of the name in the scanned text.
    pub offset: usize,
    /// Whether this occurrence has a body (a definition) rather than being a declaration.
    pub defined: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Punct(u8),
    /// A string literal (content not needed) or any other token (numbers, operators).
    Str,
    Other,
}

/// Keywords and constructs that are followed by `(` but do not declare a function.
fn not_a_function(w: &str) -> bool {
    matches!(
        w,
        "if" | "while"
            | "for"
            | "switch"
            | "return"
            | "sizeof"
            | "_Alignof"
            | "alignof"
            | "__alignof__"
            | "_Alignas"
            | "alignas"
            | "typeof"
            | "__typeof__"
            | "__typeof"
            | "typeof_unqual"
            | "_Static_assert"
            | "static_assert"
            | "_Generic"
            | "__attribute__"
            | "__attribute"
            | "__declspec"
            | "asm"
            | "__asm__"
            | "__asm"
            | "_Atomic"
            | "__extension__"
            | "_Pragma"
            | "__pragma"
            | "decltype"
            | "noexcept"
            | "int"
            | "char"
            | "short"
            | "long"
            | "float"
            | "double"
            | "void"
            | "signed"
            | "unsigned"
            | "_Bool"
            | "bool"
            | "const"
            | "volatile"
            | "restrict"
            | "__restrict"
            | "struct"
            | "union"
            | "enum"
            | "static"
            | "extern"
            | "inline"
            | "__inline"
            | "__inline__"
    )
}

/// Attribute-like keywords whose parenthesised argument is skipped entirely.
fn skips_parens(w: &str) -> bool {
    matches!(
        w,
        "__attribute__"
            | "__attribute"
            | "__declspec"
            | "asm"
            | "__asm__"
            | "__asm"
            | "_Alignas"
            | "alignas"
            | "typeof"
            | "__typeof__"
            | "__typeof"
            | "_Pragma"
            | "__pragma"
    )
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    at_line_start: bool,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer {
            s,
            b: s.as_bytes(),
            i: 0,
            at_line_start: true,
        }
    }

    /// Skips white space, comments and preprocessor lines.
    fn skip_trivia(&mut self) {
        let b = self.b;
        while self.i < b.len() {
            let c = b[self.i];
            if c == b'\n' {
                self.at_line_start = true;
                self.i += 1;
            } else if c == b' ' || c == b'\t' || c == b'\r' || c == b'\x0b' || c == b'\x0c' {
                self.i += 1;
            } else if c == b'\\' && b.get(self.i + 1) == Some(&b'\n') {
                self.i += 2;
            } else if c == b'/' && b.get(self.i + 1) == Some(&b'/') {
                self.skip_line();
            } else if c == b'/' && b.get(self.i + 1) == Some(&b'*') {
                match self.s[self.i + 2..].find("*/") {
                    Some(j) => self.i += 2 + j + 2,
                    None => self.i = b.len(),
                }
            } else if c == b'#' && self.at_line_start {
                self.skip_line();
            } else {
                break;
            }
        }
    }

    /// Skips to the end of the line, honouring `\` continuations and comments that hide a
    /// newline (a `/* ... */` spanning lines inside a directive continues it).
    fn skip_line(&mut self) {
        let b = self.b;
        while self.i < b.len() {
            match b[self.i] {
                b'\n' => return,
                b'\\' if b.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'\\' if b.get(self.i + 1) == Some(&b'\r') && b.get(self.i + 2) == Some(&b'\n') => {
                    self.i += 3
                }
                b'/' if b.get(self.i + 1) == Some(&b'*') => match self.s[self.i + 2..].find("*/") {
                    Some(j) => self.i += 2 + j + 2,
                    None => self.i = b.len(),
                },
                _ => self.i += 1,
            }
        }
    }

    fn next(&mut self) -> Option<(Tok<'a>, usize)> {
        self.skip_trivia();
        let b = self.b;
        let start = self.i;
        let &c = b.get(start)?;
        self.at_line_start = false;
        if c == b'_' || c.is_ascii_alphabetic() || c == b'$' || c >= 0x80 {
            let mut j = start;
            while j < b.len()
                && (b[j] == b'_' || b[j].is_ascii_alphanumeric() || b[j] == b'$' || b[j] >= 0x80)
            {
                j += 1;
            }
            self.i = j;
            let word = &self.s[start..j];
            // String prefixes: L"...", u8"...", u'...' etc.
            if matches!(
                word,
                "L" | "u" | "U" | "u8" | "R" | "LR" | "uR" | "UR" | "u8R"
            ) && matches!(b.get(j), Some(b'"' | b'\''))
            {
                self.skip_quoted(b[j]);
                return Some((Tok::Str, start));
            }
            return Some((Tok::Ident(word), start));
        }
        if c == b'"' || c == b'\'' {
            self.skip_quoted(c);
            return Some((Tok::Str, start));
        }
        if c.is_ascii_digit() {
            let mut j = start;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_' || b[j] == b'\'')
            {
                j += 1;
            }
            self.i = j;
            return Some((Tok::Other, start));
        }
        self.i += 1;
        Some((Tok::Punct(c), start))
    }

    fn skip_quoted(&mut self, q: u8) {
        let b = self.b;
        let mut j = self.i + 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'\n' => break, // unterminated literal: stop at the line end
                c if c == q => {
                    j += 1;
                    break;
                }
                _ => j += 1,
            }
        }
        self.i = j.min(b.len());
        // Keep on a char boundary: the closing quote is ASCII, and `\` + multibyte
        // could leave j inside a character.
        while self.i < b.len() && !self.s.is_char_boundary(self.i) {
            self.i += 1;
        }
    }
}

/// Scans C text for functions declared or defined at file scope.
///
/// Never panics; on malformed C it reports what it could recognise.
pub fn scan_c_functions(text: &str) -> Vec<CFunction> {
    let mut out = Vec::new();
    let mut lx = Lexer::new(text);
    // Declaration state.
    let mut paren = 0usize; // parenthesis depth inside the current declaration
    let mut in_init = false; // after `=` at depth 0, until `,` or `;`
    let mut declarator_named = false; // the current declarator already has its function name
    let mut is_typedef = false;
    let mut pending: Option<(&str, usize)> = None; // candidate awaiting `(`
    let mut last_fn: Option<usize> = None; // index in `out` of this declaration's last function
    let mut prev: Option<Tok<'_>> = None; // previous significant token
    let mut stmt: Vec<Tok<'_>> = Vec::new(); // first tokens of the declaration (for extern "C")
    let mut skip_paren_depth: Option<usize> = None; // inside __attribute__((...)) and friends
    let mut skip_next_paren = false;

    let reset = |paren: &mut usize,
                 in_init: &mut bool,
                 named: &mut bool,
                 td: &mut bool,
                 last: &mut Option<usize>,
                 stmt: &mut Vec<Tok<'_>>| {
        *paren = 0;
        *in_init = false;
        *named = false;
        *td = false;
        *last = None;
        stmt.clear();
    };

    while let Some((tok, pos)) = lx.next() {
        if let Some(name) = pending.take() {
            if tok == Tok::Punct(b'(') && !in_init && !is_typedef && !declarator_named {
                out.push(CFunction {
                    name: name.0.to_owned(),
                    offset: name.1,
                    defined: false,
                });
                last_fn = Some(out.len() - 1);
                declarator_named = true;
            }
        }
        if stmt.len() < 3 {
            stmt.push(tok);
        }
        match tok {
            Tok::Ident(w) => {
                if w == "typedef" {
                    is_typedef = true;
                }
                if skips_parens(w) {
                    skip_next_paren = true;
                } else if skip_paren_depth.is_none() && !not_a_function(w) {
                    pending = Some((w, pos));
                }
            }
            Tok::Punct(b'(') => {
                if skip_next_paren && skip_paren_depth.is_none() {
                    skip_paren_depth = Some(paren);
                }
                skip_next_paren = false;
                paren += 1;
            }
            Tok::Punct(b')') => {
                paren = paren.saturating_sub(1);
                if skip_paren_depth == Some(paren) {
                    skip_paren_depth = None;
                }
            }
            Tok::Punct(b'=') if paren == 0 => in_init = true,
            Tok::Punct(b',') if paren == 0 => {
                in_init = false;
                declarator_named = false;
            }
            Tok::Punct(b';') if paren == 0 => {
                reset(
                    &mut paren,
                    &mut in_init,
                    &mut declarator_named,
                    &mut is_typedef,
                    &mut last_fn,
                    &mut stmt,
                );
            }
            Tok::Punct(b'{') if paren == 0 => {
                // `extern "C" {`: its contents are at file scope; the matching `}` is simply
                // an extra token we ignore.
                if stmt.len() == 3 && stmt[0] == Tok::Ident("extern") && stmt[1] == Tok::Str {
                    reset(
                        &mut paren,
                        &mut in_init,
                        &mut declarator_named,
                        &mut is_typedef,
                        &mut last_fn,
                        &mut stmt,
                    );
                    prev = None;
                    continue;
                }
                let function_body =
                    !in_init && !is_typedef && last_fn.is_some() && prev != Some(Tok::Punct(b'='));
                skip_block(&mut lx);
                if function_body {
                    if let Some(i) = last_fn {
                        out[i].defined = true;
                    }
                    reset(
                        &mut paren,
                        &mut in_init,
                        &mut declarator_named,
                        &mut is_typedef,
                        &mut last_fn,
                        &mut stmt,
                    );
                    prev = None;
                    continue;
                }
            }
            Tok::Punct(b'}') if paren == 0 => {
                // Closing an `extern "C" {` block (or stray): starts a new declaration.
                reset(
                    &mut paren,
                    &mut in_init,
                    &mut declarator_named,
                    &mut is_typedef,
                    &mut last_fn,
                    &mut stmt,
                );
            }
            _ => {}
        }
        prev = Some(tok);
    }
    out
}

/// Skips a balanced `{ ... }` block; the opening brace has been consumed.
fn skip_block(lx: &mut Lexer<'_>) {
    let mut depth = 1usize;
    while let Some((tok, _)) = lx.next() {
        match tok {
            Tok::Punct(b'{') => depth += 1,
            Tok::Punct(b'}') => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        scan_c_functions(s).into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn declarations_and_definitions() {
        let src = r#"
#include <stdio.h>
#define F(x) g(x)
#define LONG(a, \
   b) h(a)
static int add(int a, int b) { return a + b; }
void noop(void);
extern double sqrt(double);
int (*getf(void))(int);
const char *name(void) __attribute__((pure));
__attribute__((noinline)) void attr_first(void) {}
int a, b(int), *c(void);
unsigned long long big(unsigned x,
                       char *p);
"#;
        assert_eq!(
            names(src),
            [
                "add",
                "noop",
                "sqrt",
                "getf",
                "name",
                "attr_first",
                "b",
                "c",
                "big"
            ]
        );
        let f = scan_c_functions(src);
        assert!(f[0].defined && !f[1].defined && f[5].defined);
    }

    #[test]
    fn skips_non_functions() {
        let src = r#"
typedef int fn_t(int);
typedef struct { int (*cb)(int); } ops_t;
int (*fp)(int);
int x = foo(3), y = bar(4);
struct s { int m(void); };
enum e { A = f(1) };
static const char *s = "void notme(void);";
char c = '(';
/* int commented(void); */
// int alsocommented(void);
_Static_assert(sizeof(int) == 4, "int");
void with_body(void) { int inner(void); if (x) { call(); } }
int after(void);
"#;
        assert_eq!(names(src), ["with_body", "after"]);
    }

    #[test]
    fn extern_c_blocks_are_file_scope() {
        let src = "extern \"C\" {\nint f(void);\nstatic inline int g(void) { return 1; }\n}\nint h(void);";
        assert_eq!(names(src), ["f", "g", "h"]);
    }

    #[test]
    fn struct_returning_function_definition() {
        let src = "struct point { int x, y; } make_point(int x) { struct point p = {x, x}; return p; }\nint z(void);";
        assert_eq!(names(src), ["make_point", "z"]);
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for s in [
            "{{{{",
            "}}}",
            "int f(",
            "\"unterminated",
            "'",
            "/* open",
            "#define X \\",
            "é(",
            "\\",
            "L'",
        ] {
            let _ = scan_c_functions(s);
        }
        assert_eq!(names("int f("), ["f"]);
    }
}
