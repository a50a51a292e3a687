//! Typed list, hash, set and sorted-set commands.

use crate::strings::{args, array, int, opt_bytes};
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

fn push_all<I: AsRef<[u8]>>(a: &mut Vec<Bytes>, items: &[I]) {
    a.extend(items.iter().map(|i| Bytes::copy_from_slice(i.as_ref())));
}

impl Shoal {
    /// `LPUSH key element...`: the new length.
    pub fn lpush<V: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, elements: &[V]) -> Result<i64> {
        let mut a = args!["LPUSH", key];
        push_all(&mut a, elements);
        int(self.call(a)?)
    }

    /// `RPUSH key element...`: the new length.
    pub fn rpush<V: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, elements: &[V]) -> Result<i64> {
        let mut a = args!["RPUSH", key];
        push_all(&mut a, elements);
        int(self.call(a)?)
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

    /// `SADD key member...`: how many were added.
    pub fn sadd<M: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, members: &[M]) -> Result<i64> {
        let mut a = args!["SADD", key];
        push_all(&mut a, members);
        int(self.call(a)?)
    }

    /// `SREM key member...`: how many were removed.
    pub fn srem<M: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, members: &[M]) -> Result<i64> {
        let mut a = args!["SREM", key];
        push_all(&mut a, members);
        int(self.call(a)?)
    }

    /// `SMEMBERS key`.
    pub fn smembers(&self, key: impl AsRef<[u8]>) -> Result<Vec<Bytes>> {
        bytes_list(self.call(args!["SMEMBERS", key])?)
    }

    /// `SISMEMBER key member`.
    pub fn sismember(&self, key: impl AsRef<[u8]>, member: impl AsRef<[u8]>) -> Result<bool> {
        Ok(int(self.call(args!["SISMEMBER", key, member])?)? == 1)
    }
}
