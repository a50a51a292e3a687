//! Helpers shared by the hash family's tests.

use crate::effects::Effect;
use std::sync::mpsc::Receiver;

/// Every effect emitted since the last call, as lossy text.
pub(super) fn effects(rx: &Receiver<Effect>) -> Vec<Vec<String>> {
    rx.try_iter()
        .map(|e| {
            e.args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .collect()
}

/// Builds an expected effect list from text.
pub(super) fn eff(items: &[&[&str]]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|e| e.iter().map(|s| s.to_string()).collect())
        .collect()
}
