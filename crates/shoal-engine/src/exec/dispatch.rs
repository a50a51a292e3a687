//! From raw arguments to a reply: lookup, arity, subcommands, the handler, reply modes.

use super::{Args, Ctx};
use crate::command::{find_subcommand, CommandSpec};
use crate::engine::Inner;
use crate::error::CmdError;
use crate::session::{ReplyMode, SessionState};
use bytes::Bytes;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

impl Inner {
    /// Runs one command for `session`; `None` when the client asked for no reply.
    pub(crate) fn execute(&self, session: &mut SessionState, args: Vec<Bytes>) -> Option<Frame> {
        session.skip_this = std::mem::take(&mut session.skip_next);
        let reply = self.run(session, args);
        if reply.is_error() {
            self.stats.error_replies.fetch_add(1, Relaxed);
        }
        let deliver = session.reply_mode == ReplyMode::On && !session.skip_this;
        deliver.then_some(reply)
    }

    fn run(&self, session: &mut SessionState, args: Vec<Bytes>) -> Frame {
        let Some(name) = args.first() else {
            return CmdError::UnknownCommand {
                name: String::new(),
                args: String::new(),
            }
            .to_frame();
        };
        let Some(spec) = self.table.get(name) else {
            return unknown_command(&args).to_frame();
        };
        let (spec, fullname, pos) = match resolve(spec, &args) {
            Ok(found) => found,
            Err(e) => return e.to_frame(),
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
            Ok(frame) => frame,
            Err(e) => e.to_frame(),
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
