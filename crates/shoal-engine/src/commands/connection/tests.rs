use crate::testing::{bulk, err, int, ok, simple, Harness};
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};

fn args(a: &[&str]) -> Vec<Bytes> {
    a.iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

fn text(f: &Frame) -> String {
    String::from_utf8_lossy(f.as_bytes().map(|b| b.as_ref()).unwrap_or(b"")).into_owned()
}

fn map_get<'a>(f: &'a Frame, key: &str) -> Option<&'a Frame> {
    match f {
        Frame::Map(pairs) => pairs.iter().find(|(k, _)| *k == bulk(key)).map(|(_, v)| v),
        _ => None,
    }
}

#[test]
fn ping_echo_select_basics() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["PING"]), simple("PONG"));
    assert_eq!(h.run(&["PING", "hi"]), bulk("hi"));
    assert_eq!(
        h.run(&["PING", "a", "b"]),
        err("ERR wrong number of arguments for 'ping' command")
    );
    assert_eq!(h.run(&["ECHO", "x"]), bulk("x"));
    assert_eq!(h.run(&["SELECT", "3"]), ok());
    assert_eq!(h.session.state().db, 3);
    assert_eq!(
        h.run(&["SELECT", "16"]),
        err("ERR DB index is out of range")
    );
}

#[test]
fn hello_3_switches_protocol_and_replies_a_map() {
    let mut h = Harness::new();
    let reply = h.run(&["HELLO", "3"]);
    assert_eq!(h.session.state().protocol, Protocol::Resp3);
    assert_eq!(
        h.session
            .state()
            .handle
            .resp
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    let id = h.session.state().id() as i64;
    assert_eq!(map_get(&reply, "server"), Some(&bulk("redis")));
    assert_eq!(map_get(&reply, "version"), Some(&bulk("7.2.4")));
    assert_eq!(map_get(&reply, "proto"), Some(&int(3)));
    assert_eq!(map_get(&reply, "id"), Some(&int(id)));
    assert_eq!(map_get(&reply, "mode"), Some(&bulk("standalone")));
    assert_eq!(map_get(&reply, "role"), Some(&bulk("master")));
    assert_eq!(map_get(&reply, "modules"), Some(&Frame::Array(vec![])));
    let Frame::Map(pairs) = &reply else {
        panic!("not a map")
    };
    assert_eq!(pairs.len(), 7);
}

#[test]
fn hello_without_version_keeps_protocol() {
    let mut h = Harness::new();
    h.resp3();
    let reply = h.run(&["HELLO"]);
    assert_eq!(map_get(&reply, "proto"), Some(&int(3)));
    h.run(&["HELLO", "2"]);
    assert_eq!(h.session.state().protocol, Protocol::Resp2);
}

#[test]
fn hello_errors() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["HELLO", "4"]),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        h.run(&["HELLO", "x"]),
        err("ERR Protocol version is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["HELLO", "3", "FOO"]),
        err("ERR Syntax error in HELLO option 'FOO'")
    );
    assert_eq!(
        h.run(&["HELLO", "3", "AUTH", "u"]),
        err("ERR Syntax error in HELLO option 'AUTH'")
    );
    assert_eq!(
        h.run(&["HELLO", "3", "AUTH", "bob", "pw"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    // A failed HELLO changes nothing.
    assert_eq!(h.session.state().protocol, Protocol::Resp2);
    assert_eq!(
        h.run(&["HELLO", "3", "SETNAME", "a b"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
}

#[test]
fn hello_auth_default_and_setname() {
    let mut h = Harness::new();
    let reply = h.run(&["HELLO", "2", "AUTH", "default", "any", "SETNAME", "me"]);
    assert!(matches!(reply, Frame::Map(_)));
    assert_eq!(h.run(&["CLIENT", "GETNAME"]), bulk("me"));
}

#[test]
fn auth_without_configured_password() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["AUTH", "pw"]),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    assert_eq!(h.run(&["AUTH", "default", "pw"]), ok());
    assert_eq!(
        h.run(&["AUTH", "bob", "pw"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(h.run(&["AUTH", "a", "b", "c"]), err("ERR syntax error"));
}

#[test]
fn quit_replies_ok_and_closes() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["QUIT"]), ok());
    assert!(h.session.should_close());
}

#[test]
fn reset_restores_the_initial_state() {
    let mut h = Harness::new();
    h.run(&["SELECT", "2"]);
    h.run(&["HELLO", "3", "SETNAME", "x"]);
    h.run(&["CLIENT", "NO-TOUCH", "on"]);
    h.run(&["CLIENT", "NO-EVICT", "on"]);
    assert_eq!(h.run(&["RESET"]), simple("RESET"));
    let s = h.session.state();
    assert_eq!(s.db, 0);
    assert_eq!(s.protocol, Protocol::Resp2);
    assert!(!s.no_touch);
    assert_eq!(h.run(&["CLIENT", "GETNAME"]), Frame::Null);
    let info = text(&h.run(&["CLIENT", "INFO"]));
    assert!(info.contains(" flags=N "), "{info}");
    assert!(info.contains(" resp=2 "), "{info}");
}

#[test]
fn client_id_setname_getname() {
    let mut h = Harness::new();
    let id = h.session.state().id() as i64;
    assert_eq!(h.run(&["CLIENT", "ID"]), int(id));
    assert_eq!(h.run(&["CLIENT", "GETNAME"]), Frame::Null);
    assert_eq!(h.run(&["CLIENT", "SETNAME", "conn-1"]), ok());
    assert_eq!(h.run(&["CLIENT", "GETNAME"]), bulk("conn-1"));
    assert_eq!(
        h.run(&["CLIENT", "SETNAME", "a\nb"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(h.run(&["CLIENT", "SETNAME", ""]), ok());
    assert_eq!(h.run(&["CLIENT", "GETNAME"]), Frame::Null);
    assert_eq!(
        h.run(&["CLIENT", "SETNAME"]),
        err("ERR wrong number of arguments for 'client|setname' command")
    );
    assert_eq!(
        h.run(&["CLIENT", "NOPE"]),
        err("ERR unknown subcommand 'NOPE'. Try CLIENT HELP.")
    );
}

#[test]
fn client_reply_off_on_and_skip() {
    let mut h = Harness::new();
    let s = &mut h.session;
    assert_eq!(s.execute(args(&["CLIENT", "REPLY", "OFF"])), None);
    assert_eq!(s.execute(args(&["PING"])), None);
    assert_eq!(s.execute(args(&["CLIENT", "REPLY", "ON"])), Some(ok()));
    assert_eq!(s.execute(args(&["CLIENT", "REPLY", "SKIP"])), None);
    assert_eq!(s.execute(args(&["PING"])), None);
    assert_eq!(s.execute(args(&["PING"])), Some(simple("PONG")));
    assert_eq!(
        s.execute(args(&["CLIENT", "REPLY", "MAYBE"])),
        Some(err("ERR syntax error"))
    );
}

#[test]
fn client_no_evict_and_no_touch_flags() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["CLIENT", "NO-EVICT", "on"]), ok());
    assert_eq!(h.run(&["CLIENT", "NO-TOUCH", "ON"]), ok());
    assert!(h.session.state().no_touch);
    assert!(text(&h.run(&["CLIENT", "INFO"])).contains(" flags=eT "));
    assert_eq!(h.run(&["CLIENT", "NO-TOUCH", "off"]), ok());
    assert!(!h.session.state().no_touch);
    assert_eq!(
        h.run(&["CLIENT", "NO-EVICT", "maybe"]),
        err("ERR syntax error")
    );
}

#[test]
fn client_setinfo_shows_in_client_info() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]), ok());
    assert_eq!(h.run(&["CLIENT", "SETINFO", "lib-ver", "5.0"]), ok());
    let info = text(&h.run(&["CLIENT", "INFO"]));
    assert!(info.ends_with("lib-name=redis-py lib-ver=5.0\n"), "{info}");
    assert_eq!(
        h.run(&["CLIENT", "SETINFO", "lib-foo", "x"]),
        err("ERR Unrecognized option 'lib-foo'")
    );
    assert_eq!(
        h.run(&["CLIENT", "SETINFO", "lib-name", "a b"]),
        err("ERR lib-name cannot contain spaces, newlines or special characters.")
    );
}

#[test]
fn client_info_line_has_redis_fields_in_order() {
    let mut h = Harness::new();
    h.run(&["SELECT", "1"]);
    h.advance(5000);
    let reply = h.run(&["CLIENT", "INFO"]);
    assert!(matches!(reply, Frame::Verbatim { format, .. } if &format == b"txt"));
    let line = text(&reply);
    let id = h.session.state().id();
    let expected = format!(
        "id={id} addr= laddr= fd=-1 name= age=5 idle=0 flags=N db=1 sub=0 psub=0 ssub=0 \
         multi=-1 qbuf=0 qbuf-free=0 argv-mem=10 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 \
         tot-mem=10 events=r cmd=client|info user=default redir=-1 resp=2 lib-name= lib-ver=\n"
    );
    assert_eq!(line, expected);
}

#[test]
fn client_list_filters_by_type_and_id() {
    let mut h = Harness::new();
    let other = h.other_session();
    let me = h.session.state().id();
    let them = other.state().id();
    let all = text(&h.run(&["CLIENT", "LIST"]));
    assert_eq!(all.lines().count(), 2);
    assert!(all.starts_with(&format!("id={me} ")));
    let only = text(&h.run(&["CLIENT", "LIST", "ID", &them.to_string()]));
    assert!(only.starts_with(&format!("id={them} ")) && only.lines().count() == 1);
    assert_eq!(
        text(&h.run(&["CLIENT", "LIST", "TYPE", "normal"]))
            .lines()
            .count(),
        2
    );
    assert_eq!(text(&h.run(&["CLIENT", "LIST", "TYPE", "pubsub"])), "");
    assert_eq!(
        h.run(&["CLIENT", "LIST", "TYPE", "foo"]),
        err("ERR Unknown client type 'foo'")
    );
    assert_eq!(
        h.run(&["CLIENT", "LIST", "ID", "x"]),
        err("ERR Invalid client ID")
    );
    assert_eq!(h.run(&["CLIENT", "LIST", "FOO"]), err("ERR syntax error"));
}

#[test]
fn client_kill_by_id_between_sessions() {
    let mut h = Harness::new();
    let other = h.other_session();
    let them = other.state().id().to_string();
    assert_eq!(h.run(&["CLIENT", "KILL", "ID", &them]), int(1));
    assert!(other.should_close());
    assert!(!h.session.should_close());
    assert_eq!(
        h.run(&["CLIENT", "KILL", "ID", "0"]),
        err("ERR client-id should be greater than 0")
    );
    let me = h.session.state().id().to_string();
    assert_eq!(h.run(&["CLIENT", "KILL", "ID", &me]), int(0));
    assert_eq!(
        h.run(&["CLIENT", "KILL", "ID", &me, "SKIPME", "no"]),
        int(1)
    );
    assert!(h.session.should_close());
}

#[test]
fn client_kill_filters_and_old_form() {
    let mut h = Harness::new();
    let _other = h.other_session();
    assert_eq!(
        h.run(&["CLIENT", "KILL", "1.2.3.4:5"]),
        err("ERR No such client")
    );
    assert_eq!(
        h.run(&["CLIENT", "KILL", "USER", "bob"]),
        err("ERR No such user 'bob'")
    );
    assert_eq!(
        h.run(&["CLIENT", "KILL", "TYPE", "foo"]),
        err("ERR Unknown client type 'foo'")
    );
    assert_eq!(
        h.run(&["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "maybe"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["CLIENT", "KILL", "ID", "1", "ADDR"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["CLIENT", "KILL", "TYPE", "master"]), int(0));
    assert_eq!(h.run(&["CLIENT", "KILL", "USER", "default"]), int(1));
}

#[test]
fn client_help_lists_subcommands() {
    let mut h = Harness::new();
    let Frame::Array(lines) = h.run(&["CLIENT", "HELP"]) else {
        panic!("not an array")
    };
    assert!(lines.contains(&simple("SETNAME <name>")));
    assert_eq!(lines.last(), Some(&simple("    Prints this help.")));
}

#[test]
fn client_kill_by_address_of_a_tcp_client() {
    let mut h = Harness::new();
    let tcp = h.engine.session_for(crate::clients::ClientInfo {
        kind: crate::clients::ClientKind::Tcp,
        addr: "10.0.0.1:5000".into(),
        laddr: "127.0.0.1:6379".into(),
        fd: 9,
    });
    let id = tcp.state().id();
    let list = text(&h.run(&["CLIENT", "LIST", "ID", &id.to_string()]));
    assert!(
        list.starts_with(&format!(
            "id={id} addr=10.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name= "
        )),
        "{list}"
    );
    assert!(list.contains(" cmd=NULL "), "{list}");
    assert_eq!(
        h.run(&["CLIENT", "KILL", "LADDR", "127.0.0.1:6379"]),
        int(1)
    );
    assert!(tcp.should_close());
    assert_eq!(h.run(&["CLIENT", "KILL", "10.0.0.1:5000"]), ok());
    assert_eq!(h.run(&["CLIENT", "KILL", "ADDR", "10.0.0.2:1"]), int(0));
}

#[test]
fn client_tracking_queries_report_tracking_off() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["CLIENT", "GETREDIR"]), int(-1));
    assert_eq!(
        h.run(&["CLIENT", "TRACKINGINFO"]),
        Frame::Map(vec![
            (bulk("flags"), Frame::Set(vec![bulk("off")])),
            (bulk("redirect"), int(-1)),
            (bulk("prefixes"), Frame::Array(vec![])),
        ])
    );
    assert_eq!(
        h.run(&["CLIENT", "CACHING", "yes"]),
        err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
    );
}
