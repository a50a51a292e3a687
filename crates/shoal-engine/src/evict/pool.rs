//! The candidate pool of the sampling policies: the best keys to evict seen over recent
//! samples, so each eviction weighs more keys than one sample holds.

/// One candidate: a key, where it lives, and how evictable it looked when sampled
/// (higher is evicted first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) score: u64,
    pub(crate) shard: usize,
    pub(crate) db: usize,
    pub(crate) key: Box<[u8]>,
}

/// Up to [`POOL_SIZE`] candidates, sorted by ascending score.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    items: Vec<Candidate>,
}

/// How many candidates the pool keeps (Redis keeps 16 too).
pub(crate) const POOL_SIZE: usize = 16;

impl Pool {
    /// Whether [`Pool::offer`] would keep a candidate with this score and place: lets a
    /// sampler skip copying the key of one that would be turned away.
    pub(crate) fn wants(&self, score: u64, shard: usize, db: usize, key: &[u8]) -> bool {
        self.items.len() < POOL_SIZE
            || self.items[0].score < score
            || self
                .items
                .iter()
                .any(|x| x.shard == shard && x.db == db && *x.key == *key)
    }

    /// Offers a sampled key by reference, copying it only if [`Pool::offer`] would keep it.
    pub(crate) fn consider(&mut self, score: u64, shard: usize, db: usize, key: &[u8]) {
        if self.wants(score, shard, db, key) {
            self.offer(Candidate {
                score,
                shard,
                db,
                key: key.into(),
            });
        }
    }

    /// Offers a sampled key; kept if the pool has room or it beats the weakest candidate.
    /// A key already present has its score refreshed. Among equal scores the candidate
    /// that waited longest goes first: its score was taken earlier, so it is the staler.
    pub(crate) fn offer(&mut self, c: Candidate) {
        if let Some(i) = self
            .items
            .iter()
            .position(|x| x.shard == c.shard && x.db == c.db && x.key == c.key)
        {
            self.items.remove(i);
        }
        if self.items.len() >= POOL_SIZE {
            if self.items[0].score >= c.score {
                return;
            }
            self.items.remove(0);
        }
        let at = self.items.partition_point(|x| x.score < c.score);
        self.items.insert(at, c);
    }

    /// Takes the most evictable candidate.
    pub(crate) fn pop_best(&mut self) -> Option<Candidate> {
        self.items.pop()
    }

    /// The most evictable candidate, left in place.
    pub(crate) fn best(&self) -> Option<&Candidate> {
        self.items.last()
    }

    /// Drops every candidate (after a policy change).
    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cand(score: u64, key: u8) -> Candidate {
        Candidate {
            score,
            shard: 0,
            db: 0,
            key: vec![key].into(),
        }
    }

    #[test]
    fn pops_highest_score_first() {
        let mut p = Pool::default();
        for (s, k) in [(3, 1), (9, 2), (1, 3)] {
            p.offer(cand(s, k));
        }
        assert_eq!(p.pop_best().map(|c| c.score), Some(9));
        assert_eq!(p.pop_best().map(|c| c.score), Some(3));
    }

    #[test]
    fn reoffered_key_is_not_duplicated() {
        let mut p = Pool::default();
        p.offer(cand(3, 1));
        p.offer(cand(5, 1));
        assert_eq!(p.len(), 1);
        assert_eq!(p.pop_best().map(|c| c.score), Some(5));
    }

    #[test]
    fn among_equal_scores_the_earliest_offered_goes_first() {
        let mut p = Pool::default();
        for k in 1..=3 {
            p.offer(cand(7, k));
        }
        let order: Vec<u8> = std::iter::from_fn(|| p.pop_best().map(|c| c.key[0])).collect();
        assert_eq!(order, vec![1, 2, 3]);
    }

    proptest! {
        #[test]
        fn wants_says_whether_an_offer_is_kept(
            offers in proptest::collection::vec((0u64..50, 0usize..3, 0u8..30), 1..200),
        ) {
            let mut p = Pool::default();
            let mut q = Pool::default();
            for (score, shard, k) in offers {
                let key: Box<[u8]> = vec![k].into();
                let wanted = p.wants(score, shard, 0, &key);
                p.offer(Candidate { score, shard, db: 0, key: key.clone() });
                let kept = p.items.iter().any(|c| c.shard == shard && c.key == key && c.score == score);
                prop_assert_eq!(wanted, kept);
                // `consider` (copying the key only when wanted) leaves the same pool.
                q.consider(score, shard, 0, &key);
                prop_assert_eq!(&q.items, &p.items);
            }
        }

        #[test]
        fn keeps_the_best_sixteen(scores in proptest::collection::vec(0u64..1000, 1..100)) {
            let mut p = Pool::default();
            for (i, s) in scores.iter().enumerate() {
                p.offer(Candidate { score: *s, shard: i, db: 0, key: vec![0].into() });
            }
            let mut sorted = scores.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            sorted.truncate(POOL_SIZE);
            let mut got = Vec::new();
            while let Some(c) = p.pop_best() {
                got.push(c.score);
            }
            prop_assert_eq!(got, sorted);
        }
    }
}
