//! The set type against a `BTreeSet` model, across all three encodings and conversions.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u8>),
    Remove(Vec<u8>),
    Pop,
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-40i64..40).prop_map(|n| n.to_string().into_bytes()),
        prop::sample::select(vec![
            b"a".to_vec(),
            b"b".to_vec(),
            b"07".to_vec(),
            b"-0".to_vec(),
            b"+1".to_vec(),
            b"".to_vec(),
            b"a much longer member than the listpack value limit".to_vec(),
        ]),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => member().prop_map(Op::Add),
        2 => member().prop_map(Op::Remove),
        1 => Just(Op::Pop),
    ]
}

fn limits() -> impl Strategy<Value = Limits> {
    (0usize..20, 0usize..20, 0usize..30).prop_map(|(i, p, v)| Limits {
        intset_entries: i,
        listpack_entries: p,
        listpack_value: v,
    })
}

fn as_model(s: &SetValue) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    s.for_each(|m| {
        assert!(out.insert(m.to_vec()), "member listed twice");
    });
    out
}

/// The encoding a set must have given its members, for sets only ever grown by adds.
fn check_encoding_fits(s: &SetValue, lim: &Limits) {
    let model = as_model(s);
    match s.encoding_name() {
        "intset" => {
            assert!(model.iter().all(|m| parse_i64(m).is_some()));
            assert!(model.len() <= lim.intset_entries);
        }
        "listpack" => {
            assert!(model.len() <= lim.listpack_entries);
            assert!(model.iter().all(|m| m.len() <= lim.listpack_value));
        }
        _ => {}
    }
}

proptest! {
    #[test]
    fn behaves_like_a_btreeset(lim in limits(), ops in prop::collection::vec(op(), 0..120)) {
        let mut s = SetValue::default();
        let mut model = BTreeSet::new();
        let mut rng = crate::util::rng::Rng::new(3);
        let mut only_grew = true;
        for o in ops {
            match o {
                Op::Add(m) => {
                    prop_assert_eq!(s.insert(&m, &lim), model.insert(m));
                }
                Op::Remove(m) => {
                    only_grew = false;
                    prop_assert_eq!(s.remove(&m), model.remove(&m));
                }
                Op::Pop => {
                    only_grew = false;
                    match s.pop_random(&mut rng) {
                        Some(m) => prop_assert!(model.remove(m.as_ref())),
                        None => prop_assert!(model.is_empty()),
                    }
                }
            }
            prop_assert_eq!(s.len(), model.len());
            if let Enc::Table(t) = &s.enc {
                let (counted, kept) = t.recount_node_bytes();
                prop_assert_eq!(counted, kept);
            }
            if only_grew {
                check_encoding_fits(&s, &lim);
            }
        }
        prop_assert_eq!(as_model(&s), model.clone());
        for m in &model {
            prop_assert!(s.contains(m));
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        loop {
            cursor = s.scan(cursor, |m| {
                seen.insert(m.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        prop_assert_eq!(seen, model);
    }
}

#[test]
fn intset_takes_a_string_as_listpack_when_it_fits() {
    let lim = Limits::default();
    let mut s = SetValue::new_for(b"1", 1, &lim);
    s.insert(b"1", &lim);
    s.insert(b"2", &lim);
    assert_eq!(s.encoding_name(), "intset");
    s.insert(b"x", &lim);
    assert_eq!(s.encoding_name(), "listpack");
    assert_eq!(s.members(), vec!["1", "2", "x"]);
}

#[test]
fn intset_over_its_limit_becomes_a_hashtable() {
    let lim = Limits {
        intset_entries: 3,
        ..Limits::default()
    };
    let mut s = SetValue::default();
    for i in 0..3 {
        s.insert(i.to_string().as_bytes(), &lim);
    }
    assert_eq!(s.encoding_name(), "intset");
    s.insert(b"3", &lim);
    assert_eq!(s.encoding_name(), "hashtable");
}

#[test]
fn listpack_limits_lead_to_a_hashtable() {
    let lim = Limits {
        listpack_entries: 2,
        listpack_value: 3,
        ..Limits::default()
    };
    let mut s = SetValue::empty_listpack();
    s.insert(b"abc", &lim);
    assert_eq!(s.encoding_name(), "listpack");
    s.insert(b"abcd", &lim);
    assert_eq!(s.encoding_name(), "hashtable");
    let mut s = SetValue::empty_listpack();
    s.insert(b"a", &lim);
    s.insert(b"b", &lim);
    s.insert(b"c", &lim);
    assert_eq!(s.encoding_name(), "hashtable");
}

#[test]
fn equality_ignores_encoding() {
    let lim = Limits::default();
    let mut a = SetValue::default();
    let mut b = SetValue::new_for(b"x", 1000, &lim);
    for m in ["1", "2", "3"] {
        a.insert(m.as_bytes(), &lim);
        b.insert(m.as_bytes(), &lim);
    }
    assert_eq!(a.encoding_name(), "intset");
    assert_eq!(b.encoding_name(), "hashtable");
    assert_eq!(a, b);
    b.remove(b"3");
    assert_ne!(a, b);
}

#[test]
fn hashtable_scan_survives_growth_between_calls() {
    let lim = Limits::default();
    let mut s = SetValue::new_for(b"x", 1000, &lim);
    for i in 0..200 {
        s.insert(format!("stable{i}").as_bytes(), &lim);
    }
    let mut seen = BTreeSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        cursor = s.scan(cursor, |m| {
            seen.insert(m.to_vec());
        });
        round += 1;
        if round % 5 == 0 {
            for j in 0..20 {
                s.insert(format!("new{round}-{j}").as_bytes(), &lim);
            }
        }
        if cursor == 0 {
            break;
        }
    }
    for i in 0..200 {
        assert!(seen.contains(format!("stable{i}").as_bytes()));
    }
}
