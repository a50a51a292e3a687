//! A bounded hand-over from a snapshot thread to a replica link's task: the thread blocks
//! while the queue is full (a slow replica slows its snapshot, memory stays bounded), the
//! task awaits items with any async runtime.

use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Items queued before the sender waits.
const CAP: usize = 16;

/// What a full sync sends a replica link, in order.
#[derive(Debug)]
pub enum Chunk {
    /// The sync's point: the link streams from offset `offset + 1` after the payload.
    /// `bytes` is the `+FULLRESYNC` line.
    Begin {
        /// The stream offset the snapshot corresponds to.
        offset: u64,
        /// Bytes to write first.
        bytes: Vec<u8>,
    },
    /// Payload bytes to write.
    Bytes(Vec<u8>),
    /// The payload is complete.
    Done,
    /// The snapshot failed: the link must close.
    Failed,
}

#[derive(Default)]
struct State {
    items: VecDeque<Chunk>,
    waker: Option<Waker>,
    receiver_gone: bool,
}

/// The shared queue.
#[derive(Default)]
pub(crate) struct Pipe {
    state: Mutex<State>,
    room: Condvar,
}

impl Pipe {
    /// Queues `c`, waiting while the queue is full. False once the receiver is gone.
    pub(crate) fn send(&self, c: Chunk) -> bool {
        let mut st = self.state.lock();
        while st.items.len() >= CAP && !st.receiver_gone {
            self.room.wait(&mut st);
        }
        if st.receiver_gone {
            return false;
        }
        st.items.push_back(c);
        if let Some(w) = st.waker.take() {
            w.wake();
        }
        true
    }
}

/// The receiving end; dropping it releases a waiting sender.
pub struct SyncFeed {
    pub(crate) pipe: Arc<Pipe>,
}

impl SyncFeed {
    /// The next chunk.
    pub fn recv(&mut self) -> impl std::future::Future<Output = Chunk> + '_ {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let mut st = self.pipe.state.lock();
            match st.items.pop_front() {
                Some(c) => {
                    self.pipe.room.notify_all();
                    Poll::Ready(c)
                }
                None => {
                    st.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

impl Drop for SyncFeed {
    fn drop(&mut self) {
        self.pipe.state.lock().receiver_gone = true;
        self.pipe.room.notify_all();
    }
}
