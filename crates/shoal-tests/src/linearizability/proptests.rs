//! Random histories from a simulated sequential store: each operation takes effect at one
//! moment between its invocation and completion, so every history is linearizable; changing a
//! read's result to a value it cannot have seen must then be caught.

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

const VALUES: [&str; 8] = ["a", "b", "c", "0", "1", "7", "10", "z"];

/// One scheduling decision: (client, roll, kind, value).
type Action = (u8, u8, u8, u8);

struct InFlight {
    op: Op,
    pending: PendingOp,
    /// The result once the operation took effect (`None` for an INCR that errored).
    applied: Option<Option<Ret>>,
}

/// A sequential store driven by a schedule of clients invoking, applying and completing.
struct Sim {
    history: History,
    store: HashMap<String, String>,
    clients: Vec<Option<InFlight>>,
    /// Operations whose client gave up before they took effect; they may still do so.
    zombies: Vec<Op>,
    /// Whether every write and compare-and-set writes a value of its own.
    unique: bool,
    /// Whether compare-and-sets are replaced by reads, when `unique`.
    no_cas: bool,
    /// Values written so far, when `unique`.
    written: Vec<String>,
}

impl Sim {
    fn new(clients: usize) -> Sim {
        Sim {
            history: History::new(),
            store: HashMap::new(),
            clients: (0..clients).map(|_| None).collect(),
            zombies: Vec::new(),
            unique: false,
            no_cas: false,
            written: Vec::new(),
        }
    }

    fn apply(&mut self, op: &Op) -> Option<Ret> {
        match op {
            Op::Read(k) => Some(Ret::Read(self.store.get(k).cloned())),
            Op::Write(k, v) => {
                self.store.insert(k.clone(), v.clone());
                Some(Ret::Write)
            }
            Op::Incr(k) => {
                let n = match self.store.get(k) {
                    None => 0,
                    Some(v) => v.parse::<i64>().ok()?,
                };
                self.store.insert(k.clone(), (n + 1).to_string());
                Some(Ret::Incr(n + 1))
            }
            Op::Cas(k, old, new) => {
                let swap = self.store.get(k) == old.as_ref();
                if swap {
                    self.store.insert(k.clone(), new.clone());
                }
                Some(Ret::Cas(swap))
            }
        }
    }

    fn new_op(&mut self, kind: u8, val: u8) -> Op {
        let key = format!("k{}", kind / 4);
        if self.unique && kind % 2 == 1 {
            let value = format!("v{}", self.written.len());
            let back = usize::from(val % 4) + 1;
            let old = self
                .written
                .len()
                .checked_sub(back)
                .map(|i| self.written[i].clone());
            self.written.push(value.clone());
            return match kind % 4 {
                1 => Op::Write(key, value),
                _ if self.no_cas => Op::Read(key),
                _ => Op::Cas(key, old, value),
            };
        }
        let value = VALUES[usize::from(val) % VALUES.len()].to_string();
        match kind % 4 {
            0 => Op::Read(key),
            1 => Op::Write(key, value),
            2 => Op::Incr(key),
            _ => {
                let old =
                    (!val.is_multiple_of(3)).then(|| VALUES[usize::from(val / 2) % 8].to_string());
                Op::Cas(key, old, value)
            }
        }
    }

    fn step(&mut self, (client, roll, kind, val): Action) {
        if roll == 9 && !self.zombies.is_empty() {
            let op = self.zombies.remove(usize::from(val) % self.zombies.len());
            self.apply(&op);
            return;
        }
        let c = usize::from(client) % self.clients.len();
        match self.clients[c].take() {
            None => {
                let op = self.new_op(kind, val);
                let pending = self.history.invoke(c as u64, op.clone());
                self.clients[c] = Some(InFlight {
                    op,
                    pending,
                    applied: None,
                });
            }
            Some(mut f) => match (&f.applied, roll) {
                (None, 7) => {
                    f.pending.unknown();
                    self.zombies.push(f.op);
                }
                (None, 8) => f.pending.fail(),
                (None, _) => {
                    f.applied = Some(self.apply(&f.op));
                    self.clients[c] = Some(f);
                }
                (Some(_), 8) => f.pending.unknown(),
                (Some(Some(ret)), _) => f.pending.ok(ret.clone()),
                (Some(None), _) => f.pending.fail(),
            },
        }
    }
}

fn simulate(clients: usize, actions: &[Action]) -> History {
    simulate_with(clients, actions, Values::Shared)
}

/// What values the simulated clients write.
#[derive(Clone, Copy, Debug)]
enum Values {
    /// A few shared values, so reads are ambiguous and INCR often fails.
    Shared,
    /// A value of its own for every write and compare-and-set, as a real test would use.
    Unique,
    /// Unique values, and reads instead of compare-and-sets.
    UniqueNoCas,
}

fn simulate_with(clients: usize, actions: &[Action], values: Values) -> History {
    let mut sim = Sim::new(clients);
    sim.unique = !matches!(values, Values::Shared);
    sim.no_cas = matches!(values, Values::UniqueNoCas);
    for &a in actions {
        sim.step(a);
    }
    // Operations still in flight stay pending, which is checked like an unknown outcome.
    sim.history
}

/// The value `op` leaves behind when it surely took effect, if any.
fn sure_effect(e: &Entry) -> Option<Option<String>> {
    match (&e.op, &e.outcome) {
        (Op::Write(_, v), Outcome::Ok(_)) => Some(Some(v.clone())),
        (Op::Cas(_, _, new), Outcome::Ok(Ret::Cas(true))) => Some(Some(new.clone())),
        (Op::Incr(_), Outcome::Ok(Ret::Incr(n))) => Some(Some(n.to_string())),
        _ => None,
    }
}

/// Whether `e` may have set its key to `v`: `None` when it cannot; `Some(completion)` when
/// it may, with `Some(u64::MAX)` when it may still do so at any time.
fn may_produce(e: &Entry, v: &Option<String>) -> Option<u64> {
    let certain = matches!(e.outcome, Outcome::Ok(_));
    let produces = match (&e.op, &e.outcome) {
        (_, Outcome::Fail) | (Op::Read(_), _) => false,
        (Op::Incr(_), Outcome::Pending | Outcome::Unknown) => {
            v.as_deref().is_some_and(|s| s.parse::<i64>().is_ok())
        }
        (Op::Write(_, w), _) => v.as_ref() == Some(w),
        (Op::Cas(..), Outcome::Ok(Ret::Cas(false))) => false,
        (Op::Cas(_, _, new), _) => v.as_ref() == Some(new),
        (Op::Incr(_), Outcome::Ok(Ret::Incr(n))) => v.as_deref() == Some(&*n.to_string()),
        (Op::Incr(_), Outcome::Ok(_)) => false,
    };
    produces.then(|| {
        if certain {
            e.returned.unwrap_or(u64::MAX)
        } else {
            u64::MAX
        }
    })
}

/// Whether no order lets the read at `r` see `v`: every operation that could have produced
/// `v` (the initial state produces "missing") was surely overwritten with something else by an
/// operation that completed before the read began.
fn provably_unseen(entries: &[Entry], r: usize, v: &Option<String>) -> bool {
    let read = &entries[r];
    let key = read.op.key();
    let end = read.returned.unwrap_or(u64::MAX);
    let same_key = || entries.iter().filter(|e| e.op.key() == key);
    let mut producers: Vec<u64> = same_key()
        .filter(|e| e.invoked < end)
        .filter_map(|e| may_produce(e, v))
        .collect();
    if v.is_none() {
        producers.push(0);
    }
    producers.iter().all(|&done| {
        same_key().any(|k| {
            sure_effect(k).is_some_and(|w| &w != v)
                && k.invoked > done
                && k.returned.is_some_and(|t| t < read.invoked)
        })
    })
}

/// A read that overlaps no other operation on its key, with a value it cannot have seen.
fn stale_read(entries: &[Entry]) -> Option<(usize, Option<String>)> {
    let isolated = |i: usize| {
        let e = &entries[i];
        let end = e.returned.unwrap_or(u64::MAX);
        entries.iter().enumerate().all(|(j, o)| {
            j == i
                || o.op.key() != e.op.key()
                || o.invoked > end
                || o.returned.is_some_and(|t| t < e.invoked)
        })
    };
    let mut choices: Vec<Option<String>> = vec![None];
    choices.extend(VALUES.iter().map(|s| Some(s.to_string())));
    for (i, e) in entries.iter().enumerate() {
        let Outcome::Ok(Ret::Read(got)) = &e.outcome else {
            continue;
        };
        if !isolated(i) {
            continue;
        }
        // Prefer a stale value the key really held over one nobody wrote.
        let stale = choices
            .iter()
            .find(|v| *v != got && provably_unseen(entries, i, v));
        let value = stale
            .cloned()
            .unwrap_or_else(|| Some("never written".to_string()));
        return Some((i, value));
    }
    None
}

fn actions() -> impl Strategy<Value = Vec<Action>> {
    prop::collection::vec((0u8..5, 0u8..10, 0u8..8, 0u8..8), 1..250)
}

fn values() -> impl Strategy<Value = Values> {
    prop_oneof![
        Just(Values::Shared),
        Just(Values::Unique),
        Just(Values::UniqueNoCas)
    ]
}

/// Runs both searches on every key of `entries`; they must agree whenever both decide.
fn searches_agree(entries: &[Entry]) -> Result<(), TestCaseError> {
    use super::search::{Budget, Found};
    let mut by_key: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, e) in entries.iter().enumerate() {
        by_key.entry(e.op.key()).or_default().push(i);
    }
    for (key, indices) in by_key {
        let Ok(prepared) = super::model::prepare(entries, &indices) else {
            return Err(TestCaseError::fail("malformed history"));
        };
        let budget = || Budget {
            steps: 2_000_000,
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(5),
        };
        let verdict = |f: Found| match f {
            Found::Linearizable { .. } => Some(true),
            Found::Stuck(_) => Some(false),
            Found::GaveUp { .. } => None,
        };
        let dfs = verdict(super::search::run(&prepared.ops, &budget()));
        let sweep = verdict(super::frontier::run(&prepared.ops, &budget()));
        if let (Some(a), Some(b)) = (dfs, sweep) {
            prop_assert_eq!(a, b, "key {}: depth-first {} sweep {}", key, a, b);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn simulated_store_histories_are_linearizable(
        clients in 1usize..6,
        acts in actions(),
        values in values(),
    ) {
        let history = simulate_with(clients, &acts, values);
        if let Err(e) = check(&history) {
            prop_assert!(false, "{e}\n{:#?}", history.entries());
        }
    }

    #[test]
    fn isolated_read_of_an_impossible_value_is_caught(
        clients in 1usize..6,
        acts in actions(),
        values in values(),
    ) {
        let mut entries = simulate_with(clients, &acts, values).entries();
        if let Some((i, value)) = stale_read(&entries) {
            entries[i].outcome = Outcome::Ok(Ret::Read(value));
            match check_entries(&entries, &Limits::default()) {
                Err(CheckError::Violation(v)) => prop_assert_eq!(&v.key, entries[i].op.key()),
                other => prop_assert!(false, "mutated #{} not caught: {:?}", i, other),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn depth_first_search_and_sweep_agree(
        clients in 1usize..6,
        acts in actions(),
        values in values(),
        mutation in (any::<prop::sample::Index>(), 0usize..VALUES.len() + 1),
    ) {
        let mut entries = simulate_with(clients, &acts, values).entries();
        searches_agree(&entries)?;
        // Any read's result changed to any value: linearizable or not, both must agree.
        let reads: Vec<usize> = (0..entries.len())
            .filter(|&i| matches!(entries[i].outcome, Outcome::Ok(Ret::Read(_))))
            .collect();
        if !reads.is_empty() {
            let (index, value) = mutation;
            let value = VALUES.get(value).map(|v| v.to_string());
            entries[reads[index.index(reads.len())]].outcome = Outcome::Ok(Ret::Read(value));
            searches_agree(&entries)?;
        }
    }
}

#[test]
fn stale_value_detection_finds_overwritten_values() {
    let h = History::new();
    h.invoke(0, Op::Write("k0".into(), "a".into()))
        .ok(Ret::Write);
    h.invoke(0, Op::Write("k0".into(), "b".into()))
        .ok(Ret::Write);
    h.invoke(1, Op::Read("k0".into()))
        .ok(Ret::Read(Some("b".into())));
    assert_eq!(stale_read(&h.entries()), Some((2, None)));
    let entries = h.entries();
    assert!(provably_unseen(&entries, 2, &Some("a".into())));
    assert!(!provably_unseen(&entries, 2, &Some("b".into())));
}

/// A long deterministic schedule of xorshift actions where one in `rare` actions gives up
/// on, fails, or loses the reply of an operation.
fn long_schedule(len: usize, keys: u8, rare: u8) -> Vec<Action> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = x.to_le_bytes();
            let roll = if b[1].is_multiple_of(rare) {
                7 + b[2] % 3
            } else {
                b[1] % 7
            };
            (b[0], roll, (b[3] % 4) + 4 * (b[4] % keys), b[5])
        })
        .collect()
}

#[test]
fn long_single_key_history_checks_quickly() {
    let history = simulate(6, &long_schedule(12_000, 1, 16));
    match check_with(&history, &Limits::default()) {
        Ok(stats) => {
            assert_eq!(stats.keys, 1);
            assert!(stats.max_key_ops > 3_000, "{stats:?}");
            eprintln!("single key: {stats:?}");
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn timed_out_unique_writes_are_checked_quickly() {
    // One operation in eight gives up, fails or loses its reply: a few hundred unknown
    // outcomes on one key, which only the unobservable-write rule keeps tractable.
    let history = simulate_with(6, &long_schedule(12_000, 1, 8), Values::UniqueNoCas);
    let mut entries = history.entries();
    match check_entries(&entries, &Limits::default()) {
        Ok(stats) => eprintln!("timed-out writes: {stats:?}"),
        Err(e) => panic!("{e}"),
    }
    let last_read = (0..entries.len())
        .rev()
        .find(|&i| matches!(entries[i].outcome, Outcome::Ok(Ret::Read(_))));
    let Some(i) = last_read else {
        panic!("no read in the history");
    };
    entries[i].outcome = Outcome::Ok(Ret::Read(Some("never written".into())));
    match check_entries(&entries, &Limits::default()) {
        Err(CheckError::Violation(v)) => assert_eq!(v.blocked.0, i),
        other => panic!("mutated read #{i} not caught: {other:?}"),
    }
}
