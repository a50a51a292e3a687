//! Subscribers and ACL changes, through a real server: when a user's channel rights shrink
//! (ACL SETUSER, ACL LOAD), only the connections whose current subscriptions are no longer
//! allowed are closed, as Redis 7 does.

use redis::{Connection, RedisResult, Value};
use shoal_tests::{Raw, RedisServer, TestServer};
use std::net::SocketAddr;
use std::time::Duration;

fn cmd(con: &mut Connection, args: &[&str]) -> RedisResult<Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

fn ok(con: &mut Connection, args: &[&str]) {
    let r = cmd(con, args);
    assert!(r.is_ok(), "{args:?}: {r:?}");
}

/// A raw connection logged in as `user` with `pw`, subscribed with `command`.
fn subscriber(addr: SocketAddr, user: &str, command: &str, name: &str) -> Raw {
    let mut raw = Raw::connect(addr);
    let auth = format!("AUTH {user} {pw}\r\n", pw = "pw");
    assert_eq!(raw.roundtrip(auth.as_bytes(), b"+OK\r\n"), b"+OK\r\n");
    let word = command.to_ascii_lowercase();
    let expected = format!(
        "*3\r\n${}\r\n{word}\r\n${}\r\n{name}\r\n:1\r\n",
        word.len(),
        name.len()
    );
    let reply = raw.roundtrip(
        format!("{command} {name}\r\n").as_bytes(),
        expected.as_bytes(),
    );
    assert_eq!(
        String::from_utf8_lossy(&reply),
        expected,
        "{command} {name}"
    );
    raw
}

/// What `raw` receives until `needle` shows up, the connection closes, or 5 s pass.
fn read_until(raw: &mut Raw, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut got = String::new();
    while !got.contains(needle) && std::time::Instant::now() < deadline {
        let chunk = raw.read_at_least(1);
        if chunk.is_empty() {
            break;
        }
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    got
}

/// True if `raw` is still open and gets a message published on `channel`.
fn still_served(admin: &mut Connection, raw: &mut Raw, channel: &str) -> bool {
    ok(admin, &["PUBLISH", channel, "still-there"]);
    read_until(raw, "still-there").contains("still-there")
}

/// Two narrowings of user `sub`'s channels on the server at `addr`, checking after each
/// which of its subscribers are cut and which stay.
fn narrowing_scenario(addr: SocketAddr) {
    let mut admin = redis::Client::open(format!("redis://{addr}/"))
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let setuser = ["ACL", "SETUSER", "sub", "on", ">pw", "+@all", "~*"];
    ok(
        &mut admin,
        &[&setuser[..], &["&news.*", "&sports.*"]].concat(),
    );
    let mut news = subscriber(addr, "sub", "SUBSCRIBE", "news.today");
    let mut news_pattern = subscriber(addr, "sub", "PSUBSCRIBE", "news.*");
    let mut shard = subscriber(addr, "sub", "SSUBSCRIBE", "news.local");
    let mut sports = subscriber(addr, "sub", "SUBSCRIBE", "sports.live");
    let mut sports_pattern = subscriber(addr, "sub", "PSUBSCRIBE", "sports.*");
    // Another user's subscriber on the same channel is not concerned.
    let mut other = Raw::connect(addr);
    other.roundtrip(b"SUBSCRIBE sports.live\r\n", b"*3\r\n$9\r\nsubscribe\r\n");
    ok(
        &mut admin,
        &["ACL", "SETUSER", "sub", "resetchannels", "&news.*"],
    );
    assert!(sports.closed(), "{addr}: a channel taken away stays");
    assert!(
        sports_pattern.closed(),
        "{addr}: a pattern taken away stays"
    );
    assert!(still_served(&mut admin, &mut news, "news.today"), "{addr}");
    assert!(
        still_served(&mut admin, &mut news_pattern, "news.x"),
        "{addr}"
    );
    ok(&mut admin, &["SPUBLISH", "news.local", "still-there"]);
    assert!(
        read_until(&mut shard, "still-there").contains("still-there"),
        "{addr}"
    );
    assert!(
        still_served(&mut admin, &mut other, "sports.live"),
        "{addr}"
    );
    // A subscribed pattern is kept only by the same pattern: `news.t*` is narrower, yet
    // patterns are compared literally, so the PSUBSCRIBE news.* client goes.
    ok(
        &mut admin,
        &["ACL", "SETUSER", "sub", "resetchannels", "&news.t*"],
    );
    assert!(news_pattern.closed(), "{addr}");
    assert!(
        shard.closed(),
        "{addr}: news.local is not allowed by news.t*"
    );
    assert!(still_served(&mut admin, &mut news, "news.today"), "{addr}");
    // Taking every channel away from a user that had them all cuts its subscribers too.
    ok(&mut admin, &["ACL", "SETUSER", "sub", "allchannels"]);
    let mut any = subscriber(addr, "sub", "SUBSCRIBE", "anything");
    ok(
        &mut admin,
        &["ACL", "SETUSER", "sub", "resetchannels", "&news.*"],
    );
    assert!(any.closed(), "{addr}");
    assert!(still_served(&mut admin, &mut news, "news.today"), "{addr}");
}

#[test]
fn narrowing_channels_disconnects_only_subscribers_no_longer_allowed() {
    let s = TestServer::start();
    narrowing_scenario(s.addr());
    // The same steps give the same outcome on a real Redis.
    if let Some(redis) = RedisServer::start() {
        narrowing_scenario(SocketAddr::from(([127, 0, 0, 1], redis.port)));
    }
}

/// As Redis 7.2 does (7.0 closed every client of every user but `default` on ACL LOAD).
#[test]
fn acl_load_disconnects_only_subscribers_no_longer_allowed() {
    let dir = std::env::temp_dir().join(format!("shoal-acl-load-subs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let file = dir.join("users.acl");
    let base = "user default on nopass ~* &* +@all\n";
    let write = |channels: &str| {
        let text = format!("{base}user sub on >pw ~* {channels} +@all\n");
        std::fs::write(&file, text).ok();
    };
    write("&news.* &sports.*");
    let config = shoal_engine::Config::new();
    let _ = config.set_startup("save", "");
    let _ = config.set_startup("aclfile", &file.to_string_lossy());
    let s = TestServer::with_engine(shoal_engine::Engine::with_options(
        shoal_engine::EngineOptions {
            config,
            ..Default::default()
        },
    ));
    let mut admin = s.client();
    let mut news = subscriber(s.addr(), "sub", "SUBSCRIBE", "news.today");
    let mut sports = subscriber(s.addr(), "sub", "SUBSCRIBE", "sports.live");
    write("&news.*");
    ok(&mut admin, &["ACL", "LOAD"]);
    assert!(sports.closed());
    assert!(still_served(&mut admin, &mut news, "news.today"));
    std::fs::remove_dir_all(&dir).ok();
}
