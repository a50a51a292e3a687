//! The leader's proposer: what the replication stream gains is cut into log entries, at
//! command boundaries and never inside a MULTI/EXEC block, and handed to Raft in order.

use crate::types::{Chunk, Raft};
use bytes::BytesMut;
use shoal_engine::Engine;
use shoal_resp::{parse_command, Limits};
use std::sync::Arc;
use std::time::Duration;

/// Proposals in flight at once (appended, not yet committed).
const IN_FLIGHT: usize = 2;

/// The proposer's id among the stream's readers.
const READER: u64 = u64::MAX - 7;

/// Proposes while this member leads; waits while it does not.
pub(crate) async fn run(raft: Raft, engine: Engine) {
    loop {
        if engine.is_stopping() {
            return;
        }
        if !engine.inner().consensus.is_writable() {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        lead(&raft, &engine).await;
        engine.detach_stream_reader(READER);
    }
}

/// One leadership: from the committed end of the stream on.
async fn lead(raft: &Raft, engine: &Engine) {
    let inner = engine.inner();
    // From the committed end: writes may have run between this member becoming writable
    // and this task noticing. Bytes proposed twice (after leadership flapped) are harmless:
    // a member skips an entry its stream already holds.
    let mut next = inner.consensus.committed();
    engine.attach_stream_reader(READER, next + 1);
    let mut pending: Vec<u8> = Vec::new();
    let mut start = next;
    let mut buf = Vec::new();
    // A few proposals in flight at most: while they are, what the stream gains gathers
    // into the next one, so many clients' writes share an append (and its sync).
    let in_flight = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    while inner.consensus.is_writable() && !engine.is_stopping() {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        tokio::select! {
            _ = inner.repl.data_ready(inner, next + 1) => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => continue,
        }
        buf.clear();
        let Some(n) = inner
            .repl
            .read_stream(inner, READER, next + 1, usize::MAX, &mut buf)
        else {
            tracing::error!("raft: the stream outran the proposer; stepping back");
            return;
        };
        next += n as u64;
        pending.extend_from_slice(&buf);
        let cut = boundary(&pending);
        if cut == 0 {
            continue;
        }
        let bytes: Vec<u8> = pending.drain(..cut).collect();
        let chunk = Chunk { start, bytes };
        start += cut as u64;
        match raft.client_write_ff(chunk).await {
            // Clients learn of the commit from the applied offset; the responder only
            // says the proposal is no longer in flight.
            Ok(rx) => drop(tokio::spawn(async move {
                let _ = rx.await;
                drop(permit);
            })),
            Err(_) => return,
        }
    }
}

/// How many leading bytes of `stream` end on a command boundary outside MULTI/EXEC.
fn boundary(stream: &[u8]) -> usize {
    let mut work = BytesMut::from(stream);
    let limits = Limits {
        max_bulk_len: usize::MAX / 2,
        ..Limits::default()
    };
    let (mut pos, mut cut, mut in_multi) = (0usize, 0usize, false);
    loop {
        let before = work.len();
        match parse_command(&mut work, &limits) {
            Ok(Some(args)) => {
                pos += before - work.len();
                if let Some(name) = args.first() {
                    if name.eq_ignore_ascii_case(b"multi") {
                        in_multi = true;
                    } else if name.eq_ignore_ascii_case(b"exec") {
                        in_multi = false;
                    }
                }
                if !in_multi {
                    cut = pos;
                }
            }
            _ => return cut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::boundary;

    #[test]
    fn cuts_after_whole_commands_outside_transactions() {
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
        let multi = b"*1\r\n$5\r\nMULTI\r\n";
        let exec = b"*1\r\n$4\r\nEXEC\r\n";
        assert_eq!(boundary(set), set.len());
        assert_eq!(boundary(&set[..10]), 0, "half a command");
        let mut s = set.to_vec();
        s.extend_from_slice(multi);
        s.extend_from_slice(set);
        assert_eq!(boundary(&s), set.len(), "an open transaction waits");
        s.extend_from_slice(exec);
        assert_eq!(boundary(&s), s.len());
    }
}
