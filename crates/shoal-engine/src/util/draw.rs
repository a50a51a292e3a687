//! Uniform random draws from chained hash tables that keep each bucket's chain length.
//!
//! Drawing a random bucket and then a link favours members of short chains; retrying
//! (bucket, depth) pairs until one holds a member is fair but costs a cache miss per try,
//! and many tries when the table is sparse. Here the tables keep a `u8` chain length per
//! bucket and the member count of each window of [`WINDOW`] buckets ([`Lengths`]). A try
//! picks a window, accepts it with probability `members / cap` from the window totals
//! alone, and then takes a uniformly chosen member of it, reading that window's line of
//! lengths. Every member is equally likely as long as no window holds more than `cap`,
//! which is chosen from the table's load so that this is vanishingly rare.

use super::rng::Rng;

/// Buckets per window: their chain lengths fill one cache line.
pub(crate) const WINDOW: usize = 64;

/// A kept chain length at or above this is stored as this and counted by walking.
pub(crate) const SATURATED: u8 = u8::MAX;

/// Tries before a draw stops rejecting windows (never reached in practice).
const TRIES: usize = 4096;

/// The bound on a window's members used for acceptance: the expected count plus six
/// standard deviations (Poisson) and a margin, so a fuller window is about a one in 10^9
/// event; windows at the mean are accepted with probability about one third to a half.
fn cap(w: usize, len: usize, buckets: usize) -> usize {
    let mean = (w * len).div_ceil(buckets.max(1));
    mean + (6.0 * (mean as f64).sqrt()).ceil() as usize + 8
}

/// The chain lengths a table keeps for its draws: a `u8` per bucket (saturating at
/// [`SATURATED`]), and the exact number of members of each window of [`WINDOW`] buckets.
/// The window totals are a small array (4 bytes per 64 buckets) that stays in cache, so the
/// rejected windows of a draw cost no memory reads; only the accepted window's line of
/// lengths is read.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lengths {
    counts: Vec<u8>,
    sums: Vec<u32>,
}

impl Lengths {
    /// All zero, for a table of `buckets` buckets (a power of two).
    pub(crate) fn new(buckets: usize) -> Lengths {
        Lengths {
            counts: vec![0; buckets],
            sums: vec![0; buckets.div_ceil(WINDOW)],
        }
    }

    /// Heap bytes the lengths take.
    pub(crate) fn heap_size(&self) -> usize {
        crate::types::alloc::alloc_size(self.counts.capacity())
            + crate::types::alloc::alloc_size(self.sums.capacity() * std::mem::size_of::<u32>())
    }

    /// The kept length of bucket `b` ([`SATURATED`] for a chain that long or longer).
    #[cfg(test)]
    pub(crate) fn kept(&self, b: usize) -> u8 {
        self.counts[b]
    }

    /// The length of bucket `b`'s chain: the kept one, or `walk()` (counting the chain)
    /// where it saturated.
    #[inline]
    pub(crate) fn chain_len(&self, b: usize, walk: impl FnOnce() -> usize) -> usize {
        match self.counts[b] {
            SATURATED => walk(),
            c => usize::from(c),
        }
    }

    /// One link was added to bucket `b`'s chain.
    #[inline]
    pub(crate) fn grow(&mut self, b: usize) {
        self.counts[b] = self.counts[b].saturating_add(1);
        self.sums[b / WINDOW] += 1;
    }

    /// One link was taken out of bucket `b`'s chain; `walk` counts the chain as it now is
    /// (called only when the length had saturated).
    #[inline]
    pub(crate) fn shrink(&mut self, b: usize, walk: impl FnOnce() -> usize) {
        self.counts[b] = match self.counts[b] {
            SATURATED => walk().min(usize::from(SATURATED)) as u8,
            c => c.saturating_sub(1),
        };
        self.sums[b / WINDOW] = self.sums[b / WINDOW].saturating_sub(1);
    }

    /// Bucket `b`'s chain of `n` links was moved out whole.
    #[inline]
    pub(crate) fn emptied(&mut self, b: usize, n: usize) {
        self.counts[b] = 0;
        self.sums[b / WINDOW] = self.sums[b / WINDOW].saturating_sub(n as u32);
    }

    /// Draws windows until one is accepted (with probability `members / cap`), reading only
    /// the window totals; `None` for an empty table. `len` is the table's member count.
    /// Only the windows from the one holding bucket `from` on are drawn (the buckets before
    /// it being empty, as in a table a resize is draining; 0 otherwise): the acceptance
    /// bound then follows the load of the buckets still in use.
    pub(crate) fn window(&self, len: usize, from: usize, rng: &mut Rng) -> Option<Window> {
        let n = self.counts.len();
        if len == 0 || n == 0 || from >= n {
            return None;
        }
        let width = WINDOW.min(n);
        let first = from / width;
        let windows = self.sums.len() - first;
        let cap = cap(width, len, n - first * width);
        // Bounded only against totals that disagree with `len`; an empty window is
        // skipped, and past TRIES any non-empty one is taken.
        for tries in 0..TRIES * 16 {
            let w = first + rng.index(windows);
            let members = self.sums[w] as usize;
            if members == 0 {
                continue;
            }
            let accept = windows == 1 || members >= cap || tries >= TRIES;
            if accept || rng.index(cap) < members {
                return Some(Window {
                    start: w * width,
                    width,
                    members,
                });
            }
        }
        None
    }

    /// Where a uniformly random member sits, as (bucket, position in its chain); `len` is
    /// the table's member count and `chain_len(b)` the true length of bucket `b`'s chain
    /// (the walk for a saturated one).
    pub(crate) fn pick(
        &self,
        len: usize,
        rng: &mut Rng,
        chain_len: impl Fn(usize) -> usize,
    ) -> Option<(usize, usize)> {
        self.pick_from(len, 0, rng, chain_len)
    }

    /// Like [`Lengths::pick`] in a table whose buckets before `from` are empty (see
    /// [`Lengths::window`]).
    pub(crate) fn pick_from(
        &self,
        len: usize,
        from: usize,
        rng: &mut Rng,
        chain_len: impl Fn(usize) -> usize,
    ) -> Option<(usize, usize)> {
        self.window(len, from, rng)?.pick(self, rng, &chain_len)
    }

    /// True if these are the lengths of a table of `buckets` buckets whose chains are
    /// `chain_len(b)` long: every kept length (up to saturation) and every window total.
    #[cfg(test)]
    pub(crate) fn matches(&self, buckets: usize, chain_len: impl Fn(usize) -> usize) -> bool {
        let kept = |b: usize| chain_len(b).min(usize::from(SATURATED));
        self.counts.len() == buckets
            && (0..buckets).all(|b| usize::from(self.counts[b]) == kept(b))
            && self.sums.len() == buckets.div_ceil(WINDOW)
            && self.sums.iter().enumerate().all(|(w, &sum)| {
                let end = ((w + 1) * WINDOW).min(buckets);
                sum as usize == (w * WINDOW..end).map(&chain_len).sum::<usize>()
            })
    }
}

/// A window of buckets accepted as [`Lengths::pick`] accepts one. Any number of members
/// drawn from it with [`Window::pick`] (with replacement) keep the fairness of a single
/// draw: every member's expected number of draws is the same. A batch drawn this way reads
/// one line of lengths, and its members sit in neighbouring buckets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    start: usize,
    width: usize,
    members: usize,
}

impl Window {
    /// The window's first bucket and how many buckets it spans.
    pub(crate) fn buckets(&self) -> (usize, usize) {
        (self.start, self.width)
    }

    /// How many members the window held when it was accepted.
    pub(crate) fn members(&self) -> usize {
        self.members
    }

    /// The place of a uniformly chosen member of the window. `lengths` are the table's
    /// (the ones that accepted the window) and `chain_len(b)` the true length of bucket
    /// `b`'s chain, asked only where the kept one saturated.
    pub(crate) fn pick(
        &self,
        lengths: &Lengths,
        rng: &mut Rng,
        chain_len: &impl Fn(usize) -> usize,
    ) -> Option<(usize, usize)> {
        let mut k = rng.index(self.members);
        let end = self.start + self.width;
        let mut b = self.start;
        // Whole groups of eight kept lengths are skipped on the sum of their bytes, so
        // finding the member mostly reads the line of lengths in eight steps, not
        // sixty-four; the group holding it (or a saturated length) is walked one by one.
        while b + 8 <= end {
            let mut word = [0u8; 8];
            word.copy_from_slice(lengths.counts.get(b..b + 8)?);
            let w = u64::from_le_bytes(word);
            if has_saturated(w) || k < byte_sum(w) {
                break;
            }
            k -= byte_sum(w);
            b += 8;
        }
        for b in b..end {
            let l = chain_len(b);
            if k < l {
                return Some((b, k));
            }
            k -= l;
        }
        None
    }
}

/// True if any byte of `w` is [`SATURATED`].
#[inline]
fn has_saturated(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A zero byte of !w is a saturated byte of w.
    let z = !w;
    z.wrapping_sub(ONES) & !z & HIGHS != 0
}

/// The sum of the eight bytes of `w`, taken as 16-bit lanes so it cannot overflow.
#[inline]
fn byte_sum(w: u64) -> usize {
    const EVEN: u64 = 0x00FF_00FF_00FF_00FF;
    let pairs = (w & EVEN) + ((w >> 8) & EVEN);
    (pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48) as usize
}

/// The chi-square statistic of draw counts against an even spread of `per` draws over
/// `len` members (for the fairness tests of the tables that draw); every member must have
/// been drawn.
#[cfg(test)]
pub(crate) fn chi_square<K>(hits: &std::collections::HashMap<K, u32>, len: usize, per: f64) -> f64 {
    assert_eq!(hits.len(), len, "every member drawn");
    hits.values()
        .map(|&c| (f64::from(c) - per).powi(2) / per)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sums_and_saturation_match_a_plain_loop() {
        let mut rng = Rng::new(3);
        for _ in 0..100_000 {
            let mut bytes = [0u8; 8];
            for b in &mut bytes {
                // Mostly short chains, with the extremes mixed in.
                *b = match rng.index(10) {
                    0 => SATURATED,
                    1 => SATURATED - 1,
                    _ => rng.index(8) as u8,
                };
            }
            let w = u64::from_le_bytes(bytes);
            let sum: usize = bytes.iter().map(|&b| usize::from(b)).sum();
            assert_eq!(byte_sum(w), sum, "{bytes:?}");
            assert_eq!(has_saturated(w), bytes.contains(&SATURATED), "{bytes:?}");
        }
        assert_eq!(byte_sum(u64::MAX), 8 * 255);
        assert!(has_saturated(0xFF) && !has_saturated(0xFEFE_FEFE_FEFE_FEFE));
    }

    #[test]
    fn the_cap_covers_a_window_at_every_load() {
        // Load 1 (64 per window on average) and load 1/8 (8 per window).
        assert!(cap(64, 4096, 4096) >= 110);
        assert!(cap(64, 512, 4096) >= 30);
        // Never below what a single bucket could hold in a tiny table.
        assert!(cap(4, 1, 4) >= 8);
    }

    /// Hand-made lengths: three windows of chains of 3 except for a sparse stretch, and one
    /// saturated bucket (a chain of 260, counted by walking) alone in the fourth; with their
    /// number of members.
    fn uneven() -> (Lengths, usize) {
        let mut l = Lengths::new(256);
        for b in 0..256 {
            for _ in 0..uneven_len(b) {
                l.grow(b);
            }
        }
        assert_eq!(l.kept(200), SATURATED);
        (l, (0..256).map(uneven_len).sum())
    }

    /// The true chain lengths behind [`uneven`].
    fn uneven_len(b: usize) -> usize {
        match b {
            200 => 260,
            100..120 | 192.. => 0,
            _ => 3,
        }
    }

    #[test]
    fn a_draw_is_uniform_over_members_in_uneven_windows() {
        let (lengths, len) = uneven();
        let mut rng = Rng::new(7);
        let mut hits = std::collections::HashMap::new();
        for _ in 0..len * 200 {
            if let Some(at) = lengths.pick(len, &mut rng, uneven_len) {
                *hits.entry(at).or_insert(0u32) += 1;
            }
        }
        // len - 1 = 775 degrees of freedom: a fair draw stays near 775 (sd about 39);
        // ignoring the windows' sizes lands in the thousands.
        let chi = chi_square(&hits, len, 200.0);
        assert!(chi < 950.0, "chi-square {chi}");
    }

    #[test]
    fn a_batch_comes_from_one_window_and_every_member_is_drawn_equally_often() {
        let (lengths, len) = uneven();
        let mut rng = Rng::new(11);
        let mut hits = std::collections::HashMap::new();
        for _ in 0..len * 40 {
            let Some(w) = lengths.window(len, 0, &mut rng) else {
                continue;
            };
            let batch: Vec<_> = (0..5)
                .filter_map(|_| w.pick(&lengths, &mut rng, &uneven_len))
                .collect();
            assert_eq!(batch.len(), 5);
            assert!(
                batch
                    .iter()
                    .all(|&(b, _)| b / WINDOW == batch[0].0 / WINDOW),
                "{batch:?}"
            );
            for at in batch {
                assert!(at.1 < uneven_len(at.0), "{at:?} is not a member");
                *hits.entry(at).or_insert(0u32) += 1;
            }
        }
        // 200 expected draws per member, as above.
        let chi = chi_square(&hits, len, 200.0);
        assert!(chi < 950.0, "chi-square {chi}");
        assert!(Lengths::new(64).window(0, 0, &mut rng).is_none());
        assert!(Lengths::default().window(5, 0, &mut rng).is_none());
    }

    #[test]
    fn draws_from_a_drained_prefix_skip_it_and_stay_uniform() {
        // 4,096 buckets of which the first 3,000 are empty (a draining table): the
        // 1,096 left hold 3 members each, and the acceptance bound must follow their load
        // (taken over all buckets it would be exceeded by every window, accepting each
        // window regardless of how full it is).
        let mut l = Lengths::new(4096);
        let from = 3000;
        for b in from..4096 {
            for _ in 0..3 {
                l.grow(b);
            }
        }
        let len = 3 * (4096 - from);
        let mut rng = Rng::new(23);
        let mut hits = std::collections::HashMap::new();
        for _ in 0..len * 100 {
            if let Some(at) = l.pick_from(len, from, &mut rng, |b| if b < from { 0 } else { 3 }) {
                assert!(at.0 >= from);
                *hits.entry(at).or_insert(0u32) += 1;
            }
        }
        // 3,287 degrees of freedom: sd about 81.
        let chi = chi_square(&hits, len, 100.0);
        assert!(chi < 3288.0 + 6.0 * 81.0, "chi-square {chi}");
        assert!(l.window(len, 4096, &mut rng).is_none());
    }

    #[test]
    fn a_small_table_is_one_window() {
        let mut l = Lengths::new(8);
        l.grow(3);
        l.grow(3);
        l.grow(6);
        let mut rng = Rng::new(5);
        let len = |b: usize| usize::from(l.kept(b));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let at = l.pick(3, &mut rng, len);
            assert!(matches!(at, Some((3, 0 | 1)) | Some((6, 0))), "{at:?}");
            seen.insert(at);
        }
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn lengths_saturate_recount_and_keep_window_totals() {
        let mut l = Lengths::new(128);
        for _ in 0..256 {
            l.grow(70);
        }
        assert_eq!(l.kept(70), SATURATED);
        assert_eq!(l.sums, [0, 256]);
        l.shrink(70, || 255);
        assert_eq!(l.kept(70), SATURATED);
        l.shrink(70, || 254);
        assert_eq!(l.kept(70), 254);
        l.shrink(70, || unreachable!("not saturated"));
        assert_eq!(l.kept(70), 253);
        assert_eq!(l.sums, [0, 253]);
        l.grow(1);
        assert_eq!(l.sums, [1, 253]);
    }
}
