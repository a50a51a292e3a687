//! The pub/sub hub: channel, pattern and shard-channel subscriptions, and delivery of
//! messages to each subscriber's [`PushSink`].
//!
//! The hub knows subscribers only by id and sink; what a session is subscribed to is also
//! kept in the session (for its counts and for unsubscribing everything when it ends).
//! Messages are built once as push frames (RESP2 writes them as arrays) and handed to each
//! sink by reference, so a sink may encode them straight into its output.

use crate::util::glob::glob_match;
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use shoal_resp::Frame;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Where a client's out-of-band frames go (pub/sub messages, keyspace notifications).
pub trait PushSink: Send + Sync {
    /// Delivers one frame. Must not call back into the engine.
    fn push(&self, frame: &Frame);
}

/// A sink that keeps frames in memory until taken: the default for sessions nobody reads
/// pushes from asynchronously (embedded `execute` callers take them with
/// [`Session::take_pushes`](crate::Session::take_pushes)).
#[derive(Default)]
pub struct QueueSink {
    frames: Mutex<VecDeque<Frame>>,
}

impl QueueSink {
    /// Takes every queued frame, oldest first.
    pub fn take(&self) -> Vec<Frame> {
        self.frames.lock().drain(..).collect()
    }
}

impl PushSink for QueueSink {
    fn push(&self, frame: &Frame) {
        self.frames.lock().push_back(frame.clone());
    }
}

/// One subscriber of one channel or pattern.
#[derive(Clone)]
struct Subscriber {
    id: u64,
    sink: Arc<dyn PushSink>,
}

type Subs = HashMap<Bytes, Vec<Subscriber>>;

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE.
    Pattern,
    /// SSUBSCRIBE / SPUBLISH.
    Shard,
}

/// Every subscription of every client.
#[derive(Default)]
pub struct PubSub {
    channels: RwLock<Subs>,
    patterns: RwLock<Subs>,
    shard: RwLock<Subs>,
}

fn push_frame(parts: Vec<Bytes>) -> Frame {
    Frame::Push(parts.into_iter().map(Frame::Bulk).collect())
}

impl PubSub {
    fn map(&self, kind: Kind) -> &RwLock<Subs> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    /// Adds a subscription; false if the client already had it.
    pub(crate) fn subscribe(
        &self,
        kind: Kind,
        name: Bytes,
        id: u64,
        sink: &Arc<dyn PushSink>,
    ) -> bool {
        let mut map = self.map(kind).write();
        let list = map.entry(name).or_default();
        if list.iter().any(|s| s.id == id) {
            return false;
        }
        list.push(Subscriber {
            id,
            sink: sink.clone(),
        });
        true
    }

    /// Removes a subscription; false if the client did not have it.
    pub(crate) fn unsubscribe(&self, kind: Kind, name: &[u8], id: u64) -> bool {
        let mut map = self.map(kind).write();
        let Some(list) = map.get_mut(name) else {
            return false;
        };
        let before = list.len();
        list.retain(|s| s.id != id);
        let removed = list.len() != before;
        if list.is_empty() {
            map.remove(name);
        }
        removed
    }

    /// Sends `message` to the subscribers of `channel` and of every matching pattern;
    /// returns how many received it.
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        let channel = Bytes::copy_from_slice(channel);
        let message = Bytes::copy_from_slice(message);
        let mut count = 0;
        {
            let map = self.channels.read();
            if let Some(list) = map.get(&channel) {
                let frame = push_frame(vec![
                    Bytes::from_static(b"message"),
                    channel.clone(),
                    message.clone(),
                ]);
                for s in list {
                    s.sink.push(&frame);
                }
                count += list.len();
            }
        }
        let patterns = self.patterns.read();
        for (pattern, list) in patterns.iter() {
            if !glob_match(pattern, &channel, false) {
                continue;
            }
            let frame = push_frame(vec![
                Bytes::from_static(b"pmessage"),
                pattern.clone(),
                channel.clone(),
                message.clone(),
            ]);
            for s in list {
                s.sink.push(&frame);
            }
            count += list.len();
        }
        count
    }

    /// Sends `message` to the subscribers of shard channel `channel` (SPUBLISH).
    pub fn spublish(&self, channel: &[u8], message: &[u8]) -> usize {
        let map = self.shard.read();
        let Some(list) = map.get(channel) else {
            return 0;
        };
        let frame = push_frame(vec![
            Bytes::from_static(b"smessage"),
            Bytes::copy_from_slice(channel),
            Bytes::copy_from_slice(message),
        ]);
        for s in list {
            s.sink.push(&frame);
        }
        list.len()
    }

    /// True if anyone is subscribed to anything of `kind`.
    pub fn has_any(&self, kind: Kind) -> bool {
        !self.map(kind).read().is_empty()
    }

    /// Names with at least one subscriber in `kind`, filtered by an optional glob pattern.
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.map(kind)
            .read()
            .keys()
            .filter(|n| pattern.is_none_or(|p| glob_match(p, n, false)))
            .cloned()
            .collect()
    }

    /// Number of subscribers of `name` in `kind`.
    pub fn count(&self, kind: Kind, name: &[u8]) -> usize {
        self.map(kind).read().get(name).map_or(0, |l| l.len())
    }

    /// Number of names with subscribers in `kind`.
    pub fn len(&self, kind: Kind) -> usize {
        self.map(kind).read().len()
    }

    /// Number of distinct patterns subscribed to (PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.read().len()
    }

    /// Calls `f` with every subscription of `kind`: its name and the subscriber's client id.
    pub(crate) fn for_each_subscription(&self, kind: Kind, mut f: impl FnMut(&Bytes, u64)) {
        for (name, subs) in self.map(kind).read().iter() {
            subs.iter().for_each(|s| f(name, s.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn publish_reaches_channel_and_pattern_subscribers_once_each() {
        let hub = PubSub::default();
        let q1 = Arc::new(QueueSink::default());
        let q2 = Arc::new(QueueSink::default());
        let s1: Arc<dyn PushSink> = q1.clone();
        let s2: Arc<dyn PushSink> = q2.clone();
        assert!(hub.subscribe(Kind::Channel, b("news"), 1, &s1));
        assert!(!hub.subscribe(Kind::Channel, b("news"), 1, &s1));
        assert!(hub.subscribe(Kind::Pattern, b("n*"), 2, &s2));
        assert_eq!(hub.publish(b"news", b"hi"), 2);
        assert_eq!(hub.publish(b"other", b"hi"), 0);
        assert_eq!(
            q1.take(),
            vec![push_frame(vec![b("message"), b("news"), b("hi")])]
        );
        assert_eq!(
            q2.take(),
            vec![push_frame(vec![b("pmessage"), b("n*"), b("news"), b("hi")])]
        );
        assert!(hub.unsubscribe(Kind::Channel, b"news", 1));
        assert!(!hub.unsubscribe(Kind::Channel, b"news", 1));
        assert_eq!(hub.names(Kind::Channel, None), Vec::<Bytes>::new());
    }
}
