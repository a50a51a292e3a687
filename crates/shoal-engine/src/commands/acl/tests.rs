//! ACL commands, authentication and enforcement through the engine.

use crate::clients::{ClientInfo, ClientKind};
use crate::testing::*;
use crate::Session;
use bytes::Bytes;
use shoal_resp::Frame;

/// A session as a TCP client gets it (embedded sessions are always logged in).
pub(super) fn tcp(h: &Harness) -> Session {
    h.engine.session_for(ClientInfo {
        kind: ClientKind::Tcp,
        addr: "127.0.0.1:40000".into(),
        laddr: "127.0.0.1:6379".into(),
        fd: 7,
    })
}

/// The text of an error, bulk, verbatim or simple reply.
pub(super) fn text_of(f: &Frame) -> String {
    match f {
        Frame::Error(b) | Frame::Bulk(b) | Frame::Simple(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Frame::Verbatim { data, .. } => String::from_utf8_lossy(data).into_owned(),
        other => format!("{other:?}"),
    }
}

pub(super) fn run(s: &mut Session, args: &[&str]) -> Frame {
    s.call(args.iter().map(|a| Bytes::from(a.to_string())).collect())
}

/// The value of `field` in a flat or map reply.
pub(super) fn field(reply: &Frame, name: &str) -> Option<Frame> {
    match reply {
        Frame::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| *k == bulk(name))
            .map(|(_, v)| v.clone()),
        _ => None,
    }
}

#[test]
fn requirepass_makes_new_clients_authenticate() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["CONFIG", "SET", "requirepass", "s3cret"]), ok());
    let mut c = tcp(&h);
    assert_eq!(
        run(&mut c, &["GET", "k"]),
        err("NOAUTH Authentication required.")
    );
    assert_eq!(run(&mut c, &["NOSUCH"]), h.run(&["NOSUCH"]));
    assert_eq!(
        run(&mut c, &["HELLO", "3"]),
        err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
    );
    assert_eq!(
        run(&mut c, &["AUTH", "wrong"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(run(&mut c, &["AUTH", "s3cret"]), ok());
    assert_eq!(run(&mut c, &["GET", "k"]), Frame::Null);
    assert_eq!(run(&mut c, &["ACL", "WHOAMI"]), bulk("default"));
    // RESET logs the client out.
    assert_eq!(run(&mut c, &["RESET"]), simple("RESET"));
    assert_eq!(
        run(&mut c, &["GET", "k"]),
        err("NOAUTH Authentication required.")
    );
    assert_eq!(run(&mut c, &["AUTH", "default", "s3cret"]), ok());
    assert_eq!(
        h.run(&["CONFIG", "GET", "requirepass"]),
        Frame::Map(vec![(bulk("requirepass"), bulk("s3cret"))])
    );
    assert_eq!(h.run(&["CONFIG", "SET", "requirepass", ""]), ok());
    let mut d = tcp(&h);
    assert_eq!(run(&mut d, &["PING"]), simple("PONG"));
}

#[test]
fn hello_auth_logs_in_and_switches_protocol() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*"]);
    h.run(&["ACL", "SETUSER", "default", "off"]);
    let mut c = tcp(&h);
    assert_eq!(
        run(&mut c, &["HELLO", "3", "AUTH", "bob", "bad"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    let reply = run(&mut c, &["HELLO", "3", "AUTH", "bob", "pw"]);
    assert_eq!(field(&reply, "proto"), Some(Frame::Integer(3)));
    assert_eq!(run(&mut c, &["ACL", "WHOAMI"]), bulk("bob"));
    let line = run(&mut c, &["CLIENT", "INFO"]);
    let text = text_of(&line);
    assert!(text.contains(" user=bob "), "{text}");
}

#[test]
fn disabled_and_unknown_users_cannot_log_in() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "off1", "off", ">pw", "+@all"]);
    let mut c = tcp(&h);
    let wrong = err("WRONGPASS invalid username-password pair or user is disabled.");
    assert_eq!(run(&mut c, &["AUTH", "off1", "pw"]), wrong);
    assert_eq!(run(&mut c, &["AUTH", "ghost", "pw"]), wrong);
    assert_eq!(
        run(&mut c, &["AUTH", "pw"]),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
}

#[test]
fn noperm_replies_and_log_entries() {
    let mut h = Harness::new();
    h.run(&[
        "ACL", "SETUSER", "u", "on", ">p", "+get", "+publish", "~k*", "&ch",
    ]);
    let mut c = tcp(&h);
    assert_eq!(run(&mut c, &["AUTH", "u", "p"]), ok());
    assert_eq!(
        run(&mut c, &["SET", "k", "v"]),
        err("NOPERM User u has no permissions to run the 'set' command")
    );
    assert_eq!(
        run(&mut c, &["GET", "x"]),
        err("NOPERM No permissions to access a key")
    );
    assert_eq!(
        run(&mut c, &["PUBLISH", "other", "m"]),
        err("NOPERM No permissions to access a channel")
    );
    assert_eq!(run(&mut c, &["PUBLISH", "ch", "m"]), int(0));
    assert_eq!(
        run(&mut c, &["AUTH", "u", "bad"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    let info = text_of(&h.run(&["INFO", "stats"]));
    assert!(info.contains("acl_access_denied_auth:1\r\nacl_access_denied_cmd:1\r\nacl_access_denied_key:1\r\nacl_access_denied_channel:1\r\n"), "{info}");
    h.advance(1500);
    let Frame::Array(entries) = h.run(&["ACL", "LOG"]) else {
        panic!("ACL LOG is an array");
    };
    assert_eq!(entries.len(), 4);
    let first = &entries[0];
    assert_eq!(field(first, "reason"), Some(bulk("auth")));
    assert_eq!(field(first, "object"), Some(bulk("AUTH")));
    assert_eq!(field(first, "username"), Some(bulk("u")));
    assert_eq!(field(first, "context"), Some(bulk("toplevel")));
    assert_eq!(field(first, "age-seconds"), Some(Frame::Double(1.5)));
    assert_eq!(field(&entries[1], "reason"), Some(bulk("channel")));
    assert_eq!(field(&entries[1], "object"), Some(bulk("other")));
    assert_eq!(field(&entries[2], "reason"), Some(bulk("key")));
    assert_eq!(field(&entries[2], "object"), Some(bulk("x")));
    assert_eq!(field(&entries[3], "reason"), Some(bulk("command")));
    assert_eq!(field(&entries[3], "object"), Some(bulk("set")));
    assert_eq!(field(&entries[3], "entry-id"), Some(int(0)));
    let info = field(&entries[3], "client-info")
        .and_then(|f| f.as_bytes().cloned())
        .unwrap_or_default();
    assert!(info.starts_with(b"id="), "{info:?}");
    assert!(
        String::from_utf8_lossy(&info).contains(" cmd=set user=u "),
        "{info:?}"
    );
    let keys: Vec<Frame> = match first {
        Frame::Map(p) => p.iter().map(|(k, _)| k.clone()).collect(),
        _ => Vec::new(),
    };
    assert_eq!(
        keys,
        bulks(&[
            "count",
            "reason",
            "context",
            "object",
            "username",
            "age-seconds",
            "client-info",
            "entry-id",
            "timestamp-created",
            "timestamp-last-updated"
        ])
        .into_array()
    );
}

trait IntoArray {
    fn into_array(self) -> Vec<Frame>;
}

impl IntoArray for Frame {
    fn into_array(self) -> Vec<Frame> {
        match self {
            Frame::Array(v) => v,
            _ => Vec::new(),
        }
    }
}

#[test]
fn similar_log_entries_group_within_a_minute() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    run(&mut c, &["GET", "a"]);
    h.advance(10_000);
    run(&mut c, &["GET", "a"]);
    let log = h.run(&["ACL", "LOG"]).into_array();
    assert_eq!(log.len(), 1);
    assert_eq!(field(&log[0], "count"), Some(int(2)));
    assert_eq!(
        field(&log[0], "timestamp-last-updated"),
        Some(int(START_MS as i64 + 10_000))
    );
    assert_eq!(
        field(&log[0], "timestamp-created"),
        Some(int(START_MS as i64))
    );
    h.advance(61_000);
    run(&mut c, &["GET", "a"]);
    assert_eq!(h.run(&["ACL", "LOG", "1"]).into_array().len(), 1);
    assert_eq!(h.run(&["ACL", "LOG"]).into_array().len(), 2);
    assert_eq!(h.run(&["ACL", "LOG", "RESET"]), ok());
    assert_eq!(h.run(&["ACL", "LOG"]), arr(vec![]));
    assert_eq!(
        h.run(&["ACL", "LOG", "x"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn multi_refuses_at_queue_time_and_exec_rechecks() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass", "+@all", "~*"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    run(&mut c, &["MULTI"]);
    assert_eq!(run(&mut c, &["SET", "k", "1"]), simple("QUEUED"));
    h.run(&["ACL", "SETUSER", "u", "-set"]);
    assert_eq!(
        run(&mut c, &["SET", "k", "2"]),
        err("NOPERM User u has no permissions to run the 'set' command")
    );
    assert_eq!(
        run(&mut c, &["EXEC"]),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    h.run(&["ACL", "SETUSER", "u", "+set"]);
    run(&mut c, &["MULTI"]);
    run(&mut c, &["SET", "k", "1"]);
    run(&mut c, &["GET", "k"]);
    h.run(&["ACL", "SETUSER", "u", "-set"]);
    assert_eq!(
        run(&mut c, &["EXEC"]),
        arr(vec![
            err("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand"),
            Frame::Null,
        ])
    );
    let log = h.run(&["ACL", "LOG"]).into_array();
    assert_eq!(field(&log[0], "context"), Some(bulk("multi")));
}

#[test]
fn scripts_run_with_the_callers_rights() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass", "+eval", "+get", "~*"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    assert_eq!(
        run(&mut c, &["EVAL", "return redis.call('get', 'k')", "0"]),
        Frame::Null
    );
    let refused = run(&mut c, &["EVAL", "return redis.call('set', 'k', 'v')", "0"]);
    let text = text_of(&refused);
    assert!(
        text.starts_with(
            "ERR ACL failure in script: User u has no permissions to run the 'set' command"
        ),
        "{text}"
    );
    assert_eq!(
        run(
            &mut c,
            &["EVAL", "return redis.acl_check_cmd('set', 'k', 'v')", "0"]
        ),
        Frame::Null
    );
    assert_eq!(
        run(
            &mut c,
            &["EVAL", "return redis.acl_check_cmd('get', 'k')", "0"]
        ),
        int(1)
    );
    let log = h.run(&["ACL", "LOG"]).into_array();
    assert_eq!(field(&log[0], "context"), Some(bulk("lua")));
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
}

#[test]
fn deleting_a_user_closes_its_clients() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass", "+@all", "~*"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    assert_eq!(h.run(&["ACL", "DELUSER", "u", "nobody"]), int(1));
    assert!(c.should_close());
    assert_eq!(
        run(&mut c, &["GET", "k"]),
        err("NOAUTH Authentication required.")
    );
    assert_eq!(
        h.run(&["ACL", "DELUSER", "default"]),
        err("ERR The 'default' user cannot be removed")
    );
}

#[test]
fn changing_a_user_applies_to_its_logged_in_clients() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass", "+@all", "~*"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    assert_eq!(run(&mut c, &["SET", "k", "v"]), ok());
    h.run(&["ACL", "SETUSER", "u", "resetkeys", "~other"]);
    assert_eq!(
        run(&mut c, &["SET", "k", "v"]),
        err("NOPERM No permissions to access a key")
    );
    assert!(!c.should_close());
}

#[test]
fn client_kill_user_and_client_list_user_field() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass", "+@all"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    let list = h.run(&["CLIENT", "LIST"]);
    let text = text_of(&list);
    assert!(text.contains("user=u "), "{text}");
    assert_eq!(
        h.run(&["CLIENT", "KILL", "USER", "nobody"]),
        err("ERR No such user 'nobody'")
    );
    assert_eq!(h.run(&["CLIENT", "KILL", "USER", "u"]), int(1));
    assert!(c.should_close());
}

#[test]
fn subscribed_clients_are_closed_when_their_channels_are_revoked() {
    let mut h = Harness::new();
    h.run(&["ACL", "SETUSER", "u", "on", "nopass", "+@all", "&a*"]);
    let mut c = tcp(&h);
    run(&mut c, &["AUTH", "u", "x"]);
    run(&mut c, &["SUBSCRIBE", "a1"]);
    assert_eq!(
        run(&mut c, &["SUBSCRIBE", "b1"]),
        err("NOPERM No permissions to access a channel")
    );
    h.run(&["ACL", "SETUSER", "u", "&b*"]);
    assert!(!c.should_close());
    h.run(&["ACL", "SETUSER", "u", "resetchannels", "&b*"]);
    assert!(c.should_close());
}

#[test]
fn protected_mode_refuses_remote_clients_only_without_a_password() {
    let h = Harness::new();
    let inner = h.engine.inner();
    let remote: std::net::SocketAddr = "10.1.2.3:5000".parse().unwrap_or_else(|_| panic!());
    let local: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap_or_else(|_| panic!());
    let refusal = inner.protected_mode_refusal(&remote).unwrap_or_default();
    assert!(refusal.starts_with("DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."));
    assert!(refusal
        .ends_with("in order for the server to start accepting connections from the outside."));
    assert!(inner.protected_mode_refusal(&local).is_none());
    let _ = inner.config.set("requirepass", "x");
    crate::acl::config_changed(inner, ["requirepass"].into_iter());
    assert!(inner.protected_mode_refusal(&remote).is_none());
    let _ = inner.config.set("requirepass", "");
    crate::acl::config_changed(inner, ["requirepass"].into_iter());
    let _ = inner.config.set("protected-mode", "no");
    assert!(inner.protected_mode_refusal(&remote).is_none());
}

#[test]
fn startup_users_and_requirepass_come_from_the_configuration() {
    let config = crate::Config::new();
    let _ = config.set_startup("requirepass", "pw");
    config.startup_users.lock().push(
        ["app", "on", ">a", "~app:*", "+@all"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    let engine = crate::Engine::with_options(crate::EngineOptions {
        config,
        ..Default::default()
    });
    let acl = engine.inner().acl();
    assert!(acl.startup_error().is_none());
    assert!(acl.authenticate(b"app", b"a").is_some());
    assert!(acl.authenticate(b"default", b"pw").is_some());
    assert!(acl.authenticate(b"default", b"other").is_none());
}

#[test]
fn startup_fails_on_a_missing_acl_file() {
    let config = crate::Config::new();
    let _ = config.set_startup("aclfile", "/nonexistent/users.acl");
    let engine = crate::Engine::with_options(crate::EngineOptions {
        config,
        ..Default::default()
    });
    let e = engine.inner().acl().startup_error().unwrap_or_default();
    assert!(e.starts_with("Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/users.acl': No such file or directory"), "{e}");
}

#[test]
fn custom_commands_are_checked_like_built_in_ones() {
    use crate::command::{flags, CommandSpec};
    use crate::custom::CustomCommand;
    let touch = CustomCommand::new(
        CommandSpec::custom("app.touch")
            .arity(2)
            .flags(flags::WRITE | flags::FAST)
            .keys(1, 1, 1),
        |_ctx| Ok(Frame::ok()),
    );
    let engine = crate::Engine::with_options(crate::EngineOptions {
        commands: vec![touch],
        ..Default::default()
    });
    let mut admin = engine.session();
    run(
        &mut admin,
        &[
            "ACL",
            "SETUSER",
            "u",
            "on",
            "nopass",
            "-@all",
            "+app.touch",
            "~k*",
        ],
    );
    let mut c = engine.session_for(ClientInfo {
        kind: ClientKind::Tcp,
        addr: "127.0.0.1:1".into(),
        laddr: "127.0.0.1:2".into(),
        fd: -1,
    });
    run(&mut c, &["AUTH", "u", "x"]);
    assert_eq!(run(&mut c, &["APP.TOUCH", "k1"]), ok());
    assert_eq!(
        run(&mut c, &["APP.TOUCH", "x"]),
        err("NOPERM No permissions to access a key")
    );
    run(&mut admin, &["ACL", "SETUSER", "u", "-@write"]);
    assert_eq!(
        run(&mut c, &["APP.TOUCH", "k1"]),
        err("NOPERM User u has no permissions to run the 'app.touch' command")
    );
    let cat = run(&mut admin, &["ACL", "CAT", "write"]);
    assert!(!text_of(&cat).contains("app.touch"));
}
