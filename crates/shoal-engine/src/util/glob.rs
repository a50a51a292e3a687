//! Glob-style matching with the semantics of Redis's `stringmatchlen`: `*`, `?`,
//! `[abc]`, `[^a-z]`, `\x` escapes, optional case folding.
//!
//! Matching backtracks only to the most recent `*`, so it runs in O(pattern × string) time
//! however many stars a hostile pattern holds.

/// True if `s` matches `pattern`.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    // Position in the pattern just after the last `*`, and the string position it resumes at.
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, i));
                    continue;
                }
                _ => {
                    if let Some(next_p) = match_one(pattern, p, s[i], nocase) {
                        p = next_p;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches one pattern element at `p` against byte `c`; returns the position after the
/// element on success.
fn match_one(pattern: &[u8], p: usize, c: u8, nocase: bool) -> Option<usize> {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    match pattern[p] {
        b'?' => Some(p + 1),
        b'[' => {
            let mut q = p + 1;
            let negate = q < pattern.len() && pattern[q] == b'^';
            if negate {
                q += 1;
            }
            let mut matched = false;
            loop {
                if q >= pattern.len() {
                    // An unterminated class ends at the end of the pattern.
                    break;
                }
                if pattern[q] == b'\\' && q + 1 < pattern.len() {
                    if eq(pattern[q + 1], c) {
                        matched = true;
                    }
                    q += 2;
                } else if pattern[q] == b']' {
                    q += 1;
                    break;
                } else if q + 2 < pattern.len() && pattern[q + 1] == b'-' {
                    let (mut lo, mut hi) = (pattern[q], pattern[q + 2]);
                    if lo > hi {
                        std::mem::swap(&mut lo, &mut hi);
                    }
                    let (lo, hi, cc) = if nocase {
                        (
                            lo.to_ascii_lowercase(),
                            hi.to_ascii_lowercase(),
                            c.to_ascii_lowercase(),
                        )
                    } else {
                        (lo, hi, c)
                    };
                    if cc >= lo && cc <= hi {
                        matched = true;
                    }
                    q += 3;
                } else {
                    if eq(pattern[q], c) {
                        matched = true;
                    }
                    q += 1;
                }
            }
            if matched != negate {
                Some(q)
            } else {
                None
            }
        }
        b'\\' if p + 1 < pattern.len() => eq(pattern[p + 1], c).then_some(p + 2),
        other => eq(other, c).then_some(p + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn matches_like_redis_stringmatch() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaab"));
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*b", &"a".repeat(200)));
        assert!(glob_match(b"HELLO", b"hello", true));
        assert!(!m("[", "x"));
        assert!(!m("ab[", "ab"));
        assert!(m("foo[\\]]", "foo]"));
    }
}
