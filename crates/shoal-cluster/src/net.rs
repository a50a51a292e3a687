//! The members' network: openraft's RPCs over TCP, one request and its reply at a time
//! per connection, each a length-prefixed postcard message.

use crate::types::{Member, NodeId, Raft, TypeConfig};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest message accepted (a snapshot chunk, a batch of entries).
const MAX_MESSAGE: usize = 512 << 20;

#[derive(Serialize, Deserialize)]
enum Request {
    Append(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    Snapshot(InstallSnapshotRequest<TypeConfig>),
    /// A leadership transfer names the receiver: stand for election now, and again after
    /// `retry_ms` if no leader was elected by then.
    Elect {
        retry_ms: u64,
    },
}

type SnapshotResult =
    Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>;

#[derive(Serialize, Deserialize)]
enum Reply {
    Append(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    Snapshot(SnapshotResult),
    /// Whether the receiver stood (or already leads).
    Elect(bool),
}

async fn write_msg<T: Serialize>(s: &mut TcpStream, msg: &T) -> std::io::Result<()> {
    let body = postcard::to_stdvec(msg).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    s.write_all(&out).await
}

async fn read_msg<T: DeserializeOwned>(s: &mut TcpStream) -> std::io::Result<T> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_MESSAGE {
        return Err(std::io::Error::other("message too large"));
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await?;
    postcard::from_bytes(&body).map_err(std::io::Error::other)
}

/// Serves the RPCs of other members on `listener` until the Raft stops.
/// The connections' tasks belong to this one: stopping it (the group shutting down) ends
/// them too.
pub(crate) async fn serve(listener: TcpListener, raft: Raft) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            Some(_) = connections.join_next() => continue,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_one(stream, raft.clone()));
    }
}

async fn serve_one(mut stream: TcpStream, raft: Raft) {
    while let Ok(req) = read_msg::<Request>(&mut stream).await {
        let reply = match req {
            Request::Append(r) => Reply::Append(raft.append_entries(r).await),
            Request::Vote(r) => Reply::Vote(raft.vote(r).await),
            Request::Snapshot(r) => Reply::Snapshot(raft.install_snapshot(r).await),
            Request::Elect { retry_ms } => {
                Reply::Elect(stand(&raft, Duration::from_millis(retry_ms)).await)
            }
        };
        if write_msg(&mut stream, &reply).await.is_err() {
            return;
        }
    }
}

/// Stands for election, as a leadership transfer asks. The old leader, whose own lease has
/// run out, votes for this member (enough in a group of three); in a larger group the other
/// voters' leases from the old leader must run out first, so this member stands once more
/// after `retry` unless a leader was elected meanwhile.
async fn stand(raft: &Raft, retry: Duration) -> bool {
    let m = raft.metrics().borrow().clone();
    if m.state == openraft::ServerState::Leader {
        return true;
    }
    if !m
        .membership_config
        .membership()
        .voter_ids()
        .any(|v| v == m.id)
    {
        return false;
    }
    if raft.trigger().elect().await.is_err() {
        return false;
    }
    let raft = raft.clone();
    tokio::spawn(async move {
        tokio::time::sleep(retry).await;
        let m = raft.metrics().borrow().clone();
        if m.current_leader.is_none() && m.state != openraft::ServerState::Leader {
            let _ = raft.trigger().elect().await;
        }
    });
    true
}

/// Asks the member whose Raft address is `addr` to stand for election (see [`stand`]).
pub(crate) async fn ask_to_elect(
    addr: &str,
    engine: &std::sync::Weak<shoal_engine::Inner>,
    retry: Duration,
    timeout: Duration,
) -> std::io::Result<bool> {
    let exchange = async {
        let mut s = connect(addr, engine).await?;
        let _ = s.set_nodelay(true);
        let retry_ms = retry.as_millis() as u64;
        write_msg(&mut s, &Request::Elect { retry_ms }).await?;
        match read_msg::<Reply>(&mut s).await? {
            Reply::Elect(stood) => Ok(stood),
            _ => Err(mismatch()),
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in time"))?
}

/// Makes a connection per target.
#[derive(Clone)]
pub struct Network {
    /// For `bind-source-addr`.
    pub(crate) engine: std::sync::Weak<shoal_engine::Inner>,
}

/// Connects to `addr` from `bind-source-addr` when it is set (as Redis binds its outgoing
/// replication and cluster connections).
pub async fn connect(
    addr: &str,
    engine: &std::sync::Weak<shoal_engine::Inner>,
) -> std::io::Result<TcpStream> {
    let source = engine
        .upgrade()
        .and_then(|e| e.config.get("bind-source-addr"))
        .filter(|s| !s.is_empty());
    let Some(source) = source else {
        return TcpStream::connect(addr).await;
    };
    let source: std::net::IpAddr = source
        .parse()
        .map_err(|_| std::io::Error::other(format!("bad bind-source-addr '{source}'")))?;
    let mut last = std::io::Error::other(format!("{addr}: no address"));
    for target in tokio::net::lookup_host(addr).await? {
        let socket = if target.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.bind(std::net::SocketAddr::new(source, 0))?;
        match socket.connect(target).await {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A connection to one member, opened on first use and again after a failure.
pub struct Peer {
    engine: std::sync::Weak<shoal_engine::Inner>,
    target: NodeId,
    member: Member,
    stream: Option<TcpStream>,
    /// An exchange began and did not finish: openraft gives each call its own deadline
    /// and drops the call when it passes, possibly between request and reply. The
    /// connection is then out of step and is replaced before the next call.
    unfinished: bool,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &Member) -> Peer {
        Peer {
            engine: self.engine.clone(),
            target,
            member: node.clone(),
            stream: None,
            unfinished: false,
        }
    }
}

impl Peer {
    async fn call(&mut self, req: &Request, ttl: Duration) -> Result<Reply, std::io::Error> {
        if std::mem::replace(&mut self.unfinished, true) {
            self.stream = None;
        }
        // Our own deadline comes a little before openraft's, so a late reply is seen here
        // (and the connection replaced) rather than the call being dropped.
        let ttl = ttl.mul_f32(0.9);
        let exchange = async {
            if self.stream.is_none() {
                let s = connect(&self.member.raft, &self.engine).await?;
                let _ = s.set_nodelay(true);
                self.stream = Some(s);
            }
            let Some(s) = self.stream.as_mut() else {
                return Err(std::io::Error::other("no connection"));
            };
            write_msg(s, req).await?;
            read_msg::<Reply>(s).await
        };
        let out = match tokio::time::timeout(ttl, exchange).await {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "rpc timed out",
            )),
        };
        if out.is_err() {
            self.stream = None;
        }
        self.unfinished = false;
        out
    }

    fn unreachable<E: std::error::Error>(&self, e: &std::io::Error) -> RPCError<NodeId, Member, E> {
        if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::UnexpectedEof
        {
            RPCError::Network(NetworkError::new(e))
        } else {
            RPCError::Unreachable(Unreachable::new(e))
        }
    }

    fn remote<E: std::error::Error>(
        &self,
        e: RaftError<NodeId, E>,
    ) -> RPCError<NodeId, Member, RaftError<NodeId, E>> {
        RPCError::RemoteError(RemoteError::new_with_node(
            self.target,
            self.member.clone(),
            e,
        ))
    }
}

fn mismatch() -> std::io::Error {
    std::io::Error::other("reply of another kind")
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, Member, RaftError<NodeId>>> {
        match self.call(&Request::Append(rpc), option.hard_ttl()).await {
            Ok(Reply::Append(r)) => r.map_err(|e| self.remote(e)),
            Ok(_) => Err(self.unreachable(&mismatch())),
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, Member, RaftError<NodeId, InstallSnapshotError>>,
    > {
        match self.call(&Request::Snapshot(rpc), option.hard_ttl()).await {
            Ok(Reply::Snapshot(r)) => r.map_err(|e| self.remote(e)),
            Ok(_) => Err(self.unreachable(&mismatch())),
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, Member, RaftError<NodeId>>> {
        match self.call(&Request::Vote(rpc), option.hard_ttl()).await {
            Ok(Reply::Vote(r)) => r.map_err(|e| self.remote(e)),
            Ok(_) => Err(self.unreachable(&mismatch())),
            Err(e) => Err(self.unreachable(&e)),
        }
    }
}
