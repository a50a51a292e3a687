//! CONFIG REWRITE and users: without an `aclfile` the users are written into the config
//! file as `user` lines (as ACL LIST shows them) and a server started from that file has
//! the same users; with an `aclfile` no `user` line is written. Checked on real
//! `shoal-server` processes.

use redis::{Connection, Value};
use shoal_tests::process::{free_port, server_binary};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `shoal-server` started from a config file, killed on drop.
struct FromFile {
    child: Child,
    port: u16,
}

impl FromFile {
    fn start(conf: &Path, port: u16) -> FromFile {
        let child = Command::new(server_binary())
            .arg(conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start shoal-server: {e}"));
        let server = FromFile { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "shoal-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn client(&self) -> Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .unwrap_or_else(|e| panic!("connect: {e}"))
    }
}

impl Drop for FromFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shoal-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn run(con: &mut Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

fn strings(con: &mut Connection, args: &[&str]) -> Vec<String> {
    match run(con, args) {
        Ok(v) => redis::from_redis_value(v).unwrap_or_else(|e| panic!("{args:?}: {e}")),
        Err(e) => panic!("{args:?}: {e}"),
    }
}

fn ok(con: &mut Connection, args: &[&str]) {
    let r = run(con, args);
    assert!(r.is_ok(), "{args:?}: {r:?}");
}

#[test]
fn config_rewrite_writes_users_and_they_load_back() {
    let dir = scratch("rewrite-users");
    let conf = dir.join("shoal.conf");
    let port = free_port();
    let text = format!(
        "port {port}\nbind 127.0.0.1\nsave \"\"\ndir {}\n# users\nuser old on nopass ~* +@all\n",
        dir.display()
    );
    std::fs::write(&conf, text).unwrap_or_else(|e| panic!("{e}"));
    let server = FromFile::start(&conf, port);
    let mut con = server.client();
    ok(
        &mut con,
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">pw",
            "~app:*",
            "&news.*",
            "+get",
            "(~x* +set)",
        ],
    );
    ok(
        &mut con,
        &["ACL", "SETUSER", "bob", "off", "%R~logs:*", "+@read"],
    );
    ok(&mut con, &["ACL", "DELUSER", "old"]);
    ok(&mut con, &["CONFIG", "SET", "hz", "20"]);
    let before = strings(&mut con, &["ACL", "LIST"]);
    ok(&mut con, &["CONFIG", "REWRITE"]);
    let written = std::fs::read_to_string(&conf).unwrap_or_default();
    let user_lines: Vec<&str> = written.lines().filter(|l| l.starts_with("user ")).collect();
    assert_eq!(user_lines, before, "{written}");
    // The first user takes the place of the old `user` line; the others follow the
    // appended directives, as Redis writes them.
    let lines: Vec<&str> = written.lines().collect();
    let at = |needle: &str| lines.iter().position(|l| l.starts_with(needle));
    assert_eq!(at("user alice"), Some(5), "{written}");
    assert!(at("hz 20") < at("user bob"), "{written}");
    drop(con);
    drop(server);
    let server = FromFile::start(&conf, port);
    let mut con = server.client();
    assert_eq!(strings(&mut con, &["ACL", "LIST"]), before);
    let mut alice = redis::Client::open(format!("redis://alice:pw@127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("alice logs in after the restart: {e}"));
    ok(&mut alice, &["GET", "app:1"]);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_rewrite_with_an_aclfile_writes_no_user_lines() {
    let dir = scratch("rewrite-aclfile");
    let conf = dir.join("shoal.conf");
    let acl = dir.join("users.acl");
    std::fs::write(&acl, "user default on nopass ~* &* +@all\n").unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let text = format!(
        "port {port}\nbind 127.0.0.1\nsave \"\"\ndir {}\naclfile {}\n",
        dir.display(),
        acl.display()
    );
    std::fs::write(&conf, text).unwrap_or_else(|e| panic!("{e}"));
    let server = FromFile::start(&conf, port);
    let mut con = server.client();
    ok(&mut con, &["ACL", "SETUSER", "carol", "on", ">pw", "+@all"]);
    ok(&mut con, &["CONFIG", "REWRITE"]);
    let written = std::fs::read_to_string(&conf).unwrap_or_default();
    assert!(
        !written.lines().any(|l| l.starts_with("user ")),
        "{written}"
    );
    // The file still starts a server (users in both places would stop it).
    drop(con);
    drop(server);
    let server = FromFile::start(&conf, port);
    let mut con = server.client();
    assert_eq!(
        strings(&mut con, &["ACL", "USERS"]),
        vec!["default".to_string()]
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
