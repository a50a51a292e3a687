//! Uniform random draws from chained hash tables that keep each bucket's chain length.
//!
//! Drawing a random bucket and then a link favours members of short chains; retrying
//! (bucket, depth) pairs until one holds a member is fair but costs a cache miss per try,
//! and many tries when the table is sparse. Here the tables keep a `u8` chain length per
//! bucket, so one try reads the lengths of a window of [`WINDOW`] buckets (one cache line),
//! accepts the window with probability `members / cap` and then takes a uniformly chosen
//! member of it. Every member is equally likely as long as no window holds more than
//! `cap`, which is chosen from the table's load so that this is vanishingly rare.

use super::rng::Rng;

/// Buckets per window: their chain lengths fill one cache line.
pub(crate) const WINDOW: usize = 64;

/// A kept chain length at or above this is stored as this and counted by walking.
pub(crate) const SATURATED: u8 = u8::MAX;

/// Tries before a draw stops rejecting windows (never reached in practice).
const TRIES: usize = 4096;

/// Adds one link to the kept length of a chain.
pub(crate) fn grow(count: &mut u8) {
    *count = count.saturating_add(1);
}

/// The kept length of a chain that held `count` after one link was taken out; `walk`
/// counts the chain as it now is (called only when the length had saturated).
pub(crate) fn shrunk(count: u8, walk: impl FnOnce() -> usize) -> u8 {
    if count == SATURATED {
        walk().min(usize::from(SATURATED)) as u8
    } else {
        count.saturating_sub(1)
    }
}

/// The bound on a window's members used for acceptance: the expected count plus six
/// standard deviations (Poisson) and a margin, so a fuller window is about a one in 10^9
/// event; windows at the mean are accepted with probability about one third to a half.
fn cap(w: usize, len: usize, buckets: usize) -> usize {
    let mean = (w * len).div_ceil(buckets.max(1));
    mean + (6.0 * (mean as f64).sqrt()).ceil() as usize + 8
}

/// Where a uniformly random member sits, as (bucket, position in its chain), in a table of
/// `len` members whose kept chain lengths are `counts` (one per bucket, a power of two
/// many). `chain_len(b)` gives the true length of bucket `b`'s chain (the walk for a
/// saturated count).
pub(crate) fn pick(
    counts: &[u8],
    len: usize,
    rng: &mut Rng,
    chain_len: impl Fn(usize) -> usize,
) -> Option<(usize, usize)> {
    Window::accept(counts, len, rng, &chain_len)?.pick(rng, &chain_len)
}

/// A window of buckets accepted as [`pick`] accepts one. Any number of members drawn from
/// it with [`Window::pick`] (with replacement) keep the fairness of [`pick`]: every
/// member's expected number of draws is the same. A batch drawn this way reads one line of
/// lengths, and its members sit in neighbouring buckets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    start: usize,
    width: usize,
    members: usize,
}

impl Window {
    /// Draws windows until one is accepted (with probability `members / cap`); `None` for
    /// an empty table.
    pub(crate) fn accept(
        counts: &[u8],
        len: usize,
        rng: &mut Rng,
        chain_len: &impl Fn(usize) -> usize,
    ) -> Option<Window> {
        let n = counts.len();
        if len == 0 || n == 0 {
            return None;
        }
        let width = WINDOW.min(n);
        let windows = n / width;
        let cap = cap(width, len, n);
        for tries in 0.. {
            let start = rng.index(windows) * width;
            let raw = &counts[start..start + width];
            let mut members: usize = raw.iter().map(|&c| usize::from(c)).sum();
            if raw.contains(&SATURATED) {
                members = (start..start + width).map(chain_len).sum();
            }
            if members == 0 {
                continue;
            }
            let accept = windows == 1 || members >= cap || tries >= TRIES;
            if accept || rng.index(cap) < members {
                return Some(Window {
                    start,
                    width,
                    members,
                });
            }
        }
        None
    }

    /// The place of a uniformly chosen member of the window.
    pub(crate) fn pick(
        &self,
        rng: &mut Rng,
        chain_len: &impl Fn(usize) -> usize,
    ) -> Option<(usize, usize)> {
        let mut k = rng.index(self.members);
        for b in self.start..self.start + self.width {
            let l = chain_len(b);
            if k < l {
                return Some((b, k));
            }
            k -= l;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_covers_a_window_at_every_load() {
        // Load 1 (64 per window on average) and load 1/8 (8 per window).
        assert!(cap(64, 4096, 4096) >= 110);
        assert!(cap(64, 512, 4096) >= 30);
        // Never below what a single bucket could hold in a tiny table.
        assert!(cap(4, 1, 4) >= 8);
    }

    /// Hand-made lengths: three windows of chains of 3 except for a sparse stretch, and one
    /// saturated bucket (a chain of 260, counted by walking) alone in the fourth.
    fn uneven() -> Vec<u8> {
        let mut counts = vec![3u8; 256];
        for c in counts.iter_mut().skip(100).take(20) {
            *c = 0;
        }
        for c in counts.iter_mut().skip(192) {
            *c = 0;
        }
        counts[200] = SATURATED;
        counts
    }

    /// The true chain lengths behind [`uneven`].
    fn uneven_len(counts: &[u8], b: usize) -> usize {
        if b == 200 {
            260
        } else {
            usize::from(counts[b])
        }
    }

    /// The chi-square statistic of draw counts against an even spread of `per` draws over
    /// `len` members; every member must have been drawn.
    fn chi_square(
        hits: &std::collections::HashMap<(usize, usize), u32>,
        len: usize,
        per: f64,
    ) -> f64 {
        assert_eq!(hits.len(), len, "every member drawn");
        hits.values()
            .map(|&c| (f64::from(c) - per).powi(2) / per)
            .sum()
    }

    #[test]
    fn a_draw_is_uniform_over_members_in_uneven_windows() {
        let counts = uneven();
        let real = |b: usize| uneven_len(&counts, b);
        let len: usize = (0..256).map(real).sum();
        let mut rng = Rng::new(7);
        let mut hits = std::collections::HashMap::new();
        for _ in 0..len * 200 {
            if let Some(at) = pick(&counts, len, &mut rng, real) {
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
        let counts = uneven();
        let real = |b: usize| uneven_len(&counts, b);
        let len: usize = (0..256).map(real).sum();
        let mut rng = Rng::new(11);
        let mut hits = std::collections::HashMap::new();
        for _ in 0..len * 40 {
            let Some(w) = Window::accept(&counts, len, &mut rng, &real) else {
                continue;
            };
            let batch: Vec<_> = (0..5).filter_map(|_| w.pick(&mut rng, &real)).collect();
            assert_eq!(batch.len(), 5);
            assert!(
                batch
                    .iter()
                    .all(|&(b, _)| b / WINDOW == batch[0].0 / WINDOW),
                "{batch:?}"
            );
            for at in batch {
                assert!(at.1 < real(at.0), "{at:?} is not a member");
                *hits.entry(at).or_insert(0u32) += 1;
            }
        }
        // 200 expected draws per member, as above.
        let chi = chi_square(&hits, len, 200.0);
        assert!(chi < 950.0, "chi-square {chi}");
        assert!(Window::accept(&[0u8; 64], 0, &mut rng, &|_| 0).is_none());
    }

    #[test]
    fn lengths_saturate_and_recount() {
        let mut c = 254u8;
        grow(&mut c);
        grow(&mut c);
        assert_eq!(c, SATURATED);
        assert_eq!(shrunk(c, || 400), SATURATED);
        assert_eq!(shrunk(c, || 254), 254);
        assert_eq!(shrunk(254, || unreachable!("not saturated")), 253);
    }
}
