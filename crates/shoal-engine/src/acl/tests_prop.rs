//! Property: a user described in rule form (ACL LIST, ACL SAVE) and parsed again is the
//! same user.

use super::ids::CommandIds;
use super::user::{merge_selectors, PubsubDefault, User};
use bytes::Bytes;
use proptest::prelude::*;

const RULES: &[&str] = &[
    "on",
    "off",
    "nopass",
    "resetpass",
    ">alpha",
    ">beta",
    "<alpha",
    "skip-sanitize-payload",
    "sanitize-payload",
    "~a*",
    "~b?",
    "%R~r*",
    "%W~w*",
    "%RW~x",
    "allkeys",
    "resetkeys",
    "&news.*",
    "&chat",
    "allchannels",
    "resetchannels",
    "+get",
    "-get",
    "+@string",
    "-@string",
    "+@all",
    "-@all",
    "+client|list",
    "-client",
    "+select|0",
    "+@read",
    "-@dangerous",
    "allcommands",
    "nocommands",
    "(+set ~s*)",
    "(%R~r* +@read &c)",
    "clearselectors",
    "reset",
];

fn build(ids: &CommandIds, rules: &[&str]) -> User {
    let mut u = User::new(Bytes::from_static(b"p"), ids, PubsubDefault(false));
    for r in rules {
        // Rules that do not apply in this order (a pattern after `~*`) are skipped.
        let _ = u.apply(ids, r.as_bytes(), PubsubDefault(false));
    }
    u
}

fn reparse(ids: &CommandIds, text: &str) -> User {
    let mut u = User::new(Bytes::from_static(b"p"), ids, PubsubDefault(false));
    let args: Vec<Bytes> = text
        .split(' ')
        .map(|w| Bytes::from(w.to_string()))
        .collect();
    let merged = merge_selectors(&args).unwrap_or_default();
    for op in merged {
        let applied = u.apply(ids, &op, PubsubDefault(false));
        assert!(applied.is_ok(), "{op:?} in {text}");
    }
    u
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn described_user_reparses_to_the_same_user(picks in proptest::collection::vec(0..RULES.len(), 0..14)) {
        let ids = CommandIds::new(&crate::commands::table());
        let rules: Vec<&str> = picks.iter().map(|&i| RULES[i]).collect();
        let u = build(&ids, &rules);
        let text = u.describe();
        let again = reparse(&ids, &text);
        prop_assert_eq!(&again.describe(), &text);
        prop_assert_eq!(&again.passwords, &u.passwords);
        prop_assert_eq!(again.selectors.len(), u.selectors.len());
        for (a, b) in again.selectors.iter().zip(&u.selectors) {
            prop_assert_eq!(&a.allowed, &b.allowed);
            prop_assert_eq!(&a.keys, &b.keys);
            prop_assert_eq!(&a.channels, &b.channels);
            prop_assert_eq!(a.all_keys, b.all_keys);
            prop_assert_eq!(a.all_channels, b.all_channels);
            prop_assert_eq!(&a.first_args, &b.first_args);
        }
    }
}
