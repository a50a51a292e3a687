//! A replica's link on the primary: after PSYNC, the connection carries the `+FULLRESYNC`
//! line and snapshot (or `+CONTINUE`), then the replication stream, while the replica's
//! `REPLCONF ACK`s come back the other way.

use crate::connection::{Closing, Stream};
use bytes::BytesMut;
use shoal_engine::repl::{Chunk, Psync, ReplicaInfo};
use shoal_engine::Session;
use shoal_resp::{parse_command, Limits};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes of the stream written per round.
const ROUND: usize = 256 * 1024;

/// Shortest time between two writes to a replica that is keeping up, while less than
/// [`GATHER_BYTES`] wait: appends made meanwhile go out together, in one write, without
/// waking the link once each. A link idle for longer writes at once.
const GATHER: Duration = Duration::from_millis(1);

/// Bytes waiting that a link writes after one turn of the other connections without
/// gathering for [`GATHER`].
const GATHER_BYTES: u64 = 8 * 1024;

/// Serves the replica behind `stream` until it goes away, falls too far behind, or the
/// server stops. `input` holds what the replica sent after PSYNC.
pub(crate) async fn serve<S: Stream>(
    mut stream: S,
    mut session: Session,
    mut closing: Closing,
    mut input: BytesMut,
) {
    let engine = session.engine().clone();
    let inner = engine.inner();
    let repl = &inner.repl;
    let id = session.state().id();
    session.state().handle.role.store(
        shoal_engine::clients::ROLE_REPLICA,
        std::sync::atomic::Ordering::Relaxed,
    );
    let Some(hello) = session.state_mut().replica_hello.take() else {
        return;
    };
    let Some((replid, offset)) = hello.psync.clone() else {
        return;
    };
    let peer_ip = session
        .state()
        .handle
        .info
        .addr
        .rsplit_once(':')
        .map(|(ip, _)| ip.trim_matches(['[', ']']).to_string())
        .unwrap_or_default();
    repl.add_replica(ReplicaInfo {
        id,
        ip: hello.ip.clone().unwrap_or(peer_ip),
        port: hello.port,
        state: "wait_bgsave",
        ack: 0,
        ack_ms: inner.now_ms(),
    });
    // After a full sync the stream starts once the replica acknowledges: a replica reading
    // an EOF-framed payload takes its last bytes as the end mark, so nothing may follow them
    // in the same read.
    let mut online = false;
    let start = match repl.psync(inner, id, &replid, offset, hello.eof) {
        Psync::Continue { replid, from } => {
            online = true;
            tracing::info!(
                client = id,
                "partial resynchronization accepted from offset {from}"
            );
            let line = format!("+CONTINUE {replid}\r\n");
            if stream.write_all(line.as_bytes()).await.is_err() {
                repl.remove_replica(inner, id);
                return;
            }
            repl.set_online(inner, id);
            Some(from)
        }
        Psync::Refused(msg) => {
            let _ = stream.write_all(format!("-{msg}\r\n").as_bytes()).await;
            None
        }
        Psync::Full(mut feed) => {
            tracing::info!(client = id, "full resynchronization requested");
            let sent = tokio::select! {
                from = send_payload(&mut stream, &mut feed, hello.sync) => from,
                _ = &mut closing => None,
            };
            if sent.is_some() {
                tracing::info!(client = id, "synchronization with replica succeeded");
            }
            sent
        }
    };
    if let Some(from) = start {
        follow(
            &mut stream,
            &session,
            &mut closing,
            &mut input,
            from,
            online,
        )
        .await;
    }
    repl.remove_replica(inner, id);
    let _ = stream.shutdown().await;
}

/// Writes the full sync's line and payload; the offset the stream continues from.
async fn send_payload<S: Stream>(
    stream: &mut S,
    feed: &mut shoal_engine::repl::SyncFeed,
    old_sync: bool,
) -> Option<u64> {
    let mut from = None;
    loop {
        match feed.recv().await {
            Chunk::Begin { offset, bytes } => {
                from = Some(offset + 1);
                if !old_sync {
                    stream.write_all(&bytes).await.ok()?;
                }
            }
            Chunk::Bytes(b) => stream.write_all(&b).await.ok()?,
            Chunk::Done => return from,
            Chunk::Failed => return None,
        }
    }
}

/// Streams from offset `pos` on and takes the replica's acknowledgements.
async fn follow<S: Stream>(
    stream: &mut S,
    session: &Session,
    closing: &mut Closing,
    input: &mut BytesMut,
    mut pos: u64,
    mut online: bool,
) {
    let engine = session.engine();
    let inner = engine.inner();
    let repl = &inner.repl;
    let id = session.state().id();
    let mut out = Vec::with_capacity(ROUND);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // When the link may write next without gathering first: None while it is behind.
    let mut next_write: Option<tokio::time::Instant> = None;
    // Urgent appends (WAIT's GETACK) counted before the last read.
    let mut urgent = repl.urgent_mark(inner);
    loop {
        if session.should_close() {
            return;
        }
        match take_acks(session, input) {
            None => return,
            Some(acked) if acked && !online => {
                online = true;
                repl.set_online(inner, id);
            }
            Some(_) => {}
        }
        tokio::select! {
            _ = repl.data_ready(inner, pos), if online => {
                // Shortly after a write, let the writers append for a while: one write
                // then carries what they all wrote. Nobody wakes the link meanwhile but
                // a WAIT, which wants its acknowledgement at once.
                if let Some(at) = next_write {
                    // The other connections take their turn first, so what they append
                    // goes out in this write, as Redis writes to its replicas once per
                    // turn of its event loop. A turn under a light load appends little:
                    // then the link gathers until GATHER after its last write, so a
                    // write still carries a useful amount. Only a WAIT, which wants its
                    // acknowledgement at once, cuts that short.
                    tokio::task::yield_now().await;
                    let pending = repl.offset(inner).saturating_sub(pos);
                    if pending < GATHER_BYTES && tokio::time::Instant::now() < at {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at) => {}
                            _ = repl.urgent_append(inner, urgent) => {}
                        }
                    }
                }
                urgent = repl.urgent_mark(inner);
                out.clear();
                match repl.read_stream(inner, id, pos, ROUND, &mut out) {
                    Some(n) => {
                        if stream.write_all(&out).await.is_err() {
                            return;
                        }
                        pos += n as u64;
                        // A full round leaves more to send: no gathering before the next.
                        next_write = (n < ROUND).then(|| tokio::time::Instant::now() + GATHER);
                    }
                    None => {
                        tracing::warn!(client = id, "replica fell behind the replication backlog; closing its link");
                        return;
                    }
                }
            }
            read = stream.read_buf(input) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
            }
            _ = &mut *closing => return,
            _ = tick.tick() => {
                let timeout = inner.config.get_i64("repl-timeout").max(1) as u64 * 1000;
                let last = repl.replicas().into_iter().find(|r| r.id == id).map_or(0, |r| r.ack_ms);
                if inner.now_ms().saturating_sub(last) > timeout {
                    tracing::warn!(client = id, "disconnecting timed out replica");
                    return;
                }
            }
        }
    }
}

/// Handles what the replica sent: `REPLCONF ACK <offset>`; anything else is ignored.
/// Whether an ACK came; None on malformed input.
fn take_acks(session: &Session, input: &mut BytesMut) -> Option<bool> {
    let inner = session.engine().inner();
    let id = session.state().id();
    let mut acked = false;
    loop {
        match parse_command(input, &Limits::default()) {
            Ok(Some(args)) => {
                let ack = args.len() >= 3
                    && args[0].eq_ignore_ascii_case(b"replconf")
                    && args[1].eq_ignore_ascii_case(b"ack");
                if ack {
                    if let Some(n) = std::str::from_utf8(&args[2])
                        .ok()
                        .and_then(|s| s.parse().ok())
                    {
                        inner.repl.ack(inner, id, n);
                        acked = true;
                    }
                }
            }
            Ok(None) => return Some(acked),
            Err(_) => return None,
        }
    }
}
