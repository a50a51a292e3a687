//! Memory limit and eviction on a real server: OOM replies, what each policy may evict, the
//! limit under concurrent writers, and CONFIG SET at run time.

use redis::Commands;
use shoal_tests::TestServer;

fn used(c: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query(c)
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn fill(c: &mut redis::Connection, prefix: &str, n: usize, ttl: bool) {
    let value = "x".repeat(200);
    let mut pipe = redis::pipe();
    for i in 0..n {
        let key = format!("{prefix}{i}");
        if ttl {
            pipe.cmd("SET")
                .arg(&key)
                .arg(&value)
                .arg("EX")
                .arg(1000)
                .ignore();
        } else {
            pipe.cmd("SET").arg(&key).arg(&value).ignore();
        }
    }
    let _: redis::RedisResult<()> = pipe.query(c);
}

fn set_config(c: &mut redis::Connection, name: &str, value: &str) {
    let r: redis::RedisResult<String> = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(c);
    assert_eq!(r.ok().as_deref(), Some("OK"), "CONFIG SET {name} {value}");
}

#[test]
fn noeviction_answers_oom_and_still_serves_reads_and_deletes() {
    let server = TestServer::start();
    let mut c = server.client();
    fill(&mut c, "k", 500, false);
    let limit = used(&mut c) / 2;
    set_config(&mut c, "maxmemory", &limit.to_string());
    let err = c
        .set::<_, _, ()>("new", "v")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("command not allowed when used memory > 'maxmemory'"),
        "{err}"
    );
    let v: Option<String> = c.get("k1").unwrap_or(None);
    assert!(v.is_some());
    let n: i64 = c.del("k1").unwrap_or(0);
    assert_eq!(n, 1);
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let _: redis::RedisResult<()> = redis::cmd("FLUSHALL").query(&mut c);
        set_config(&mut c, "maxmemory", "0");
        set_config(&mut c, "maxmemory-policy", policy);
        fill(&mut c, "plain", 300, false);
        fill(&mut c, "ttl", 300, true);
        let limit = used(&mut c) * 3 / 4;
        set_config(&mut c, "maxmemory", &limit.to_string());
        fill(&mut c, "more", 300, false);
        let plain = (0..300)
            .filter(|i| c.exists::<_, bool>(format!("plain{i}")).unwrap_or(false))
            .count();
        assert_eq!(plain, 300, "{policy} evicted a key without TTL");
    }
}

#[test]
fn limit_holds_under_concurrent_writers() {
    let server = TestServer::start();
    let mut c = server.client();
    set_config(&mut c, "maxmemory", "2mb");
    set_config(&mut c, "maxmemory-policy", "allkeys-lru");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let mut w = server.client();
            std::thread::spawn(move || fill(&mut w, &format!("w{t}-"), 20_000, false))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let u = used(&mut c);
    assert!(u <= 2 * 1024 * 1024 * 102 / 100, "used {u} over 2mb");
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query(&mut c)
        .unwrap_or_default();
    assert!(!info.contains("evicted_keys:0\r"), "nothing evicted");
}

#[test]
fn config_set_of_the_limit_evicts_down_in_the_background() {
    let server = TestServer::start();
    let mut c = server.client();
    set_config(&mut c, "maxmemory-policy", "allkeys-random");
    fill(&mut c, "k", 5000, false);
    let limit = used(&mut c) / 3;
    set_config(&mut c, "maxmemory", &limit.to_string());
    // No write arrives: the background cycle brings memory down on its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while used(&mut c) > limit && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(used(&mut c) <= limit);
    // Switching to noeviction at run time stops eviction: writes are refused.
    set_config(&mut c, "maxmemory-policy", "noeviction");
    fill(&mut c, "big", 10, false);
    set_config(&mut c, "maxmemory", "1");
    assert!(c.set::<_, _, ()>("x", "y").is_err());
    set_config(&mut c, "maxmemory", "0");
    assert!(c.set::<_, _, ()>("x", "y").is_ok());
}
