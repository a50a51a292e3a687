//! Embedded throughput: GET, SET and INCR through the typed API, on one thread and on every
//! core at once (each thread with its own handle, as the API recommends).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shoal::{Config, Shoal};
use std::hint::black_box;
use std::time::{Duration, Instant};

const KEYS: u64 = 100_000;

fn key(i: u64) -> String {
    format!("key:{:012}", i % KEYS)
}

fn open() -> Shoal {
    match Shoal::open(Config::default()) {
        Ok(db) => db,
        Err(e) => panic!("open: {e}"),
    }
}

fn single_thread(c: &mut Criterion) {
    let db = open();
    for i in 0..KEYS {
        let _ = db.set(key(i), "xxx");
    }
    let mut g = c.benchmark_group("embedded/1-thread");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("set", |b| {
        b.iter(|| {
            i += 7;
            black_box(db.set(key(i), "xxx"))
        })
    });
    g.bench_function("get", |b| {
        b.iter(|| {
            i += 7;
            black_box(db.get(key(i)))
        })
    });
    g.bench_function("incr", |b| {
        b.iter(|| {
            i += 7;
            black_box(db.incr(format!("counter:{}", i % 1000)))
        })
    });
    let sha = match db.execute(&[
        "SCRIPT",
        "LOAD",
        "return redis.call('SET', KEYS[1], ARGV[1])",
    ]) {
        Ok(shoal::Frame::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("SCRIPT LOAD: {other:?}"),
    };
    g.bench_function("evalsha", |b| {
        b.iter(|| {
            i += 7;
            black_box(db.execute(&["EVALSHA", sha.as_str(), "1", key(i).as_str(), "xxx"]))
        })
    });
    g.finish();
}

/// Runs `op` on every core for `iters` operations in total and reports the wall time.
fn parallel(db: &Shoal, iters: u64, op: fn(&Shoal, u64)) -> Duration {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(2);
    let per = iters.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let handle = db.clone();
            s.spawn(move || {
                for i in 0..per {
                    op(&handle, t * 1_000_003 + i * 7);
                }
            });
        }
    });
    start.elapsed()
}

fn all_cores(c: &mut Criterion) {
    let db = open();
    for i in 0..KEYS {
        let _ = db.set(key(i), "xxx");
    }
    let mut g = c.benchmark_group("embedded/all-cores");
    g.throughput(Throughput::Elements(1));
    g.bench_function("set", |b| {
        b.iter_custom(|n| parallel(&db, n, |d, i| drop(black_box(d.set(key(i), "xxx")))))
    });
    g.bench_function("get", |b| {
        b.iter_custom(|n| parallel(&db, n, |d, i| drop(black_box(d.get(key(i))))))
    });
    g.bench_function("incr", |b| {
        b.iter_custom(|n| {
            parallel(&db, n, |d, i| {
                drop(black_box(d.incr(format!("counter:{}", i % 1000))))
            })
        })
    });
    g.finish();
}

criterion_group!(benches, single_thread, all_cores);
criterion_main!(benches);
