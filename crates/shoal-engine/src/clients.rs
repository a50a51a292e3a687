//! The registry of connected clients (sessions), for CLIENT LIST/INFO/KILL and INFO clients.

use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

/// How a client reached the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// A TCP connection.
    Tcp,
    /// A handle inside the embedding process.
    Embedded,
}

/// Where a client comes from, given when its session opens.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// Kind of client.
    pub kind: ClientKind,
    /// Peer address (`ip:port`), empty for embedded clients.
    pub addr: String,
    /// Local address (`ip:port`), empty for embedded clients.
    pub laddr: String,
    /// File descriptor, or -1.
    pub fd: i64,
}

impl ClientInfo {
    /// An embedded client.
    pub fn embedded() -> ClientInfo {
        ClientInfo {
            kind: ClientKind::Embedded,
            addr: String::new(),
            laddr: String::new(),
            fd: -1,
        }
    }
}

type KillHook = Box<dyn Fn() + Send + Sync>;

/// What other clients may see and do to one client.
pub struct ClientHandle {
    /// Unique, increasing id (CLIENT ID).
    pub id: u64,
    /// Where it comes from.
    pub info: ClientInfo,
    /// Creation time, ms since the epoch.
    pub created_ms: u64,
    /// CLIENT SETNAME.
    pub name: Mutex<Option<Bytes>>,
    /// CLIENT SETINFO LIB-NAME / LIB-VER.
    pub lib: Mutex<(Option<Bytes>, Option<Bytes>)>,
    /// Selected database.
    pub db: AtomicUsize,
    /// Protocol version (2 or 3).
    pub resp: AtomicU8,
    /// Last command time, ms since the epoch.
    pub last_interaction_ms: AtomicU64,
    /// Full name of the last command.
    pub last_cmd: Mutex<&'static str>,
    /// Bytes waiting in the query buffer (maintained by the server).
    pub qbuf: AtomicUsize,
    /// Bytes waiting in the output buffer (maintained by the server).
    pub omem: AtomicUsize,
    /// Set by CLIENT KILL; the connection closes at its next chance.
    pub killed: AtomicBool,
    /// CLIENT NO-EVICT.
    pub no_evict: AtomicBool,
    /// Channels, patterns and shard channels subscribed to (CLIENT LIST sub/psub/ssub).
    pub subscriptions: [AtomicUsize; 3],
    /// Commands queued in MULTI, or -1 outside a transaction (CLIENT LIST multi).
    pub multi: AtomicI64,
    /// Its part in replication: [`ROLE_NORMAL`], [`ROLE_REPLICA`] (a replica's link to
    /// this server) or [`ROLE_MASTER`] (this server's link to its primary).
    pub role: AtomicU8,
    /// The user it is logged in as (CLIENT LIST `user`, CLIENT KILL USER).
    pub user: Mutex<Bytes>,
    kill_hook: Mutex<Option<KillHook>>,
}

/// An ordinary client.
pub const ROLE_NORMAL: u8 = 0;
/// A replica following this server.
pub const ROLE_REPLICA: u8 = 1;
/// This server's primary, applying its stream.
pub const ROLE_MASTER: u8 = 2;

impl ClientHandle {
    /// Marks the client killed and wakes its connection.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        if let Some(hook) = self.kill_hook.lock().as_ref() {
            hook();
        }
    }

    /// Installs the function that wakes this client's connection when it is killed.
    pub fn on_kill(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self.kill_hook.lock() = Some(Box::new(hook));
    }

    /// True once killed.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

/// Every open session.
#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    next_id: AtomicU64,
    /// How many of them are TCP clients, kept apart so reading it takes no lock.
    tcp: AtomicUsize,
}

impl ClientRegistry {
    pub(crate) fn register(&self, info: ClientInfo, now_ms: u64) -> Arc<ClientHandle> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        if info.kind == ClientKind::Tcp {
            self.tcp.fetch_add(1, Ordering::Relaxed);
        }
        let handle = Arc::new(ClientHandle {
            id,
            info,
            created_ms: now_ms,
            name: Mutex::new(None),
            lib: Mutex::new((None, None)),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            last_interaction_ms: AtomicU64::new(now_ms),
            last_cmd: Mutex::new("NULL"),
            qbuf: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            killed: AtomicBool::new(false),
            no_evict: AtomicBool::new(false),
            subscriptions: Default::default(),
            multi: AtomicI64::new(-1),
            role: AtomicU8::new(ROLE_NORMAL),
            user: Mutex::new(Bytes::from_static(b"default")),
            kill_hook: Mutex::new(None),
        });
        self.clients.lock().insert(id, handle.clone());
        handle
    }

    pub(crate) fn unregister(&self, id: u64) {
        let removed = self.clients.lock().remove(&id);
        if removed.is_some_and(|c| c.info.kind == ClientKind::Tcp) {
            self.tcp.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A snapshot of every client, by id.
    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.clients.lock().values().cloned().collect()
    }

    /// One client by id.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.lock().get(&id).cloned()
    }

    /// Number of TCP clients (replica links included); no lock taken.
    pub fn tcp_count(&self) -> usize {
        self.tcp.load(Ordering::Relaxed)
    }
}
