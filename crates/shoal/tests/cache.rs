//! Shoal embedded as a cache: a byte budget, an eviction policy, per-handle hit counting.

use shoal::{Config, EvictionPolicy, Lookup, Shoal};

fn open(budget: u64, policy: EvictionPolicy) -> Shoal {
    match Shoal::open(Config::default().max_memory(budget).eviction_policy(policy)) {
        Ok(db) => db,
        Err(e) => panic!("open: {e}"),
    }
}

#[test]
fn byte_budget_is_honoured_under_every_allkeys_policy() {
    for policy in [
        EvictionPolicy::AllkeysLru,
        EvictionPolicy::AllkeysLfu,
        EvictionPolicy::AllkeysRandom,
        EvictionPolicy::AllkeysAdaptive,
    ] {
        let db = open(256 * 1024, policy);
        let value = vec![b'x'; 1000];
        for i in 0..2000 {
            assert!(db.set(format!("k{i}"), &value).is_ok(), "{policy:?}");
        }
        let m = db.memory_usage();
        assert!(
            m.used <= m.max + m.max / 50,
            "{policy:?}: {} > {}",
            m.used,
            m.max
        );
        assert!(m.evicted_keys > 1000, "{policy:?}");
    }
}

#[test]
fn noeviction_budget_refuses_writes_with_oom() {
    let db = open(64 * 1024, EvictionPolicy::NoEviction);
    let value = vec![b'x'; 1000];
    let refused = (0..200).find_map(|i| db.set(format!("k{i}"), &value).err());
    let Some(e) = refused else {
        panic!("never refused");
    };
    assert!(e.to_string().contains("OOM"), "{e}");
    assert!(db.get("k0").is_ok());
}

#[test]
fn lookups_count_hits_and_misses_per_handle() {
    let db = open(0, EvictionPolicy::NoEviction);
    let other = db.clone();
    assert_eq!(db.lookup("a").ok(), Some(Lookup::Miss));
    let _ = db.get_or_insert_with("a", || "1");
    assert!(db.lookup("a").map(|l| l.is_hit()).unwrap_or(false));
    let stats = db.cache_stats();
    assert_eq!((stats.hits, stats.misses), (1, 2));
    assert!((stats.hit_ratio() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(other.cache_stats().hits, 0);
}

#[test]
fn adaptive_cache_keeps_hot_keys_through_a_scan() {
    let db = open(512 * 1024, EvictionPolicy::AllkeysAdaptive);
    let value = vec![b'v'; 500];
    for round in 0..20 {
        for hot in 0..100 {
            let _ = db.get_or_insert_with(format!("hot{hot}"), || value.clone());
        }
        for cold in 0..200 {
            let _ = db.get_or_insert_with(format!("scan{round}-{cold}"), || value.clone());
        }
    }
    let before = db.cache_stats();
    for hot in 0..100 {
        let _ = db.lookup(format!("hot{hot}"));
    }
    let hits = db.cache_stats().hits - before.hits;
    assert!(hits >= 90, "only {hits} of 100 hot keys kept");
}
