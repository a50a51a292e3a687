//! The typed embedded API: replies as Rust types, errors as `shoal::Error`.

use shoal::{Config, Expiry, ScanOptions, SetCondition, SetOptions, Shoal, Ttl};
use std::time::Duration;

fn open() -> Shoal {
    match Shoal::open(Config::default()) {
        Ok(db) => db,
        Err(e) => panic!("open: {e}"),
    }
}

#[test]
fn strings_and_ttls_round_trip() -> Result<(), shoal::Error> {
    let db = open();
    assert!(db.set_with(
        "k",
        "v",
        SetOptions::default().condition(SetCondition::IfMissing)
    )?);
    assert!(!db.set_with(
        "k",
        "w",
        SetOptions::default().condition(SetCondition::IfMissing)
    )?);
    assert_eq!(db.set_get("k", "x")?.as_deref(), Some(&b"v"[..]));
    db.set_with(
        "t",
        "1",
        SetOptions::default().expiry(Expiry::After(Duration::from_secs(100))),
    )?;
    assert!(matches!(db.ttl("t")?, Ttl::Expires(d) if d > Duration::from_secs(90)));
    assert_eq!(db.incr_by("n", 5)?, 5);
    assert_eq!(db.incr_by_float("f", 1.5)?, 1.5);
    assert_eq!(db.append("s", "ab")?, 2);
    assert_eq!(db.get_range("s", 0, 0)?.as_ref(), b"a");
    assert_eq!(db.mget(&["k", "nope"])?, vec![Some("x".into()), None]);
    Ok(())
}

#[test]
fn wrong_type_is_a_typed_error() {
    let db = open();
    assert!(db.rpush("list", &["a"]).is_ok());
    let err = db.get("list").err();
    assert!(err.as_ref().is_some_and(|e| e.is_wrong_type()), "{err:?}");
}

#[test]
fn lists_and_sets() -> Result<(), shoal::Error> {
    let db = open();
    assert_eq!(db.rpush("l", &["a", "b", "c"])?, 3);
    assert_eq!(db.lpop("l")?.as_deref(), Some(&b"a"[..]));
    assert_eq!(db.lrange("l", 0, -1)?, vec!["b", "c"]);
    assert_eq!(db.llen("l")?, 2);
    assert_eq!(db.sadd("s", &["x", "y", "x"])?, 2);
    assert!(db.sismember("s", "y")?);
    let mut members = db.smembers("s")?;
    members.sort();
    assert_eq!(members, vec!["x", "y"]);
    Ok(())
}

#[test]
fn blpop_times_out_with_none() -> Result<(), shoal::Error> {
    let db = open();
    assert_eq!(db.blpop(&["empty"], Duration::from_millis(20))?, None);
    Ok(())
}

#[test]
fn scan_iterates_every_key_and_clones_are_separate_sessions() -> Result<(), shoal::Error> {
    let db = open();
    for i in 0..500 {
        db.set(format!("k{i}"), "v")?;
    }
    let other = db.clone();
    other.select(1)?;
    other.set("only-in-1", "v")?;
    let keys: Vec<String> = db
        .scan(ScanOptions::default().count(7))
        .collect::<Result<_, _>>()?;
    assert_eq!(keys.len(), 500);
    assert_eq!(db.dbsize()?, 500);
    assert_eq!(other.dbsize()?, 1);
    Ok(())
}

/// Drives a future on this thread; enough for the engine's runtime-free futures.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

fn blocked_clients(db: &Shoal) -> bool {
    match db.execute(&["INFO", "clients"]) {
        Ok(shoal::Frame::Verbatim { data, .. }) | Ok(shoal::Frame::Bulk(data)) => {
            String::from_utf8_lossy(&data).contains("blocked_clients:1")
        }
        _ => false,
    }
}

#[test]
fn blpop_async_waits_for_a_push_and_times_out_without_one() -> Result<(), shoal::Error> {
    let db = open();
    let producer = db.clone();
    let t = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !blocked_clients(&producer) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        producer.rpush("jobs", &["late"])
    });
    let got = block_on(db.blpop_async(&["jobs"], Duration::ZERO))?;
    assert_eq!(got.map(|(_, v)| v), Some("late".into()));
    assert!(t.join().is_ok());
    assert_eq!(
        block_on(db.blpop_async(&["none"], Duration::from_millis(20)))?,
        None
    );
    Ok(())
}

#[test]
fn hashes_and_sorted_sets() -> Result<(), shoal::Error> {
    let db = open();
    assert_eq!(db.hset("h", &[("a", "1"), ("b", "2")])?, 2);
    assert_eq!(db.hget("h", "a")?.as_deref(), Some(&b"1"[..]));
    assert_eq!(db.hincr_by("h", "a", 41)?, 42);
    let mut all = db.hgetall("h")?;
    all.sort();
    assert_eq!(
        all,
        vec![("a".into(), "42".into()), ("b".into(), "2".into())]
    );
    assert_eq!(db.hdel("h", &["a", "zz"])?, 1);
    assert_eq!(db.zadd("z", &[(1.5, "x"), (-2.0, "y")])?, 2);
    assert_eq!(db.zscore("z", "x")?, Some(1.5));
    assert_eq!(db.zscore("z", "nope")?, None);
    assert_eq!(db.zincr_by("z", 1.0, "y")?, -1.0);
    let by_score = db.zrange("z", shoal::ZRange::score(f64::NEG_INFINITY, 0.0))?;
    assert_eq!(by_score, vec![("y".into(), -1.0)]);
    Ok(())
}
