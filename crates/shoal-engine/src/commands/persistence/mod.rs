//! SAVE and LASTSAVE: synchronous RDB snapshots (see [`crate::rdb::file`]), and the checks
//! of the `dir`, `dbfilename` and `save` parameters.

pub mod aof;
#[cfg(test)]
mod tests;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::config::{Kind, Param};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::rdb::file;
use shoal_resp::Frame;

/// `SAVE`: writes the snapshot now. Declared exclusive, so it runs alone and the image is
/// point-in-time.
fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    match file::save(ctx.engine()) {
        Ok(()) => Ok(Frame::ok()),
        // Redis answers a bare `-ERR`; the reason goes to the log.
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
