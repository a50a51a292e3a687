//! Configuration parameters read by every call of a command: where each sits in the
//! configuration is remembered, so a read is one load instead of a search by name.

use crate::config::Config;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// One parameter, read by name the first time and by position after that.
pub(crate) struct Knob {
    name: &'static str,
    /// The parameter's position in the last configuration it was read from.
    at: AtomicUsize,
}

impl Knob {
    /// A knob for the parameter called `name` (its canonical lower-case name).
    pub(crate) const fn new(name: &'static str) -> Knob {
        Knob {
            name,
            at: AtomicUsize::new(usize::MAX),
        }
    }

    /// The parameter's numeric value in `config`.
    pub(crate) fn get(&self, config: &Config) -> i64 {
        let at = self.at.load(Relaxed);
        // The position is checked against the name: every configuration lists the same
        // parameters, but nothing here depends on it.
        if config.params().get(at).is_some_and(|p| p.name == self.name) {
            return config.get_at(at);
        }
        match config.index_of(self.name) {
            Some(i) => {
                self.at.store(i, Relaxed);
                config.get_at(i)
            }
            None => config.get_i64(self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knob_reads_the_current_value_of_each_configuration() {
        static KNOB: Knob = Knob::new("list-max-listpack-size");
        let a = Config::new();
        let b = Config::new();
        assert!(b.set("list-max-listpack-size", "7").is_ok());
        assert_eq!(KNOB.get(&a), -2);
        assert_eq!(KNOB.get(&b), 7);
        assert_eq!(KNOB.get(&a), -2);
    }
}
