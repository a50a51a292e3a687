use crate::testing::{arr, bulk, bulks, err, int, ok, simple, Harness};
use shoal_resp::Frame;

fn err_text(f: &Frame) -> String {
    match f {
        Frame::Error(e) => String::from_utf8_lossy(e).into_owned(),
        other => format!("not an error: {other:?}"),
    }
}

#[test]
fn eval_converts_lua_values_to_resp2_replies() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["EVAL", "return 1", "0"]), int(1));
    assert_eq!(h.run(&["EVAL", "return 3.99", "0"]), int(3));
    assert_eq!(h.run(&["EVAL", "return -3.99", "0"]), int(-3));
    assert_eq!(h.run(&["EVAL", "return 'x'", "0"]), bulk("x"));
    assert_eq!(h.run(&["EVAL", "return true", "0"]), int(1));
    assert_eq!(h.run(&["EVAL", "return false", "0"]), Frame::Null);
    assert_eq!(h.run(&["EVAL", "return nil", "0"]), Frame::Null);
    assert_eq!(
        h.run(&["EVAL", "return {1,2,nil,3}", "0"]),
        arr(vec![int(1), int(2)])
    );
    assert_eq!(h.run(&["EVAL", "return {ok='FINE'}", "0"]), simple("FINE"));
    assert_eq!(
        h.run(&["EVAL", "return {err='My Error'}", "0"]),
        err("My Error")
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.error_reply('My Error')", "0"]),
        err("My Error")
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.status_reply('FINE')", "0"]),
        simple("FINE")
    );
    assert_eq!(
        h.run(&["EVAL", "return {double=3.5}", "0"]),
        Frame::Double(3.5)
    );
    assert_eq!(
        h.run(&["EVAL", "return {big_number='123456789012345678901'}", "0"]),
        Frame::BigNumber("123456789012345678901".into())
    );
    assert_eq!(
        h.run(&["EVAL", "return {map={a=1}}", "0"]),
        Frame::Map(vec![(bulk("a"), int(1))])
    );
    assert_eq!(
        h.run(&["EVAL", "return {set={a=true}}", "0"]),
        Frame::Set(vec![bulk("a")])
    );
}

#[test]
fn setresp3_makes_booleans_and_reply_kinds_resp3() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "redis.setresp(3); return true", "0"]),
        Frame::Boolean(true)
    );
    assert_eq!(
        h.run(&["EVAL", "redis.setresp(3); return false", "0"]),
        Frame::Boolean(false)
    );
    let e = h.run(&["EVAL", "redis.setresp(4)", "0"]);
    assert!(
        err_text(&e).starts_with("ERR RESP version must be 2 or 3. script: "),
        "{e:?}"
    );
    h.run(&["HSET", "h", "f", "v"]);
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.setresp(3); local m = redis.call('hgetall','h'); return m.map.f",
            "0"
        ]),
        bulk("v")
    );
    assert_eq!(
        h.run(&["EVAL", "local m = redis.call('hgetall','h'); return m", "0"]),
        bulks(&["f", "v"])
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.setresp(3); return redis.call('get','nokey') == nil",
            "0"
        ]),
        Frame::Boolean(true)
    );
}

#[test]
fn redis_call_replies_reach_lua_by_the_resp2_table() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return type(redis.call('get','nokey'))", "0"]),
        bulk("boolean")
    );
    assert_eq!(
        h.run(&["EVAL", "local t = redis.call('ping'); return t.ok", "0"]),
        bulk("PONG")
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "return redis.call('set', KEYS[1], ARGV[1])",
            "1",
            "k",
            "v"
        ]),
        ok()
    );
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
    assert_eq!(
        h.run(&["EVAL", "return redis.call('incr', 'n')", "0"]),
        int(1)
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.call('set','f',0.1); return redis.call('get','f')",
            "0"
        ]),
        bulk("0.10000000000000001")
    );
    let e = h.run(&["EVAL", "return redis.pcall('incr','k')", "0"]);
    assert_eq!(e, err("ERR value is not an integer or out of range"));
}

#[test]
fn script_errors_carry_redis_formatting() {
    let mut h = Harness::new();
    let e = err_text(&h.run(&["EVAL", "return foo", "0"]));
    assert!(e.starts_with("ERR user_script:1: Script attempted to access nonexistent global variable 'foo' script: "), "{e}");
    assert!(e.ends_with(", on @user_script:1."), "{e}");
    let e = err_text(&h.run(&["EVAL", "x = 1", "0"]));
    assert!(
        e.starts_with("ERR user_script:1: Attempt to modify a readonly table script: "),
        "{e}"
    );
    let e = err_text(&h.run(&["EVAL", "error('boom')", "0"]));
    assert!(e.starts_with("ERR user_script:1: boom script: "), "{e}");
    let e = err_text(&h.run(&["EVAL", "return redis.call('nosuch')", "0"]));
    assert!(
        e.starts_with("ERR Unknown Redis command called from script script: "),
        "{e}"
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.pcall('nosuch')", "0"]),
        err("ERR Unknown Redis command called from script")
    );
    let e = err_text(&h.run(&["EVAL", "return redis.call('get')", "0"]));
    assert!(
        e.starts_with("ERR Wrong number of args calling Redis command from script"),
        "{e}"
    );
    let e = err_text(&h.run(&["EVAL", "return redis.call('eval','return 1','0')", "0"]));
    assert!(
        e.starts_with("ERR This Redis command is not allowed from script"),
        "{e}"
    );
    let e = err_text(&h.run(&["EVAL", "return redis.call('set','a',{})", "0"]));
    assert!(
        e.starts_with("ERR Lua redis lib command arguments must be strings or integers"),
        "{e}"
    );
    let e = err_text(&h.run(&["EVAL", "return redis.call()", "0"]));
    assert!(
        e.starts_with("ERR Please specify at least one argument for this redis lib call"),
        "{e}"
    );
    let e = err_text(&h.run(&["EVAL", "return error({err='XX my'})", "0"]));
    assert!(e.starts_with("XX my script: "), "{e}");
    let e = err_text(&h.run(&["EVAL", "x = = 1", "0"]));
    assert!(
        e.starts_with("ERR Error compiling script (new function): user_script:1: "),
        "{e}"
    );
}

#[test]
fn numkeys_is_validated() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return 1", "-1"]),
        err("ERR Number of keys can't be negative")
    );
    assert_eq!(
        h.run(&["EVAL", "return 1", "2", "a"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        h.run(&["EVAL", "return 1", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "return {KEYS[1], ARGV[1], #KEYS, #ARGV}",
            "1",
            "k",
            "a"
        ]),
        arr(vec![bulk("k"), bulk("a"), int(1), int(1)])
    );
}

#[test]
fn sandbox_refuses_escapes() {
    let mut h = Harness::new();
    for code in [
        "os.execute('ls')",
        "io.open('/etc/passwd')",
        "loadfile('/etc/passwd')",
        "dofile('/etc/passwd')",
        "require('os')",
        "debug.getinfo(1)",
        "print('x')",
        "setfenv(1, {})",
    ] {
        let e = err_text(&h.run(&["EVAL", code, "0"]));
        assert!(
            e.contains("Script attempted to access nonexistent global variable"),
            "{code}: {e}"
        );
    }
    for code in [
        "string.x = 1",
        "redis.call = nil",
        "rawset(_G, 'x', 1)",
        "setmetatable(_G, nil)",
        "cjson.encode = nil",
        "_G.x = 1",
        "loadstring('y = 1')()",
    ] {
        let e = err_text(&h.run(&["EVAL", code, "0"]));
        assert!(
            e.contains("Attempt to modify a readonly table"),
            "{code}: {e}"
        );
    }
    assert_eq!(
        h.run(&["EVAL", "return getmetatable(_G)", "0"]),
        Frame::Null
    );
    assert_eq!(
        h.run(&["EVAL", "return getmetatable('')", "0"]),
        Frame::Null
    );
    assert_eq!(
        h.run(&["EVAL", "return loadstring('return 1')()", "0"]),
        int(1)
    );
}

#[test]
fn script_select_does_not_change_the_caller_db() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.call('select','1'); return redis.call('set','k','v')",
            "0"
        ]),
        ok()
    );
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    h.run(&["SELECT", "1"]);
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
}

#[test]
fn read_only_scripts_refuse_writes() {
    let mut h = Harness::new();
    let e = err_text(&h.run(&["EVAL_RO", "redis.call('set','a','b')", "0"]));
    assert!(
        e.starts_with("ERR Write commands are not allowed from read-only scripts. script: "),
        "{e}"
    );
    let e = err_text(&h.run(&[
        "EVAL",
        "#!lua flags=no-writes\nredis.call('set','a','b')",
        "0",
    ]));
    assert!(
        e.starts_with("ERR Write commands are not allowed from read-only scripts."),
        "{e}"
    );
    h.run(&["SET", "a", "1"]);
    assert_eq!(
        h.run(&["EVAL_RO", "return redis.call('get','a')", "0"]),
        bulk("1")
    );
}

#[test]
fn script_cache_load_exists_evalsha_flush() {
    let mut h = Harness::new();
    let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
    assert_eq!(h.run(&["SCRIPT", "LOAD", "return 1"]), bulk(sha));
    assert_eq!(h.run(&["EVALSHA", sha, "0"]), int(1));
    assert_eq!(h.run(&["EVALSHA", &sha.to_uppercase(), "0"]), int(1));
    assert_eq!(h.run(&["EVALSHA_RO", sha, "0"]), int(1));
    assert_eq!(
        h.run(&[
            "SCRIPT",
            "EXISTS",
            sha,
            "ffffffffffffffffffffffffffffffffffffffff"
        ]),
        arr(vec![int(1), int(0)])
    );
    h.run(&["EVAL", "return 2", "0"]);
    let sha2 = crate::scripting::sha1_hex(b"return 2");
    assert_eq!(h.run(&["SCRIPT", "EXISTS", &sha2]), arr(vec![int(1)]));
    assert_eq!(h.run(&["SCRIPT", "FLUSH", "ASYNC"]), ok());
    assert_eq!(h.run(&["SCRIPT", "EXISTS", sha]), arr(vec![int(0)]));
    assert_eq!(
        h.run(&["EVALSHA", sha, "0"]),
        err("NOSCRIPT No matching script. Please use EVAL.")
    );
    assert_eq!(
        h.run(&["SCRIPT", "FLUSH", "LATER"]),
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    );
    assert_eq!(
        h.run(&["SCRIPT", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
    assert!(matches!(h.run(&["SCRIPT", "HELP"]), Frame::Array(_)));
}

#[test]
fn redis_helpers_and_constants() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return redis.sha1hex('')", "0"]),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.REDIS_VERSION", "0"]),
        bulk(crate::scripting::VERSION)
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.REDIS_VERSION_NUM", "0"]),
        int(0x0007_0204)
    );
    assert_eq!(
        h.run(&["EVAL", "redis.log(redis.LOG_WARNING, 'hi'); redis.set_repl(redis.REPL_ALL); return redis.replicate_commands()", "0"]),
        int(1)
    );
}

#[test]
fn script_writes_are_grouped_as_one_transaction() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&[
        "EVAL",
        "redis.call('set','a','1'); redis.call('set','b','2')",
        "0",
    ]);
    let got = crate::testing::effect_texts(&rx);
    assert_eq!(got.first().map(|e| e[0].as_str()), Some("MULTI"));
    assert_eq!(got.last().map(|e| e[0].as_str()), Some("EXEC"));
    assert_eq!(got.len(), 4);
}

#[test]
fn memory_runaway_errors_cleanly() {
    let mut h = Harness::new();
    let e = h.run(&[
        "EVAL",
        "local t = {} for i = 1, 100 do t[i] = string.rep('x', 64 * 1024 * 1024) .. i end return 1",
        "0",
    ]);
    assert!(err_text(&e).contains("not enough memory"), "{e:?}");
    assert_eq!(h.run(&["EVAL", "return 1", "0"]), int(1));
}

#[test]
fn pcall_hands_scripts_error_tables_and_messages() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&[
            "EVAL",
            "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}",
            "0"
        ]),
        bulks(&["false", "ERR Unknown Redis command called from script"])
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "local ok, e = pcall(cjson.decode, '[1,2') return e",
            "0"
        ]),
        bulk("Expected comma or array end but found T_END at character 5")
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "return xpcall(function() return redis.call('nosuch') end, function(e) return e end)",
            "0"
        ]),
        Frame::Null
    );
    assert_eq!(
        h.run(&["EVAL", "\n\nreturn redis.call('nosuch')", "0"]),
        err(&format!(
            "ERR Unknown Redis command called from script script: {}, on @user_script:3.",
            crate::scripting::sha1_hex(b"\n\nreturn redis.call('nosuch')")
        ))
    );
}

#[test]
fn resp3_replies_reach_lua_with_their_kinds() {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "1.5", "m"]);
    h.run(&["SADD", "s", "a"]);
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.setresp(3); return redis.call('zscore','z','m')",
            "0"
        ]),
        Frame::Double(1.5)
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.call('zscore','z','m')", "0"]),
        bulk("1.5")
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.setresp(3); return redis.call('smembers','s')",
            "0"
        ]),
        Frame::Set(vec![bulk("a")])
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.setresp(3); return redis.call('smembers','s').set.a",
            "0"
        ]),
        Frame::Boolean(true)
    );
    h.run(&["HSET", "h", "f", "v"]);
    assert_eq!(
        h.run(&[
            "EVAL",
            "redis.setresp(3); return redis.call('hgetall','h')",
            "0"
        ]),
        Frame::Map(vec![(bulk("f"), bulk("v"))])
    );
    assert_eq!(
        h.run(&["EVAL", "return {1, {err='E nested'}, {ok='fine'}}", "0"]),
        arr(vec![int(1), err("E nested"), simple("fine")])
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "return {verbatim_string={format='txt', string='hi'}}",
            "0"
        ]),
        Frame::Verbatim {
            format: *b"txt",
            data: "hi".into()
        }
    );
}

#[test]
fn eval_declares_its_keys_through_numkeys() {
    let h = Harness::new();
    let table = h.engine.inner().commands();
    let args: Vec<bytes::Bytes> = ["EVAL", "return 1", "2", "k1", "k2", "a"]
        .iter()
        .map(|s| bytes::Bytes::from(s.to_string()))
        .collect();
    for name in [
        "eval",
        "evalsha",
        "eval_ro",
        "evalsha_ro",
        "fcall",
        "fcall_ro",
    ] {
        let spec = table.get(name.as_bytes());
        assert_eq!(spec.map(|s| s.keys_of(&args)), Some(vec![3, 4]), "{name}");
    }
}

#[test]
fn precompiled_chunks_are_read_as_text_and_refused() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&[
            "EVAL",
            "return tostring(loadstring(string.dump(function() return 1 end)))",
            "0"
        ]),
        bulk("nil")
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "local parts = {string.dump(function() return 1 end)} \
             local f = load(function() return table.remove(parts) end) \
             return tostring(f)",
            "0"
        ]),
        bulk("nil")
    );
    let reply = h.run(&["EVAL", "\u{1b}Lua", "0"]);
    assert_eq!(
        reply,
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'")
    );
}

#[test]
fn set_repl_narrows_where_a_scripts_writes_go() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&[
        "EVAL",
        "redis.set_repl(redis.REPL_NONE); redis.call('SET', 'hidden', '1'); \
         redis.set_repl(redis.REPL_AOF); redis.call('SET', 'aof', '1'); \
         redis.set_repl(redis.REPL_ALL); redis.call('SET', 'all', '1')",
        "0",
    ]);
    let got: Vec<(String, u8)> = rx
        .try_iter()
        .map(|e| {
            (
                String::from_utf8_lossy(&e.args[0]).into_owned()
                    + " "
                    + &String::from_utf8_lossy(e.args.get(1).map_or(&b""[..], |a| &a[..])),
                e.targets,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("MULTI ".to_string(), crate::effects::TO_ALL),
            ("SET aof".to_string(), crate::effects::TO_AOF),
            ("SET all".to_string(), crate::effects::TO_ALL),
            ("EXEC ".to_string(), crate::effects::TO_ALL),
        ]
    );
    assert_eq!(h.run(&["GET", "hidden"]), bulk("1"));
    // The next script starts with every consumer again.
    h.run(&["EVAL", "redis.call('SET', 'next', '1')", "0"]);
    assert_eq!(
        rx.try_iter().map(|e| e.targets).collect::<Vec<_>>(),
        vec![crate::effects::TO_ALL]
    );
}

#[test]
fn lua_time_limit_is_another_name_for_busy_reply_threshold() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["CONFIG", "SET", "lua-time-limit", "100"]), ok());
    assert_eq!(
        h.run(&["CONFIG", "GET", "busy-reply-threshold"]),
        Frame::Map(vec![(bulk("busy-reply-threshold"), bulk("100"))])
    );
    assert_eq!(
        h.run(&["CONFIG", "GET", "lua-time-limit"]),
        Frame::Map(vec![(bulk("lua-time-limit"), bulk("100"))])
    );
}

#[test]
fn scripts_on_a_read_only_replica_cannot_write_but_the_primarys_can() {
    let mut h = Harness::new();
    h.run(&["REPLICAOF", "127.0.0.1", "1"]);
    let e = err_text(&h.run(&["EVAL", "return redis.call('set','a','b')", "0"]));
    assert!(
        e.starts_with("READONLY You can't write against a read only replica."),
        "{e}"
    );
    assert_eq!(
        h.run(&["EVAL", "return redis.call('get','a')", "0"]),
        Frame::Null
    );
    // What the primary sends is obeyed.
    let mut from_primary = h.engine.applier_session();
    from_primary.call(
        ["EVAL", "return redis.call('set','a','b')", "0"]
            .iter()
            .map(|a| bytes::Bytes::from(a.to_string()))
            .collect(),
    );
    assert_eq!(h.run(&["GET", "a"]), bulk("b"));
}
