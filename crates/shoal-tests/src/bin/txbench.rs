//! Throughput of MULTI + 10 SETs + EXEC transactions against any RESP server, for the
//! side-by-side benchmark script (redis-benchmark cannot send transactions).
//!
//! `txbench PORT CLIENTS TRANSACTIONS PIPELINE` prints transactions per second.

#![allow(clippy::print_stdout)] // A benchmark tool reports on stdout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// Lines of the replies to one transaction: +OK, 10 x +QUEUED, *10, 10 x +OK.
const LINES_PER_TX: usize = 22;

fn transaction(client: usize, n: usize) -> Vec<u8> {
    let mut out = b"*1\r\n$5\r\nMULTI\r\n".to_vec();
    for i in 0..10 {
        let key = format!("tx:{client}:{}", (n * 10 + i) % 10_000);
        out.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$3\r\nxxx\r\n",
                key.len()
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
    out
}

fn run_client(port: u16, client: usize, count: usize, pipeline: usize) -> std::io::Result<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = 0;
    while done < count {
        let batch = pipeline.min(count - done);
        let mut req = Vec::new();
        for k in 0..batch {
            req.extend(transaction(client, done + k));
        }
        s.write_all(&req)?;
        let mut lines = 0;
        while lines < batch * LINES_PER_TX {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        }
        done += batch;
    }
    Ok(())
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or(0))
        .collect();
    let [port, clients, total, pipeline] = args[..] else {
        eprintln!("usage: txbench PORT CLIENTS TRANSACTIONS PIPELINE");
        std::process::exit(2);
    };
    let per_client = total / clients.max(1);
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            std::thread::spawn(move || run_client(port as u16, c, per_client, pipeline.max(1)))
        })
        .collect();
    for t in threads {
        if !matches!(t.join(), Ok(Ok(()))) {
            eprintln!("a client failed");
            std::process::exit(1);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{:.2}", (per_client * clients) as f64 / secs);
}
