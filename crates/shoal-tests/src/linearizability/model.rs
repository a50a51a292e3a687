//! The sequential model of one key: its value, and what each operation does to it.

use super::{CheckError, Entry, Op, Outcome, Ret};
use std::collections::HashMap;

/// A key's value. Strings that are the canonical decimal form of a 64-bit integer are held as
/// integers, so `SET k 5` followed by `INCR k` and a read of `"6"` compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Val {
    /// The key does not exist.
    Absent,
    /// An integer value.
    Int(i64),
    /// Any other string, by its index in the key's [`Interner`].
    Str(u32),
}

/// The strings of one key's history, numbered.
#[derive(Default)]
pub(super) struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn val(&mut self, s: &str) -> Val {
        if let Some(n) = canonical_int(s) {
            return Val::Int(n);
        }
        if let Some(&id) = self.ids.get(s) {
            return Val::Str(id);
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        Val::Str(id)
    }

    fn opt(&mut self, s: Option<&str>) -> Val {
        s.map_or(Val::Absent, |s| self.val(s))
    }

    /// The value as a client would read it.
    pub(super) fn show(&self, v: Val) -> Option<String> {
        match v {
            Val::Absent => None,
            Val::Int(n) => Some(n.to_string()),
            Val::Str(id) => Some(
                self.names
                    .get(id as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("<string {id}>")),
            ),
        }
    }
}

/// `s` as an integer if it is exactly how that integer is written (no sign, spaces or leading
/// zeros beyond the canonical form), which is what `INCR` accepts.
fn canonical_int(s: &str) -> Option<i64> {
    let n: i64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

/// An operation with its observed result, ready for the search. A `None` result means the
/// outcome is unknown: any result is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Step {
    /// A read that saw `expect`.
    Read { expect: Val },
    /// A write of `value`.
    Write { value: Val },
    /// An increment that produced `expect`.
    Incr { expect: Option<i64> },
    /// A compare-and-set and whether it swapped.
    Cas {
        expected: Val,
        new: Val,
        expect: Option<bool>,
    },
}

impl Step {
    /// The state after this operation applied to `state`, or `None` if its observed result
    /// cannot come from `state`.
    pub(super) fn apply(&self, state: Val) -> Option<Val> {
        match *self {
            Step::Read { expect } => (state == expect).then_some(state),
            Step::Write { value } => Some(value),
            Step::Incr { expect } => {
                let next = match state {
                    Val::Absent => Some(1),
                    Val::Int(n) => n.checked_add(1),
                    Val::Str(_) => None,
                };
                match (next, expect) {
                    (Some(n), Some(e)) => (n == e).then_some(Val::Int(n)),
                    (Some(n), None) => Some(Val::Int(n)),
                    // An INCR that errored changed nothing and did not report a number.
                    (None, Some(_)) => None,
                    (None, None) => Some(state),
                }
            }
            Step::Cas {
                expected,
                new,
                expect,
            } => {
                let swaps = state == expected;
                if expect.is_some_and(|e| e != swaps) {
                    return None;
                }
                Some(if swaps { new } else { state })
            }
        }
    }
}

/// One operation of a key's history as the search sees it.
#[derive(Clone, Debug)]
pub(super) struct KeyOp {
    /// Its position in the whole history.
    pub(super) entry: usize,
    /// What it does and what it saw.
    pub(super) step: Step,
    /// Invocation time.
    pub(super) call: u64,
    /// Completion time; `u64::MAX` when unknown.
    pub(super) ret: u64,
    /// Whether it completed for sure (and so must be linearized before `ret`).
    pub(super) certain: bool,
}

/// A key's operations and the strings they use.
pub(super) struct Prepared {
    pub(super) ops: Vec<KeyOp>,
    pub(super) strings: Interner,
}

/// The operations of `indices` (all on one key) in search form. Failed operations had no
/// effect and reads with an unknown outcome observed nothing, so both are left out.
pub(super) fn prepare(entries: &[Entry], indices: &[usize]) -> Result<Prepared, CheckError> {
    let mut strings = Interner::default();
    let mut ops = Vec::with_capacity(indices.len());
    for &i in indices {
        let Some(e) = entries.get(i) else { continue };
        let ret = match &e.outcome {
            Outcome::Fail => continue,
            Outcome::Ok(r) => Some(r),
            Outcome::Pending | Outcome::Unknown => None,
        };
        let malformed = || CheckError::Malformed {
            index: i,
            entry: Box::new(e.clone()),
        };
        if e.returned.is_some_and(|t| t < e.invoked) {
            return Err(malformed());
        }
        let step = match (&e.op, ret) {
            (Op::Read(_), None) => continue,
            (Op::Read(_), Some(Ret::Read(v))) => Step::Read {
                expect: strings.opt(v.as_deref()),
            },
            (Op::Write(_, v), None | Some(Ret::Write)) => Step::Write {
                value: strings.val(v),
            },
            (Op::Incr(_), None) => Step::Incr { expect: None },
            (Op::Incr(_), Some(Ret::Incr(n))) => Step::Incr { expect: Some(*n) },
            (Op::Cas(_, old, new), None | Some(Ret::Cas(_))) => Step::Cas {
                expected: strings.opt(old.as_deref()),
                new: strings.val(new),
                expect: match ret {
                    Some(Ret::Cas(b)) => Some(*b),
                    _ => None,
                },
            },
            _ => return Err(malformed()),
        };
        let certain = ret.is_some();
        ops.push(KeyOp {
            entry: i,
            step,
            call: e.invoked,
            ret: match e.returned {
                Some(t) if certain => t,
                _ => u64::MAX,
            },
            certain,
        });
    }
    drop_unobservable(&mut ops);
    Ok(Prepared { ops, strings })
}

/// Leaves out unknown-outcome writes (and compare-and-sets) of a value nothing can observe:
/// not an integer (so no `INCR` can build on it), read by no read, expected by no
/// compare-and-set, and with no failed compare-and-set completing after the write's
/// invocation (which the value could explain). Wherever such a write is placed, removing it
/// (and the unknown operations it turned into no-ops) leaves every result explained, so
/// dropping it changes no verdict; it spares the search the writes of timed-out clients.
fn drop_unobservable(ops: &mut Vec<KeyOp>) {
    let mut observed = std::collections::HashSet::new();
    let mut last_failed_cas = None;
    for op in ops.iter() {
        match op.step {
            Step::Read { expect } => {
                observed.insert(expect);
            }
            Step::Cas {
                expected, expect, ..
            } => {
                observed.insert(expected);
                if expect == Some(false) {
                    last_failed_cas = last_failed_cas.max(Some(op.ret));
                }
            }
            Step::Write { .. } | Step::Incr { .. } => {}
        }
    }
    ops.retain(|op| {
        let written = match op.step {
            Step::Write { value } => value,
            Step::Cas { new, .. } => new,
            Step::Read { .. } | Step::Incr { .. } => return true,
        };
        op.certain
            || !matches!(written, Val::Str(_))
            || observed.contains(&written)
            || last_failed_cas.is_some_and(|t| t > op.call)
    });
}
