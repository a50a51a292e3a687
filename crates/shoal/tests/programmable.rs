//! The embedded API's programmable side: subscriptions (blocking and async), publishing,
//! optimistic transactions, and the application's own commands.

use shoal::{flags, CommandSpec, Config, CustomCommand, Frame, Shoal};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Polls a future to completion on this thread (the API needs no runtime).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

fn next<S: futures_core::Stream + Unpin>(s: &mut S) -> impl Future<Output = Option<S::Item>> + '_ {
    std::future::poll_fn(move |cx| std::pin::Pin::new(&mut *s).poll_next(cx))
}

fn open() -> Shoal {
    match Shoal::open(Config::default()) {
        Ok(db) => db,
        Err(e) => panic!("open: {e}"),
    }
}

#[test]
fn subscriptions_receive_channel_and_pattern_messages_in_order() {
    let db = open();
    let sub = db.subscribe(&["news"]).unwrap_or_else(|e| panic!("{e}"));
    let pat = db.psubscribe(&["n*"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(db.publish("news", "one").ok(), Some(2));
    assert_eq!(db.publish("news", "two").ok(), Some(2));
    assert_eq!(db.publish("nothing-here", "x").ok(), Some(1));
    let got: Vec<_> = sub.iter().take(2).map(|m| m.payload).collect();
    assert_eq!(got, vec!["one", "two"]);
    let m = pat.recv_timeout(Duration::from_secs(5));
    assert_eq!(m.and_then(|m| m.pattern).as_deref(), Some(&b"n*"[..]));
    assert!(sub.recv_timeout(Duration::from_millis(20)).is_none());
    drop(sub);
    assert_eq!(db.publish("news", "three").ok(), Some(1));
}

#[test]
fn a_subscription_is_an_async_stream_woken_by_publishers_on_other_threads() {
    let db = open();
    let mut sub = db.subscribe(&["jobs"]).unwrap_or_else(|e| panic!("{e}"));
    let publisher = db.clone();
    let t = std::thread::spawn(move || {
        for i in 0..3 {
            let _ = publisher.publish("jobs", format!("job{i}"));
        }
    });
    let got: Vec<_> = (0..3)
        .filter_map(|_| block_on(next(&mut sub)))
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    let _ = t.join();
    assert_eq!(got, vec!["job0", "job1", "job2"]);
}

#[test]
fn a_subscriber_that_falls_behind_is_cut_off_at_the_pubsub_limit() {
    let db =
        match Shoal::open(Config::default().set("client-output-buffer-limit", "pubsub 64kb 0 0")) {
            Ok(db) => db,
            Err(e) => panic!("{e}"),
        };
    let sub = db
        .subscribe(&["firehose"])
        .unwrap_or_else(|e| panic!("{e}"));
    let payload = vec![b'x'; 1024];
    for _ in 0..200 {
        let _ = db.publish("firehose", &payload);
    }
    assert!(sub.is_closed());
    assert!(sub.recv().is_none());
}

#[test]
fn keyspace_notifications_reach_embedded_subscribers() {
    let db = match Shoal::open(Config::default().set("notify-keyspace-events", "En")) {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    };
    let sub = db
        .subscribe(&["__keyevent@0__:new"])
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = db.set("fresh", "1");
    let m = sub.recv_timeout(Duration::from_secs(5));
    assert_eq!(m.map(|m| m.payload).as_deref(), Some(&b"fresh"[..]));
}

#[test]
fn transactions_retry_until_no_watched_key_changed() {
    let db = open();
    let _ = db.set("counter", "0");
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let done = db.transaction(&["counter"], |tx| {
                        let n = match tx.read(&["GET", "counter"])? {
                            Frame::Bulk(b) => {
                                String::from_utf8_lossy(&b).parse::<i64>().unwrap_or(0)
                            }
                            _ => 0,
                        };
                        tx.queue(&["SET", "counter", &(n + 1).to_string()]);
                        Ok(())
                    });
                    assert!(done.is_ok());
                }
            })
        })
        .collect();
    for w in workers {
        assert!(w.join().is_ok());
    }
    // A plain GET-then-SET would lose updates; WATCH makes every one count.
    assert_eq!(
        db.get("counter").ok().flatten().as_deref(),
        Some(&b"400"[..])
    );
}

#[test]
fn an_error_in_the_closure_applies_nothing() {
    let db = open();
    let r: shoal::Result<((), Vec<Frame>)> = db.transaction(&["k"], |tx| {
        tx.queue(&["SET", "k", "v"]);
        Err(shoal::Error::Config("changed my mind".into()))
    });
    assert!(r.is_err());
    assert_eq!(db.get("k").ok().flatten(), None);
}

fn double() -> CustomCommand {
    CustomCommand::new(
        CommandSpec::custom("double").arity(2).flags(flags::FAST),
        |ctx| Ok(Frame::Integer(ctx.args.int()?.saturating_mul(2))),
    )
}

#[test]
fn custom_commands_run_everywhere_a_command_runs() {
    let db = match Shoal::open(Config::default().command(double())) {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(db.execute(&["double", "4"]).ok(), Some(Frame::Integer(8)));
    assert!(db.execute(&["DOUBLE", "x"]).is_err());
    assert!(db.execute(&["DOUBLE"]).is_err(), "arity is checked");
    let (_, replies) = db
        .transaction(&[] as &[&str], |tx| {
            tx.queue(&["DOUBLE", "5"]);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replies, vec![Frame::Integer(10)]);
    let info = db
        .execute(&["COMMAND", "INFO", "double"])
        .unwrap_or(Frame::Null);
    assert!(format!("{info:?}").contains("double"));
    let docs = db
        .execute(&["COMMAND", "DOCS", "double"])
        .unwrap_or(Frame::Null);
    assert!(format!("{docs:?}").contains("module"));
}

#[test]
fn a_custom_command_may_not_replace_a_built_in_one() {
    let get = CustomCommand::new(CommandSpec::custom("get").arity(2), |_| Ok(Frame::Null));
    assert!(Shoal::open(Config::default().command(get)).is_err());
}

#[test]
fn eval_runs_a_script_over_keys_and_arguments() {
    let db = open();
    let reply = db.eval(
        "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
        &["k"],
        &["v"],
    );
    assert_eq!(reply.ok(), Some(Frame::Bulk("v".into())));
    assert!(db
        .eval(
            "return redis.call('NOSUCH')",
            &[] as &[&str],
            &[] as &[&str]
        )
        .is_err());
}

#[test]
fn an_embedded_instance_has_no_save_points_unless_asked() {
    let db = open();
    assert_eq!(
        db.execute(&["CONFIG", "GET", "save"]).ok(),
        Some(Frame::Map(vec![(
            Frame::Bulk("save".into()),
            Frame::Bulk("".into())
        )]))
    );
    let db = match Shoal::open(Config::default().set("save", "3600 1")) {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        db.execute(&["CONFIG", "GET", "save"]).ok(),
        Some(Frame::Map(vec![(
            Frame::Bulk("save".into()),
            Frame::Bulk("3600 1".into())
        )]))
    );
}
