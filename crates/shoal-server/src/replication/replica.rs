//! This server as a replica: the link to its primary. It connects, shakes hands as a Redis
//! replica does (PING, AUTH, REPLCONF, PSYNC), loads the snapshot of a full sync, then
//! applies the primary's stream and acknowledges its offset every second. A lost link is
//! retried every second, continuing from the offset reached when the primary still holds it.

use bytes::{Bytes, BytesMut};
use shoal_engine::repl::{applying, Upstream};
use shoal_engine::{ClientInfo, ClientKind, Engine, Session};
use shoal_resp::{parse_command, Limits};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type LinkResult<T> = Result<T, String>;

/// Makes REPLICAOF start links on the current tokio runtime.
pub(crate) fn install(engine: &Engine) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let weak = engine.downgrade();
    let first = engine
        .inner()
        .repl
        .set_link_starter(std::sync::Arc::new(move |gen| {
            if let Some(engine) = Engine::upgrade(&weak) {
                rt.spawn(run(engine, gen));
            }
        }));
    // `replicaof` in the configuration was applied before the starter existed.
    if first && engine.inner().repl.is_replica() {
        let gen = engine.inner().repl.generation();
        tokio::spawn(run(engine.clone(), gen));
    }
}

fn current(engine: &Engine, gen: u64) -> bool {
    engine.inner().repl.generation() == gen && !engine.is_stopping()
}

/// Keeps the link of generation `gen` up until REPLICAOF changes it.
async fn run(engine: Engine, gen: u64) {
    let mut master = None;
    while current(&engine, gen) {
        let Some(up) = engine.inner().repl.upstream() else {
            return;
        };
        if let Err(e) = link(&engine, gen, &up, &mut master).await {
            engine.inner().repl.failover_link_failed(engine.inner());
            if current(&engine, gen) {
                tracing::warn!("replication link to {}:{}: {e}", up.host, up.port);
            }
        }
        let now = engine.inner().now_ms();
        engine.inner().repl.update_upstream(gen, |u| {
            u.state = "connect";
            u.down_since_ms.get_or_insert(now);
        });
        for _ in 0..10 {
            if !current(&engine, gen) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A connection to the primary with its read buffer.
struct Conn {
    tcp: TcpStream,
    buf: BytesMut,
}

impl Conn {
    async fn send(&mut self, args: &[&[u8]]) -> LinkResult<()> {
        let mut out = BytesMut::new();
        shoal_resp::encode_command(args, &mut out);
        self.tcp.write_all(&out).await.map_err(|e| e.to_string())
    }

    /// One reply line, skipping the bare newlines a primary sends to keep the link alive.
    async fn line(&mut self, timeout: Duration) -> LinkResult<String> {
        loop {
            if let Some(at) = self.buf.iter().position(|&b| b == b'\n') {
                let raw = self.buf.split_to(at + 1);
                let text = String::from_utf8_lossy(&raw).trim_end().to_string();
                if text.is_empty() {
                    continue;
                }
                return Ok(text);
            }
            self.fill(timeout).await?;
        }
    }

    async fn fill(&mut self, timeout: Duration) -> LinkResult<usize> {
        self.buf.reserve(64 * 1024);
        match tokio::time::timeout(timeout, self.tcp.read_buf(&mut self.buf)).await {
            Err(_) => Err("timeout talking to the primary".into()),
            Ok(Ok(0)) => Err("the primary closed the connection".into()),
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(e.to_string()),
        }
    }
}

/// One connection's life: handshake, sync, stream.
async fn link(
    engine: &Engine,
    gen: u64,
    up: &Upstream,
    master: &mut Option<Session>,
) -> LinkResult<()> {
    let inner = engine.inner();
    let repl = &inner.repl;
    let timeout = Duration::from_secs(inner.config.get_i64("repl-timeout").max(1) as u64);
    repl.update_upstream(gen, |u| u.state = "connecting");
    let addr = format!("{}:{}", up.host, up.port);
    let tcp = tokio::time::timeout(timeout, shoal_cluster::connect(&addr, &engine.downgrade()))
        .await
        .map_err(|_| "timeout connecting".to_string())?
        .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut conn = Conn {
        tcp,
        buf: BytesMut::with_capacity(64 * 1024),
    };
    repl.update_upstream(gen, |u| u.state = "handshake");
    handshake(engine, &mut conn, timeout).await?;
    let (replid, offset) = repl.psync_request(inner);
    let offset = offset.to_string();
    let mut psync: Vec<&[u8]> = vec![b"PSYNC", replid.as_bytes(), offset.as_bytes()];
    let failover = repl.failover_in_progress();
    if failover {
        // This server was the primary: the target takes over as it answers.
        psync.push(b"FAILOVER");
    }
    conn.send(&psync).await?;
    let reply = conn.line(timeout).await?;
    if failover {
        if reply.starts_with("+FULLRESYNC") || reply.starts_with("+CONTINUE") {
            repl.failover_done();
        } else {
            repl.failover_link_failed(inner);
            return Err(format!("the failover target refused: {reply}"));
        }
    }
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC ") {
        let mut words = rest.split_whitespace();
        let id = words.next().unwrap_or_default().to_string();
        let at: u64 = words
            .next()
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("bad reply to PSYNC: {reply}"))?;
        repl.update_upstream(gen, |u| {
            u.state = "sync";
            u.sync_start_ms = inner.now_ms();
            u.sync_read = 0;
            u.sync_total = -1;
        });
        full_sync(engine, gen, &mut conn, timeout).await?;
        repl.adopt(inner, &id, at);
        // A fresh master client: the stream selects its database first.
        *master = None;
        tracing::info!("MASTER <-> REPLICA sync: finished with success");
    } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        let id = rest.trim();
        if !id.is_empty() {
            repl.continue_with(inner, id);
        }
        repl.ensure_backlog(inner);
        tracing::info!("MASTER <-> REPLICA sync: partial resynchronization accepted");
    } else {
        return Err(format!("the primary refused PSYNC: {reply}"));
    }
    let now = inner.now_ms();
    repl.update_upstream(gen, |u| {
        u.state = "connected";
        u.synced = true;
        u.down_since_ms = None;
        u.last_io_ms = now;
    });
    // A master client killed by CLIENT KILL is replaced, keeping its selected database
    // (the stream continues where it was).
    let mut db = repl.stream_db();
    if master.as_ref().is_some_and(|s| s.should_close()) {
        db = master.take().map_or(0, |s| s.state().db);
    }
    let session = master.get_or_insert_with(|| {
        let mut s = engine.session_for(ClientInfo {
            kind: ClientKind::Tcp,
            addr: addr.clone(),
            laddr: String::new(),
            fd: -1,
        });
        s.state_mut().master_link = true;
        s.state_mut().db = db;
        s.state().handle.role.store(
            shoal_engine::clients::ROLE_MASTER,
            std::sync::atomic::Ordering::Relaxed,
        );
        s
    });
    stream(engine, gen, &mut conn, session, timeout).await
}

/// PING, AUTH, REPLCONF, as a Redis replica sends them.
async fn handshake(engine: &Engine, conn: &mut Conn, timeout: Duration) -> LinkResult<()> {
    let config = &engine.inner().config;
    conn.send(&[b"PING"]).await?;
    let pong = conn.line(timeout).await?;
    // A primary with a password answers PING with NOAUTH (or NOPERM): AUTH follows.
    if pong.starts_with('-')
        && !pong.starts_with("-NOAUTH")
        && !pong.starts_with("-NOPERM")
        && !pong.starts_with("-ERR operation not permitted")
    {
        return Err(format!("error reply to PING: {pong}"));
    }
    let pass = config.get("masterauth").unwrap_or_default();
    if !pass.is_empty() {
        let user = config.get("masteruser").unwrap_or_default();
        if user.is_empty() {
            conn.send(&[b"AUTH", pass.as_bytes()]).await?;
        } else {
            conn.send(&[b"AUTH", user.as_bytes(), pass.as_bytes()])
                .await?;
        }
        let ok = conn.line(timeout).await?;
        if ok.starts_with('-') {
            return Err(format!("unable to AUTH to the primary: {ok}"));
        }
    }
    let announced = config.get_i64("replica-announce-port");
    let port = if announced > 0 {
        announced
    } else {
        config.get_i64("port")
    };
    conn.send(&[b"REPLCONF", b"listening-port", port.to_string().as_bytes()])
        .await?;
    conn.line(timeout).await?;
    let ip = config.get("replica-announce-ip").unwrap_or_default();
    if !ip.is_empty() {
        conn.send(&[b"REPLCONF", b"ip-address", ip.as_bytes()])
            .await?;
        conn.line(timeout).await?;
    }
    conn.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
        .await?;
    conn.line(timeout).await?;
    Ok(())
}

/// Receives the snapshot into a file in `dir`, then loads it in place of the dataset.
async fn full_sync(
    engine: &Engine,
    gen: u64,
    conn: &mut Conn,
    timeout: Duration,
) -> LinkResult<()> {
    let inner = engine.inner();
    let header = conn.line(timeout).await?;
    let size = header
        .strip_prefix('$')
        .ok_or_else(|| format!("bad payload header from the primary: {header}"))?;
    let (mark, mut left) = match size.strip_prefix("EOF:") {
        Some(mark) if mark.len() == 40 => (Some(mark.as_bytes().to_vec()), 0u64),
        Some(_) => return Err("bad EOF mark from the primary".into()),
        None => (
            None,
            size.parse::<u64>()
                .map_err(|_| format!("bad payload length: {size}"))?,
        ),
    };
    if mark.is_none() {
        inner
            .repl
            .update_upstream(gen, |u| u.sync_total = left as i64);
    }
    let dir = PathBuf::from(inner.config.get("dir").unwrap_or_else(|| ".".into()));
    let path = dir.join(format!(
        "temp-{}-{}.rdb",
        inner.now_ms() / 1000,
        std::process::id()
    ));
    let received = receive(
        engine,
        gen,
        conn,
        timeout,
        &path,
        mark.as_deref(),
        &mut left,
    )
    .await;
    if let Err(e) = received {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let loader = engine.clone();
    let file = path.clone();
    let loaded =
        tokio::task::spawn_blocking(move || loader.inner().repl.load_payload(&loader, &file))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
    let _ = std::fs::remove_file(&path);
    let keys = loaded.map_err(|e| format!("failed to load the primary's snapshot: {e}"))?;
    tracing::info!("MASTER <-> REPLICA sync: loaded {keys} keys");
    Ok(())
}

/// Writes the payload to `path`: `left` bytes, or up to the EOF mark.
async fn receive(
    engine: &Engine,
    gen: u64,
    conn: &mut Conn,
    timeout: Duration,
    path: &PathBuf,
    mark: Option<&[u8]>,
    left: &mut u64,
) -> LinkResult<()> {
    let inner = engine.inner();
    let mut file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut total = 0u64;
    loop {
        if conn.buf.is_empty() {
            conn.fill(timeout).await?;
        }
        match mark {
            None => {
                let n = (*left).min(conn.buf.len() as u64) as usize;
                let chunk = conn.buf.split_to(n);
                file.write_all(&chunk).map_err(|e| e.to_string())?;
                *left -= n as u64;
                total += n as u64;
                if *left == 0 {
                    break;
                }
            }
            Some(mark) => {
                if let Some(at) = find(&conn.buf, mark) {
                    let body = conn.buf.split_to(at);
                    file.write_all(&body).map_err(|e| e.to_string())?;
                    let _ = conn.buf.split_to(mark.len());
                    total += body.len() as u64;
                    inner.repl.update_upstream(gen, |u| u.sync_read = total);
                    break;
                }
                // Keep the last bytes back until more arrive: they may start the mark.
                if conn.buf.len() > mark.len() {
                    let n = conn.buf.len() - mark.len();
                    let body = conn.buf.split_to(n);
                    file.write_all(&body).map_err(|e| e.to_string())?;
                    total += n as u64;
                }
                conn.fill(timeout).await?;
            }
        }
        let now = inner.now_ms();
        inner.repl.update_upstream(gen, |u| {
            u.sync_read = total;
            u.last_io_ms = now;
        });
    }
    file.sync_all().map_err(|e| e.to_string())?;
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Applies the primary's stream until the link fails or REPLICAOF changes it.
async fn stream(
    engine: &Engine,
    gen: u64,
    conn: &mut Conn,
    session: &mut Session,
    timeout: Duration,
) -> LinkResult<()> {
    let inner = engine.inner();
    let repl = &inner.repl;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_io = inner.now_ms();
    let limits = Limits {
        max_bulk_len: usize::MAX / 2,
        ..Limits::default()
    };
    loop {
        if !current(engine, gen) {
            return Ok(());
        }
        if session.should_close() {
            return Err("the master client was killed".into());
        }
        if !conn.buf.is_empty() {
            apply(engine, conn, session, &limits).await?;
        }
        // Room for a full read: what is left of a batch may have left none.
        conn.buf.reserve(64 * 1024);
        tokio::select! {
            read = conn.tcp.read_buf(&mut conn.buf) => match read {
                Ok(0) => return Err("the primary closed the connection".into()),
                Ok(_) => {
                    last_io = inner.now_ms();
                    repl.update_upstream(gen, |u| u.last_io_ms = last_io);
                }
                Err(e) => return Err(e.to_string()),
            },
            _ = tick.tick() => {
                let end = repl.offset(inner);
                conn.send(&[b"REPLCONF", b"ACK", end.to_string().as_bytes()]).await?;
                if inner.now_ms().saturating_sub(last_io) > timeout.as_millis() as u64 {
                    return Err("timeout: no data from the primary".into());
                }
            }
        }
    }
}

/// Runs every complete command in the buffer as the primary's client, appending each to
/// this server's own stream (for its replicas) as received.
async fn apply(
    engine: &Engine,
    conn: &mut Conn,
    session: &mut Session,
    limits: &Limits,
) -> LinkResult<()> {
    let inner = engine.inner();
    let repl = &inner.repl;
    let batch: Bytes = conn.buf.split().freeze();
    let mut work = BytesMut::from(&batch[..]);
    let mut pos = 0;
    let mut acks = Vec::new();
    // The batch is applied, then appended to this server's own stream in one piece, with
    // full syncs of its own replicas held off meanwhile so offset and image agree.
    let guard = repl.applying_guard();
    let base = repl.offset(inner);
    loop {
        let before = work.len();
        let args = match parse_command(&mut work, limits) {
            Ok(Some(args)) => args,
            Ok(None) => break,
            Err(e) => {
                repl.proxy(inner, &batch[..pos]);
                return Err(format!("bad data from the primary: {e}"));
            }
        };
        let at = pos;
        pos += before - work.len();
        if args.is_empty() {
            continue;
        }
        let getack = args.len() >= 2
            && args[0].eq_ignore_ascii_case(b"replconf")
            && args[1].eq_ignore_ascii_case(b"getack");
        if getack {
            // The offset before this command, as Redis's replicas answer.
            acks.push(base + at as u64);
        } else {
            applying(|| drop(session.run(args)));
        }
    }
    repl.proxy(inner, &batch[..pos]);
    drop(guard);
    conn.buf = work;
    repl.set_stream_db(session.state().db);
    for ack in acks {
        conn.send(&[b"REPLCONF", b"ACK", ack.to_string().as_bytes()])
            .await?;
    }
    Ok(())
}
