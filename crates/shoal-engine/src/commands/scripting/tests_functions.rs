use crate::testing::{bulk, err, int, ok, Harness};
use shoal_resp::Frame;

const LIB: &str = "#!lua name=mylib\nlocal function f(keys, args) return redis.call('get', keys[1]) end\nredis.register_function('myget', f)\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}, description='d'}\nredis.register_function('setter', function(k, a) return redis.call('set', k[1], a[1]) end)";

fn err_text(f: &Frame) -> String {
    match f {
        Frame::Error(e) => String::from_utf8_lossy(e).into_owned(),
        other => format!("not an error: {other:?}"),
    }
}

#[test]
fn function_load_and_fcall() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["FUNCTION", "LOAD", LIB]), bulk("mylib"));
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["FCALL", "myget", "1", "k"]), bulk("v"));
    assert_eq!(h.run(&["FCALL_RO", "ro", "0"]), int(1));
    assert_eq!(h.run(&["FCALL", "setter", "1", "k2", "x"]), ok());
    assert_eq!(h.run(&["GET", "k2"]), bulk("x"));
    assert_eq!(
        h.run(&["FCALL_RO", "myget", "1", "k"]),
        err("ERR Can not execute a script with write flag using *_ro command.")
    );
    assert_eq!(
        h.run(&["FCALL", "nosuch", "0"]),
        err("ERR Function not found")
    );
    assert_eq!(
        h.run(&["FUNCTION", "LOAD", LIB]),
        err("ERR Library 'mylib' already exists")
    );
    assert_eq!(h.run(&["FUNCTION", "LOAD", "REPLACE", LIB]), bulk("mylib"));
}

#[test]
fn function_load_errors_are_worded_as_redis() {
    let mut h = Harness::new();
    let cases = [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua\n", "ERR Library name was not given"),
        ("#!js name=a\n", "ERR Engine 'js' not found"),
        ("#!lua name=a foo=bar\n", "ERR Invalid metadata value given: foo=bar"),
        ("#!lua name=a\n", "ERR No functions registered"),
        ("#!lua name=a\nredis.call('ping')", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
        ("#!lua name=a\nx=1", "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
        ("#!lua name=a\nredis.register_function{function_name='x', callback=function() end, flags={'bogus'}}", "ERR Error registering functions: ERR unknown flag given"),
        ("#!lua name=a\nredis.register_function('b-x', function() end)", "ERR Error registering functions: ERR Function names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
    ];
    for (code, want) in cases {
        assert_eq!(h.run(&["FUNCTION", "LOAD", code]), err(want), "{code}");
    }
    let e = err_text(&h.run(&["FUNCTION", "LOAD", "#!lua name=bad\n x = = 1"]));
    assert!(
        e.starts_with("ERR Error compiling function: user_function:2: "),
        "{e}"
    );
    h.run(&["FUNCTION", "LOAD", LIB]);
    assert_eq!(
        h.run(&[
            "FUNCTION",
            "LOAD",
            "#!lua name=other\nredis.register_function('myget', function() end)"
        ]),
        err("ERR Function myget already exists")
    );
}

#[test]
fn function_runtime_errors_name_the_function() {
    let mut h = Harness::new();
    h.run(&["FUNCTION", "LOAD", "#!lua name=e1\nredis.register_function('boom', function() error('boom') end)\nredis.register_function{function_name='w', callback=function(k) return redis.call('set',k[1],'v') end, flags={'no-writes'}}"]);
    assert_eq!(
        h.run(&["FCALL", "boom", "0"]),
        err("ERR user_function:2: boom script: boom, on @user_function:2.")
    );
    assert_eq!(
        h.run(&["FCALL", "w", "1", "k"]),
        err("ERR Write commands are not allowed from read-only scripts. script: w, on @user_function:3.")
    );
}

#[test]
fn function_list_delete_flush_and_stats() {
    let mut h = Harness::new();
    h.run(&["FUNCTION", "LOAD", LIB]);
    let Frame::Array(libs) = h.run(&["FUNCTION", "LIST", "WITHCODE"]) else {
        panic!("not an array");
    };
    let Some(Frame::Map(entry)) = libs.first() else {
        panic!("no map");
    };
    assert_eq!(entry[0], (bulk("library_name"), bulk("mylib")));
    assert_eq!(entry[1], (bulk("engine"), bulk("LUA")));
    assert_eq!(entry[3], (bulk("library_code"), bulk(LIB)));
    let Frame::Array(funcs) = &entry[2].1 else {
        panic!("functions not an array");
    };
    assert_eq!(funcs.len(), 3);
    assert!(funcs.contains(&Frame::Map(vec![
        (bulk("name"), bulk("ro")),
        (bulk("description"), bulk("d")),
        (
            bulk("flags"),
            Frame::Set(vec![crate::testing::simple("no-writes")])
        ),
    ])));
    assert_eq!(
        h.run(&["FUNCTION", "LIST", "LIBRARYNAME", "zz*"]),
        Frame::Array(vec![])
    );
    let stats = h.run(&["FUNCTION", "STATS"]);
    let lua = Frame::Map(vec![
        (bulk("libraries_count"), int(1)),
        (bulk("functions_count"), int(3)),
    ]);
    assert_eq!(
        stats,
        Frame::Map(vec![
            (bulk("running_script"), Frame::Null),
            (bulk("engines"), Frame::Map(vec![(bulk("LUA"), lua)])),
        ])
    );
    assert_eq!(
        h.run(&["FUNCTION", "DELETE", "nosuch"]),
        err("ERR Library not found")
    );
    assert_eq!(h.run(&["FUNCTION", "DELETE", "mylib"]), ok());
    assert_eq!(
        h.run(&["FCALL", "myget", "1", "k"]),
        err("ERR Function not found")
    );
    h.run(&["FUNCTION", "LOAD", LIB]);
    assert_eq!(h.run(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(h.run(&["FUNCTION", "LIST"]), Frame::Array(vec![]));
    assert_eq!(
        h.run(&["FUNCTION", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
}

#[test]
fn function_dump_restore_round_trip() {
    let mut h = Harness::new();
    h.run(&["FUNCTION", "LOAD", LIB]);
    let Frame::Bulk(payload) = h.run(&["FUNCTION", "DUMP"]) else {
        panic!("no payload");
    };
    assert_eq!(payload[0], 245);
    h.run(&["FUNCTION", "FLUSH"]);
    assert_eq!(h.run_bin(&[b"FUNCTION", b"RESTORE", &payload]), ok());
    assert_eq!(h.run(&["FCALL_RO", "ro", "0"]), int(1));
    assert_eq!(
        h.run_bin(&[b"FUNCTION", b"RESTORE", &payload]),
        err("ERR Library 'mylib' already exists")
    );
    assert_eq!(
        h.run_bin(&[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"]),
        ok()
    );
    assert_eq!(
        h.run_bin(&[b"FUNCTION", b"RESTORE", &payload, b"FLUSH"]),
        ok()
    );
    let mut bad = payload.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        h.run_bin(&[b"FUNCTION", b"RESTORE", &bad]),
        err("ERR DUMP payload version or checksum are wrong")
    );
}

#[test]
fn restore_reads_a_payload_made_by_redis_with_lzf() {
    // Hand-built: one library whose code is an LZF string (literal run only).
    let code = b"#!lua name=z\nredis.register_function('zf', function() return 7 end)";
    let mut body = vec![245u8, 0xC3, 0, 0];
    body.push(0x40 | ((code.len() >> 8) as u8));
    body.push(code.len() as u8);
    // LZF literal runs are at most 32 bytes each.
    let mut packed = Vec::new();
    for chunk in code.chunks(32) {
        packed.push((chunk.len() - 1) as u8);
        packed.extend_from_slice(chunk);
    }
    body[2] = 0x40 | (packed.len() >> 8) as u8;
    body[3] = packed.len() as u8;
    body.extend_from_slice(&packed);
    body.extend_from_slice(&11u16.to_le_bytes());
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    let mut h = Harness::new();
    assert_eq!(h.run_bin(&[b"FUNCTION", b"RESTORE", &body]), ok());
    assert_eq!(h.run(&["FCALL", "zf", "0"]), int(7));
}

/// FUNCTION DUMP of a Redis 7.0 server holding one library (its code LZF-compressed).
const REDIS_DUMP_HEX: &str = "f5c340b740eb1f23216c7561206e616d653d6d796c69620a6c6f63616c2066756e6374696f6e201366286b6579732c2061726773292072657475726e2006036469732e2027086c2827676574272c204024085b315d2920656e640a801e0872656769737465725fc04b0328276d79802d016629e00f23007bc02c005f60920227726f205c4068046261636b3dc01c0028e000890031407020501a6c6167733d7b276e6f2d777269746573277d2c206465736372697040c6043d2764277d0a00c45bf73ddb1a38d7";

#[test]
fn restore_reads_a_real_redis_dump() {
    let payload: Vec<u8> = (0..REDIS_DUMP_HEX.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&REDIS_DUMP_HEX[i..i + 2], 16).ok())
        .collect();
    let mut h = Harness::new();
    assert_eq!(h.run_bin(&[b"FUNCTION", b"RESTORE", &payload]), ok());
    assert_eq!(h.run(&["FCALL_RO", "ro", "0"]), int(1));
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["FCALL", "myget", "1", "k"]), bulk("v"));
}

#[test]
fn script_flush_keeps_function_libraries() {
    let mut h = Harness::new();
    h.run(&["FUNCTION", "LOAD", LIB]);
    h.run(&["SCRIPT", "LOAD", "return 1"]);
    assert_eq!(h.run(&["SCRIPT", "FLUSH"]), ok());
    assert_eq!(h.run(&["FCALL_RO", "ro", "0"]), int(1));
    assert_eq!(
        h.run(&[
            "SCRIPT",
            "EXISTS",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        ]),
        Frame::Array(vec![int(0)])
    );
}

#[test]
fn library_changes_reach_the_effects_stream_as_sent() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    let code = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
    assert_eq!(h.run(&["FUNCTION", "LOAD", code]), bulk("lib"));
    let dump = h.run(&["FUNCTION", "DUMP"]);
    assert_eq!(h.run(&["FUNCTION", "DELETE", "lib"]), ok());
    // A failed change emits nothing.
    assert!(matches!(
        h.run(&["FUNCTION", "DELETE", "lib"]),
        Frame::Error(_)
    ));
    let Frame::Bulk(payload) = dump else {
        panic!("FUNCTION DUMP answered {dump:?}");
    };
    assert_eq!(
        h.run_bin(&[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"]),
        ok()
    );
    assert_eq!(h.run(&["FUNCTION", "FLUSH", "ASYNC"]), ok());
    let got = crate::testing::effect_texts(&rx);
    let names: Vec<String> = got.iter().map(|e| e[..2].join(" ")).collect();
    assert_eq!(
        names,
        [
            "FUNCTION LOAD",
            "FUNCTION DELETE",
            "FUNCTION RESTORE",
            "FUNCTION FLUSH"
        ]
    );
    assert_eq!(got[0][2], code);
    assert_eq!(got[3], ["FUNCTION", "FLUSH", "ASYNC"]);
}
