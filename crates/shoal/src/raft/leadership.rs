//! `Leadership`: the changes of leader a member sees, to wait on from a thread or a task.

use futures_core::Stream;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{RecvError, RecvTimeoutError};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The changes of leader of a Raft group as one member sees them (see
/// [`crate::Shoal::leadership`]). Each value is the leader's id, or `None` while no
/// leader is known (an election). The first value is the current leader; changes in quick
/// succession may be reported as their last value only.
///
/// Blocking: iterate, or call [`Leadership::recv`] / [`Leadership::recv_timeout`].
/// Async (any executor): [`Leadership::changed`], or use it as a
/// [`futures_core::Stream`]. Use one way at a time: a value one of them took is not seen by
/// the others.
pub struct Leadership {
    rx: watch::Receiver<Option<u64>>,
    first: bool,
    /// The wait of [`Stream::poll_next`] under way: it hands the receiver back once a
    /// change came (None once the member left its group).
    waiting: Option<Pin<Box<dyn Future<Output = Option<Receiver>> + Send>>>,
}

type Receiver = watch::Receiver<Option<u64>>;

impl Leadership {
    pub(crate) fn new(rx: watch::Receiver<Option<u64>>) -> Leadership {
        Leadership {
            rx,
            first: true,
            waiting: None,
        }
    }

    /// A stream that reports no leader once and ends: an instance outside a group.
    pub(crate) fn none() -> Leadership {
        let (_, rx) = watch::channel(None);
        Leadership::new(rx)
    }

    /// The next value, once there is one. `None` once the member left its group and every
    /// value was seen.
    pub async fn changed(&mut self) -> Option<Option<u64>> {
        if std::mem::take(&mut self.first) {
            return Some(*self.rx.borrow_and_update());
        }
        self.rx.changed().await.ok()?;
        Some(*self.rx.borrow_and_update())
    }

    /// Blocks this thread until the next value; an error once the member left its group.
    pub fn recv(&mut self) -> Result<Option<u64>, RecvError> {
        match block_on(self.changed(), None) {
            Some(Some(leader)) => Ok(leader),
            _ => Err(RecvError),
        }
    }

    /// Like [`Leadership::recv`], waiting at most `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<u64>, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        match block_on(self.changed(), deadline) {
            Some(Some(leader)) => Ok(leader),
            Some(None) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }
}

impl Iterator for Leadership {
    type Item = Option<u64>;

    /// Blocks until the next change of leader; ends when the member leaves its group.
    fn next(&mut self) -> Option<Option<u64>> {
        self.recv().ok()
    }
}

impl Stream for Leadership {
    type Item = Option<u64>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Option<u64>>> {
        let me = self.get_mut();
        if std::mem::take(&mut me.first) {
            return Poll::Ready(Some(*me.rx.borrow_and_update()));
        }
        let waiting = me.waiting.get_or_insert_with(|| {
            // A clone has seen what the original has: it wakes on the next change only.
            let mut rx = me.rx.clone();
            Box::pin(async move { rx.changed().await.ok().map(|_| rx) })
        });
        let Poll::Ready(done) = waiting.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        me.waiting = None;
        Poll::Ready(done.map(|rx| {
            me.rx = rx;
            *me.rx.borrow_and_update()
        }))
    }
}

/// Wakes the thread that waits in [`block_on`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` on this thread, parking between polls, until it completes (`Some`) or
/// `deadline` passes (`None`). Needs no runtime, so it works inside one too.
fn block_on<F: Future>(fut: F, deadline: Option<Instant>) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Some(out);
        }
        match deadline {
            None => std::thread::park(),
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                std::thread::park_timeout(left);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_value_is_the_current_leader_then_changes_follow() {
        let (tx, rx) = watch::channel(Some(2));
        let mut l = Leadership::new(rx);
        assert_eq!(l.recv_timeout(Duration::from_millis(10)), Ok(Some(2)));
        assert_eq!(
            l.recv_timeout(Duration::from_millis(10)),
            Err(RecvTimeoutError::Timeout)
        );
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send_replace(None);
            tx
        });
        assert_eq!(l.recv(), Ok(None));
        let tx = sender.join().unwrap_or_else(|_| panic!("sender thread"));
        tx.send_replace(Some(3));
        assert_eq!(l.next(), Some(Some(3)));
        drop(tx);
        assert_eq!(l.next(), None);
        assert_eq!(
            l.recv_timeout(Duration::from_millis(10)),
            Err(RecvTimeoutError::Disconnected)
        );
    }

    #[test]
    fn as_a_stream_it_yields_the_current_leader_then_changes_then_ends() {
        let (tx, rx) = watch::channel(Some(1));
        let mut l = Leadership::new(rx);
        let mut next = || {
            block_on(
                std::future::poll_fn(|cx| Pin::new(&mut l).poll_next(cx)),
                None,
            )
        };
        assert_eq!(next(), Some(Some(Some(1))));
        tx.send_replace(None);
        tx.send_replace(Some(2));
        assert_eq!(next(), Some(Some(Some(2))), "the last of quick changes");
        drop(tx);
        assert_eq!(next(), Some(None));
    }

    #[test]
    fn outside_a_group_the_stream_holds_one_none() {
        let mut l = Leadership::none();
        assert_eq!(l.next(), Some(None));
        assert_eq!(l.next(), None);
    }

    #[test]
    fn changed_works_without_a_runtime_and_ends_with_the_sender() {
        let (tx, rx) = watch::channel(None);
        let mut l = Leadership::new(rx);
        assert_eq!(block_on(l.changed(), None), Some(Some(None)));
        tx.send_replace(Some(1));
        assert_eq!(block_on(l.changed(), None), Some(Some(Some(1))));
        drop(tx);
        assert_eq!(block_on(l.changed(), None), Some(None));
    }
}
