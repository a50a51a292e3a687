//! Round trips of every type and encoding through the DUMP payload.

use super::hash_ttl;
use super::value::kind;
use super::*;
use crate::types::list::End;
use crate::types::{HashValue, ListValue, SetValue, StrValue, ZSetValue};
use proptest::prelude::*;

fn lim() -> Limits {
    Limits::default()
}

fn list(items: &[Vec<u8>]) -> Value {
    let mut l = ListValue::default();
    for s in items {
        l.grow_check(s.len(), 1, lim().list);
        l.push(End::Back, s);
    }
    Value::List(Box::new(l))
}

fn set(items: &[Vec<u8>]) -> Value {
    let l = lim().set;
    let mut s = SetValue::new_for(&items[0], items.len(), &l);
    items.iter().for_each(|m| {
        s.insert(m, &l);
    });
    Value::Set(Box::new(s))
}

fn hash(pairs: &[(Vec<u8>, Vec<u8>)]) -> Value {
    let mut h = HashValue::default();
    for (f, v) in pairs {
        h.insert(f, v, false, lim().hash);
    }
    Value::Hash(Box::new(h))
}

fn zset(entries: &[(Vec<u8>, f64)]) -> Value {
    let mut z = ZSetValue::default();
    for (m, s) in entries {
        z.insert(m, *s, lim().zset);
    }
    Value::ZSet(Box::new(z))
}

fn nums(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| (i as i64 * 7919 - 1000).to_string().into_bytes())
        .collect()
}

fn words(n: usize, len: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{i:0len$}-w").into_bytes())
        .collect()
}

/// Dumps and restores `v`; checks content, encoding, and the object type written.
fn check(v: &Value, type_byte: u8) {
    let payload = dump(v, true, lim().list);
    assert_eq!(payload[0], type_byte, "{}", v.encoding_name());
    let back = restore(&payload, &lim());
    assert_eq!(back.as_ref(), Ok(v));
    assert_eq!(back.map(|b| b.encoding_name()), Ok(v.encoding_name()));
}

#[test]
fn strings_round_trip_in_each_encoding() {
    check(&Value::Str(StrValue::from_bytes(b"12345")), kind::STRING);
    check(
        &Value::Str(StrValue::from_bytes(b"-9223372036854775808")),
        kind::STRING,
    );
    check(&Value::Str(StrValue::from_bytes(b"hello")), kind::STRING);
    check(
        &Value::Str(StrValue::from_bytes(&b"ab".repeat(200))),
        kind::STRING,
    );
    check(
        &Value::Str(StrValue::from_bytes(&[0u8, 255, 7, 9])),
        kind::STRING,
    );
}

#[test]
fn a_long_repetitive_string_is_compressed() {
    let v = Value::Str(StrValue::from_bytes(&b"abc".repeat(1000)));
    let payload = dump(&v, true, lim().list);
    assert!(payload.len() < 200);
    assert_eq!(payload[1], 0xC3);
    let plain = dump(&v, false, lim().list);
    assert!(plain.len() > 3000);
    assert_eq!(restore(&plain, &lim()), Ok(v));
}

#[test]
fn lists_round_trip_as_one_or_many_nodes() {
    check(&list(&words(5, 3)), kind::LIST_QUICKLIST_2);
    check(&list(&nums(3000)), kind::LIST_QUICKLIST_2);
    check(&list(&words(2000, 30)), kind::LIST_QUICKLIST_2);
}

#[test]
fn a_big_list_element_gets_a_plain_node() {
    let mut items = words(10, 4);
    items.insert(5, b"z".repeat(20_000));
    let v = list(&items);
    let payload = dump(&v, false, lim().list);
    // Three nodes: packed, plain, packed.
    assert_eq!(
        &payload[..3],
        &[kind::LIST_QUICKLIST_2, 3, value::NODE_PACKED as u8]
    );
    assert_eq!(restore(&payload, &lim()), Ok(v));
}

#[test]
fn list_nodes_follow_a_count_fill() {
    let v = list(&words(10, 2));
    let payload = dump(&v, false, crate::types::list::Fill(4));
    // 10 elements, 4 per node: three nodes.
    assert_eq!(&payload[..2], &[kind::LIST_QUICKLIST_2, 3]);
    assert_eq!(restore(&payload, &lim()), Ok(v));
}

#[test]
fn sets_round_trip_in_each_encoding() {
    check(&set(&nums(10)), kind::SET_INTSET);
    check(&set(&[b"70000".to_vec(), b"-5".to_vec()]), kind::SET_INTSET);
    check(
        &set(&[b"9000000000".to_vec(), b"1".to_vec()]),
        kind::SET_INTSET,
    );
    check(&set(&words(10, 2)), kind::SET);
    check(&set(&words(1000, 5)), kind::SET);
}

#[test]
fn hashes_round_trip_in_each_encoding() {
    let small: Vec<_> = words(10, 2).into_iter().zip(nums(10)).collect();
    check(&hash(&small), kind::HASH_LISTPACK);
    let big: Vec<_> = words(500, 3).into_iter().zip(words(500, 40)).collect();
    check(&hash(&big), kind::HASH);
    let long = vec![(b"f".to_vec(), b"v".repeat(100))];
    check(&hash(&long), kind::HASH);
}

fn with_ttls(pairs: &[(Vec<u8>, Vec<u8>)], every: usize) -> HashValue {
    let Value::Hash(mut h) = hash(pairs) else {
        unreachable!()
    };
    for (i, (f, _)) in pairs.iter().enumerate().filter(|(i, _)| i % every == 0) {
        h.set_field_ttl(f, (1 << 41) + 1000 * (pairs.len() - i) as u64);
    }
    *h
}

#[test]
fn hashes_with_field_ttls_use_the_redis_7_4_types() {
    let small: Vec<_> = words(6, 2).into_iter().zip(nums(6)).collect();
    let big: Vec<_> = words(300, 3).into_iter().zip(words(300, 10)).collect();
    for (pairs, t) in [
        (small, hash_ttl::HASH_LISTPACK_EX),
        (big, hash_ttl::HASH_METADATA),
    ] {
        let h = with_ttls(&pairs, 2);
        let payload = dump(&Value::Hash(Box::new(h.clone())), true, lim().list);
        assert_eq!(payload[0], t);
        assert_eq!(&payload[payload.len() - 10..payload.len() - 8], &[12, 0]);
        let Ok(Value::Hash(back)) = restore(&payload, &lim()) else {
            panic!("not restored");
        };
        assert_eq!(back.encoding_name(), h.encoding_name());
        assert_eq!(back.volatile_len(), h.volatile_len());
        for (f, v) in &pairs {
            assert_eq!(back.get(f), Some(v.as_slice()));
            assert_eq!(back.field_ttl(f), h.field_ttl(f));
        }
    }
}

#[test]
fn release_candidate_field_ttl_types_load() {
    // Type 22: count, then (absolute deadline, field, value) per field.
    let body = vec![
        hash_ttl::HASH_METADATA_PRE_GA,
        2,
        0,
        1,
        b'a',
        1,
        b'1',
        0x40 | 0x12,
        0x34,
        1,
        b'b',
        1,
        b'2',
    ];
    let Ok(Value::Hash(h)) = restore(&seal(body, 12), &lim()) else {
        panic!("not restored");
    };
    assert_eq!(h.field_ttl(b"a"), None);
    assert_eq!(h.field_ttl(b"b"), Some(0x1234));
}

#[test]
fn sorted_sets_round_trip_in_each_encoding() {
    let scores = [
        1.5,
        -0.1,
        3.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -7.0,
        0.0,
    ];
    let small: Vec<_> = words(8, 2).into_iter().zip(scores).collect();
    check(&zset(&small), kind::ZSET_LISTPACK);
    let big: Vec<_> = words(300, 4)
        .into_iter()
        .enumerate()
        .map(|(i, w)| (w, i as f64 / 3.0))
        .collect();
    check(&zset(&big), kind::ZSET_2);
}

#[test]
fn payload_trailer_is_checked() {
    let v = Value::Str(StrValue::from_bytes(b"x"));
    let mut p = dump(&v, true, lim().list);
    assert_eq!(p.len(), 1 + 2 + 10);
    assert_eq!(&p[p.len() - 10..p.len() - 8], &[10, 0]);
    let n = p.len();
    p[n - 1] ^= 1;
    assert_eq!(restore(&p, &lim()), Err(PayloadError::VersionOrChecksum));
    let newer = seal(vec![0, 1, b'x'], 13);
    assert_eq!(
        restore(&newer, &lim()),
        Err(PayloadError::VersionOrChecksum)
    );
    let v12 = seal(vec![0, 1, b'x'], 12);
    assert_eq!(restore(&v12, &lim()), Ok(v));
    assert_eq!(
        restore(&[0; 9], &lim()),
        Err(PayloadError::VersionOrChecksum)
    );
}

#[test]
fn empty_and_unknown_objects_are_bad_data() {
    for body in [
        vec![kind::SET, 0],
        vec![6, 0],
        vec![kind::HASH_TTL_FIRST, 0],
        vec![kind::SET, 2, 1, b'a', 1, b'a'],
    ] {
        let r = restore(&seal(body, 10), &lim());
        assert!(matches!(r, Err(PayloadError::BadData(_))), "{r:?}");
    }
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..80),
        (1usize..200).prop_map(|n| b"ab".repeat(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_lists_round_trip(items in proptest::collection::vec(bytes_strategy(), 1..400)) {
        let v = list(&items);
        prop_assert_eq!(restore(&dump(&v, true, lim().list), &lim()), Ok(v));
    }

    #[test]
    fn random_sets_round_trip(items in proptest::collection::vec(bytes_strategy(), 1..300)) {
        let v = set(&items);
        prop_assert_eq!(restore(&dump(&v, true, lim().list), &lim()), Ok(v));
    }

    #[test]
    fn random_hashes_round_trip(pairs in proptest::collection::vec((bytes_strategy(), bytes_strategy()), 1..300)) {
        let v = hash(&pairs);
        prop_assert_eq!(restore(&dump(&v, true, lim().list), &lim()), Ok(v));
    }

    #[test]
    fn random_zsets_round_trip(entries in proptest::collection::vec((bytes_strategy(), any::<f64>().prop_filter("nan", |s| !s.is_nan())), 1..300)) {
        let v = zset(&entries);
        prop_assert_eq!(restore(&dump(&v, true, lim().list), &lim()), Ok(v));
    }

    #[test]
    fn random_strings_round_trip(s in bytes_strategy()) {
        let v = Value::Str(StrValue::from_bytes(&s));
        prop_assert_eq!(restore(&dump(&v, true, lim().list), &lim()), Ok(v));
    }

    #[test]
    fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..120)) {
        let _ = restore(&seal(body, 10), &lim());
    }
}
