//! COMMAND INFO against a real `redis-server` 7: tips (element 8) and key specifications
//! (element 9) of a sample of commands, compared reply for reply. Redis's free-text
//! `notes` field of a key specification is left out of the comparison. Skips when
//! `redis-server` is not installed.

use redis::Value;
use shoal_tests::{RedisServer, TestServer};

const SAMPLE: &[&str] = &[
    "set",
    "get",
    "mset",
    "zunionstore",
    "eval",
    "xread",
    "sort",
    "migrate",
    "lmpop",
    "keys",
    "scan",
    "georadius",
    "memory|usage",
    "bitop",
];

/// A key specification without its `notes` pair (RESP2: a flat list of name, value).
fn without_notes(spec: &Value) -> Value {
    match spec {
        Value::Array(items) => {
            let mut out = Vec::new();
            for pair in items.chunks(2) {
                let is_notes = matches!(&pair[0], Value::BulkString(b) if b == b"notes");
                if !is_notes {
                    out.extend(pair.iter().cloned());
                }
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

/// Arity, tips and key specifications of one command's entry, or None if it is unknown.
fn entry(con: &mut redis::Connection, name: &str) -> Option<(Value, Value, Vec<Value>)> {
    let reply: Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg(name)
        .query(con)
        .unwrap_or_else(|e| panic!("COMMAND INFO {name}: {e}"));
    let Value::Array(mut entries) = reply else {
        panic!("COMMAND INFO {name}: {reply:?}");
    };
    let Some(Value::Array(fields)) = entries.pop() else {
        return None;
    };
    let specs = match &fields[8] {
        Value::Array(specs) => specs.iter().map(without_notes).collect(),
        other => panic!("{name}: key specs {other:?}"),
    };
    Some((fields[1].clone(), fields[7].clone(), specs))
}

#[test]
fn command_info_tips_and_key_specs_match_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let shoal = TestServer::start();
    let (mut r, mut s) = (redis.client(), shoal.client());
    let mut diffs = Vec::new();
    let mut compared = 0;
    for name in SAMPLE {
        let Some(want) = entry(&mut r, name) else {
            continue;
        };
        let Some(got) = entry(&mut s, name) else {
            // A command Shoal does not have: nothing to compare.
            continue;
        };
        compared += 1;
        if want != got {
            diffs.push(format!("{name}\n  redis: {want:?}\n  shoal: {got:?}"));
        }
    }
    assert!(compared >= 8, "only {compared} commands compared");
    assert!(diffs.is_empty(), "entries differ:\n{}", diffs.join("\n"));
}

#[test]
fn command_info_key_specs_are_maps_under_resp3() {
    let shoal = TestServer::start();
    let mut con = shoal.client3();
    let reply: Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("set")
        .query(&mut con)
        .unwrap_or_else(|e| panic!("COMMAND INFO set: {e}"));
    let text = format!("{reply:?}");
    assert!(text.contains("map(["), "{text}");
    assert!(text.contains("begin_search"), "{text}");
    assert!(text.contains("variable_flags"), "{text}");
}
