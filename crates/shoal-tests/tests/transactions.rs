//! MULTI/EXEC and WATCH over TCP, including atomicity against concurrent clients.

use shoal_tests::TestServer;

#[test]
fn an_atomic_pipeline_runs_as_one_transaction() {
    let s = TestServer::start();
    let mut c = s.client();
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("n")
        .cmd("INCRBY")
        .arg("n")
        .arg(10)
        .query(&mut c)
        .unwrap_or((0, 0));
    assert_eq!((a, b), (1, 11));
}

#[test]
fn exec_fails_with_null_when_a_watched_key_changed() {
    let s = TestServer::start();
    let mut c = s.client();
    let mut other = s.client();
    let _: () = redis::cmd("WATCH").arg("k").query(&mut c).unwrap_or(());
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("1")
        .query(&mut other)
        .unwrap_or(());
    let res: Option<(String,)> = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("k")
        .arg("mine")
        .query(&mut c)
        .unwrap_or(Some(("error".into(),)));
    assert_eq!(res, None);
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap_or_default();
    assert_eq!(v, "1");
}

#[test]
fn exec_abort_and_run_time_errors_over_tcp() {
    let s = TestServer::start();
    let mut c = s.client();
    let _: () = redis::cmd("MULTI").query(&mut c).unwrap_or(());
    let queued: redis::RedisResult<()> = redis::cmd("SET").arg("only-key").query(&mut c);
    assert!(queued.is_err());
    let exec: redis::RedisResult<redis::Value> = redis::cmd("EXEC").query(&mut c);
    let e = exec.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("Transaction discarded"), "{e}");
}

#[test]
fn no_client_sees_the_middle_of_a_transaction() {
    let s = TestServer::start();
    let mut writer = s.client();
    let addr = s.addr();
    let reader = std::thread::spawn(move || {
        let Ok(mut c) =
            redis::Client::open(format!("redis://{addr}/")).and_then(|cl| cl.get_connection())
        else {
            return -1;
        };
        let mut torn = 0;
        for _ in 0..300 {
            let (a, b): (i64, i64) = redis::cmd("MGET")
                .arg("a")
                .arg("b")
                .query::<(Option<i64>, Option<i64>)>(&mut c)
                .map(|(a, b)| (a.unwrap_or(0), b.unwrap_or(0)))
                .unwrap_or((0, 0));
            if a != b {
                torn += 1;
            }
        }
        torn
    });
    for _ in 0..300 {
        let _: (i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg("a")
            .cmd("INCR")
            .arg("b")
            .query(&mut writer)
            .unwrap_or((0, 0));
    }
    assert_eq!(reader.join().unwrap_or(-1), 0);
}
