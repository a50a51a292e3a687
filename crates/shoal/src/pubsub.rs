//! In-process pub/sub: a [`Subscription`] receives messages published by any client, over
//! TCP or embedded, as a blocking iterator or an async stream, with no runtime needed.

use crate::{Error, Result, Shoal};
use bytes::Bytes;
use futures_core::Stream;
use parking_lot::{Condvar, Mutex};
use shoal_engine::output_limits::OutputLimits;
use shoal_engine::{Engine, Frame, PushSink, Session};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// One published message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<Bytes>,
    /// The payload.
    pub payload: Bytes,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Message>,
    bytes: usize,
    /// Cut off for passing the pubsub output limit: nothing more arrives.
    closed: bool,
    waker: Option<Waker>,
}

/// Where the engine delivers a subscription's messages.
struct Inbox {
    state: Mutex<State>,
    ready: Condvar,
    engine: Engine,
    limit: Mutex<(u64, u64)>,
}

/// What a queued message counts against the output limit.
fn cost(msg: &Message) -> usize {
    msg.channel.len() + msg.payload.len() + 32
}

impl State {
    fn pop(&mut self) -> Option<Message> {
        let msg = self.queue.pop_front()?;
        self.bytes = self.bytes.saturating_sub(cost(&msg));
        Some(msg)
    }
}

impl Inbox {
    fn hard_limit(&self) -> u64 {
        let config = &self.engine.inner().config;
        let mut cached = self.limit.lock();
        if cached.0 != config.version() {
            *cached = (config.version(), OutputLimits::of(config).pubsub.hard);
        }
        cached.1
    }
}

fn message_of(frame: &Frame) -> Option<Message> {
    let Frame::Push(parts) = frame else {
        return None;
    };
    let bytes = |i: usize| match parts.get(i) {
        Some(Frame::Bulk(b)) => Some(b.clone()),
        _ => None,
    };
    match &bytes(0)?[..] {
        b"message" | b"smessage" => Some(Message {
            channel: bytes(1)?,
            pattern: None,
            payload: bytes(2)?,
        }),
        b"pmessage" => Some(Message {
            pattern: bytes(1),
            channel: bytes(2)?,
            payload: bytes(3)?,
        }),
        _ => None,
    }
}

impl PushSink for Inbox {
    fn push(&self, frame: &Frame) {
        let Some(msg) = message_of(frame) else {
            return;
        };
        let limit = self.hard_limit();
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        st.bytes += cost(&msg);
        if limit > 0 && st.bytes as u64 > limit {
            st.closed = true;
            st.queue.clear();
            st.bytes = 0;
        } else {
            st.queue.push_back(msg);
        }
        let waker = st.waker.take();
        drop(st);
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Messages of the channels and patterns subscribed to through it. Dropping it ends every
/// subscription it holds.
///
/// A reader that falls behind by more than `client-output-buffer-limit pubsub`'s hard limit
/// is cut off like a slow network subscriber: [`Subscription::is_closed`] turns true and
/// receiving returns `None`.
pub struct Subscription {
    session: Mutex<Session>,
    inbox: Arc<Inbox>,
}

impl Subscription {
    fn command(&self, name: &str, names: &[&[u8]]) -> Result<()> {
        let mut args = vec![Bytes::copy_from_slice(name.as_bytes())];
        args.extend(names.iter().map(|n| Bytes::copy_from_slice(n)));
        Error::check(self.session.lock().call(args)).map(drop)
    }

    /// Adds channels.
    pub fn subscribe<C: AsRef<[u8]>>(&self, channels: &[C]) -> Result<()> {
        let names: Vec<&[u8]> = channels.iter().map(|c| c.as_ref()).collect();
        self.command("SUBSCRIBE", &names)
    }

    /// Adds glob patterns.
    pub fn psubscribe<P: AsRef<[u8]>>(&self, patterns: &[P]) -> Result<()> {
        let names: Vec<&[u8]> = patterns.iter().map(|c| c.as_ref()).collect();
        self.command("PSUBSCRIBE", &names)
    }

    /// Removes channels (all of them when `channels` is empty).
    pub fn unsubscribe<C: AsRef<[u8]>>(&self, channels: &[C]) -> Result<()> {
        let names: Vec<&[u8]> = channels.iter().map(|c| c.as_ref()).collect();
        self.command("UNSUBSCRIBE", &names)
    }

    /// Removes patterns (all of them when `patterns` is empty).
    pub fn punsubscribe<P: AsRef<[u8]>>(&self, patterns: &[P]) -> Result<()> {
        let names: Vec<&[u8]> = patterns.iter().map(|c| c.as_ref()).collect();
        self.command("PUNSUBSCRIBE", &names)
    }

    /// The next message if one is waiting.
    pub fn try_recv(&self) -> Option<Message> {
        self.inbox.state.lock().pop()
    }

    /// Waits up to `timeout` for the next message.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Message> {
        self.wait(Some(Instant::now() + timeout))
    }

    /// Waits for the next message; `None` once the subscription was cut off.
    pub fn recv(&self) -> Option<Message> {
        self.wait(None)
    }

    fn wait(&self, deadline: Option<Instant>) -> Option<Message> {
        let mut st = self.inbox.state.lock();
        loop {
            if let Some(msg) = st.pop() {
                return Some(msg);
            }
            if st.closed {
                return None;
            }
            match deadline {
                Some(d) if self.inbox.ready.wait_until(&mut st, d).timed_out() => return None,
                Some(_) => {}
                None => self.inbox.ready.wait(&mut st),
            }
        }
    }

    /// True once the reader fell too far behind and was cut off.
    pub fn is_closed(&self) -> bool {
        self.inbox.state.lock().closed
    }

    /// A blocking iterator over messages, ending when the subscription is cut off.
    pub fn iter(&self) -> impl Iterator<Item = Message> + '_ {
        std::iter::from_fn(move || self.recv())
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let mut st = self.inbox.state.lock();
        if let Some(msg) = st.pop() {
            return Poll::Ready(Some(msg));
        }
        if st.closed {
            return Poll::Ready(None);
        }
        st.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Shoal {
    fn subscription(&self) -> Subscription {
        let inbox = Arc::new(Inbox {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            engine: self.engine.clone(),
            limit: Mutex::new((u64::MAX, 0)),
        });
        let mut session = self.engine.session();
        session.state_mut().set_push_sink(inbox.clone());
        Subscription {
            session: Mutex::new(session),
            inbox,
        }
    }

    /// Subscribes to `channels`: the returned [`Subscription`] receives what any client
    /// publishes to them.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// let sub = db.subscribe(&["news"])?;
    /// assert_eq!(db.publish("news", "hello")?, 1);
    /// let msg = sub.recv().expect("a message");
    /// assert_eq!(&msg.payload[..], b"hello");
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn subscribe<C: AsRef<[u8]>>(&self, channels: &[C]) -> Result<Subscription> {
        let sub = self.subscription();
        sub.subscribe(channels)?;
        Ok(sub)
    }

    /// Subscribes to channels matching glob `patterns`.
    pub fn psubscribe<P: AsRef<[u8]>>(&self, patterns: &[P]) -> Result<Subscription> {
        let sub = self.subscription();
        sub.psubscribe(patterns)?;
        Ok(sub)
    }

    /// Publishes `message` to `channel`; returns how many subscribers received it.
    pub fn publish(&self, channel: impl AsRef<[u8]>, message: impl AsRef<[u8]>) -> Result<usize> {
        match self.execute(&[&b"PUBLISH"[..], channel.as_ref(), message.as_ref()])? {
            Frame::Integer(n) => Ok(n.max(0) as usize),
            other => Err(Error::UnexpectedReply(other)),
        }
    }
}
