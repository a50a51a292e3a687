//! A set: unordered distinct byte strings, in one of Redis 7.2's three encodings.
//!
//! - `intset`: every member is an integer in canonical form (`string2ll` rules) and there
//!   are at most `set-max-intset-entries` of them; a sorted vector of integers.
//! - `listpack`: at most `set-max-listpack-entries` members of at most
//!   `set-max-listpack-value` bytes; members packed in one buffer, in insertion order.
//! - `hashtable`: anything else; a chained hash table.
//!
//! Conversions follow Redis: an intset takes a non-integer by turning into a listpack when
//! the result still fits one, else into a hashtable; an intset or listpack that outgrows its
//! limits becomes a hashtable. Removals never convert back (SPOP's rebuild and the STORE
//! commands create fresh sets, which may pick a smaller encoding).

mod pack;
mod table;

#[cfg(test)]
mod tests;

use crate::util::num::parse_i64;
use crate::util::rng::Rng;
use bytes::Bytes;
use pack::Pack;
use table::Table;

/// The encoding thresholds, read from the `set-max-*` configuration parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `set-max-intset-entries`.
    pub intset_entries: usize,
    /// `set-max-listpack-entries`.
    pub listpack_entries: usize,
    /// `set-max-listpack-value`.
    pub listpack_value: usize,
}

impl Default for Limits {
    /// Redis's defaults: 512, 128 and 64.
    fn default() -> Limits {
        Limits {
            intset_entries: 512,
            listpack_entries: 128,
            listpack_value: 64,
        }
    }
}

impl Limits {
    /// The most members an intset may hold (capped at 2^30 as Redis does).
    fn intset_max(&self) -> usize {
        self.intset_entries.min(1 << 30)
    }
}

#[derive(Clone, Debug)]
enum Enc {
    Ints(Vec<i64>),
    Pack(Pack),
    Table(Table),
}

/// A set value.
#[derive(Clone, Debug)]
pub struct SetValue {
    enc: Enc,
}

impl Default for SetValue {
    /// An empty intset.
    fn default() -> SetValue {
        SetValue {
            enc: Enc::Ints(Vec::new()),
        }
    }
}

impl PartialEq for SetValue {
    /// Same members, whatever the encodings.
    fn eq(&self, other: &SetValue) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let mut same = true;
        self.for_each(|m| same = same && other.contains(m));
        same
    }
}

/// Number of decimal characters of `n`, sign included.
fn digits(n: i64) -> usize {
    itoa::Buffer::new().format(n).len()
}

impl SetValue {
    /// An empty set in the `listpack` encoding.
    pub fn empty_listpack() -> SetValue {
        SetValue {
            enc: Enc::Pack(Pack::default()),
        }
    }

    /// An empty set able to hold `first`, sized for about `size_hint` members: an intset
    /// for an integer when the hint fits one, else a listpack when the hint fits one, else
    /// a hashtable.
    pub fn new_for(first: &[u8], size_hint: usize, lim: &Limits) -> SetValue {
        let enc = if parse_i64(first).is_some() && size_hint <= lim.intset_entries {
            Enc::Ints(Vec::new())
        } else if size_hint <= lim.listpack_entries {
            Enc::Pack(Pack::default())
        } else {
            Enc::Table(Table::with_capacity(size_hint))
        };
        SetValue { enc }
    }

    /// Converts to a hashtable ahead of adding about `size_hint` members when they could
    /// not fit the current compact encoding.
    pub fn maybe_convert(&mut self, size_hint: usize, lim: &Limits) {
        let grow = match &self.enc {
            Enc::Pack(_) => size_hint > lim.listpack_entries,
            Enc::Ints(_) => size_hint > lim.intset_entries,
            Enc::Table(_) => false,
        };
        if grow {
            self.convert_to_table(size_hint);
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Ints(v) => v.len(),
            Enc::Pack(p) => p.len(),
            Enc::Table(t) => t.len(),
        }
    }

    /// True when there are no elements; the key is then deleted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Enc::Ints(_) => "intset",
            Enc::Pack(_) => "listpack",
            Enc::Table(_) => "hashtable",
        }
    }

    /// True for the `hashtable` encoding (SSCAN then pages with a real cursor).
    pub fn is_hashtable(&self) -> bool {
        matches!(self.enc, Enc::Table(_))
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.enc {
            Enc::Ints(v) => {
                crate::types::alloc::alloc_size(v.capacity() * std::mem::size_of::<i64>())
            }
            Enc::Pack(p) => p.heap_size(),
            Enc::Table(t) => t.heap_size(),
        }
    }

    /// True if `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.enc {
            Enc::Ints(v) => parse_i64(m).is_some_and(|n| v.binary_search(&n).is_ok()),
            Enc::Pack(p) => p.contains(m),
            Enc::Table(t) => t.contains(m),
        }
    }

    /// Calls `f` on every member (intset members as decimal text).
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match &self.enc {
            Enc::Ints(v) => {
                let mut buf = itoa::Buffer::new();
                for &n in v {
                    f(buf.format(n).as_bytes());
                }
            }
            Enc::Pack(p) => p.iter().for_each(f),
            Enc::Table(t) => t.iter().for_each(f),
        }
    }

    /// Every member, copied out.
    pub fn members(&self) -> Vec<Bytes> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m| out.push(Bytes::copy_from_slice(m)));
        out
    }

    /// Adds `m`, converting the encoding as Redis does; false if it was already a member.
    pub fn insert(&mut self, m: &[u8], lim: &Limits) -> bool {
        match &mut self.enc {
            Enc::Table(t) => t.insert(m),
            Enc::Pack(p) => {
                if p.contains(m) {
                    return false;
                }
                if p.len() < lim.listpack_entries && m.len() <= lim.listpack_value {
                    p.push(m);
                } else {
                    let cap = p.len() + 1;
                    self.convert_to_table(cap);
                    self.table_insert(m);
                }
                true
            }
            Enc::Ints(v) => match parse_i64(m) {
                Some(n) => match v.binary_search(&n) {
                    Ok(_) => false,
                    Err(i) => {
                        v.insert(i, n);
                        if v.len() > lim.intset_max() {
                            let cap = v.len();
                            self.convert_to_table(cap);
                        }
                        true
                    }
                },
                None => {
                    let widest = match (v.first(), v.last()) {
                        (Some(&lo), Some(&hi)) => digits(lo).max(digits(hi)),
                        _ => 0,
                    };
                    let fits = v.len() < lim.listpack_entries
                        && m.len() <= lim.listpack_value
                        && widest <= lim.listpack_value;
                    let cap = v.len() + 1;
                    if fits {
                        self.convert_to_pack();
                    } else {
                        self.convert_to_table(cap);
                    }
                    match &mut self.enc {
                        Enc::Pack(p) => p.push(m),
                        _ => self.table_insert(m),
                    }
                    true
                }
            },
        }
    }

    fn table_insert(&mut self, m: &[u8]) {
        if let Enc::Table(t) = &mut self.enc {
            t.insert(m);
        }
    }

    /// Removes `m`; false if it was not a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Ints(v) => {
                let Some(i) = parse_i64(m).and_then(|n| v.binary_search(&n).ok()) else {
                    return false;
                };
                v.remove(i);
                if v.capacity() > 8 && v.capacity() > v.len() * 2 {
                    v.shrink_to_fit();
                }
                true
            }
            Enc::Pack(p) => {
                let gone = p.remove(m);
                p.shrink();
                gone
            }
            Enc::Table(t) => t.remove(m),
        }
    }

    /// A uniformly chosen member.
    pub fn random(&self, rng: &mut Rng) -> Option<Bytes> {
        match &self.enc {
            Enc::Ints(v) if !v.is_empty() => {
                let n = v[rng.index(v.len())];
                Some(Bytes::from(itoa::Buffer::new().format(n).to_owned()))
            }
            Enc::Ints(_) => None,
            Enc::Pack(p) if p.len() > 0 => p.nth(rng.index(p.len())).map(Bytes::copy_from_slice),
            Enc::Pack(_) => None,
            Enc::Table(t) => t.random(rng).map(Bytes::copy_from_slice),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Bytes> {
        if let Enc::Table(t) = &mut self.enc {
            return t
                .pop_random(rng)
                .map(|m| Bytes::copy_from_slice(m.as_slice()));
        }
        let m = self.random(rng)?;
        self.remove(&m);
        Some(m)
    }

    /// One SSCAN step from `cursor`: a compact encoding visits everything and answers 0; a
    /// hashtable visits one bucket and answers the next cursor (0 when done).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        match &self.enc {
            Enc::Table(t) => t.scan(cursor, f),
            _ => {
                self.for_each(&mut f);
                0
            }
        }
    }

    /// Turns a set known to hold only integers into an intset when it is small enough for
    /// one (the STORE forms of SINTER do this).
    pub fn compact_integers(&mut self, lim: &Limits) {
        if matches!(self.enc, Enc::Ints(_)) || self.len() > lim.intset_max() {
            return;
        }
        let mut v = Vec::with_capacity(self.len());
        let mut all = true;
        self.for_each(|m| match parse_i64(m) {
            Some(n) => v.push(n),
            None => all = false,
        });
        if all {
            v.sort_unstable();
            self.enc = Enc::Ints(v);
        }
    }

    /// Re-encodes as a listpack (intset members as text, ascending).
    fn convert_to_pack(&mut self) {
        let mut p = Pack::with_capacity(self.len() * 4 + 16);
        self.for_each(|m| p.push(m));
        self.enc = Enc::Pack(p);
    }

    /// Re-encodes as a hashtable sized for `cap` members.
    fn convert_to_table(&mut self, cap: usize) {
        let mut t = Table::with_capacity(cap.max(self.len()));
        self.for_each(|m| {
            t.insert(m);
        });
        self.enc = Enc::Table(t);
    }
}
