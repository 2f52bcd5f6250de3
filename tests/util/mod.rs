//! Helpers shared by the integration tests.
//!
//! Every test binary includes this module with `mod util;` and uses only a
//! part of it, hence the `dead_code` allowance.

#![allow(dead_code, unused_macros, unused_imports)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::ops::BitOr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mio::event::{Event, Source};
use mio::{Events, Interest, Poll, Token};

/// How long a test waits for an event it expects before declaring it lost.
/// This is a hang guard, not a performance assertion: a correct
/// implementation delivers the event in microseconds.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(10);

/// How long a test waits to convince itself that *no* event arrives.
pub const QUIET_PERIOD: Duration = Duration::from_millis(100);

/// A `Poll` and an `Events` buffer with room for 64 events.
pub fn init_with_poll() -> (Poll, Events) {
    let poll = Poll::new().expect("unable to create a Poll instance");
    (poll, Events::with_capacity(64))
}

/// 127.0.0.1 with a port chosen by the OS.
pub fn any_local_address() -> SocketAddr {
    "127.0.0.1:0".parse().expect("valid address")
}

/// [::1] with a port chosen by the OS.
pub fn any_local_ipv6_address() -> SocketAddr {
    "[::1]:0".parse().expect("valid address")
}

/// Whether the host has a usable IPv6 loopback address.
pub fn ipv6_available() -> bool {
    std::net::UdpSocket::bind("[::1]:0").is_ok()
}

/// Whether std interop (`from_std`, the raw-fd traits) is unavailable
/// here, which on wasm32-wasip2 depends on the toolchain's wasi-libc; then
/// prints the skip line with the reason. `false` on every other target.
pub fn no_std_interop(name: &str) -> bool {
    #[cfg(all(target_os = "wasi", target_env = "p2"))]
    if let Err(err) = mio::wasi::std_interop() {
        skip(name, &err.to_string());
        return true;
    }
    let _ = name;
    false
}

/// Prints the standard skip line.
pub fn skip(name: &str, why: &str) {
    println!("SKIP {name}: {why}");
}

/// Whether the test runs under jco (Node.js), whose WASI 0.2 emulation
/// differs from wasmtime's in places; the runner says so by setting
/// `MIO_WASI_HOST=jco`, which jco passes on to the component.
pub fn host_is_jco() -> bool {
    cfg!(target_os = "wasi") && std::env::var("MIO_WASI_HOST").as_deref() == Ok("jco")
}

/// For a socket feature a WASI host lacks: on WASI, checks that `result` is
/// the backend's `Unsupported` error naming the host, prints the skip line
/// for `name` with that message and returns `true`. Elsewhere returns
/// `false` without looking at `result`: the caller checks the feature.
pub fn unsupported_on_wasi<T: std::fmt::Debug>(name: &str, result: &io::Result<T>) -> bool {
    if !cfg!(target_os = "wasi") {
        return false;
    }
    match result {
        Err(e) if e.kind() == io::ErrorKind::Unsupported && e.to_string().contains("WASI") => {
            skip(name, &e.to_string());
            true
        }
        other => panic!("{name}: expected Unsupported naming the WASI host, got {other:?}"),
    }
}

/// Readiness an event is expected to carry (all listed flags must be set).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Readiness(u8);

impl Readiness {
    pub const READABLE: Readiness = Readiness(1);
    pub const WRITABLE: Readiness = Readiness(1 << 1);
    pub const ERROR: Readiness = Readiness(1 << 2);
    pub const READ_CLOSED: Readiness = Readiness(1 << 3);
    pub const WRITE_CLOSED: Readiness = Readiness(1 << 4);

    fn contains(self, other: Readiness) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn of(event: &Event) -> Readiness {
        let mut r = 0;
        if event.is_readable() {
            r |= Self::READABLE.0;
        }
        if event.is_writable() {
            r |= Self::WRITABLE.0;
        }
        if event.is_error() {
            r |= Self::ERROR.0;
        }
        if event.is_read_closed() {
            r |= Self::READ_CLOSED.0;
        }
        if event.is_write_closed() {
            r |= Self::WRITE_CLOSED.0;
        }
        Readiness(r)
    }
}

impl BitOr for Readiness {
    type Output = Readiness;
    fn bitor(self, other: Readiness) -> Readiness {
        Readiness(self.0 | other.0)
    }
}

impl From<Interest> for Readiness {
    fn from(interest: Interest) -> Readiness {
        let mut r = Readiness(0);
        if interest.is_readable() {
            r = r | Readiness::READABLE;
        }
        if interest.is_writable() {
            r = r | Readiness::WRITABLE;
        }
        r
    }
}

/// One event a test waits for.
#[derive(Debug)]
pub struct ExpectEvent {
    token: Token,
    readiness: Readiness,
}

impl ExpectEvent {
    pub fn new<R: Into<Readiness>>(token: Token, readiness: R) -> ExpectEvent {
        ExpectEvent {
            token,
            readiness: readiness.into(),
        }
    }

    fn matches(&self, event: &Event) -> bool {
        event.token() == self.token && Readiness::of(event).contains(self.readiness)
    }
}

/// Polls until every expected event has been seen at least once.
///
/// Panics (naming what is missing) if they do not all arrive within
/// [`EVENT_DEADLINE`].
pub fn expect_events(poll: &mut Poll, events: &mut Events, mut expected: Vec<ExpectEvent>) {
    let deadline = Instant::now() + EVENT_DEADLINE;
    let mut seen = Vec::new();
    while !expected.is_empty() {
        let now = Instant::now();
        assert!(
            now < deadline,
            "expected events not delivered: missing {expected:?}, got {seen:?}"
        );
        poll.poll(events, Some(deadline - now))
            .expect("poll failed");
        for event in events.iter() {
            seen.push(format!("{event:?}"));
            expected.retain(|e| !e.matches(event));
        }
    }
}

/// Polls for [`QUIET_PERIOD`] and asserts that no event at all arrives.
pub fn expect_no_events(poll: &mut Poll, events: &mut Events) {
    poll.poll(events, Some(QUIET_PERIOD)).expect("poll failed");
    let got: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
    assert!(events.is_empty(), "unexpected events: {got:?}");
}

/// Polls for [`QUIET_PERIOD`] and asserts that no event for `token` arrives.
pub fn expect_no_event_for(poll: &mut Poll, events: &mut Events, token: Token) {
    poll.poll(events, Some(QUIET_PERIOD)).expect("poll failed");
    for event in events.iter() {
        assert_ne!(event.token(), token, "unexpected event: {event:?}");
    }
}

/// Polls until `done` returns true after a poll; `done` sees each batch of
/// events. Panics if a poll returns no event for [`EVENT_DEADLINE`].
pub fn poll_until<F>(poll: &mut Poll, events: &mut Events, mut done: F)
where
    F: FnMut(&Events) -> bool,
{
    loop {
        poll.poll(events, Some(EVENT_DEADLINE))
            .expect("poll failed");
        assert!(
            !events.is_empty(),
            "no event within {EVENT_DEADLINE:?}: the test is stuck"
        );
        if done(events) {
            return;
        }
    }
}

/// Asserts that `result` is a `WouldBlock` error.
pub fn assert_would_block<T: std::fmt::Debug>(result: io::Result<T>) {
    match result {
        Err(ref err) if err.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

/// Asserts that `result` is an error of `kind` whose message contains `text`.
pub fn assert_error<T: std::fmt::Debug>(result: io::Result<T>, kind: io::ErrorKind, text: &str) {
    match result {
        Err(err) => {
            assert_eq!(err.kind(), kind, "wrong error kind: {err:?}");
            assert!(
                err.to_string().contains(text),
                "error message {:?} does not contain {text:?}",
                err.to_string()
            );
        }
        Ok(value) => panic!("expected an error ({kind:?}, {text:?}), got Ok({value:?})"),
    }
}

/// For registration misuse: debug builds detect it before the OS and name
/// the problem (`text`); release builds return the OS's error of the same
/// kind, with the OS's wording.
pub fn assert_misuse<T: std::fmt::Debug>(result: io::Result<T>, kind: io::ErrorKind, text: &str) {
    if cfg!(debug_assertions) {
        assert_error(result, kind, text);
    } else {
        let err = result.expect_err("misuse must fail");
        assert_eq!(err.kind(), kind, "wrong error kind: {err:?}");
    }
}

pub fn assert_send<T: Send>() {}
pub fn assert_sync<T: Sync>() {}

/// Reads everything currently available; returns the bytes and whether the
/// read hit end of stream (`Ok(0)`) rather than `WouldBlock`.
pub fn read_available<R: Read>(reader: &mut R) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return (out, false),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
}

/// Polls until `len` bytes were read from `reader` (registered with `token`
/// for readable events) and returns them.
pub fn read_exactly<R: Read>(
    poll: &mut Poll,
    events: &mut Events,
    reader: &mut R,
    token: Token,
    len: usize,
) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let (data, eof) = read_available(reader);
        out.extend_from_slice(&data);
        assert!(out.len() <= len, "read more than expected");
        if out.len() == len {
            return out;
        }
        assert!(!eof, "unexpected end of stream after {} bytes", out.len());
        expect_events(
            poll,
            events,
            vec![ExpectEvent::new(token, Interest::READABLE)],
        );
    }
}

/// Waits for events on `token` and reads until end of stream, the portable
/// way (every event is followed by reads until `WouldBlock` or EOF).
/// Returns the data and whether any of the events said `read_closed`.
pub fn read_to_end_polled<R: Read>(
    poll: &mut Poll,
    events: &mut Events,
    reader: &mut R,
    token: Token,
) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + EVENT_DEADLINE;
    let mut out = Vec::new();
    let mut read_closed = false;
    loop {
        let mut got_event = false;
        while !got_event {
            let now = Instant::now();
            assert!(
                now < deadline,
                "end of stream not reached after {} bytes",
                out.len()
            );
            poll.poll(events, Some(deadline - now))
                .expect("poll failed");
            for event in events.iter().filter(|e| e.token() == token) {
                got_event = true;
                read_closed |= event.is_read_closed();
            }
        }
        let (data, eof) = read_available(reader);
        out.extend_from_slice(&data);
        if eof {
            return (out, read_closed);
        }
    }
}

/// A deterministic byte pattern of length `len`, different per `seed`.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(u32::from(seed)) as u8 ^ (i >> 12) as u8)
        .collect()
}

/// Sends `a_to_b` from `a` to `b` and `b_to_a` from `b` to `a` at the same
/// time, through one `Poll`, with edge-triggered readiness: every operation
/// runs until `WouldBlock` before the next poll. Returns what each side read.
pub fn transfer_both_ways<S>(a: &mut S, b: &mut S, a_to_b: &[u8], b_to_a: &[u8])
where
    S: Read + Write + Source,
{
    const A: Token = Token(1);
    const B: Token = Token(2);
    let (mut poll, mut events) = init_with_poll();
    let both = Interest::READABLE | Interest::WRITABLE;
    poll.registry().register(a, A, both).expect("register a");
    poll.registry().register(b, B, both).expect("register b");

    let mut a_sent = 0;
    let mut b_sent = 0;
    let mut a_received = Vec::with_capacity(b_to_a.len());
    let mut b_received = Vec::with_capacity(a_to_b.len());
    let mut buf = vec![0u8; 64 * 1024];

    fn write_some<W: Write>(w: &mut W, data: &[u8], sent: &mut usize) {
        while *sent < data.len() {
            match w.write(&data[*sent..]) {
                Ok(0) => panic!("write returned 0"),
                Ok(n) => *sent += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => panic!("write failed: {err}"),
            }
        }
    }
    fn read_some<R: Read>(r: &mut R, out: &mut Vec<u8>, want: usize, buf: &mut [u8]) {
        while out.len() < want {
            match r.read(buf) {
                Ok(0) => panic!("unexpected end of stream after {} bytes", out.len()),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => panic!("read failed: {err}"),
            }
        }
    }

    loop {
        write_some(a, a_to_b, &mut a_sent);
        write_some(b, b_to_a, &mut b_sent);
        read_some(a, &mut a_received, b_to_a.len(), &mut buf);
        read_some(b, &mut b_received, a_to_b.len(), &mut buf);
        if a_received.len() == b_to_a.len() && b_received.len() == a_to_b.len() {
            break;
        }
        // Every unfinished operation returned WouldBlock: an event must come.
        poll.poll(&mut events, Some(EVENT_DEADLINE))
            .expect("poll failed");
        assert!(
            !events.is_empty(),
            "transfer stalled: a->b {}/{} sent {}, b->a {}/{} sent {}",
            b_received.len(),
            a_to_b.len(),
            a_sent,
            a_received.len(),
            b_to_a.len(),
            b_sent
        );
        for event in events.iter() {
            assert!(event.token() == A || event.token() == B, "{event:?}");
            assert!(!event.is_error(), "error event during transfer: {event:?}");
        }
    }
    assert_eq!(a_sent, a_to_b.len());
    assert_eq!(b_sent, b_to_a.len());
    assert!(b_received == a_to_b, "data from a to b corrupted");
    assert!(a_received == b_to_a, "data from b to a corrupted");
    poll.registry().deregister(a).expect("deregister a");
    poll.registry().deregister(b).expect("deregister b");
}

/// A path for a Unix socket, unique per process and call, in the temp dir.
pub fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("mio-test-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}
