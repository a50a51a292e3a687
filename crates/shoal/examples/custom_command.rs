//! An application command: `CAS key expected new` sets `key` to `new` only if it holds
//! `expected`, atomically, and answers 1 or 0. Registered once, it works from the embedded
//! API, inside MULTI, and over RESP for any Redis client.
//!
//! Run with `cargo run --example custom_command`.

#![allow(clippy::print_stdout)]

use shoal::{
    flags, Access, Bytes, CmdResult, CommandSpec, Config, Ctx, CustomCommand, Frame, KeyTtl, Shoal,
    StrValue, Value,
};

fn cas(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let expected = ctx.args.bytes()?;
    let new = ctx.args.bytes()?;
    ctx.args.finish()?;
    let mut a: Access<'_> = ctx.lock1(&key);
    let current = match a.get_value(&key) {
        Some(Value::Str(s)) => s.as_bytes().into_owned(),
        Some(_) => return Err(shoal::CmdError::WrongType),
        None => return Ok(Frame::Integer(0)),
    };
    if current != expected[..] {
        return Ok(Frame::Integer(0));
    }
    a.set(&key, Value::Str(StrValue::from_bytes(&new)), KeyTtl::Keep);
    // Replicas, the AOF and WATCH see the write as what it did.
    a.emit(vec![
        Bytes::from_static(b"SET"),
        key.clone(),
        new,
        Bytes::from_static(b"KEEPTTL"),
    ]);
    a.notify(shoal::notify::STRING, "set", &key);
    Ok(Frame::Integer(1))
}

fn main() -> Result<(), shoal::Error> {
    let spec = CommandSpec::custom("cas")
        .arity(4)
        .flags(flags::WRITE | flags::DENYOOM | flags::FAST)
        .keys(1, 1, 1)
        .doc(
            "Sets a key to a new value if it holds the expected one.",
            "1.0.0",
            "O(1)",
        );
    let db = Shoal::open(Config::default().command(CustomCommand::new(spec, cas)))?;
    db.set("door", "closed")?;
    assert_eq!(
        db.execute(&["CAS", "door", "open", "locked"])?,
        Frame::Integer(0)
    );
    assert_eq!(
        db.execute(&["CAS", "door", "closed", "open"])?,
        Frame::Integer(1)
    );
    assert_eq!(db.get("door")?.as_deref(), Some(&b"open"[..]));
    let server = db.serve("127.0.0.1:0")?;
    println!(
        "try: redis-cli -p {} CAS door open closed",
        server.local_addr().port()
    );
    Ok(())
}
