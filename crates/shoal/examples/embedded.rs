#![allow(clippy::print_stdout)] // An example talks to its user on stdout.

//! Embeds Shoal in an application, uses it through the typed API, and serves the same data
//! to Redis clients: `cargo run --example embedded`, then `redis-cli -p <port> GET visits`.

use shoal::{Config, Expiry, SetOptions, Shoal};
use std::time::Duration;

fn run() -> Result<(), shoal::Error> {
    let db = Shoal::open(Config::default())?;
    db.set("app:name", "inventory")?;
    db.set_with(
        "session:42",
        "alice",
        SetOptions::default().expiry(Expiry::After(Duration::from_secs(30))),
    )?;
    let visits = db.incr("visits")?;
    println!("visits = {visits}, ttl = {:?}", db.ttl("session:42")?);

    let server = db.serve("127.0.0.1:0")?;
    println!("serving the same data on {}", server.local_addr());
    // A Redis client would connect here; this example only shows the handle and stops.
    server.stop();
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("example failed: {e}");
        std::process::exit(1);
    }
}

#[test]
fn example_runs() {
    assert!(run().is_ok());
}
