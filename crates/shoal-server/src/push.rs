//! Out-of-band frames for one connection: pub/sub messages and keyspace notifications,
//! encoded by the publishing thread into a buffer the connection drains.
//!
//! The buffer is what `client-output-buffer-limit pubsub` bounds: a subscriber that stops
//! reading is disconnected once the hard limit is passed, or once it has stayed above the
//! soft limit for the configured seconds, instead of growing memory without bound.

use bytes::BytesMut;
use shoal_engine::clients::ClientHandle;
use shoal_engine::output_limits::{Limit, OutputLimits};
use shoal_engine::{Engine, Frame, Protocol, PushSink};
use shoal_resp::encode;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::Notify;

struct State {
    buf: BytesMut,
    /// Since when the buffer is above the soft limit.
    over_soft_since: Option<Instant>,
    /// The pubsub limit and the configuration version it was read at.
    limit: (u64, Limit),
}

/// A connection's push buffer.
pub(crate) struct PushBuffer {
    state: Mutex<State>,
    /// Wakes the connection when frames arrive.
    pub(crate) ready: Notify,
    handle: Arc<ClientHandle>,
    engine: Engine,
}

impl PushBuffer {
    pub(crate) fn new(engine: Engine, handle: Arc<ClientHandle>) -> PushBuffer {
        let limit = OutputLimits::of(&engine.inner().config).pubsub;
        PushBuffer {
            state: Mutex::new(State {
                buf: BytesMut::new(),
                over_soft_since: None,
                limit: (engine.inner().config.version(), limit),
            }),
            ready: Notify::new(),
            handle,
            engine,
        }
    }

    /// Moves what is buffered to the end of `out`.
    pub(crate) fn drain_into(&self, out: &mut BytesMut) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !st.buf.is_empty() {
            out.extend_from_slice(&st.buf);
            st.buf.clear();
            st.over_soft_since = None;
        }
    }

    fn over_limit(&self, st: &mut State) -> bool {
        let config = &self.engine.inner().config;
        let version = config.version();
        if st.limit.0 != version {
            st.limit = (version, OutputLimits::of(config).pubsub);
        }
        let limit = st.limit.1;
        let len = st.buf.len() as u64;
        if limit.hard > 0 && len >= limit.hard {
            return true;
        }
        if limit.soft > 0 && len >= limit.soft {
            let since = *st.over_soft_since.get_or_insert_with(Instant::now);
            return since.elapsed().as_secs() >= limit.soft_seconds;
        }
        st.over_soft_since = None;
        false
    }
}

impl PushSink for PushBuffer {
    fn push(&self, frame: &Frame) {
        if self.handle.is_killed() {
            return;
        }
        let proto = if self.handle.resp.load(Relaxed) == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the first frame of a burst wakes the connection; it drains them all.
        let wake = st.buf.is_empty();
        encode(frame, proto, &mut st.buf);
        let pending = st.buf.len();
        if self.over_limit(&mut st) {
            st.buf = BytesMut::new();
            drop(st);
            tracing::warn!(
                client = self.handle.id,
                pending,
                "closing subscriber over the pubsub output buffer limit"
            );
            self.handle.kill();
            return;
        }
        drop(st);
        if wake {
            self.ready.notify_one();
        }
    }
}
