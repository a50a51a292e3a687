//! Reply shapes shared by the families.

use crate::exec::Ctx;
use shoal_resp::{BulksWriter, Frame, Protocol};

/// Bytes reserved per element of an encoded array before its buffer grows.
const BYTES_HINT: usize = 16;

/// A writer for an encoded array of about `n` elements.
pub(crate) fn writer(n: usize) -> BulksWriter {
    BulksWriter::with_capacity(n, n * BYTES_HINT)
}

/// The session's replies go to a socket and it speaks RESP2, so replies RESP3 would type
/// (maps, sets, doubles) may be encoded as the flat arrays of bulk strings RESP2 makes of
/// them.
pub(crate) fn wire_resp2(ctx: &Ctx<'_>) -> bool {
    ctx.session.wire && ctx.session.protocol == Protocol::Resp2
}

/// An array of the bulk strings `items`: written at once into one encoded buffer when
/// `wire` (the session's replies go straight to a socket, see `SessionState::wire`), as
/// frames otherwise.
pub(crate) fn bulk_array<'a>(wire: bool, items: impl Iterator<Item = &'a [u8]>) -> Frame {
    if !wire {
        return Frame::Array(items.map(Frame::bulk).collect());
    }
    let mut out = writer(items.size_hint().0);
    for item in items {
        out.push(item);
    }
    Frame::Bulks(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_resp::{encode_to_vec, Protocol};

    #[test]
    fn both_forms_are_the_same_reply() {
        let items: [&[u8]; 4] = [b"a", b"", b"12", b"\r\n"];
        let frames = bulk_array(false, items.into_iter());
        let packed = bulk_array(true, items.into_iter());
        assert!(matches!(frames, Frame::Array(_)));
        let Frame::Bulks(b) = &packed else {
            panic!("not packed: {packed:?}")
        };
        assert_eq!(b.to_array(), frames);
        for proto in [Protocol::Resp2, Protocol::Resp3] {
            assert_eq!(encode_to_vec(&packed, proto), encode_to_vec(&frames, proto));
        }
    }
}
