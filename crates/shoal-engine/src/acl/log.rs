//! The ACL LOG: recent refusals, similar ones grouped, newest first.

use bytes::Bytes;
use shoal_resp::Frame;
use std::collections::VecDeque;

/// Entries within this many milliseconds of each other group into one.
const GROUPING_MS: u64 = 60_000;

/// Why an entry was logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A command the user may not run.
    Command,
    /// A key outside the user's patterns.
    Key,
    /// A channel outside the user's patterns.
    Channel,
    /// A failed AUTH or HELLO AUTH.
    Auth,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// Where the refused command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Sent by the client.
    Toplevel,
    /// Inside MULTI/EXEC.
    Multi,
    /// Called from a script or function.
    Lua,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Times this happened within the grouping window.
    pub count: u64,
    /// Why.
    pub reason: Reason,
    /// Where.
    pub context: Context,
    /// The command, key, channel or `AUTH`.
    pub object: Bytes,
    /// The user (for AUTH, the name tried).
    pub username: Bytes,
    /// CLIENT INFO of the client, at the last occurrence.
    pub client_info: String,
    /// Unique id of the entry.
    pub entry_id: u64,
    /// First occurrence, ms since the epoch.
    pub created_ms: u64,
    /// Last occurrence, ms since the epoch.
    pub updated_ms: u64,
}

/// The log itself.
#[derive(Default)]
pub struct AclLog {
    entries: VecDeque<Entry>,
    next_id: u64,
    /// Refusals counted for INFO, by reason.
    pub counts: [u64; 4],
}

impl AclLog {
    /// Adds a refusal, grouping it with a recent similar entry among the newest ten.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        reason: Reason,
        context: Context,
        object: Bytes,
        username: Bytes,
        client_info: String,
        now_ms: u64,
        max_len: usize,
    ) {
        self.counts[reason as usize] += 1;
        let similar = self.entries.iter().take(10).position(|e| {
            e.reason == reason
                && e.context == context
                && e.updated_ms.abs_diff(now_ms) <= GROUPING_MS
                && e.object == object
                && e.username == username
        });
        if let Some(i) = similar {
            if let Some(mut e) = self.entries.remove(i) {
                e.count += 1;
                e.client_info = client_info;
                e.updated_ms = now_ms;
                self.entries.push_front(e);
            }
            return;
        }
        if max_len == 0 {
            self.entries.clear();
            return;
        }
        self.entries.push_front(Entry {
            count: 1,
            reason,
            context,
            object,
            username,
            client_info,
            entry_id: self.next_id,
            created_ms: now_ms,
            updated_ms: now_ms,
        });
        self.next_id += 1;
        self.entries.truncate(max_len);
    }

    /// Forgets every entry (ACL LOG RESET).
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries as ACL LOG replies them.
    pub fn reply(&self, count: usize, now_ms: u64) -> Frame {
        Frame::Array(
            self.entries
                .iter()
                .take(count)
                .map(|e| entry_frame(e, now_ms))
                .collect(),
        )
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn entry_frame(e: &Entry, now_ms: u64) -> Frame {
    let pair = |k: &str, v: Frame| (Frame::bulk(k), v);
    let age = now_ms.saturating_sub(e.updated_ms) as f64 / 1000.0;
    Frame::Map(vec![
        pair("count", Frame::Integer(e.count as i64)),
        pair("reason", Frame::bulk(e.reason.name())),
        pair("context", Frame::bulk(e.context.name())),
        pair("object", Frame::Bulk(e.object.clone())),
        pair("username", Frame::Bulk(e.username.clone())),
        pair("age-seconds", Frame::Double(age)),
        pair("client-info", Frame::bulk(e.client_info.clone())),
        pair("entry-id", Frame::Integer(e.entry_id as i64)),
        pair("timestamp-created", Frame::Integer(e.created_ms as i64)),
        pair(
            "timestamp-last-updated",
            Frame::Integer(e.updated_ms as i64),
        ),
    ])
}
