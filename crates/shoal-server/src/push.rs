//! Out-of-band frames for one connection: pub/sub messages and keyspace notifications,
//! encoded by the publishing thread into a buffer the connection drains.
//!
//! The buffer is what `client-output-buffer-limit pubsub` bounds: a subscriber that stops
//! reading is disconnected once the hard limit is passed, or once it has stayed above the
//! soft limit for the configured seconds, instead of growing memory without bound.

use crate::limits::{Class, OutputTracker};
use crate::wake::{Wake, PUSH};
use bytes::BytesMut;
use shoal_engine::clients::ClientHandle;
use shoal_engine::{Engine, Frame, Protocol, PushSink};
use shoal_resp::encode;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError};

struct State {
    buf: BytesMut,
    /// The buffer against the pubsub class of `client-output-buffer-limit`.
    tracker: OutputTracker,
}

/// A connection's push buffer.
pub(crate) struct PushBuffer {
    state: Mutex<State>,
    /// Wakes the connection when frames arrive; its `PUSH` bit is up while frames wait.
    wake: Arc<Wake>,
    handle: Arc<ClientHandle>,
    engine: Engine,
}

impl PushBuffer {
    pub(crate) fn new(engine: Engine, handle: Arc<ClientHandle>, wake: Arc<Wake>) -> PushBuffer {
        let tracker = OutputTracker::new(&engine.inner().config, Class::PubSub);
        PushBuffer {
            state: Mutex::new(State {
                buf: BytesMut::new(),
                tracker,
            }),
            wake,
            handle,
            engine,
        }
    }

    /// Moves what is buffered to the end of `out`.
    pub(crate) fn drain_into(&self, out: &mut BytesMut) {
        // Nearly always nothing waits: no lock for that.
        if !self.wake.is_raised(PUSH) {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.wake.lower(PUSH);
        if !st.buf.is_empty() {
            out.extend_from_slice(&st.buf);
            st.buf.clear();
            st.tracker.reset();
        }
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
        if st.tracker.exceeded(&self.engine.inner().config, pending) {
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
        if wake {
            // Raised under the lock, so a drain that finds it down finds the buffer empty.
            self.wake.raise(PUSH);
        }
        drop(st);
    }
}
