//! Where the engine asks the ACL: before every client command (dispatch), for every
//! `redis.call`, for every command EXEC runs, and at login.

use super::check::{self, Denied};
use super::log::{Context, Reason};
use super::AclSession;
use crate::command::{find_subcommand, flags, CommandSpec};
use crate::engine::Inner;
use crate::error::CmdError;
use crate::session::SessionState;
use bytes::Bytes;
use shoal_resp::Frame;
use std::collections::HashSet;

/// The text of a refusal after its code (`NOPERM `), as Redis 7.2 words it.
fn denial_text(d: Denied, user: &Bytes, fullname: &str) -> String {
    match d {
        Denied::Command => format!(
            "User {} has no permissions to run the '{fullname}' command",
            String::from_utf8_lossy(user)
        ),
        Denied::Key(_) => "No permissions to access a key".to_string(),
        Denied::Channel(_) => "No permissions to access a channel".to_string(),
    }
}

/// The spec `args` runs (the subcommand's for a container), or None if the arity or the
/// subcommand is wrong (dispatch answers those errors itself).
fn target<'t>(spec: &'t CommandSpec, args: &[Bytes]) -> Option<&'t CommandSpec> {
    if !spec.arity_ok(args.len()) {
        return None;
    }
    if spec.subcommands.is_empty() || args.len() < 2 {
        return Some(spec);
    }
    find_subcommand(spec, &args[1]).filter(|s| s.arity_ok(args.len()))
}

impl Inner {
    /// The refusal for a client command, if any: NOAUTH before login (except `no-auth`
    /// commands), NOPERM (logged) when the user's rules do not allow it. Costs one atomic
    /// load for a user allowed everything.
    #[inline]
    pub(crate) fn acl_refusal(
        &self,
        session: &mut SessionState,
        spec: &CommandSpec,
        args: &[Bytes],
    ) -> Option<Frame> {
        if session.acl.unrestricted && session.acl.epoch == self.acl.epoch() {
            return None;
        }
        self.acl_refusal_checked(session, spec, args)
    }

    #[cold]
    fn acl_refusal_checked(
        &self,
        session: &mut SessionState,
        spec: &CommandSpec,
        args: &[Bytes],
    ) -> Option<Frame> {
        if session.acl.epoch != self.acl.epoch() {
            self.acl.refresh(&mut session.acl);
        }
        let target = target(spec, args)?;
        if !session.acl.authenticated {
            if target.has(flags::NO_AUTH) {
                return None;
            }
            return Some(Frame::error("NOAUTH Authentication required."));
        }
        if session.acl.unrestricted {
            return None;
        }
        let denied = check::check(&session.acl.user, &self.acl.ids, target, args).err()?;
        *session.handle.last_cmd.lock() = target.name;
        let context = if session.multi.is_some() {
            Context::Multi
        } else {
            Context::Toplevel
        };
        self.acl_log_denial(session, denied, context, target.name, args);
        Some(Frame::error(format!(
            "NOPERM {}",
            denial_text(denied, &session.acl.user.name, target.name)
        )))
    }

    fn acl_log_denial(
        &self,
        session: &SessionState,
        denied: Denied,
        context: Context,
        fullname: &str,
        args: &[Bytes],
    ) {
        let (reason, object) = match denied {
            Denied::Command => (Reason::Command, Bytes::copy_from_slice(fullname.as_bytes())),
            Denied::Key(i) => (Reason::Key, args[i].clone()),
            Denied::Channel(i) => (Reason::Channel, args[i].clone()),
        };
        self.acl_log(
            session,
            reason,
            context,
            object,
            session.acl.user.name.clone(),
        );
    }

    pub(crate) fn acl_log(
        &self,
        session: &SessionState,
        reason: Reason,
        context: Context,
        object: Bytes,
        username: Bytes,
    ) {
        let now = self.now_ms();
        let mut info = String::new();
        crate::commands::connection::info_line(&mut info, &session.handle, now, false, 0);
        let max = self.config.get_i64("acllog-max-len").max(0) as usize;
        self.acl.log.lock().add(
            reason,
            context,
            object,
            username,
            info.trim_end().to_string(),
            now,
            max,
        );
    }

    /// Checks `args` against the session's user (rules reloaded if they changed), logging
    /// a refusal under `context`: the refusal and the command's full name, or None.
    fn recheck(
        &self,
        st: &mut SessionState,
        args: &[Bytes],
        context: Context,
    ) -> Option<(Denied, &'static str)> {
        if st.acl.unrestricted && st.acl.epoch == self.acl.epoch() {
            return None;
        }
        if st.acl.epoch != self.acl.epoch() {
            self.acl.refresh(&mut st.acl);
        }
        let spec = args.first().and_then(|n| self.table.get(n))?;
        let target = target(spec, args)?;
        let denied = check::check(&st.acl.user, &self.acl.ids, target, args).err()?;
        self.acl_log_denial(st, denied, context, target.name, args);
        Some((denied, target.name))
    }

    /// Checks a command a script calls against the calling user: the error `redis.call`
    /// raises, as Redis 7.2 words it.
    pub(crate) fn acl_script_refusal(
        &self,
        st: &mut SessionState,
        args: &[Bytes],
    ) -> Option<String> {
        let (denied, name) = self.recheck(st, args, Context::Lua)?;
        Some(format!(
            "ERR ACL failure in script: {}",
            denial_text(denied, &st.acl.user.name, name)
        ))
    }

    /// Checks a queued command again when EXEC runs it: the rules may have changed since.
    pub(crate) fn acl_exec_refusal(&self, st: &mut SessionState, args: &[Bytes]) -> Option<Frame> {
        let (denied, _) = self.recheck(st, args, Context::Multi)?;
        let reason = match denied {
            Denied::Command => "no permission to execute the command or subcommand",
            Denied::Key(_) => "no permission to touch the specified keys",
            Denied::Channel(_) => "no permission to access one of the channels used as arguments",
        };
        Some(Frame::error(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and \
             the EXEC call. This command is no longer allowed for the following reason: {reason}"
        )))
    }

    /// `redis.acl_check_cmd`: whether the calling user may run `args`.
    pub(crate) fn acl_allows(&self, st: &mut SessionState, args: &[Bytes]) -> Option<bool> {
        if st.acl.epoch != self.acl.epoch() {
            self.acl.refresh(&mut st.acl);
        }
        let spec = args.first().and_then(|n| self.table.get(n))?;
        let target = target(spec, args).unwrap_or(spec);
        Some(st.acl.unrestricted || check::check(&st.acl.user, &self.acl.ids, target, args).is_ok())
    }

    /// Logs the session in as `name` with `password` (AUTH, HELLO AUTH): WRONGPASS, logged
    /// under `command` (the command's name as sent), if they do not authenticate.
    pub(crate) fn acl_login(
        &self,
        session: &mut SessionState,
        name: &Bytes,
        password: &[u8],
        command: &Bytes,
    ) -> Result<(), CmdError> {
        let Some(user) = self.acl.authenticate(name, password) else {
            let context = if session.multi.is_some() {
                Context::Multi
            } else {
                Context::Toplevel
            };
            self.acl_log(
                session,
                Reason::Auth,
                context,
                command.clone(),
                name.clone(),
            );
            return Err(CmdError::Coded {
                code: "WRONGPASS",
                msg: "invalid username-password pair or user is disabled.".into(),
            });
        };
        *session.handle.user.lock() = user.name.clone();
        session.acl = AclSession {
            unrestricted: user.unrestricted(),
            user,
            epoch: self.acl.epoch(),
            authenticated: true,
        };
        Ok(())
    }

    /// Closes the connections of the users named (ACL DELUSER, ACL LOAD).
    pub(crate) fn acl_kill_clients_of(&self, names: &[Bytes]) {
        for c in self.clients.all() {
            let user = c.user.lock().clone();
            if names.contains(&user) {
                c.kill();
            }
        }
    }

    /// Closes the connections of `old`'s user whose current subscriptions `new` no longer
    /// allows (channels and shard channels matched against its patterns, subscribed
    /// patterns literally), as Redis 7 does when a user's channel rights shrink; its other
    /// connections stay.
    pub(crate) fn acl_kill_subscribers_if_needed(&self, old: &super::User, new: &super::User) {
        use crate::pubsub::Kind;
        use std::sync::atomic::Ordering::Relaxed;
        let Some(allowed) = upcoming_channels(new, old) else {
            return;
        };
        let clients: Vec<_> = self
            .clients
            .all()
            .into_iter()
            .filter(|c| c.subscriptions.iter().any(|n| n.load(Relaxed) > 0))
            .filter(|c| *c.user.lock() == old.name)
            .collect();
        if clients.is_empty() {
            return;
        }
        let ids: HashSet<u64> = clients.iter().map(|c| c.id).collect();
        let mut doomed: HashSet<u64> = HashSet::new();
        for kind in [Kind::Pattern, Kind::Channel, Kind::Shard] {
            let is_pattern = kind == Kind::Pattern;
            self.pubsub.for_each_subscription(kind, |name, id| {
                if ids.contains(&id)
                    && !doomed.contains(&id)
                    && !check::channel_allowed(&allowed, name, is_pattern)
                {
                    doomed.insert(id);
                }
            });
        }
        clients
            .iter()
            .filter(|c| doomed.contains(&c.id))
            .for_each(|c| c.kill());
    }

    /// The refusal a new connection from `peer` gets under `protected-mode`: the default
    /// user has no password and the peer is not on the loopback interface.
    pub fn protected_mode_refusal(&self, peer: &std::net::SocketAddr) -> Option<&'static str> {
        if !self.config.get_bool("protected-mode") || peer.ip().is_loopback() {
            return None;
        }
        let default = self.acl.get(b"default")?;
        default.nopass.then_some(PROTECTED_MODE)
    }

    /// The ACL store.
    pub fn acl(&self) -> &super::Acl {
        &self.acl
    }
}

/// The channel patterns of every selector of `new`, when they may not cover everything
/// `old` allowed; None when nothing can have been taken away (a selector of `new` allows
/// every channel, or `new` lists every pattern `old` did).
pub(super) fn upcoming_channels(new: &super::User, old: &super::User) -> Option<Vec<Bytes>> {
    if new.selectors.iter().any(|s| s.all_channels) {
        return None;
    }
    let upcoming: Vec<Bytes> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let kept = old
        .selectors
        .iter()
        .all(|s| !s.all_channels && s.channels.iter().all(|c| upcoming.contains(c)));
    (!kept).then_some(upcoming)
}

/// Redis's refusal under protected mode.
const PROTECTED_MODE: &str = "DENIED Redis is running in protected mode because protected mode \
is enabled and no password is set for the default user. In this mode connections are only \
accepted from the loopback interface. If you want to connect from external computers to Redis \
you may adopt one of the following solutions: 1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same \
host the server is running, however MAKE SURE Redis is not publicly accessible from internet if \
you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just \
disable the protected mode by editing the Redis configuration file, and setting the protected \
mode option to 'no', and then restarting the server. 3) If you started the server manually just \
for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication \
password for the default user. NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.";
