use super::*;
use std::collections::HashMap;

fn read(k: &str) -> Op {
    Op::Read(k.to_string())
}
fn write(k: &str, v: &str) -> Op {
    Op::Write(k.to_string(), v.to_string())
}
fn incr(k: &str) -> Op {
    Op::Incr(k.to_string())
}
fn cas(k: &str, old: Option<&str>, new: &str) -> Op {
    Op::Cas(k.to_string(), old.map(str::to_string), new.to_string())
}
fn seen(v: Option<&str>) -> Ret {
    Ret::Read(v.map(str::to_string))
}

fn violation(h: &History) -> Violation {
    match check(h) {
        Err(CheckError::Violation(v)) => *v,
        other => panic!("expected a violation, got {other:?}"),
    }
}

fn passes(h: &History) {
    if let Err(e) = check(h) {
        panic!("expected a linearizable history:\n{e}");
    }
}

#[test]
fn sequential_history_passes() {
    let h = History::new();
    h.invoke(1, read("x")).ok(seen(None));
    h.invoke(1, write("x", "a")).ok(Ret::Write);
    h.invoke(2, read("x")).ok(seen(Some("a")));
    h.invoke(2, cas("x", Some("a"), "b")).ok(Ret::Cas(true));
    h.invoke(1, cas("x", Some("a"), "c")).ok(Ret::Cas(false));
    h.invoke(1, read("x")).ok(seen(Some("b")));
    passes(&h);
}

#[test]
fn overlapping_writes_and_reads_may_take_effect_in_any_order() {
    let h = History::new();
    let w1 = h.invoke(1, write("x", "1"));
    let w2 = h.invoke(2, write("x", "2"));
    let r1 = h.invoke(3, read("x"));
    w1.ok(Ret::Write);
    w2.ok(Ret::Write);
    // w2, r1 (sees 2), then w1: both writes overlap the read.
    r1.ok(seen(Some("2")));
    h.invoke(3, read("x")).ok(seen(Some("1")));
    h.invoke(4, read("x")).ok(seen(Some("1")));
    passes(&h);
}

#[test]
fn read_overlapping_a_write_may_see_the_old_or_the_new_value() {
    for old_first in [true, false] {
        let h = History::new();
        h.invoke(1, write("x", "old")).ok(Ret::Write);
        let w = h.invoke(1, write("x", "new"));
        let r1 = h.invoke(2, read("x"));
        let r2 = h.invoke(3, read("x"));
        let (a, b) = if old_first {
            ("old", "new")
        } else {
            ("new", "new")
        };
        r1.ok(seen(Some(a)));
        r2.ok(seen(Some(b)));
        w.ok(Ret::Write);
        passes(&h);
    }
}

#[test]
fn unknown_write_may_have_applied() {
    let h = History::new();
    h.invoke(1, write("x", "1")).unknown();
    h.invoke(2, read("x")).ok(seen(Some("1")));
    passes(&h);
}

#[test]
fn unknown_write_may_never_apply() {
    let h = History::new();
    h.invoke(1, write("x", "1")).unknown();
    h.invoke(2, read("x")).ok(seen(None));
    h.invoke(2, read("x")).ok(seen(None));
    passes(&h);
}

#[test]
fn unknown_write_may_apply_long_after_its_client_gave_up() {
    let h = History::new();
    h.invoke(1, write("x", "late")).unknown();
    h.invoke(1, write("x", "1")).ok(Ret::Write);
    h.invoke(2, read("x")).ok(seen(Some("1")));
    h.invoke(2, read("x")).ok(seen(Some("late")));
    passes(&h);
}

#[test]
fn dropped_handle_counts_as_unknown() {
    let h = History::new();
    drop(h.invoke(1, incr("n")));
    h.invoke(2, read("n")).ok(seen(Some("1")));
    passes(&h);
}

#[test]
fn unread_unknown_write_can_explain_a_failed_cas() {
    let h = History::new();
    h.invoke(1, write("x", "a")).ok(Ret::Write);
    h.invoke(2, write("x", "never read")).unknown();
    // Only the unknown write, applied, makes the value differ from "a".
    h.invoke(1, cas("x", Some("a"), "b")).ok(Ret::Cas(false));
    passes(&h);
    h.invoke(1, read("x")).ok(seen(Some("a")));
    violation(&h);
}

#[test]
fn failed_write_must_not_be_observed() {
    let h = History::new();
    h.invoke(1, write("x", "refused")).fail();
    h.invoke(2, read("x")).ok(seen(Some("refused")));
    let v = violation(&h);
    assert_eq!(v.key, "x");
    assert_eq!(v.blocked.0, 1);
}

#[test]
fn unknown_write_applies_at_most_once() {
    let h = History::new();
    h.invoke(1, write("x", "1")).unknown();
    h.invoke(2, read("x")).ok(seen(Some("1")));
    h.invoke(2, write("x", "2")).ok(Ret::Write);
    h.invoke(2, read("x")).ok(seen(Some("2")));
    passes(&h);
    // Seeing "1" again would need the write to apply twice.
    h.invoke(3, read("x")).ok(seen(Some("1")));
    let v = violation(&h);
    assert_eq!(v.blocked.0, 4);
}

#[test]
fn stale_read_from_an_old_leader_is_a_violation() {
    let h = History::new();
    h.invoke(1, write("x", "0")).ok(Ret::Write);
    h.invoke(1, write("x", "1")).ok(Ret::Write);
    // Far later, a read served by a partitioned old leader still sees 0.
    h.invoke(2, read("x")).ok(seen(Some("0")));
    let v = violation(&h);
    assert_eq!(v.key, "x");
    assert_eq!(v.longest, 2);
    assert_eq!(v.values, vec![Some("1".to_string())]);
    assert_eq!(v.blocked.0, 2);
    assert_eq!(v.blocked.1.op, read("x"));
    let text = v.to_string();
    assert!(text.contains("key \"x\" is not linearizable"), "{text}");
    assert!(text.contains("#2"), "{text}");
    assert!(text.contains("leaving \"x\": \"1\"."), "{text}");
}

#[test]
fn read_of_the_initial_value_after_a_write_is_a_violation() {
    let h = History::new();
    h.invoke(1, write("x", "1")).ok(Ret::Write);
    h.invoke(2, read("x")).ok(seen(None));
    let v = violation(&h);
    assert_eq!(v.blocked.0, 1);
}

#[test]
fn lost_increment_is_a_violation() {
    let h = History::new();
    let a = h.invoke(1, incr("n"));
    let b = h.invoke(2, incr("n"));
    a.ok(Ret::Incr(1));
    b.ok(Ret::Incr(1));
    let v = violation(&h);
    assert_eq!(v.key, "n");
}

#[test]
fn lost_increment_seen_by_a_later_read_is_a_violation() {
    let h = History::new();
    let a = h.invoke(1, incr("n"));
    let b = h.invoke(2, incr("n"));
    a.ok(Ret::Incr(2));
    b.ok(Ret::Incr(1));
    h.invoke(3, read("n")).ok(seen(Some("2")));
    passes(&h);
    h.invoke(3, incr("n")).ok(Ret::Incr(3));
    h.invoke(3, read("n")).ok(seen(Some("2")));
    violation(&h);
}

#[test]
fn increments_follow_integer_writes_and_fail_on_other_strings() {
    let h = History::new();
    h.invoke(1, write("n", "41")).ok(Ret::Write);
    h.invoke(1, incr("n")).ok(Ret::Incr(42));
    h.invoke(2, read("n")).ok(seen(Some("42")));
    h.invoke(2, write("n", "abc")).ok(Ret::Write);
    h.invoke(1, incr("n")).fail();
    h.invoke(1, write("n", "007")).ok(Ret::Write);
    h.invoke(1, incr("n")).fail();
    passes(&h);
    // "007" is not how 7 is written, so INCR cannot have produced 8 from it.
    h.invoke(2, incr("n")).ok(Ret::Incr(8));
    violation(&h);
}

#[test]
fn two_cas_from_the_same_value_cannot_both_succeed() {
    let h = History::new();
    h.invoke(1, write("x", "v0")).ok(Ret::Write);
    let a = h.invoke(1, cas("x", Some("v0"), "a"));
    let b = h.invoke(2, cas("x", Some("v0"), "b"));
    b.ok(Ret::Cas(true));
    a.ok(Ret::Cas(true));
    let v = violation(&h);
    assert_eq!(v.key, "x");
    assert_eq!(v.longest, 2, "{v}");
}

#[test]
fn one_of_two_racing_cas_wins() {
    let h = History::new();
    let a = h.invoke(1, cas("x", None, "a"));
    let b = h.invoke(2, cas("x", None, "b"));
    b.ok(Ret::Cas(false));
    a.ok(Ret::Cas(true));
    h.invoke(2, read("x")).ok(seen(Some("a")));
    passes(&h);
}

#[test]
fn keys_are_checked_independently() {
    let h = History::new();
    h.invoke(1, write("a", "1")).ok(Ret::Write);
    let w = h.invoke(2, write("b", "1"));
    h.invoke(1, read("a")).ok(seen(Some("1")));
    w.ok(Ret::Write);
    // "b" is stale while "a" is fine; a read of "a" never sees "b"'s writes.
    h.invoke(3, read("b")).ok(seen(None));
    h.invoke(3, read("c")).ok(seen(None));
    assert_eq!(violation(&h).key, "b");
}

#[test]
fn result_of_the_wrong_kind_is_malformed() {
    let h = History::new();
    h.invoke(1, write("x", "1")).ok(Ret::Write);
    h.invoke(1, read("x")).ok(Ret::Incr(1));
    match check(&h) {
        Err(CheckError::Malformed { index: 1, .. }) => {}
        other => panic!("expected a malformed entry, got {other:?}"),
    }
}

#[test]
fn search_gives_up_within_its_step_budget() {
    // Thirty overlapping writes and a read of a value none of them wrote: every subset of
    // the writes is a distinct state to refute.
    let h = History::new();
    let writes: Vec<PendingOp> = (0..30)
        .map(|i| h.invoke(i, write("x", &i.to_string())))
        .collect();
    let r = h.invoke(99, read("x"));
    for w in writes {
        w.ok(Ret::Write);
    }
    r.ok(seen(Some("nobody")));
    let limits = Limits {
        steps_per_key: 10_000,
        ..Limits::default()
    };
    match check_with(&h, &limits) {
        Err(CheckError::Inconclusive(i)) => {
            assert_eq!(i.key, "x");
            assert!(i.steps > 10_000);
            assert!(i.to_string().contains("gave up"));
        }
        other => panic!("expected an inconclusive check, got {other:?}"),
    }
}

#[test]
fn threads_recording_against_a_locked_map_pass() {
    let h = History::new();
    let store = std::sync::Mutex::new(HashMap::<String, String>::new());
    std::thread::scope(|s| {
        for client in 0..4u64 {
            let (h, store) = (h.clone(), &store);
            s.spawn(move || {
                for i in 0..200u64 {
                    let key = format!("k{}", (client + i) % 3);
                    let op = match i % 3 {
                        0 => write(&key, &format!("{client}-{i}")),
                        1 => incr(&key),
                        _ => read(&key),
                    };
                    let pending = h.invoke(client, op.clone());
                    let mut map = store.lock().unwrap_or_else(|p| p.into_inner());
                    match op {
                        Op::Write(k, v) => {
                            map.insert(k, v);
                            pending.ok(Ret::Write);
                        }
                        Op::Incr(k) => match map.get(&k).map(|v| v.parse::<i64>()) {
                            Some(Err(_)) => pending.fail(),
                            found => {
                                let n = found.and_then(Result::ok).unwrap_or(0) + 1;
                                map.insert(k, n.to_string());
                                pending.ok(Ret::Incr(n));
                            }
                        },
                        Op::Read(k) => pending.ok(Ret::Read(map.get(&k).cloned())),
                        Op::Cas(..) => pending.fail(),
                    }
                }
            });
        }
    });
    assert_eq!(h.len(), 800);
    passes(&h);
}
