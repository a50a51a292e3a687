//! Transactions for embedded callers: a closure that reads watched keys and queues writes,
//! applied atomically unless another client changed a watched key first (then it runs
//! again), plus scripts by source.

use crate::{Error, Result, Shoal};
use bytes::Bytes;
use shoal_engine::Frame;

/// What a [`Shoal::transaction`] closure works with: reads run at once (the watched keys
/// are guarded), writes are queued and applied together at the end.
pub struct Transaction<'a> {
    db: &'a Shoal,
    queued: Vec<Vec<Bytes>>,
}

fn to_args<A: AsRef<[u8]>>(args: &[A]) -> Vec<Bytes> {
    args.iter()
        .map(|a| Bytes::copy_from_slice(a.as_ref()))
        .collect()
}

impl Transaction<'_> {
    /// Runs a read now, e.g. `tx.read(&["GET", "balance"])`.
    pub fn read<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<Frame> {
        self.db.execute(args)
    }

    /// Queues a command to run atomically with the others when the closure returns.
    pub fn queue<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.queued.push(to_args(args));
    }
}

impl Shoal {
    /// Runs `f` under optimistic locking of `watch`: `f` reads through the [`Transaction`]
    /// and queues writes; they are applied atomically, and if any watched key changed
    /// meanwhile (a write by anyone, an expiry, a flush), nothing is applied and `f` runs
    /// again. Returns what `f` returned and the replies of the queued commands.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// db.set("balance", "10")?;
    /// let (_, replies) = db.transaction(&["balance"], |tx| {
    ///     let balance = tx.read(&["GET", "balance"])?;
    ///     tx.queue(&["DECRBY", "balance", "3"]);
    ///     Ok(balance)
    /// })?;
    /// assert_eq!(replies, vec![shoal::Frame::Integer(7)]);
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn transaction<K, T>(
        &self,
        watch: &[K],
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<(T, Vec<Frame>)>
    where
        K: AsRef<[u8]>,
    {
        loop {
            if !watch.is_empty() {
                let mut args = vec![Bytes::from_static(b"WATCH")];
                args.extend(to_args(watch));
                self.call(args)?;
            }
            let mut tx = Transaction {
                db: self,
                queued: Vec::new(),
            };
            let value = match f(&mut tx) {
                Ok(v) => v,
                Err(e) => {
                    self.execute(&["UNWATCH"])?;
                    return Err(e);
                }
            };
            self.execute(&["MULTI"])?;
            for args in tx.queued {
                self.call(args)?;
            }
            match self.execute(&["EXEC"])? {
                Frame::Array(replies) => return Ok((value, replies)),
                Frame::Null | Frame::NullArray => continue,
                other => return Err(Error::UnexpectedReply(other)),
            }
        }
    }

    /// Runs a Lua script with `keys` and `args` (EVAL), returning its reply.
    pub fn eval<K: AsRef<[u8]>, A: AsRef<[u8]>>(
        &self,
        script: &str,
        keys: &[K],
        args: &[A],
    ) -> Result<Frame> {
        let mut call = vec![
            Bytes::from_static(b"EVAL"),
            Bytes::copy_from_slice(script.as_bytes()),
            Bytes::from(keys.len().to_string()),
        ];
        call.extend(to_args(keys));
        call.extend(to_args(args));
        self.call(call)
    }
}
