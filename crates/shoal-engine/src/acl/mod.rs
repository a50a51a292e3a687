//! Authentication and access control as in Redis 7: users with passwords, command, key and
//! channel permissions in selectors, `requirepass` as the `default` user's password, the
//! ACL LOG, and the ACL file.
//!
//! ```text
//!   AUTH / HELLO AUTH ──► Acl::authenticate ──► SessionState.acl (user snapshot + epoch)
//!   every command ──► Inner::acl_refusal ──fast path: unrestricted user, same epoch──► run
//!                                          └─ check::check(user, spec, args) ──► NOPERM + log
//! ```
//!
//! Users live behind one lock; every change bumps an epoch. A session keeps an `Arc` of its
//! user and the epoch it read it at, so a command costs one atomic load when nothing changed.

pub mod check;
mod file;
mod gate;
pub mod ids;
mod keyspecs;
pub mod log;
pub mod selector;
pub mod user;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;

pub use check::Denied;
pub use user::{hash_password, RuleError, User};

use crate::config::{Config, Kind, Param};
use bytes::Bytes;
use ids::CommandIds;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use user::PubsubDefault;

/// The configuration parameters of authentication and ACLs.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    Param {
        name: "requirepass",
        kind: Kind::Str,
        default: "",
        immutable: false,
    },
    Param {
        name: "aclfile",
        kind: Kind::Str,
        default: "",
        immutable: true,
    },
    Param {
        name: "protected-mode",
        kind: Kind::Bool,
        default: "yes",
        immutable: false,
    },
    Param {
        name: "acllog-max-len",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        default: "128",
        immutable: false,
    },
    Param {
        name: "acl-pubsub-default",
        kind: Kind::Enum(&["allchannels", "resetchannels"]),
        default: "resetchannels",
        immutable: false,
    },
];

/// The flag of category `name` (without `@`), any case.
pub(crate) fn category_flag(name: &str) -> Option<u64> {
    crate::command::acl::NAMES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(f, _)| *f)
}

/// Who a session is, as far as ACLs go.
#[derive(Clone)]
pub struct AclSession {
    /// The user, as it was at `epoch`.
    pub(crate) user: Arc<User>,
    /// The ACL epoch `user` was read at.
    pub(crate) epoch: u64,
    /// Logged in (or the default user needed no password when the client connected).
    pub(crate) authenticated: bool,
    /// `user` may run anything: no check at all while the epoch holds.
    pub(crate) unrestricted: bool,
}

impl Default for AclSession {
    /// The unrestricted `default` user, authenticated: what sessions inside the engine
    /// (served blocked commands) run as until told otherwise.
    fn default() -> Self {
        static ALL: OnceLock<Arc<User>> = OnceLock::new();
        let user = ALL.get_or_init(|| {
            let ids = CommandIds::new(&crate::command::CommandTable::new([]));
            Arc::new(User::default_user(&ids, PubsubDefault(true)))
        });
        AclSession {
            user: user.clone(),
            epoch: 0,
            authenticated: true,
            unrestricted: true,
        }
    }
}

impl AclSession {
    /// The user's name.
    pub fn username(&self) -> &Bytes {
        &self.user.name
    }
}

/// Every user, the ACL log, and what is derived from them.
pub struct Acl {
    pub(crate) ids: CommandIds,
    /// Held by what reads, changes and writes back users (ACL SETUSER, DELUSER, LOAD), so
    /// two of them never lose each other's change.
    pub(crate) writer: Mutex<()>,
    users: RwLock<BTreeMap<Bytes, Arc<User>>>,
    epoch: AtomicU64,
    pub(crate) log: Mutex<log::AclLog>,
    /// What went wrong loading users at start-up (the server refuses to start).
    startup_error: Mutex<Option<String>>,
}

impl Acl {
    /// The users of a new engine: `default` (with `requirepass`), then the `user` lines
    /// of the configuration or the users of `aclfile`.
    pub(crate) fn new(table: &crate::command::CommandTable, config: &Config) -> Acl {
        let ids = CommandIds::new(table);
        let pubsub = pubsub_default(config);
        let mut users = BTreeMap::new();
        let mut default = User::default_user(&ids, pubsub);
        let pass = config.get("requirepass").unwrap_or_default();
        if !pass.is_empty() {
            set_password(&mut default, &ids, pass.as_bytes());
        }
        users.insert(default.name.clone(), Arc::new(default));
        let acl = Acl {
            ids,
            writer: Mutex::new(()),
            users: RwLock::new(users),
            epoch: AtomicU64::new(1),
            log: Mutex::new(log::AclLog::default()),
            startup_error: Mutex::new(None),
        };
        if let Err(e) = file::load_startup(&acl, config) {
            *acl.startup_error.lock() = Some(e);
        }
        acl
    }

    /// The current epoch: changes whenever any user does.
    #[inline]
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// A user by name.
    pub fn get(&self, name: &[u8]) -> Option<Arc<User>> {
        self.users.read().get(name).cloned()
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.users.read().values().cloned().collect()
    }

    /// The error that should stop start-up, if loading users failed.
    pub fn startup_error(&self) -> Option<String> {
        self.startup_error.lock().clone()
    }

    /// The identity of a new session: the `default` user, logged in if it needs no
    /// password and is on. Embedded clients are trusted: always logged in.
    pub(crate) fn new_session(&self, embedded: bool) -> AclSession {
        let epoch = self.epoch();
        let user = self
            .get(b"default")
            .unwrap_or_else(|| AclSession::default().user);
        let authenticated = embedded || (user.nopass && user.enabled);
        AclSession {
            unrestricted: authenticated && user.unrestricted(),
            user,
            epoch,
            authenticated,
        }
    }

    /// Re-reads the session's user after a change; a deleted user leaves the session
    /// logged out as `default`.
    pub(crate) fn refresh(&self, s: &mut AclSession) {
        s.epoch = self.epoch();
        match self.get(&s.user.name) {
            Some(u) => s.user = u,
            None => {
                s.authenticated = false;
                if let Some(d) = self.get(b"default") {
                    s.user = d;
                }
            }
        }
        s.unrestricted = s.authenticated && s.user.unrestricted();
    }

    /// Checks a user name and password; the user if they authenticate.
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<Arc<User>> {
        let u = self.get(name)?;
        (u.enabled && u.password_ok(password)).then_some(u)
    }

    /// Replaces (or adds) users; bumps the epoch.
    pub(crate) fn install(&self, changed: Vec<User>) {
        let mut users = self.users.write();
        for u in changed {
            users.insert(u.name.clone(), Arc::new(u));
        }
        drop(users);
        self.bump();
    }

    /// Replaces every user at once (ACL LOAD).
    pub(crate) fn replace_all(&self, all: BTreeMap<Bytes, Arc<User>>) {
        *self.users.write() = all;
        self.bump();
    }

    /// Removes users; returns how many existed.
    pub(crate) fn remove(&self, names: &[Bytes]) -> usize {
        let mut users = self.users.write();
        let n = names
            .iter()
            .filter(|n| users.remove(n.as_ref()).is_some())
            .count();
        drop(users);
        self.bump();
        n
    }

    /// Applies rules to user `name` (created if missing) all or nothing, as ACL SETUSER
    /// does; the error is Redis's text.
    pub fn set_user(&self, config: &Config, name: &Bytes, rules: &[Bytes]) -> Result<User, String> {
        let merged = user::merge_selectors(rules).map_err(|i| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(&rules[i])
            )
        })?;
        let pubsub = pubsub_default(config);
        let mut u = match self.get(name) {
            Some(u) => (*u).clone(),
            None => User::new(name.clone(), &self.ids, pubsub),
        };
        for op in &merged {
            u.apply(&self.ids, op, pubsub).map_err(|e| {
                format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                )
            })?;
        }
        Ok(u)
    }

    /// `requirepass` changed: the `default` user gets that password, or `nopass` if empty.
    pub(crate) fn set_requirepass(&self, password: &str) {
        let _writing = self.writer.lock();
        let Some(current) = self.get(b"default") else {
            return;
        };
        let mut u = (*current).clone();
        set_password(&mut u, &self.ids, password.as_bytes());
        self.install(vec![u]);
    }
}

fn set_password(u: &mut User, ids: &CommandIds, password: &[u8]) {
    let pubsub = PubsubDefault(false);
    let _ = u.apply(ids, b"resetpass", pubsub);
    if password.is_empty() {
        let _ = u.apply(ids, b"nopass", pubsub);
    } else {
        let mut op = vec![b'>'];
        op.extend_from_slice(password);
        let _ = u.apply(ids, &op, pubsub);
    }
}

/// `acl-pubsub-default`: whether new users start with every channel.
pub(crate) fn pubsub_default(config: &Config) -> PubsubDefault {
    PubsubDefault(config.get("acl-pubsub-default").as_deref() == Some("allchannels"))
}

pub use file::validate_user_line;
pub(crate) use file::{parse_file, save_file};

/// The refusal counters of INFO stats (`acl_access_denied_*`).
pub(crate) fn info_stats(inner: &crate::engine::Inner, out: &mut String) {
    use std::fmt::Write as _;
    let counts = inner.acl.log.lock().counts;
    let names = ["cmd", "key", "channel", "auth"];
    for i in [3, 0, 1, 2] {
        let _ = write!(out, "acl_access_denied_{}:{}\r\n", names[i], counts[i]);
    }
}

/// The `user` lines CONFIG REWRITE writes into the config file: every user, as ACL LIST
/// shows it, unless the users live in an `aclfile` (then none).
pub(crate) fn config_file_lines(inner: &crate::engine::Inner) -> Vec<String> {
    if !inner.config.get("aclfile").unwrap_or_default().is_empty() {
        return Vec::new();
    }
    inner
        .acl
        .users()
        .iter()
        .map(|u| format!("user {} {}", String::from_utf8_lossy(&u.name), u.describe()))
        .collect()
}

/// CONFIG SET changed `names`: a new `requirepass` becomes the `default` user's password.
pub(crate) fn config_changed<'a>(
    inner: &crate::engine::Inner,
    names: impl Iterator<Item = &'a str>,
) {
    for name in names {
        if name.eq_ignore_ascii_case("requirepass") {
            let pass = inner.config.get("requirepass").unwrap_or_default();
            inner.acl.set_requirepass(&pass);
        }
    }
}
