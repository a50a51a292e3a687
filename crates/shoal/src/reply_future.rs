//! A future for the reply of a blocking command, for async callers. It needs no runtime:
//! the engine hands the reply to the future's slot and wakes whoever polls it.

use crate::{Error, Result};
use parking_lot::Mutex;
use shoal_engine::Frame;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub(crate) struct Slot {
    frame: Option<Frame>,
    waker: Option<Waker>,
}

/// Fills a slot and wakes its future; what the engine calls when the command is served.
pub(crate) fn fill(slot: &Mutex<Slot>, frame: Frame) {
    let waker = {
        let mut s = slot.lock();
        s.frame = Some(frame);
        s.waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

/// The reply of a command that may wait for data.
pub struct ReplyFuture {
    pub(crate) slot: Arc<Mutex<Slot>>,
}

impl ReplyFuture {
    /// A future that is already complete.
    pub(crate) fn ready(frame: Frame) -> ReplyFuture {
        ReplyFuture {
            slot: Arc::new(Mutex::new(Slot {
                frame: Some(frame),
                waker: None,
            })),
        }
    }
}

impl Future for ReplyFuture {
    type Output = Result<Frame>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.lock();
        match s.frame.take() {
            Some(frame) => Poll::Ready(Error::check(frame)),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
