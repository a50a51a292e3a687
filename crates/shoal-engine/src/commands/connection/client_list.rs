//! CLIENT LIST and CLIENT INFO: one `field=value` line per client, in Redis 7.2's order.

use crate::clients::ClientHandle;
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use bytes::Bytes;
use shoal_resp::Frame;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

/// Client classes CLIENT LIST / KILL filter on. A client subscribed to anything is `PubSub`,
/// every other one `Normal` (there are no replication links yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ClientType {
    Normal,
    Master,
    Replica,
    PubSub,
}

impl ClientType {
    /// The class `c` is in now.
    pub(super) fn of(c: &ClientHandle) -> ClientType {
        match c.role.load(Relaxed) {
            crate::clients::ROLE_REPLICA => return ClientType::Replica,
            crate::clients::ROLE_MASTER => return ClientType::Master,
            _ => {}
        }
        if c.subscriptions.iter().any(|n| n.load(Relaxed) > 0) {
            ClientType::PubSub
        } else {
            ClientType::Normal
        }
    }

    /// Parses a type name as Redis accepts it (`slave` is `replica`).
    pub(super) fn parse(name: &[u8]) -> Result<ClientType, CmdError> {
        match name.to_ascii_lowercase().as_slice() {
            b"normal" => Ok(ClientType::Normal),
            b"master" => Ok(ClientType::Master),
            b"replica" | b"slave" => Ok(ClientType::Replica),
            b"pubsub" => Ok(ClientType::PubSub),
            _ => Err(CmdError::text(format!(
                "Unknown client type '{}'",
                String::from_utf8_lossy(name)
            ))),
        }
    }
}

fn text(b: &Option<Bytes>) -> String {
    b.as_ref()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// One client's line, with its trailing newline. `argv_mem` is the size of the command being
/// run when the line describes the caller itself.
pub(crate) fn info_line(
    out: &mut String,
    c: &ClientHandle,
    now_ms: u64,
    no_touch: bool,
    argv_mem: usize,
) {
    let secs = |since: u64| now_ms.saturating_sub(since) / 1000;
    let mut flags = String::new();
    match c.role.load(Relaxed) {
        crate::clients::ROLE_REPLICA => flags.push('S'),
        crate::clients::ROLE_MASTER => flags.push('M'),
        _ => {}
    }
    if c.no_evict.load(Relaxed) {
        flags.push('e');
    }
    if no_touch {
        flags.push('T');
    }
    let subs: Vec<usize> = c.subscriptions.iter().map(|n| n.load(Relaxed)).collect();
    if subs.iter().any(|&n| n > 0) {
        flags.push('P');
    }
    let multi = c.multi.load(Relaxed);
    if multi >= 0 {
        flags.push('x');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let qbuf = c.qbuf.load(Relaxed);
    let omem = c.omem.load(Relaxed);
    let (lib_name, lib_ver) = {
        let lib = c.lib.lock();
        (text(&lib.0), text(&lib.1))
    };
    let _ = writeln!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub={} multi={} qbuf={} qbuf-free=0 argv-mem={} multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 \
         omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={} lib-name={} \
         lib-ver={}",
        c.id,
        c.info.addr,
        c.info.laddr,
        c.info.fd,
        text(&c.name.lock()),
        secs(c.created_ms),
        secs(c.last_interaction_ms.load(Relaxed)),
        flags,
        c.db.load(Relaxed),
        subs[0],
        subs[1],
        subs[2],
        multi,
        qbuf,
        argv_mem,
        omem,
        qbuf + omem + argv_mem,
        c.last_cmd.lock(),
        String::from_utf8_lossy(&c.user.lock()),
        c.resp.load(Relaxed),
        lib_name,
        lib_ver,
    );
}

fn line_for(ctx: &Ctx<'_>, out: &mut String, c: &ClientHandle) {
    let me = c.id == ctx.session.id();
    let argv_mem = if me {
        ctx.args.all().iter().map(|a| a.len()).sum()
    } else {
        0
    };
    // NO-TOUCH is session state; only the caller's own is visible here.
    let no_touch = me && ctx.session.no_touch;
    info_line(out, c, ctx.now_ms, no_touch, argv_mem);
}

fn verbatim(s: String) -> Frame {
    Frame::Verbatim {
        format: *b"txt",
        data: Bytes::from(s),
    }
}

/// `CLIENT INFO`.
pub(super) fn client_info(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut out = String::new();
    let handle = ctx.session.handle.clone();
    line_for(ctx, &mut out, &handle);
    Ok(verbatim(out))
}

/// `CLIENT LIST [TYPE type] [ID id [id ...]]`.
pub(super) fn client_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut kind = None;
    let mut ids: Option<Vec<u64>> = None;
    if ctx.args.remaining() == 2 && ctx.args.eat("TYPE") {
        kind = Some(ClientType::parse(&ctx.args.bytes()?)?);
    } else if ctx.args.remaining() >= 2 && ctx.args.eat("ID") {
        let mut v = Vec::new();
        for arg in ctx.args.rest() {
            match crate::util::num::parse_i64(&arg) {
                Some(id) if id >= 1 => v.push(id as u64),
                _ => return Err(CmdError::Msg("Invalid client ID")),
            }
        }
        ids = Some(v);
    } else if ctx.args.remaining() != 0 {
        return Err(CmdError::Syntax);
    }
    let clients = ctx.engine().clients.all();
    let mut out = String::new();
    match ids {
        // Listed ids come out in the order given.
        Some(ids) => {
            for c in ids
                .iter()
                .filter_map(|id| clients.iter().find(|c| c.id == *id))
            {
                line_for(ctx, &mut out, c);
            }
        }
        None => {
            for c in clients
                .iter()
                .filter(|c| kind.is_none_or(|k| k == ClientType::of(c)))
            {
                line_for(ctx, &mut out, c);
            }
        }
    }
    Ok(verbatim(out))
}
