//! INCRBYFLOAT arithmetic with the precision Redis uses: an x87 `long double` (64-bit
//! mantissa, 15-bit exponent), correctly rounded parsing and addition, and the `%.17Lf`
//! humanized output. With plain `f64`, `0.1 + 0.2` would print `0.30000000000000004`
//! where Redis prints `0.3`, and `17179869184 + 0.1` would print `17179869184.1` where
//! Redis prints `17179869184.09999999962747097`.

/// An unsigned big integer, little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            Some(top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
            None => 0,
        }
    }

    fn bit(&self, i: u64) -> bool {
        self.0
            .get((i / 32) as usize)
            .is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// True if any bit below `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let limbs = (i / 32) as usize;
        if self.0.iter().take(limbs).any(|&l| l != 0) {
            return true;
        }
        let rem = i % 32;
        rem > 0 && self.0.get(limbs).is_some_and(|l| l & ((1 << rem) - 1) != 0)
    }

    fn mul_add_small(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for l in &mut self.0 {
            let v = u64::from(*l) * u64::from(m) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn shl(&self, bits: u64) -> Big {
        let (limbs, rem) = ((bits / 32) as usize, (bits % 32) as u32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &l in &self.0 {
            if rem == 0 {
                out.push(l);
            } else {
                out.push((l << rem) | carry);
                carry = l >> (32 - rem);
            }
        }
        out.push(carry);
        let mut b = Big(out);
        b.trim();
        b
    }

    fn shr(&self, bits: u64) -> Big {
        let (limbs, rem) = ((bits / 32) as usize, (bits % 32) as u32);
        let src = self.0.get(limbs..).unwrap_or(&[]);
        let mut out = Vec::with_capacity(src.len());
        for (i, &l) in src.iter().enumerate() {
            let hi = src.get(i + 1).copied().unwrap_or(0);
            out.push(if rem == 0 {
                l
            } else {
                (l >> rem) | (hi << (32 - rem))
            });
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn low_u64(&self) -> u64 {
        let lo = u64::from(self.0.first().copied().unwrap_or(0));
        let hi = u64::from(self.0.get(1).copied().unwrap_or(0));
        lo | hi << 32
    }

    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    fn add(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(o.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(o.0.len()) {
            let v = u64::from(self.0.get(i).copied().unwrap_or(0))
                + u64::from(o.0.get(i).copied().unwrap_or(0))
                + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        out.push(carry as u32);
        let mut b = Big(out);
        b.trim();
        b
    }

    /// `self - o`, which must not be negative.
    fn sub(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut v = i64::from(self.0[i]) - i64::from(o.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            if v < 0 {
                v += 1 << 32;
            }
            out.push(v as u32);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    /// Quotient bits of `self / d` and whether a remainder is left.
    fn div(&self, d: &Big) -> (Big, bool) {
        let mut rem = self.clone();
        let mut q = Big(Vec::new());
        let top = self.bit_len().saturating_sub(d.bit_len()) + 1;
        for bit in (0..top).rev() {
            let shifted = d.shl(bit);
            if rem.cmp(&shifted) != std::cmp::Ordering::Less {
                rem = rem.sub(&shifted);
                q = q.add(&Big::from_u64(1).shl(bit));
            }
        }
        (q, !rem.is_zero())
    }

    fn pow10(k: u64) -> Big {
        let mut b = Big::from_u64(1);
        for _ in 0..k {
            b.mul_add_small(10, 0);
        }
        b
    }

    fn to_decimal(&self) -> String {
        let mut limbs = self.0.clone();
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            let mut rem = 0u64;
            for l in limbs.iter_mut().rev() {
                let v = rem << 32 | u64::from(*l);
                *l = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
            chunks.push(rem);
        }
        let mut s = chunks
            .pop()
            .map_or_else(|| "0".to_string(), |c| c.to_string());
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

/// Largest binary exponent of the top mantissa bit (x87 extended: 16383).
const MAX_TOP_EXP: i64 = 16383;
/// Smallest binary exponent of the top mantissa bit before values underflow (subnormals
/// are kept at full precision here; they are far outside any practical INCRBYFLOAT use).
const MIN_TOP_EXP: i64 = -16445;

/// A finite extended float: `(-1)^neg * mant * 2^exp`, `mant` having its top bit set
/// (or zero for zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ext {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// What a parsed INCRBYFLOAT operand is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A finite number.
    Finite(Ext),
    /// `inf` / `-inf`.
    Infinite,
}

impl Ext {
    pub(crate) const ZERO: Ext = Ext {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// Rounds `v * 2^e` (plus a sticky bit for a discarded nonzero tail) to 64 bits, half
    /// to even. None on overflow or underflow to zero of a nonzero value.
    fn round(neg: bool, v: &Big, e: i64, sticky: bool) -> Option<Ext> {
        let bits = v.bit_len() as i64;
        if bits == 0 {
            return Some(Ext { neg, ..Ext::ZERO });
        }
        let (mant, exp) = if bits <= 64 {
            (v.low_u64() << (64 - bits), e - (64 - bits))
        } else {
            let shift = (bits - 64) as u64;
            let mut m = v.shr(shift).low_u64();
            let half = v.bit(shift - 1);
            let tail = sticky || v.any_below(shift - 1);
            let mut exp = e + shift as i64;
            if half && (tail || m & 1 == 1) {
                m = m.wrapping_add(1);
                if m == 0 {
                    m = 1 << 63;
                    exp += 1;
                }
            }
            (m, exp)
        };
        let top = exp + 63;
        if !(MIN_TOP_EXP..=MAX_TOP_EXP).contains(&top) {
            return None;
        }
        Some(Ext { neg, mant, exp })
    }

    fn is_zero(&self) -> bool {
        self.mant == 0
    }

    /// The correctly rounded sum, or None if it overflows.
    pub(crate) fn add(self, o: Ext) -> Option<Ext> {
        if self.is_zero() && o.is_zero() {
            return Some(Ext {
                neg: self.neg && o.neg,
                ..Ext::ZERO
            });
        }
        if o.is_zero() {
            return Some(self);
        }
        if self.is_zero() {
            return Some(o);
        }
        let (big, small) = if self.exp >= o.exp {
            (self, o)
        } else {
            (o, self)
        };
        // Far below half an ulp: the bigger operand is the rounded result.
        if big.exp - small.exp > 140 {
            return Some(big);
        }
        let a = Big::from_u64(big.mant).shl((big.exp - small.exp) as u64);
        let b = Big::from_u64(small.mant);
        if big.neg == small.neg {
            return Ext::round(big.neg, &a.add(&b), small.exp, false);
        }
        match a.cmp(&b) {
            std::cmp::Ordering::Equal => Some(Ext::ZERO),
            std::cmp::Ordering::Greater => Ext::round(big.neg, &a.sub(&b), small.exp, false),
            std::cmp::Ordering::Less => Ext::round(small.neg, &b.sub(&a), small.exp, false),
        }
    }

    /// `%.17Lf` with trailing zeros (and a bare point) removed; `-0` becomes `0`.
    pub(crate) fn humanized(&self) -> String {
        let digits = if self.exp >= 0 {
            Big::from_u64(self.mant).shl(self.exp as u64).to_decimal()
        } else {
            let scaled = mul_pow10(Big::from_u64(self.mant), 17);
            let shift = (-self.exp) as u64;
            let (q, _) = round_shift(&scaled, shift);
            let mut s = q.to_decimal();
            if s.len() < 18 {
                s = format!("{}{s}", "0".repeat(18 - s.len()));
            }
            let (int_part, frac) = s.split_at(s.len() - 17);
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int_part.to_string()
            } else {
                format!("{int_part}.{frac}")
            }
        };
        if self.neg && digits != "0" {
            format!("-{digits}")
        } else {
            digits
        }
    }
}

fn mul_pow10(mut v: Big, k: u64) -> Big {
    for _ in 0..k {
        v.mul_add_small(10, 0);
    }
    v
}

/// `v / 2^shift` rounded half to even.
fn round_shift(v: &Big, shift: u64) -> (Big, bool) {
    if shift == 0 {
        return (v.clone(), false);
    }
    let q = v.shr(shift);
    let half = v.bit(shift - 1);
    let tail = v.any_below(shift - 1);
    if half && (tail || q.bit(0)) {
        (q.add(&Big::from_u64(1)), true)
    } else {
        (q, half || tail)
    }
}

/// Parses an INCRBYFLOAT operand as Redis's `strtold`-based parser accepts it: no
/// leading space, nothing left over, decimal or hex notation, `inf`/`infinity`; NaN,
/// overflow and underflow to zero refused.
pub(crate) fn parse(text: &[u8]) -> Option<Parsed> {
    if text.is_empty() || text.len() >= 5 * 1024 || text[0].is_ascii_whitespace() {
        return None;
    }
    let (neg, body) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    if lower == b"inf" || lower == b"infinity" {
        return Some(Parsed::Infinite);
    }
    if lower.starts_with(b"0x") {
        return parse_hex(neg, &lower[2..]).map(Parsed::Finite);
    }
    parse_decimal(neg, body).map(Parsed::Finite)
}

/// Splits `digits[.digits]` from the front of `s`: (all digits, count after the point, rest).
fn split_number(s: &[u8], radix: u32) -> Option<(Vec<u8>, i64, &[u8])> {
    let mut digits = Vec::new();
    let mut frac = 0i64;
    let mut seen_point = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = char::from(c).to_digit(radix) {
            digits.push(d as u8);
            if seen_point {
                frac += 1;
            }
        } else {
            break;
        }
        i += 1;
    }
    (!digits.is_empty()).then_some((digits, frac, &s[i..]))
}

/// Parses `[+-]digits` as an exponent, saturating far beyond any representable value.
fn parse_exp(s: &[u8]) -> Option<i64> {
    let (neg, ds) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if ds.is_empty() || !ds.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = ds.iter().fold(0i64, |acc, &d| {
        (acc * 10 + i64::from(d - b'0')).min(1 << 40)
    });
    Some(if neg { -v } else { v })
}

fn parse_decimal(neg: bool, body: &[u8]) -> Option<Ext> {
    let (digits, frac, rest) = split_number(body, 10)?;
    let exp10 = match rest.first() {
        None => 0,
        Some(b'e' | b'E') => parse_exp(&rest[1..])?,
        Some(_) => return None,
    };
    let first = digits.iter().position(|&d| d != 0);
    let Some(first) = first else {
        return Some(Ext { neg, ..Ext::ZERO });
    };
    let digits = &digits[first..];
    let k = exp10 - frac;
    let magnitude = digits.len() as i64 + k - 1;
    if !(-4952..=4933).contains(&magnitude) {
        return None;
    }
    let mut d = Big(Vec::new());
    for &x in digits {
        d.mul_add_small(10, u32::from(x));
    }
    if k >= 0 {
        return Ext::round(neg, &mul_pow10(d, k as u64), 0, false);
    }
    let p = Big::pow10((-k) as u64);
    let s = (p.bit_len() as i64 - d.bit_len() as i64 + 66).max(0) as u64;
    let (q, rem) = d.shl(s).div(&p);
    Ext::round(neg, &q, -(s as i64), rem)
}

fn parse_hex(neg: bool, body: &[u8]) -> Option<Ext> {
    let (digits, frac, rest) = split_number(body, 16)?;
    let exp2 = match rest.first() {
        None => 0,
        Some(b'p') => parse_exp(&rest[1..])?,
        Some(_) => return None,
    };
    let mut v = Big(Vec::new());
    for &x in &digits {
        v.mul_add_small(16, u32::from(x));
    }
    Ext::round(neg, &v, exp2 - 4 * frac, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sum(a: &str, b: &str) -> Option<String> {
        match (parse(a.as_bytes())?, parse(b.as_bytes())?) {
            (Parsed::Finite(x), Parsed::Finite(y)) => x.add(y).map(|s| s.humanized()),
            _ => None,
        }
    }

    #[test]
    fn redis_documented_examples() {
        assert_eq!(sum("10.50", "0.1").as_deref(), Some("10.6"));
        assert_eq!(sum("10.6", "-5").as_deref(), Some("5.6"));
        assert_eq!(sum("5.0e3", "2.0e2").as_deref(), Some("5200"));
        assert_eq!(sum("0.1", "0.2").as_deref(), Some("0.3"));
    }

    #[test]
    fn refuses_what_strtold_refuses() {
        for bad in [
            "", " 1", "1 ", "nan", "1e", "0x", "1.2.3", "e5", ".", "1e-5000", "2e4932",
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse(b"-inf"), Some(Parsed::Infinite));
        assert_eq!(parse(b"INFINITY"), Some(Parsed::Infinite));
    }

    proptest! {
        #[test]
        fn integer_sums_are_exact(a in -(1i64 << 62)..(1i64 << 62), b in -(1i64 << 62)..(1i64 << 62)) {
            prop_assert_eq!(sum(&a.to_string(), &b.to_string()), Some((a + b).to_string()));
        }

        /// Below 10, the long double error stays far under the 17th decimal, so any
        /// decimal with at most 17 places prints back as written (trailing zeros trimmed).
        #[test]
        fn short_decimals_print_back_unchanged(raw in 1u64..u64::MAX, d in 0usize..=17, neg: bool) {
            let m = raw % 10u64.pow(d as u32 + 1);
            prop_assume!(m > 0);
            let digits = format!("{m:0>width$}", width = d + 1);
            let (int_part, frac) = digits.split_at(digits.len() - d);
            let frac = frac.trim_end_matches('0');
            let mut want = if frac.is_empty() { int_part.to_string() } else { format!("{int_part}.{frac}") };
            if neg {
                want = format!("-{want}");
            }
            let text = if d == 0 { want.clone() } else { format!("{}{}.{}", if neg { "-" } else { "" }, int_part, &digits[digits.len() - d..]) };
            prop_assert_eq!(sum(&text, "0"), Some(want));
        }
    }
}
