//! Reproducible cache traces and their replay against a RESP server, for comparing
//! eviction policies by hit ratio (the `cachetrace` bin and `scripts/cache-hit-bench.sh`).
//!
//! A trace is a sequence of key ids over a population of `keys` ids, drawn from a seeded
//! generator, so every server replays exactly the same requests:
//! - `zipf-S`: Zipf-distributed popularity with skew `S` (e.g. `zipf-0.8`, `zipf-1.0`);
//! - `zipf-scan`: Zipf 0.9 where every 1,000 requests 250 more are a scan of keys never
//!   seen before nor again;
//! - `shift`: Zipf 0.9 whose popularity order is reshuffled half-way;
//! - `loop`: the whole population in a fixed order, over and over (larger than any cache
//!   size measured).
//!
//! Replay is cache-aside: GET each key, and SET it (fixed-size value) when the GET missed.
//! Requests go in pipelined batches of distinct keys (a batch ends before a key repeats),
//! GETs first, then the SETs of the misses: a key's GET always sees every earlier SET of it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

/// A SplitMix64 generator: small and stable, so traces never change between versions.
#[derive(Clone, Debug)]
pub struct Gen(u64);

impl Gen {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Gen {
        Gen(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in 0..1.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<u64> {
        let mut p: Vec<u64> = (0..n as u64).collect();
        for i in (1..n).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// Ranks drawn with Zipf probabilities (rank r has weight 1/(r+1)^s).
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// The distribution over `n` ranks with skew `s`.
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for r in 0..n {
            sum += 1.0 / ((r + 1) as f64).powf(s);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Zipf { cdf }
    }

    /// A rank.
    pub fn sample(&self, g: &mut Gen) -> usize {
        let u = g.unit();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

/// The trace names this tool knows.
pub const TRACES: &[&str] = &[
    "zipf-0.7",
    "zipf-0.9",
    "zipf-1.1",
    "zipf-scan",
    "shift",
    "loop",
];

/// The key ids of trace `name` over `keys` ids, `requests` long; None for an unknown name.
pub fn generate(name: &str, keys: usize, requests: usize, seed: u64) -> Option<Vec<u64>> {
    let mut g = Gen::new(seed ^ name.bytes().fold(0u64, |h, b| h * 31 + u64::from(b)));
    let zipf_of = |s: f64, g: &mut Gen, n: usize| -> Vec<u64> {
        let z = Zipf::new(keys, s);
        let perm = g.permutation(keys);
        (0..n).map(|_| perm[z.sample(g)]).collect()
    };
    let trace = match name {
        "zipf-scan" => {
            let z = Zipf::new(keys, 0.9);
            let perm = g.permutation(keys);
            let mut next_scan = keys as u64;
            let mut out = Vec::with_capacity(requests);
            while out.len() < requests {
                for _ in 0..1000 {
                    out.push(perm[z.sample(&mut g)]);
                }
                for _ in 0..250 {
                    out.push(next_scan);
                    next_scan += 1;
                }
            }
            out.truncate(requests);
            out
        }
        "shift" => {
            let mut first = zipf_of(0.9, &mut g, requests / 2);
            first.extend(zipf_of(0.9, &mut g, requests - requests / 2));
            first
        }
        "loop" => (0..requests).map(|i| (i % keys) as u64).collect(),
        other => {
            let s: f64 = other.strip_prefix("zipf-")?.parse().ok()?;
            zipf_of(s, &mut g, requests)
        }
    };
    Some(trace)
}

/// A RESP connection that sends pipelined commands and reads simple replies.
pub struct Conn {
    out: TcpStream,
    input: BufReader<TcpStream>,
}

/// One reply, reduced to what replay needs.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// A bulk or simple string, an integer, or an array (flattened to its text).
    Value(Vec<u8>),
    /// A nil.
    Nil,
    /// An error line.
    Error(String),
}

impl Conn {
    /// Connects to `127.0.0.1:port`.
    pub fn connect(port: u16) -> std::io::Result<Conn> {
        let out = TcpStream::connect(("127.0.0.1", port))?;
        out.set_nodelay(true)?;
        let input = BufReader::new(out.try_clone()?);
        Ok(Conn { out, input })
    }

    /// Appends a command to `buf` in RESP.
    pub fn encode(buf: &mut Vec<u8>, args: &[&[u8]]) {
        buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
    }

    /// Sends encoded commands.
    pub fn send(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    /// Reads one reply.
    pub fn read(&mut self) -> std::io::Result<Reply> {
        let mut line = Vec::new();
        self.input.read_until(b'\n', &mut line)?;
        let text = String::from_utf8_lossy(
            line.get(1..line.len().saturating_sub(2))
                .unwrap_or_default(),
        )
        .into_owned();
        match line.first() {
            Some(b'$') | Some(b'*') if text.starts_with('-') => Ok(Reply::Nil),
            Some(b'_') => Ok(Reply::Nil),
            Some(b'$') => {
                let n: usize = text.parse().unwrap_or(0);
                let mut data = vec![0u8; n + 2];
                std::io::Read::read_exact(&mut self.input, &mut data)?;
                data.truncate(n);
                Ok(Reply::Value(data))
            }
            Some(b'*') => {
                let n: usize = text.parse().unwrap_or(0);
                let mut all = Vec::new();
                for _ in 0..n {
                    if let Reply::Value(v) = self.read()? {
                        all.extend_from_slice(&v);
                        all.push(b'\n');
                    }
                }
                Ok(Reply::Value(all))
            }
            Some(b'-') => Ok(Reply::Error(text)),
            Some(_) => Ok(Reply::Value(text.into_bytes())),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            )),
        }
    }

    /// Runs one command and returns its reply.
    pub fn call(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let mut buf = Vec::new();
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        Self::encode(&mut buf, &bytes);
        self.send(&buf)?;
        self.read()
    }

    /// The value of `field` in `INFO section`.
    pub fn info_field(&mut self, section: &str, field: &str) -> std::io::Result<String> {
        let Reply::Value(text) = self.call(&["INFO", section])? else {
            return Ok(String::new());
        };
        let text = String::from_utf8_lossy(&text).into_owned();
        Ok(text
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{field}:"))
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default())
    }
}

/// Hits and requests of one replay.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// GETs that found their key.
    pub hits: u64,
    /// GETs sent.
    pub requests: u64,
    /// SETs refused (OOM).
    pub refused: u64,
}

impl Outcome {
    /// Hits over requests.
    pub fn ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.hits as f64 / self.requests as f64
        }
    }
}

fn key_name(id: u64) -> String {
    format!("key:{id:08}")
}

/// Replays `trace` cache-aside against `conn` with values of `value_size` bytes.
pub fn replay(conn: &mut Conn, trace: &[u64], value_size: usize) -> std::io::Result<Outcome> {
    const BATCH: usize = 32;
    let value = vec![b'v'; value_size];
    let mut o = Outcome::default();
    let mut i = 0;
    let mut batch: Vec<u64> = Vec::with_capacity(BATCH);
    while i < trace.len() {
        batch.clear();
        while i < trace.len() && batch.len() < BATCH && !batch.contains(&trace[i]) {
            batch.push(trace[i]);
            i += 1;
        }
        let names: Vec<String> = batch.iter().map(|&k| key_name(k)).collect();
        let mut buf = Vec::new();
        for n in &names {
            Conn::encode(&mut buf, &[b"GET", n.as_bytes()]);
        }
        conn.send(&buf)?;
        let mut missed = Vec::new();
        for n in &names {
            o.requests += 1;
            match conn.read()? {
                Reply::Value(_) => o.hits += 1,
                _ => missed.push(n),
            }
        }
        if missed.is_empty() {
            continue;
        }
        buf.clear();
        for n in &missed {
            Conn::encode(&mut buf, &[b"SET", n.as_bytes(), &value]);
        }
        conn.send(&buf)?;
        for _ in &missed {
            if let Reply::Error(_) = conn.read()? {
                o.refused += 1;
            }
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_reproducible_and_sized() {
        for t in TRACES {
            let a = generate(t, 1000, 5000, 7);
            assert_eq!(a.as_ref().map(Vec::len), Some(5000), "{t}");
            assert_eq!(a, generate(t, 1000, 5000, 7), "{t}");
        }
        assert!(generate("nope", 10, 10, 1).is_none());
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let z = Zipf::new(1000, 1.0);
        let mut g = Gen::new(1);
        let top = (0..10_000).filter(|_| z.sample(&mut g) < 10).count();
        // The first 10 of 1000 ranks hold ~39% of the mass at s = 1.
        assert!((3000..4800).contains(&top), "{top}");
    }

    #[test]
    fn scan_keys_never_repeat() {
        let t = generate("zipf-scan", 1000, 20_000, 3).unwrap_or_default();
        let scans: Vec<u64> = t.iter().copied().filter(|&k| k >= 1000).collect();
        let mut dedup = scans.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(scans.len(), dedup.len());
        assert_eq!(scans.len(), 4000);
    }
}
