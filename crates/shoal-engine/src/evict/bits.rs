//! What an entry's 32-bit `lru` field holds under each eviction policy.
//!
//! ```text
//!   clock policies (noeviction, *-lru, *-random, volatile-ttl):
//!                        [seconds mod 2^24:24][accesses:8]   (wraps after ~194 days, as
//!                        Redis's 24-bit second clock does)
//!   LFU policies:        [eviction epoch mod 2^8:8][minutes mod 2^16:16][log counter:8]
//!   allkeys-adaptive:    [window:1][10 ms ticks mod 2^31:31]   (wraps after ~248 days)
//! ```
//! As in Redis, changing the policy at run time leaves existing keys with the other
//! meaning until they are next touched. The LRU clock counts seconds, as Redis's does, so
//! the order of keys last used in different seconds is Redis's. At tens of thousands of
//! requests a second a whole second ties nearly every key of a sample, and Redis then
//! evicts in sampling order; the spare byte counts the key's accesses since it was written
//! (saturating at 255), so that among keys last used in the same second the least used goes
//! first. That keeps what a finer clock would (the keys read again) without its failure: an
//! exact recency order evicts every key of a loop over more keys than the cache holds just
//! before it is asked for again, where Redis's ties keep some. The LFU stamp's spare byte keeps a recency
//! that breaks ties between equal counters (the least recently used goes first; keys not
//! read since they were written tie, as in Redis), on a logical clock: the eviction epoch
//! advances each time a 64th of the keys was evicted, so the byte spans four turnovers of
//! the cache whatever its size and request rate (a wall clock would be too coarse for a
//! small cache, too short for a large one).

/// How the `lru` field is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Time of last access.
    Clock,
    /// Last decrement time in minutes and a logarithmic access counter.
    Lfu,
    /// Seconds of last access and a flag for keys still in the admission window.
    Adaptive,
}

/// The counter a new key starts with under LFU, so it is not evicted before it had a chance
/// to be read again.
pub(crate) const LFU_INIT: u32 = 5;
/// Flag of keys in the adaptive policy's admission window.
pub(crate) const WINDOW: u32 = 1 << 31;
const SECS_MASK: u32 = WINDOW - 1;

/// The clock policies' seconds wrap at 2^24, as Redis's LRU clock does.
const CLOCK_MASK: u32 = (1 << 24) - 1;

/// Seconds of the engine clock modulo 2^24, as the clock policies store them.
fn clock_secs(now_ms: u64) -> u32 {
    ((now_ms / 1000) as u32) & CLOCK_MASK
}

/// A clock-policy stamp: the second of the last access and the accesses counted so far.
fn clock_stamp(now_ms: u64, accesses: u32) -> u32 {
    (clock_secs(now_ms) << 8) | accesses.min(255)
}

/// Whole seconds since a clock-policy stamp (modulo the clock's ~194-day wrap).
pub(crate) fn clock_idle_secs(lru: u32, now_ms: u64) -> u64 {
    u64::from(clock_secs(now_ms).wrapping_sub(lru >> 8) & CLOCK_MASK)
}

/// How evictable a clock-policy stamp is under LRU, higher first: idle seconds, then,
/// among keys last used in the same second, the fewer accesses.
pub(crate) fn clock_lru_score(lru: u32, now_ms: u64) -> u64 {
    (clock_idle_secs(lru, now_ms) << 8) | u64::from(255 - (lru & 0xFF))
}

/// Eviction epochs since an LFU stamp was written, given the current epoch (0..=255,
/// modulo 256).
pub(crate) fn lfu_idle_ticks(lru: u32, epoch: u32) -> u64 {
    u64::from(epoch.wrapping_sub(lru >> 24) & 0xFF)
}

/// 10 ms ticks of the engine clock, as the adaptive policy stores them (finer than seconds:
/// its victims are the least recently used of a sample, and a second holds many accesses).
pub(crate) fn ticks(now_ms: u64) -> u32 {
    ((now_ms / 10) as u32) & SECS_MASK
}

/// Ticks since an adaptive stamp.
pub(crate) fn idle_ticks(lru: u32, now_ms: u64) -> u64 {
    u64::from(ticks(now_ms).wrapping_sub(lru & SECS_MASK) & SECS_MASK)
}

fn lfu_minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xFFFF) as u32
}

/// Seconds since an access stamped `lru` in the given mode.
pub(crate) fn idle_secs(mode: Mode, lru: u32, now_ms: u64) -> u64 {
    match mode {
        Mode::Clock => clock_idle_secs(lru, now_ms),
        Mode::Adaptive => idle_ticks(lru, now_ms) / 100,
        Mode::Lfu => 0,
    }
}

/// The LFU counter of `lru` after the decay its idle minutes call for (`lfu-decay-time`
/// minutes per step; 0 never decays).
pub(crate) fn lfu_decayed(lru: u32, now_ms: u64, decay_time: i64) -> u32 {
    let counter = lru & 0xFF;
    if decay_time <= 0 {
        return counter;
    }
    let then = (lru >> 8) & 0xFFFF;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= then {
        now - then
    } else {
        0xFFFF - then + now
    };
    let steps = u64::from(elapsed) / decay_time as u64;
    counter.saturating_sub(steps.min(255) as u32)
}

/// Adds one access to an LFU counter: the higher it is, the less likely it grows
/// (`lfu-log-factor`), so 8 bits cover millions of hits. `coin` is uniform in 0..1.
pub(crate) fn lfu_log_incr(counter: u32, log_factor: i64, coin: f64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT) as f64;
    let p = 1.0 / (base * log_factor.max(0) as f64 + 1.0);
    if coin < p {
        counter + 1
    } else {
        counter
    }
}

/// Packs an LFU counter with the current minute and eviction epoch.
pub(crate) fn lfu_stamp(counter: u32, now_ms: u64, epoch: u32) -> u32 {
    ((epoch & 0xFF) << 24) | (lfu_minutes(now_ms) << 8) | counter.min(255)
}

/// The settings a touch needs, read once per command.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Toucher {
    pub(crate) mode: Mode,
    pub(crate) now_ms: u64,
    pub(crate) log_factor: i64,
    pub(crate) decay_time: i64,
    /// The eviction epoch (LFU recency).
    pub(crate) epoch: u32,
}

impl Toucher {
    /// The stamp of a key created now.
    pub(crate) fn fresh(&self) -> u32 {
        match self.mode {
            Mode::Clock => clock_stamp(self.now_ms, 0),
            Mode::Lfu => lfu_stamp(LFU_INIT, self.now_ms, self.epoch),
            Mode::Adaptive => WINDOW | ticks(self.now_ms),
        }
    }

    /// The stamp of a key accessed now that held `lru`.
    pub(crate) fn touched(&self, lru: u32) -> u32 {
        match self.mode {
            Mode::Clock => clock_stamp(self.now_ms, (lru & 0xFF) + 1),
            Mode::Lfu => {
                let c = lfu_decayed(lru, self.now_ms, self.decay_time);
                let c = lfu_log_incr(c, self.log_factor, coin());
                lfu_stamp(c, self.now_ms, self.epoch)
            }
            Mode::Adaptive => (lru & WINDOW) | ticks(self.now_ms),
        }
    }

    /// The stamp a write of a whole value leaves on a key that held `old` (`None`: the
    /// write creates it).
    pub(crate) fn for_set(&self, old: Option<u32>) -> u32 {
        match old {
            Some(lru) => self.touched(lru),
            None => self.fresh(),
        }
    }

    /// The stamp of a key restored or loaded with a known idle time or LFU counter.
    pub(crate) fn restored(&self, idle: Option<u64>, freq: Option<u64>) -> u32 {
        match self.mode {
            Mode::Lfu => match freq {
                Some(f) => lfu_stamp(f.min(255) as u32, self.now_ms, self.epoch),
                None => self.fresh(),
            },
            Mode::Clock => {
                // Idle times beyond the clock's range read as its longest.
                let back = idle.unwrap_or(0).min(u64::from(CLOCK_MASK)) as u32;
                (clock_secs(self.now_ms).wrapping_sub(back) & CLOCK_MASK) << 8
            }
            Mode::Adaptive => {
                let back = idle.map_or(0, |i| i.saturating_mul(100).min(u64::from(SECS_MASK)));
                ((u64::from(ticks(self.now_ms)) + u64::from(SECS_MASK) + 1 - back) as u32)
                    & SECS_MASK
            }
        }
    }
}

/// A uniform number in 0..1 from a per-thread generator: the LFU counter's coin flips need
/// no reproducibility (every member of a group keeps its own counters) and must not contend.
fn coin() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0x2545_F491_4F6C_DD1D) };
    }
    STATE.with(|s| {
        // xorshift64*
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toucher(mode: Mode, now_ms: u64) -> Toucher {
        Toucher {
            mode,
            now_ms,
            log_factor: 10,
            decay_time: 1,
            epoch: 0,
        }
    }

    #[test]
    fn lfu_counter_starts_at_five_and_grows_logarithmically() {
        let t = toucher(Mode::Lfu, 0);
        let mut lru = t.fresh();
        assert_eq!(lru & 0xFF, LFU_INIT);
        for _ in 0..100_000 {
            lru = t.touched(lru);
        }
        let c = lru & 0xFF;
        // With factor 10, 100k hits land the counter near 140 (Redis documents 142).
        assert!((120..170).contains(&c), "counter {c}");
    }

    #[test]
    fn lfu_counter_decays_one_step_per_decay_period() {
        let lru = lfu_stamp(20, 0, 0);
        assert_eq!(lfu_decayed(lru, 5 * 60_000, 1), 15);
        assert_eq!(lfu_decayed(lru, 5 * 60_000, 0), 20);
        assert_eq!(lfu_decayed(lru, 100 * 60_000, 1), 0);
    }

    #[test]
    fn clock_stamp_orders_by_second_then_by_reads() {
        let now = 1_700_000_000_123;
        let a = toucher(Mode::Clock, now).fresh();
        let b = toucher(Mode::Clock, now + 1_000).fresh();
        assert!(clock_lru_score(a, now + 1_500) > clock_lru_score(b, now + 1_500));
        assert_eq!(idle_secs(Mode::Clock, a, now + 65_000), 65);
        // Within one second the key used less goes first; an access moves a key to its second.
        let read = toucher(Mode::Clock, now + 1_100).touched(a);
        assert_eq!(read & 0xFF, 1);
        assert!(clock_lru_score(b, now + 1_500) > clock_lru_score(read, now + 1_500));
        let mut many = read;
        for _ in 0..300 {
            many = toucher(Mode::Clock, now + 1_200).touched(many);
        }
        assert_eq!(many & 0xFF, 255);
        assert!(clock_lru_score(read, now + 1_500) > clock_lru_score(many, now + 1_500));
        // Across the 24-bit clock's wrap.
        let near_wrap = u64::from(CLOCK_MASK) * 1000 - 400;
        let s = toucher(Mode::Clock, near_wrap).fresh();
        assert_eq!(clock_idle_secs(s, near_wrap + 2_000), 2);
    }

    #[test]
    fn lfu_stamp_keeps_a_recency_tiebreak_without_touching_the_counter() {
        let now = 600_000;
        let old = lfu_stamp(9, now, 254);
        let new = lfu_stamp(9, now, 3);
        assert_eq!(old & 0xFF, 9);
        assert_eq!(lfu_decayed(new, now, 1), 9);
        // Across the byte's wrap: 254 is five epochs before 3.
        assert_eq!(lfu_idle_ticks(old, 3), 5);
        assert_eq!(lfu_idle_ticks(new, 3), 0);
    }

    #[test]
    fn log_increment_saturates_at_255() {
        assert_eq!(lfu_log_incr(255, 10, 0.0), 255);
        assert_eq!(lfu_log_incr(3, 10, 0.99), 4);
    }

    #[test]
    fn adaptive_stamp_keeps_window_flag_on_touch() {
        let t = toucher(Mode::Adaptive, 10_000);
        let fresh = t.fresh();
        assert_ne!(fresh & WINDOW, 0);
        let later = toucher(Mode::Adaptive, 25_000).touched(fresh);
        assert_ne!(later & WINDOW, 0);
        assert_eq!(idle_secs(Mode::Adaptive, fresh, 25_000), 15);
    }

    #[test]
    fn restored_idle_time_sets_clock_back() {
        let t = toucher(Mode::Clock, 100_000);
        assert_eq!(
            idle_secs(Mode::Clock, t.restored(Some(40), None), 100_000),
            40
        );
        let l = toucher(Mode::Lfu, 100_000).restored(None, Some(77));
        assert_eq!(l & 0xFF, 77);
    }
}
