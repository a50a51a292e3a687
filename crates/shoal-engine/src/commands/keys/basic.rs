//! DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, RENAMENX, COPY and MOVE.

use super::{db_index, lock_keys, SAME_OBJECT};
use crate::error::{CmdError, CmdResult};
use crate::exec::access_keys::Taken;
use crate::exec::{is_word, Ctx};
use crate::notify;
use bytes::Bytes;
use shoal_resp::Frame;

/// DEL and UNLINK: removes the keys, answers how many existed, and replicates the removal
/// of those that did under the command's own name.
fn delete_keys(ctx: &mut Ctx<'_>, name: &'static [u8]) -> CmdResult {
    let keys = ctx.args.rest();
    let mut a = lock_keys(ctx, &keys);
    let mut effect = vec![Bytes::from_static(name)];
    for k in &keys {
        if a.remove(k).is_some() {
            a.notify(notify::GENERIC, "del", k);
            effect.push(k.clone());
        }
    }
    let deleted = effect.len() - 1;
    if deleted > 0 {
        a.emit(effect);
    }
    Ok(Frame::Integer(deleted as i64))
}

/// `DEL key [key ...]`.
pub(super) fn del(ctx: &mut Ctx<'_>) -> CmdResult {
    delete_keys(ctx, b"DEL")
}

/// `UNLINK key [key ...]`: DEL's semantics; memory is freed as the values drop.
pub(super) fn unlink(ctx: &mut Ctx<'_>) -> CmdResult {
    delete_keys(ctx, b"UNLINK")
}

/// `EXISTS key [key ...]`: how many of the arguments exist, repeats counted each time.
pub(super) fn exists(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = ctx.args.rest();
    let mut a = lock_keys(ctx, &keys);
    let n = keys.iter().filter(|k| a.peek(k).is_some()).count();
    Ok(Frame::Integer(n as i64))
}

/// `TYPE key`: the value's type name, `none` for a missing key.
pub(super) fn type_cmd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    let name = match a.peek(&key) {
        Some(e) => e.value.value_type().name(),
        None => "none",
    };
    Ok(Frame::simple(name))
}

/// `TOUCH key [key ...]`: refreshes access times; answers how many keys exist.
pub(super) fn touch(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = ctx.args.rest();
    let mut a = lock_keys(ctx, &keys);
    let mut n = 0;
    for k in &keys {
        // TOUCH refreshes the access data even for a client in NO-TOUCH mode.
        if a.get(k).is_some() {
            a.force_touch(k);
            n += 1;
        }
    }
    Ok(Frame::Integer(n))
}

/// RENAME and RENAMENX: moves the value, its TTL and access time to the new name.
fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> CmdResult {
    let src = ctx.args.key()?;
    let dst = ctx.args.key()?;
    let mut a = ctx.lock(&[&src, &dst]);
    let done = |renamed: bool| match (nx, renamed) {
        (true, r) => Frame::Integer(i64::from(r)),
        (false, _) => Frame::ok(),
    };
    if a.get_for_write(&src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        return Ok(done(false));
    }
    if a.exists(&dst) && nx {
        return Ok(done(false));
    }
    let Some(t) = a.take(&src) else {
        return Err(CmdError::NoSuchKey);
    };
    a.put(&dst, t);
    a.notify(notify::GENERIC, "rename_from", &src);
    a.notify(notify::GENERIC, "rename_to", &dst);
    let name: &'static [u8] = if nx { b"RENAMENX" } else { b"RENAME" };
    a.emit(vec![Bytes::from_static(name), src, dst]);
    Ok(done(true))
}

/// `RENAME key newkey`.
pub(super) fn rename(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, false)
}

/// `RENAMENX key newkey`.
pub(super) fn renamenx(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, true)
}

/// COPY's options.
struct CopyOptions {
    db: usize,
    replace: bool,
}

fn parse_copy_options(ctx: &mut Ctx<'_>) -> Result<CopyOptions, CmdError> {
    let mut o = CopyOptions {
        db: ctx.session.db,
        replace: false,
    };
    while let Some(w) = ctx.args.next_arg() {
        if is_word(&w, "REPLACE") {
            o.replace = true;
        } else if is_word(&w, "DB") && ctx.args.remaining() > 0 {
            let arg = ctx.args.bytes()?;
            o.db = db_index(ctx, &arg, CmdError::NotInteger)?;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// `COPY source destination [DB destination-db] [REPLACE]`: 1 if copied, 0 if the source
/// is missing or the destination exists without REPLACE. The copy keeps the TTL.
pub(super) fn copy(ctx: &mut Ctx<'_>) -> CmdResult {
    let src = ctx.args.key()?;
    let dst = ctx.args.key()?;
    let o = parse_copy_options(ctx)?;
    let src_db = ctx.session.db;
    if src_db == o.db && src == dst {
        return Err(SAME_OBJECT);
    }
    let mut a = ctx.lock(&[&src, &dst]);
    let Some(value) = a.get_for_write(&src).map(|e| e.value.clone()) else {
        return Ok(Frame::Integer(0));
    };
    let expire = a.expire_at(&src);
    let lru = a.new_stamp();
    a.db = o.db;
    let blocked = a.exists(&dst) && !o.replace;
    if !blocked {
        a.put(&dst, Taken { value, expire, lru });
        a.notify(notify::GENERIC, "copy_to", &dst);
    }
    a.db = src_db;
    if blocked {
        return Ok(Frame::Integer(0));
    }
    let mut effect = vec![Bytes::from_static(b"COPY"), src, dst];
    if o.db != src_db {
        effect.push(Bytes::from_static(b"DB"));
        effect.push(Bytes::from(o.db.to_string()));
    }
    if o.replace {
        effect.push(Bytes::from_static(b"REPLACE"));
    }
    a.emit(effect);
    Ok(Frame::Integer(1))
}

/// `MOVE key db`: 1 if moved; 0 if the key is missing here or present there. Keeps the
/// TTL. Every database of a key lives in the same shard, so one lock covers both.
pub(super) fn move_cmd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let arg = ctx.args.bytes()?;
    let dst_db = db_index(ctx, &arg, CmdError::NotInteger)?;
    let src_db = ctx.session.db;
    if dst_db == src_db {
        return Err(SAME_OBJECT);
    }
    let mut a = ctx.lock1(&key);
    if a.get_for_write(&key).is_none() {
        return Ok(Frame::Integer(0));
    }
    a.db = dst_db;
    let taken_there = a.exists(&key);
    a.db = src_db;
    if taken_there {
        return Ok(Frame::Integer(0));
    }
    let Some(t) = a.take(&key) else {
        return Ok(Frame::Integer(0));
    };
    a.db = dst_db;
    a.put(&key, t);
    a.db = src_db;
    a.notify(notify::GENERIC, "move_from", &key);
    a.db = dst_db;
    a.notify(notify::GENERIC, "move_to", &key);
    a.db = src_db;
    a.emit(vec![
        Bytes::from_static(b"MOVE"),
        key,
        Bytes::from(dst_db.to_string()),
    ]);
    Ok(Frame::Integer(1))
}
