//! ACL SETUSER / GETUSER / LIST / USERS / CAT / GENPASS / DRYRUN / SAVE / LOAD replies.

use super::tests::field;
use crate::testing::*;
use shoal_resp::Frame;

#[test]
fn getuser_of_default_and_of_a_new_user() {
    let mut h = Harness::new();
    let d = h.run(&["ACL", "GETUSER", "default"]);
    assert_eq!(
        field(&d, "flags"),
        Some(bulks(&["on", "nopass", "sanitize-payload"]))
    );
    assert_eq!(field(&d, "passwords"), Some(arr(vec![])));
    assert_eq!(field(&d, "commands"), Some(bulk("+@all")));
    assert_eq!(field(&d, "keys"), Some(bulk("~*")));
    assert_eq!(field(&d, "channels"), Some(bulk("&*")));
    assert_eq!(field(&d, "selectors"), Some(arr(vec![])));
    assert_eq!(h.run(&["ACL", "GETUSER", "nobody"]), Frame::Null);
    assert_eq!(
        h.run(&[
            "ACL",
            "SETUSER",
            "u",
            "on",
            ">p1",
            "~a*",
            "%R~r*",
            "&ch*",
            "-@all",
            "+get",
            "(~x* +set)"
        ]),
        ok()
    );
    let u = h.run(&["ACL", "GETUSER", "u"]);
    assert_eq!(field(&u, "flags"), Some(bulks(&["on", "sanitize-payload"])));
    assert_eq!(
        field(&u, "passwords"),
        Some(bulks(&[
            "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"
        ]))
    );
    assert_eq!(field(&u, "commands"), Some(bulk("-@all +get")));
    assert_eq!(field(&u, "keys"), Some(bulk("~a* %R~r*")));
    assert_eq!(field(&u, "channels"), Some(bulk("&ch*")));
    assert_eq!(
        field(&u, "selectors"),
        Some(arr(vec![Frame::Map(vec![
            (bulk("commands"), bulk("-@all +set")),
            (bulk("keys"), bulk("~x*")),
            (bulk("channels"), bulk("")),
        ])]))
    );
    h.resp3();
    let u = h.run(&["ACL", "GETUSER", "u"]);
    assert_eq!(
        field(&u, "flags"),
        Some(Frame::Set(vec![bulk("on"), bulk("sanitize-payload")]))
    );
}

#[test]
fn list_and_users_are_sorted_by_name() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "zed"]);
    h.run(&["ACL", "SETUSER", "amy", "on", "nopass", "allkeys", "+@read"]);
    assert_eq!(h.run(&["ACL", "USERS"]), bulks(&["amy", "default", "zed"]));
    assert_eq!(
        h.run(&["ACL", "LIST"]),
        bulks(&[
            "user amy on nopass sanitize-payload ~* resetchannels -@all +@read",
            "user default on nopass sanitize-payload ~* &* +@all",
            "user zed off sanitize-payload resetchannels -@all",
        ])
    );
}

#[test]
fn setuser_errors_change_nothing() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "+get"]);
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "+set", "+nosuch"]),
        err("ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL")
    );
    assert_eq!(
        field(&h.run(&["ACL", "GETUSER", "u"]), "commands"),
        Some(bulk("-@all +get"))
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "(+get", "~a"]),
        err("ERR Unmatched parenthesis in acl selector starting at '(+get'.")
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "a b"]),
        err("ERR Usernames can't contain spaces or null characters")
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "~*", "~a"]),
        err("ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "<nope"]),
        err("ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist")
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "#xyz"]),
        err("ERR Error in ACL SETUSER modifier '#xyz': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "+config|get|x"]),
        err("ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported")
    );
    assert_eq!(
        h.run(&["ACL", "SETUSER", "u", "bogus"]),
        err("ERR Error in ACL SETUSER modifier 'bogus': Syntax error")
    );
}

#[test]
fn cat_lists_categories_and_their_commands() {
    let mut h = Harness::new();
    let Frame::Array(cats) = h.run(&["ACL", "CAT"]) else {
        panic!("ACL CAT is an array");
    };
    assert_eq!(cats.len(), 21);
    assert_eq!(cats[0], bulk("keyspace"));
    assert_eq!(cats[20], bulk("scripting"));
    let Frame::Array(strings) = h.run(&["ACL", "CAT", "STRING"]) else {
        panic!("ACL CAT string is an array");
    };
    assert!(strings.contains(&bulk("get")) && strings.contains(&bulk("incr")));
    assert!(!strings.contains(&bulk("lpush")));
    let Frame::Array(admin) = h.run(&["ACL", "CAT", "admin"]) else {
        panic!("ACL CAT admin is an array");
    };
    assert!(admin.contains(&bulk("acl|setuser")) && admin.contains(&bulk("client|kill")));
    assert_eq!(
        h.run(&["ACL", "CAT", "nosuch"]),
        err("ERR Unknown category 'nosuch'")
    );
}

#[test]
fn genpass_gives_hex_of_the_requested_bits() {
    let mut h = Harness::new();
    let len = |f: Frame| f.as_bytes().map_or(0, |b| b.len());
    assert_eq!(len(h.run(&["ACL", "GENPASS"])), 64);
    assert_eq!(len(h.run(&["ACL", "GENPASS", "5"])), 2);
    let p = h.run(&["ACL", "GENPASS", "128"]);
    assert!(p
        .as_bytes()
        .is_some_and(|b| b.len() == 32 && b.iter().all(|c| c.is_ascii_hexdigit())));
    let msg = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
    assert_eq!(h.run(&["ACL", "GENPASS", "0"]), err(msg));
    assert_eq!(h.run(&["ACL", "GENPASS", "4097"]), err(msg));
}

#[test]
fn dryrun_tells_without_running() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "+get", "~k*", "&c"]);
    assert_eq!(h.run(&["ACL", "DRYRUN", "u", "get", "k1"]), ok());
    assert_eq!(
        h.run(&["ACL", "DRYRUN", "u", "set", "k1", "v"]),
        bulk("User u has no permissions to run the 'set' command")
    );
    assert_eq!(
        h.run(&["ACL", "DRYRUN", "u", "get", "x"]),
        bulk("User u has no permissions to access the 'x' key")
    );
    assert_eq!(
        h.run(&["ACL", "DRYRUN", "nobody", "get", "x"]),
        err("ERR User 'nobody' not found")
    );
    assert_eq!(
        h.run(&["ACL", "DRYRUN", "u", "nosuch"]),
        err("ERR Command 'nosuch' not found")
    );
    assert_eq!(
        h.run(&["ACL", "DRYRUN", "u", "get"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(h.run(&["GET", "k1"]), Frame::Null);
}

#[test]
fn save_and_load_need_an_acl_file_and_round_trip() {
    let mut h = Harness::new();
    let no_file = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
    assert_eq!(h.run(&["ACL", "SAVE"]), err(no_file));
    assert_eq!(h.run(&["ACL", "LOAD"]), err(no_file));
    let dir = std::env::temp_dir().join(format!("shoal-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("users.acl");
    let path_text = path.to_string_lossy().into_owned();
    let _ = h.engine.inner().config.set_startup("aclfile", &path_text);
    h.run(&[
        "ACL",
        "SETUSER",
        "u",
        "on",
        ">p",
        "~a*",
        "+get",
        "(+set ~s*)",
    ]);
    let before = h.run(&["ACL", "LIST"]);
    assert_eq!(h.run(&["ACL", "SAVE"]), ok());
    h.run(&["ACL", "DELUSER", "u"]);
    h.run(&["ACL", "SETUSER", "v"]);
    assert_eq!(h.run(&["ACL", "LOAD"]), ok());
    assert_eq!(h.run(&["ACL", "LIST"]), before);
    std::fs::write(&path, "user a on +nosuch\nfoo bar\n").ok();
    let reply = h.run(&["ACL", "LOAD"]);
    let text = super::tests::text_of(&reply);
    assert!(
        text.contains(
            ":1: Error in applying operation '+nosuch': Unknown command or category name in ACL. "
        ),
        "{text}"
    );
    assert!(
        text.contains(":2 should start with user keyword followed by the username. "),
        "{text}"
    );
    assert!(text.ends_with("WARNING: ACL errors detected, no change to the previously active ACL rules was performed"), "{text}");
    assert_eq!(h.run(&["ACL", "LIST"]), before);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_lists_the_subcommands() {
    let mut h = Harness::new();
    let Frame::Array(lines) = h.run(&["ACL", "HELP"]) else {
        panic!("ACL HELP is an array");
    };
    assert_eq!(lines.len(), 29);
    assert_eq!(
        lines[0],
        simple("ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
}
