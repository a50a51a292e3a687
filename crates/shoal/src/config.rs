//! `Config`: how an embedded instance is set up, with Redis's directive names.

use crate::Error;

/// Settings for [`crate::Shoal::open`].
///
/// ```
/// let config = shoal::Config::default().databases(4).set("hz", "20");
/// let db = shoal::Shoal::open(config)?;
/// # Ok::<(), shoal::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Config {
    directives: Vec<(String, String)>,
    pub(crate) commands: Vec<shoal_engine::custom::CustomCommand>,
    /// The directory given to [`Config::data_dir`], created before the directives apply.
    pub(crate) data_dir: Option<String>,
    /// Writes forwarded to the primary return once the local copy holds them.
    pub(crate) read_your_writes: bool,
    /// [`Config::raft`] was called: the instance must join a group.
    pub(crate) raft: bool,
}

impl Config {
    /// Sets any directive by its Redis name (`"hz"`, `"proto-max-bulk-len"`, ...); checked
    /// when the instance opens.
    pub fn set(mut self, name: &str, value: &str) -> Config {
        self.directives.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds the application's own command: a declaration in the form built-in commands use
    /// and a handler over the execution context. It then works like any other: over RESP,
    /// inside MULTI, from scripts, listed by COMMAND.
    ///
    /// ```
    /// use shoal::{CommandSpec, CustomCommand, Frame, flags};
    /// let double = CustomCommand::new(
    ///     CommandSpec::custom("double").arity(2).flags(flags::FAST),
    ///     |ctx| {
    ///         let n = ctx.args.int()?;
    ///         Ok(Frame::Integer(n.saturating_mul(2)))
    ///     },
    /// );
    /// let db = shoal::Shoal::open(shoal::Config::default().command(double))?;
    /// assert_eq!(db.execute(&["DOUBLE", "21"])?, Frame::Integer(42));
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn command(mut self, command: shoal_engine::custom::CustomCommand) -> Config {
        self.commands.push(command);
        self
    }

    /// Makes the instance a read replica of the primary at `addr` (`"host:port"`, a Shoal or
    /// a Redis): it loads the primary's data and follows its writes in the background.
    /// Reads are served from the local copy; writes made through the handle go to the
    /// primary (see [`Config::read_your_writes`]); [`crate::Shoal::replica_status`] shows
    /// the link. Authenticate with `masteruser` / `masterauth` through [`Config::set`].
    pub fn replica_of(self, addr: &str) -> Config {
        let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "6379"));
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.set("replicaof", &format!("{host} {port}"))
    }

    /// With [`Config::replica_of`]: a write sent to the primary returns only once the local
    /// copy has applied it (up to `repl-timeout`), so a read right after sees it.
    pub fn read_your_writes(mut self, on: bool) -> Config {
        self.read_your_writes = on;
        self
    }

    /// Keeps the data in `path` (created if missing): the snapshot there (`dump.rdb`) is
    /// loaded when the instance opens, and Redis's default save points apply
    /// (`save 3600 1 300 100 60 10000`) unless `save` is set after this call.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("shoal-doc-{}", std::process::id()));
    /// let db = shoal::Shoal::open(shoal::Config::default().data_dir(&dir))?;
    /// db.set("k", "v")?;
    /// db.close()?; // saves, as the save points ask
    /// let db = shoal::Shoal::open(shoal::Config::default().data_dir(&dir))?;
    /// assert_eq!(db.get("k")?.as_deref(), Some(&b"v"[..]));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn data_dir(mut self, path: impl AsRef<std::path::Path>) -> Config {
        let path = path.as_ref().to_string_lossy().into_owned();
        self.data_dir = Some(path.clone());
        self.set("dir", &path)
            .set("save", "3600 1 300 100 60 10000")
    }

    /// Number of databases (`databases`, default 16).
    pub fn databases(self, n: usize) -> Config {
        self.set("databases", &n.to_string())
    }

    /// Where files are kept (`dir`): snapshots and the append-only directory. The snapshot
    /// there is loaded at open; [`Config::data_dir`] also creates the directory and turns
    /// on save points.
    pub fn dir(self, path: impl AsRef<std::path::Path>) -> Config {
        self.set("dir", &path.as_ref().display().to_string())
    }

    /// Turns the append-only file on (`appendonly yes`): the instance loads it at open and
    /// logs every write to it, synced as `appendfsync` says (`set("appendfsync",
    /// "always")` makes each write return once it is on disk).
    pub fn appendonly(self, on: bool) -> Config {
        self.set("appendonly", if on { "yes" } else { "no" })
    }

    /// Whether the directive `name` was set.
    pub(crate) fn sets(&self, name: &str) -> bool {
        self.directives
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub(crate) fn build(&self) -> Result<shoal_engine::Config, Error> {
        let config = shoal_engine::Config::new();
        // An embedded instance writes no snapshot unless asked: no save points by default
        // (`set("save", "3600 1")` and `set("dir", ...)` turn them on; SAVE always works).
        config
            .set_startup("save", "")
            .map_err(|e| Error::Config(e.to_string()))?;
        if let Some(dir) = &self.data_dir {
            std::fs::create_dir_all(dir).map_err(|e| Error::Config(format!("{dir}: {e}")))?;
        }
        for (name, value) in &self.directives {
            config
                .set_startup(name, value)
                .map_err(|e| Error::Config(e.to_string()))?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Frame, Shoal};

    #[test]
    fn an_instance_with_appendonly_reopens_with_its_writes() {
        let dir = std::env::temp_dir().join(format!("shoal-embedded-aof-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let config = || {
            Config::default()
                .dir(&dir)
                .appendonly(true)
                .set("appendfsync", "always")
        };
        let opened = |c: Config| match Shoal::open(c) {
            Ok(db) => db,
            Err(e) => panic!("open: {e}"),
        };
        let db = opened(config());
        assert!(db.execute(&["SET", "k", "v"]).is_ok());
        assert!(db.execute(&["RPUSH", "l", "a", "b"]).is_ok());
        drop(db);
        let db = opened(config());
        assert_eq!(
            db.execute(&["GET", "k"]).ok(),
            Some(Frame::Bulk("v".into()))
        );
        assert_eq!(db.execute(&["LLEN", "l"]).ok(), Some(Frame::Integer(2)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
