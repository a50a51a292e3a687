//! LCS: the longest common subsequence of two strings.

use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;

/// LCS's parsed options.
#[derive(Debug, Default)]
struct LcsOptions {
    idx: bool,
    len: bool,
    with_match_len: bool,
    min_match_len: u64,
}

fn parse_options(ctx: &mut Ctx<'_>) -> Result<LcsOptions, CmdError> {
    let mut o = LcsOptions::default();
    while let Some(word) = ctx.args.next_arg() {
        match word.to_ascii_uppercase().as_slice() {
            b"IDX" => o.idx = true,
            b"LEN" => o.len = true,
            b"WITHMATCHLEN" => o.with_match_len = true,
            b"MINMATCHLEN" if ctx.args.remaining() > 0 => {
                o.min_match_len = ctx.args.int()?.max(0) as u64;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    if o.idx && o.len {
        return Err(CmdError::Msg(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    Ok(o)
}

/// The dynamic-programming table: `t[i * (b.len() + 1) + j]` is the LCS length of
/// `a[..i]` and `b[..j]`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8], max_bytes: u64) -> Result<Table, CmdError> {
        if a.len() as u64 >= u64::from(u32::MAX - 1) || b.len() as u64 >= u64::from(u32::MAX - 1) {
            return Err(CmdError::Msg("String too long for LCS"));
        }
        let width = b.len() + 1;
        let cells_n = (a.len() as u64 + 1) * width as u64;
        if cells_n.saturating_mul(4) > max_bytes {
            return Err(CmdError::Msg(
                "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
            ));
        }
        let mut cells: Vec<u32> = Vec::new();
        if cells.try_reserve_exact(cells_n as usize).is_err() {
            return Err(CmdError::Msg(
                "Insufficient memory, failed allocating transient memory for LCS",
            ));
        }
        cells.resize(cells_n as usize, 0);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Ok(Table { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }
}

/// One matching block: inclusive ranges in both strings.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

/// Walks the table back from the end, collecting the common subsequence (last byte first)
/// and the contiguous matching blocks, in the order Redis reports them (from the end).
fn walk(a: &[u8], b: &[u8], t: &Table) -> (Vec<u8>, Vec<Match>) {
    let mut seq = Vec::with_capacity(t.at(a.len(), b.len()) as usize);
    let mut blocks = Vec::new();
    let (mut i, mut j) = (a.len(), b.len());
    let mut open: Option<Match> = None;
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            seq.push(a[i - 1]);
            let m = open.get_or_insert(Match {
                a: (i - 1, i - 1),
                b: (j - 1, j - 1),
            });
            m.a.0 = i - 1;
            m.b.0 = j - 1;
            i -= 1;
            j -= 1;
            if i == 0 || j == 0 {
                blocks.extend(open.take());
            }
        } else {
            if t.at(i - 1, j) > t.at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            blocks.extend(open.take());
        }
    }
    seq.reverse();
    (seq, blocks)
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`.
pub(super) fn lcs(ctx: &mut Ctx<'_>) -> CmdResult {
    let k1 = ctx.args.key()?;
    let k2 = ctx.args.key()?;
    let (a, b) = {
        let mut acc = ctx.lock(&[&k1, &k2]);
        let mut read = |k: &[u8]| -> Result<Vec<u8>, CmdError> {
            match acc.get_value(k).map(|v| v.as_str()) {
                None => Ok(Vec::new()),
                Some(Ok(s)) => Ok(s.as_bytes().into_owned()),
                Some(Err(_)) => Err(CmdError::Msg(
                    "The specified keys must contain string values",
                )),
            }
        };
        let a = read(&k1)?;
        (a, read(&k2)?)
    };
    let o = parse_options(ctx)?;
    let max = ctx.engine().config.get_i64("proto-max-bulk-len").max(0) as u64;
    let t = Table::build(&a, &b, max)?;
    let total = i64::from(t.at(a.len(), b.len()));
    if o.len {
        return Ok(Frame::Integer(total));
    }
    let (seq, blocks) = walk(&a, &b, &t);
    if !o.idx {
        return Ok(Frame::bulk(seq));
    }
    let matches = blocks
        .into_iter()
        .filter(|m| (m.a.1 - m.a.0 + 1) as u64 >= o.min_match_len)
        .map(|m| {
            let pair = |r: (usize, usize)| {
                Frame::Array(vec![Frame::Integer(r.0 as i64), Frame::Integer(r.1 as i64)])
            };
            let mut item = vec![pair(m.a), pair(m.b)];
            if o.with_match_len {
                item.push(Frame::Integer((m.a.1 - m.a.0 + 1) as i64));
            }
            Frame::Array(item)
        })
        .collect();
    Ok(Frame::Map(vec![
        (Frame::bulk("matches"), Frame::Array(matches)),
        (Frame::bulk("len"), Frame::Integer(total)),
    ]))
}
