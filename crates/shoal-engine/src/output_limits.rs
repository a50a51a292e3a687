//! `client-output-buffer-limit`: per client class, a hard limit, a soft limit and how long
//! a client may stay over the soft one before it is disconnected.

use crate::config::{parse_memory, Config};

/// Limits for one client class; zero disables a limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limit {
    /// Bytes at which the client is cut off at once.
    pub hard: u64,
    /// Bytes the client may stay above for `soft_seconds`.
    pub soft: u64,
    /// Seconds over the soft limit before the client is cut off.
    pub soft_seconds: u64,
}

/// The three classes Redis knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimits {
    /// Ordinary clients.
    pub normal: Limit,
    /// Replicas.
    pub replica: Limit,
    /// Clients subscribed to channels or patterns.
    pub pubsub: Limit,
}

const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

impl OutputLimits {
    /// Parses the canonical text (as CONFIG GET shows it); unknown parts keep defaults.
    pub fn parse(text: &str) -> OutputLimits {
        let mut out = OutputLimits::default();
        let _ = apply(&mut out, text);
        out
    }

    /// The current limits of `config`.
    pub fn of(config: &Config) -> OutputLimits {
        OutputLimits::parse(&config.get("client-output-buffer-limit").unwrap_or_default())
    }

    fn class_mut(&mut self, i: usize) -> &mut Limit {
        match i {
            0 => &mut self.normal,
            1 => &mut self.replica,
            _ => &mut self.pubsub,
        }
    }

    fn format(&self) -> String {
        [self.normal, self.replica, self.pubsub]
            .iter()
            .zip(CLASSES)
            .map(|(l, name)| format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn apply(limits: &mut OutputLimits, text: &str) -> Result<(), String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut staged = *limits;
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard = parse_memory(group[1]).ok_or_else(bad)?;
        let soft = parse_memory(group[2]).ok_or_else(bad)?;
        let soft_seconds: u64 = group[3].parse().map_err(|_| bad())?;
        *staged.class_mut(class) = Limit {
            hard,
            soft,
            soft_seconds,
        };
    }
    *limits = staged;
    Ok(())
}

/// The config normalizer: applies the classes given over the current value.
pub(crate) fn normalize(text: &str, old: &str) -> Result<(String, i64), String> {
    let mut limits = if old.is_empty() {
        OutputLimits::parse(DEFAULT)
    } else {
        OutputLimits::parse(old)
    };
    apply(&mut limits, text)?;
    Ok((limits.format(), 0))
}

/// Redis's defaults.
pub(crate) const DEFAULT: &str =
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_one_class_keeps_the_others() {
        let (text, _) = normalize("pubsub 1mb 512k 10", DEFAULT).unwrap_or_default();
        assert_eq!(
            text,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 512000 10"
        );
        assert_eq!(OutputLimits::parse(&text).pubsub.hard, 1048576);
        assert!(normalize("pubsub 1mb 512k", DEFAULT).is_err());
        assert!(normalize("foo 1 1 1", DEFAULT).is_err());
        assert!(normalize("pubsub x 1 1", DEFAULT).is_err());
        let (text, _) = normalize("replica 1 1 1", DEFAULT).unwrap_or_default();
        assert!(text.contains("slave 1 1 1"));
    }
}
