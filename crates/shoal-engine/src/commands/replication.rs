//! Replication commands: REPLICAOF (SLAVEOF), ROLE, WAIT, and what a replica sends its
//! primary (REPLCONF, PSYNC, SYNC). The state and the streaming live in [`crate::repl`].

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::{Args, Ctx};
use crate::repl::Hello;
use bytes::Bytes;
use shoal_resp::Frame;

/// `REPLICAOF host port` / `REPLICAOF NO ONE`.
fn replicaof(ctx: &mut Ctx<'_>) -> CmdResult {
    let host = ctx.args.bytes()?;
    let port = ctx.args.bytes()?;
    ctx.args.finish()?;
    let inner = ctx.engine();
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        if inner.repl.is_replica() {
            inner.repl.promote(inner);
            tracing::info!(
                "MASTER MODE enabled (user request from client {})",
                ctx.session.id()
            );
        }
        return Ok(Frame::ok());
    }
    let port = crate::util::num::parse_i64(&port)
        .filter(|p| (0..=65535).contains(p))
        .ok_or(CmdError::Msg("Invalid master port"))? as u16;
    let host = String::from_utf8_lossy(&host).into_owned();
    if let Some(u) = inner.repl.upstream() {
        if u.host.eq_ignore_ascii_case(&host) && u.port == port {
            return Ok(Frame::simple("OK Already connected to specified master"));
        }
    }
    tracing::info!(
        "REPLICAOF {host}:{port} enabled (user request from client {})",
        ctx.session.id()
    );
    inner.repl.follow(inner, host, port);
    Ok(Frame::ok())
}

/// `ROLE`.
fn role(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    Ok(crate::repl::role_reply(ctx.engine()))
}

/// `WAIT numreplicas timeout`: how many replicas acknowledged the writes so far, waiting up
/// to `timeout` ms (0: forever) for `numreplicas` of them.
fn wait(ctx: &mut Ctx<'_>) -> CmdResult {
    let need = ctx.args.int()?;
    let timeout = match crate::util::num::parse_i64(&ctx.args.bytes()?) {
        Some(t) if t < 0 => return Err(CmdError::Msg("timeout is negative")),
        Some(t) => t as u64,
        None => return Err(CmdError::Msg("timeout is not an integer or out of range")),
    };
    ctx.args.finish()?;
    let inner = ctx.engine();
    if inner.repl.is_replica() {
        return Err(CmdError::Msg("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
    }
    let offset = inner.effects.stream.end();
    let acked = inner.repl.acked(offset);
    if need <= 0 || acked >= need as usize {
        return Ok(Frame::Integer(acked as i64));
    }
    // Ask the replicas to acknowledge now rather than at their next second.
    inner
        .effects
        .stream
        .append_command(&[b"REPLCONF", b"GETACK", b"*"]);
    ctx.args = Args::new(
        vec![
            Bytes::from_static(b"WAIT"),
            Bytes::from(offset.to_string()),
            Bytes::from(need.to_string()),
        ],
        1,
    );
    Err(CmdError::Block {
        keys: Vec::new(),
        deadline_ms: if timeout == 0 {
            0
        } else {
            ctx.now_ms + timeout
        },
        on_timeout: Frame::Integer(acked as i64),
    })
}

/// `REPLCONF option value ...`: what a replica announces before PSYNC, and its ACKs.
fn replconf(ctx: &mut Ctx<'_>) -> CmdResult {
    if !ctx.args.remaining().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut hello = ctx.session.replica_hello.take().unwrap_or_default();
    let result = replconf_pairs(ctx, &mut hello);
    ctx.session.replica_hello = Some(hello);
    result
}

fn replconf_pairs(ctx: &mut Ctx<'_>, hello: &mut Hello) -> CmdResult {
    while ctx.args.remaining() > 0 {
        let opt = ctx.args.bytes()?.to_ascii_lowercase();
        let value = ctx.args.bytes()?;
        match opt.as_slice() {
            b"listening-port" => {
                let port = crate::util::num::parse_i64(&value).ok_or(CmdError::NotInteger)?;
                hello.port = port.clamp(0, 65535) as u16;
            }
            b"ip-address" => hello.ip = Some(String::from_utf8_lossy(&value).into_owned()),
            b"capa" => {
                if value.eq_ignore_ascii_case(b"eof") {
                    hello.eof = true;
                }
            }
            b"ack" | b"getack" => {
                // Only meaningful on a replica's link (handled there): no reply here.
                ctx.session.skip_this = true;
                return Ok(Frame::Null);
            }
            b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                return Err(CmdError::Text(format!(
                    "Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(&opt)
                )))
            }
        }
    }
    Ok(Frame::ok())
}

/// `PSYNC replid offset`: this connection becomes a replica's link; the server answers
/// `+FULLRESYNC` or `+CONTINUE` and streams from then on.
fn psync(ctx: &mut Ctx<'_>) -> CmdResult {
    let replid = ctx.args.bytes()?;
    let offset = ctx.args.int()?;
    if ctx.args.remaining() > 0 && ctx.args.eat("FAILOVER") {
        // The primary hands over to this replica: take over if we share its history.
        let inner = ctx.engine();
        let mine = inner.repl.position(inner).0;
        if replid.as_ref() != mine.as_bytes() {
            return Err(CmdError::Msg("PSYNC FAILOVER replid must match my replid."));
        }
        if inner.repl.is_replica() {
            tracing::info!("FAILOVER requested by my primary: taking over");
            inner.repl.promote(inner);
        }
    }
    take_over(ctx, replid, offset, false)
}

/// `FAILOVER [TO host port [FORCE]] [TIMEOUT ms]` / `FAILOVER ABORT`.
fn failover(ctx: &mut Ctx<'_>) -> CmdResult {
    let inner = ctx.engine();
    if ctx.args.remaining() == 1 && ctx.args.eat("ABORT") {
        if !inner
            .repl
            .abort_failover(inner, "aborted by FAILOVER ABORT")
        {
            return Err(CmdError::Msg("No failover in progress."));
        }
        return Ok(Frame::ok());
    }
    let (mut target, mut timeout, mut force) = (None, None, false);
    while ctx.args.remaining() > 0 {
        if target.is_none() && ctx.args.remaining() >= 3 && ctx.args.eat("TO") {
            let host = String::from_utf8_lossy(&ctx.args.bytes()?).into_owned();
            let port = ctx.args.int()?;
            target = Some((host, port.clamp(0, 65535) as u16));
        } else if timeout.is_none() && ctx.args.remaining() >= 2 && ctx.args.eat("TIMEOUT") {
            let ms = ctx.args.int()?;
            if ms <= 0 {
                return Err(CmdError::Msg("FAILOVER timeout must be greater than 0"));
            }
            timeout = Some(ms as u64);
        } else if !force && ctx.args.eat("FORCE") {
            force = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let repl = &inner.repl;
    if repl.failover_state() != "no-failover" {
        return Err(CmdError::Msg("FAILOVER already in progress."));
    }
    if repl.is_replica() {
        return Err(CmdError::Msg(
            "FAILOVER is not valid when server is a replica.",
        ));
    }
    let replicas = repl.replicas();
    if replicas.is_empty() {
        return Err(CmdError::Msg("FAILOVER requires connected replicas."));
    }
    if force && (timeout.is_none() || target.is_none()) {
        return Err(CmdError::Msg(
            "FAILOVER with force option requires both a timeout and target HOST and IP.",
        ));
    }
    if let Some((host, port)) = &target {
        match replicas.iter().find(|r| r.ip == *host && r.port == *port) {
            None => {
                return Err(CmdError::Msg(
                    "FAILOVER target HOST and PORT is not a replica.",
                ))
            }
            Some(r) if r.state != "online" => {
                return Err(CmdError::Msg("FAILOVER target replica is not online."))
            }
            Some(_) => {}
        }
    }
    tracing::info!("FAILOVER requested by client {}", ctx.session.id());
    repl.start_failover(crate::repl::failover_run(
        target,
        timeout.map_or(0, |t| ctx.now_ms + t),
        force,
    ));
    Ok(Frame::ok())
}

/// `SYNC`: the pre-PSYNC form; a full sync without the `+FULLRESYNC` line.
fn sync(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    take_over(ctx, Bytes::from_static(b"?"), -1, true)
}

fn take_over(ctx: &mut Ctx<'_>, replid: Bytes, offset: i64, sync: bool) -> CmdResult {
    let inner = ctx.engine();
    if inner.repl.is_replica() && !inner.repl.link_up() {
        return Err(CmdError::Coded {
            code: "NOMASTERLINK",
            msg: "Can't SYNC while not connected with my master".into(),
        });
    }
    let hello = ctx
        .session
        .replica_hello
        .get_or_insert_with(Default::default);
    hello.psync = Some((replid, offset));
    hello.sync = sync;
    // The reply is the link's first line, written by the server.
    ctx.session.skip_this = true;
    Ok(Frame::Null)
}

const ADMIN_ACL: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS;

/// Replication commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("replicaof", replicaof)
        .arity(3)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::STALE | flags::EXCLUSIVE)
        .acl(ADMIN_ACL)
        .group(Group::Server)
        .doc(
            "Makes the server a replica of another one, or a primary again with NO ONE.",
            "5.0.0",
            "O(1)",
        ),
    CommandSpec::new("slaveof", replicaof)
        .arity(3)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::STALE | flags::EXCLUSIVE)
        .acl(ADMIN_ACL)
        .group(Group::Server)
        .doc(
            "The old name of REPLICAOF.",
            "1.0.0",
            "O(1)",
        ),
    CommandSpec::new("role", role)
        .arity(1)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::ADMIN | acl::FAST | acl::DANGEROUS)
        .group(Group::Server)
        .doc(
            "Tells whether this server is a primary or a replica, with its replication offsets.",
            "2.8.12",
            "O(1)",
        ),
    CommandSpec::new("wait", wait)
        .arity(3)
        .flags(flags::NOSCRIPT)
        .acl(acl::SLOW | acl::CONNECTION)
        .group(Group::Generic)
        .doc(
            "Waits until the given number of replicas acknowledged this connection's writes, or the timeout.",
            "3.0.0",
            "O(1)",
        ),
    CommandSpec::new("failover", failover)
        .arity(-1)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::STALE)
        .acl(ADMIN_ACL)
        .group(Group::Server)
        .doc(
            "Hands this primary's role over to one of its replicas, pausing writes meanwhile.",
            "6.2.0",
            "O(1)",
        ),
    CommandSpec::new("replconf", replconf)
        .arity(-1)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::ALLOW_BUSY)
        .acl(ADMIN_ACL)
        .group(Group::Server)
        .doc(
            "What a replica tells its primary about itself, and its acknowledgements.",
            "3.0.0",
            "O(1)",
        ),
    CommandSpec::new("psync", psync)
        .arity(-3)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::NO_MULTI)
        .acl(ADMIN_ACL)
        .group(Group::Server)
        .doc(
            "Asks to follow this server from a replication id and offset.",
            "2.8.0",
            "O(1)",
        ),
    CommandSpec::new("sync", sync)
        .arity(1)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::NO_MULTI)
        .acl(ADMIN_ACL)
        .group(Group::Server)
        .doc(
            "Asks to follow this server with a full copy first.",
            "1.0.0",
            "O(1)",
        ),
];
