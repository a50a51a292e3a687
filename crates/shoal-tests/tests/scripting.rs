//! Lua scripting over TCP: EVAL/EVALSHA and functions through a real client, and the same
//! scripts against a real `redis-server` 7 (RESP2 and RESP3), replies compared.

use shoal_tests::{RedisServer, TestServer};

fn reply(con: &mut redis::Connection, args: &[&str]) -> String {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd.query::<redis::Value>(con) {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("error {:?} {}", e.code(), e.detail().unwrap_or_default()),
    }
}

const LIB: &str = "#!lua name=tlib\nredis.register_function('tget', function(keys) return redis.call('get', keys[1]) end)\nredis.register_function{function_name='tro', callback=function(_, args) return args[1] end, flags={'no-writes'}}";

const LIB1: &str = "#!lua name=one\nredis.register_function{function_name='f1', callback=function() return 1 end, flags={'no-writes', 'allow-stale'}, description='first'}";

/// Scripts whose replies must match Redis's, run in order on one connection.
const CASES: &[&[&str]] = &[
    &["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"],
    &["EVAL", "return 1", "0"],
    &["EVAL", "return 3.99", "0"],
    &["EVAL", "return 'x'", "0"],
    &["EVAL", "return true", "0"],
    &["EVAL", "return false", "0"],
    &["EVAL", "return nil", "0"],
    &["EVAL", "return {1, 2, nil, 3}", "0"],
    &["EVAL", "return {1, {2, 'a'}, {ok='S'}}", "0"],
    &["EVAL", "return {err='My Error'}", "0"],
    &["EVAL", "return redis.error_reply('My Error')", "0"],
    &["EVAL", "return redis.status_reply('FINE')", "0"],
    &["EVAL", "return {double=3.5}", "0"],
    &["EVAL", "redis.setresp(3); return {double=3.5}", "0"],
    &["EVAL", "redis.setresp(3); return true", "0"],
    &["EVAL", "redis.setresp(3); return false", "0"],
    &["EVAL", "return {map={a=1}}", "0"],
    &["EVAL", "return {set={a=true}}", "0"],
    &[
        "EVAL",
        "return redis.call('set', KEYS[1], ARGV[1])",
        "1",
        "k",
        "v",
    ],
    &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
    &["EVAL", "return redis.call('get', 'nokey')", "0"],
    &["EVAL", "return type(redis.call('get', 'nokey'))", "0"],
    &[
        "EVAL",
        "redis.setresp(3); return redis.call('get', 'nokey')",
        "0",
    ],
    &[
        "EVAL",
        "redis.call('set', 'f', 0.1); return redis.call('get', 'f')",
        "0",
    ],
    &["HSET", "h", "a", "1"],
    &["EVAL", "return redis.call('hgetall', 'h')", "0"],
    &[
        "EVAL",
        "redis.setresp(3); return redis.call('hgetall', 'h')",
        "0",
    ],
    &["ZADD", "z", "1.5", "m"],
    &["EVAL", "return redis.call('zscore', 'z', 'm')", "0"],
    &[
        "EVAL",
        "redis.setresp(3); return redis.call('zscore', 'z', 'm')",
        "0",
    ],
    &["EVAL", "return foo", "0"],
    &["EVAL", "x = 1", "0"],
    &["EVAL", "error('boom')", "0"],
    &["EVAL", "return redis.call('nosuch')", "0"],
    &["EVAL", "return redis.pcall('nosuch')", "0"],
    &["EVAL", "return redis.call('get')", "0"],
    &["EVAL", "return redis.call('set', 'a', {})", "0"],
    &["EVAL", "return redis.pcall('incr', 'k')", "0"],
    &[
        "EVAL",
        "local ok, e = pcall(redis.call, 'nosuch') return {type(e), e}",
        "0",
    ],
    &[
        "EVAL",
        "local ok, e = pcall(cjson.decode, '[1') return {type(e), e}",
        "0",
    ],
    &["EVAL", "\n\nreturn redis.call('nosuch')", "0"],
    &["EVAL", "os.execute('ls')", "0"],
    &["EVAL", "string.x = 1", "0"],
    &["EVAL", "return redis.call('eval', 'return 1', '0')", "0"],
    &["EVAL_RO", "redis.call('set', 'a', 'b')", "0"],
    &["EVAL", "x = = 1", "0"],
    &["EVAL", "return 1", "-1"],
    &["EVAL", "return 1", "2", "a"],
    &["EVAL", "return redis.sha1hex('abc')", "0"],
    &["EVAL", "return cjson.encode({a={1,2,'x'}})", "0"],
    &[
        "EVAL",
        "return cjson.decode('[1,2,{\"b\":\"c\"}]')[3].b",
        "0",
    ],
    &["EVAL", "return cmsgpack.pack({1, 2, 'a', {k=true}})", "0"],
    &[
        "EVAL",
        "return cmsgpack.unpack(cmsgpack.pack({1, -300, 'xy'}))[2]",
        "0",
    ],
    &[
        "EVAL",
        "return {bit.band(0xff, 0x0f), bit.tohex(65535, -4), bit.bswap(0x12345678)}",
        "0",
    ],
    &[
        "EVAL",
        "return {struct.unpack('>I2i4', struct.pack('>I2i4', 258, -5))}",
        "0",
    ],
    &["EVAL", "return 1e20", "0"],
    &["EVAL", "return -1e20", "0"],
    &["EVAL", "return 0/0", "0"],
    &["EVAL", "return 1/0", "0"],
    &["EVAL", "return {big_number='123456789012345678901'}", "0"],
    &["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
    &["EVAL", "return {1, 'a', {double=2.5}, {big_number='12'}}", "0"],
    &["EVAL", "return {err=3}", "0"],
    &["EVAL", "return {ok=3}", "0"],
    &["EVAL", "return {err='line1\nline2'}", "0"],
    &["EVAL", "return {map={[1]='x'}}", "0"],
    &["EVAL", "return {map={a={1,2}}}", "0"],
    &["EVAL", "redis.setresp(3); return redis.call('hgetall', 'nohash')", "0"],
    &["EVAL", "redis.setresp(3); return redis.call('smembers', 'noset')", "0"],
    &["SET", "str", "v"],
    &["EVAL", "return redis.call('lpush', 'str', 'x')", "0"],
    &["EVAL", "return redis.pcall('lpush', 'str', 'x')", "0"],
    &["EVAL", "return redis.call('incrbyfloat', 'fl', '1.5')", "0"],
    &["EVAL", "return redis.call('set', 'n', 12345678901234)", "0"],
    &["EVAL", "return redis.call('get', 'n')", "0"],
    &["EVAL", "return redis.call('set', 'n', 1.5e300)", "0"],
    &["EVAL", "return redis.call('get', 'n')", "0"],
    &["EVAL", "return redis.call('set', 'n', -0.5)", "0"],
    &["EVAL", "return redis.call('get', 'n')", "0"],
    &["EVAL", "return redis.call('set', 'n', true)", "0"],
    &["EVAL", "return redis.sha1hex()", "0"],
    &["EVAL", "return redis.sha1hex(12)", "0"],
    &["EVAL", "redis.log(redis.LOG_WARNING)", "0"],
    &["EVAL", "redis.log('x', 'y')", "0"],
    &["EVAL", "return redis.setresp()", "0"],
    &["EVAL", "return redis.error_reply()", "0"],
    &["EVAL", "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.REPL_ALL}", "0"],
    &["EVAL", "redis.set_repl(9)", "0"],
    &["EVAL", "return redis.replicate_commands()", "0"],
    &["EVAL", "return redis.breakpoint()", "0"],
    &["EVAL", "return redis.debug('x')", "0"],
    &["EVAL", "return cjson.encode({})", "0"],
    &["EVAL", "return cjson.encode({[1]=1, [3]=3})", "0"],
    &["EVAL", "return cjson.encode({[1]=1, [30]=3})", "0"],
    &["EVAL", "return cjson.encode('a\"b\\\\c/\\n')", "0"],
    &["EVAL", "return cjson.encode(cjson.null)", "0"],
    &["EVAL", "return cjson.encode({1.5, 0.1, 1e100, -1e-5})", "0"],
    &["EVAL", "return cjson.encode(function() end)", "0"],
    &["EVAL", "return cjson.decode('1e3')", "0"],
    &["EVAL", "return cjson.decode('\"\\u00e9\\n\"')", "0"],
    &["EVAL", "return cjson.decode('{\"a\":}')", "0"],
    &["EVAL", "return cjson.decode('[1,2] x')", "0"],
    &["EVAL", "return cjson.decode('nul')", "0"],
    &["EVAL", "return cjson.decode('')", "0"],
    &["EVAL", "return type(cjson.decode('null'))", "0"],
    &["EVAL", "return cmsgpack.pack(1.5, -1, 2^40, -2^40, 'x', true, false)", "0"],
    &["EVAL", "return cmsgpack.pack({a=1})", "0"],
    &["EVAL", "return cmsgpack.pack(0.1)", "0"],
    &["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1, 2, 3))}", "0"],
    &["EVAL", "return cmsgpack.pack()", "0"],
    &["EVAL", "return {bit.tobit(2^32 + 5), bit.tohex(-1), bit.tohex(255, 2), bit.lshift(1, 40), bit.arshift(-1, 31)}", "0"],
    &["EVAL", "return {struct.pack('<h', -2), struct.pack('b', 200), struct.size('i'), struct.pack('c3', 'abcdef')}", "0"],
    &["EVAL", "return {struct.unpack('s', 'ab')}", "0"],
    &["EVAL", "return {struct.unpack('<d', struct.pack('<d', 1.25))}", "0"],
    &["EVAL", "return struct.pack('q', 1)", "0"],
    &["EVAL", "return {pcall(error, 'x')}", "0"],
    &["EVAL", "return {pcall(error, {err='E'})}", "0"],
    &["EVAL", "error({err='E nested', code=1})", "0"],
    &["EVAL", "error()", "0"],
    &["EVAL", "error(12)", "0"],
    &["EVAL", "return #KEYS + #ARGV", "2", "a", "b", "c"],
    &["EVAL", "return tostring(rawget(_G, 'x'))", "0"],
    &["EVAL", "return type(_G)", "0"],
    &["EVAL", "return type(loadstring)", "0"],
    &["EVAL", "return type(unpack)..type(coroutine)..type(collectgarbage)..type(select)", "0"],
    &["EVAL", "return math.floor(2.5)", "0"],
    &["EVAL", "return string.format('%5.2f', 3.14159)", "0"],
    &["EVAL", "return table.concat({1, 2, 3}, ',')", "0"],
    &["SCRIPT", "FLUSH", "bad"],
    &["SCRIPT", "EXISTS"],
    &["SCRIPT", "NOPE"],
    &["FUNCTION", "RESTORE", "junk"],
    &["FUNCTION", "RESTORE", "junk", "BADPOLICY"],
    &["FUNCTION", "LIST", "BAD"],
    &["FUNCTION", "LIST", "LIBRARYNAME"],
    &["FUNCTION", "FLUSH", "bad"],
    &["FUNCTION", "LOAD", "REPLACE"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a')"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a', 1)"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function(1, function() end)"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{callback=function() end}"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='a'}"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, foo=1}"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags='no-writes'}"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, description=1}"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a', function() end, 3)"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a', function() end) redis.register_function('a', function() end)"],
    &["FUNCTION", "LOAD", "#!lua name=x\nlocal t = redis.setresp"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.log(redis.LOG_NOTICE, 'loading') redis.register_function('a', function() return redis.REDIS_VERSION_NUM ~= nil end)"],
    &["FCALL", "a", "0"],
    &["FCALL", "a", "x"],
    &["FCALL", "a", "-1"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('b', function() end)"],
    &["FUNCTION", "LOAD", "#!LUA name=y\nredis.register_function('a', function() end)"],
    &["FUNCTION", "LOAD", "#!lua name=y name=z\nredis.register_function('c', function() end)"],
    &["FUNCTION", "LOAD", "#!lua  name=w\nredis.register_function('d', function() end)"],
    &["FUNCTION", "LOAD", "#!lua name=\nredis.register_function('e', function() end)"],
    &["FUNCTION", "FLUSH"],
    &["FUNCTION", "LOAD", "#!lua name=g1\nlocal x = string"],
    &["FUNCTION", "LOAD", "#!lua name=g1\nlocal x = redis.sha1hex"],
    &["FUNCTION", "LOAD", "#!lua name=g1\nredis.log(redis.LOG_NOTICE, redis.REDIS_VERSION_NUM ~= nil)"],
    &["FUNCTION", "LOAD", "#!lua name=g2\nredis.register_function{FUNCTION_NAME='up', Callback=function() return string.upper('a') end, FLAGS={'NO-WRITES'}}"],
    &["FCALL_RO", "up", "0"],
    &["FUNCTION", "LIST", "LIBRARYNAME", "g2"],
    &["FUNCTION", "LOAD", "#!lua name=g3\nredis.register_function{[1]='x'}"],
    &["FUNCTION", "LOAD", "#!lua name=g3\nredis.register_function{[{}]='x'}"],
    &["FUNCTION", "LOAD", "#!lua name=g3\nredis.register_function{function_name='a', callback=function() end, flags={1}}"],
    &["FUNCTION", "FLUSH"],
    &["FUNCTION", "LOAD", "#!lua name=loop\nwhile true do end"],
    &["EVAL", "return KEYS[1]", "1", "kk"],
    &["FUNCTION", "LOAD", "#!lua name=kk\nredis.register_function('kk', function() return KEYS end)"],
    &["FCALL", "kk", "0"],
    &["FUNCTION", "FLUSH"],
    &["EVAL", "#!lua\nreturn 1", "0"],
    &["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'x', 'y')", "0"],
    &["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 2", "0"],
    &["EVAL", "#!lua flags=bogus\nreturn 2", "0"],
    &["EVAL", "#!lua name=x\nreturn 2", "0"],
    &["EVAL", "#!js\nreturn 2", "0"],
    &["EVAL", "#!lua\nreturn foo", "0"],
    &["EVAL_RO", "#!lua\nreturn 1", "0"],
    &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
    &["EVALSHA", "abc", "0"],
    &["EVAL", "return redis.call('select', '1')", "0"],
    &["EVAL", "return redis.call('blpop', 'nolist', '0')", "0"],
    &["EVAL", "return redis.call('client', 'no-such')", "0"],
    &["EVAL", "return redis.call('config', 'get')", "0"],
    &["EVAL", "return redis.call('ping', 'a', 'b')", "0"],
    &["EVAL", "return redis.call('GET', 'k')", "0"],
    &["EVAL", "return redis.acl_check_cmd('set', 'k', 'v')", "0"],
    &["EVAL", "return redis.acl_check_cmd('nosuch')", "0"],
    &["SCRIPT", "LOAD", "return 'cached'"],
    &["EVALSHA", "952f49ffc8f7b098d8ab5da45d3164ca36ed18b1", "0"],
    &[
        "SCRIPT",
        "EXISTS",
        "952f49ffc8f7b098d8ab5da45d3164ca36ed18b1",
        "0000000000000000000000000000000000000000",
    ],
    &["SCRIPT", "KILL"],
    &["FUNCTION", "LOAD", LIB],
    &["FCALL", "tget", "1", "k"],
    &["FCALL_RO", "tro", "0", "hello"],
    &["FCALL_RO", "tget", "1", "k"],
    &["FCALL", "nosuch", "0"],
    &["FUNCTION", "STATS"],
    &["FUNCTION", "DELETE", "tlib"],
    &["FUNCTION", "LOAD", LIB1],
    &["FUNCTION", "LIST", "WITHCODE"],
    &["FUNCTION", "LIST", "LIBRARYNAME", "nope*"],
    &["FUNCTION", "DELETE", "one"],
    &["FUNCTION", "LOAD", "#!lua name=bad\nredis.call('ping')"],
    &["FUNCTION", "KILL"],
];

fn compare(resp3: bool) {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let shoal = TestServer::start();
    let (mut a, mut b) = if resp3 {
        (redis.client3(), shoal.client3())
    } else {
        (redis.client(), shoal.client())
    };
    let mut diffs = Vec::new();
    for args in CASES {
        let (ra, rb) = (reply(&mut a, args), reply(&mut b, args));
        if ra != rb {
            diffs.push(format!("{args:?}\n  redis: {ra}\n  shoal: {rb}"));
        }
    }
    assert!(diffs.is_empty(), "replies differ:\n{}", diffs.join("\n"));
}

#[test]
fn scripts_answer_as_redis_does_resp2() {
    compare(false);
}

#[test]
fn scripts_answer_as_redis_does_resp3() {
    compare(true);
}

#[test]
fn eval_then_evalsha_through_a_client() {
    let s = TestServer::start();
    let mut c = s.client();
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg("return ARGV[1] .. KEYS[1]")
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(sha.len(), 40);
    let got: String = redis::cmd("EVALSHA")
        .arg(&sha)
        .arg(1)
        .arg("k")
        .arg("a")
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(got, "ak");
    let missing = redis::cmd("EVALSHA")
        .arg("ffffffffffffffffffffffffffffffffffffffff")
        .arg(0)
        .query::<redis::Value>(&mut c);
    assert_eq!(
        missing.err().and_then(|e| e.code().map(str::to_string)),
        Some("NOSCRIPT".into())
    );
}

/// The server runs a script where it holds no network thread, so even with the one network
/// thread a two-core machine gets by default, other clients are answered BUSY and SCRIPT KILL
/// gets through.
#[test]
fn script_kill_over_tcp_stops_a_busy_script() {
    let s = TestServer::start();
    let mut admin = s.client();
    let _ = admin.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("busy-reply-threshold")
        .arg(20)
        .query(&mut admin)
        .unwrap_or(());
    let mut runner = s.client();
    let t = std::thread::spawn(move || {
        redis::cmd("EVAL")
            .arg("while true do end")
            .arg(0)
            .query::<redis::Value>(&mut runner)
            .err()
            .and_then(|e| e.detail().map(str::to_string))
    });
    let busy = shoal_tests::eventually(std::time::Duration::from_secs(20), || {
        let r = redis::cmd("PING").query::<String>(&mut admin);
        r.err().and_then(|e| e.code().map(str::to_string)) == Some("BUSY".into())
    });
    assert!(busy, "never answered BUSY");
    let killed: Result<String, _> = redis::cmd("SCRIPT").arg("KILL").query(&mut admin);
    assert_eq!(killed.ok(), Some("OK".to_string()));
    let detail = t.join().ok().flatten().unwrap_or_default();
    assert!(
        detail.starts_with("Script killed by user with SCRIPT KILL..."),
        "{detail}"
    );
    let pong: Result<String, _> = redis::cmd("PING").query(&mut admin);
    assert_eq!(pong.ok(), Some("PONG".to_string()));
}
