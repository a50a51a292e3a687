//! Random command sequences against a `VecDeque` model, with tiny encoding limits so the
//! lists keep converting between listpack and quicklist.

use super::tests_util::set_fill;
use crate::testing::{bulk, bulks, int, ok, Harness};
use proptest::prelude::*;
use shoal_resp::Frame;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
enum Cmd {
    Push(bool, Vec<String>),
    Pop(bool, Option<usize>),
    Insert(bool, String, String),
    Set(i64, String),
    Rem(i64, String),
    Trim(i64, i64),
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["a", "b", "1", "-2", "300", "x y"]).prop_map(String::from),
        (1usize..300).prop_map(|n| "w".repeat(n)),
    ]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        4 => (any::<bool>(), prop::collection::vec(word(), 1..5)).prop_map(|(f, w)| Cmd::Push(f, w)),
        2 => (any::<bool>(), prop::option::of(0usize..4)).prop_map(|(f, c)| Cmd::Pop(f, c)),
        1 => (any::<bool>(), word(), word()).prop_map(|(a, p, e)| Cmd::Insert(a, p, e)),
        1 => (-12i64..12, word()).prop_map(|(i, e)| Cmd::Set(i, e)),
        1 => (-2i64..3, word()).prop_map(|(c, e)| Cmd::Rem(c, e)),
        1 => (-12i64..12, -12i64..12).prop_map(|(a, b)| Cmd::Trim(a, b)),
    ]
}

fn norm(i: i64, len: usize) -> i64 {
    if i < 0 {
        len as i64 + i
    } else {
        i
    }
}

fn model(m: &mut VecDeque<String>, c: &Cmd) -> Frame {
    match c {
        Cmd::Push(front, w) => {
            for x in w {
                if *front {
                    m.push_front(x.clone());
                } else {
                    m.push_back(x.clone());
                }
            }
            int(m.len() as i64)
        }
        Cmd::Pop(front, count) => {
            let missing = m.is_empty();
            let mut out = Vec::new();
            for _ in 0..count.unwrap_or(1) {
                let v = if *front { m.pop_front() } else { m.pop_back() };
                out.extend(v);
            }
            match count {
                None => out.first().map_or(Frame::Null, bulk),
                Some(_) if missing => Frame::NullArray,
                Some(_) => Frame::Array(out.into_iter().map(bulk).collect()),
            }
        }
        Cmd::Insert(after, pivot, e) => match m.iter().position(|x| x == pivot) {
            _ if m.is_empty() => int(0),
            None => int(-1),
            Some(i) => {
                m.insert(i + usize::from(*after), e.clone());
                int(m.len() as i64)
            }
        },
        Cmd::Set(i, e) => {
            let j = norm(*i, m.len());
            if m.is_empty() {
                crate::testing::err("ERR no such key")
            } else if j < 0 || j as usize >= m.len() {
                crate::testing::err("ERR index out of range")
            } else {
                m[j as usize] = e.clone();
                ok()
            }
        }
        Cmd::Rem(count, e) => {
            let idx: Vec<usize> = if *count < 0 {
                (0..m.len()).rev().collect()
            } else {
                (0..m.len()).collect()
            };
            let limit = count.unsigned_abs() as usize;
            let mut kill: Vec<usize> = idx.into_iter().filter(|&i| m[i] == *e).collect();
            if limit > 0 {
                kill.truncate(limit);
            }
            kill.sort_unstable();
            for &i in kill.iter().rev() {
                m.remove(i);
            }
            int(kill.len() as i64)
        }
        Cmd::Trim(a, b) => {
            let len = m.len();
            let s = norm(*a, len).max(0);
            let e = norm(*b, len).min(len as i64 - 1);
            if s > e || s >= len as i64 {
                m.clear();
            } else {
                let kept: VecDeque<String> = m.range(s as usize..=e as usize).cloned().collect();
                *m = kept;
            }
            ok()
        }
    }
}

fn run(h: &mut Harness, c: &Cmd) -> Frame {
    let mut args: Vec<String> = match c {
        Cmd::Push(f, w) => {
            let mut a = vec![if *f { "LPUSH" } else { "RPUSH" }.to_string(), "k".into()];
            a.extend(w.iter().cloned());
            a
        }
        Cmd::Pop(f, n) => {
            let mut a = vec![if *f { "LPOP" } else { "RPOP" }.to_string(), "k".into()];
            a.extend(n.map(|n| n.to_string()));
            a
        }
        Cmd::Insert(after, p, e) => {
            let side = if *after { "AFTER" } else { "BEFORE" };
            vec![
                "LINSERT".into(),
                "k".into(),
                side.into(),
                p.clone(),
                e.clone(),
            ]
        }
        Cmd::Set(i, e) => vec!["LSET".into(), "k".into(), i.to_string(), e.clone()],
        Cmd::Rem(n, e) => vec!["LREM".into(), "k".into(), n.to_string(), e.clone()],
        Cmd::Trim(a, b) => vec!["LTRIM".into(), "k".into(), a.to_string(), b.to_string()],
    };
    let refs: Vec<&str> = args.iter_mut().map(|s| s.as_str()).collect();
    h.run(&refs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn commands_match_a_deque_model(
        fill in prop::sample::select(vec![-1i64, -2, 1, 3, 5]),
        cmds in prop::collection::vec(cmd(), 1..80),
    ) {
        let mut h = Harness::new();
        set_fill(&mut h, fill);
        let mut m = VecDeque::new();
        for c in &cmds {
            let want = model(&mut m, c);
            prop_assert_eq!(run(&mut h, c), want, "{:?}", c);
            let all: Vec<&str> = m.iter().map(|s| s.as_str()).collect();
            prop_assert_eq!(h.run(&["LRANGE", "k", "0", "-1"]), bulks(&all));
            prop_assert_eq!(h.run(&["EXISTS", "k"]), int(i64::from(!m.is_empty())));
        }
    }
}
