//! Typed list, hash, set and sorted-set commands.

use crate::strings::{args, array, int, key_items, opt_bytes};
use crate::{Error, Result, Shoal};
use bytes::Bytes;
use shoal_engine::Frame;
use std::time::Duration;

fn bytes_list(f: Frame) -> Result<Vec<Bytes>> {
    array(f)?
        .into_iter()
        .map(|item| opt_bytes(item)?.ok_or(Error::UnexpectedReply(Frame::Null)))
        .collect()
}

/// BLPOP's reply: `[key, element]`, or None on timeout.
fn popped_pair(reply: Frame) -> Result<Option<(Bytes, Bytes)>> {
    if matches!(reply, Frame::Null | Frame::NullArray) {
        return Ok(None);
    }
    let mut pair = bytes_list(reply)?.into_iter();
    Ok(pair.next().zip(pair.next()))
}

fn score(f: Frame) -> Result<f64> {
    match f {
        Frame::Double(d) => Ok(d),
        other => {
            let text = opt_bytes(other)?.unwrap_or_default();
            shoal_engine::util::num::parse_f64(&text)
                .ok_or_else(|| Error::UnexpectedReply(Frame::Bulk(text)))
        }
    }
}

fn push_all<I: AsRef<[u8]>>(a: &mut Vec<Bytes>, items: &[I]) {
    a.extend(items.iter().map(|i| Bytes::copy_from_slice(i.as_ref())));
}

/// How [`Shoal::zrange`] selects members.
#[derive(Clone, Debug, PartialEq)]
pub struct ZRange {
    start: String,
    stop: String,
    by_score: bool,
    rev: bool,
    limit: Option<(i64, i64)>,
}

impl ZRange {
    /// Members by rank, `start..=stop` (negative counts from the end).
    pub fn rank(start: i64, stop: i64) -> ZRange {
        ZRange {
            start: start.to_string(),
            stop: stop.to_string(),
            by_score: false,
            rev: false,
            limit: None,
        }
    }

    /// Members with `min <= score <= max` (use `f64::INFINITY` for open ends).
    pub fn score(min: f64, max: f64) -> ZRange {
        let text = |v: f64| {
            if v.is_infinite() {
                if v > 0.0 {
                    "+inf".into()
                } else {
                    "-inf".into()
                }
            } else {
                v.to_string()
            }
        };
        ZRange {
            start: text(min),
            stop: text(max),
            by_score: true,
            rev: false,
            limit: None,
        }
    }

    /// Highest first.
    pub fn rev(mut self) -> ZRange {
        self.rev = true;
        self
    }

    /// Skip `offset` members and return at most `count` (score ranges only).
    pub fn limit(mut self, offset: i64, count: i64) -> ZRange {
        self.limit = Some((offset, count));
        self
    }
}

impl Shoal {
    /// `LPUSH key element...`: the new length.
    pub fn lpush<V: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, elements: &[V]) -> Result<i64> {
        int(self.call(key_items("LPUSH", key.as_ref(), elements))?)
    }

    /// `RPUSH key element...`: the new length.
    pub fn rpush<V: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, elements: &[V]) -> Result<i64> {
        int(self.call(key_items("RPUSH", key.as_ref(), elements))?)
    }

    /// `LPOP key`.
    pub fn lpop(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        opt_bytes(self.call(args!["LPOP", key])?)
    }

    /// `RPOP key`.
    pub fn rpop(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        opt_bytes(self.call(args!["RPOP", key])?)
    }

    /// `LLEN key`.
    pub fn llen(&self, key: impl AsRef<[u8]>) -> Result<i64> {
        int(self.call(args!["LLEN", key])?)
    }

    /// `LRANGE key start stop`.
    pub fn lrange(&self, key: impl AsRef<[u8]>, start: i64, stop: i64) -> Result<Vec<Bytes>> {
        bytes_list(self.call(args!["LRANGE", key, start.to_string(), stop.to_string()])?)
    }

    /// `BLPOP key... timeout`: waits on this thread until one of the lists has an element
    /// (clients waiting on the same key are served in arrival order), or `timeout` passes
    /// (`Duration::ZERO` waits forever). Returns the key and the element.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// use std::time::Duration;
    /// let producer = db.clone();
    /// let t = std::thread::spawn(move || producer.rpush("jobs", &["build"]));
    /// let got = db.blpop(&["jobs"], Duration::from_secs(5))?;
    /// assert_eq!(got.map(|(_, v)| v), Some("build".into()));
    /// # t.join().ok();
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn blpop<K: AsRef<[u8]>>(
        &self,
        keys: &[K],
        timeout: Duration,
    ) -> Result<Option<(Bytes, Bytes)>> {
        let mut a = args!["BLPOP"];
        push_all(&mut a, keys);
        a.push(Bytes::from(format!("{}", timeout.as_secs_f64())));
        popped_pair(self.call_blocking(a)?)
    }

    /// [`Shoal::blpop`] for async code: waits without blocking a thread, on any executor.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// use std::time::Duration;
    /// db.rpush("jobs", &["deploy"])?;
    /// let got = block_on(db.blpop_async(&["jobs"], Duration::from_secs(1)))?;
    /// assert_eq!(got.map(|(_, v)| v), Some("deploy".into()));
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub async fn blpop_async<K: AsRef<[u8]>>(
        &self,
        keys: &[K],
        timeout: Duration,
    ) -> Result<Option<(Bytes, Bytes)>> {
        let mut a = args!["BLPOP"];
        push_all(&mut a, keys);
        a.push(Bytes::from(format!("{}", timeout.as_secs_f64())));
        popped_pair(self.call_async(a).await?)
    }

    /// `HSET key field value...`: how many fields were added.
    pub fn hset<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        pairs: &[(F, V)],
    ) -> Result<i64> {
        let mut a = args!["HSET", key];
        for (f, v) in pairs {
            a.push(Bytes::copy_from_slice(f.as_ref()));
            a.push(Bytes::copy_from_slice(v.as_ref()));
        }
        int(self.call(a)?)
    }

    /// `HGET key field`.
    pub fn hget(&self, key: impl AsRef<[u8]>, field: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        opt_bytes(self.call(args!["HGET", key, field])?)
    }

    /// `HGETALL key`: field/value pairs.
    pub fn hgetall(&self, key: impl AsRef<[u8]>) -> Result<Vec<(Bytes, Bytes)>> {
        match self.call(args!["HGETALL", key])? {
            Frame::Map(pairs) => pairs
                .into_iter()
                .map(|(f, v)| {
                    Ok((
                        opt_bytes(f)?.unwrap_or_default(),
                        opt_bytes(v)?.unwrap_or_default(),
                    ))
                })
                .collect(),
            other => Err(Error::UnexpectedReply(other)),
        }
    }

    /// `HDEL key field...`: how many were removed.
    pub fn hdel<F: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, fields: &[F]) -> Result<i64> {
        int(self.call(key_items("HDEL", key.as_ref(), fields))?)
    }

    /// `HINCRBY key field delta`.
    pub fn hincr_by(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        delta: i64,
    ) -> Result<i64> {
        int(self.call(args!["HINCRBY", key, field, delta.to_string()])?)
    }

    /// `SADD key member...`: how many were added.
    pub fn sadd<M: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, members: &[M]) -> Result<i64> {
        int(self.call(key_items("SADD", key.as_ref(), members))?)
    }

    /// `SREM key member...`: how many were removed.
    pub fn srem<M: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, members: &[M]) -> Result<i64> {
        int(self.call(key_items("SREM", key.as_ref(), members))?)
    }

    /// `SMEMBERS key`.
    pub fn smembers(&self, key: impl AsRef<[u8]>) -> Result<Vec<Bytes>> {
        bytes_list(self.call(args!["SMEMBERS", key])?)
    }

    /// `SISMEMBER key member`.
    pub fn sismember(&self, key: impl AsRef<[u8]>, member: impl AsRef<[u8]>) -> Result<bool> {
        Ok(int(self.call(args!["SISMEMBER", key, member])?)? == 1)
    }
    /// `ZADD key score member...`: how many were added.
    pub fn zadd<M: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, members: &[(f64, M)]) -> Result<i64> {
        let mut a = args!["ZADD", key];
        for (s, m) in members {
            a.push(Bytes::from(s.to_string()));
            a.push(Bytes::copy_from_slice(m.as_ref()));
        }
        int(self.call(a)?)
    }

    /// `ZSCORE key member`.
    pub fn zscore(&self, key: impl AsRef<[u8]>, member: impl AsRef<[u8]>) -> Result<Option<f64>> {
        match self.call(args!["ZSCORE", key, member])? {
            Frame::Null => Ok(None),
            other => score(other).map(Some),
        }
    }

    /// `ZINCRBY key delta member`: the new score.
    pub fn zincr_by(
        &self,
        key: impl AsRef<[u8]>,
        delta: f64,
        member: impl AsRef<[u8]>,
    ) -> Result<f64> {
        score(self.call(args!["ZINCRBY", key, delta.to_string(), member])?)
    }

    /// `ZRANGE key ... WITHSCORES`: members with their scores.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// use shoal::ZRange;
    /// db.zadd("board", &[(10.0, "ann"), (30.0, "bob"), (20.0, "cid")])?;
    /// let top = db.zrange("board", ZRange::rank(0, 1).rev())?;
    /// assert_eq!(top, vec![("bob".into(), 30.0), ("cid".into(), 20.0)]);
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn zrange(&self, key: impl AsRef<[u8]>, range: ZRange) -> Result<Vec<(Bytes, f64)>> {
        let mut a = args!["ZRANGE", key, range.start, range.stop];
        if range.by_score {
            a.push(Bytes::from_static(b"BYSCORE"));
        }
        if range.rev {
            a.push(Bytes::from_static(b"REV"));
        }
        if let Some((off, count)) = range.limit {
            a.extend(args!["LIMIT", off.to_string(), count.to_string()]);
        }
        a.push(Bytes::from_static(b"WITHSCORES"));
        array(self.call(a)?)?
            .into_iter()
            .map(|pair| {
                let mut it = array(pair)?.into_iter();
                match (it.next(), it.next()) {
                    (Some(m), Some(s)) => Ok((opt_bytes(m)?.unwrap_or_default(), score(s)?)),
                    _ => Err(Error::UnexpectedReply(Frame::Null)),
                }
            })
            .collect()
    }
}
