//! Users from the configuration (`user` lines) and from the ACL file (`aclfile`): start-up,
//! ACL LOAD and ACL SAVE.

use super::user::{merge_selectors, RuleError, User};
use super::{pubsub_default, Acl};
use crate::config::Config;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Checks a `user name rules...` line of the configuration file (without the `user` word)
/// the way Redis does while reading it: the text of the first bad rule, or Ok. Unknown
/// commands pass here (they may be added later), as in Redis.
pub fn validate_user_line(words: &[String]) -> Result<(), String> {
    let table = crate::commands::table();
    let ids = super::ids::CommandIds::new(&table);
    let args: Vec<Bytes> = words
        .iter()
        .skip(1)
        .map(|w| Bytes::from(w.clone()))
        .collect();
    let merged = merge_selectors(&args).map_err(|i| {
        format!(
            "Error in user declaration '{}': Unmatched parenthesis in acl selector",
            words.get(i + 1).map_or("", |s| s.as_str())
        )
    })?;
    let mut u = User::new(Bytes::new(), &ids, super::user::PubsubDefault(false));
    for op in &merged {
        match u.apply(&ids, op, super::user::PubsubDefault(false)) {
            Ok(()) | Err(RuleError::Unknown) => {}
            Err(e) => {
                return Err(format!(
                    "Error in user declaration '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                ))
            }
        }
    }
    Ok(())
}

/// Loads the users given at start-up: the configuration's `user` lines, or the ACL file.
pub(crate) fn load_startup(acl: &Acl, config: &Config) -> Result<(), String> {
    let lines = config.startup_users.lock().clone();
    let path = config.get("aclfile").unwrap_or_default();
    if !path.is_empty() && !lines.is_empty() {
        return Err(
            "Configuring Redis with users defined in redis.conf and at the same setting \
                    an ACL file path is invalid. This setup is very likely to lead to \
                    configuration errors and security holes, please define either an ACL file \
                    or declare users directly in your redis.conf, but not both."
                .into(),
        );
    }
    let pubsub = pubsub_default(config);
    let mut changed: BTreeMap<Bytes, User> = BTreeMap::new();
    for words in &lines {
        let Some(name) = words.first() else { continue };
        let name = Bytes::from(name.clone());
        let mut u = match name.as_ref() {
            b"default" => {
                let mut d = acl
                    .get(b"default")
                    .map(|u| (*u).clone())
                    .unwrap_or_else(|| User::default_user(&acl.ids, pubsub));
                let _ = d.apply(&acl.ids, b"reset", pubsub);
                d
            }
            _ => User::new(name.clone(), &acl.ids, pubsub),
        };
        let args: Vec<Bytes> = words[1..].iter().map(|w| Bytes::from(w.clone())).collect();
        let merged = merge_selectors(&args).unwrap_or(args);
        for op in &merged {
            u.apply(&acl.ids, op, pubsub).map_err(|e| {
                format!(
                    "Error loading ACL rule '{}' for the user named '{}': {}",
                    String::from_utf8_lossy(op),
                    String::from_utf8_lossy(&name),
                    e.message()
                )
            })?;
        }
        changed.insert(name, u);
    }
    if !changed.is_empty() {
        acl.install(changed.into_values().collect());
    }
    if !path.is_empty() {
        let users = parse_file(acl, config, &path)
            .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        acl.replace_all(users);
    }
    Ok(())
}

/// Reads the ACL file into a full set of users, or every problem found in one line of
/// text (nothing is changed then).
pub(crate) fn parse_file(
    acl: &Acl,
    config: &Config,
    path: &str,
) -> Result<BTreeMap<Bytes, Arc<User>>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            strerror(&e)
        )
    })?;
    let pubsub = pubsub_default(config);
    let mut users: BTreeMap<Bytes, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
        let line = raw.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let argv: Vec<Bytes> = line
            .split(|&c| c == b' ')
            .map(Bytes::copy_from_slice)
            .collect();
        if argv[0].as_ref() != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{n} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1].clone();
        if users.contains_key(&name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {n}. ",
                String::from_utf8_lossy(&name)
            ));
            continue;
        }
        let mut u = User::new(name.clone(), &acl.ids, pubsub);
        let Ok(ops) = merge_selectors(&argv[2..]) else {
            errors.push_str(&format!(
                "{path}:{n}: Unmatched parenthesis in selector definition."
            ));
            continue;
        };
        let mut syntax_error = false;
        for op in &ops {
            let op = op.trim_ascii();
            match u.apply(&acl.ids, op, pubsub) {
                Ok(()) => {}
                Err(e @ RuleError::Unknown) => errors.push_str(&format!(
                    "{path}:{n}: Error in applying operation '{}': {}. ",
                    String::from_utf8_lossy(op),
                    e.message()
                )),
                Err(e) if !syntax_error => {
                    syntax_error = true;
                    errors.push_str(&format!("{path}:{n}: {}. ", e.message()));
                }
                Err(_) => {}
            }
        }
        users.insert(name, u);
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        return Err(errors);
    }
    if !users.contains_key(b"default".as_slice()) {
        let d = User::default_user(&acl.ids, pubsub);
        users.insert(d.name.clone(), d);
    }
    Ok(users.into_iter().map(|(k, u)| (k, Arc::new(u))).collect())
}

/// Writes every user to `path` (through a temporary file renamed over it).
pub(crate) fn save_file(acl: &Acl, path: &str) -> std::io::Result<()> {
    let mut text = String::new();
    for u in acl.users() {
        text.push_str("user ");
        text.push_str(&String::from_utf8_lossy(&u.name));
        text.push(' ');
        text.push_str(&u.describe());
        text.push('\n');
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let written = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// An I/O error as C's `strerror` words it (without Rust's "(os error N)").
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
