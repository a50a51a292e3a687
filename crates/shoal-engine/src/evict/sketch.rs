//! A frequency sketch for the adaptive policy: approximate, aging access counts of keys in
//! a few bits each.
//!
//! Four 4-bit counters per key, picked by four hashes from one table of 64-bit words
//! (16 counters a word); the estimate is the smallest of the four. After as many
//! increments as ten times the number of counters per key, every counter is halved, so old
//! popularity fades and a shift in what is popular shows within a few cache lifetimes.
//! Increments are conservative (only the counters at the minimum grow), which keeps the
//! estimates of rare keys low when many keys share counters. The table is sized from the
//! number of keys it serves: about 4 bytes per key.

/// Count-min sketch of 4-bit counters with periodic halving.
#[derive(Debug, Default)]
pub(crate) struct Sketch {
    table: Vec<u64>,
    additions: usize,
    period: usize,
}

const SEEDS: [u64; 4] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0xD6E8_FEB8_6659_FD93,
];

impl Sketch {
    /// Bytes the table occupies.
    pub(crate) fn heap_size(&self) -> usize {
        self.table.len() * 8
    }

    /// Grows the table (dropping its counts) when it serves more keys than it was sized
    /// for; a no-op otherwise.
    pub(crate) fn ensure_capacity(&mut self, keys: usize) {
        let words = keys.max(8).next_power_of_two();
        if words > self.table.len() {
            self.table = vec![0; words];
            self.additions = 0;
            self.period = words * 16 * 10 / 16;
        }
    }

    /// Drops the table.
    pub(crate) fn clear(&mut self) {
        *self = Sketch::default();
    }

    fn slots(&self, hash: u64) -> [(usize, u32); 4] {
        let mask = self.table.len() - 1;
        let mut out = [(0, 0); 4];
        for (i, seed) in SEEDS.iter().enumerate() {
            let h = (hash ^ seed).wrapping_mul(0x9FB2_1C65_1E98_DF25);
            let h = h ^ (h >> 29);
            out[i] = ((h as usize) & mask, ((h >> 40) & 15) as u32 * 4);
        }
        out
    }

    /// Counts one access to the key with this hash.
    pub(crate) fn increment(&mut self, hash: u64) {
        if self.table.is_empty() {
            return;
        }
        let slots = self.slots(hash);
        let min = slots
            .iter()
            .map(|&(w, s)| (self.table[w] >> s) & 15)
            .min()
            .unwrap_or(15);
        if min == 15 {
            return;
        }
        for (word, shift) in slots {
            if (self.table[word] >> shift) & 15 == min {
                self.table[word] += 1 << shift;
            }
        }
        self.additions += 1;
        if self.additions >= self.period {
            self.halve();
        }
    }

    /// Estimated recent accesses of the key with this hash (0..=15).
    pub(crate) fn frequency(&self, hash: u64) -> u32 {
        if self.table.is_empty() {
            return 0;
        }
        self.slots(hash)
            .iter()
            .map(|&(w, s)| ((self.table[w] >> s) & 15) as u32)
            .min()
            .unwrap_or(0)
    }

    fn halve(&mut self) {
        for w in &mut self.table {
            *w = (*w >> 1) & 0x7777_7777_7777_7777;
        }
        self.additions /= 2;
    }
}

/// A cheap hash of key bytes for the sketch (not the dictionary's keyed hash: the sketch
/// only needs spread, and a collision costs a slightly wrong estimate).
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(0x0000_0100_0000_01B3);
        h = h.rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    let h = (h ^ (h >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_grow_with_accesses_and_saturate() {
        let mut s = Sketch::default();
        s.ensure_capacity(1000);
        let h = key_hash(b"hot");
        for _ in 0..5 {
            s.increment(h);
        }
        assert_eq!(s.frequency(h), 5);
        for _ in 0..100 {
            s.increment(h);
        }
        assert_eq!(s.frequency(h), 15);
        assert_eq!(s.frequency(key_hash(b"never")), 0);
    }

    #[test]
    fn halving_ages_old_counts() {
        let mut s = Sketch::default();
        s.ensure_capacity(64);
        let hot = key_hash(b"hot");
        for _ in 0..12 {
            s.increment(hot);
        }
        let before = s.frequency(hot);
        // Many other keys, once each, pass the sample period and halve everything.
        for i in 0..s.period + 10 {
            s.increment(key_hash(format!("k{i}").as_bytes()));
        }
        assert!(s.frequency(hot) < before);
    }

    #[test]
    fn estimates_never_undercount_within_a_period() {
        let mut s = Sketch::default();
        s.ensure_capacity(4096);
        let mut truth = std::collections::HashMap::new();
        for i in 0..2000u64 {
            let k = i % 97;
            s.increment(key_hash(&k.to_le_bytes()));
            *truth.entry(k).or_insert(0u32) += 1;
        }
        for (k, n) in truth {
            assert!(s.frequency(key_hash(&k.to_le_bytes())) >= n.min(15));
        }
    }
}
