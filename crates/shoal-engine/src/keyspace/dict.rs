//! `Dict`: a chained hash table of keys to entries, one per database per shard.
//!
//! Chaining over a power-of-two bucket array lets SCAN use Redis's reverse-binary cursor:
//! a full iteration returns every key present from start to end even when the table grows
//! or shrinks between calls. Buckets are 8 bytes; entries are allocated once each.
//!
//! A resize is incremental, as Redis's is: the new table takes over at once and the old one
//! is drained a few buckets per insert or delete (and by [`Dict::rehash_for`] from the
//! background cycle), so no single command pays for moving millions of keys. While both
//! tables exist, a key lives in the old table exactly when its old bucket is at or past the
//! drain point; every lookup therefore reads one chain.

use super::entry::Entry;
use crate::util::draw;
use crate::util::rng::Rng;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

const MIN_BUCKETS: usize = 4;

/// Non-empty old buckets moved per insert or delete while a resize is under way. Two keep a
/// growing table ahead of its inserts: the drain ends half-way to the next doubling.
const STEP_BUCKETS: usize = 2;

/// Buckets visited (empty ones included) per step at most, so a sparse old table left by a
/// shrink costs each command a bounded walk.
const STEP_VISITS: usize = 20;

/// An old table this small (in buckets) is moved whole when a resize begins.
const MOVE_WHOLE: usize = 128;

/// A chain link: one entry and the rest of its bucket.
pub(crate) struct Node {
    pub(crate) entry: Entry,
    next: Option<Box<Node>>,
}

/// A power-of-two array of chains with the chain lengths kept for random draws
/// ([`crate::util::draw`]): about one byte per bucket beside the 8-byte bucket.
#[derive(Default)]
struct Table {
    buckets: Vec<Option<Box<Node>>>,
    lengths: draw::Lengths,
}

impl Table {
    fn with_buckets(size: usize) -> Table {
        let mut buckets = Vec::new();
        buckets.resize_with(size, || None);
        Table {
            buckets,
            lengths: draw::Lengths::new(size),
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The length of bucket `b`'s chain.
    fn chain_len(&self, b: usize) -> usize {
        self.lengths
            .chain_len(b, || chain(&self.buckets[b]).count())
    }

    /// The entries of bucket `b`'s chain, mutably.
    fn entries_mut(&mut self, b: usize) -> impl Iterator<Item = &mut Entry> {
        let mut cur = self.buckets[b].as_deref_mut();
        std::iter::from_fn(move || {
            let node = cur.take()?;
            cur = node.next.as_deref_mut();
            Some(&mut node.entry)
        })
    }

    fn find(&self, b: usize, key: &[u8]) -> Option<&Entry> {
        chain(&self.buckets[b])
            .map(|node| &node.entry)
            .find(|e| e.key.as_slice() == key)
    }

    fn find_mut(&mut self, b: usize, key: &[u8]) -> Option<&mut Entry> {
        self.entries_mut(b).find(|e| e.key.as_slice() == key)
    }

    /// Links `node` at the head of bucket `b`.
    fn push(&mut self, b: usize, mut node: Box<Node>) -> &mut Entry {
        node.next = self.buckets[b].take();
        self.lengths.grow(b);
        &mut self.buckets[b].insert(node).entry
    }

    /// Unlinks the entry for `key` from bucket `b`.
    fn unlink(&mut self, b: usize, key: &[u8]) -> Option<Entry> {
        let mut link = &mut self.buckets[b];
        loop {
            match link {
                None => return None,
                Some(node) if node.entry.key.as_slice() == key => {
                    let mut node = link.take()?;
                    *link = node.next.take();
                    let buckets = &self.buckets;
                    self.lengths.shrink(b, || chain(&buckets[b]).count());
                    return Some(node.entry);
                }
                Some(node) => link = &mut node.next,
            }
        }
    }

    /// Every entry, in bucket order.
    fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.buckets.iter().flat_map(chain).map(|node| &node.entry)
    }

    /// The node `depth` links down the chain of bucket `b`.
    fn node(&self, b: usize, depth: usize) -> Option<&Node> {
        chain(self.buckets.get(b)?).nth(depth)
    }

    /// Drops every chain link by link, so a long chain cannot overflow the stack.
    fn clear(&mut self) {
        for mut chain in std::mem::take(&mut self.buckets) {
            while let Some(mut node) = chain {
                chain = node.next.take();
            }
        }
        self.lengths = draw::Lengths::default();
    }
}

/// The table a resize is draining: buckets below `moved` are empty, and `len` entries are
/// still in it.
struct Draining {
    table: Table,
    moved: usize,
    len: usize,
}

/// Where a random entry sits (see [`Dict::place`] and [`Dict::link`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    old: bool,
    bucket: usize,
    depth: usize,
}

/// A hash table of entries keyed by their key bytes.
pub(crate) struct Dict {
    main: Table,
    /// The table being drained into `main` while a resize is under way.
    old: Option<Box<Draining>>,
    len: usize,
    hasher: RandomState,
}

impl Dict {
    /// An empty table; no buckets are allocated until the first insert.
    pub(crate) fn new(hasher: RandomState) -> Dict {
        Dict {
            main: Table::default(),
            old: None,
            len: 0,
            hasher,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True while a resize is still moving entries out of the old table.
    pub(crate) fn is_rehashing(&self) -> bool {
        self.old.is_some()
    }

    /// The keyed hash of `key`; pass it to the `*_hashed` methods to hash a key only once.
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The old table when `old` and a resize is under way, else the main one.
    fn table(&self, old: bool) -> &Table {
        match &self.old {
            Some(d) if old => &d.table,
            _ => &self.main,
        }
    }

    /// [`Dict::table`], mutably.
    fn table_mut(&mut self, old: bool) -> &mut Table {
        match &mut self.old {
            Some(d) if old => &mut d.table,
            _ => &mut self.main,
        }
    }

    /// Which table holds (or would hold) a key of this hash, as `true` for the old one, and
    /// its bucket there: the old table when its bucket there has not been moved yet.
    #[inline]
    fn slot(&self, hash: u64) -> (bool, usize) {
        if let Some(d) = &self.old {
            let b = (hash as usize) & d.table.mask();
            if b >= d.moved {
                return (true, b);
            }
        }
        (false, (hash as usize) & self.main.mask())
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.get_hashed(self.hash(key), key)
    }

    pub(crate) fn get_hashed(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        if self.len == 0 {
            return None;
        }
        let (old, b) = self.slot(hash);
        self.table(old).find(b, key)
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.get_mut_hashed(self.hash(key), key)
    }

    pub(crate) fn get_mut_hashed(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry> {
        if self.len == 0 {
            return None;
        }
        let (old, b) = self.slot(hash);
        self.table_mut(old).find_mut(b, key)
    }

    /// Inserts an entry whose key is not present (callers check first).
    #[cfg(test)]
    pub(crate) fn insert_new(&mut self, entry: Entry) -> &mut Entry {
        let hash = self.hash(entry.key.as_slice());
        self.insert_new_hashed(hash, entry)
    }

    /// Inserts an entry whose key is not present, given the key's hash.
    pub(crate) fn insert_new_hashed(&mut self, hash: u64, entry: Entry) -> &mut Entry {
        self.rehash_step();
        if self.len >= self.main.buckets.len() {
            self.begin_resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS));
        }
        self.len += 1;
        let (old, b) = self.slot(hash);
        self.count_old(old, 1);
        self.table_mut(old)
            .push(b, Box::new(Node { entry, next: None }))
    }

    /// Removes and returns the entry for `key`.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if self.len == 0 {
            return None;
        }
        self.rehash_step();
        let (old, b) = self.slot(self.hash(key));
        let entry = self.table_mut(old).unlink(b, key)?;
        self.count_old(old, -1);
        self.len -= 1;
        let n = self.main.buckets.len();
        if self.old.is_none() && n > MIN_BUCKETS && self.len * 8 < n {
            self.begin_resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
        Some(entry)
    }

    /// Counts an entry added to (`delta` 1) or taken from (-1) the old table, when `old`.
    fn count_old(&mut self, old: bool, delta: isize) {
        if let Some(d) = self.old.as_deref_mut().filter(|_| old) {
            d.len = d.len.wrapping_add_signed(delta);
        }
    }

    /// Makes a new table of `size` buckets the main one and starts draining the current
    /// one into it (all at once when it is small). A resize still under way is finished
    /// first.
    fn begin_resize(&mut self, size: usize) {
        self.rehash_all();
        let old = std::mem::replace(&mut self.main, Table::with_buckets(size));
        if old.buckets.is_empty() {
            return;
        }
        let whole = old.buckets.len() <= MOVE_WHOLE;
        self.old = Some(Box::new(Draining {
            table: old,
            moved: 0,
            len: self.len,
        }));
        if whole {
            self.rehash_all();
        }
    }

    /// Moves old buckets into the main table: up to `buckets` non-empty ones, visiting at
    /// most `visits`. Returns false once no resize is under way.
    fn rehash(&mut self, buckets: usize, visits: usize) -> bool {
        let Some(d) = self.old.as_deref_mut() else {
            return false;
        };
        let mask = self.main.mask();
        let (mut moved, mut visited) = (0, 0);
        while moved < buckets && visited < visits && d.moved < d.table.buckets.len() {
            let ob = d.moved;
            d.moved += 1;
            visited += 1;
            let mut chain = d.table.buckets[ob].take();
            if chain.is_none() {
                continue;
            }
            moved += 1;
            let mut n = 0;
            while let Some(mut node) = chain {
                chain = node.next.take();
                let b = (self.hasher.hash_one(node.entry.key.as_slice()) as usize) & mask;
                self.main.push(b, node);
                n += 1;
            }
            d.len -= n;
            d.table.lengths.emptied(ob, n);
        }
        if d.moved == d.table.buckets.len() {
            debug_assert_eq!(d.len, 0);
            self.old = None;
            return false;
        }
        true
    }

    /// One step of the resize under way, if any: what each insert and delete pays.
    #[inline]
    fn rehash_step(&mut self) {
        if self.old.is_some() {
            self.rehash(STEP_BUCKETS, STEP_VISITS);
        }
    }

    /// Finishes the resize under way, if any.
    fn rehash_all(&mut self) {
        while self.rehash(usize::MAX, usize::MAX) {}
    }

    /// Moves old buckets for about `budget` of time; for the background cycle, so a table
    /// that stops changing does not keep two bucket arrays. Returns true while a resize is
    /// still under way.
    pub(crate) fn rehash_for(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        while self.rehash(100, 1000) {
            if start.elapsed() >= budget {
                return true;
            }
        }
        false
    }

    /// Drops every entry and frees the buckets.
    pub(crate) fn clear(&mut self) {
        self.main.clear();
        if let Some(mut d) = self.old.take() {
            d.table.clear();
        }
        self.len = 0;
    }

    /// Visits the buckets at `cursor` and returns the next cursor (0 when the iteration is
    /// complete). Redis's reverse-binary cursor: increments happen on the reversed bits, so
    /// buckets already visited stay visited when the table doubles or halves. While a
    /// resize is under way, the cursor's bucket in the smaller table is visited with every
    /// bucket of the larger one that it splits into.
    pub(crate) fn scan(&self, cursor: u64, mut f: impl FnMut(&Entry)) -> u64 {
        let Some((main, old)) = self.masks() else {
            return 0;
        };
        scan_masks(cursor, main, old, |old, b| {
            chain(&self.table(old).buckets[b]).for_each(|node| f(&node.entry));
        })
    }

    /// Like [`Dict::scan`], with each entry of the visited buckets given mutably.
    pub(crate) fn scan_mut(&mut self, cursor: u64, mut f: impl FnMut(&mut Entry)) -> u64 {
        let Some((main, old)) = self.masks() else {
            return 0;
        };
        scan_masks(cursor, main, old, |old, b| {
            self.table_mut(old).entries_mut(b).for_each(&mut f);
        })
    }

    /// The main table's bucket mask and the old one's while a resize is under way; `None`
    /// before the first insert.
    fn masks(&self) -> Option<(usize, Option<usize>)> {
        if self.main.buckets.is_empty() {
            return None;
        }
        let old = self.old.as_deref().map(|d| d.table.mask());
        Some((self.main.mask(), old))
    }

    /// Takes every entry out, leaving an empty table with the same hasher.
    pub(crate) fn take(&mut self) -> Dict {
        let empty = Dict::new(self.hasher.clone());
        std::mem::replace(self, empty)
    }

    /// Every entry, in bucket order (the old table's last while a resize is under way).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        let old = self.old.as_deref().map(|d| d.table.iter());
        self.main.iter().chain(old.into_iter().flatten())
    }

    /// The table a draw should use, chosen in proportion to how many entries each holds,
    /// with that count and its first bucket that may hold any (the drain point of the old
    /// table).
    fn draw_table(&self, rng: &mut Rng) -> (bool, &Table, usize, usize) {
        match &self.old {
            Some(d) if d.len > 0 && rng.index(self.len) < d.len => (true, &d.table, d.len, d.moved),
            Some(d) => (false, &self.main, self.len - d.len, 0),
            None => (false, &self.main, self.len, 0),
        }
    }

    /// A uniformly random entry, every key equally likely (see [`crate::util::draw`]:
    /// one cache line of chain lengths per try, a few tries at any load).
    pub(crate) fn random(&self, rng: &mut Rng) -> Option<&Entry> {
        let place = self.place(rng)?;
        self.link(place)
    }

    /// Where a uniformly random entry sits, for [`Dict::link`]: a caller drawing from
    /// several tables can find every place before it reads any entry, so those reads do
    /// not wait on one another.
    pub(crate) fn place(&self, rng: &mut Rng) -> Option<Place> {
        if self.len == 0 {
            return None;
        }
        let (old, table, len, from) = self.draw_table(rng);
        let (bucket, depth) = table
            .lengths
            .pick_from(len, from, rng, |b| table.chain_len(b))?;
        Some(Place { old, bucket, depth })
    }

    /// Calls `f` with every entry when there are at most `n`, and otherwise with up to `n`
    /// entries drawn as [`Dict::sample`] draws them. Returns how many calls were made.
    pub(crate) fn sample_or_all(
        &self,
        rng: &mut Rng,
        n: usize,
        mut f: impl FnMut(&Entry),
    ) -> usize {
        if self.len <= n {
            self.iter().for_each(&mut f);
            return self.len;
        }
        self.sample(rng, n, f)
    }

    /// Calls `f` with up to `n` distinct entries that follow one another in one window of
    /// neighbouring buckets, from a uniformly chosen member of the window onwards (wrapping
    /// round within the window), as Redis's sampler takes keys of consecutive buckets.
    /// Every key is equally likely to be among them where windows hold at least `n` (32 to
    /// 64 entries on average between a doubling and the next; fewer only in a table that
    /// lost most of its keys): the window is accepted and its start member
    /// chosen as for [`Dict::random`] (while a resize is under way the table is chosen
    /// first, in proportion to the entries it holds), and bucket order is hash order, so
    /// neighbours are unrelated keys. The chain heads come from one or two lines
    /// of buckets and are read together, so their cache misses overlap. Returns how many
    /// calls were made: `n`, or fewer where the window holds fewer entries (0 for an empty
    /// table).
    pub(crate) fn sample(&self, rng: &mut Rng, n: usize, mut f: impl FnMut(&Entry)) -> usize {
        const BATCH: usize = 8;
        if self.len == 0 || n == 0 {
            return 0;
        }
        let (_, table, len, from) = self.draw_table(rng);
        let chain_len = |b| table.chain_len(b);
        let Some(window) = table.lengths.window(len, from, rng) else {
            return 0;
        };
        let Some((first, depth)) = window.pick(&table.lengths, rng, &chain_len) else {
            return 0;
        };
        let (start, width) = window.buckets();
        let mut left = n.min(window.members());
        let mut calls = 0;
        // Chains to read, as (first node, how many of its nodes to take), gathered from the
        // kept lengths alone and read a batch at a time.
        let mut batch: [(Option<&Node>, usize); BATCH] = [(None, 0); BATCH];
        let mut m = 0;
        // The window's buckets from the chosen one round to it again: from the chosen
        // member to the end of its chain first, the links before it last.
        for i in 0..=width {
            let b = start + (first - start + i) % width;
            let (skip, len) = match i {
                0 => (depth, chain_len(b) - depth),
                _ if i == width => (0, depth),
                _ => (0, chain_len(b)),
            };
            let take = len.min(left);
            if take > 0 {
                batch[m] = (table.node(b, skip), take);
                m += 1;
                left -= take;
            }
            if m == BATCH {
                calls += read_chains(&batch, &mut f);
                m = 0;
            }
            if left == 0 {
                break;
            }
        }
        calls + read_chains(&batch[..m], &mut f)
    }

    /// The entry at `place`, if it is still there.
    pub(crate) fn link(&self, place: Place) -> Option<&Entry> {
        if place.old && self.old.is_none() {
            return None;
        }
        let node = self.table(place.old).node(place.bucket, place.depth)?;
        Some(&node.entry)
    }
}

/// Calls `f` with the first `take` entries of each chain in `chains`, reading every chain's
/// first entry before any is used so their cache misses overlap. Returns how many calls
/// were made.
fn read_chains(chains: &[(Option<&Node>, usize)], f: &mut impl FnMut(&Entry)) -> usize {
    warm(chains.iter().filter_map(|c| c.0).map(|node| &node.entry));
    let mut calls = 0;
    for &(head, take) in chains {
        for node in std::iter::successors(head, |n| n.next.as_deref()).take(take) {
            calls += 1;
            f(&node.entry);
        }
    }
    calls
}

/// The reverse-binary SCAN step over a table with bucket mask `main_mask` and the one
/// being drained into it, if any (`old_mask`): calls `visit(is_old, bucket)` for each
/// bucket the cursor covers and returns the next cursor.
fn scan_masks(
    cursor: u64,
    main_mask: usize,
    old_mask: Option<usize>,
    mut visit: impl FnMut(bool, usize),
) -> u64 {
    // Sets the bits above `mask` and adds one to the reversed cursor: the next bucket in
    // reverse-binary order of a table with that mask.
    let next = |v: u64, mask: u64| ((v | !mask).reverse_bits().wrapping_add(1)).reverse_bits();
    let Some(old_mask) = old_mask else {
        let mask = main_mask as u64;
        visit(false, (cursor & mask) as usize);
        return next(cursor, mask);
    };
    let old_is_small = old_mask < main_mask;
    let (small, large) = if old_is_small {
        (old_mask as u64, main_mask as u64)
    } else {
        (main_mask as u64, old_mask as u64)
    };
    let mut v = cursor;
    visit(old_is_small, (v & small) as usize);
    // Every bucket of the larger table whose low bits are this bucket of the smaller.
    loop {
        visit(!old_is_small, (v & large) as usize);
        v = next(v, large);
        if v & (small ^ large) == 0 {
            break;
        }
    }
    v
}

/// The nodes of the chain that starts at `head`.
fn chain(head: &Option<Box<Node>>) -> impl Iterator<Item = &Node> {
    std::iter::successors(head.as_deref(), |node| node.next.as_deref())
}

/// Reads a field of each entry in one tight loop, so their cache misses overlap: the
/// caller's work on one entry (scoring it, offering it to a pool) would otherwise stand
/// between each miss and the next.
pub(crate) fn warm<'a>(entries: impl Iterator<Item = &'a Entry>) {
    std::hint::black_box(entries.fold(0u32, |acc, e| acc ^ e.lru));
}

impl Drop for Dict {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{StrValue, Value};
    use std::collections::BTreeSet;

    fn entry(k: &str) -> Entry {
        Entry::new(k.as_bytes(), Value::Str(StrValue::from_bytes(b"v")), 0)
    }

    /// True if every kept chain length and window total matches the chains, in both
    /// tables, and the old table's buckets below its drain point are empty.
    fn counts_match(d: &Dict) -> bool {
        let table_ok = |t: &Table| {
            t.lengths
                .matches(t.buckets.len(), |b| chain(&t.buckets[b]).count())
        };
        table_ok(&d.main)
            && d.old.as_deref().is_none_or(|o| {
                table_ok(&o.table)
                    && o.table.buckets[..o.moved].iter().all(Option::is_none)
                    && o.len == o.table.iter().count()
            })
            && d.len == d.iter().count()
    }

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new(RandomState::new());
        for i in 0..1000 {
            d.insert_new(entry(&format!("k{i}")));
        }
        assert_eq!(d.len(), 1000);
        assert!(counts_match(&d));
        assert!(d.get(b"k999").is_some());
        for i in 0..1000 {
            assert!(d.remove(format!("k{i}").as_bytes()).is_some());
            if i % 97 == 0 {
                assert!(counts_match(&d));
            }
        }
        assert_eq!(d.len(), 0);
        assert!(d.main.buckets.len() <= MIN_BUCKETS * 2);
        assert!(!d.is_rehashing());
    }

    /// Inserts the keys `k{from}..k{to}`.
    fn insert_range(d: &mut Dict, from: usize, to: usize) {
        for i in from..to {
            d.insert_new(entry(&format!("k{i}")));
        }
    }

    #[test]
    fn a_resize_moves_a_few_buckets_per_write_and_every_key_stays_found() {
        let mut d = Dict::new(RandomState::new());
        insert_range(&mut d, 0, 4096);
        // The insert that fills the table starts a resize into 8,192 buckets.
        insert_range(&mut d, 4096, 4097);
        assert!(d.is_rehashing());
        let Some(old) = d.old.as_deref() else {
            panic!("draining")
        };
        assert_eq!(old.table.buckets.len(), 4096);
        assert!(old.moved <= STEP_VISITS, "one step, not the whole table");
        assert!(counts_match(&d));
        // Half-way through, keys sit in both tables and each is found where the rule says.
        insert_range(&mut d, 4097, 5000);
        assert!(d.is_rehashing());
        for i in 0..5000 {
            let key = format!("k{i}");
            assert!(d.get(key.as_bytes()).is_some(), "lost {key}");
            assert!(d.get_mut(key.as_bytes()).is_some(), "lost {key}");
        }
        assert!(d.get(b"absent").is_none());
        assert!(counts_match(&d));
        // Removing keys drives the resize too, and finds keys in either table.
        for i in (0..5000).step_by(3) {
            assert!(d.remove(format!("k{i}").as_bytes()).is_some(), "k{i}");
        }
        assert!(counts_match(&d));
        // A table left alone is finished by the background pass.
        while d.rehash_for(Duration::from_millis(1)) {}
        assert!(!d.is_rehashing());
        assert!(counts_match(&d));
        for i in 0..5000 {
            assert_eq!(d.get(format!("k{i}").as_bytes()).is_some(), i % 3 != 0);
        }
    }

    #[test]
    fn a_growing_table_finishes_each_resize_before_the_next_is_due() {
        let mut d = Dict::new(RandomState::new());
        let mut size = d.main.buckets.len();
        for i in 0..100_000 {
            d.insert_new(entry(&format!("k{i}")));
            if d.main.buckets.len() != size {
                size = d.main.buckets.len();
                // Entered with no resize under way: nothing was finished all at once.
                assert!(d.old.as_deref().is_none_or(|o| o.moved <= STEP_VISITS));
            }
        }
        assert_eq!(d.main.buckets.len(), 131_072);
        assert!(counts_match(&d));
    }

    #[test]
    fn a_shrink_drains_the_larger_table_into_the_smaller() {
        let mut d = Dict::new(RandomState::new());
        insert_range(&mut d, 0, 8192);
        while d.rehash_for(Duration::from_millis(1)) {}
        for i in 0..7500 {
            d.remove(format!("k{i}").as_bytes());
        }
        assert!(d.main.buckets.len() < 8192, "shrunk");
        assert!(counts_match(&d));
        for i in 7500..8192 {
            assert!(d.get(format!("k{i}").as_bytes()).is_some());
        }
        // Growing again while a shrink is still draining finishes it first.
        insert_range(&mut d, 10_000, 12_000);
        assert!(counts_match(&d));
        assert_eq!(d.len(), 692 + 2000);
    }

    #[test]
    fn random_draws_stay_fair_while_a_resize_is_under_way() {
        let mut d = Dict::new(RandomState::new());
        insert_range(&mut d, 0, 1025);
        insert_range(&mut d, 1025, 1200);
        let Some(old) = d.old.as_deref() else {
            panic!("draining")
        };
        assert!(old.len > 0 && old.len < d.len(), "keys in both tables");
        let mut rng = Rng::new(17);
        let n = d.len();
        let per = 300;
        let mut counts = std::collections::HashMap::new();
        for _ in 0..n * per {
            if let Some(e) = d.random(&mut rng) {
                *counts.entry(e.key.as_slice().to_vec()).or_insert(0u32) += 1;
            }
        }
        // n - 1 degrees of freedom: mean n, standard deviation about sqrt(2n).
        let chi2 = draw::chi_square(&counts, n, per as f64);
        assert!(
            chi2 < n as f64 + 6.0 * (2.0 * n as f64).sqrt(),
            "chi-square {chi2}"
        );
        let mut hits: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
        for _ in 0..n * per / 5 {
            d.sample(&mut rng, 5, |e| {
                *hits.entry(e.key.as_slice().to_vec()).or_default() += 1;
            });
        }
        let chi2 = draw::chi_square(&hits, n, per as f64);
        assert!(
            chi2 < n as f64 + 8.0 * (2.0 * n as f64).sqrt(),
            "sample chi-square {chi2}"
        );
    }

    /// A table of `n` keys `k0`, `k1`, ...
    fn filled(n: usize) -> Dict {
        let mut d = Dict::new(RandomState::new());
        for i in 0..n {
            d.insert_new(entry(&format!("k{i}")));
        }
        d
    }

    #[test]
    fn random_picks_every_key_about_equally_often() {
        // 1,500 keys in 2,048 buckets: chains of 0 to 5 or so, and runs of empty buckets.
        let n = 1500;
        let d = filled(n);
        let mut rng = Rng::new(99);
        let draws = 600_000;
        let mut counts = std::collections::HashMap::new();
        for _ in 0..draws {
            if let Some(e) = d.random(&mut rng) {
                *counts.entry(e.key.as_slice().to_vec()).or_insert(0u32) += 1;
            }
        }
        // Expected 400 per key; a chi-square over 1,499 degrees of freedom stays well
        // under 1,700 for a uniform draw (a chain-length bias gives tens of thousands).
        let chi2 = draw::chi_square(&counts, n, draws as f64 / n as f64);
        assert!(chi2 < 1700.0, "chi-square {chi2}");
    }

    #[test]
    fn a_sample_draws_every_key_about_equally_often() {
        let n = 2000;
        let d = filled(n);
        let mut rng = Rng::new(5);
        let mut hits: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
        let batches = n * 100 / 5;
        for _ in 0..batches {
            let mut got = 0;
            let calls = d.sample(&mut rng, 5, |e| {
                got += 1;
                *hits.entry(e.key.as_slice().to_vec()).or_default() += 1;
            });
            assert_eq!((got, calls), (5, 5));
        }
        // 1999 degrees of freedom around 100 draws per key: sd about 63.
        let chi = draw::chi_square(&hits, n, 100.0);
        assert!(chi < 2400.0, "chi-square {chi}");
        let mut empty = Dict::new(RandomState::new());
        empty.insert_new(entry("gone"));
        assert!(empty.remove(b"gone").is_some());
        assert_eq!(
            empty.sample(&mut rng, 5, |_| unreachable!("nothing to draw")),
            0
        );
        let mut seen = BTreeSet::new();
        let small = {
            let mut t = Dict::new(RandomState::new());
            for i in 0..4 {
                t.insert_new(entry(&format!("s{i}")));
            }
            t
        };
        let calls = small.sample_or_all(&mut rng, 5, |e| {
            seen.insert(e.key.as_slice().to_vec());
        });
        assert_eq!(
            (calls, seen.len()),
            (4, 4),
            "a table this small is given whole"
        );
        assert_eq!(d.sample_or_all(&mut rng, 5, |_| ()), 5);
    }

    #[test]
    fn a_sample_takes_distinct_neighbours_and_at_most_its_window() {
        let d = filled(3000);
        let mut rng = Rng::new(8);
        for n in [1, 5, 16, 64] {
            for _ in 0..200 {
                let mut keys = Vec::new();
                let calls = d.sample(&mut rng, n, |e| keys.push(e.key.to_vec()));
                assert_eq!(calls, keys.len());
                assert!(calls >= 1 && calls <= n);
                keys.sort();
                keys.dedup();
                assert_eq!(keys.len(), calls, "no entry twice");
            }
        }
        // Four keys in four buckets: one window, all of it, each once.
        let small = filled(4);
        let mut keys = Vec::new();
        assert_eq!(small.sample(&mut rng, 10, |e| keys.push(e.key.to_vec())), 4);
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 4);
    }

    #[test]
    fn random_works_on_a_sparse_table() {
        let mut d = Dict::new(RandomState::new());
        for i in 0..4096 {
            d.insert_new(entry(&format!("k{i}")));
        }
        for i in 1..4096 {
            d.remove(format!("k{i}").as_bytes());
        }
        let mut rng = Rng::new(5);
        for _ in 0..100 {
            assert_eq!(
                d.random(&mut rng).map(|e| e.key.to_vec()),
                Some(b"k0".to_vec())
            );
        }
    }

    #[test]
    fn scan_returns_every_key_present_throughout_despite_resizes() {
        let mut d = Dict::new(RandomState::new());
        for i in 0..100 {
            d.insert_new(entry(&format!("stable{i}")));
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |e| {
                seen.insert(e.key.as_slice().to_vec());
            });
            // Grow and shrink the table between calls.
            step += 1;
            if step % 3 == 0 {
                for i in 0..200 {
                    d.insert_new(entry(&format!("tmp{step}-{i}")));
                }
            } else if step % 3 == 1 {
                let tmp: Vec<Vec<u8>> = d
                    .iter()
                    .filter(|e| e.key.starts_with(b"tmp"))
                    .map(|e| e.key.to_vec())
                    .collect();
                for k in tmp {
                    d.remove(&k);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            assert!(
                seen.contains(format!("stable{i}").as_bytes()),
                "missed stable{i}"
            );
        }
    }

    proptest::proptest! {
        /// Any run of inserts, removes and background steps keeps the table equal to a
        /// set of its keys, and a SCAN through it (one call after each change) returns
        /// every key present from start to end.
        #[test]
        fn the_table_matches_a_set_through_resizes(
            initial in 0usize..3000,
            ops in proptest::collection::vec((0u8..5, 0u16..4000), 1..3000),
        ) {
            let mut d = Dict::new(RandomState::new());
            let mut model = BTreeSet::new();
            for i in 0..initial {
                let key = format!("k{i}");
                d.insert_new(entry(&key));
                model.insert(key);
            }
            let start_keys = model.clone();
            let mut removed = BTreeSet::new();
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            let mut scanning = true;
            let mut scan = |d: &Dict, cursor: &mut u64| {
                *cursor = d.scan(*cursor, |e| {
                    seen.insert(String::from_utf8_lossy(e.key.as_slice()).into_owned());
                });
                *cursor != 0
            };
            for (op, k) in ops {
                let key = format!("k{k}");
                match op {
                    0 | 1 => {
                        if model.insert(key.clone()) {
                            d.insert_new(entry(&key));
                        }
                    }
                    2 | 3 => {
                        proptest::prop_assert_eq!(d.remove(key.as_bytes()).is_some(), model.remove(&key));
                        removed.insert(key);
                    }
                    _ => {
                        d.rehash(1, 4);
                    }
                }
                proptest::prop_assert_eq!(d.len(), model.len());
                if scanning {
                    scanning = scan(&d, &mut cursor);
                }
            }
            while scanning {
                scanning = scan(&d, &mut cursor);
            }
            for k in start_keys.difference(&removed) {
                proptest::prop_assert!(seen.contains(k), "scan missed {}", k);
            }
            proptest::prop_assert!(counts_match(&d));
            for k in &model {
                proptest::prop_assert!(d.get(k.as_bytes()).is_some());
            }
            let mut all: Vec<String> = d.iter().map(|e| String::from_utf8_lossy(e.key.as_slice()).into_owned()).collect();
            all.sort();
            proptest::prop_assert_eq!(all, model.into_iter().collect::<Vec<_>>());
        }
    }
}
