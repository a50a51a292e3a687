use crate::testing::{err, ok};
use crate::{Engine, Session};
use bytes::Bytes;
use shoal_resp::Frame;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BUSY_SCRIPT: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

fn cmd(s: &mut Session, args: &[&str]) -> Frame {
    s.call(args.iter().map(|a| Bytes::from(a.to_string())).collect())
}

fn err_text(f: &Frame) -> String {
    match f {
        Frame::Error(e) => String::from_utf8_lossy(e).into_owned(),
        other => format!("not an error: {other:?}"),
    }
}

/// An engine with a 20 ms busy threshold and an admin session.
fn engine() -> (Engine, Session) {
    let engine = Engine::new();
    let mut admin = engine.session();
    assert_eq!(
        cmd(&mut admin, &["CONFIG", "SET", "busy-reply-threshold", "20"]),
        ok()
    );
    (engine, admin)
}

/// Runs `args` on its own thread and session.
fn spawn(engine: &Engine, args: &[&str]) -> JoinHandle<Frame> {
    let e = engine.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    std::thread::spawn(move || {
        let mut s = e.session();
        s.call(args.into_iter().map(Bytes::from).collect())
    })
}

/// Waits (with a deadline) until `admin` gets `busy` for a plain read.
fn wait_busy(admin: &mut Session, busy: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = cmd(admin, &["GET", "x"]);
        if r == err(busy) {
            return;
        }
        assert!(Instant::now() < deadline, "never busy: {r:?}");
        std::thread::yield_now();
    }
}

#[test]
fn script_kill_stops_a_busy_script_and_others_get_busy() {
    let (engine, mut admin) = engine();
    let runner = spawn(&engine, &["EVAL", "while true do end", "0"]);
    wait_busy(&mut admin, BUSY_SCRIPT);
    assert_eq!(cmd(&mut admin, &["FUNCTION", "KILL"]), err(BUSY_SCRIPT));
    assert_eq!(cmd(&mut admin, &["FUNCTION", "STATS"]), err(BUSY_SCRIPT));
    assert_eq!(
        cmd(&mut admin, &["SCRIPT", "LOAD", "return 1"]),
        err(BUSY_SCRIPT)
    );
    assert_eq!(cmd(&mut admin, &["FUNCTION", "LIST"]), err(BUSY_SCRIPT));
    assert_eq!(cmd(&mut admin, &["SCRIPT", "KILL"]), ok());
    let text = err_text(&runner.join().unwrap_or(Frame::Null));
    assert!(
        text.starts_with("ERR Script killed by user with SCRIPT KILL... script: "),
        "{text}"
    );
    assert!(text.ends_with("on @user_script:1."), "{text}");
    assert_eq!(cmd(&mut admin, &["GET", "x"]), Frame::Null);
}

#[test]
fn a_kill_cannot_be_caught_by_pcall() {
    let (engine, mut admin) = engine();
    let code = "while true do pcall(function() while true do end end) end";
    let runner = spawn(&engine, &["EVAL", code, "0"]);
    wait_busy(&mut admin, BUSY_SCRIPT);
    assert_eq!(cmd(&mut admin, &["SCRIPT", "KILL"]), ok());
    let text = err_text(&runner.join().unwrap_or(Frame::Null));
    assert!(text.starts_with("ERR Script killed by user"), "{text}");
}

#[test]
fn a_script_that_wrote_is_unkillable() {
    let (engine, mut admin) = engine();
    let code = "redis.call('set','x','1') local n = 0 while n < 1 do n = tonumber(redis.call('get','stop') or '0') end return 'done'";
    let runner = spawn(&engine, &["EVAL", code, "0"]);
    wait_busy(&mut admin, BUSY_SCRIPT);
    let r = err_text(&cmd(&mut admin, &["SCRIPT", "KILL"]));
    assert!(
        r.starts_with("UNKILLABLE Sorry the script already executed write commands"),
        "{r}"
    );
    // The script never ends by itself here: stop it the hard way the test can reach.
    engine.inner().gate.request_kill();
    let text = err_text(&runner.join().unwrap_or(Frame::Null));
    assert!(text.starts_with("ERR Script killed by user"), "{text}");
}

#[test]
fn function_kill_stops_a_busy_function_and_stats_show_it() {
    let (engine, mut admin) = engine();
    let lib = "#!lua name=lp\nredis.register_function('lp', function() while true do end end)";
    assert_eq!(
        cmd(&mut admin, &["FUNCTION", "LOAD", lib]),
        Frame::bulk("lp")
    );
    let runner = spawn(&engine, &["FCALL", "lp", "0"]);
    wait_busy(&mut admin, BUSY_FUNCTION);
    assert_eq!(cmd(&mut admin, &["SCRIPT", "KILL"]), err(BUSY_FUNCTION));
    let Frame::Map(stats) = cmd(&mut admin, &["FUNCTION", "STATS"]) else {
        panic!("stats not a map");
    };
    let Frame::Map(running) = &stats[0].1 else {
        panic!("no running script: {stats:?}");
    };
    assert_eq!(running[0], (Frame::bulk("name"), Frame::bulk("lp")));
    assert_eq!(
        running[1].1,
        Frame::Array(vec![
            Frame::bulk("FCALL"),
            Frame::bulk("lp"),
            Frame::bulk("0")
        ])
    );
    assert_eq!(cmd(&mut admin, &["FUNCTION", "KILL"]), ok());
    let text = err_text(&runner.join().unwrap_or(Frame::Null));
    assert!(
        text.starts_with(
            "ERR Script killed by user with SCRIPT KILL... script: lp, on @user_function:2."
        ),
        "{text}"
    );
}

#[test]
fn beside_a_busy_script_only_shutdown_nosave_may_stop_the_server() {
    let (engine, mut admin) = engine();
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stopped.clone();
    engine.on_shutdown(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
    let runner = spawn(&engine, &["EVAL", "while true do end", "0"]);
    wait_busy(&mut admin, BUSY_SCRIPT);
    // A save would need the keyspace the script holds.
    assert_eq!(cmd(&mut admin, &["SHUTDOWN", "SAVE"]), err(BUSY_SCRIPT));
    assert!(!stopped.load(std::sync::atomic::Ordering::SeqCst));
    let mut other = engine.session();
    let nosave = cmd(&mut other, &["SHUTDOWN", "NOSAVE"]);
    assert!(
        stopped.load(std::sync::atomic::Ordering::SeqCst),
        "{nosave:?}"
    );
    assert_eq!(cmd(&mut admin, &["SCRIPT", "KILL"]), ok());
    let reply = runner.join().unwrap_or(Frame::Null);
    assert!(
        err_text(&reply).contains("Script killed by user"),
        "{reply:?}"
    );
}
