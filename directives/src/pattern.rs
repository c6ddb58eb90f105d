//! A small backtracking matcher for the built-in flag patterns.
//!
//! The allow/deny lists are ~230 fixed patterns in a tiny regular-expression subset: literals,
//! `\` escapes, bracket classes (`[A-Za-z_]`, `[^@\-]`), `.`, groups with `|`, the greedy
//! quantifiers `?`, `*`, `+`, and `$`. Compiling them with a general engine costs far more than
//! matching a handful of short flags (and makes the crate's tests unusable under Miri), so they
//! are parsed once into this form and matched by backtracking in priority order, which is
//! exactly Go's leftmost-first semantics: the first successful path is the match Go's
//! `FindString` returns. A flag is accepted when that match is the whole flag.
//!
//! Repetition of single-character atoms is iterative (no recursion per character), so long
//! inputs cannot exhaust the stack; repeated groups recurse once per repetition.
//! User-supplied `CGO_*_ALLOW` patterns use the `regex` crate (full RE2 syntax).

/// One parsed pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    alt: Alt,
    /// Literal text every match starts with (used to skip patterns cheaply).
    prefix: String,
}

type Alt = Vec<Seq>;
type Seq = Vec<Piece>;

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: u32,
    max: Option<u32>,
}

#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// `.`: any character except `\n`.
    Any,
    Group(Alt),
    /// `$`: end of text.
    End,
}

impl Atom {
    /// For single-character atoms: whether `c` matches. `None` for groups and `$`.
    fn single(&self, c: char) -> Option<bool> {
        match self {
            Atom::Char(x) => Some(*x == c),
            Atom::Any => Some(c != '\n'),
            Atom::Class { negated, ranges } => {
                Some(ranges.iter().any(|(a, b)| *a <= c && c <= *b) != *negated)
            }
            Atom::Group(_) | Atom::End => None,
        }
    }
}

/// Why a built-in pattern failed to parse (a bug in this crate's tables).
#[derive(Debug)]
pub(crate) struct PatternError(pub(crate) String);

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Pattern {
    pub(crate) fn new(p: &str) -> Result<Pattern, PatternError> {
        let mut parser = Parser {
            chars: p.chars().peekable(),
        };
        let alt = parser.alt()?;
        if parser.chars.next().is_some() {
            return Err(PatternError(format!("unbalanced ')' in {p:?}")));
        }
        let prefix = literal_prefix(&alt);
        Ok(Pattern { alt, prefix })
    }

    /// Go's "complete match": the leftmost-first match of the pattern in `s` is all of `s`.
    pub(crate) fn matches_whole(&self, s: &str) -> bool {
        if !s.starts_with(self.prefix.as_str()) {
            return false;
        }
        let mut first_end = None;
        // Anchored at 0: a match starting later cannot be the whole string.
        m_alt(&self.alt, s, 0, &mut |end| {
            first_end = Some(end);
            true
        });
        first_end == Some(s.len())
    }
}

fn literal_prefix(alt: &Alt) -> String {
    let mut out = String::new();
    if alt.len() != 1 {
        return out;
    }
    for p in &alt[0] {
        match (&p.atom, p.min, p.max) {
            (Atom::Char(c), 1, Some(1)) => out.push(*c),
            _ => break,
        }
    }
    out
}

impl Parser<'_> {
    fn alt(&mut self) -> Result<Alt, PatternError> {
        let mut alt = vec![self.seq()?];
        while self.chars.peek() == Some(&'|') {
            self.chars.next();
            alt.push(self.seq()?);
        }
        Ok(alt)
    }

    fn seq(&mut self) -> Result<Seq, PatternError> {
        let mut seq = Vec::new();
        while let Some(&c) = self.chars.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.chars.next();
            let atom = match c {
                '\\' => Atom::Char(
                    self.chars
                        .next()
                        .ok_or_else(|| PatternError("trailing \\".into()))?,
                ),
                '.' => Atom::Any,
                '$' => Atom::End,
                '[' => self.class()?,
                '(' => {
                    let a = self.alt()?;
                    if self.chars.next() != Some(')') {
                        return Err(PatternError("missing )".into()));
                    }
                    Atom::Group(a)
                }
                '?' | '*' | '+' => {
                    return Err(PatternError(format!("quantifier {c} without operand")));
                }
                c => Atom::Char(c),
            };
            let (min, max) = match self.chars.peek() {
                Some('?') => (0, Some(1)),
                Some('*') => (0, None),
                Some('+') => (1, None),
                _ => (1, Some(1)),
            };
            if (min, max) != (1, Some(1)) {
                self.chars.next();
            }
            seq.push(Piece { atom, min, max });
        }
        Ok(seq)
    }

    fn class(&mut self) -> Result<Atom, PatternError> {
        let negated = self.chars.peek() == Some(&'^');
        if negated {
            self.chars.next();
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self
                .chars
                .next()
                .ok_or_else(|| PatternError("missing ]".into()))?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = if c == '\\' {
                self.chars
                    .next()
                    .ok_or_else(|| PatternError("trailing \\".into()))?
            } else {
                c
            };
            // A range `a-z`, unless the `-` is last (`[0-9a-z-]`).
            let mut look = self.chars.clone();
            if look.next() == Some('-') && look.peek().is_some_and(|n| *n != ']') {
                self.chars.next();
                let hi = match self.chars.next() {
                    Some('\\') => self
                        .chars
                        .next()
                        .ok_or_else(|| PatternError("trailing \\".into()))?,
                    Some(h) => h,
                    None => return Err(PatternError("missing ]".into())),
                };
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Atom::Class { negated, ranges })
    }
}

fn m_alt(alt: &Alt, s: &str, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    alt.iter().any(|seq| m_seq(seq, s, pos, k))
}

fn m_seq(seq: &[Piece], s: &str, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match seq.split_first() {
        None => k(pos),
        Some((p, rest)) => m_piece(p, s, pos, &mut |np| m_seq(rest, s, np, k)),
    }
}

fn m_piece(p: &Piece, s: &str, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    if let Atom::End = p.atom {
        return pos == s.len() && k(pos);
    }
    let rest = &s[pos..];
    if let Some(first) = rest.chars().next().map(|c| p.atom.single(c)) {
        if first.is_some() {
            // Single-character atom: take as many characters as allowed (iteratively), then
            // give them back one at a time (greedy, longest first), without allocating.
            let max = p.max.map_or(usize::MAX, |m| m as usize);
            let min = p.min as usize;
            let (mut n, mut end) = (0usize, pos);
            for c in rest.chars() {
                if n >= max || p.atom.single(c) != Some(true) {
                    break;
                }
                n += 1;
                end += c.len_utf8();
            }
            loop {
                if n >= min && k(end) {
                    return true;
                }
                if n <= min {
                    return false;
                }
                let back = s[pos..end].chars().next_back().map_or(1, char::len_utf8);
                end -= back;
                n -= 1;
            }
        }
    } else if p.atom.single('x').is_some() {
        // Single-character atom at the end of the text: only zero repetitions.
        return p.min == 0 && k(pos);
    }
    let Atom::Group(alt) = &p.atom else {
        return false;
    };
    m_group(alt, p.min, p.max, 0, s, pos, k)
}

fn m_group(
    alt: &Alt,
    min: u32,
    max: Option<u32>,
    count: u32,
    s: &str,
    pos: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    if max.is_none_or(|m| count < m) {
        let more = m_alt(alt, s, pos, &mut |np| {
            // An empty repetition cannot make progress: stop repeating there.
            if np == pos && count >= min {
                return false;
            }
            m_group(alt, min, max, count + 1, s, np, k)
        });
        if more {
            return true;
        }
    }
    count >= min && k(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(p: &str, s: &str) -> bool {
        Pattern::new(p).unwrap().matches_whole(s)
    }

    #[test]
    fn basics() {
        assert!(w(r"-D([A-Za-z_][A-Za-z0-9_]*)(=[^@\-]*)?", "-Dfoo=bar"));
        assert!(!w(r"-D([A-Za-z_][A-Za-z0-9_]*)(=[^@\-]*)?", "-D@X"));
        assert!(w(r"-O", "-O") && !w(r"-O", "-O2"));
        assert!(w(
            r"-Wl(,-z,(relro|now|(no)?execstack))+",
            "-Wl,-z,relro,-z,now,-z,noexecstack"
        ));
        assert!(w(r"-mcmodel=[0-9a-z-]+", "-mcmodel=medium-x"));
        assert!(
            w(r"-Wl,-R,?([^@\-,][^,@]*$)", "-Wl,-R/foo")
                && !w(r"-Wl,-R,?([^@\-,][^,@]*$)", "-Wl,-R,")
        );
        assert!(w(r"-?-std=([^@\-].*)", "--std=c99") && w(r"-?-std=([^@\-].*)", "-std=c99"));
        assert!(
            w(r"-g([^@\-].*)?", "-g")
                && w(r"-g([^@\-].*)?", "-ggdb")
                && !w(r"-g([^@\-].*)?", "-g@gdb")
        );
        assert!(w(r"-I([^@\-].*)", "-I世界"));
    }

    #[test]
    fn leftmost_first_like_go() {
        // Go's FindString prefers the first alternative that completes a match, so `x.obj`
        // is matched as `x.o` and is not a complete match; `x.dylib` is.
        let p = r"[a-zA-Z0-9_/].*\.(a|o|obj|dll|dylib|so|tbd)";
        assert!(!w(p, "x.obj"));
        assert!(w(p, "x.dylib") && w(p, "foo.so") && w(p, "_世界.dll"));
        assert!(!w("a|ab", "ab") && w("ab|a", "ab"));
    }

    #[test]
    fn long_inputs_do_not_recurse_per_character() {
        // Deep enough to overflow a 2 MiB test-thread stack if each character recursed.
        let n = if cfg!(miri) { 20_000 } else { 200_000 };
        let long = format!("-I{}", "x".repeat(n));
        assert!(w(r"-I([^@\-].*)", &long));
        let dots = format!("{}.so", "a".repeat(n / 2));
        assert!(w(r"[a-zA-Z0-9_/].*\.(a|o|obj|dll|dylib|so|tbd)", &dots));
    }

    #[test]
    fn syntax_errors_are_reported() {
        for p in ["(a", "a)", "[ab", "*a", "a\\"] {
            assert!(Pattern::new(p).is_err(), "{p}");
        }
    }
}
