//! DBSIZE, FLUSHDB, FLUSHALL and SWAPDB: whole-database commands.

use super::{check_db, parse_int32};
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use bytes::Bytes;
use shoal_resp::Frame;

/// `DBSIZE`: keys in the selected database, expired ones not yet reclaimed included.
pub(super) fn dbsize(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, _) = ctx.engine().db_size(ctx.session.db);
    Ok(Frame::Integer(keys as i64))
}

/// Accepts FLUSHDB's and FLUSHALL's optional `ASYNC` or `SYNC`; memory is freed as the
/// values drop either way.
fn parse_flush_mode(ctx: &mut Ctx<'_>) -> Result<(), CmdError> {
    if let Some(w) = ctx.args.next_arg() {
        if !is_word(&w, "ASYNC") && !is_word(&w, "SYNC") {
            return Err(CmdError::Syntax);
        }
    }
    ctx.args.finish()
}

/// `FLUSHDB [ASYNC|SYNC]`.
pub(super) fn flushdb(ctx: &mut Ctx<'_>) -> CmdResult {
    parse_flush_mode(ctx)?;
    let mut a = ctx.lock_all();
    a.touch_watched_flush(a.db);
    a.clear_db();
    a.emit(vec![Bytes::from_static(b"FLUSHDB")]);
    Ok(Frame::ok())
}

/// `FLUSHALL [ASYNC|SYNC]`.
pub(super) fn flushall(ctx: &mut Ctx<'_>) -> CmdResult {
    parse_flush_mode(ctx)?;
    let mut a = ctx.lock_all();
    for db in 0..ctx.databases() {
        a.touch_watched_flush(db);
    }
    a.clear_all();
    a.emit_global(vec![Bytes::from_static(b"FLUSHALL")]);
    drop(a);
    // As Redis: with save points configured, the now empty dataset is saved at once.
    let inner = ctx.engine();
    if !crate::rdb::file::save_points(inner).is_empty() {
        let _ = crate::rdb::file::save_after_flush(inner);
    }
    Ok(Frame::ok())
}

/// `SWAPDB index1 index2`: every shard is locked, so no command sees a half-swapped
/// keyspace.
pub(super) fn swapdb(ctx: &mut Ctx<'_>) -> CmdResult {
    let first = ctx.args.bytes()?;
    let second = ctx.args.bytes()?;
    let x = parse_int32(&first, CmdError::Msg("invalid first DB index"))?;
    let y = parse_int32(&second, CmdError::Msg("invalid second DB index"))?;
    let (x, y) = (check_db(ctx, x)?, check_db(ctx, y)?);
    let mut a = ctx.lock_all();
    a.touch_watched_swap(x, y);
    a.swap_dbs(x, y);
    a.signal_waited_keys(x);
    a.signal_waited_keys(y);
    a.emit_global(vec![
        Bytes::from_static(b"SWAPDB"),
        Bytes::from(x.to_string()),
        Bytes::from(y.to_string()),
    ]);
    Ok(Frame::ok())
}
