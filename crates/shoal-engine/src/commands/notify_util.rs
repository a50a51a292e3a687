//! Keyspace-notification helpers shared by the command families.

use crate::exec::Access;
use crate::notify;

/// Publishes `event` of `class` about `key`, then `del` if `key` is gone: the command
/// emptied the collection under it, which [`Access::update`] then removed.
pub(crate) fn notify_then_reap(a: &mut Access<'_>, class: u32, event: &str, key: &[u8]) {
    a.notify(class, event, key);
    del_if_gone(a, key);
}

/// Publishes `del` about `key` if it no longer exists (a collection emptied and removed).
/// Skips the lookup when generic events are off.
pub(crate) fn del_if_gone(a: &mut Access<'_>, key: &[u8]) {
    if a.inner.notify_flags() & notify::GENERIC != 0 && !a.exists(key) {
        a.notify(notify::GENERIC, "del", key);
    }
}

/// The event a push or pop at the list's `end` publishes: `lpush`/`rpush` or
/// `lpop`/`rpop`.
pub(crate) fn list_event(end: crate::types::list::End, push: bool) -> &'static str {
    use crate::types::list::End;
    match (end, push) {
        (End::Front, true) => "lpush",
        (End::Back, true) => "rpush",
        (End::Front, false) => "lpop",
        (End::Back, false) => "rpop",
    }
}

/// `(event, key)` pairs as [`crate::testing::Events::keyevents`] returns them.
#[cfg(test)]
pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(e, k)| (e.to_string(), k.to_string()))
        .collect()
}

/// Parks a client running `args` (blocked on `keys`), as dispatch would.
#[cfg(test)]
pub(crate) fn park(h: &crate::testing::Harness, args: &[&str], keys: &[&str]) {
    h.engine.inner().blocking.park(crate::blocking::Parked {
        id: 777,
        db: 0,
        args: args
            .iter()
            .map(|a| bytes::Bytes::from(a.to_string()))
            .collect(),
        keys: keys
            .iter()
            .map(|k| bytes::Bytes::from(k.to_string()))
            .collect(),
        handle: h.session.state().handle.clone(),
        on_timeout: shoal_resp::Frame::Null,
        deliver: Box::new(|_| {}),
    });
}
