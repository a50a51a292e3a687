//! Typed key commands: deletion, existence, TTLs, renaming and iteration.

use crate::strings::{args, array, int, opt_bytes};
use crate::{Error, Result, ScanOptions, Shoal, Ttl};
use bytes::Bytes;
use shoal_engine::Frame;
use std::time::Duration;

impl Shoal {
    /// `DEL key...`: how many existed.
    pub fn del<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<i64> {
        let mut a = args!["DEL"];
        a.extend(keys.iter().map(|k| Bytes::copy_from_slice(k.as_ref())));
        int(self.call(a)?)
    }

    /// `EXISTS key`.
    pub fn exists(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(int(self.call(args!["EXISTS", key])?)? == 1)
    }

    /// `PEXPIRE key ms`: true if the TTL was set.
    pub fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> Result<bool> {
        Ok(int(self.call(args!["PEXPIRE", key, ttl.as_millis().to_string()])?)? == 1)
    }

    /// `PERSIST key`: true if a TTL was removed.
    pub fn persist(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(int(self.call(args!["PERSIST", key])?)? == 1)
    }

    /// `PTTL key`, typed.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// use shoal::Ttl;
    /// use std::time::Duration;
    /// db.set("k", "v")?;
    /// assert_eq!(db.ttl("k")?, Ttl::Persistent);
    /// db.expire("k", Duration::from_secs(60))?;
    /// assert!(matches!(db.ttl("k")?, Ttl::Expires(d) if d <= Duration::from_secs(60)));
    /// assert_eq!(db.ttl("nope")?, Ttl::Missing);
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn ttl(&self, key: impl AsRef<[u8]>) -> Result<Ttl> {
        Ok(match int(self.call(args!["PTTL", key])?)? {
            -2 => Ttl::Missing,
            -1 => Ttl::Persistent,
            ms => Ttl::Expires(Duration::from_millis(ms.max(0) as u64)),
        })
    }

    /// `TYPE key`: `string`, `list`, ..., or `none`.
    pub fn key_type(&self, key: impl AsRef<[u8]>) -> Result<String> {
        let t = opt_bytes(self.call(args!["TYPE", key])?)?.unwrap_or_default();
        Ok(String::from_utf8_lossy(&t).into_owned())
    }

    /// `RENAME key newkey`.
    pub fn rename(&self, key: impl AsRef<[u8]>, new_key: impl AsRef<[u8]>) -> Result<()> {
        self.call(args!["RENAME", key, new_key]).map(drop)
    }

    /// `DBSIZE`.
    pub fn dbsize(&self) -> Result<i64> {
        int(self.call(args!["DBSIZE"])?)
    }

    /// `FLUSHDB`.
    pub fn flushdb(&self) -> Result<()> {
        self.call(args!["FLUSHDB"]).map(drop)
    }

    /// `KEYS pattern`.
    pub fn keys(&self, pattern: &str) -> Result<Vec<Bytes>> {
        array(self.call(args!["KEYS", pattern])?)?
            .into_iter()
            .map(|f| opt_bytes(f)?.ok_or(Error::UnexpectedReply(Frame::Null)))
            .collect()
    }

    /// Iterates over the keys with SCAN: every key present for the whole iteration is
    /// returned at least once, without blocking the instance.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// use shoal::ScanOptions;
    /// db.mset(&[("user:1", "a"), ("user:2", "b"), ("other", "c")])?;
    /// let mut users: Vec<_> = db.scan(ScanOptions::default().pattern("user:*"))
    ///     .collect::<Result<_, _>>()?;
    /// users.sort();
    /// assert_eq!(users, vec!["user:1", "user:2"]);
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn scan(&self, opts: ScanOptions) -> Scan<'_> {
        Scan {
            db: self,
            opts,
            cursor: Some(Bytes::from_static(b"0")),
            batch: Vec::new(),
        }
    }
}

/// The iterator [`Shoal::scan`] returns.
pub struct Scan<'a> {
    db: &'a Shoal,
    opts: ScanOptions,
    cursor: Option<Bytes>,
    batch: Vec<Bytes>,
}

impl Scan<'_> {
    fn step(&mut self, cursor: Bytes) -> Result<()> {
        let mut a = args!["SCAN", cursor];
        if let Some(p) = &self.opts.pattern {
            a.extend(args!["MATCH", p]);
        }
        if let Some(c) = self.opts.count {
            a.extend(args!["COUNT", c.to_string()]);
        }
        if let Some(t) = &self.opts.key_type {
            a.extend(args!["TYPE", t]);
        }
        let mut reply = array(self.db.call(a)?)?.into_iter();
        let (Some(next), Some(keys)) = (reply.next(), reply.next()) else {
            return Err(Error::UnexpectedReply(Frame::Null));
        };
        let next = opt_bytes(next)?.unwrap_or_default();
        self.cursor = (next.as_ref() != b"0").then_some(next);
        for k in array(keys)?.into_iter().rev() {
            if let Some(k) = opt_bytes(k)? {
                self.batch.push(k);
            }
        }
        Ok(())
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(k) = self.batch.pop() {
                return Some(Ok(String::from_utf8_lossy(&k).into_owned()));
            }
            let cursor = self.cursor.take()?;
            if let Err(e) = self.step(cursor) {
                return Some(Err(e));
            }
        }
    }
}
