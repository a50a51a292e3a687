//! ZUNION, ZINTER, ZDIFF, their STORE forms (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE), and
//! ZINTERCARD.
//!
//! Inputs are sorted sets or plain sets (every member scoring 1, as Redis has it); a missing
//! key is an empty input.

use super::{entries_reply, limits, packing, resp3, store_result};
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::types::zset::{cmp_entry, Member};
use crate::util::num::parse_f64;
use bytes::Bytes;
use shoal_resp::Frame;
use std::collections::HashMap;

/// The set operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// How scores of one member from several inputs combine.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, acc: f64, v: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let s = acc + v;
                // inf + -inf: Redis settles on 0.
                if s.is_nan() {
                    0.0
                } else {
                    s
                }
            }
            Aggregate::Min => acc.min(v),
            Aggregate::Max => acc.max(v),
        }
    }
}

/// Options after the keys.
struct Opts {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    limit: usize,
}

/// Which command is parsing.
#[derive(Clone, Copy)]
struct Form {
    op: Op,
    store: bool,
    card: bool,
}

/// Parses the options after the keys, as `form` allows them.
fn parse_opts(args: &[Bytes], n: usize, form: Form) -> Result<Opts, CmdError> {
    let mut o = Opts {
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let weighted = form.op != Op::Diff && !form.card;
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let left = args.len() - i - 1;
        if weighted && is_word(w, "WEIGHTS") && left >= n {
            for (j, slot) in o.weights.iter_mut().enumerate() {
                *slot = parse_f64(&args[i + 1 + j])
                    .ok_or(CmdError::Msg("weight value is not a float"))?;
            }
            i += n;
        } else if weighted && is_word(w, "AGGREGATE") && left >= 1 {
            let a = &args[i + 1];
            o.aggregate = if is_word(a, "SUM") {
                Aggregate::Sum
            } else if is_word(a, "MIN") {
                Aggregate::Min
            } else if is_word(a, "MAX") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            i += 1;
        } else if form.card && is_word(w, "LIMIT") && left >= 1 {
            let l = crate::util::num::parse_i64(&args[i + 1])
                .filter(|&l| l >= 0)
                .ok_or(CmdError::Msg("LIMIT can't be negative"))?;
            o.limit = usize::try_from(l).unwrap_or(usize::MAX);
            i += 1;
        } else if !form.store && !form.card && is_word(w, "WITHSCORES") {
            o.withscores = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// Combines the inputs (each a list of entries) under `op` and the options; sorted.
fn combine(inputs: Vec<Vec<(Member, f64)>>, op: Op, o: &Opts) -> Vec<(Member, f64)> {
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut acc: HashMap<Member, f64> = HashMap::new();
    let mut it = inputs.into_iter().enumerate();
    if let Some((_, first)) = it.next() {
        for (m, s) in first {
            acc.insert(m, weighted(s, o.weights[0]));
        }
    }
    for (i, input) in it {
        match op {
            Op::Union => {
                for (m, s) in input {
                    let v = weighted(s, o.weights[i]);
                    acc.entry(m)
                        .and_modify(|a| *a = o.aggregate.apply(*a, v))
                        .or_insert(v);
                }
            }
            Op::Inter => {
                let here: HashMap<Member, f64> = input.into_iter().collect();
                acc.retain(|m, a| match here.get(m) {
                    Some(&s) => {
                        *a = o.aggregate.apply(*a, weighted(s, o.weights[i]));
                        true
                    }
                    None => false,
                });
            }
            Op::Diff => {
                for (m, _) in input {
                    acc.remove(&m);
                }
            }
        }
    }
    let mut out: Vec<(Member, f64)> = acc.into_iter().collect();
    out.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
    out
}

/// Reads `numkeys key [key ...]` from `args`, returning the keys and the options' slice.
fn split_keys<'a>(
    ctx: &Ctx<'_>,
    args: &'a [Bytes],
) -> Result<(&'a [Bytes], &'a [Bytes]), CmdError> {
    let n = args.first().ok_or(CmdError::Syntax)?;
    let n = crate::util::num::parse_i64(n).ok_or(CmdError::NotInteger)?;
    if n < 1 {
        return Err(CmdError::text(format!(
            "at least 1 input key is needed for '{}' command",
            ctx.name
        )));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > args.len() - 1 {
        return Err(CmdError::Syntax);
    }
    Ok((&args[1..=n], &args[n + 1..]))
}

/// Runs the operation: `[dst] numkeys key [key ...] [options]`.
fn run(ctx: &mut Ctx<'_>, form: Form) -> CmdResult {
    let dst = if form.store {
        Some(ctx.args.key()?)
    } else {
        None
    };
    let args = ctx.args.rest();
    let (keys, rest) = split_keys(ctx, &args)?;
    let opts = parse_opts(rest, keys.len(), form);
    let lim = limits(ctx);
    let resp3 = resp3(ctx);
    let mut refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    if let Some(d) = &dst {
        refs.push(d);
    }
    let mut a = ctx.lock(&refs);
    let mut inputs = Vec::with_capacity(keys.len());
    for k in keys {
        let entries = match a.get_value(k) {
            Some(crate::types::Value::Set(set)) => set
                .members()
                .into_iter()
                .map(|m| (std::sync::Arc::from(&m[..]), 1.0))
                .collect(),
            Some(v) => v.as_zset()?.entries(),
            None => Vec::new(),
        };
        inputs.push(entries);
    }
    let o = opts?;
    if form.card {
        let n = intercard(inputs, o.limit);
        return Ok(Frame::Integer(n as i64));
    }
    let result = combine(inputs, form.op, &o);
    match dst {
        Some(d) => {
            let (name, event): (&'static [u8], _) = match form.op {
                Op::Union => (b"ZUNIONSTORE", "zunionstore"),
                Op::Inter => (b"ZINTERSTORE", "zinterstore"),
                Op::Diff => (b"ZDIFFSTORE", "zdiffstore"),
            };
            let mut effect = vec![Bytes::from_static(name), d.clone()];
            effect.extend(args.iter().cloned());
            let n = store_result(&mut a, &d, result, lim, (event, effect));
            Ok(Frame::Integer(n as i64))
        }
        None => Ok(entries_reply(&result, o.withscores, resp3, packing(ctx))),
    }
}

/// The size of the intersection, counting up to `limit` (0: no limit).
fn intercard(mut inputs: Vec<Vec<(Member, f64)>>, limit: usize) -> usize {
    inputs.sort_by_key(|v| v.len());
    let mut it = inputs.into_iter();
    let Some(first) = it.next() else {
        return 0;
    };
    let others: Vec<HashMap<Member, f64>> = it.map(|v| v.into_iter().collect()).collect();
    let mut n = 0;
    for (m, _) in first {
        if others.iter().all(|o| o.contains_key(&m)) {
            n += 1;
            if n == limit {
                break;
            }
        }
    }
    n
}

fn form(op: Op, store: bool) -> Form {
    Form {
        op,
        store,
        card: false,
    }
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`.
pub(super) fn zunion(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, form(Op::Union, false))
}

/// `ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`.
pub(super) fn zinter(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, form(Op::Inter, false))
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`.
pub(super) fn zdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, form(Op::Diff, false))
}

/// `ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`.
pub(super) fn zunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, form(Op::Union, true))
}

/// `ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`.
pub(super) fn zinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, form(Op::Inter, true))
}

/// `ZDIFFSTORE dst numkeys key [key ...]`.
pub(super) fn zdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, form(Op::Diff, true))
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`.
pub(super) fn zintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    let f = Form {
        op: Op::Inter,
        store: false,
        card: true,
    };
    run(ctx, f)
}

#[cfg(test)]
mod plain_set_inputs {
    use crate::testing::*;

    #[test]
    fn plain_sets_count_as_sorted_sets_with_score_one() {
        let mut h = Harness::new();
        h.run(&["SADD", "s", "a", "b"]);
        h.run(&["ZADD", "z", "5", "b", "7", "c"]);
        assert_eq!(
            h.run(&["ZUNION", "2", "s", "z", "WITHSCORES"]),
            arr(vec![
                bulk("a"),
                shoal_resp::Frame::Double(1.0),
                bulk("b"),
                shoal_resp::Frame::Double(6.0),
                bulk("c"),
                shoal_resp::Frame::Double(7.0),
            ])
        );
        assert_eq!(h.run(&["ZINTERSTORE", "out", "2", "s", "z"]), int(1));
        assert_eq!(
            h.run(&["ZSCORE", "out", "b"]),
            shoal_resp::Frame::Double(6.0)
        );
        assert_eq!(h.run(&["ZINTERCARD", "2", "s", "z"]), int(1));
        h.run(&["SET", "str", "x"]);
        assert_eq!(
            h.run(&["ZUNION", "2", "s", "str"]),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }
}
