//! The checker behind `shoal-server --check-aof PATH [--fix]`, reporting as redis-check-aof
//! does: per file, how far it is valid (`ok_up_to`) and, for a bad one, the offset of the
//! first bad command. `--fix` cuts the last file back to its valid part.

use super::codec::{Reader, Stop};
use super::manifest::{Kind, Manifest};
use crate::engine::Engine;
use std::fmt::Write as _;
use std::path::Path;

/// The result of a check: the report text and whether everything is (now) valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Lines to print.
    pub text: String,
    /// True if every file is valid, or was fixed.
    pub ok: bool,
}

/// Where an AOF file stops being valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    /// Bytes of valid commands from the start.
    pub ok_up_to: usize,
    /// Why the rest is not valid (None: the whole file is).
    pub problem: Option<String>,
}

/// Walks the commands of `data` without running them: structure, and MULTI/EXEC pairing.
pub fn scan(data: &[u8]) -> Scan {
    let mut r = Reader::new(data);
    let mut multi_at: Option<usize> = None;
    loop {
        let at = r.pos();
        let bad = |ok_up_to: usize, why: &str| Scan {
            ok_up_to,
            problem: Some(why.to_string()),
        };
        match r.next_command() {
            Ok(None) => {
                return match multi_at {
                    Some(m) => bad(m, "Reached EOF before reading EXEC for MULTI"),
                    None => Scan {
                        ok_up_to: at,
                        problem: None,
                    },
                }
            }
            Ok(Some(args)) => {
                let name = args[0].to_ascii_lowercase();
                match (name.as_slice(), multi_at) {
                    (b"multi", Some(_)) => return bad(at, "Unexpected MULTI"),
                    (b"multi", None) => multi_at = Some(at),
                    (b"exec", None) => return bad(at, "Unexpected EXEC"),
                    (b"exec", Some(_)) => multi_at = None,
                    _ => {}
                }
            }
            Err(Stop::Truncated) => {
                return bad(
                    multi_at.unwrap_or(at),
                    "Unexpected end of file (torn command)",
                )
            }
            Err(Stop::Corrupt(why)) => return bad(multi_at.unwrap_or(at), why),
            Err(Stop::Unknown(_)) => return bad(multi_at.unwrap_or(at), "unknown command"),
        }
    }
}

/// Checks `path`: a manifest (every file it lists, the last one fixable) or one file.
pub fn check(path: &Path, fix: bool) -> Report {
    let mut out = String::new();
    let is_manifest = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".manifest"));
    if !is_manifest {
        let ok = check_one(path, fix, true, &mut out);
        return Report { text: out, ok };
    }
    let _ = writeln!(out, "Start checking Multi Part AOF");
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(out, "Cannot open {}: {e}", path.display());
            return Report {
                text: out,
                ok: false,
            };
        }
    };
    let m = match Manifest::parse(&String::from_utf8_lossy(&text)) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(out, "{e}");
            return Report {
                text: out,
                ok: false,
            };
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let files: Vec<_> = m.load_order().collect();
    for (i, e) in files.iter().enumerate() {
        let what = if e.kind == Kind::Base { "BASE" } else { "INCR" };
        let _ = writeln!(out, "Start to check {what} AOF.");
        if !check_one(&dir.join(&e.name), fix, i + 1 == files.len(), &mut out) {
            return Report {
                text: out,
                ok: false,
            };
        }
    }
    let _ = writeln!(out, "All AOF files and manifest are valid");
    Report {
        text: out,
        ok: true,
    }
}

/// Checks one file, printing its analysis; fixes it when allowed. True if (now) valid.
fn check_one(path: &Path, fix: bool, last: bool, out: &mut String) -> bool {
    let name = path.display();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(out, "Cannot open file {name}: {e}");
            return false;
        }
    };
    if data.starts_with(b"REDIS") {
        return match Engine::new().load_rdb(path) {
            Ok(_) => {
                let _ = writeln!(out, "RDB preamble is OK, proceeding with AOF tail...");
                let _ = writeln!(out, "AOF {name} is valid");
                true
            }
            Err(e) => {
                let _ = writeln!(out, "RDB preamble of AOF file is not sane, aborting: {e}");
                false
            }
        };
    }
    let s = scan(&data);
    let lines = data[..s.ok_up_to].iter().filter(|&&c| c == b'\n').count();
    let _ = writeln!(
        out,
        "AOF analyzed: filename={name}, size={}, ok_up_to={}, ok_up_to_line={lines}, diff={}",
        data.len(),
        s.ok_up_to,
        data.len() - s.ok_up_to
    );
    let Some(problem) = s.problem else {
        let _ = writeln!(out, "AOF {name} is valid");
        return true;
    };
    let _ = writeln!(
        out,
        "0x{:>16x}: {problem} in {name} at offset {}",
        s.ok_up_to, s.ok_up_to
    );
    if !fix || !last {
        let _ = writeln!(
            out,
            "AOF {name} is not valid. Use the --fix option to try fixing it."
        );
        return false;
    }
    let cut = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(s.ok_up_to as u64).and_then(|_| f.sync_all()));
    match cut {
        Ok(()) => {
            let _ = writeln!(out, "Successfully truncated AOF {name}");
            true
        }
        Err(e) => {
            let _ = writeln!(out, "Failed to truncate AOF {name}: {e}");
            false
        }
    }
}
