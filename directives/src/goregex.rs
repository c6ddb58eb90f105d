//! Go regular-expression syntax for `CGO_<VAR>_ALLOW` / `CGO_<VAR>_DISALLOW`.
//!
//! Users write these patterns in Go's RE2 dialect, which differs from the `regex` crate's
//! dialect in both directions: Go accepts `\Q..\E`, octal escapes (`\101`), `x{,3}` (a literal
//! `{`) and `(?)`, and reads `[a&&b]`, `[[a]]`, `[a--b]` and `\<` literally; the `regex` crate
//! reads those as set operations, nested classes and word boundaries, and accepts `(?x)`,
//! `\u0041`, stacked repetitions (`a**`) and counts above 1000, all of which Go refuses.
//!
//! [`translate`] parses a pattern with Go's grammar and either refuses it with Go's error text
//! (``error parsing regexp: <what>: `<where>` ``) or writes an equivalent pattern for the
//! `regex` crate in which every literal is a `\x{..}` escape, every class is spelled out and
//! flags are attached to each item (`(?i:..)`), so no construct is left for the two dialects
//! to read differently.

use std::fmt;

/// A pattern Go's parser refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GoRegexError {
    /// What is wrong, in Go's words (`missing closing )`).
    pub(crate) code: &'static str,
    /// The offending part of the pattern.
    pub(crate) expr: String,
}

impl fmt::Display for GoRegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

const INVALID_CLASS_RANGE: &str = "invalid character class range";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const MISSING_REPEAT_ARG: &str = "missing argument to repetition operator";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const UNEXPECTED_PAREN: &str = "unexpected )";
const NESTING_DEPTH: &str = "expression nests too deeply";

/// Go refuses a parse tree taller than this.
const MAX_HEIGHT: u32 = 1000;

/// Largest repetition count, alone or multiplied through nested counted repetitions.
const MAX_REPEAT: u64 = 1000;

/// Go's flags that change matching (`i`, `m`, `s`, `U`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    ungreedy: bool,
}

/// An open group.
struct Frame {
    /// Flags in force before the group, restored at its `)`.
    saved: Flags,
    /// Where the group starts in the output.
    out_start: usize,
    /// Largest repetition weight of any item in the group so far.
    weight: u64,
    /// Largest height of any item in the group so far.
    height: u32,
    /// A capturing group (a node of Go's parse tree; `(?:` groups are not).
    capture: bool,
}

/// The last item written, which a following repetition operator applies to.
#[derive(Clone, Copy)]
struct Item {
    out_start: usize,
    weight: u64,
    /// A lower bound of the item's height in Go's parse tree: capturing groups nest, and
    /// everything else is counted as a leaf (Go's concatenation and repetition nodes, which it
    /// sometimes merges away, are not counted, so no pattern Go accepts is refused).
    height: u32,
}

struct Translator<'a> {
    whole: &'a str,
    out: String,
    flags: Flags,
    frames: Vec<Frame>,
    /// Weight of the items at top level.
    top_weight: u64,
    /// Height of the items at top level.
    top_height: u32,
    last: Option<Item>,
}

/// Translates a Go pattern into the `regex` crate's syntax with the same meaning, or reports
/// Go's parse error.
///
/// # References
/// Go `regexp/syntax/parse.go` (`Parse` with `Perl` flags, as `regexp.Compile` uses).
pub(crate) fn translate(pattern: &str) -> Result<String, GoRegexError> {
    let mut t = Translator {
        whole: pattern,
        out: String::with_capacity(pattern.len() * 4),
        flags: Flags::default(),
        frames: Vec::new(),
        top_weight: 1,
        top_height: 1,
        last: None,
    };
    t.run()?;
    Ok(t.out)
}

fn err(code: &'static str, expr: &str) -> GoRegexError {
    GoRegexError {
        code,
        expr: expr.to_owned(),
    }
}

/// Writes `c` so that neither dialect gives it a special meaning.
fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:x}}}", c as u32));
    }
}

/// A pattern that matches nothing (for code points that are not characters).
const NEVER: &str = r"[^\x{0}-\x{10ffff}]";

impl Translator<'_> {
    fn pos(&self, rest: &str) -> usize {
        self.whole.len() - rest.len()
    }

    fn set_weight(&mut self, w: u64, h: u32) {
        let (ws, hs) = match self.frames.last_mut() {
            Some(f) => (&mut f.weight, &mut f.height),
            None => (&mut self.top_weight, &mut self.top_height),
        };
        *ws = (*ws).max(w);
        *hs = (*hs).max(h);
    }

    fn open(&mut self, capture: bool, text: &str) {
        self.frames.push(Frame {
            saved: self.flags,
            out_start: self.out.len(),
            weight: 1,
            height: 1,
            capture,
        });
        self.out.push_str(text);
        self.last = None;
    }

    /// Writes one item (already translated text) and makes it the repetition target.
    fn item(&mut self, text: &str) {
        let start = self.out.len();
        if self.flags.fold {
            self.out.push_str("(?i:");
            self.out.push_str(text);
            self.out.push(')');
        } else {
            self.out.push_str(text);
        }
        self.last = Some(Item {
            out_start: start,
            weight: 1,
            height: 1,
        });
        self.set_weight(1, 1);
    }

    fn literal(&mut self, c: u32) {
        match char::from_u32(c) {
            Some(ch) => {
                let mut s = String::new();
                push_char(&mut s, ch);
                self.item(&s);
            }
            None => self.item(NEVER),
        }
    }

    fn run(&mut self) -> Result<(), GoRegexError> {
        let whole = self.whole;
        let mut t = whole;
        // Start of the previous token when it was a repetition operator.
        let mut last_repeat: Option<usize> = None;
        while let Some(c) = t.chars().next() {
            let mut repeat: Option<usize> = None;
            match c {
                '(' if t.as_bytes().get(1) == Some(&b'?') => {
                    t = self.perl_flags(t)?;
                }
                '(' => {
                    self.open(true, "(");
                    t = &t[1..];
                }
                '|' => {
                    self.out.push('|');
                    self.last = None;
                    t = &t[1..];
                }
                ')' => {
                    let Some(f) = self.frames.pop() else {
                        return Err(err(UNEXPECTED_PAREN, whole));
                    };
                    self.out.push(')');
                    self.flags = f.saved;
                    let height = f.height + u32::from(f.capture);
                    if height > MAX_HEIGHT {
                        return Err(err(NESTING_DEPTH, whole));
                    }
                    self.last = Some(Item {
                        out_start: f.out_start,
                        weight: f.weight,
                        height,
                    });
                    self.set_weight(f.weight, height);
                    t = &t[1..];
                }
                '^' => {
                    let s = if self.flags.multi_line {
                        "(?m:^)"
                    } else {
                        r"\A"
                    };
                    self.item(s);
                    t = &t[1..];
                }
                '$' => {
                    let s = if self.flags.multi_line {
                        "(?m:$)"
                    } else {
                        r"\z"
                    };
                    self.item(s);
                    t = &t[1..];
                }
                '.' => {
                    let s = if self.flags.dot_nl { "(?s:.)" } else { "." };
                    self.item(s);
                    t = &t[1..];
                }
                '[' => {
                    let (class, rest) = self.class(t)?;
                    self.item(&class);
                    t = rest;
                }
                '*' | '+' | '?' => {
                    let start = self.pos(t);
                    let mut after = &t[1..];
                    let mut lazy = false;
                    if after.starts_with('?') {
                        after = &after[1..];
                        lazy = true;
                    }
                    self.repeat(&c.to_string(), lazy, start, after, last_repeat, None)?;
                    repeat = Some(start);
                    t = after;
                }
                '{' => {
                    let start = self.pos(t);
                    match parse_repeat(t) {
                        None => {
                            self.literal(u32::from('{'));
                            t = &t[1..];
                        }
                        Some((min, max, after)) => {
                            let bad = min < 0
                                || min > MAX_REPEAT as i64
                                || max > MAX_REPEAT as i64
                                || (max >= 0 && min > max);
                            if bad {
                                return Err(err(
                                    INVALID_REPEAT_SIZE,
                                    &whole[start..self.pos(after)],
                                ));
                            }
                            let mut after = after;
                            let mut lazy = false;
                            if after.starts_with('?') {
                                after = &after[1..];
                                lazy = true;
                            }
                            let op = match max {
                                m if m == min => format!("{{{min}}}"),
                                -1 => format!("{{{min},}}"),
                                m => format!("{{{min},{m}}}"),
                            };
                            self.repeat(&op, lazy, start, after, last_repeat, Some((min, max)))?;
                            repeat = Some(start);
                            t = after;
                        }
                    }
                }
                '\\' => {
                    t = self.escape(t)?;
                }
                _ => {
                    self.literal(u32::from(c));
                    t = &t[c.len_utf8()..];
                }
            }
            last_repeat = repeat;
        }
        if !self.frames.is_empty() {
            return Err(err(MISSING_PAREN, whole));
        }
        Ok(())
    }

    /// Applies a repetition operator to the last item.
    fn repeat(
        &mut self,
        op: &str,
        lazy: bool,
        start: usize,
        after: &str,
        last_repeat: Option<usize>,
        counted: Option<(i64, i64)>,
    ) -> Result<(), GoRegexError> {
        let end = self.pos(after);
        if let Some(lr) = last_repeat {
            return Err(err(INVALID_REPEAT_OP, &self.whole[lr..end]));
        }
        let Some(item) = self.last else {
            return Err(err(MISSING_REPEAT_ARG, &self.whole[start..end]));
        };
        let weight = match counted {
            // `{0}` discards its operand: nothing inside counts.
            Some((_, 0)) => 1,
            Some((min, max)) => {
                let m = if max < 0 { min } else { max };
                let m = u64::try_from(m.max(1)).unwrap_or(1);
                m.saturating_mul(item.weight)
            }
            None => item.weight,
        };
        if let Some((min, max)) = counted {
            if (min >= 2 || max >= 2) && weight > MAX_REPEAT {
                return Err(err(INVALID_REPEAT_SIZE, &self.whole[start..end]));
            }
        }
        self.out.insert_str(item.out_start, "(?:");
        self.out.push(')');
        self.out.push_str(op);
        // Go's `U` flag swaps which form is lazy.
        if lazy != self.flags.ungreedy {
            self.out.push('?');
        }
        self.last = Some(Item {
            out_start: item.out_start,
            weight,
            height: item.height,
        });
        self.set_weight(weight, item.height);
        Ok(())
    }

    /// `(?...`: a named group, a non-capturing group or a flag change.
    fn perl_flags<'s>(&mut self, s: &'s str) -> Result<&'s str, GoRegexError> {
        let b = s.as_bytes();
        let with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let plain = b.len() > 3 && b[2] == b'<';
        if with_p || plain {
            let name_start = if with_p { 4 } else { 3 };
            let Some(end) = s.find('>') else {
                return Err(err(INVALID_NAMED_CAPTURE, s));
            };
            let name = &s[name_start..end];
            if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(err(INVALID_NAMED_CAPTURE, &s[..=end]));
            }
            // The name only labels the group; matching does not depend on it.
            self.open(true, "(");
            return Ok(&s[end + 1..]);
        }
        let mut flags = self.flags;
        let mut negate = false;
        let mut saw_flag = false;
        let mut rest = &s[2..];
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            let on = !negate;
            match c {
                'i' => flags.fold = on,
                'm' => flags.multi_line = on,
                's' => flags.dot_nl = on,
                'U' => flags.ungreedy = on,
                '-' if !negate => {
                    negate = true;
                    saw_flag = false;
                    continue;
                }
                // After `-` at least one flag must follow.
                ':' | ')' if !negate || saw_flag => {
                    if c == ':' {
                        self.open(false, "(?:");
                    }
                    self.flags = flags;
                    return Ok(rest);
                }
                _ => break,
            }
            saw_flag = true;
        }
        Err(err(INVALID_PERL_OP, &s[..s.len() - rest.len()]))
    }

    /// A backslash sequence outside a class.
    fn escape<'s>(&mut self, t: &'s str) -> Result<&'s str, GoRegexError> {
        match t.as_bytes().get(1) {
            Some(b'A') => {
                self.item(r"\A");
                return Ok(&t[2..]);
            }
            Some(b'z') => {
                self.item(r"\z");
                return Ok(&t[2..]);
            }
            // Go's word boundaries are ASCII-only.
            Some(b'b') => {
                self.item(r"(?-u:\b)");
                return Ok(&t[2..]);
            }
            Some(b'B') => {
                self.item(r"(?-u:\B)");
                return Ok(&t[2..]);
            }
            Some(b'C') => return Err(err(INVALID_ESCAPE, &t[..2])),
            Some(b'Q') => {
                let body = &t[2..];
                let (lit, rest) = match body.find(r"\E") {
                    Some(i) => (&body[..i], &body[i + 2..]),
                    None => (body, ""),
                };
                for c in lit.chars() {
                    self.literal(u32::from(c));
                }
                return Ok(rest);
            }
            _ => {}
        }
        if let Some((class, rest)) = unicode_class(t)? {
            self.item(&format!("[{class}]"));
            return Ok(rest);
        }
        if let Some((class, rest)) = perl_class(t) {
            self.item(&format!("[{class}]"));
            return Ok(rest);
        }
        let (c, rest) = parse_escape(t)?;
        self.literal(c);
        Ok(rest)
    }

    /// A bracketed class starting at `s` (`[`): its `regex`-crate text and the rest.
    fn class<'s>(&self, s: &'s str) -> Result<(String, &'s str), GoRegexError> {
        let mut t = &s[1..];
        let mut out = String::from("[");
        if t.starts_with('^') {
            out.push('^');
            t = &t[1..];
        }
        let mut first = true;
        loop {
            if !first && t.starts_with(']') {
                break;
            }
            first = false;
            if t.len() > 2 && t.starts_with("[:") {
                if let Some(i) = t[2..].find(":]") {
                    let name = &t[..i + 4];
                    if !POSIX_CLASSES.contains(&&name[2..name.len() - 2]) {
                        return Err(err(INVALID_CLASS_RANGE, name));
                    }
                    out.push_str(name);
                    t = &t[i + 4..];
                    continue;
                }
            }
            if let Some((class, rest)) = unicode_class(t)? {
                out.push_str(&class);
                t = rest;
                continue;
            }
            if let Some((class, rest)) = perl_class(t) {
                out.push_str(&class);
                t = rest;
                continue;
            }
            let range_start = t;
            let (lo, rest) = class_char(t, s)?;
            t = rest;
            let mut hi = lo;
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                let (h, rest) = class_char(&t[1..], s)?;
                t = rest;
                hi = h;
                if hi < lo {
                    let used = range_start.len() - t.len();
                    return Err(err(INVALID_CLASS_RANGE, &range_start[..used]));
                }
            }
            push_range(&mut out, lo, hi);
        }
        out.push(']');
        Ok((out, &t[1..]))
    }
}

/// Writes the range `lo..=hi` of code points, leaving out surrogates (never in a `str`).
fn push_range(out: &mut String, lo: u32, hi: u32) {
    let (lo, hi) = if (0xD800..=0xDFFF).contains(&lo) && (0xD800..=0xDFFF).contains(&hi) {
        // Nothing to add, but a class needs at least one item: add the empty class.
        out.push_str(NEVER);
        return;
    } else if (0xD800..=0xDFFF).contains(&lo) {
        (0xE000, hi)
    } else if (0xD800..=0xDFFF).contains(&hi) {
        (lo, 0xD7FF)
    } else {
        (lo, hi)
    };
    let (Some(l), Some(h)) = (char::from_u32(lo), char::from_u32(hi)) else {
        return;
    };
    push_char(out, l);
    if h != l {
        out.push('-');
        push_char(out, h);
    }
}

/// One character of a class: an escape or a literal character.
fn class_char<'s>(s: &'s str, whole_class: &str) -> Result<(u32, &'s str), GoRegexError> {
    match s.chars().next() {
        None => Err(err(MISSING_BRACKET, whole_class)),
        Some('\\') => parse_escape(s),
        Some(c) => Ok((u32::from(c), &s[c.len_utf8()..])),
    }
}

/// `{n}`, `{n,}` or `{n,m}` at the start of `s`: (min, max or -1, rest). A number too large
/// gives -1 as min. `None`: not a repetition, so `{` is a literal.
fn parse_repeat(s: &str) -> Option<(i64, i64, &str)> {
    let s = s.strip_prefix('{')?;
    let (mut min, s) = parse_int(s)?;
    let (max, s) = if let Some(s) = s.strip_prefix(',') {
        if s.starts_with('}') {
            (-1, s)
        } else {
            let (max, s) = parse_int(s)?;
            if max < 0 {
                min = -1;
            }
            (max, s)
        }
    } else {
        (min, s)
    };
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

/// Decimal digits without a leading zero; -1 when the value is too large.
fn parse_int(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_digit() {
        return None;
    }
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None;
    }
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut v: i64 = 0;
    for &d in &b[..n] {
        if v >= 100_000_000 {
            v = -1;
            break;
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some((v, &s[n..]))
}

/// A single-character escape (`\n`, `\x41`, `\101`, `\.`).
fn parse_escape(s: &str) -> Result<(u32, &str), GoRegexError> {
    let t = &s[1..];
    let Some(c) = t.chars().next() else {
        return Err(err(TRAILING_BACKSLASH, ""));
    };
    let mut t = &t[c.len_utf8()..];
    let bad = |t: &str| err(INVALID_ESCAPE, &s[..s.len() - t.len()]);
    let octal = |t: &str| {
        t.as_bytes()
            .first()
            .is_some_and(|b| (b'0'..=b'7').contains(b))
    };
    match c {
        // A lone non-zero digit would be a back-reference, which Go does not support.
        '1'..='7' if !octal(t) => Err(bad(t)),
        '0'..='7' => {
            let mut r = u32::from(c) - u32::from('0');
            for _ in 1..3 {
                if !octal(t) {
                    break;
                }
                r = r * 8 + u32::from(t.as_bytes()[0] - b'0');
                t = &t[1..];
            }
            Ok((r, t))
        }
        'x' => {
            let Some(d) = t.chars().next() else {
                return Err(bad(t));
            };
            t = &t[d.len_utf8()..];
            if d == '{' {
                let mut r: u32 = 0;
                let mut digits = 0;
                loop {
                    let Some(h) = t.chars().next() else {
                        return Err(bad(t));
                    };
                    t = &t[h.len_utf8()..];
                    if h == '}' {
                        break;
                    }
                    let Some(v) = h.to_digit(16) else {
                        return Err(bad(t));
                    };
                    r = r * 16 + v;
                    if r > 0x10FFFF {
                        return Err(bad(t));
                    }
                    digits += 1;
                }
                if digits == 0 {
                    return Err(bad(t));
                }
                return Ok((r, t));
            }
            let x = d.to_digit(16);
            let Some(e) = t.chars().next() else {
                return Err(bad(t));
            };
            t = &t[e.len_utf8()..];
            match (x, e.to_digit(16)) {
                (Some(x), Some(y)) => Ok((x * 16 + y, t)),
                _ => Err(bad(t)),
            }
        }
        'a' => Ok((7, t)),
        'f' => Ok((12, t)),
        'n' => Ok((10, t)),
        'r' => Ok((13, t)),
        't' => Ok((9, t)),
        'v' => Ok((11, t)),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((u32::from(c), t)),
        _ => Err(bad(t)),
    }
}

/// `\d \D \s \S \w \W` (ASCII, as in Go), as class items.
fn perl_class(s: &str) -> Option<(String, &str)> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' {
        return None;
    }
    let class = match b[1] {
        b'd' => "0-9",
        b'D' => "[^0-9]",
        b's' => r"\t\n\x{c}\r\x{20}",
        b'S' => r"[^\t\n\x{c}\r\x{20}]",
        b'w' => "0-9A-Za-z_",
        b'W' => "[^0-9A-Za-z_]",
        _ => return None,
    };
    Some((class.to_owned(), &s[2..]))
}

/// `\pN`, `\p{Name}`, `\PN`, `\P{^Name}` as a class item, or `None` when `s` is not one.
fn unicode_class(s: &str) -> Result<Option<(String, &str)>, GoRegexError> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
        return Ok(None);
    }
    let mut negated = b[1] == b'P';
    let t = &s[2..];
    let (seq, mut name, rest) = match t.chars().next() {
        Some('{') => {
            let Some(end) = s.find('}') else {
                return Err(err(INVALID_CLASS_RANGE, s));
            };
            (&s[..=end], &s[3..end], &s[end + 1..])
        }
        Some(c) => (
            &s[..2 + c.len_utf8()],
            &t[..c.len_utf8()],
            &t[c.len_utf8()..],
        ),
        None => (s, "", ""),
    };
    if let Some(n) = name.strip_prefix('^') {
        negated = !negated;
        name = n;
    }
    let Some(item) = unicode_table(name) else {
        return Err(err(INVALID_CLASS_RANGE, seq));
    };
    let text = match (item, negated) {
        (UnicodeItem::Ascii, false) => r"\x{0}-\x{7f}".to_owned(),
        (UnicodeItem::Ascii, true) => r"[^\x{0}-\x{7f}]".to_owned(),
        (UnicodeItem::Surrogates, false) => NEVER.to_owned(),
        (UnicodeItem::Surrogates, true) => r"\x{0}-\x{10ffff}".to_owned(),
        (UnicodeItem::Named(n, inverted), neg) => {
            let p = if neg != inverted { 'P' } else { 'p' };
            format!("\\{p}{{{n}}}")
        }
    };
    Ok(Some((text, rest)))
}

enum UnicodeItem {
    Ascii,
    /// `Cs`: surrogate code points, which never occur in a `str` (the `regex` crate has no
    /// name for them).
    Surrogates,
    /// A `regex`-crate property name, and whether it is inverted.
    Named(&'static str, bool),
}

/// Go's spelling-insensitive form of a Unicode class name: no `_`, `-` or space, first letter
/// upper case, the rest lower case.
fn canonical(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '_' | '-' | ' ') {
            continue;
        }
        if out.is_empty() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Looks a class name up as Go 1.27 does: `Any`, `Assigned`, `ASCII`, general categories
/// (`Lu`, `LC`) and their long aliases (`Uppercase_Letter`), and scripts (`Greek`).
fn unicode_table(name: &str) -> Option<UnicodeItem> {
    let c = canonical(name);
    match c.as_str() {
        "Any" => return Some(UnicodeItem::Named("Any", false)),
        "Assigned" => return Some(UnicodeItem::Named("Cn", true)),
        "Ascii" => return Some(UnicodeItem::Ascii),
        "Lc" => return Some(UnicodeItem::Named("LC", false)),
        _ => {}
    }
    if let Some(cat) = CATEGORIES.iter().find(|k| **k == c) {
        return Some(named_category(cat));
    }
    if let Some(s) = SCRIPTS.iter().find(|k| **k == c) {
        return Some(UnicodeItem::Named(s, false));
    }
    if let Some((_, cat)) = CATEGORY_ALIASES.iter().find(|(k, _)| canonical(k) == c) {
        return Some(named_category(cat));
    }
    SCRIPTS
        .iter()
        .find(|k| canonical(k) == c)
        .map(|s| UnicodeItem::Named(s, false))
}

fn named_category(cat: &'static str) -> UnicodeItem {
    if cat == "Cs" {
        UnicodeItem::Surrogates
    } else {
        UnicodeItem::Named(cat, false)
    }
}

/// POSIX classes Go knows inside brackets (`[[:alpha:]]`, `[[:^digit:]]`); the `regex` crate
/// gives each the same ASCII meaning.
const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit", "^alnum", "^alpha", "^ascii", "^blank", "^cntrl", "^digit",
    "^graph", "^lower", "^print", "^punct", "^space", "^upper", "^word", "^xdigit",
];

/// Go 1.27's general categories (Unicode 17).
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

/// Go 1.27's long names for general categories.
const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Cased_Letter", "LC"),
    ("Close_Punctuation", "Pe"),
    ("Combining_Mark", "M"),
    ("Connector_Punctuation", "Pc"),
    ("Control", "Cc"),
    ("Currency_Symbol", "Sc"),
    ("Dash_Punctuation", "Pd"),
    ("Decimal_Number", "Nd"),
    ("Enclosing_Mark", "Me"),
    ("Final_Punctuation", "Pf"),
    ("Format", "Cf"),
    ("Initial_Punctuation", "Pi"),
    ("Letter", "L"),
    ("Letter_Number", "Nl"),
    ("Line_Separator", "Zl"),
    ("Lowercase_Letter", "Ll"),
    ("Mark", "M"),
    ("Math_Symbol", "Sm"),
    ("Modifier_Letter", "Lm"),
    ("Modifier_Symbol", "Sk"),
    ("Nonspacing_Mark", "Mn"),
    ("Number", "N"),
    ("Open_Punctuation", "Ps"),
    ("Other", "C"),
    ("Other_Letter", "Lo"),
    ("Other_Number", "No"),
    ("Other_Punctuation", "Po"),
    ("Other_Symbol", "So"),
    ("Paragraph_Separator", "Zp"),
    ("Private_Use", "Co"),
    ("Punctuation", "P"),
    ("Separator", "Z"),
    ("Space_Separator", "Zs"),
    ("Spacing_Mark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecase_Letter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercase_Letter", "Lu"),
    ("cntrl", "Cc"),
    ("digit", "Nd"),
    ("punct", "P"),
];

/// Go 1.27's scripts (Unicode 17).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Beria_Erfe",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Garay",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Gurung_Khema",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Kirat_Rai",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Ol_Onal",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "Sidetic",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Sunuwar",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Tai_Yo",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Todhri",
    "Tolong_Siki",
    "Toto",
    "Tulu_Tigalari",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped_and_flags_attach_to_items() {
        assert_eq!(translate("a-b").unwrap(), r"a\x{2d}b");
        assert_eq!(translate("(?i)a*").unwrap(), "(?:(?i:a))*");
        assert_eq!(translate("(?U)a*b*?").unwrap(), "(?:a)*?(?:b)*");
        assert_eq!(translate("(?s:.)$").unwrap(), r"(?:(?s:.))\z");
        assert_eq!(translate("(?m)^").unwrap(), "(?m:^)");
        assert_eq!(translate(r"[\d-]").unwrap(), r"[0-9\x{2d}]");
        assert_eq!(translate("x{2,}").unwrap(), "(?:x){2,}");
        assert_eq!(translate("x{,2}").unwrap(), r"x\x{7b}\x{2c}2\x{7d}");
    }

    #[test]
    fn errors_carry_gos_code_and_text() {
        let e = translate("ab(c").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ): `ab(c`"
        );
        let e = translate("[a").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ]: `[a`"
        );
    }

    #[test]
    fn repeat_weight_multiplies_through_nested_counts() {
        assert!(translate("((a{10}){10}){10}").is_ok());
        assert!(translate("((a{10}){10}){11}").is_err());
        assert!(translate("(a{0}){1000}").is_ok());
        assert!(translate("(a*){1000}").is_ok());
    }
}
