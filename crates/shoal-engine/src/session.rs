//! A session: one client's state (selected database, protocol, reply mode, ...) and the
//! handle it executes commands through.

use crate::blocking::{Deliver, Parked};
use crate::clients::ClientHandle;
use crate::engine::Engine;
use crate::util::rng::Rng;
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};
use std::sync::Arc;

/// CLIENT REPLY modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// No replies are sent.
    Off,
}

/// Per-client state that commands read and change.
pub struct SessionState {
    /// Selected database.
    pub db: usize,
    /// Protocol version of replies.
    pub protocol: Protocol,
    /// CLIENT REPLY ON/OFF.
    pub reply_mode: ReplyMode,
    /// CLIENT REPLY SKIP was given: the next command's reply is dropped.
    pub skip_next: bool,
    /// The current command's reply is dropped.
    pub skip_this: bool,
    /// CLIENT NO-TOUCH: reads do not update access times.
    pub no_touch: bool,
    /// The connection closes after this reply (QUIT).
    pub close_after_reply: bool,
    /// Random source for commands of this session.
    pub rng: Rng,
    /// What other clients see of this one.
    pub handle: Arc<ClientHandle>,
}

impl SessionState {
    /// A fresh state for the client behind `handle`: database `db`, RESP2, replies on.
    pub(crate) fn detached(handle: Arc<ClientHandle>, db: usize, seed: u64) -> SessionState {
        SessionState {
            db,
            protocol: Protocol::Resp2,
            reply_mode: ReplyMode::On,
            skip_next: false,
            skip_this: false,
            no_touch: false,
            close_after_reply: false,
            rng: Rng::new(seed),
            handle,
        }
    }

    /// This client's id.
    pub fn id(&self) -> u64 {
        self.handle.id
    }
}

/// What executing a command produced.
pub enum Outcome {
    /// A reply, or `None` when the client turned replies off (CLIENT REPLY).
    Reply(Option<Frame>),
    /// The command must wait for data (BLPOP, ...): park it with [`Session::park`].
    Blocked(Pending),
}

/// A blocking command that found nothing yet.
pub struct Pending {
    pub(crate) args: Vec<Bytes>,
    pub(crate) keys: Vec<Bytes>,
    pub(crate) db: usize,
    /// When to give up, in ms since the epoch of the engine clock; 0 waits forever.
    pub deadline_ms: u64,
    /// The reply when the deadline passes.
    pub on_timeout: Frame,
}

/// A client of the engine. Dropping it unregisters the client.
pub struct Session {
    pub(crate) engine: Engine,
    pub(crate) state: SessionState,
}

impl Session {
    /// Executes one command; a blocking command that would wait is returned as
    /// [`Outcome::Blocked`] for the caller to [`park`](Session::park).
    pub fn run(&mut self, args: Vec<Bytes>) -> Outcome {
        let Session { engine, state } = self;
        engine.inner.execute(state, args)
    }

    /// Executes one command without ever waiting: a blocking command that finds nothing
    /// answers its timeout reply at once, as inside MULTI. Returns `None` when the client
    /// turned replies off (CLIENT REPLY).
    pub fn execute(&mut self, args: Vec<Bytes>) -> Option<Frame> {
        match self.run(args) {
            Outcome::Reply(reply) => reply,
            Outcome::Blocked(p) => Some(p.on_timeout),
        }
    }

    /// Executes one command without waiting and always returns a reply.
    pub fn call(&mut self, args: Vec<Bytes>) -> Frame {
        self.execute(args).unwrap_or(Frame::Null)
    }

    /// Parks a blocked command: `deliver` receives its reply when a write gives one of its
    /// keys data, possibly on another thread and possibly before this returns. The caller
    /// waits for that, and at `p.deadline_ms` calls [`Session::cancel_block`].
    pub fn park(&self, p: Pending, deliver: Deliver) {
        let inner = &self.engine.inner;
        inner.blocking.park(Parked {
            id: self.state.handle.id,
            db: p.db,
            args: p.args,
            keys: p.keys,
            handle: self.state.handle.clone(),
            on_timeout: p.on_timeout,
            deliver,
        });
        // Data may have arrived between the command's attempt and the parking.
        inner.serve_blocked();
    }

    /// Stops waiting. True if the command was still parked (the caller answers the timeout
    /// reply); false if it was served or is being served (its reply is on the way).
    pub fn cancel_block(&self) -> bool {
        self.engine
            .inner
            .blocking
            .cancel(self.state.handle.id)
            .is_some()
    }

    /// Runs one command and, if it blocks, waits on this thread until it is served or its
    /// deadline passes (measured on the engine clock). For embedded callers.
    pub fn call_blocking(&mut self, args: Vec<Bytes>) -> Frame {
        let p = match self.run(args) {
            Outcome::Reply(reply) => return reply.unwrap_or(Frame::Null),
            Outcome::Blocked(p) => p,
        };
        let (deadline, on_timeout) = (p.deadline_ms, p.on_timeout.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        self.park(p, Box::new(move |f| drop(tx.send(f))));
        loop {
            if let Ok(reply) = rx.recv_timeout(std::time::Duration::from_millis(10)) {
                return reply;
            }
            if deadline != 0 && self.engine.inner.now_ms() >= deadline && self.cancel_block() {
                return on_timeout;
            }
        }
    }

    /// The session's state.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The session's state, mutably.
    pub fn state_mut(&mut self) -> &mut SessionState {
        &mut self.state
    }

    /// The engine this session belongs to.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// True once CLIENT KILL targeted this session or QUIT asked to close.
    pub fn should_close(&self) -> bool {
        self.state.close_after_reply || self.state.handle.is_killed()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.engine.inner.clients.unregister(self.state.handle.id);
    }
}
