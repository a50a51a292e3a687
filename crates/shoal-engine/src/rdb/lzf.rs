//! LZF, the compression RDB strings use: a byte stream of literal runs (a control byte
//! `n - 1` below 32, then `n` bytes) and back references (length and distance packed in
//! the control byte's top three and low five bits, with an extra length byte when the top
//! bits are all set, then the low byte of the distance).

/// Longest literal run one control byte covers.
const MAX_LIT: usize = 32;
/// Farthest back a reference reaches.
const MAX_OFF: usize = 1 << 13;
/// Longest match one reference copies.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Most bits of the match-finding hash table's index (smaller tables for short inputs).
const MAX_HASH_BITS: u32 = 14;

/// Compresses `input`; None when the result would be longer than `max_out` bytes.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out = Vec::with_capacity(max_out.min(n));
    let bits = (usize::BITS - n.leading_zeros()).clamp(4, MAX_HASH_BITS);
    let mut table = vec![0u32; 1 << bits];
    let (mut i, mut lit) = (0, 0);
    while i + 2 < n {
        let h = hash(&input[i..i + 3], bits);
        let cand = std::mem::replace(&mut table[h], (i + 1) as u32) as usize;
        if let Some(r) = cand.checked_sub(1) {
            let off = i - r - 1;
            if off < MAX_OFF && input[r..r + 3] == input[i..i + 3] {
                let max = MAX_REF.min(n - i);
                let mut len = 3;
                while len < max && input[r + len] == input[i + len] {
                    len += 1;
                }
                literals(&mut out, &input[lit..i]);
                reference(&mut out, len, off);
                i += len;
                lit = i;
                if out.len() > max_out {
                    return None;
                }
                continue;
            }
        }
        i += 1;
    }
    literals(&mut out, &input[lit..]);
    (out.len() <= max_out).then_some(out)
}

fn hash(b: &[u8], bits: u32) -> usize {
    let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
    (v.wrapping_mul(2654435761) >> (32 - bits)) as usize
}

fn literals(out: &mut Vec<u8>, mut run: &[u8]) {
    while !run.is_empty() {
        let k = run.len().min(MAX_LIT);
        out.push((k - 1) as u8);
        out.extend_from_slice(&run[..k]);
        run = &run[k..];
    }
}

fn reference(out: &mut Vec<u8>, len: usize, off: usize) {
    let l = len - 2;
    let hi = (off >> 8) as u8;
    if l < 7 {
        out.push(((l as u8) << 5) | hi);
    } else {
        out.push((7 << 5) | hi);
        out.push((l - 7) as u8);
    }
    out.push(off as u8);
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, &'static str> {
    const BAD: &str = "bad compressed string";
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(1 << 24));
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < MAX_LIT {
            let lit = input.get(i..i + ctrl + 1).ok_or(BAD)?;
            out.extend_from_slice(lit);
            i += ctrl + 1;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i).ok_or(BAD)? as usize;
                i += 1;
            }
            let low = *input.get(i).ok_or(BAD)? as usize;
            i += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let start = out.len().checked_sub(back).ok_or(BAD)?;
            for k in 0..len + 2 {
                let c = out[start + k];
                out.push(c);
            }
        }
        if out.len() > out_len {
            return Err(BAD);
        }
    }
    if out.len() != out_len {
        return Err(BAD);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lzf_shrinks_repetitive_text() {
        let text = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(20);
        let packed = compress(&text, text.len() - 4).unwrap_or_default();
        assert!(!packed.is_empty() && packed.len() < text.len() / 4);
        assert_eq!(decompress(&packed, text.len()), Ok(text));
    }

    #[test]
    fn lzf_gives_up_on_random_bytes() {
        let noise: Vec<u8> = (0u32..64)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert_eq!(compress(&noise, noise.len() - 4), None);
    }

    #[test]
    fn lzf_refuses_a_reference_before_the_start() {
        assert!(decompress(&[0x20, 0x05], 3).is_err());
        assert!(decompress(&[0x02, b'a'], 3).is_err());
    }

    proptest! {
        #[test]
        fn lzf_round_trips(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
            if let Some(p) = compress(&data, data.len() + data.len() / 16 + 64) {
                prop_assert_eq!(decompress(&p, data.len()), Ok(data));
            }
        }

        #[test]
        fn lzf_decompress_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), n in 0usize..1000) {
            let _ = decompress(&data, n);
        }
    }
}
