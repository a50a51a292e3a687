use super::info::human_bytes;
use crate::testing::{bulk, bulks, err, int, ok, simple, Harness, START_MS};
use bytes::Bytes;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

fn text(f: &Frame) -> String {
    String::from_utf8_lossy(f.as_bytes().map(|b| b.as_ref()).unwrap_or(b"")).into_owned()
}

fn items(f: Frame) -> Vec<Frame> {
    match f {
        Frame::Array(v) | Frame::Set(v) => v,
        other => panic!("not an array: {other:?}"),
    }
}

fn pairs(f: Frame) -> Vec<(Frame, Frame)> {
    match f {
        Frame::Map(v) => v,
        other => panic!("not a map: {other:?}"),
    }
}

fn set(names: &[&str]) -> Frame {
    Frame::Set(names.iter().map(|n| simple(n)).collect())
}

#[test]
fn command_info_has_redis_7_shape() {
    let mut h = Harness::new();
    let reply = items(h.run(&["COMMAND", "INFO", "get", "nosuch"]));
    assert_eq!(reply.len(), 2);
    assert_eq!(reply[1], Frame::Null);
    let get = items(reply[0].clone());
    assert_eq!(get.len(), 10);
    assert_eq!(get[0], bulk("get"));
    assert_eq!(get[1], int(2));
    assert_eq!(get[2], set(&["readonly", "fast"]));
    assert_eq!(&get[3..6], &[int(1), int(1), int(1)]);
    assert_eq!(get[6], set(&["@read", "@string", "@fast"]));
    assert_eq!(get[7], Frame::Set(vec![]));
    assert_eq!(get[9], Frame::Array(vec![]));
}

#[test]
fn command_info_nests_subcommands_and_finds_them_by_full_name() {
    let mut h = Harness::new();
    let client = items(items(h.run(&["COMMAND", "INFO", "client"])).remove(0));
    assert_eq!(client[1], int(-2));
    assert_eq!(client[6], set(&["@slow"]));
    let subs = items(client[9].clone());
    assert!(subs.len() >= 10);
    let list = items(items(h.run(&["COMMAND", "INFO", "client|list"])).remove(0));
    assert_eq!(list[0], bulk("client|list"));
    assert_eq!(list[2], set(&["admin", "noscript", "loading", "stale"]));
    assert_eq!(
        list[6],
        set(&["@admin", "@slow", "@dangerous", "@connection"])
    );
    let hello = items(items(h.run(&["COMMAND", "INFO", "HELLO"])).remove(0));
    assert_eq!(
        hello[2],
        set(&[
            "noscript",
            "loading",
            "stale",
            "fast",
            "no_auth",
            "allow_busy"
        ])
    );
    assert_eq!(hello[6], set(&["@fast", "@connection"]));
}

#[test]
fn command_count_and_plain_command_agree() {
    let mut h = Harness::new();
    let count = h.engine.inner().commands().len() as i64;
    assert_eq!(h.run(&["COMMAND", "COUNT"]), int(count));
    assert_eq!(items(h.run(&["COMMAND"])).len() as i64, count);
    assert_eq!(items(h.run(&["COMMAND", "INFO"])).len() as i64, count);
}

#[test]
fn command_list_includes_subcommands_and_filters() {
    let mut h = Harness::new();
    let all = items(h.run(&["COMMAND", "LIST"]));
    assert!(all.contains(&bulk("get")) && all.contains(&bulk("client|list")));
    let pattern = items(h.run(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "CLIENT|*"]));
    assert!(pattern.contains(&bulk("client|kill")) && !pattern.contains(&bulk("get")));
    let cat = items(h.run(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"]));
    assert!(cat.contains(&bulk("hello")) && !cat.contains(&bulk("get")));
    assert_eq!(
        h.run(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"]),
        Frame::Array(vec![])
    );
    assert_eq!(
        h.run(&["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]),
        Frame::Array(vec![])
    );
    assert_eq!(
        h.run(&["COMMAND", "LIST", "FILTERBY", "FOO", "x"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["COMMAND", "LIST", "x"]), err("ERR syntax error"));
}

#[test]
fn command_getkeys_from_key_positions() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["COMMAND", "GETKEYS", "SET", "k", "v"]),
        bulks(&["k"])
    );
    assert_eq!(
        h.run(&["COMMAND", "GETKEYS", "nosuch", "x"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        h.run(&["COMMAND", "GETKEYS", "ping", "x"]),
        err("ERR The command has no key arguments")
    );
    assert_eq!(
        h.run(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        h.run(&["COMMAND", "GETKEYS", "client", "nosuch"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        h.run(&["COMMAND", "GETKEYS", "get"]),
        err("ERR wrong number of arguments for 'command|getkeys' command")
    );
}

#[test]
fn command_docs_maps_names_to_docs() {
    let mut h = Harness::new();
    let docs = pairs(h.run(&["COMMAND", "DOCS", "time", "nosuch"]));
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].0, bulk("time"));
    let fields = pairs(docs[0].1.clone());
    let keys: Vec<Frame> = fields.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        keys,
        vec![
            bulk("summary"),
            bulk("since"),
            bulk("group"),
            bulk("complexity")
        ]
    );
    assert!(fields.contains(&(bulk("group"), bulk("server"))));
    let config = pairs(h.run(&["COMMAND", "DOCS", "config"]));
    let fields = pairs(config[0].1.clone());
    let (_, subs) = fields.last().cloned().unwrap_or((Frame::Null, Frame::Null));
    let subs = pairs(subs);
    assert!(subs.iter().any(|(k, _)| *k == bulk("config|get")));
}

#[test]
fn command_help_and_unknown_subcommand() {
    let mut h = Harness::new();
    assert!(items(h.run(&["COMMAND", "HELP"])).len() > 4);
    assert_eq!(
        h.run(&["COMMAND", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
    );
}

#[test]
fn config_get_matches_globs_once() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["CONFIG", "GET", "HZ"]),
        Frame::Map(vec![(bulk("hz"), bulk("10"))])
    );
    let many = pairs(h.run(&["CONFIG", "GET", "*port*", "port", "tcp-*"]));
    let names: Vec<Frame> = many.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        vec![
            bulk("port"),
            bulk("replica-announce-port"),
            bulk("tls-port"),
            bulk("tcp-backlog"),
            bulk("tcp-keepalive")
        ]
    );
    assert_eq!(h.run(&["CONFIG", "GET", "nosuch"]), Frame::Map(vec![]));
    assert_eq!(
        h.run(&["CONFIG", "GET"]),
        err("ERR wrong number of arguments for 'config|get' command")
    );
}

#[test]
fn config_set_is_all_or_nothing() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["CONFIG", "SET", "hz", "20", "timeout", "5"]), ok());
    assert_eq!(
        h.run(&["CONFIG", "GET", "timeout"]),
        Frame::Map(vec![(bulk("timeout"), bulk("5"))])
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "hz", "30", "maxclients", "0"]),
        err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 2147483647 inclusive")
    );
    assert_eq!(
        h.run(&["CONFIG", "GET", "hz"]),
        Frame::Map(vec![(bulk("hz"), bulk("20"))])
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "hz", "30", "nosuch", "1"]),
        err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "hz", "5", "HZ", "6"]),
        err("ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter")
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "hz", "5", "timeout"]),
        err("ERR wrong number of arguments for 'config|set' command")
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "databases", "1"]),
        err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config")
    );
    assert_eq!(h.engine.inner().config.get_i64("hz"), 20);
}

#[test]
fn config_resetstat_zeroes_counters() {
    let mut h = Harness::new();
    h.run(&["GET", "missing"]);
    h.run(&["NOSUCH"]);
    assert!(h.engine.inner().stats.commands.load(Relaxed) > 0);
    assert_eq!(h.run(&["CONFIG", "RESETSTAT"]), ok());
    let s = &h.engine.inner().stats;
    assert_eq!(s.keyspace_misses.load(Relaxed), 0);
    assert_eq!(s.error_replies.load(Relaxed), 0);
    assert!(!items(h.run(&["CONFIG", "HELP"])).is_empty());
}

#[test]
fn info_default_has_every_section_with_crlf() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "2", "PX", "5000"]);
    let reply = h.run(&["INFO"]);
    assert!(matches!(reply, Frame::Verbatim { format, .. } if &format == b"txt"));
    let info = text(&reply);
    for header in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Stats",
        "# CPU",
        "# Keyspace",
    ] {
        assert!(info.contains(&format!("{header}\r\n")), "{header}");
    }
    for f in [
        "redis_version:7.2.4\r\n",
        "redis_mode:standalone\r\n",
        "arch_bits:64\r\n",
        "tcp_port:6379\r\n",
        "uptime_in_seconds:0\r\n",
        "hz:10\r\n",
        "connected_clients:1\r\n",
        "maxclients:10000\r\n",
        "maxmemory_policy:noeviction\r\n",
        "used_cpu_user:",
        "client_recent_max_input_buffer:0\r\n",
        "total_commands_processed:",
        "keyspace_hits:",
        "total_error_replies:0\r\n",
        "db0:keys=2,expires=1,avg_ttl=5000\r\n",
    ] {
        assert!(info.contains(f), "missing {f:?}");
    }
    assert!(info.contains(&format!("run_id:{}\r\n", h.engine.inner().run_id)));
    assert!(info.contains("\r\n\r\n# Clients\r\n"));
    assert!(!info.contains("\n\n"));
}

#[test]
fn info_selects_sections() {
    let mut h = Harness::new();
    assert_eq!(text(&h.run(&["INFO", "keyspace"])), "# Keyspace\r\n");
    assert_eq!(text(&h.run(&["INFO", "nosuch"])), "");
    let two = text(&h.run(&["INFO", "STATS", "server"]));
    assert!(two.starts_with("# Server\r\n") && two.contains("# Stats\r\n"));
    assert!(!two.contains("# Memory"));
    h.advance(2 * 86_400_000);
    let server = text(&h.run(&["INFO", "server"]));
    assert!(server.contains("uptime_in_days:2\r\n"));
    assert_eq!(text(&h.run(&["INFO", "keyspace"])), "# Keyspace\r\n");
    let memory = text(&h.run(&["INFO", "memory"]));
    assert!(memory.contains("used_memory_peak:"));
    assert!(memory.contains("mem_fragmentation_ratio:"));
}

#[test]
fn human_bytes_follows_redis_format() {
    assert_eq!(human_bytes(0), "0B");
    assert_eq!(human_bytes(1023), "1023B");
    assert_eq!(human_bytes(1536), "1.50K");
    assert_eq!(human_bytes(3 * 1024 * 1024), "3.00M");
    assert_eq!(human_bytes(1 << 30), "1.00G");
}

#[test]
fn time_reports_clock_seconds_and_micros() {
    let mut h = Harness::new();
    h.advance(1_250);
    let secs = (START_MS + 1_250) / 1000;
    assert_eq!(
        h.run(&["TIME"]),
        Frame::Array(vec![bulk(secs.to_string()), bulk("250000")])
    );
}

#[test]
fn shutdown_options_and_errors() {
    let mut h = Harness::new();
    let dir = crate::rdb::file_tests::scratch_dir("shutdown");
    h.run(&["CONFIG", "SET", "dir", &dir.display().to_string()]);
    assert_eq!(
        h.run(&["SHUTDOWN", "ABORT"]),
        err("ERR No shutdown in progress.")
    );
    assert_eq!(
        h.run(&["SHUTDOWN", "SAVE", "NOSAVE"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["SHUTDOWN", "NOW", "ABORT"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["SHUTDOWN", "LATER"]), err("ERR syntax error"));
    assert_eq!(
        h.run(&["SHUTDOWN", "SAVE"]),
        err("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    // Without a shutdown hook the engine cannot stop.
    assert_eq!(
        h.run(&["SHUTDOWN", "NOSAVE"]),
        err("ERR Errors trying to SHUTDOWN. Check logs.")
    );
}

#[test]
fn shutdown_with_hook_closes_without_reply() {
    let mut h = Harness::new();
    let dir = crate::rdb::file_tests::scratch_dir("shutdown-hook");
    h.run(&["CONFIG", "SET", "dir", &dir.display().to_string()]);
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = fired.clone();
    h.engine.on_shutdown(move || flag.store(true, Relaxed));
    let mut s = h.other_session();
    let args = vec![Bytes::from_static(b"SHUTDOWN"), Bytes::from_static(b"NOW")];
    assert_eq!(s.execute(args), None);
    assert!(fired.load(Relaxed));
    assert!(s.should_close());
    let mut s2 = h.other_session();
    let args = vec![
        Bytes::from_static(b"SHUTDOWN"),
        Bytes::from_static(b"SAVE"),
        Bytes::from_static(b"FORCE"),
    ];
    assert_eq!(s2.execute(args), None);
}

#[test]
fn info_keyspace_reports_average_ttl_per_db() {
    let mut h = Harness::new();
    h.run(&["SELECT", "2"]);
    h.run(&["SET", "a", "1", "PX", "1000"]);
    h.run(&["SET", "b", "1", "PX", "2000"]);
    h.run(&["SET", "c", "1", "PX", "3000"]);
    h.run(&["SET", "d", "1"]);
    h.advance(500);
    let info = text(&h.run(&["INFO", "keyspace"]));
    assert_eq!(info, "# Keyspace\r\ndb2:keys=4,expires=3,avg_ttl=1500\r\n");
}

#[test]
fn config_rewrite_needs_a_config_file() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["CONFIG", "REWRITE"]),
        err("ERR The server is running without a config file")
    );
    // The file path is not a parameter CONFIG GET shows or CONFIG SET changes.
    assert_eq!(h.run(&["CONFIG", "GET", "config-file"]), Frame::Map(vec![]));
    assert_eq!(
        h.run(&["CONFIG", "SET", "config-file", "/tmp/x"]),
        err("ERR CONFIG SET failed (possibly related to argument 'config-file') - can't set immutable config")
    );
}

#[test]
fn config_rewrite_writes_the_file() {
    let dir = std::env::temp_dir().join(format!("shoal-rewrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("shoal.conf");
    std::fs::write(&path, "# keep me\nhz 10\n").ok();
    let mut h = Harness::new();
    let config = &h.engine.inner().config;
    // Back to the default, so the rewrite has only the changes below to write.
    assert!(config.set("save", "3600 1 300 100 60 10000").is_ok());
    assert!(config
        .set_startup("config-file", &path.to_string_lossy())
        .is_ok());
    assert_eq!(
        h.run(&["CONFIG", "SET", "hz", "42", "maxclients", "50"]),
        ok()
    );
    assert_eq!(h.run(&["CONFIG", "REWRITE"]), ok());
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        written,
        "# keep me\nhz 42\n# Generated by CONFIG REWRITE\nmaxclients 50\n\
         user default on nopass sanitize-payload ~* &* +@all\n"
    );
    let info = text(&h.run(&["INFO", "server"]));
    assert!(info.contains(&format!("config_file:{}\r\n", path.to_string_lossy())));
    std::fs::remove_dir_all(&dir).ok();
}
