use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>),
    Incr(u8, Vec<u8>),
    Del(u8),
    Ttl(u8, u64),
    Persist(u8),
    Expire(u64),
}

fn field(i: u8) -> Vec<u8> {
    // Some fields are long enough to live on the heap.
    if i.is_multiple_of(7) {
        format!("a-rather-long-field-name-{i}").into_bytes()
    } else {
        format!("f{i}").into_bytes()
    }
}

fn op() -> impl Strategy<Value = Op> {
    let val = proptest::collection::vec(any::<u8>(), 0..12);
    prop_oneof![
        4 => (0u8..24, val.clone()).prop_map(|(f, v)| Op::Set(f, v)),
        1 => (0u8..24, val).prop_map(|(f, v)| Op::Incr(f, v)),
        2 => (0u8..24).prop_map(Op::Del),
        1 => (0u8..24, 0u64..100).prop_map(|(f, t)| Op::Ttl(f, t)),
        1 => (0u8..24).prop_map(Op::Persist),
        1 => (0u64..100).prop_map(Op::Expire),
    ]
}

type Model = BTreeMap<Vec<u8>, (Vec<u8>, Option<u64>)>;

fn apply(h: &mut HashValue, m: &mut Model, op: &Op, l: Limits) {
    match op {
        Op::Set(f, v) => {
            let new = h.insert(&field(*f), v, false, l);
            assert_eq!(new, m.insert(field(*f), (v.clone(), None)).is_none());
        }
        Op::Incr(f, v) => {
            let new = h.insert(&field(*f), v, true, l);
            let ttl = m.get(&field(*f)).and_then(|e| e.1);
            assert_eq!(new, m.insert(field(*f), (v.clone(), ttl)).is_none());
        }
        Op::Del(f) => assert_eq!(h.remove(&field(*f)), m.remove(&field(*f)).is_some()),
        Op::Ttl(f, t) => {
            let had = m.get_mut(&field(*f)).map(|e| e.1 = Some(*t)).is_some();
            assert_eq!(h.set_field_ttl(&field(*f), *t), had);
        }
        Op::Persist(f) => {
            let had = m.get_mut(&field(*f)).and_then(|e| e.1.take()).is_some();
            assert_eq!(h.persist(&field(*f)), had);
        }
        Op::Expire(now) => {
            let mut got: Vec<Vec<u8>> = expire_fields(h, *now, usize::MAX)
                .iter()
                .map(|b| b.to_vec())
                .collect();
            got.sort();
            let want: Vec<Vec<u8>> = m
                .iter()
                .filter(|(_, e)| e.1.is_some_and(|at| at < *now))
                .map(|(k, _)| k.clone())
                .collect();
            m.retain(|_, e| e.1.is_none_or(|at| at >= *now));
            assert_eq!(got, want);
        }
    }
}

fn check(h: &HashValue, m: &Model, l: Limits) {
    assert_eq!(h.len(), m.len());
    for (k, (v, t)) in m {
        assert_eq!(h.get(k), Some(v.as_slice()));
        assert_eq!(h.field_ttl(k), *t);
    }
    let mut all: Vec<(Vec<u8>, Vec<u8>)> =
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
    all.sort();
    let want: Vec<(Vec<u8>, Vec<u8>)> = m.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect();
    assert_eq!(all, want);
    if !h.is_table() {
        assert!(h.len() <= l.entries);
        assert!(h.iter().all(|(f, v)| l.fits(f.len()) && l.fits(v.len())));
    }
}

proptest! {
    #[test]
    fn behaves_like_a_map_in_both_encodings(
        ops in proptest::collection::vec(op(), 0..200),
        entries in 0usize..20,
        value in 4usize..16,
    ) {
        let l = Limits { entries, value };
        let mut h = HashValue::default();
        let mut m = Model::new();
        let mut was_table = false;
        for o in &ops {
            apply(&mut h, &mut m, o, l);
            check(&h, &m, l);
            // Never converts back.
            prop_assert!(!was_table || h.is_table());
            was_table = h.is_table();
        }
    }

    #[test]
    fn scan_pages_visit_every_field_once(n in 0usize..300, count in 1usize..40) {
        let l = Limits { entries: 16, value: 64 };
        let mut h = HashValue::default();
        for i in 0..n {
            h.insert(format!("f{i}").as_bytes(), b"v", false, l);
        }
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            let (next, page) = h.scan_page(cursor, count);
            seen.extend(page.iter().map(|(f, _)| f.to_vec()));
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        seen.sort();
        let mut want: Vec<Vec<u8>> = (0..n).map(|i| format!("f{i}").into_bytes()).collect();
        want.sort();
        prop_assert_eq!(seen, want);
    }
}

#[test]
fn encodings_follow_the_thresholds() {
    let l = Limits {
        entries: 2,
        value: 4,
    };
    let mut h = HashValue::default();
    h.insert(b"a", b"1", false, l);
    h.insert(b"b", b"2", false, l);
    assert_eq!(h.encoding_name(), "listpack");
    h.set_field_ttl(b"a", 5);
    assert_eq!(h.encoding_name(), "listpackex");
    h.insert(b"c", b"3", false, l);
    assert_eq!(h.encoding_name(), "hashtable");
    let mut g = HashValue::default();
    g.insert(b"a", b"12345", false, l);
    assert_eq!(g.encoding_name(), "hashtable");
}

#[test]
fn memory_of_fields_without_ttl_stays_small() {
    let l = Limits {
        entries: 128,
        value: 64,
    };
    let mut h = HashValue::default();
    for i in 0..1000 {
        h.insert(
            format!("field:{i}").as_bytes(),
            format!("value:{i}").as_bytes(),
            false,
            l,
        );
    }
    assert!(h.heap_size() / 1000 < 120, "{}", h.heap_size());
}

#[test]
fn listpackex_keeps_fields_with_deadlines_first_in_deadline_order() {
    let l = Limits {
        entries: 16,
        value: 64,
    };
    let mut h = HashValue::default();
    for f in ["a", "b", "c", "d"] {
        h.insert(f.as_bytes(), b"v", false, l);
    }
    let order = |h: &HashValue| -> Vec<u8> { h.iter().map(|(f, _)| f[0]).collect() };
    h.set_field_ttl(b"c", 50);
    assert_eq!(order(&h), b"cabd");
    h.set_field_ttl(b"d", 20);
    h.set_field_ttl(b"b", 50);
    assert_eq!(order(&h), b"dcba");
    h.persist(b"d");
    assert_eq!(order(&h), b"cbad");
    h.insert(b"e", b"v", false, l);
    h.insert(b"c", b"w", false, l);
    assert_eq!(order(&h), b"badec");
}

#[test]
fn scan_survives_growth_and_deletions_between_pages() {
    let l = Limits {
        entries: 4,
        value: 64,
    };
    let mut h = HashValue::default();
    for i in 0..100 {
        h.insert(format!("keep{i}").as_bytes(), b"v", false, l);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        let (next, page) = h.scan_page(cursor, 7);
        for (f, _) in page {
            assert!(seen.insert(f.to_vec()), "returned twice");
        }
        // Grow the table a lot and delete other fields between calls.
        for j in 0..5 {
            h.insert(format!("new{round}-{j}").as_bytes(), b"v", false, l);
        }
        h.remove(format!("new{}-0", round.max(1) - 1).as_bytes());
        round += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..100 {
        assert!(
            seen.contains(format!("keep{i}").as_bytes()),
            "keep{i} missed"
        );
    }
}
