//! Running the two searches side by side on one key.
//!
//! The depth-first search usually finds an order in a few steps per operation and refutes
//! short histories quickly; the forward sweep does steady work per completion, which wins
//! when unknown outcomes make the depth-first search revisit the same stretch of history many
//! times. They take turns of about equal time with doubling step allowances, so a key costs
//! at most about three times what the faster of the two needs.

use super::frontier::Sweep;
use super::model::KeyOp;
use super::search::{Budget, Found, Search};
use std::time::Instant;

/// The first turn's allowance.
const FIRST_TURN: u64 = 4096;
/// How many depth-first steps take as long as one sweep step, about: turns get equal time.
const SWEEP_STEP_COST: u64 = 3;

/// Decides `ops` within `limit` steps in all and the deadline.
pub(super) fn decide(ops: &[KeyOp], limit: u64, deadline: Instant) -> Found {
    let mut search = Search::new(ops);
    let mut sweep = Sweep::new(ops);
    let mut turn = FIRST_TURN;
    loop {
        let spent = search.steps() + sweep.steps();
        if spent >= limit {
            return Found::GaveUp { steps: spent };
        }
        let allowance = turn.min(limit - spent);
        let budget = Budget {
            steps: search.steps() + allowance,
            deadline,
        };
        if let Some(found) = search.advance(&budget) {
            return total(found, search.steps() + sweep.steps());
        }
        let spent = search.steps() + sweep.steps();
        let budget = Budget {
            steps: sweep.steps() + allowance / SWEEP_STEP_COST,
            deadline,
        };
        if let Some(found) = sweep.advance(&budget, sweep.steps() + limit.saturating_sub(spent)) {
            return total(found, search.steps() + sweep.steps());
        }
        turn = turn.saturating_mul(2);
    }
}

/// `found` with its step count replaced by both searches' total.
fn total(found: Found, steps: u64) -> Found {
    match found {
        Found::Linearizable { .. } => Found::Linearizable { steps },
        Found::GaveUp { .. } => Found::GaveUp { steps },
        stuck => stuck,
    }
}
