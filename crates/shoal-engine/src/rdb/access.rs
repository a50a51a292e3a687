//! The access data Redis 7 keeps beside each key in a snapshot: under an LRU policy an
//! IDLE record (seconds since last access, length-encoded), under an LFU policy a FREQ
//! record (the decayed counter, one byte), written between the key's deadline and its
//! type byte. Other policies write neither. Loading applies whichever the policy in force
//! tracks (see `Toucher::restored`).

use super::file::op;
use super::length::write_len;
use crate::engine::Inner;
use crate::evict::{bits, Policy};

/// Which access record precedes each key of a snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum AccessSave {
    /// Neither (random, TTL and adaptive policies, noeviction).
    #[default]
    Nothing,
    /// IDLE records (`volatile-lru`, `allkeys-lru`).
    Idle,
    /// FREQ records (`volatile-lfu`, `allkeys-lfu`), decayed by `lfu-decay-time`.
    Freq {
        /// Minutes per counter step of decay.
        decay_time: i64,
    },
}

impl AccessSave {
    /// What the policy in force calls for.
    pub(crate) fn configured(inner: &Inner) -> AccessSave {
        match inner.policy() {
            Policy::AllkeysLru | Policy::VolatileLru => AccessSave::Idle,
            Policy::AllkeysLfu | Policy::VolatileLfu => AccessSave::Freq {
                decay_time: inner.config.get_i64("lfu-decay-time"),
            },
            _ => AccessSave::Nothing,
        }
    }

    /// Appends the record for a key whose `lru` stamp is as given, at time `now_ms`.
    pub(crate) fn write(self, out: &mut Vec<u8>, lru: u32, now_ms: u64) {
        match self {
            AccessSave::Nothing => {}
            AccessSave::Idle => {
                out.push(op::IDLE);
                write_len(out, bits::idle_secs(bits::Mode::Clock, lru, now_ms));
            }
            AccessSave::Freq { decay_time } => {
                out.push(op::FREQ);
                out.push(bits::lfu_decayed(lru, now_ms, decay_time).min(255) as u8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evict::bits::{lfu_stamp, Mode, Toucher};

    #[test]
    fn idle_record_is_the_opcode_and_length_encoded_seconds() {
        let now = 10_000_000;
        let t = Toucher {
            mode: Mode::Clock,
            now_ms: now,
            log_factor: 10,
            decay_time: 1,
            epoch: 0,
        };
        let mut out = Vec::new();
        AccessSave::Idle.write(&mut out, t.restored(Some(300), None), now);
        // 300 needs the two-byte length form: 0b01 prefix, 14 bits big-endian.
        assert_eq!(out, vec![op::IDLE, 0x41, 0x2C]);
    }

    #[test]
    fn freq_record_is_the_opcode_and_the_decayed_counter() {
        let mut out = Vec::new();
        let at = 60_000 * 100;
        AccessSave::Freq { decay_time: 1 }.write(&mut out, lfu_stamp(40, at, 0), at + 3 * 60_000);
        assert_eq!(out, vec![op::FREQ, 37]);
        let mut none = Vec::new();
        AccessSave::Nothing.write(&mut none, 123, at);
        assert!(none.is_empty());
    }
}
