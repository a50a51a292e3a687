//! Option types of the typed API.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When SET writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SetCondition {
    /// Always.
    #[default]
    Always,
    /// Only if the key does not exist (`NX`).
    IfMissing,
    /// Only if the key exists (`XX`).
    IfExists,
}

/// A key's lifetime as SET and GETEX take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Expire after this long (`PX`).
    After(Duration),
    /// Expire at this time (`PXAT`).
    At(SystemTime),
    /// Keep the TTL the key has (`KEEPTTL`, SET only).
    KeepTtl,
}

impl Expiry {
    pub(crate) fn args(&self) -> Vec<String> {
        match self {
            Expiry::After(d) => vec!["PX".into(), d.as_millis().to_string()],
            Expiry::At(t) => {
                let ms = t
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                vec!["PXAT".into(), ms.to_string()]
            }
            Expiry::KeepTtl => vec!["KEEPTTL".into()],
        }
    }
}

/// Options of [`crate::Shoal::set_with`].
///
/// ```
/// use shoal::{Expiry, SetCondition, SetOptions};
/// use std::time::Duration;
/// let opts = SetOptions::default()
///     .condition(SetCondition::IfMissing)
///     .expiry(Expiry::After(Duration::from_secs(60)));
/// # let _ = opts;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// NX / XX.
    pub condition: SetCondition,
    /// EX/PX/EXAT/PXAT/KEEPTTL.
    pub expiry: Option<Expiry>,
}

impl SetOptions {
    /// Sets the condition.
    pub fn condition(mut self, c: SetCondition) -> Self {
        self.condition = c;
        self
    }

    /// Sets the expiry.
    pub fn expiry(mut self, e: Expiry) -> Self {
        self.expiry = Some(e);
        self
    }

    pub(crate) fn args(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.condition {
            SetCondition::Always => {}
            SetCondition::IfMissing => out.push("NX".into()),
            SetCondition::IfExists => out.push("XX".into()),
        }
        if let Some(e) = &self.expiry {
            out.extend(e.args());
        }
        out
    }
}

/// A key's remaining time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// The key does not exist.
    Missing,
    /// The key exists and never expires.
    Persistent,
    /// The key expires after this long.
    Expires(Duration),
}

/// Options of [`crate::Shoal::scan`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Only keys matching this glob (`MATCH`).
    pub pattern: Option<String>,
    /// Work per step (`COUNT`).
    pub count: Option<usize>,
    /// Only keys of this type (`TYPE`): `string`, `list`, ...
    pub key_type: Option<String>,
}

impl ScanOptions {
    /// Only keys matching `pattern`.
    pub fn pattern(mut self, pattern: &str) -> Self {
        self.pattern = Some(pattern.to_string());
        self
    }

    /// Only keys of `t`.
    pub fn key_type(mut self, t: &str) -> Self {
        self.key_type = Some(t.to_string());
        self
    }

    /// Keys examined per step.
    pub fn count(mut self, n: usize) -> Self {
        self.count = Some(n);
        self
    }
}
