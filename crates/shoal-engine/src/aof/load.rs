//! Loading the AOF at start-up: the base (RDB image or commands), then every incremental
//! file in manifest order, replayed through the executor. A torn last command of the last
//! file is cut off when `aof-load-truncated` is yes; anything else refuses to start, naming
//! the file and the offset.

use super::codec::{Reader, Stop};
use super::manifest::{self, Entry, Manifest};
use super::rewrite::{persist_manifest, read_manifest};
use super::{aof_dir, manifest_path, prefix, writer};
use crate::engine::{Engine, Inner};
use bytes::Bytes;
use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;

/// Why the AOF could not be loaded (or checked): the message names the file and offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AofError(pub String);

/// What replaying one file did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Commands executed (MULTI and EXEC not counted).
    pub commands: usize,
    /// Bytes cut off a torn tail (0 if none).
    pub truncated: u64,
}

/// Loads the configured AOF and starts the writer (see [`Engine::open_aof`]).
pub(crate) fn open(engine: &Engine) -> Result<(), AofError> {
    let inner = engine.inner();
    let dir = aof_dir(inner);
    let mut m = read_manifest(&manifest_path(inner)).map_err(AofError)?;
    if m.is_none() {
        m = upgrade_legacy(inner, &dir)?;
    }
    let Some(mut m) = m.filter(|m| m.base.is_some() || !m.incr.is_empty()) else {
        tracing::info!("Creating AOF base file on server start");
        return super::rewrite::run_now(inner, true).map_err(AofError);
    };
    load_manifest(engine, &dir, &m)?;
    let prefix = prefix(inner);
    let history: Vec<Entry> = std::mem::take(&mut m.history);
    for h in &history {
        let _ = std::fs::remove_file(dir.join(&h.name));
    }
    if m.incr.is_empty() {
        let seq = m.next_incr_seq();
        m.incr.push(Entry {
            name: manifest::incr_name(&prefix, seq),
            seq,
            kind: manifest::Kind::Incr,
        });
    }
    if !history.is_empty() || m.incr.len() == 1 {
        persist_manifest(&dir, &prefix, &m).map_err(AofError)?;
    }
    let size: u64 = m
        .load_order()
        .filter_map(|e| std::fs::metadata(dir.join(&e.name)).ok())
        .map(|md| md.len())
        .sum();
    let last = m.incr.last().map(|e| dir.join(&e.name));
    *inner.aof.manifest.lock() = m;
    inner.aof.stats.current_size.store(size, SeqCst);
    inner.aof.stats.base_size.store(size, SeqCst);
    let _alone = inner.gate.exclusive();
    match last {
        Some(path) => writer::start(inner, &path).map_err(AofError),
        None => Err(AofError("no incremental AOF file to append to".into())),
    }
}

/// A single-file AOF of Redis before 7 (`<dir>/<appendfilename>`) becomes the base of a
/// multi-part AOF, as Redis 7 upgrades it: moved into the AOF directory under its own name
/// and listed in a new manifest. A file with an RDB preamble followed by commands is
/// refused (Shoal reads RDB images whole); Redis 7 started on it once converts it.
fn upgrade_legacy(inner: &Inner, dir: &Path) -> Result<Option<Manifest>, AofError> {
    let name = prefix(inner);
    let root = dir.parent().unwrap_or(Path::new("."));
    let legacy = root.join(&name);
    if !legacy.is_file() {
        return Ok(None);
    }
    let fail = |e: std::io::Error| AofError(format!("{}: {e}", legacy.display()));
    let mut head = [0u8; 5];
    let n = std::io::Read::read(&mut std::fs::File::open(&legacy).map_err(fail)?, &mut head)
        .map_err(fail)?;
    if &head[..n] == b"REDIS" {
        return Err(AofError(format!(
            "{} is a single-file AOF with an RDB preamble: Shoal loads the multi-part layout \
             of Redis 7; start Redis 7 on it once to convert it",
            legacy.display()
        )));
    }
    tracing::info!(
        "Upgrading the single-file AOF {} to the multi-part layout",
        legacy.display()
    );
    std::fs::create_dir_all(dir).map_err(|e| AofError(format!("{}: {e}", dir.display())))?;
    std::fs::rename(&legacy, dir.join(&name)).map_err(fail)?;
    let m = Manifest {
        base: Some(Entry {
            name: name.clone(),
            seq: 1,
            kind: manifest::Kind::Base,
        }),
        ..Manifest::default()
    };
    persist_manifest(dir, &name, &m).map_err(AofError)?;
    Ok(Some(m))
}

/// Loads every file `m` lists from `dir` into the engine.
pub fn load_manifest(engine: &Engine, dir: &Path, m: &Manifest) -> Result<(), AofError> {
    let started = std::time::Instant::now();
    let files: Vec<&Entry> = m.load_order().collect();
    let truncate_ok = engine.inner().config.get_bool("aof-load-truncated");
    let mut commands = 0;
    for (i, e) in files.iter().enumerate() {
        let path = dir.join(&e.name);
        let last = i + 1 == files.len();
        let is_base = e.kind == manifest::Kind::Base;
        let r = load_file(engine, &path, is_base, last && truncate_ok)?;
        commands += r.commands;
    }
    tracing::info!(
        "DB loaded from append only file: {commands} commands in {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Loads one file: an RDB image when it starts with `REDIS`, else commands.
/// `may_truncate`: a torn tail is cut off instead of refusing.
pub fn load_file(
    engine: &Engine,
    path: &Path,
    is_base: bool,
    may_truncate: bool,
) -> Result<Replayed, AofError> {
    let name = path.display().to_string();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        // Redis tolerates a missing empty incremental file; a missing base is fatal.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_base => {
            return Ok(Replayed::default())
        }
        Err(e) => {
            return Err(AofError(format!(
                "Fatal error: can't open the append log file {name} for reading: {e}"
            )))
        }
    };
    if data.starts_with(b"REDIS") {
        let st = engine.load_rdb(path).map_err(|e| AofError(e.to_string()))?;
        tracing::info!("Reading RDB base file on AOF loading...: {} keys", st.keys);
        return Ok(Replayed::default());
    }
    let outcome = replay(engine, &data);
    match outcome.stop {
        None => Ok(outcome.done),
        Some((at, Stop::Truncated)) if may_truncate => {
            truncate(path, at, data.len())?;
            Ok(Replayed {
                truncated: (data.len() - at) as u64,
                ..outcome.done
            })
        }
        Some((at, Stop::Truncated)) => Err(AofError(format!(
            "Unexpected end of file reading the append only file {name} at offset {at}. \
             You can: 1) Make a backup of your AOF file, then use shoal-server --check-aof \
             --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' \
             configuration option to yes and restart the server."
        ))),
        Some((at, Stop::Unknown(cmd))) => Err(AofError(format!(
            "Unknown command '{}' reading the append only file {name} at offset {at}",
            String::from_utf8_lossy(&cmd)
        ))),
        Some((at, Stop::Corrupt(why))) => Err(AofError(format!(
            "Bad file format reading the append only file {name} at offset {at} ({why}): \
             make a backup of your AOF file, then use shoal-server --check-aof --fix \
             <filename.manifest>"
        ))),
    }
}

fn truncate(path: &Path, at: usize, len: usize) -> Result<(), AofError> {
    let name = path.display();
    tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
    tracing::warn!(
        "!!! Truncating the AOF {name} at offset {at} ({} bytes cut) !!!",
        len - at
    );
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| AofError(format!("{name}: {e}")))?;
    f.set_len(at as u64)
        .and_then(|_| f.sync_all())
        .map_err(|e| AofError(format!("Error truncating the AOF file {name}: {e}")))?;
    tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    Ok(())
}

/// What [`replay`] did and where it stopped early.
pub struct Outcome {
    /// Commands run.
    pub done: Replayed,
    /// Offset of the first command not applied and why, or None if all were.
    pub stop: Option<(usize, Stop)>,
}

/// Runs every command of `data` through the executor, a transaction (MULTI .. EXEC) at
/// once; a transaction without its EXEC at the end counts as a torn tail from its MULTI.
pub fn replay(engine: &Engine, data: &[u8]) -> Outcome {
    let inner = engine.inner();
    let mut session = engine.session();
    let mut r = Reader::new(data);
    let mut done = Replayed::default();
    let mut multi: Option<(usize, Vec<Vec<Bytes>>)> = None;
    loop {
        let at = r.pos();
        let args = match r.next_command() {
            Ok(Some(args)) => args,
            Ok(None) => break,
            Err(stop) => {
                let at = multi.as_ref().map_or(at, |(m, _)| *m);
                return Outcome {
                    done,
                    stop: Some((at, stop)),
                };
            }
        };
        if inner.commands().get(&args[0]).is_none() {
            return Outcome {
                done,
                stop: Some((at, Stop::Unknown(args[0].clone()))),
            };
        }
        match (args[0].to_ascii_lowercase().as_slice(), multi.as_mut()) {
            (b"multi", None) => multi = Some((at, Vec::new())),
            (b"exec", Some(_)) => {
                for cmd in multi.take().map(|m| m.1).unwrap_or_default() {
                    run(inner, session.state_mut(), cmd);
                    done.commands += 1;
                }
            }
            (_, Some((_, queued))) => queued.push(args),
            (_, None) => {
                run(inner, session.state_mut(), args);
                done.commands += 1;
            }
        }
    }
    Outcome {
        done,
        stop: multi.map(|(at, _)| (at, Stop::Truncated)),
    }
}

fn run(inner: &Inner, st: &mut crate::session::SessionState, args: Vec<Bytes>) {
    let now = inner.now_ms();
    let reply = inner.run_inner(st, args, now);
    if let shoal_resp::Frame::Error(e) = &reply {
        tracing::debug!("AOF command answered an error: {e:?}");
    }
}
