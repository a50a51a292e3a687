//! A fault-injecting TCP proxy on loopback: forwards every connection it accepts to a
//! target, and on demand cuts every connection open through it (a link failure both ends
//! see as a reset), refuses new ones for a while (a partition), or silently drops what
//! flows on connections from chosen source addresses (a partition between some hosts,
//! seen as timeouts), or holds back everything it forwards (a slow network).

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    /// The port clients connect to.
    pub port: u16,
    state: Arc<State>,
}

struct State {
    open: Mutex<Vec<(IpAddr, TcpStream)>>,
    /// Sources whose traffic (both ways) is dropped.
    dropping: Mutex<HashSet<IpAddr>>,
    refusing: AtomicBool,
    stopped: AtomicBool,
    /// Milliseconds each chunk waits before it is passed on.
    delay_ms: AtomicU64,
}

impl Proxy {
    /// Starts forwarding a fresh loopback port to `127.0.0.1:target`.
    pub fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("proxy: {e}"));
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("proxy: {e}"));
        let _ = listener.set_nonblocking(true);
        let state = Arc::new(State {
            open: Mutex::new(Vec::new()),
            dropping: Mutex::new(HashSet::new()),
            refusing: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            delay_ms: AtomicU64::new(0),
        });
        let st = state.clone();
        std::thread::spawn(move || accept_loop(listener, target, st));
        Proxy { port, state }
    }

    /// Cuts every connection open through the proxy.
    pub fn cut(&self) {
        let mut open = self.state.open.lock().unwrap_or_else(|e| e.into_inner());
        for (_, s) in open.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// While set, what flows either way on connections from `source` is dropped: the
    /// target and that source stop hearing each other, without either side seeing the
    /// connection fail. Healing cuts those connections (what was dropped left their
    /// streams out of step), so both sides start afresh.
    pub fn drop_from(&self, source: IpAddr, on: bool) {
        let mut dropping = self
            .state
            .dropping
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if on {
            dropping.insert(source);
            return;
        }
        if dropping.remove(&source) {
            let mut open = self.state.open.lock().unwrap_or_else(|e| e.into_inner());
            open.retain(|(ip, s)| {
                if *ip == source {
                    let _ = s.shutdown(Shutdown::Both);
                }
                *ip != source
            });
        }
    }

    /// Holds back every chunk passed on (either way) by `delay` from now on; zero
    /// passes them on at once again.
    pub fn delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// While set, new connections are closed at once (the target is unreachable).
    pub fn refuse(&self, on: bool) {
        self.state.refusing.store(on, Ordering::SeqCst);
        if on {
            self.cut();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.cut();
    }
}

fn accept_loop(listener: TcpListener, target: u16, st: Arc<State>) {
    while !st.stopped.load(Ordering::SeqCst) {
        let Ok((client, from)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        if st.refusing.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let _ = client.set_nonblocking(false);
        let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let pairs = [
            (client.try_clone(), server.try_clone()),
            (server.try_clone(), client.try_clone()),
        ];
        {
            let mut open = st.open.lock().unwrap_or_else(|e| e.into_inner());
            open.push((from.ip(), client));
            open.push((from.ip(), server));
        }
        for pair in pairs {
            if let (Ok(a), Ok(b)) = pair {
                let st = st.clone();
                std::thread::spawn(move || pump(a, b, from.ip(), &st));
            }
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, source: IpAddr, st: &State) {
    let mut buf = [0u8; 32 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let delay = st.delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    std::thread::sleep(Duration::from_millis(delay));
                }
                let dropped = st
                    .dropping
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(&source);
                if !dropped && to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
