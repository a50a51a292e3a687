//! WAIT: clients parked until enough replicas acknowledged their writes.

use super::Repl;
use crate::blocking::Deliver;
use parking_lot::Mutex;
use shoal_resp::Frame;

struct Waiter {
    client: u64,
    offset: u64,
    need: usize,
    deliver: Deliver,
}

/// The parked WAITs.
#[derive(Default)]
pub(crate) struct Waits {
    list: Mutex<Vec<Waiter>>,
}

impl Waits {
    /// Parks `client` until `need` replicas acknowledged `offset`.
    pub(crate) fn park(
        &self,
        repl: &Repl,
        client: u64,
        offset: u64,
        need: usize,
        deliver: Deliver,
    ) {
        self.list.lock().push(Waiter {
            client,
            offset,
            need,
            deliver,
        });
        self.serve(repl);
    }

    /// Answers the waits that are satisfied now.
    pub(crate) fn serve(&self, repl: &Repl) {
        let mut list = self.list.lock();
        if list.is_empty() {
            return;
        }
        let mut i = 0;
        while i < list.len() {
            let n = repl.acked(list[i].offset);
            if n >= list[i].need {
                let w = list.swap_remove(i);
                (w.deliver)(Frame::Integer(n as i64));
            } else {
                i += 1;
            }
        }
    }

    /// Ends `client`'s wait (its timeout), answering with how many replicas acknowledged.
    /// False if it was not waiting.
    pub(crate) fn cancel(&self, repl: &Repl, client: u64) -> bool {
        let mut list = self.list.lock();
        let Some(pos) = list.iter().position(|w| w.client == client) else {
            return false;
        };
        let w = list.swap_remove(pos);
        drop(list);
        let n = repl.acked(w.offset);
        (w.deliver)(Frame::Integer(n as i64));
        true
    }
}
