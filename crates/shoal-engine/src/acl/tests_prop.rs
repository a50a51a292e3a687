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

/// The rules ACL GETUSER's fields spell: flags, `#hash` passwords, then keys, channels and
/// commands of the root and of each selector.
fn getuser_rules(u: &User) -> String {
    let sel = |s: &super::user::Selector| {
        let mut parts = vec![s.describe_keys()];
        if s.all_channels {
            parts.push("&*".into());
        } else {
            parts.push("resetchannels".into());
            parts.push(s.describe_channels());
        }
        parts.push(s.describe_commands());
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    };
    let mut words: Vec<String> = u.flag_names().iter().map(|f| f.to_string()).collect();
    words.extend(u.passwords.iter().map(|p| format!("#{p}")));
    words.push(sel(u.root()));
    for s in &u.selectors[1..] {
        words.push(format!("({})", sel(s)));
    }
    words.join(" ")
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
        let from_getuser = reparse(&ids, &getuser_rules(&u));
        prop_assert_eq!(&from_getuser.describe(), &text);
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
