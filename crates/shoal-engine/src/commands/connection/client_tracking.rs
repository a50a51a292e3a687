//! The client-side caching queries of CLIENT. Shoal has no invalidation tracking, so no
//! connection is ever in tracking mode, and these answer what Redis answers in that state.

use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;

/// `CLIENT GETREDIR`: -1, tracking being off.
pub(super) fn client_getredir(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Integer(-1))
}

/// `CLIENT TRACKINGINFO`: flags `off`, no redirection, no prefixes.
pub(super) fn client_trackinginfo(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Map(vec![
        (Frame::bulk("flags"), Frame::Set(vec![Frame::bulk("off")])),
        (Frame::bulk("redirect"), Frame::Integer(-1)),
        (Frame::bulk("prefixes"), Frame::Array(Vec::new())),
    ]))
}

/// `CLIENT CACHING YES|NO`: only meaningful in OPTIN/OPTOUT tracking, which is never on.
pub(super) fn client_caching(_ctx: &mut Ctx<'_>) -> CmdResult {
    Err(CmdError::Msg(
        "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or \
         OPTOUT mode enabled",
    ))
}
