//! Configuration parameters under Redis's directive names, as the config file, the command
//! line and `CONFIG GET/SET` use them.
//!
//! A parameter is listed here only once what it controls is built: CONFIG SET of a name
//! missing from the table answers Redis's unknown-option error instead of pretending.

use crate::util::glob::glob_match;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Checks a new value given the current one: the canonical text and numeric view, or why
/// the value is refused.
pub type Normalizer = fn(&str, &str) -> Result<(String, i64), String>;

/// The kind of value a parameter takes, with its bounds.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer within bounds (inclusive).
    Int {
        /// Smallest value accepted.
        min: i64,
        /// Largest value accepted.
        max: i64,
    },
    /// A byte count with optional unit (`1mb`, `64k`), within bounds.
    Memory {
        /// Smallest value accepted.
        min: u64,
        /// Largest value accepted.
        max: u64,
    },
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// Free text.
    Str,
    /// Text checked and normalized by a function returning the canonical text and the
    /// numeric view (flag sets such as `notify-keyspace-events`), or the reason it is wrong.
    /// The second argument is the current value, for parameters set piecewise.
    Custom(Normalizer),
}

/// One parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Directive name.
    pub name: &'static str,
    /// Value kind and bounds.
    pub kind: Kind,
    /// Default value, as text.
    pub default: &'static str,
    /// Settable only at start-up (config file or command line).
    pub immutable: bool,
}

/// A mutable parameter of `kind`.
pub(crate) const fn param(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        kind,
        default,
        immutable: false,
    }
}

/// A mutable integer parameter within `min..=max`.
pub(crate) const fn int(name: &'static str, min: i64, max: i64, default: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Int { min, max },
        default,
        immutable: false,
    }
}

const fn mem(name: &'static str, min: u64, max: u64, default: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Memory { min, max },
        default,
        immutable: false,
    }
}

/// `p`, settable only at start-up.
pub(crate) const fn fixed(p: Param) -> Param {
    Param {
        immutable: true,
        ..p
    }
}

const STR: fn(&'static str, &'static str) -> Param = |name, default| Param {
    name,
    kind: Kind::Str,
    default,
    immutable: false,
};

/// Every parameter Shoal knows.
pub fn params() -> Vec<Param> {
    let mut all = vec![
        fixed(STR("bind", "127.0.0.1")),
        // Where the configuration was loaded from, set by the server at start-up; CONFIG
        // REWRITE writes there. Like Redis, CONFIG GET does not list it.
        fixed(STR("config-file", "")),
        // Rebound at run time by the server's hook (`tls_params::apply`).
        int("port", 0, 65535, "6379"),
        fixed(int("tcp-backlog", 0, i32::MAX as i64, "511")),
        fixed(int("databases", 1, i32::MAX as i64, "16")),
        int(
            "list-max-listpack-size",
            i32::MIN as i64,
            i32::MAX as i64,
            "-2",
        ),
        int("hash-max-listpack-entries", 0, i64::MAX, "128"),
        int("hash-max-listpack-value", 0, i64::MAX, "64"),
        int("set-max-intset-entries", 0, i64::MAX, "512"),
        int("set-max-listpack-entries", 0, i64::MAX, "128"),
        int("set-max-listpack-value", 0, i64::MAX, "64"),
        int("zset-max-listpack-entries", 0, i64::MAX, "128"),
        int("zset-max-listpack-value", 0, i64::MAX, "64"),
        // Threads serving clients; 0 picks one less than the number of cores (at least one),
        // leaving a core for clients and background work on small machines.
        fixed(int("io-threads", 0, 128, "0")),
        int("hz", 0, i32::MAX as i64, "10"),
        int("busy-reply-threshold", 0, i64::MAX, "5000"),
        int("active-expire-effort", 1, 10, "1"),
        param("activerehashing", Kind::Bool, "yes"),
        int("maxclients", 1, i32::MAX as i64, "10000"),
        int("timeout", 0, i32::MAX as i64, "0"),
        int("tcp-keepalive", 0, i32::MAX as i64, "300"),
        mem(
            "proto-max-bulk-len",
            1024 * 1024,
            i64::MAX as u64,
            "536870912",
        ),
        Param {
            name: "notify-keyspace-events",
            kind: Kind::Custom(crate::notify::normalize),
            default: "",
            immutable: false,
        },
        Param {
            name: "client-output-buffer-limit",
            kind: Kind::Custom(crate::output_limits::normalize),
            default: crate::output_limits::DEFAULT,
            immutable: false,
        },
        mem(
            "client-query-buffer-limit",
            1024 * 1024,
            i64::MAX as u64,
            "1073741824",
        ),
    ];
    // Each subsystem declares its own parameters next to its code.
    all.extend_from_slice(crate::commands::persistence::CONFIG_PARAMS);
    all.extend_from_slice(crate::aof::CONFIG_PARAMS);
    all.extend_from_slice(crate::acl::CONFIG_PARAMS);
    all.extend_from_slice(crate::evict::CONFIG_PARAMS);
    all.extend_from_slice(crate::tls_params::CONFIG_PARAMS);
    all.extend_from_slice(crate::repl::CONFIG_PARAMS);
    all.extend_from_slice(crate::consensus::CONFIG_PARAMS);
    all
}

/// Older names Redis still accepts, with the parameter each stands for.
const ALIASES: &[(&str, &str)] = &[("lua-time-limit", "busy-reply-threshold")];

/// Errors of CONFIG SET and start-up configuration, worded as Redis words them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The name is not a parameter.
    #[error("Unknown option or number of arguments for CONFIG SET - '{0}'")]
    Unknown(String),
    /// The value does not fit the parameter.
    #[error("CONFIG SET failed (possibly related to argument '{name}') - {reason}")]
    Invalid {
        /// Parameter name.
        name: String,
        /// What is wrong with the value.
        reason: String,
    },
}

/// The live configuration.
pub struct Config {
    params: Vec<Param>,
    /// Each parameter's (lower-case) name to its index in `params`: hot paths read
    /// parameters by name on every command.
    by_name: std::collections::HashMap<&'static str, usize>,
    values: RwLock<BTreeMap<&'static str, String>>,
    /// Numeric view of each parameter (same index as `params`), kept in step with `values`.
    numbers: Vec<AtomicI64>,
    /// Bumped by every change, so readers can cache what they derive from values.
    version: AtomicU64,
    /// `user` lines of the configuration file, loaded when the engine starts.
    pub startup_users: parking_lot::Mutex<Vec<Vec<String>>>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// Every parameter at its default.
    pub fn new() -> Config {
        let params = params();
        let values = params
            .iter()
            .map(|p| (p.name, p.default.to_string()))
            .collect();
        let numbers = params
            .iter()
            .map(|p| AtomicI64::new(numeric(p.default)))
            .collect();
        let by_name = params
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name, i))
            .collect();
        Config {
            params,
            by_name,
            values: RwLock::new(values),
            numbers,
            version: AtomicU64::new(0),
            startup_users: Default::default(),
        }
    }

    /// Position of a parameter, for [`Config::get_at`] on hot paths.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index(name)
    }

    /// The numeric view of the parameter at `index` (see [`Config::index_of`]).
    pub fn get_at(&self, index: usize) -> i64 {
        self.numbers
            .get(index)
            .map_or(0, |n| n.load(Ordering::Relaxed))
    }

    fn index(&self, name: &str) -> Option<usize> {
        // Callers on hot paths pass the exact lower-case name: try that first.
        let by_name = |name: &str| {
            self.by_name.get(name).copied().or_else(|| {
                self.by_name
                    .get(name.to_ascii_lowercase().as_str())
                    .copied()
            })
        };
        by_name(name).or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                .and_then(|(_, canonical)| by_name(canonical))
        })
    }

    fn param(&self, name: &str) -> Option<&Param> {
        self.index(name).map(|i| &self.params[i])
    }

    /// Sets a parameter at start-up (immutable ones included).
    pub fn set_startup(&self, name: &str, value: &str) -> Result<(), ConfigError> {
        self.set_inner(name, value, true)
    }

    /// Sets a parameter at run time (CONFIG SET).
    pub fn set(&self, name: &str, value: &str) -> Result<(), ConfigError> {
        self.set_inner(name, value, false)
    }

    /// A number that changes whenever any parameter does.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn set_inner(&self, name: &str, value: &str, startup: bool) -> Result<(), ConfigError> {
        let done = self.set_value(name, value, startup);
        self.version.fetch_add(1, Ordering::Release);
        done
    }

    fn set_value(&self, name: &str, value: &str, startup: bool) -> Result<(), ConfigError> {
        let p = *self
            .param(name)
            .ok_or_else(|| ConfigError::Unknown(name.to_string()))?;
        let invalid = |reason: String| ConfigError::Invalid {
            name: p.name.to_string(),
            reason,
        };
        if p.immutable && !startup {
            return Err(invalid("can't set immutable config".into()));
        }
        let normalized = match p.kind {
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "yes" => "yes".to_string(),
                "no" => "no".to_string(),
                _ => return Err(invalid("argument must be 'yes' or 'no'".into())),
            },
            Kind::Int { min, max } => {
                let v: i64 = value
                    .parse()
                    .map_err(|_| invalid("argument couldn't be parsed into an integer".into()))?;
                if v < min || v > max {
                    return Err(invalid(format!(
                        "argument must be between {min} and {max} inclusive"
                    )));
                }
                v.to_string()
            }
            Kind::Memory { min, max } => {
                let v = parse_memory(value)
                    .ok_or_else(|| invalid("argument must be a memory value".into()))?;
                if v < min || v > max {
                    return Err(invalid(format!(
                        "argument must be between {min} and {max} inclusive"
                    )));
                }
                v.to_string()
            }
            Kind::Enum(words) => {
                let lower = value.to_ascii_lowercase();
                if !words.contains(&lower.as_str()) {
                    return Err(invalid(format!(
                        "argument(s) must be one of the following: {}",
                        words.join(", ")
                    )));
                }
                lower
            }
            Kind::Str => value.to_string(),
            Kind::Custom(normalize) => {
                let old = self.values.read().get(p.name).cloned().unwrap_or_default();
                let (text, number) = normalize(value, &old).map_err(invalid)?;
                if let Some(i) = self.index(p.name) {
                    self.numbers[i].store(number, Ordering::Relaxed);
                }
                self.values.write().insert(p.name, text);
                return Ok(());
            }
        };
        if let Some(i) = self.index(p.name) {
            self.numbers[i].store(numeric(&normalized), Ordering::Relaxed);
        }
        self.values.write().insert(p.name, normalized);
        Ok(())
    }

    /// The value of a parameter, as text.
    pub fn get(&self, name: &str) -> Option<String> {
        let p = self.param(name)?;
        self.values.read().get(p.name).cloned()
    }

    /// An integer or memory parameter's value (0 if unknown or not numeric). Lock-free: hot
    /// paths (every read of a connection, every bit offset) call it.
    pub fn get_i64(&self, name: &str) -> i64 {
        self.index(name)
            .map(|i| self.numbers[i].load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// A boolean parameter's value.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get_i64(name) == 1
    }

    /// Every parameter whose name matches the glob `pattern` (case-insensitive), with values.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        let values = self.values.read();
        let mut out: Vec<(&'static str, String)> = values
            .iter()
            .filter(|(name, _)| glob_match(pattern, name.as_bytes(), true))
            .map(|(name, v)| (*name, v.clone()))
            .collect();
        // An alias answers under its own name, as Redis lists it.
        for (alias, canonical) in ALIASES {
            if glob_match(pattern, alias.as_bytes(), true) {
                if let Some(v) = values.get(canonical) {
                    out.push((alias, v.clone()));
                }
            }
        }
        out
    }

    /// Every parameter declaration.
    pub fn params(&self) -> &[Param] {
        &self.params
    }
}

/// The number a normalized value stands for: integers as themselves, `yes` as 1, else 0.
fn numeric(value: &str) -> i64 {
    match value {
        "yes" => 1,
        "no" => 0,
        v => v.parse().unwrap_or(0),
    }
}

/// Parses a memory amount as Redis does: a number with an optional unit, `k`=1000,
/// `kb`=1024, `m`, `mb`, `g`, `gb` (any case).
pub fn parse_memory(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(split);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_is_found_by_its_name_in_any_case() {
        let c = Config::new();
        assert_eq!(c.params.len(), c.by_name.len(), "duplicate parameter names");
        for (i, p) in c.params.iter().enumerate() {
            assert_eq!(p.name, p.name.to_ascii_lowercase());
            assert_eq!(c.index_of(p.name), Some(i));
            assert_eq!(c.index_of(&p.name.to_ascii_uppercase()), Some(i));
        }
        assert_eq!(c.index_of("no-such-parameter"), None);
        // An alias resolves to its parameter.
        assert_eq!(
            c.index_of("LUA-time-limit"),
            c.index_of("busy-reply-threshold")
        );
    }

    #[test]
    fn memory_units_follow_redis() {
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("2GB"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_memory("12"), Some(12));
        assert_eq!(parse_memory("1xb"), None);
        assert_eq!(parse_memory(""), None);
    }

    #[test]
    fn set_validates_and_normalizes() {
        let c = Config::new();
        assert!(c.set("hz", "20").is_ok());
        assert_eq!(c.get("HZ").as_deref(), Some("20"));
        assert_eq!(
            c.set("databases", "4").map_err(|e| e.to_string()),
            Err("CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config".into())
        );
        assert!(matches!(c.set("nope", "1"), Err(ConfigError::Unknown(_))));
        assert!(c.set("proto-max-bulk-len", "2mb").is_ok());
        assert_eq!(c.get_i64("proto-max-bulk-len"), 2 * 1024 * 1024);
    }
}
