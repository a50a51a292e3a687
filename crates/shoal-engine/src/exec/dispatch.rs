//! From raw arguments to a reply: lookup, arity, subcommands, the handler, reply modes.

use super::{Args, Ctx};
use crate::command::{find_subcommand, CommandSpec};
use crate::engine::Inner;
use crate::error::CmdError;
use crate::session::{Outcome, Pending, ReplyMode, SessionState};
use bytes::Bytes;
use shoal_resp::Frame;
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
    },
}

impl Inner {
    /// Runs one command for `session`, then serves clients blocked on keys it made ready.
    pub(crate) fn execute(&self, session: &mut SessionState, args: Vec<Bytes>) -> Outcome {
        session.skip_this = std::mem::take(&mut session.skip_next);
        let ran = self.run(session, args);
        if self.blocking.has_ready() {
            self.serve_blocked();
        }
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
            } => Outcome::Blocked(Pending {
                args,
                keys,
                db: session.db,
                deadline_ms,
                on_timeout,
            }),
        }
    }

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
        let (spec, fullname, pos) = match resolve(spec, &args) {
            Ok(found) => found,
            Err(e) => return Ran::Reply(e.to_frame()),
        };
        self.stats.commands.fetch_add(1, Relaxed);
        let now_ms = self.clock.now_ms();
        session.handle.last_interaction_ms.store(now_ms, Relaxed);
        *session.handle.last_cmd.lock() = fullname;
        let _span = tracing::trace_span!("command", name = fullname).entered();
        let mut ctx = Ctx {
            inner: self,
            session,
            args: Args::new(args, pos),
            now_ms,
            name: fullname,
        };
        match (spec.handler)(&mut ctx) {
            Ok(frame) => Ran::Reply(frame),
            Err(CmdError::Block {
                keys,
                deadline_ms,
                on_timeout,
            }) => Ran::Block {
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
