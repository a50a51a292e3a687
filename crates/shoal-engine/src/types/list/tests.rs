//! The list type against a `VecDeque` model, across both encodings.

use super::*;
use proptest::prelude::*;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
enum Op {
    Push(bool, Vec<u8>),
    Pop(bool),
    Insert(usize, Vec<u8>),
    InsertNextTo(usize, bool, Vec<u8>),
    Set(usize, Vec<u8>),
    RemoveRange(usize, usize),
    RemoveMatching(Vec<u8>, usize, bool),
}

fn elem() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            b"a".to_vec(),
            b"b".to_vec(),
            b"1".to_vec(),
            b"-7".to_vec(),
            b"300".to_vec(),
            b"70000".to_vec(),
            b"9000000000".to_vec(),
            b"007".to_vec(),
        ]),
        prop::collection::vec(any::<u8>(), 0..80),
        (60usize..200).prop_map(|n| vec![b'z'; n]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), elem()).prop_map(|(f, e)| Op::Push(f, e)),
        2 => any::<bool>().prop_map(Op::Pop),
        2 => (0usize..40, elem()).prop_map(|(i, e)| Op::Insert(i, e)),
        2 => (0usize..40, any::<bool>(), elem()).prop_map(|(i, a, e)| Op::InsertNextTo(i, a, e)),
        1 => (0usize..40, elem()).prop_map(|(i, e)| Op::Set(i, e)),
        1 => (0usize..40, 0usize..6).prop_map(|(i, n)| Op::RemoveRange(i, n)),
        1 => (elem(), 0usize..3, any::<bool>()).prop_map(|(e, n, b)| Op::RemoveMatching(e, n, b)),
    ]
}

fn apply(l: &mut ListValue, m: &mut VecDeque<Vec<u8>>, op: &Op, fill: Fill) {
    match op {
        Op::Push(front, e) => {
            l.grow_check(e.len(), 1, fill);
            let end = if *front { End::Front } else { End::Back };
            l.push(end, e);
            if *front {
                m.push_front(e.clone());
            } else {
                m.push_back(e.clone());
            }
        }
        Op::Pop(front) => {
            let (got, want) = if *front {
                (l.pop(End::Front), m.pop_front())
            } else {
                (l.pop(End::Back), m.pop_back())
            };
            assert_eq!(got.map(|b| b.to_vec()), want);
            l.shrink_check(fill);
        }
        Op::Insert(i, e) => {
            let i = (*i).min(m.len());
            l.grow_check(e.len(), 1, fill);
            l.insert(i, e);
            m.insert(i, e.clone());
        }
        Op::InsertNextTo(i, after, e) => {
            if *i < m.len() {
                l.grow_check(e.len(), 1, fill);
                l.insert_next_to(*i, *after, e);
                m.insert(*i + usize::from(*after), e.clone());
            }
        }
        Op::Set(i, e) => {
            l.grow_check(e.len(), 1, fill);
            let ok = l.set(*i, e);
            assert_eq!(ok, *i < m.len());
            if ok {
                m[*i] = e.clone();
            }
            l.shrink_check(fill);
        }
        Op::RemoveRange(i, n) => {
            l.remove_range(*i, *n);
            if *i < m.len() {
                let end = (*i + *n).min(m.len());
                m.drain(*i..end);
            }
            l.shrink_check(fill);
        }
        Op::RemoveMatching(e, n, back) => {
            let got = l.remove_matching(&Needle::new(e), *n, *back);
            let mut removed = 0;
            let idx: Vec<usize> = if *back {
                (0..m.len()).rev().collect()
            } else {
                (0..m.len()).collect()
            };
            let mut kill = Vec::new();
            for i in idx {
                if m[i] == *e && (*n == 0 || removed < *n) {
                    kill.push(i);
                    removed += 1;
                }
            }
            kill.sort_unstable();
            for i in kill.into_iter().rev() {
                m.remove(i);
            }
            assert_eq!(got, removed);
            l.shrink_check(fill);
        }
    }
}

fn check(l: &ListValue, m: &VecDeque<Vec<u8>>) {
    assert_eq!(l.len(), m.len());
    if let Enc::Quick(q) = &l.enc {
        assert!(q.heap_is_consistent());
        assert!(q.nodes.iter().all(|n| !n.pack.is_empty()));
    }
    let fwd: Vec<Vec<u8>> = l.iter(0, false).map(|e| e.to_bytes().to_vec()).collect();
    assert_eq!(fwd, m.iter().cloned().collect::<Vec<_>>());
    if !m.is_empty() {
        let rev: Vec<Vec<u8>> = l
            .iter(m.len() - 1, true)
            .map(|e| e.to_bytes().to_vec())
            .collect();
        assert_eq!(rev, m.iter().rev().cloned().collect::<Vec<_>>());
        let mid = m.len() / 2;
        assert_eq!(
            l.get(mid).map(|e| e.to_bytes().to_vec()).as_ref(),
            m.get(mid)
        );
    }
}

proptest! {
    #[test]
    fn list_matches_a_deque_model(
        fill in prop::sample::select(vec![-1i64, -2, 0, 1, 2, 4, 7]),
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let fill = Fill(fill);
        let mut l = ListValue::default();
        let mut m = VecDeque::new();
        for op in &ops {
            apply(&mut l, &mut m, op, fill);
            check(&l, &m);
        }
    }
}

#[test]
fn grows_into_quicklist_and_shrinks_back() {
    let fill = Fill(4);
    let mut l = ListValue::default();
    for i in 0..4 {
        l.grow_check(1, 1, fill);
        l.push(End::Back, i.to_string().as_bytes());
    }
    assert_eq!(l.encoding_name(), "listpack");
    l.grow_check(1, 1, fill);
    l.push(End::Back, b"x");
    assert_eq!(l.encoding_name(), "quicklist");
    l.pop(End::Front);
    l.shrink_check(fill);
    assert_eq!(l.encoding_name(), "quicklist");
    // Two nodes remain ([3] and [x]): still a quicklist until one node is left.
    l.pop(End::Front);
    l.pop(End::Front);
    l.shrink_check(fill);
    assert_eq!(l.encoding_name(), "quicklist");
    l.pop(End::Front);
    l.shrink_check(fill);
    assert_eq!(l.encoding_name(), "listpack");
    assert_eq!(l.range(0, 10, false), vec![Bytes::from("x")]);
}

#[test]
fn byte_limit_counts_listpack_bytes() {
    let fill = Fill(-1); // 4096 bytes
    let mut l = ListValue::default();
    let big = vec![b'q'; 4000];
    l.grow_check(big.len(), 1, fill);
    l.push(End::Back, &big);
    assert_eq!(l.encoding_name(), "listpack");
    l.grow_check(100, 1, fill);
    assert_eq!(l.encoding_name(), "quicklist");
}

#[test]
fn quicklist_heap_total_tracks_its_nodes() {
    let fill = Fill(3);
    let mut l = ListValue::default();
    for i in 0..50 {
        let s = i.to_string().repeat(i % 7 + 1);
        l.grow_check(s.len(), 1, fill);
        l.push(
            if i % 2 == 0 { End::Front } else { End::Back },
            s.as_bytes(),
        );
    }
    l.pop(End::Front);
    l.pop(End::Back);
    l.insert(10, b"mid");
    l.remove_range(3, 4);
    let Enc::Quick(q) = &l.enc else {
        panic!("expected a quicklist");
    };
    assert!(q.heap_is_consistent());
}
