//! Helpers shared by the list family's tests: encodings, effects, and running a handler
//! directly to see the error variant it returns (a parked client is dispatch's business).

use crate::clock::Clock;
use crate::error::CmdResult;
use crate::exec::{Args, Ctx};
use crate::keyspace::Keyspace;
use crate::testing::Harness;
use bytes::Bytes;

/// The stored encoding of `key` in db 0, as `OBJECT ENCODING` would name it.
pub(super) fn encoding(h: &Harness, key: &str) -> Option<&'static str> {
    let inner = h.engine.inner();
    let shard = inner.keyspace.lock(Keyspace::shard_of(key.as_bytes()));
    shard.dbs[0]
        .get(key.as_bytes())
        .map(|e| e.value.encoding_name())
}

pub(super) use crate::testing::effect_texts as effects;

pub(super) use crate::testing::expected_effects as eff;

/// Runs the handler of `args[0]` directly, returning its raw result (arity unchecked).
pub(super) fn exec(h: &mut Harness, args: &[&str]) -> CmdResult {
    let argv: Vec<Bytes> = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    let inner = h.engine.inner();
    let Some(spec) = inner.table.get(&argv[0]) else {
        panic!("no command {}", args[0]);
    };
    let mut ctx = Ctx {
        inner,
        session: h.session.state_mut(),
        args: Args::new(argv, 1),
        now_ms: h.clock.now_ms(),
        name: spec.name,
        job: None,
    };
    (spec.handler)(&mut ctx)
}

/// Sets `list-max-listpack-size`.
pub(super) fn set_fill(h: &mut Harness, v: i64) {
    let r = h.run(&["CONFIG", "SET", "list-max-listpack-size", &v.to_string()]);
    assert_eq!(r, crate::testing::ok());
}
