//! What wakes a connection besides its socket: pushes waiting to be written, and the end of
//! the connection (CLIENT KILL, server shutdown).
//!
//! A connection waits for these around every read and write, so waiting must cost next to
//! nothing while nothing happens: two atomic loads once the task's waker is stored, no lock
//! and no registration per wait (as a fresh `Notify::notified()` per read would need).

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Pushes wait in the connection's push buffer (cleared when it is drained).
pub(crate) const PUSH: u8 = 1;
/// The connection must end (never cleared).
pub(crate) const CLOSE: u8 = 2;

/// Events raised for one connection, from any thread.
#[derive(Default)]
pub(crate) struct Wake {
    bits: AtomicU8,
    /// The waiting task's waker, taken by the first event raised after it was stored.
    waker: Mutex<Option<Waker>>,
    /// True while `waker` holds a waker.
    armed: AtomicBool,
}

impl Wake {
    /// Raises `bit` and wakes the connection if it waits.
    pub(crate) fn raise(&self, bit: u8) {
        self.bits.fetch_or(bit, SeqCst);
        let waker = {
            let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
            self.armed.store(false, SeqCst);
            slot.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Clears `bit`.
    pub(crate) fn lower(&self, bit: u8) {
        self.bits.fetch_and(!bit, SeqCst);
    }

    /// True while `bit` is raised.
    pub(crate) fn is_raised(&self, bit: u8) -> bool {
        self.bits.load(SeqCst) & bit != 0
    }
}

/// The connection's side of a [`Wake`]: remembers the waker it stored, so waiting again
/// from the same task takes no lock.
pub(crate) struct Waiter {
    wake: Arc<Wake>,
    stored: Option<Waker>,
}

impl Waiter {
    pub(crate) fn new(wake: Arc<Wake>) -> Waiter {
        Waiter { wake, stored: None }
    }

    /// True while `bit` is raised.
    pub(crate) fn is_raised(&self, bit: u8) -> bool {
        self.wake.is_raised(bit)
    }

    /// Resolves with the raised bits among `mask` once one of them is raised.
    pub(crate) async fn wait(&mut self, mask: u8) -> u8 {
        poll_fn(|cx| self.poll(cx, mask)).await
    }

    fn poll(&mut self, cx: &mut Context<'_>, mask: u8) -> Poll<u8> {
        let raised = self.wake.bits.load(SeqCst) & mask;
        if raised != 0 {
            return Poll::Ready(raised);
        }
        let current = self.wake.armed.load(SeqCst)
            && self
                .stored
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()));
        if current {
            return Poll::Pending;
        }
        {
            let mut slot = self
                .wake
                .waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *slot = Some(cx.waker().clone());
            self.wake.armed.store(true, SeqCst);
        }
        self.stored = Some(cx.waker().clone());
        // An event raised before the waker was stored found nothing to wake: look again.
        let raised = self.wake.bits.load(SeqCst) & mask;
        if raised != 0 {
            return Poll::Ready(raised);
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_raised_bit_resolves_the_wait_until_lowered() {
        let wake = Arc::new(Wake::default());
        let mut waiter = Waiter::new(wake.clone());
        wake.raise(PUSH);
        assert_eq!(waiter.wait(PUSH | CLOSE).await, PUSH);
        wake.lower(PUSH);
        assert!(!wake.is_raised(PUSH));
        let raiser = wake.clone();
        let task = tokio::spawn(async move {
            tokio::task::yield_now().await;
            raiser.raise(CLOSE);
        });
        assert_eq!(waiter.wait(CLOSE).await, CLOSE);
        let _ = task.await;
    }

    #[tokio::test]
    async fn waiting_for_one_bit_ignores_the_other() {
        let wake = Arc::new(Wake::default());
        let mut waiter = Waiter::new(wake.clone());
        wake.raise(PUSH);
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(20), waiter.wait(CLOSE)).await;
        assert!(waited.is_err());
        wake.raise(CLOSE);
        assert_eq!(waiter.wait(CLOSE).await, CLOSE);
    }
}
