//! Helpers shared by the set family's tests.

use crate::effects::Effect;
use crate::testing::Harness;
use bytes::Bytes;
use shoal_resp::Frame;
use std::collections::BTreeSet;
use std::sync::mpsc::Receiver;

/// `OBJECT ENCODING key` as text.
pub(super) fn encoding(h: &mut Harness, key: &str) -> String {
    match h.run(&["OBJECT", "ENCODING", key]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => format!("{other:?}"),
    }
}

/// The members of an array or set reply, sorted.
pub(super) fn sorted(f: Frame) -> Vec<String> {
    let items = match f {
        Frame::Array(v) | Frame::Set(v) => v,
        other => panic!("not an aggregate: {other:?}"),
    };
    let mut out: Vec<String> = items
        .into_iter()
        .map(|i| match i {
            Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    out.sort();
    out
}

/// Sorted text of `items`.
pub(super) fn strs(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The members of `key` (SMEMBERS), as a sorted set.
pub(super) fn members(h: &mut Harness, key: &str) -> BTreeSet<String> {
    sorted(h.run(&["SMEMBERS", key])).into_iter().collect()
}

/// A RESP3 set of bulk strings, in the given order.
pub(super) fn set_of(items: &[&str]) -> Frame {
    Frame::Set(
        items
            .iter()
            .map(|s| Frame::Bulk(Bytes::copy_from_slice(s.as_bytes())))
            .collect(),
    )
}

/// Every effect emitted since the last call, as text.
pub(super) fn effects(rx: &Receiver<Effect>) -> Vec<Vec<String>> {
    rx.try_iter()
        .map(|e| {
            e.args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .collect()
}

/// Replays `effects` into a fresh engine and returns it.
pub(super) fn replay(effects: &[Vec<String>]) -> Harness {
    let mut h = Harness::new();
    for e in effects {
        let args: Vec<&str> = e.iter().map(String::as_str).collect();
        h.run(&args);
    }
    h
}
