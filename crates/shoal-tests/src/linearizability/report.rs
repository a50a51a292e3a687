//! What a failed check reports.

use super::model::Prepared;
use super::search::Failure;
use super::Entry;
use std::fmt;
use std::time::Duration;

/// How many operations of the longest order a [`Violation`] shows.
const PREFIX_SHOWN: usize = 6;
/// How many operations still to place a [`Violation`] shows (the latest invoked).
const PENDING_SHOWN: usize = 10;

/// A key whose operations no order explains, with the operations around the failure.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The key.
    pub key: String,
    /// The key's operations the search considered.
    pub ops: usize,
    /// How many operations were explained before the failure: the longest order found, or
    /// (when `swept`) every operation that completed before `blocked` did.
    pub longest: usize,
    /// Whether the failure was found by the forward sweep rather than the depth-first search.
    pub swept: bool,
    /// The last operations of that order, or the last to complete (history position and
    /// entry), oldest first.
    pub order_tail: Vec<(usize, Entry)>,
    /// The values the key may hold after them (`None`: missing).
    pub values: Vec<Option<String>>,
    /// The operation no extension of the order could place before it completed.
    pub blocked: (usize, Entry),
    /// Other operations not yet placed that were invoked before `blocked` completed (when
    /// `swept`: those running then, and those with unknown outcome).
    pub unplaced: Vec<(usize, Entry)>,
}

/// A key whose search ran out of steps or time.
#[derive(Clone, Debug)]
pub struct Inconclusive {
    /// The key.
    pub key: String,
    /// The key's operations the search considered.
    pub ops: usize,
    /// Steps taken on that key.
    pub steps: u64,
    /// Time since the check started.
    pub elapsed: Duration,
}

fn shown(entries: &[Entry], prepared: &Prepared, op: usize) -> Option<(usize, Entry)> {
    let index = prepared.ops.get(op)?.entry;
    Some((index, entries.get(index)?.clone()))
}

/// The report for `failure` on `key`.
pub(super) fn violation(
    key: &str,
    entries: &[Entry],
    prepared: &Prepared,
    failure: &Failure,
) -> Violation {
    let skip = failure.prefix.len().saturating_sub(PREFIX_SHOWN);
    let order_tail = failure.prefix[skip..]
        .iter()
        .filter_map(|&op| shown(entries, prepared, op))
        .collect();
    let mut unplaced: Vec<(usize, Entry)> = failure
        .candidates
        .iter()
        .filter(|&&op| op != failure.blocker)
        .filter_map(|&op| shown(entries, prepared, op))
        .collect();
    // The latest invoked are the ones nearest the failure.
    unplaced.sort_by_key(|(i, _)| *i);
    let excess = unplaced.len().saturating_sub(PENDING_SHOWN);
    unplaced.drain(..excess);
    let blocked = shown(entries, prepared, failure.blocker).unwrap_or_else(|| {
        let missing = Entry {
            client: 0,
            op: super::Op::Read(key.to_string()),
            invoked: 0,
            returned: None,
            outcome: super::Outcome::Pending,
        };
        (usize::MAX, missing)
    });
    Violation {
        key: key.to_string(),
        ops: prepared.ops.len(),
        longest: failure.prefix.len(),
        swept: failure.swept,
        order_tail,
        values: failure
            .states
            .iter()
            .map(|&v| prepared.strings.show(v))
            .collect(),
        blocked,
        unplaced,
    }
}

fn line(f: &mut fmt::Formatter<'_>, (index, entry): &(usize, Entry)) -> fmt::Result {
    writeln!(f, "    #{index:<6} {entry}")
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "key {:?} is not linearizable ({} operations checked).",
            self.key, self.ops
        )?;
        if self.longest == 0 {
            writeln!(
                f,
                "No operation can be placed first (the key starts missing)."
            )?;
        } else {
            let what = if self.swept {
                "Every operation that completed before the failing one is explained"
            } else {
                "The longest order that explains the results"
            };
            let more = self.longest - self.order_tail.len();
            writeln!(
                f,
                "{what} ({} operations){}:",
                self.longest,
                if more > 0 { "; it ends with" } else { "" }
            )?;
            for e in &self.order_tail {
                line(f, e)?;
            }
            let shown: Vec<String> = self
                .values
                .iter()
                .map(|v| match v {
                    Some(v) => format!("{v:?}"),
                    None => "missing".to_string(),
                })
                .collect();
            writeln!(f, "leaving {:?}: {}.", self.key, shown.join(" or "))?;
        }
        writeln!(
            f,
            "Nothing explains this operation's result before its completion:"
        )?;
        line(f, &self.blocked)?;
        if !self.unplaced.is_empty() {
            if self.swept {
                writeln!(f, "Operations running then, or with unknown outcome:")?;
            } else {
                writeln!(f, "Other operations not yet placed, invoked before that:")?;
            }
            for e in &self.unplaced {
                line(f, e)?;
            }
        }
        writeln!(
            f,
            "(times are logical: [invoked..returned], inf = outcome unknown)"
        )
    }
}

impl fmt::Display for Inconclusive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key {:?}: the search gave up after {} steps over {} operations ({:?} into the \
             check); the history may or may not be linearizable",
            self.key, self.steps, self.ops, self.elapsed
        )
    }
}
