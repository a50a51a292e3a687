//! Per-connection limits: `client-output-buffer-limit` tracking for one class (the push
//! buffer uses the pubsub class, the reply buffer the normal class), and the idle
//! `timeout` exemptions.

use shoal_engine::clients::ClientHandle;
use shoal_engine::output_limits::{Limit, OutputLimits};
use shoal_engine::Config;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Which `client-output-buffer-limit` class applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Normal,
    PubSub,
}

/// Tracks one buffer against its class's hard and soft limits.
pub(crate) struct OutputTracker {
    class: Class,
    /// The limit and the configuration version it was read at.
    limit: (u64, Limit),
    /// Since when the buffer has been above the soft limit.
    over_soft_since: Option<Instant>,
}

impl OutputTracker {
    pub(crate) fn new(config: &Config, class: Class) -> OutputTracker {
        OutputTracker {
            class,
            limit: (config.version(), Self::read(config, class)),
            over_soft_since: None,
        }
    }

    fn read(config: &Config, class: Class) -> Limit {
        let all = OutputLimits::of(config);
        match class {
            Class::Normal => all.normal,
            Class::PubSub => all.pubsub,
        }
    }

    fn refresh(&mut self, config: &Config) -> Limit {
        let version = config.version();
        if self.limit.0 != version {
            self.limit = (version, Self::read(config, self.class));
        }
        self.limit.1
    }

    /// True once `pending` bytes pass the hard limit, or have stayed above the soft limit
    /// for its seconds. Below the soft limit the clock restarts.
    pub(crate) fn exceeded(&mut self, config: &Config, pending: usize) -> bool {
        let limit = self.refresh(config);
        let len = pending as u64;
        if limit.hard > 0 && len >= limit.hard {
            return true;
        }
        if limit.soft > 0 && len >= limit.soft {
            let since = *self.over_soft_since.get_or_insert_with(Instant::now);
            return since.elapsed().as_secs() >= limit.soft_seconds;
        }
        self.over_soft_since = None;
        false
    }

    /// How long `pending` bytes may still wait before the soft limit cuts the client off
    /// (None: no soft limit applies to that much).
    pub(crate) fn soft_deadline(&mut self, config: &Config, pending: usize) -> Option<Duration> {
        let limit = self.refresh(config);
        if limit.soft == 0 || (pending as u64) < limit.soft {
            return None;
        }
        let since = *self.over_soft_since.get_or_insert_with(Instant::now);
        Some(Duration::from_secs(limit.soft_seconds).saturating_sub(since.elapsed()))
    }

    /// The buffer was emptied.
    pub(crate) fn reset(&mut self) {
        self.over_soft_since = None;
    }
}

/// True while the client is subscribed to a channel, pattern or shard channel: the idle
/// `timeout` does not apply to it (as in Redis; blocked clients wait elsewhere and are not
/// timed out either), and its output counts in the pubsub class, not the normal one.
pub(crate) fn subscribed(handle: &ClientHandle) -> bool {
    handle.subscriptions.iter().any(|n| n.load(Relaxed) > 0)
}
