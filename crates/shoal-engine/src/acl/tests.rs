//! The rule language: parsing, errors, descriptions, password hashing, the check.

use super::check::{check, Denied};
use super::ids::CommandIds;
use super::user::{hash_password, merge_selectors, PubsubDefault, RuleError, User};
use bytes::Bytes;

fn ids() -> CommandIds {
    CommandIds::new(&crate::commands::table())
}

fn user(ids: &CommandIds, rules: &[&str]) -> Result<User, RuleError> {
    let mut u = User::new(Bytes::from_static(b"u"), ids, PubsubDefault(false));
    let args: Vec<Bytes> = rules.iter().map(|r| Bytes::from(r.to_string())).collect();
    for op in merge_selectors(&args).map_err(|_| RuleError::Syntax)? {
        u.apply(ids, &op, PubsubDefault(false))?;
    }
    Ok(u)
}

fn ok(ids: &CommandIds, rules: &[&str]) -> User {
    match user(ids, rules) {
        Ok(u) => u,
        Err(e) => panic!("{rules:?}: {e:?}"),
    }
}

fn argv(a: &[&str]) -> Vec<Bytes> {
    a.iter().map(|s| Bytes::from(s.to_string())).collect()
}

fn allowed(u: &User, ids: &CommandIds, a: &[&str]) -> Result<(), Denied> {
    let table = crate::commands::table();
    let args = argv(a);
    let top = table.get(&args[0]).copied();
    let Some(top) = top else {
        return Err(Denied::Command);
    };
    let spec = match args.get(1) {
        Some(sub) if !top.subcommands.is_empty() => {
            *crate::command::find_subcommand(&top, sub).unwrap_or(&top)
        }
        _ => top,
    };
    check(u, ids, &spec, &args)
}

#[test]
fn password_hash_is_sha256_hex() {
    assert_eq!(
        hash_password(b"password"),
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
    );
    assert_eq!(hash_password(b"").len(), 64);
}

#[test]
fn new_user_is_off_with_nothing_allowed() {
    let ids = ids();
    let u = ok(&ids, &[]);
    assert_eq!(u.describe(), "off sanitize-payload resetchannels -@all");
    assert_eq!(allowed(&u, &ids, &["get", "k"]), Err(Denied::Command));
}

#[test]
fn default_user_describes_as_redis_7_2() {
    let ids = ids();
    let d = User::default_user(&ids, PubsubDefault(false));
    assert_eq!(d.describe(), "on nopass sanitize-payload ~* &* +@all");
    assert!(d.unrestricted());
}

#[test]
fn passwords_add_remove_and_hash_rules() {
    let ids = ids();
    let h = hash_password(b"p2");
    let u = ok(&ids, &["on", ">p1", &format!("#{h}"), "<p1"]);
    assert_eq!(u.passwords, vec![h.clone()]);
    assert!(u.password_ok(b"p2"));
    assert!(!u.password_ok(b"p1"));
    assert_eq!(user(&ids, &["<nope"]), Err(RuleError::NoSuchPassword));
    assert_eq!(user(&ids, &["#abc"]), Err(RuleError::BadHash));
    assert_eq!(
        user(&ids, &[&format!("#{}", h.to_uppercase())]),
        Err(RuleError::BadHash)
    );
    let u = ok(&ids, &[">x", &format!("!{}", hash_password(b"x"))]);
    assert!(u.passwords.is_empty());
    let u = ok(&ids, &[">x", "nopass"]);
    assert!(u.nopass && u.passwords.is_empty() && u.password_ok(b"anything"));
    let u = ok(&ids, &["nopass", "resetpass"]);
    assert!(!u.nopass && !u.password_ok(b"anything"));
}

#[test]
fn command_rules_keep_order_and_compact() {
    let ids = ids();
    let u = ok(&ids, &["+get", "+client|list", "+@string", "-incr", "+get"]);
    assert_eq!(
        u.root().describe_commands(),
        "-@all +client|list +@string -incr +get"
    );
    let u = ok(&ids, &["+@all", "-flushall", "-client", "+client|id"]);
    assert_eq!(
        u.root().describe_commands(),
        "+@all -flushall -client +client|id"
    );
    let u = ok(&ids, &["+client|id", "-client"]);
    assert_eq!(u.root().describe_commands(), "-@all -client");
    let u = ok(&ids, &["+get", "nocommands"]);
    assert_eq!(u.root().describe_commands(), "-@all");
}

#[test]
fn command_rule_errors() {
    let ids = ids();
    assert_eq!(user(&ids, &["+nosuch"]), Err(RuleError::Unknown));
    assert_eq!(user(&ids, &["-nosuch"]), Err(RuleError::Unknown));
    assert_eq!(user(&ids, &["+@nosuch"]), Err(RuleError::Unknown));
    assert_eq!(user(&ids, &["+client|nosuch"]), Err(RuleError::Unknown));
    assert_eq!(
        user(&ids, &["+config|get|x"]),
        Err(RuleError::FirstArgOfSubcommand)
    );
    assert_eq!(user(&ids, &["+select|"]), Err(RuleError::Syntax));
    assert_eq!(user(&ids, &["bogus"]), Err(RuleError::Syntax));
    assert_eq!(user(&ids, &["~*", "~a"]), Err(RuleError::KeyAfterAll));
    assert_eq!(user(&ids, &["&*", "&a"]), Err(RuleError::ChannelAfterAll));
    assert_eq!(user(&ids, &["%X~a"]), Err(RuleError::Syntax));
    assert_eq!(user(&ids, &["%RR~a"]), Err(RuleError::Syntax));
    assert_eq!(user(&ids, &["%R"]), Err(RuleError::Syntax));
}

#[test]
fn command_and_category_rules_allow_and_refuse() {
    let ids = ids();
    let u = ok(&ids, &["allkeys", "+@string", "-incr", "+client|list"]);
    assert_eq!(allowed(&u, &ids, &["get", "k"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["incr", "k"]), Err(Denied::Command));
    assert_eq!(
        allowed(&u, &ids, &["lpush", "k", "v"]),
        Err(Denied::Command)
    );
    assert_eq!(allowed(&u, &ids, &["client", "list"]), Ok(()));
    assert_eq!(
        allowed(&u, &ids, &["client", "kill", "x"]),
        Err(Denied::Command)
    );
    // no-auth commands are always allowed.
    assert_eq!(allowed(&u, &ids, &["auth", "a", "b"]), Ok(()));
    let u = ok(&ids, &["allkeys", "+@all", "-@dangerous"]);
    assert_eq!(allowed(&u, &ids, &["flushall"]), Err(Denied::Command));
    assert_eq!(allowed(&u, &ids, &["get", "k"]), Ok(()));
}

#[test]
fn first_argument_rules_allow_one_argument_only() {
    let ids = ids();
    let u = ok(&ids, &["+select|0"]);
    assert_eq!(allowed(&u, &ids, &["select", "0"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["select", "1"]), Err(Denied::Command));
    assert_eq!(u.root().describe_commands(), "-@all +select|0");
}

#[test]
fn key_patterns_with_read_and_write_permissions() {
    let ids = ids();
    let u = ok(&ids, &["+@all", "~a*", "%R~r*", "%W~w*"]);
    assert_eq!(allowed(&u, &ids, &["get", "a1"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["get", "r1"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["get", "w1"]), Err(Denied::Key(1)));
    assert_eq!(allowed(&u, &ids, &["set", "w1", "v"]), Ok(()));
    assert_eq!(
        allowed(&u, &ids, &["set", "w1", "v", "GET"]),
        Err(Denied::Key(1))
    );
    assert_eq!(allowed(&u, &ids, &["set", "r1", "v"]), Err(Denied::Key(1)));
    assert_eq!(allowed(&u, &ids, &["incr", "w1"]), Err(Denied::Key(1)));
    assert_eq!(allowed(&u, &ids, &["lpush", "w1", "x"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["exists", "w1"]), Ok(()));
    assert_eq!(
        allowed(&u, &ids, &["mget", "a", "r", "z"]),
        Err(Denied::Key(3))
    );
    assert_eq!(
        allowed(&u, &ids, &["lmove", "a1", "w1", "LEFT", "LEFT"]),
        Ok(())
    );
    assert_eq!(
        allowed(&u, &ids, &["lmove", "w1", "a1", "LEFT", "LEFT"]),
        Err(Denied::Key(1))
    );
    assert_eq!(u.root().describe_keys(), "~a* %R~r* %W~w*");
    let u = ok(&ids, &["%R~k", "%W~k"]);
    assert_eq!(u.root().describe_keys(), "~k");
    let u = ok(&ids, &["~a", "resetkeys", "~b"]);
    assert_eq!(u.root().describe_keys(), "~b");
}

#[test]
fn channel_patterns_for_publish_subscribe_and_psubscribe() {
    let ids = ids();
    let u = ok(&ids, &["+@all", "allkeys", "&news.*"]);
    assert_eq!(allowed(&u, &ids, &["publish", "news.a", "m"]), Ok(()));
    assert_eq!(
        allowed(&u, &ids, &["publish", "other", "m"]),
        Err(Denied::Channel(1))
    );
    assert_eq!(
        allowed(&u, &ids, &["subscribe", "news.a", "x"]),
        Err(Denied::Channel(2))
    );
    // A pattern subscription must name one of the user's patterns literally.
    assert_eq!(allowed(&u, &ids, &["psubscribe", "news.*"]), Ok(()));
    assert_eq!(
        allowed(&u, &ids, &["psubscribe", "news.a*"]),
        Err(Denied::Channel(1))
    );
    assert_eq!(allowed(&u, &ids, &["unsubscribe", "other"]), Ok(()));
    let u = ok(&ids, &["&a", "allchannels"]);
    assert_eq!(u.root().describe_channels(), "&*");
}

#[test]
fn selectors_allow_what_any_selector_allows() {
    let ids = ids();
    let u = ok(&ids, &["+get", "~g*", "(+set", "~s*)", "(%R~r* +@read)"]);
    assert_eq!(u.selectors.len(), 3);
    assert_eq!(allowed(&u, &ids, &["get", "g1"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["set", "s1", "v"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["get", "r1"]), Ok(()));
    assert_eq!(allowed(&u, &ids, &["set", "g1", "v"]), Err(Denied::Key(1)));
    assert_eq!(allowed(&u, &ids, &["del", "x"]), Err(Denied::Command));
    assert_eq!(
        u.describe(),
        "off sanitize-payload ~g* resetchannels -@all +get (~s* resetchannels -@all +set) \
         (%R~r* resetchannels -@all +@read)"
    );
    let u2 = ok(&ids, &["+get", "(+set)", "clearselectors"]);
    assert_eq!(u2.selectors.len(), 1);
    assert_eq!(merge_selectors(&argv(&["(+get", "~a"])), Err(0));
}

#[test]
fn reset_returns_a_user_to_its_initial_state() {
    let ids = ids();
    let u = ok(&ids, &["on", ">p", "~*", "&*", "+@all", "(+get)", "reset"]);
    assert_eq!(u.describe(), "off sanitize-payload resetchannels -@all");
}

#[test]
fn flags_list_in_redis_order() {
    let ids = ids();
    let u = ok(&ids, &["on", "nopass", "skip-sanitize-payload"]);
    assert_eq!(
        u.flag_names(),
        vec!["on", "nopass", "skip-sanitize-payload"]
    );
}

#[test]
fn channels_taken_away_are_found_across_selectors() {
    use super::gate::upcoming_channels;
    let ids = ids();
    let before = ok(&ids, &["&news.*", "(&sports.* +get)"]);
    // The same patterns, spread differently over the selectors: nothing was taken.
    let same = ok(&ids, &["&sports.*", "(&news.* +get)"]);
    assert_eq!(upcoming_channels(&same, &before), None);
    // Any selector with every channel: nothing was taken.
    let all = ok(&ids, &["resetchannels", "(allchannels +get)"]);
    assert_eq!(upcoming_channels(&all, &before), None);
    // A pattern dropped: the remaining list is what subscriptions are checked against.
    let fewer = ok(&ids, &["&news.*"]);
    assert_eq!(
        upcoming_channels(&fewer, &before),
        Some(vec![Bytes::from_static(b"news.*")])
    );
    // Having had every channel, any list is narrower.
    let had_all = ok(&ids, &["allchannels"]);
    assert_eq!(
        upcoming_channels(&before, &had_all),
        Some(vec![
            Bytes::from_static(b"news.*"),
            Bytes::from_static(b"sports.*")
        ])
    );
}
