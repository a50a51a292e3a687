//! A reproducible random workload of string, bitmap and key commands.

/// A small deterministic generator: the workload is the same on every run.
pub struct Gen(pub u64);

impl Gen {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A random command of any family, random ones (SPOP, SRANDMEMBER, ...) included.
pub fn random_command(g: &mut Gen) -> Vec<String> {
    if g.below(5) < 2 {
        collection_command(g, false)
    } else {
        string_or_key_command(g)
    }
}

/// A random command whose reply does not depend on random choices or on hash-table
/// order, so two servers given the same sequence answer the same.
pub fn deterministic_command(g: &mut Gen) -> Vec<String> {
    if g.below(5) < 2 {
        collection_command(g, true)
    } else {
        string_or_key_command(g)
    }
}

/// A list, set, hash or sorted-set command over the same 40 keys (so type clashes happen), small members.
fn collection_command(g: &mut Gen, deterministic: bool) -> Vec<String> {
    let key = |g: &mut Gen| format!("k{}", g.below(40));
    let member = |g: &mut Gen| {
        if g.below(2) == 0 {
            g.below(30).to_string()
        } else {
            format!("m{}", g.below(30))
        }
    };
    let w = |s: &str| s.to_string();
    let n = if deterministic { 26 } else { 29 };
    match g.below(n) {
        0 => vec![w(g.pick(&["LPUSH", "RPUSH"])), key(g), member(g), member(g)],
        1 => vec![w(g.pick(&["LPUSHX", "RPUSHX"])), key(g), member(g)],
        2 => vec![w(g.pick(&["LPOP", "RPOP"])), key(g), g.below(3).to_string()],
        3 => vec![w("LRANGE"), key(g), w("0"), w("-1")],
        4 => vec![
            w("LREM"),
            key(g),
            (g.below(5) as i64 - 2).to_string(),
            member(g),
        ],
        5 => vec![
            w("LTRIM"),
            key(g),
            g.below(3).to_string(),
            (g.below(6) as i64 - 3).to_string(),
        ],
        6 => vec![
            w("LINSERT"),
            key(g),
            w(g.pick(&["BEFORE", "AFTER"])),
            member(g),
            member(g),
        ],
        7 => vec![
            w("LMOVE"),
            key(g),
            key(g),
            w(g.pick(&["LEFT", "RIGHT"])),
            w(g.pick(&["LEFT", "RIGHT"])),
        ],
        8 => vec![
            w("LSET"),
            key(g),
            (g.below(6) as i64 - 3).to_string(),
            member(g),
        ],
        9 => vec![w("SADD"), key(g), member(g), member(g), member(g)],
        10 => vec![w("SREM"), key(g), member(g), member(g)],
        11 => vec![w("SMOVE"), key(g), key(g), member(g)],
        12 => vec![
            w(g.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])),
            key(g),
            key(g),
            key(g),
        ],
        13 => vec![w("SCARD"), key(g)],
        14 => vec![w("SMISMEMBER"), key(g), member(g), member(g)],
        15 => vec![w("LPOS"), key(g), member(g), w("COUNT"), w("0")],
        16 => vec![
            w("HSET"),
            key(g),
            member(g),
            member(g),
            member(g),
            member(g),
        ],
        17 => vec![w("HDEL"), key(g), member(g), member(g)],
        18 => vec![w("HINCRBY"), key(g), member(g), g.below(10).to_string()],
        19 => vec![w("HMGET"), key(g), member(g), member(g)],
        20 => vec![
            w("ZADD"),
            key(g),
            g.below(50).to_string(),
            member(g),
            g.below(50).to_string(),
            member(g),
        ],
        21 => vec![
            w("ZINCRBY"),
            key(g),
            (g.below(9) as i64 - 4).to_string(),
            member(g),
        ],
        22 => vec![w("ZREM"), key(g), member(g), member(g)],
        23 => vec![
            w(g.pick(&["ZPOPMIN", "ZPOPMAX"])),
            key(g),
            g.below(3).to_string(),
        ],
        24 => vec![w("ZRANGE"), key(g), w("0"), w("-1"), w("WITHSCORES")],
        25 => vec![
            w(g.pick(&["ZUNIONSTORE", "ZINTERSTORE"])),
            key(g),
            w("2"),
            key(g),
            key(g),
        ],
        26 => vec![w("SPOP"), key(g), g.below(3).to_string()],
        27 => vec![
            w("SRANDMEMBER"),
            key(g),
            (g.below(7) as i64 - 3).to_string(),
        ],
        _ => vec![w("SMEMBERS"), key(g)],
    }
}

/// A random string, bitmap or key command over 40 keys and 3 databases, with TTLs an hour
/// or more away (given relative, so replies do not depend on the clock). Errors are part
/// of the mix.
fn string_or_key_command(g: &mut Gen) -> Vec<String> {
    let key = |g: &mut Gen| format!("k{}", g.below(40));
    let num = |g: &mut Gen| (g.below(200) as i64 - 100).to_string();
    let ttl = |g: &mut Gen| (3_600_000 + g.below(1_000_000)).to_string();
    let w = |s: &str| s.to_string();
    match g.below(30) {
        0 => vec![w("SET"), key(g), num(g)],
        1 => vec![
            w("SET"),
            key(g),
            w("v"),
            w("PX"),
            ttl(g),
            w(g.pick(&["NX", "XX", "GET"])),
        ],
        2 => vec![w("SET"), key(g), w("kept"), w("KEEPTTL")],
        3 => vec![w("APPEND"), key(g), w("xy")],
        4 => vec![w("INCR"), key(g)],
        5 => vec![w("INCRBY"), key(g), num(g)],
        6 => vec![w("INCRBYFLOAT"), key(g), w("1.5")],
        7 => vec![w("SETRANGE"), key(g), g.below(20).to_string(), w("abc")],
        8 => vec![
            w("SETBIT"),
            key(g),
            g.below(100).to_string(),
            g.below(2).to_string(),
        ],
        9 => vec![
            w("BITOP"),
            w(g.pick(&["AND", "OR", "XOR"])),
            key(g),
            key(g),
            key(g),
        ],
        10 => vec![w("BITFIELD"), key(g), w("INCRBY"), w("u8"), w("#1"), num(g)],
        11 => vec![w("DEL"), key(g), key(g)],
        12 => vec![
            w("PEXPIRE"),
            key(g),
            ttl(g),
            w(g.pick(&["NX", "XX", "GT", "LT"])),
        ],
        13 => vec![w("EXPIRE"), key(g), w("-1")],
        14 => vec![w("PERSIST"), key(g)],
        15 => vec![w("RENAME"), key(g), key(g)],
        16 => vec![w("RENAMENX"), key(g), key(g)],
        17 => vec![
            w("COPY"),
            key(g),
            key(g),
            w("DB"),
            g.below(3).to_string(),
            w("REPLACE"),
        ],
        18 => vec![w("MOVE"), key(g), g.below(3).to_string()],
        19 => vec![w("GETEX"), key(g), w("PX"), ttl(g)],
        20 => vec![w("GETEX"), key(g), w("PERSIST")],
        21 => vec![w("GETDEL"), key(g)],
        22 => vec![w("MSET"), key(g), w("m1"), key(g), w("m2")],
        23 => vec![w("MSETNX"), key(g), w("n1"), key(g), w("n2")],
        24 => vec![w("SETEX"), key(g), w("3600"), w("e")],
        25 => vec![w("SELECT"), g.below(3).to_string()],
        26 => vec![w("SWAPDB"), g.below(3).to_string(), g.below(3).to_string()],
        27 if g.below(20) == 0 => vec![w("FLUSHDB")],
        28 => vec![w("GETSET"), key(g), w("gs")],
        _ => vec![w("DECRBY"), key(g), num(g)],
    }
}
