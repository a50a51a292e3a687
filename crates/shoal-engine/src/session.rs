//! A session: one client's state (selected database, protocol, reply mode, ...) and the
//! handle it executes commands through.

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
    /// This client's id.
    pub fn id(&self) -> u64 {
        self.handle.id
    }
}

/// A client of the engine. Dropping it unregisters the client.
pub struct Session {
    pub(crate) engine: Engine,
    pub(crate) state: SessionState,
}

impl Session {
    /// Executes one command. Returns `None` when the client turned replies off (CLIENT REPLY).
    pub fn execute(&mut self, args: Vec<Bytes>) -> Option<Frame> {
        let Session { engine, state } = self;
        engine.inner.execute(state, args)
    }

    /// Executes one command and always returns its reply.
    pub fn call(&mut self, args: Vec<Bytes>) -> Frame {
        let Session { engine, state } = self;
        engine.inner.execute(state, args).unwrap_or(Frame::Null)
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
