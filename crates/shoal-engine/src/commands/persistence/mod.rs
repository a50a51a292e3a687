//! SAVE and LASTSAVE: synchronous RDB snapshots (see [`crate::rdb::file`]), and the checks
//! of the `dir`, `dbfilename` and `save` parameters.

pub mod aof;
#[cfg(test)]
mod tests;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::config::{Kind, Param};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::rdb::{file, snapshot};
use shoal_resp::Frame;

/// `SAVE`: writes the snapshot now. Declared exclusive, so it runs alone and the image is
/// point-in-time.
fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    if file::state(ctx.engine()).bgsave_started_ms.is_some() {
        return Err(CmdError::Msg("Background save already in progress"));
    }
    match file::save(ctx.engine()) {
        Ok(()) => Ok(Frame::ok()),
        // Redis answers a bare `-ERR`; the reason goes to the log.
        Err(_) => Err(CmdError::Msg("")),
    }
}

/// `BGSAVE [SCHEDULE]`: starts writing the snapshot from a thread of its own and answers at
/// once. Declared exclusive: the image is taken between commands, then clients go on while
/// it is written. With SCHEDULE, a save that cannot start now because another snapshot (an
/// AOF rewrite) is being written starts as soon as that one ends.
fn bgsave(ctx: &mut Ctx<'_>) -> CmdResult {
    let schedule = match ctx.args.remaining() {
        0 => false,
        1 if ctx.args.eat("SCHEDULE") => true,
        _ => return Err(CmdError::Syntax),
    };
    let inner = ctx.engine();
    let st = file::state(inner);
    if st.bgsave_started_ms.is_some() {
        return Err(CmdError::Msg("Background save already in progress"));
    }
    // Inside EXEC the snapshot's point would fall inside the transaction: scheduled, as
    // Redis does.
    if snapshot::running(inner) || ctx.session.in_exec {
        if schedule || ctx.session.in_exec {
            inner.persist.update(|st| st.bgsave_scheduled = true);
            return Ok(Frame::simple("Background saving scheduled"));
        }
        return Err(CmdError::Msg(
            "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ));
    }
    match file::bgsave(inner) {
        Ok(()) => Ok(Frame::simple("Background saving started")),
        Err(_) => Err(CmdError::Msg("")),
    }
}

/// `LASTSAVE`: unix seconds of the last successful save (start-up time before any).
fn lastsave(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    Ok(Frame::Integer(file::state(ctx.engine()).last_save as i64))
}

/// Checks `dir`: an existing directory. Paths are resolved against it (Shoal does not
/// change the process's working directory).
pub fn normalize_dir(v: &str, _cur: &str) -> Result<(String, i64), String> {
    match std::fs::metadata(v) {
        Ok(m) if m.is_dir() => Ok((v.to_string(), 0)),
        Ok(_) => Err("Not a directory".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("No such file or directory".into())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Checks `dbfilename`: a plain file name.
pub fn normalize_dbfilename(v: &str, _cur: &str) -> Result<(String, i64), String> {
    if v.contains('/') || v.contains(std::path::MAIN_SEPARATOR) {
        return Err("dbfilename can't be a path, just a filename".into());
    }
    Ok((v.to_string(), 0))
}

/// Checks `save`: pairs of `<seconds> <changes>` separated by single spaces (seconds at
/// least 1, changes at least 0), or empty for none.
pub fn normalize_save(v: &str, _cur: &str) -> Result<(String, i64), String> {
    if v.is_empty() {
        return Ok((String::new(), 0));
    }
    let words: Vec<&str> = v.split(' ').collect();
    if !words.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    for (i, w) in words.iter().enumerate() {
        let min = if i % 2 == 0 { 1 } else { 0 };
        match crate::util::num::parse_i64(w.as_bytes()) {
            Some(n) if n >= min => {}
            _ => return Err("Invalid save parameters".into()),
        }
    }
    Ok((v.to_string(), 0))
}

/// The snapshot parameters.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    Param {
        name: "dir",
        kind: Kind::Custom(normalize_dir),
        default: ".",
        immutable: false,
    },
    Param {
        name: "dbfilename",
        kind: Kind::Custom(normalize_dbfilename),
        default: "dump.rdb",
        immutable: false,
    },
    Param {
        name: "save",
        kind: Kind::Custom(normalize_save),
        default: "3600 1 300 100 60 10000",
        immutable: false,
    },
    Param {
        name: "rdbcompression",
        kind: Kind::Bool,
        default: "yes",
        immutable: false,
    },
    Param {
        name: "stop-writes-on-bgsave-error",
        kind: Kind::Bool,
        default: "yes",
        immutable: false,
    },
    // Like Redis, set only at start-up.
    Param {
        name: "rdbchecksum",
        kind: Kind::Bool,
        default: "yes",
        immutable: true,
    },
];

/// The family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("save", save)
        .arity(1)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::NO_MULTI | flags::EXCLUSIVE)
        .group(Group::Server)
        .doc(
            "Writes a point-in-time snapshot of every database to disk, blocking meanwhile.",
            "1.0.0",
            "O(N) where N is the total number of keys in all databases",
        ),
    CommandSpec::new("bgsave", bgsave)
        .arity(-1)
        .flags(flags::ADMIN | flags::NOSCRIPT | flags::EXCLUSIVE)
        .group(Group::Server)
        .doc(
            "Writes a point-in-time snapshot of every database to disk while clients go on.",
            "1.0.0",
            "O(1)",
        ),
    CommandSpec::new("lastsave", lastsave)
        .arity(1)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .group(Group::Server)
        .doc(
            "Tells when the last successful snapshot was written, in unix seconds.",
            "1.0.0",
            "O(1)",
        ),
];
