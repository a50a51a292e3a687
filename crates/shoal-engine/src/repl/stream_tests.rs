//! The stream's own encoder against the RESP codec, appends across block boundaries, and
//! how often a waiting link is woken.

use super::stream::{command_len, put_command, Stream};
use crate::effects::{Effect, TO_ALL};
use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn set(db: usize, i: usize, value_len: usize) -> Effect {
    Effect {
        db,
        args: vec![
            Bytes::from_static(b"SET"),
            Bytes::from(format!("key:{i}")),
            Bytes::from(vec![b'v'; value_len]),
        ],
        targets: TO_ALL,
    }
}

fn encoded(args: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    shoal_resp::encode_command(args, &mut out);
    out.to_vec()
}

fn read_all(stream: &Stream, from: u64) -> Vec<u8> {
    let mut out = Vec::new();
    stream.read(1, from, usize::MAX, &mut out);
    out
}

proptest! {
    /// The in-place encoder writes what the RESP codec writes, and says how long it is.
    #[test]
    fn put_command_matches_encode_command(
        args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..14),
    ) {
        let mut out = Vec::new();
        put_command(&mut out, &args);
        prop_assert_eq!(out.len(), command_len(&args));
        prop_assert_eq!(out, encoded(&args));
    }

    /// Effects of any size, in any databases, read back as their encodings in order, with
    /// a SELECT wherever the database changes, across block boundaries.
    #[test]
    fn fed_effects_read_back_as_encoded(
        effects in prop::collection::vec((0usize..3, 0usize..40_000), 1..40),
    ) {
        let stream = Stream::default();
        stream.ensure(true);
        let mut model = Vec::new();
        let mut db = None;
        for (i, &(d, len)) in effects.iter().enumerate() {
            let e = set(d, i, len);
            stream.feed(&e);
            if db != Some(d) {
                model.extend(encoded(&[&b"SELECT"[..], d.to_string().as_bytes()]));
                db = Some(d);
            }
            model.extend(encoded(&e.args));
        }
        prop_assert_eq!(stream.end(), model.len() as u64);
        prop_assert_eq!(read_all(&stream, 1), model);
    }
}

#[test]
fn a_waiting_link_is_woken_once_per_batch_and_reads_every_byte() {
    let stream = Stream::default();
    stream.ensure(true);
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mut pos = 1;
    // The first command selects its database first.
    let mut model = encoded(&[&b"SELECT"[..], b"0"]);
    for round in 0..3 {
        assert_eq!(stream.poll_data(pos, &mut cx), Poll::Pending);
        for i in 0..100 {
            let e = set(0, round * 100 + i, 10);
            stream.feed(&e);
            model.extend(encoded(&e.args));
        }
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            round + 1,
            "one wake per batch"
        );
        assert_eq!(stream.poll_data(pos, &mut cx), Poll::Ready(()));
        let got = read_all(&stream, pos);
        pos += got.len() as u64;
        let start = model.len() - got.len();
        assert_eq!(&got[..], &model[start..]);
    }
    assert_eq!(read_all(&stream, 1), model);
    assert_eq!(pos, stream.end() + 1);
}

#[test]
fn appends_while_the_link_is_busy_wake_nobody() {
    let stream = Stream::default();
    stream.ensure(true);
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    stream.feed(&set(0, 0, 1));
    // Data is there: the link does not register and is not woken by what follows.
    assert_eq!(stream.poll_data(1, &mut cx), Poll::Ready(()));
    stream.feed(&set(0, 1, 1));
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    assert!(
        stream.append_command(&[b"PING"]),
        "a backlog exists, so PING is appended"
    );
    assert!(read_all(&stream, 1).ends_with(b"*1\r\n$4\r\nPING\r\n"));
}

#[test]
fn the_stream_and_every_listener_receive_each_effect() {
    let bus = crate::effects::EffectBus::default();
    bus.stream.ensure(true);
    bus.keep_active();
    let mut model = Vec::new();
    let mut emit = |i: usize| {
        let e = set(0, i, 3);
        model.extend(encoded(&e.args));
        bus.emit(0, e.args);
    };
    emit(0);
    let a = bus.subscribe();
    let b = bus.subscribe();
    emit(1);
    emit(2);
    drop(a);
    emit(3);
    drop(b);
    emit(4);
    emit(5);
    assert_eq!(bus.sent(), 6);
    let select = encoded(&[&b"SELECT"[..], b"0"]);
    assert_eq!(read_all(&bus.stream, 1)[select.len()..], model[..]);
}

#[test]
fn listeners_get_their_own_copies_in_order() {
    let bus = crate::effects::EffectBus::default();
    let a = bus.subscribe();
    let b = bus.subscribe();
    for i in 0..3 {
        bus.emit(i, set(i, i, 1).args);
    }
    for rx in [a, b] {
        let got: Vec<Effect> = rx.try_iter().collect();
        assert_eq!(got, (0..3).map(|i| set(i, i, 1)).collect::<Vec<_>>());
    }
    // Nobody listens and the stream is not fed: emitting stops costing anything.
    bus.emit(0, set(0, 9, 1).args);
    assert!(!bus.is_active());
}

#[test]
fn only_urgent_appends_wake_a_gathering_link() {
    let stream = Stream::default();
    stream.ensure(true);
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mark = stream.urgent();
    assert_eq!(stream.poll_urgent(mark, &mut cx), Poll::Pending);
    for i in 0..10 {
        stream.feed(&set(0, i, 1));
    }
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        0,
        "writes leave it gathering"
    );
    assert_eq!(stream.poll_urgent(mark, &mut cx), Poll::Pending);
    assert!(stream.append_command(&[b"REPLCONF", b"GETACK", b"*"]));
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(stream.poll_urgent(mark, &mut cx), Poll::Ready(()));
    // A mark taken afterwards waits for the next one.
    assert_eq!(stream.poll_urgent(stream.urgent(), &mut cx), Poll::Pending);
}
