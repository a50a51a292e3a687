//! How each command touches its keys, for `%R~` / `%W~` patterns: per key specification,
//! the argument where it begins and whether it reads (`R`), writes (`W`), both, or neither
//! (`N`: only looks at existence or metadata). Facts from Redis 7's key specifications
//! (`access` reads; `insert`, `delete`, `update` write).

/// Neither read nor write.
const N: u8 = 0;
/// Reads the value.
const R: u8 = super::user::PERM_READ;
/// Changes the key.
const W: u8 = super::user::PERM_WRITE;
/// Both.
const RW: u8 = R | W;

/// Sorted by name: `(command, [(first argument of the spec, access)])`.
pub(crate) const KEY_SPECS: &[(&str, &[(usize, u8)])] = &[
    ("append", &[(1, W)]),
    ("bitcount", &[(1, R)]),
    ("bitfield", &[(1, RW)]),
    ("bitfield_ro", &[(1, R)]),
    ("bitop", &[(2, W), (3, R)]),
    ("bitpos", &[(1, R)]),
    ("blmove", &[(1, RW), (2, W)]),
    ("blmpop", &[(2, RW)]),
    ("blpop", &[(1, RW)]),
    ("brpop", &[(1, RW)]),
    ("brpoplpush", &[(1, RW), (2, W)]),
    ("bzmpop", &[(2, RW)]),
    ("bzpopmax", &[(1, RW)]),
    ("bzpopmin", &[(1, RW)]),
    ("copy", &[(1, R), (2, W)]),
    ("decr", &[(1, RW)]),
    ("decrby", &[(1, RW)]),
    ("del", &[(1, W)]),
    ("dump", &[(1, R)]),
    ("eval", &[(2, RW)]),
    ("eval_ro", &[(2, R)]),
    ("evalsha", &[(2, RW)]),
    ("evalsha_ro", &[(2, R)]),
    ("exists", &[(1, N)]),
    ("expire", &[(1, W)]),
    ("expireat", &[(1, W)]),
    ("expiretime", &[(1, R)]),
    ("fcall", &[(2, RW)]),
    ("fcall_ro", &[(2, R)]),
    ("geoadd", &[(1, W)]),
    ("geodist", &[(1, R)]),
    ("geohash", &[(1, R)]),
    ("geopos", &[(1, R)]),
    ("georadius", &[(1, R), (6, W), (6, W)]),
    ("georadius_ro", &[(1, R)]),
    ("georadiusbymember", &[(1, R), (5, W), (5, W)]),
    ("georadiusbymember_ro", &[(1, R)]),
    ("geosearch", &[(1, R)]),
    ("geosearchstore", &[(1, W), (2, R)]),
    ("get", &[(1, R)]),
    ("getbit", &[(1, R)]),
    ("getdel", &[(1, RW)]),
    ("getex", &[(1, RW)]),
    ("getrange", &[(1, R)]),
    ("getset", &[(1, RW)]),
    ("hdel", &[(1, W)]),
    ("hexists", &[(1, N)]),
    ("hget", &[(1, R)]),
    ("hgetall", &[(1, R)]),
    ("hincrby", &[(1, RW)]),
    ("hincrbyfloat", &[(1, RW)]),
    ("hkeys", &[(1, R)]),
    ("hlen", &[(1, N)]),
    ("hmget", &[(1, R)]),
    ("hmset", &[(1, W)]),
    ("hrandfield", &[(1, R)]),
    ("hscan", &[(1, R)]),
    ("hset", &[(1, W)]),
    ("hsetnx", &[(1, W)]),
    ("hstrlen", &[(1, N)]),
    ("hvals", &[(1, R)]),
    ("incr", &[(1, RW)]),
    ("incrby", &[(1, RW)]),
    ("incrbyfloat", &[(1, RW)]),
    ("lcs", &[(1, R)]),
    ("lindex", &[(1, R)]),
    ("linsert", &[(1, W)]),
    ("llen", &[(1, N)]),
    ("lmove", &[(1, RW), (2, W)]),
    ("lmpop", &[(1, RW)]),
    ("lpop", &[(1, RW)]),
    ("lpos", &[(1, R)]),
    ("lpush", &[(1, W)]),
    ("lpushx", &[(1, W)]),
    ("lrange", &[(1, R)]),
    ("lrem", &[(1, W)]),
    ("lset", &[(1, W)]),
    ("ltrim", &[(1, W)]),
    ("memory|usage", &[(2, N)]),
    ("mget", &[(1, R)]),
    ("migrate", &[(3, RW), (0, RW)]),
    ("move", &[(1, RW)]),
    ("mset", &[(1, W)]),
    ("msetnx", &[(1, W)]),
    ("object|encoding", &[(2, N)]),
    ("object|freq", &[(2, N)]),
    ("object|idletime", &[(2, N)]),
    ("object|refcount", &[(2, N)]),
    ("persist", &[(1, W)]),
    ("pexpire", &[(1, W)]),
    ("pexpireat", &[(1, W)]),
    ("pexpiretime", &[(1, R)]),
    ("pfadd", &[(1, W)]),
    ("pfcount", &[(1, R)]),
    ("pfdebug", &[(2, R)]),
    ("pfmerge", &[(1, RW), (2, R)]),
    ("psetex", &[(1, W)]),
    ("pttl", &[(1, R)]),
    ("rename", &[(1, RW), (2, W)]),
    ("renamenx", &[(1, RW), (2, W)]),
    ("restore", &[(1, W)]),
    ("restore-asking", &[(1, W)]),
    ("rpop", &[(1, RW)]),
    ("rpoplpush", &[(1, RW), (2, W)]),
    ("rpush", &[(1, W)]),
    ("rpushx", &[(1, W)]),
    ("sadd", &[(1, W)]),
    ("scard", &[(1, N)]),
    ("sdiff", &[(1, R)]),
    ("sdiffstore", &[(1, W), (2, R)]),
    ("set", &[(1, RW)]),
    ("setbit", &[(1, RW)]),
    ("setex", &[(1, W)]),
    ("setnx", &[(1, W)]),
    ("setrange", &[(1, W)]),
    ("sinter", &[(1, R)]),
    ("sintercard", &[(1, R)]),
    ("sinterstore", &[(1, W), (2, R)]),
    ("sismember", &[(1, N)]),
    ("smembers", &[(1, R)]),
    ("smismember", &[(1, R)]),
    ("smove", &[(1, RW), (2, W)]),
    ("sort", &[(1, R), (0, R), (0, W)]),
    ("sort_ro", &[(1, R), (0, R)]),
    ("spop", &[(1, RW)]),
    ("spublish", &[(1, N)]),
    ("srandmember", &[(1, R)]),
    ("srem", &[(1, W)]),
    ("sscan", &[(1, R)]),
    ("ssubscribe", &[(1, N)]),
    ("strlen", &[(1, N)]),
    ("substr", &[(1, R)]),
    ("sunion", &[(1, R)]),
    ("sunionstore", &[(1, W), (2, R)]),
    ("sunsubscribe", &[(1, N)]),
    ("touch", &[(1, N)]),
    ("ttl", &[(1, R)]),
    ("type", &[(1, N)]),
    ("unlink", &[(1, W)]),
    ("watch", &[(1, N)]),
    ("xack", &[(1, W)]),
    ("xadd", &[(1, W)]),
    ("xautoclaim", &[(1, W)]),
    ("xclaim", &[(1, W)]),
    ("xdel", &[(1, W)]),
    ("xgroup|create", &[(2, W)]),
    ("xgroup|createconsumer", &[(2, W)]),
    ("xgroup|delconsumer", &[(2, W)]),
    ("xgroup|destroy", &[(2, W)]),
    ("xgroup|setid", &[(2, W)]),
    ("xinfo|consumers", &[(2, R)]),
    ("xinfo|groups", &[(2, R)]),
    ("xinfo|stream", &[(2, R)]),
    ("xlen", &[(1, N)]),
    ("xpending", &[(1, R)]),
    ("xrange", &[(1, R)]),
    ("xread", &[(1, R)]),
    ("xreadgroup", &[(4, R)]),
    ("xrevrange", &[(1, R)]),
    ("xsetid", &[(1, W)]),
    ("xtrim", &[(1, W)]),
    ("zadd", &[(1, W)]),
    ("zcard", &[(1, N)]),
    ("zcount", &[(1, R)]),
    ("zdiff", &[(1, R)]),
    ("zdiffstore", &[(1, W), (2, R)]),
    ("zincrby", &[(1, RW)]),
    ("zinter", &[(1, R)]),
    ("zintercard", &[(1, R)]),
    ("zinterstore", &[(1, W), (2, R)]),
    ("zlexcount", &[(1, R)]),
    ("zmpop", &[(1, RW)]),
    ("zmscore", &[(1, R)]),
    ("zpopmax", &[(1, RW)]),
    ("zpopmin", &[(1, RW)]),
    ("zrandmember", &[(1, R)]),
    ("zrange", &[(1, R)]),
    ("zrangebylex", &[(1, R)]),
    ("zrangebyscore", &[(1, R)]),
    ("zrangestore", &[(1, W), (2, R)]),
    ("zrank", &[(1, R)]),
    ("zrem", &[(1, W)]),
    ("zremrangebylex", &[(1, W)]),
    ("zremrangebyrank", &[(1, W)]),
    ("zremrangebyscore", &[(1, W)]),
    ("zrevrange", &[(1, R)]),
    ("zrevrangebylex", &[(1, R)]),
    ("zrevrangebyscore", &[(1, R)]),
    ("zrevrank", &[(1, R)]),
    ("zscan", &[(1, R)]),
    ("zscore", &[(1, R)]),
    ("zunion", &[(1, R)]),
    ("zunionstore", &[(1, W), (2, R)]),
];

/// The key specifications of command `name`, if Redis lists it.
pub(crate) fn specs_of(name: &str) -> Option<&'static [(usize, u8)]> {
    KEY_SPECS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| KEY_SPECS[i].1)
}

/// The access a command needs on the key at argument `pos`, from its key specifications
/// (the one beginning last at or before `pos`); commands Redis does not list (custom ones)
/// fall back on their read/write flags.
pub(crate) fn access_at(
    specs: Option<&[(usize, u8)]>,
    pos: usize,
    write: bool,
    read_only: bool,
) -> u8 {
    match specs {
        Some(specs) => specs
            .iter()
            .filter(|(begin, _)| *begin <= pos)
            .max_by_key(|(begin, _)| *begin)
            .or(specs.first())
            .map_or(RW, |(_, a)| *a),
        None if read_only => R,
        None if write => W,
        None => RW,
    }
}

/// [`access_at`] for a command by name.
#[cfg(test)]
pub(crate) fn key_access(name: &str, pos: usize, write: bool, read_only: bool) -> u8 {
    access_at(specs_of(name), pos, write, read_only)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_specs_are_sorted_for_binary_search() {
        assert!(KEY_SPECS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn key_access_follows_the_spec_covering_the_argument() {
        assert_eq!(key_access("lmove", 1, true, false), RW);
        assert_eq!(key_access("lmove", 2, true, false), W);
        assert_eq!(key_access("get", 1, false, true), R);
        assert_eq!(key_access("exists", 1, false, true), N);
        assert_eq!(key_access("zunionstore", 1, true, false), W);
        assert_eq!(key_access("zunionstore", 4, true, false), R);
    }
}
