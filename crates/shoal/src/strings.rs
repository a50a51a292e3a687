//! Typed string and bitmap commands.

use crate::{Error, Result, SetOptions, Shoal};
use bytes::Bytes;
use shoal_engine::Frame;

/// Builds an argument vector from anything byte-like.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        vec![$(Bytes::copy_from_slice(AsRef::<[u8]>::as_ref(&$a))),*]
    };
}
pub(crate) use args;

/// `[cmd, key, items...]` as arguments.
pub(crate) fn key_items<I: AsRef<[u8]>>(cmd: &'static str, key: &[u8], items: &[I]) -> Vec<Bytes> {
    let mut a = Vec::with_capacity(items.len() + 2);
    a.push(Bytes::from_static(cmd.as_bytes()));
    a.push(Bytes::copy_from_slice(key));
    a.extend(items.iter().map(|i| Bytes::copy_from_slice(i.as_ref())));
    a
}

pub(crate) fn opt_bytes(f: Frame) -> Result<Option<Bytes>> {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => Ok(Some(b)),
        Frame::Null | Frame::NullArray => Ok(None),
        other => Err(Error::UnexpectedReply(other)),
    }
}

pub(crate) fn int(f: Frame) -> Result<i64> {
    match f {
        Frame::Integer(n) => Ok(n),
        other => Err(Error::UnexpectedReply(other)),
    }
}

pub(crate) fn array(f: Frame) -> Result<Vec<Frame>> {
    match f {
        Frame::Array(v) | Frame::Set(v) => Ok(v),
        other => Err(Error::UnexpectedReply(other)),
    }
}

impl Shoal {
    /// `GET key`: the value, or None.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        opt_bytes(self.call(args!["GET", key])?)
    }

    /// `SET key value`.
    pub fn set(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        self.call(args!["SET", key, value]).map(drop)
    }

    /// `SET key value [NX|XX] [PX|PXAT|KEEPTTL]`; true if the value was written.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// use shoal::{SetCondition, SetOptions};
    /// let nx = SetOptions::default().condition(SetCondition::IfMissing);
    /// assert!(db.set_with("lock", "me", nx)?);
    /// assert!(!db.set_with("lock", "you", nx)?);
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn set_with(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        opts: SetOptions,
    ) -> Result<bool> {
        let mut a = args!["SET", key, value];
        a.extend(opts.args().into_iter().map(Bytes::from));
        Ok(!matches!(self.call(a)?, Frame::Null))
    }

    /// `SET key value GET`: writes and returns the previous value.
    pub fn set_get(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        opt_bytes(self.call(args!["SET", key, value, "GET"])?)
    }

    /// `MGET key...`.
    pub fn mget<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<Vec<Option<Bytes>>> {
        let mut a = args!["MGET"];
        a.extend(keys.iter().map(|k| Bytes::copy_from_slice(k.as_ref())));
        array(self.call(a)?)?.into_iter().map(opt_bytes).collect()
    }

    /// `MSET key value ...`.
    pub fn mset<K: AsRef<[u8]>, V: AsRef<[u8]>>(&self, pairs: &[(K, V)]) -> Result<()> {
        let mut a = args!["MSET"];
        for (k, v) in pairs {
            a.push(Bytes::copy_from_slice(k.as_ref()));
            a.push(Bytes::copy_from_slice(v.as_ref()));
        }
        self.call(a).map(drop)
    }

    /// `INCR key`.
    pub fn incr(&self, key: impl AsRef<[u8]>) -> Result<i64> {
        int(self.call(args!["INCR", key])?)
    }

    /// `INCRBY key delta`.
    pub fn incr_by(&self, key: impl AsRef<[u8]>, delta: i64) -> Result<i64> {
        int(self.call(args!["INCRBY", key, delta.to_string()])?)
    }

    /// `DECR key`.
    pub fn decr(&self, key: impl AsRef<[u8]>) -> Result<i64> {
        int(self.call(args!["DECR", key])?)
    }

    /// `INCRBYFLOAT key delta`.
    pub fn incr_by_float(&self, key: impl AsRef<[u8]>, delta: f64) -> Result<f64> {
        let reply = opt_bytes(self.call(args!["INCRBYFLOAT", key, delta.to_string()])?)?;
        let text = reply
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        text.parse()
            .map_err(|_| Error::UnexpectedReply(Frame::bulk(text.as_bytes())))
    }

    /// `APPEND key value`: the new length.
    pub fn append(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<i64> {
        int(self.call(args!["APPEND", key, value])?)
    }

    /// `STRLEN key`.
    pub fn strlen(&self, key: impl AsRef<[u8]>) -> Result<i64> {
        int(self.call(args!["STRLEN", key])?)
    }

    /// `GETRANGE key start end` (inclusive, negative counts from the end).
    pub fn get_range(&self, key: impl AsRef<[u8]>, start: i64, end: i64) -> Result<Bytes> {
        Ok(
            opt_bytes(self.call(args!["GETRANGE", key, start.to_string(), end.to_string()])?)?
                .unwrap_or_default(),
        )
    }

    /// `SETRANGE key offset value`: the new length.
    pub fn set_range(
        &self,
        key: impl AsRef<[u8]>,
        offset: u64,
        value: impl AsRef<[u8]>,
    ) -> Result<i64> {
        int(self.call(args!["SETRANGE", key, offset.to_string(), value])?)
    }

    /// `GETDEL key`.
    pub fn get_del(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        opt_bytes(self.call(args!["GETDEL", key])?)
    }

    /// `SETBIT key offset bit`: the previous bit.
    pub fn setbit(&self, key: impl AsRef<[u8]>, offset: u64, bit: bool) -> Result<bool> {
        Ok(int(self.call(args![
            "SETBIT",
            key,
            offset.to_string(),
            if bit { "1" } else { "0" }
        ])?)?
            == 1)
    }

    /// `GETBIT key offset`.
    pub fn getbit(&self, key: impl AsRef<[u8]>, offset: u64) -> Result<bool> {
        Ok(int(self.call(args!["GETBIT", key, offset.to_string()])?)? == 1)
    }

    /// `BITCOUNT key`.
    pub fn bitcount(&self, key: impl AsRef<[u8]>) -> Result<i64> {
        int(self.call(args!["BITCOUNT", key])?)
    }
}
