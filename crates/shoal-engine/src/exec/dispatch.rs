//! From raw arguments to a reply: lookup, arity, subcommands, the handler, reply modes.

use super::{Args, Ctx};
use crate::command::{find_subcommand, flags, CommandSpec};
use crate::engine::Inner;
use crate::error::CmdError;
use crate::gate::Busy;
use crate::session::{Outcome, Pending, ReplyMode, SessionState};
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};
use std::sync::atomic::Ordering::Relaxed;

/// What running one command produced.
pub(crate) enum Ran {
    /// A reply (errors included).
    Reply(Frame),
    /// Nothing to take yet: the client must wait on `keys`.
    Block {
        args: Vec<Bytes>,
        keys: Vec<Bytes>,
        deadline_ms: u64,
        on_timeout: Frame,
        /// Work that answers instead of the keys ([`crate::session::Job`]).
        job: Option<crate::session::Job>,
    },
}

/// The refusal of writes after a failed save.
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

impl Inner {
    /// Runs one command for `session`, then serves clients blocked on keys it made ready.
    pub(crate) fn execute(&self, session: &mut SessionState, args: Vec<Bytes>) -> Outcome {
        session.skip_this = std::mem::take(&mut session.skip_next);
        let ran = self.execute_gated(session, args);
        match ran {
            Ran::Reply(reply) => {
                if reply.is_error() {
                    self.stats.error_replies.fetch_add(1, Relaxed);
                }
                let deliver = session.reply_mode == ReplyMode::On && !session.skip_this;
                Outcome::Reply(deliver.then_some(reply))
            }
            Ran::Block {
                args,
                keys,
                deadline_ms,
                on_timeout,
                job,
            } => Outcome::Blocked(Pending {
                args,
                keys,
                db: session.db,
                deadline_ms,
                on_timeout,
                job,
            }),
        }
    }

    /// Queues the command inside MULTI, or passes the keyspace gate as the command needs
    /// and runs it.
    fn execute_gated(&self, session: &mut SessionState, args: Vec<Bytes>) -> Ran {
        let Some(spec) = args.first().and_then(|name| self.table.get(name)) else {
            if let Some(m) = session.multi.as_mut() {
                m.failed = true;
            }
            return self.run(session, args);
        };
        if let Some(refused) = self.refusal(session, spec, &args) {
            // A refused command inside MULTI makes EXEC fail with EXECABORT.
            if let Some(m) = session.multi.as_mut() {
                m.failed = true;
            }
            return refused;
        }
        if session.multi.is_some() && !runs_inside_multi(spec) {
            return Ran::Reply(queue(session, spec, args));
        }
        if session.protocol == Protocol::Resp2
            && session.subs.any()
            && !ALLOWED_SUBSCRIBED.contains(&spec.name)
        {
            return Ran::Reply(Frame::error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                target(spec, &args).name
            )));
        }
        if spec.has(flags::EXCLUSIVE) {
            let _alone = match self.gate.exclusive() {
                Ok(g) => g,
                Err(_) if may_pass_busy(spec, &args) => return self.run_spec(session, spec, args),
                Err(busy) => return Ran::Reply(busy_error(busy)),
            };
            return self.run_and_serve(session, spec, args);
        }
        match self.gate.shared() {
            Ok(_shared) => self.run_and_serve(session, spec, args),
            // Commands that may run beside a busy script touch no key (SCRIPT KILL, ...).
            Err(_) if may_pass_busy(spec, &args) => self.run_spec(session, spec, args),
            Err(busy) => Ran::Reply(busy_error(busy)),
        }
    }

    /// Why `spec` may not run now, in Redis's order: the client's rights, the memory limit
    /// (after evicting what the policy allows), a failed save's refusal of writes, loading.
    fn refusal(
        &self,
        session: &mut SessionState,
        spec: &CommandSpec,
        args: &[Bytes],
    ) -> Option<Ran> {
        if session.master_link {
            // The primary's stream: it ran there already.
            crate::evict::evict_for_stream(self);
            return None;
        }
        if let Some(refused) = self.acl_refusal(session, spec, args) {
            return Some(Ran::Reply(refused));
        }
        if self.consensus.is_member() {
            let runs = target(spec, args);
            if let Some(refused) = self.follower_refusal(session, runs, args) {
                // Refused, or answered by the leader: nothing here was read.
                return Some(refused);
            }
            if crate::consensus::reads_data(runs) {
                session.read_data = true;
            }
        }
        self.state_refusal(session, spec).map(Ran::Reply)
    }

    /// What a follower does with a command it cannot run itself.
    /// `runs` is the spec that runs (the subcommand's, for a container).
    fn follower_refusal(
        &self,
        session: &SessionState,
        runs: &CommandSpec,
        args: &[Bytes],
    ) -> Option<Ran> {
        use crate::consensus::Refusal;
        let key = crate::consensus::first_key(runs, args);
        match crate::consensus::refusal(self, runs, key, session)? {
            Refusal::Error(refused) => Some(Ran::Reply(refused)),
            Refusal::Forward(group, refused) => {
                let (db, args) = (session.db, args.to_vec());
                Some(Ran::Block {
                    args: Vec::new(),
                    keys: Vec::new(),
                    deadline_ms: 0,
                    on_timeout: refused,
                    job: Some(Box::new(move |deliver| {
                        group.forward(db, vec![args], deliver)
                    })),
                })
            }
        }
    }

    /// Refusals that come from the server's state: memory, a failed save or AOF write, the
    /// replication role, loading.
    fn state_refusal(&self, session: &mut SessionState, spec: &CommandSpec) -> Option<Frame> {
        if let Err(oom) = crate::evict::admit(self, session, spec) {
            return Some(oom);
        }
        if self.persist.save_failed() && self.refuses_writes(spec) {
            return Some(Frame::error(MISCONF));
        }
        if self.aof.stats.last_write_failed.load(Relaxed)
            && self.aof.is_on()
            && (spec.has(flags::WRITE) || spec.name == "ping")
        {
            return Some(Frame::error(format!(
                "MISCONF Errors writing to the AOF file: {}",
                self.aof.stats.last_write_error.lock()
            )));
        }
        if let Some(refused) = crate::repl::refusal(self, spec) {
            return Some(refused);
        }
        if self.persist.is_loading() && !spec.has(flags::LOADING) {
            return Some(Frame::error(
                "LOADING Redis is loading the dataset in memory",
            ));
        }
        None
    }

    /// After a failed save, with save points and `stop-writes-on-bgsave-error yes`, Redis
    /// refuses writes (and PING, which clients use to probe) until a save succeeds.
    fn refuses_writes(&self, spec: &CommandSpec) -> bool {
        (spec.has(flags::WRITE) || spec.name == "ping")
            && self.config.get_bool("stop-writes-on-bgsave-error")
            && !crate::rdb::file::save_points(self).is_empty()
    }

    fn run_and_serve(
        &self,
        session: &mut SessionState,
        spec: &CommandSpec,
        args: Vec<Bytes>,
    ) -> Ran {
        let ran = self.run_spec(session, spec, args);
        if self.blocking.has_ready() {
            self.serve_blocked();
        }
        ran
    }

    /// Runs one command, looked up by name, without passing the gate (the caller holds it).
    pub(crate) fn run(&self, session: &mut SessionState, args: Vec<Bytes>) -> Ran {
        let Some(name) = args.first() else {
            return Ran::Reply(
                CmdError::UnknownCommand {
                    name: String::new(),
                    args: String::new(),
                }
                .to_frame(),
            );
        };
        let Some(spec) = self.table.get(name) else {
            return Ran::Reply(unknown_command(&args).to_frame());
        };
        self.run_spec(session, spec, args)
    }

    fn run_spec(&self, session: &mut SessionState, spec: &CommandSpec, args: Vec<Bytes>) -> Ran {
        let now_ms = self.clock.now_ms();
        self.run_at(session, spec, args, now_ms)
    }

    /// Runs a command on behalf of EXEC or a script: no gate (the caller holds it), the
    /// caller's time, and a blocking command that finds nothing answers its timeout reply
    /// at once, as inside MULTI.
    pub(crate) fn run_inner(&self, st: &mut SessionState, args: Vec<Bytes>, now_ms: u64) -> Frame {
        let Some(spec) = args.first().and_then(|n| self.table.get(n)) else {
            return match self.run(st, args) {
                Ran::Reply(f) => f,
                Ran::Block { on_timeout, .. } => on_timeout,
            };
        };
        match self.run_at(st, spec, args, now_ms) {
            Ran::Reply(f) => f,
            Ran::Block { on_timeout, .. } => on_timeout,
        }
    }

    /// Runs one command with `now_ms` as its time (EXEC and scripts run every command they
    /// hold at the same time), without passing the gate.
    pub(crate) fn run_at(
        &self,
        session: &mut SessionState,
        spec: &CommandSpec,
        args: Vec<Bytes>,
        now_ms: u64,
    ) -> Ran {
        let (spec, fullname, pos) = match resolve(spec, &args) {
            Ok(found) => found,
            Err(e) => return Ran::Reply(e.to_frame()),
        };
        self.stats.commands.fetch_add(1, Relaxed);
        session.handle.last_interaction_ms.store(now_ms, Relaxed);
        *session.handle.last_cmd.lock() = fullname;
        let _span = tracing::trace_span!("command", name = fullname).entered();
        let mut ctx = Ctx {
            inner: self,
            session,
            args: Args::new(args, pos),
            now_ms,
            name: fullname,
            job: None,
        };
        match (spec.handler)(&mut ctx) {
            Ok(frame) => Ran::Reply(frame),
            Err(CmdError::Block {
                keys,
                deadline_ms,
                on_timeout,
            }) => Ran::Block {
                job: ctx.job.take(),
                args: ctx.args.into_vec(),
                keys,
                deadline_ms,
                on_timeout,
            },
            Err(e) => Ran::Reply(e.to_frame()),
        }
    }

    /// Runs the parked commands of clients waiting on keys that received data, oldest waiter
    /// first, until no key is left ready. Bounded, so a chain of BLMOVEs feeding each other
    /// cannot keep one writer here forever; what is left stays marked for the next command.
    pub(crate) fn serve_blocked(&self) {
        for _ in 0..64 {
            let ready = self.blocking.take_ready();
            if ready.is_empty() {
                return;
            }
            for waiters in ready {
                for id in waiters {
                    let Some(p) = self.blocking.take(id) else {
                        continue;
                    };
                    let seed = self.clock.now_us() ^ id;
                    let mut st = SessionState::detached(p.handle.clone(), p.db, seed);
                    match self.run(&mut st, p.args.clone()) {
                        Ran::Block { .. } => {
                            // The key has nothing for this waiter, so none for those behind it.
                            self.blocking.put_back(p);
                            break;
                        }
                        Ran::Reply(frame) => {
                            self.blocking.forget(p.id, p.db, &p.keys);
                            (p.deliver)(frame);
                        }
                    }
                }
            }
        }
    }
}

/// Finds the spec that runs (the subcommand's, for containers), its full name, and where its
/// own arguments start; checks arity.
fn resolve<'t>(
    spec: &'t CommandSpec,
    args: &[Bytes],
) -> Result<(&'t CommandSpec, &'static str, usize), CmdError> {
    if !spec.arity_ok(args.len()) {
        return Err(CmdError::WrongArity(spec.name.to_string()));
    }
    if spec.subcommands.is_empty() || args.len() < 2 {
        return Ok((spec, spec.name, 1));
    }
    let Some(sub) = find_subcommand(spec, &args[1]) else {
        return Err(CmdError::UnknownSubcommand {
            sub: truncate(&args[1], 128),
            container: spec.name.to_ascii_uppercase(),
        });
    };
    if !sub.arity_ok(args.len()) {
        return Err(CmdError::WrongArity(sub.name.to_string()));
    }
    Ok((sub, sub.name, 2))
}

fn truncate(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

/// Redis's unknown-command error: the name and up to ~128 bytes of arguments, each quoted.
fn unknown_command(args: &[Bytes]) -> CmdError {
    let mut listed = String::new();
    for a in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push('\'');
        listed.push_str(&truncate(a, room));
        listed.push_str("' ");
    }
    CmdError::UnknownCommand {
        name: truncate(&args[0], 128),
        args: listed,
    }
}

/// Commands RESP2 clients may send while subscribed.
const ALLOWED_SUBSCRIBED: &[&str] = &[
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "ping",
    "quit",
    "reset",
];

/// True for a command (or subcommand: SCRIPT KILL) flagged `allow_busy` that touches no key,
/// so it may run beside a busy script without passing the gate.
fn may_pass_busy(spec: &CommandSpec, args: &[Bytes]) -> bool {
    let runs = target(spec, args);
    runs.has(flags::ALLOW_BUSY) && runs.first_key == 0
}

/// The spec `args` would run: the subcommand's for a container (`client|list`), else `spec`.
pub(crate) fn target<'t>(spec: &'t CommandSpec, args: &[Bytes]) -> &'t CommandSpec {
    match args.get(1) {
        Some(sub) if !spec.subcommands.is_empty() => find_subcommand(spec, sub).unwrap_or(spec),
        _ => spec,
    }
}

/// Commands that run at once inside MULTI instead of being queued.
fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Checks a command for the transaction and queues it: QUEUED, or the error that makes
/// EXEC abort.
fn queue(session: &mut SessionState, spec: &CommandSpec, args: Vec<Bytes>) -> Frame {
    let refused = match resolve(spec, &args) {
        Err(e) => Some(e.to_frame()),
        Ok((s, _, _)) if s.has(flags::NO_MULTI) => {
            Some(Frame::error("ERR Command not allowed inside a transaction"))
        }
        Ok(_) => None,
    };
    let Some(m) = session.multi.as_mut() else {
        return Frame::error("ERR EXEC without MULTI");
    };
    match refused {
        Some(err) => {
            m.failed = true;
            err
        }
        None => {
            m.queue.push(args);
            let queued = m.queue.len() as i64;
            session.handle.multi.store(queued, Relaxed);
            Frame::simple("QUEUED")
        }
    }
}

/// The BUSY error other clients get while a script or function runs too long.
pub(crate) fn busy_error(busy: Busy) -> Frame {
    let kill = match busy {
        Busy::Function => "FUNCTION KILL",
        _ => "SCRIPT KILL",
    };
    Frame::error(format!(
        "BUSY Redis is busy running a script. You can only call {kill} or SHUTDOWN NOSAVE."
    ))
}
