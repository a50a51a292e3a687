//! Score and lex intervals as the range commands give them: `(1.5 +inf`, `[a (c`, `- +`.

use crate::util::num::parse_f64;

/// A score interval with inclusive or exclusive ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: f64,
    /// True if the lower end is excluded (`(min`).
    pub min_ex: bool,
    /// Upper end.
    pub max: f64,
    /// True if the upper end is excluded (`(max`).
    pub max_ex: bool,
}

/// Parses one score bound: a float, or `(` and a float for an exclusive one.
fn score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg.split_first() {
        Some((b'(', rest)) => parse_f64(rest).map(|v| (v, true)),
        _ => parse_f64(arg).map(|v| (v, false)),
    }
}

impl ScoreRange {
    /// Parses `min max`; None when either is not a float.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, min_ex) = score_bound(min)?;
        let (max, max_ex) = score_bound(max)?;
        Some(ScoreRange {
            min,
            min_ex,
            max,
            max_ex,
        })
    }

    /// True if `s` sorts before the interval.
    pub fn below(&self, s: f64) -> bool {
        if self.min_ex {
            s <= self.min
        } else {
            s < self.min
        }
    }

    /// True if `s` sorts after the interval.
    pub fn above(&self, s: f64) -> bool {
        if self.max_ex {
            s >= self.max
        } else {
            s > self.max
        }
    }

    /// True if `s` is inside.
    pub fn contains(&self, s: f64) -> bool {
        !self.below(s) && !self.above(s)
    }
}

/// One end of a lex interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: before everything.
    Min,
    /// `+`: after everything.
    Max,
    /// `[x`: x included.
    Incl(Vec<u8>),
    /// `(x`: x excluded.
    Excl(Vec<u8>),
}

impl LexBound {
    /// Parses `-`, `+`, `[x` or `(x`.
    pub fn parse(arg: &[u8]) -> Option<LexBound> {
        match arg.split_first() {
            Some((b'-', [])) => Some(LexBound::Min),
            Some((b'+', [])) => Some(LexBound::Max),
            Some((b'[', rest)) => Some(LexBound::Incl(rest.to_vec())),
            Some((b'(', rest)) => Some(LexBound::Excl(rest.to_vec())),
            _ => None,
        }
    }
}

/// A member interval for the `BYLEX` commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    /// Lower end.
    pub min: LexBound,
    /// Upper end.
    pub max: LexBound,
}

impl LexRange {
    /// Parses `min max`; None when either is not a valid item.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    /// True if `m` sorts before the interval.
    pub fn below(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m < x.as_slice(),
            LexBound::Excl(x) => m <= x.as_slice(),
        }
    }

    /// True if `m` sorts after the interval.
    pub fn above(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::Max => false,
            LexBound::Min => true,
            LexBound::Incl(x) => m > x.as_slice(),
            LexBound::Excl(x) => m >= x.as_slice(),
        }
    }

    /// True if `m` is inside.
    pub fn contains(&self, m: &[u8]) -> bool {
        !self.below(m) && !self.above(m)
    }
}
