//! Property tests of both encodings against a plain model: a member -> score map, sorted on
//! demand.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Op {
    Add(u8, i8),
    Remove(u8),
    Rank(u8),
    Range(u8, u8, bool),
    Scores(i8, i8, bool, bool),
    Lex(u8, u8),
    RemoveRanks(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<i8>()).prop_map(|(m, s)| Op::Add(m % 64, s % 8)),
        2 => any::<u8>().prop_map(|m| Op::Remove(m % 64)),
        1 => any::<u8>().prop_map(|m| Op::Rank(m % 64)),
        1 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(a, b, r)| Op::Range(a % 70, b % 70, r)),
        1 => (any::<i8>(), any::<i8>(), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, x, y)| Op::Scores(a % 9, b % 9, x, y)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Lex(a % 64, b % 64)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::RemoveRanks(a % 70, b % 8)),
    ]
}

fn name(m: u8) -> Vec<u8> {
    format!("m{m:02}").into_bytes()
}

fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(Member, f64)> {
    let mut v: Vec<(Member, f64)> = model
        .iter()
        .map(|(m, s)| (Member::from(m.as_slice()), *s))
        .collect();
    v.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
    v
}

fn check(ops: Vec<Op>, limits: Limits) -> Result<(), TestCaseError> {
    let mut z = ZSetValue::default();
    let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Add(m, s) => {
                let old = z.insert(&name(m), f64::from(s), limits);
                prop_assert_eq!(old, model.insert(name(m), f64::from(s)));
            }
            Op::Remove(m) => prop_assert_eq!(z.remove(&name(m)), model.remove(&name(m))),
            Op::Rank(m) => {
                let want = sorted(&model)
                    .iter()
                    .position(|(x, _)| x.as_ref() == name(m).as_slice());
                prop_assert_eq!(z.rank(&name(m)).map(|r| r.0), want);
            }
            Op::Range(a, b, rev) => {
                let (lo, hi) = (a as usize, a as usize + b as usize);
                let all = sorted(&model);
                let mut want: Vec<_> = all.iter().skip(lo).take(hi - lo).cloned().collect();
                if rev {
                    want.reverse();
                }
                prop_assert_eq!(z.range(lo, hi, rev), want);
            }
            Op::Scores(a, b, x, y) => {
                let r = ScoreRange {
                    min: f64::from(a),
                    min_ex: x,
                    max: f64::from(b),
                    max_ex: y,
                };
                let (lo, hi) = z.score_ranks(&r);
                let want: Vec<_> = sorted(&model)
                    .into_iter()
                    .filter(|e| r.contains(e.1))
                    .collect();
                prop_assert_eq!(z.range(lo, hi, false), want);
            }
            Op::Lex(a, b) => {
                let r = LexRange {
                    min: LexBound::Incl(name(a)),
                    max: LexBound::Excl(name(b)),
                };
                let (lo, hi) = z.lex_ranks(&r);
                // Lex ranges are defined when every score is the same.
                let mut scores = model.values();
                let first = scores.next().copied();
                if scores.all(|s| Some(*s) == first) {
                    prop_assert_eq!(hi - lo, model.keys().filter(|m| r.contains(m)).count());
                }
            }
            Op::RemoveRanks(a, n) => {
                let all = sorted(&model);
                let want: Vec<_> = all
                    .iter()
                    .skip(a as usize)
                    .take(n as usize)
                    .cloned()
                    .collect();
                for (m, _) in &want {
                    model.remove(m.as_ref());
                }
                prop_assert_eq!(z.remove_ranks(a as usize, a as usize + n as usize), want);
            }
        }
        prop_assert_eq!(z.len(), model.len());
        prop_assert_eq!(z.entries(), sorted(&model));
        for (i, e) in sorted(&model).into_iter().enumerate() {
            prop_assert_eq!(z.at(i), Some(e));
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn compact_encoding_matches_model(ops in proptest::collection::vec(op(), 0..200)) {
        check(ops, Limits { entries: 1000, value: 64 })?;
    }

    #[test]
    fn tree_encoding_matches_model(ops in proptest::collection::vec(op(), 0..200)) {
        check(ops, Limits { entries: 0, value: 64 })?;
    }

    #[test]
    fn converting_encoding_matches_model(ops in proptest::collection::vec(op(), 0..200)) {
        check(ops, Limits { entries: 8, value: 64 })?;
    }
}

#[test]
fn encoding_converts_past_either_limit_and_never_back() {
    let limits = Limits {
        entries: 2,
        value: 4,
    };
    let mut z = ZSetValue::default();
    z.insert(b"a", 1.0, limits);
    z.insert(b"b", 2.0, limits);
    assert_eq!(z.encoding_name(), "listpack");
    z.insert(b"c", 3.0, limits);
    assert_eq!(z.encoding_name(), "skiplist");
    z.remove(b"c");
    z.remove(b"b");
    assert_eq!(z.encoding_name(), "skiplist");
    let mut y = ZSetValue::default();
    y.insert(b"long-member", 1.0, limits);
    assert_eq!(y.encoding_name(), "skiplist");
}

#[test]
fn large_tree_keeps_order_and_ranks() {
    let limits = Limits {
        entries: 0,
        value: 64,
    };
    let mut z = ZSetValue::default();
    for i in 0..5000u32 {
        let m = format!("{:05}", (i * 7919) % 5000);
        z.insert(m.as_bytes(), f64::from(i % 10), limits);
    }
    assert_eq!(z.len(), 5000);
    let all = z.entries();
    assert!(all
        .windows(2)
        .all(|w| cmp_entry(w[0].1, &w[0].0, w[1].1, &w[1].0).is_lt()));
    for (i, (m, _)) in all.iter().enumerate().step_by(97) {
        assert_eq!(z.rank(m).map(|r| r.0), Some(i));
    }
}

fn lex_bound() -> impl Strategy<Value = LexBound> {
    prop_oneof![
        Just(LexBound::Min),
        Just(LexBound::Max),
        any::<u8>().prop_map(|m| LexBound::Incl(name(m % 40))),
        any::<u8>().prop_map(|m| LexBound::Excl(name(m % 40))),
    ]
}

proptest! {
    #[test]
    fn lex_ranges_match_model_when_scores_are_equal(
        members in proptest::collection::btree_set(0u8..40, 0..40),
        min in lex_bound(),
        max in lex_bound(),
        entries in 0usize..12,
    ) {
        let limits = Limits { entries, value: 64 };
        let mut z = ZSetValue::default();
        for m in &members {
            z.insert(&name(*m), 0.0, limits);
        }
        let r = LexRange { min, max };
        let (lo, hi) = z.lex_ranks(&r);
        let got: Vec<Vec<u8>> = z.range(lo, hi, false).into_iter().map(|(m, _)| m.to_vec()).collect();
        let want: Vec<Vec<u8>> = members.iter().map(|m| name(*m)).filter(|m| r.contains(m)).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn tree_memory_accounting_follows_adds_and_removes() {
    let limits = Limits {
        entries: 0,
        value: 64,
    };
    let mut z = ZSetValue::default();
    z.insert(b"seed", 0.0, limits);
    let base = z.heap_size();
    for i in 0..100u32 {
        z.insert(format!("member-{i}").as_bytes(), f64::from(i), limits);
    }
    for i in 0..100u32 {
        z.insert(format!("member-{i}").as_bytes(), -f64::from(i), limits);
    }
    assert!(z.heap_size() > base);
    for i in 0..100u32 {
        z.remove(format!("member-{i}").as_bytes());
    }
    let Enc::Tree(t) = &z.enc else {
        panic!("expected the large encoding")
    };
    // "seed" alone is left: its 4 bytes, as the allocator's smallest class holds them.
    assert_eq!(t.member_bytes(), crate::types::alloc::alloc_size(4));
}

proptest! {
    #[test]
    fn tree_with_shared_hashes_matches_model(
        ops in proptest::collection::vec((any::<u8>(), any::<i8>(), any::<bool>()), 0..300)
    ) {
        let mut t = tree::Tree::with_hash_bits(2);
        let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        for (m, s, add) in ops {
            let m = name(m % 40);
            if add {
                prop_assert_eq!(t.insert(&m, f64::from(s)), model.insert(m, f64::from(s)));
            } else {
                prop_assert_eq!(t.remove(&m), model.remove(&m));
            }
            prop_assert_eq!(t.len(), model.len());
        }
        for (m, s) in &model {
            prop_assert_eq!(t.score(m), Some(*s));
        }
        let mut all = Vec::new();
        if !model.is_empty() {
            t.collect(0, model.len() - 1, false, &mut all);
        }
        prop_assert_eq!(all, sorted(&model));
    }
}
