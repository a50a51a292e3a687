//! An in-process harness for command tests: an engine on a manual clock, a session, and
//! small constructors for expected replies.
//!
//! ```
//! use shoal_engine::testing::{bulk, Harness};
//! let mut h = Harness::new();
//! h.run(&["SET", "k", "v"]);
//! assert_eq!(h.run(&["GET", "k"]), bulk("v"));
//! ```

use crate::clock::ManualClock;
use crate::effects::Effect;
use crate::engine::{Engine, EngineOptions};
use crate::keyspace::Keyspace;
use crate::pubsub::{Kind, PushSink, QueueSink};
use crate::session::Session;
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

/// The manual clock's starting time: 2023-11-14T22:13:20Z.
pub const START_MS: u64 = 1_700_000_000_000;

/// An engine with a manual clock and one session.
pub struct Harness {
    /// The engine.
    pub engine: Engine,
    /// Its clock; move it with [`Harness::advance`].
    pub clock: Arc<ManualClock>,
    /// The session commands run in.
    pub session: Session,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    /// A fresh engine at [`START_MS`] with a fixed random seed.
    pub fn new() -> Harness {
        let clock = Arc::new(ManualClock::new(START_MS));
        let engine = Engine::with_options(EngineOptions {
            clock: clock.clone(),
            seed: Some(42),
            ..EngineOptions::default()
        });
        // No save points: FLUSHALL and SHUTDOWN would write dump.rdb where tests run.
        let _ = engine.inner().config.set("save", "");
        let session = engine.session();
        Harness {
            engine,
            clock,
            session,
        }
    }

    /// Runs a command given as text arguments.
    pub fn run(&mut self, args: &[&str]) -> Frame {
        self.session.call(
            args.iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect(),
        )
    }

    /// Runs a command given as binary arguments.
    pub fn run_bin(&mut self, args: &[&[u8]]) -> Frame {
        self.session
            .call(args.iter().map(|a| Bytes::copy_from_slice(a)).collect())
    }

    /// Switches the session to RESP3 replies.
    pub fn resp3(&mut self) {
        self.session.state_mut().protocol = Protocol::Resp3;
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.clock.advance(ms);
    }

    /// The encoding of `key` in database 0, read directly (no expiry, no access-time touch).
    pub fn encoding(&self, key: &str) -> Option<&'static str> {
        let inner = self.engine.inner();
        let shard = inner.keyspace.lock(Keyspace::shard_of(key.as_bytes()));
        shard.dbs[0]
            .get(key.as_bytes())
            .map(|e| e.value.encoding_name())
    }

    /// The stored deadline of `key` in database 0 (ms since the epoch), without expiring it.
    pub fn deadline(&self, key: &str) -> Option<u64> {
        let inner = self.engine.inner();
        let shard = inner.keyspace.lock(Keyspace::shard_of(key.as_bytes()));
        shard.dbs[0].expire_of_key(key.as_bytes())
    }

    /// A second session on the same engine.
    pub fn other_session(&self) -> Session {
        self.engine.session()
    }

    /// Sets `notify-keyspace-events` to `classes` (e.g. `"KEA"`) and listens to both
    /// channel families. Read
    /// what was published with [`Events::take`].
    pub fn events(&self, classes: &str) -> Events {
        let inner = self.engine.inner();
        let _ = inner.config.set("notify-keyspace-events", classes);
        let sink = Arc::new(QueueSink::default());
        let dynsink: Arc<dyn PushSink> = sink.clone();
        inner.pubsub.subscribe(
            Kind::Pattern,
            Bytes::from_static(b"__key*__:*"),
            listener_id(),
            &dynsink,
        );
        Events { sink }
    }
}

/// A subscriber id no session has: counts down from the top, one per listener.
fn listener_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);
    NEXT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed)
}

/// Keyspace notifications captured by [`Harness::events`].
pub struct Events {
    sink: Arc<QueueSink>,
}

impl Events {
    /// The events published since last taken, each as `(channel, message)` in lossy text,
    /// e.g. `("__keyspace@0__:k", "set")` then `("__keyevent@0__:set", "k")`.
    pub fn take(&self) -> Vec<(String, String)> {
        self.sink
            .take()
            .into_iter()
            .filter_map(|f| match f {
                Frame::Push(parts) if parts.len() == 4 => {
                    let text = |f: &Frame| match f {
                        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                        _ => String::new(),
                    };
                    Some((text(&parts[2]), text(&parts[3])))
                }
                _ => None,
            })
            .collect()
    }

    /// Only the key-event side of [`Events::take`]: `(event, key)` pairs in order.
    pub fn keyevents(&self) -> Vec<(String, String)> {
        self.take()
            .into_iter()
            .filter_map(|(ch, msg)| {
                let event = ch
                    .strip_prefix("__keyevent@")?
                    .split_once("__:")?
                    .1
                    .to_string();
                Some((event, msg))
            })
            .collect()
    }
}

/// Every effect received on `rx` so far, each as its arguments in lossy text.
pub fn effect_texts(rx: &Receiver<Effect>) -> Vec<Vec<String>> {
    rx.try_iter()
        .map(|e| {
            e.args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .collect()
}

/// An expected effect list written as text, to compare with [`effect_texts`].
pub fn expected_effects(items: &[&[&str]]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|e| e.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// A bulk string reply.
pub fn bulk(s: impl AsRef<[u8]>) -> Frame {
    Frame::bulk(s)
}

/// An integer reply.
pub fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

/// `+OK`.
pub fn ok() -> Frame {
    Frame::ok()
}

/// A simple string reply.
pub fn simple(s: &str) -> Frame {
    Frame::Simple(Bytes::copy_from_slice(s.as_bytes()))
}

/// An error reply with its full text (`"ERR syntax error"`).
pub fn err(s: &str) -> Frame {
    Frame::Error(Bytes::copy_from_slice(s.as_bytes()))
}

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(bulk).collect())
}

/// An array reply.
pub fn arr(items: Vec<Frame>) -> Frame {
    Frame::Array(items)
}
