//! The wire: pipelining, inline commands, protocol errors, hostile input.

use shoal_tests::TestServer;

#[test]
fn pipelined_requests_are_answered_in_order_in_one_batch() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let mut req = Vec::new();
    for i in 0..100 {
        req.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n$2\r\nk{}\r\n$1\r\n{}\r\n",
                i % 10,
                i % 10
            )
            .as_bytes(),
        );
    }
    req.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$2\r\nk7\r\n");
    let expected: Vec<u8> = [b"+OK\r\n".repeat(100), b"$1\r\n7\r\n".to_vec()].concat();
    assert_eq!(raw.roundtrip(&req, &expected), expected);
}

#[test]
fn inline_commands_work_like_telnet() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let expected = b"+PONG\r\n+OK\r\n$3\r\na b\r\n";
    assert_eq!(
        raw.roundtrip(b"PING\r\nSET k \"a b\"\nGET k\r\n\r\n", expected),
        expected
    );
}

#[test]
fn malformed_multibulk_gets_protocol_error_and_close() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let expected = b"-ERR Protocol error: invalid multibulk length\r\n";
    assert_eq!(raw.roundtrip(b"*abc\r\n", expected), expected);
    assert!(raw.closed());
}

#[test]
fn expected_dollar_error_names_the_byte() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let expected = b"-ERR Protocol error: expected '$', got 'x'\r\n";
    assert_eq!(raw.roundtrip(b"*1\r\nxyz\r\n", expected), expected);
    assert!(raw.closed());
}

#[test]
fn huge_bulk_length_is_refused_without_waiting_for_data() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let expected = b"-ERR Protocol error: invalid bulk length\r\n";
    assert_eq!(raw.roundtrip(b"*1\r\n$99999999999\r\n", expected), expected);
    assert!(raw.closed());
}

#[test]
fn unbalanced_quotes_are_a_protocol_error() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let expected = b"-ERR Protocol error: unbalanced quotes in request\r\n";
    assert_eq!(raw.roundtrip(b"SET k \"abc\r\n", expected), expected);
    assert!(raw.closed());
}

#[test]
fn unknown_command_lists_its_arguments_and_keeps_the_connection() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let expected =
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n+PONG\r\n";
    assert_eq!(raw.roundtrip(b"NOSUCH a b\r\nPING\r\n", expected), expected);
}

#[test]
fn arity_errors_name_the_command() {
    let s = TestServer::start();
    let mut c = s.client();
    let err = redis::cmd("GET")
        .query::<()>(&mut c)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("wrong number of arguments for 'get' command"),
        "{err}"
    );
}

#[test]
fn random_and_truncated_bytes_never_stop_the_server() {
    let s = TestServer::start();
    // A fixed-seed generator keeps the run reproducible and bounded.
    let mut state: u64 = 0x1234_5678;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..200 {
        let mut raw = s.raw();
        let len = (next() % 256) as usize;
        let mut junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 3 == 0 {
            // Truncated but well-formed prefixes.
            junk = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc".to_vec();
            junk.truncate(len.min(junk.len()));
        }
        raw.send(&junk);
    }
    let mut c = s.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap_or_default();
    assert_eq!(pong, "PONG");
}

#[test]
fn binary_keys_and_values_round_trip() {
    let s = TestServer::start();
    let mut c = s.client();
    let key: Vec<u8> = (0..=255u8).collect();
    let value: Vec<u8> = b"\r\n\0\xff\r\n".to_vec();
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(&value)
        .query(&mut c)
        .unwrap_or_default();
    let got: Vec<u8> = redis::cmd("GET")
        .arg(&key)
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(got, value);
}
