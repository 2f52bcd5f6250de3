//! `mio::windows::NamedPipe`: connect, both directions, end of stream,
//! registration misuse.

#![cfg(all(windows, feature = "os-ext"))]

use std::fs::OpenOptions;
use std::io::{self, IoSlice, Read, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{FromRawHandle, IntoRawHandle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mio::windows::NamedPipe;
use mio::{Events, Interest, Poll, Token};

const SERVER: Token = Token(0);
const CLIENT: Token = Token(1);
/// `FILE_FLAG_OVERLAPPED` from the Windows SDK.
const FILE_FLAG_OVERLAPPED: u32 = 0x4000_0000;
const WAIT: Duration = Duration::from_secs(10);

fn pipe_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        r"\\.\pipe\mio-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn open_client(name: &str) -> NamedPipe {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(FILE_FLAG_OVERLAPPED)
        .open(name)
        .expect("open client end");
    // SAFETY: a named pipe handle opened for overlapped I/O, owned by us.
    unsafe { NamedPipe::from_raw_handle(file.into_raw_handle()) }
}

/// Polls until an event for `token` satisfying `pred` arrives.
fn expect_event(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    pred: impl Fn(&mio::event::Event) -> bool,
) {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < WAIT {
        poll.poll(events, Some(step)).expect("poll");
        if events.iter().any(|e| e.token() == token && pred(e)) {
            return;
        }
        waited += step;
    }
    panic!("no matching event for {token:?} within {WAIT:?}");
}

/// Reads until `len` bytes arrived, waiting for readable events.
fn read_all(
    poll: &mut Poll,
    events: &mut Events,
    pipe: &mut NamedPipe,
    token: Token,
    len: usize,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < len {
        match pipe.read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream after {} bytes", out.len()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                expect_event(poll, events, token, |e| e.is_readable());
            }
            Err(e) => panic!("read: {e}"),
        }
    }
    out
}

/// Writes everything, waiting for writable events.
fn write_all(
    poll: &mut Poll,
    events: &mut Events,
    pipe: &mut NamedPipe,
    token: Token,
    mut data: &[u8],
) {
    while !data.is_empty() {
        match pipe.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                expect_event(poll, events, token, |e| e.is_writable());
            }
            Err(e) => panic!("write: {e}"),
        }
    }
}

fn connected_pair(poll: &mut Poll, events: &mut Events) -> (NamedPipe, NamedPipe) {
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).expect("create pipe");
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .expect("register server");
    match server.connect() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("connect without a client: {other:?}"),
    }
    let mut client = open_client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .expect("register client");
    expect_event(poll, events, SERVER, |e| e.is_writable());
    server.connect().expect("connect after the writable event");
    (server, client)
}

#[test]
fn echo_both_directions() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = connected_pair(&mut poll, &mut events);

    write_all(&mut poll, &mut events, &mut client, CLIENT, b"ping");
    assert_eq!(
        read_all(&mut poll, &mut events, &mut server, SERVER, 4),
        b"ping"
    );
    write_all(&mut poll, &mut events, &mut server, SERVER, b"pong");
    assert_eq!(
        read_all(&mut poll, &mut events, &mut client, CLIENT, 4),
        b"pong"
    );

    // More than the pipe and both internal buffers hold: write and read
    // in turns, waiting for any event when neither side can proceed.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let mut idle_polls = 0;
    while received.len() < big.len() {
        let mut progressed = false;
        if sent < big.len() {
            match client.write(&big[sent..]) {
                Ok(n) => {
                    sent += n;
                    progressed = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("write: {e}"),
            }
        }
        match server.read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => {
                received.extend_from_slice(&buf[..n]);
                progressed = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
        if !progressed {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .expect("poll");
            idle_polls = if events.is_empty() { idle_polls + 1 } else { 0 };
            assert!(
                idle_polls < 100,
                "transfer stalled at {sent} sent, {} received",
                received.len()
            );
        }
    }
    assert_eq!(received, big);
}

#[test]
fn client_close_is_end_of_stream() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = connected_pair(&mut poll, &mut events);
    write_all(&mut poll, &mut events, &mut client, CLIENT, b"last");
    drop(client);
    assert_eq!(
        read_all(&mut poll, &mut events, &mut server, SERVER, 4),
        b"last"
    );
    let mut buf = [0u8; 8];
    loop {
        match server.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => panic!("unexpected data after close: {:?}", &buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                expect_event(&mut poll, &mut events, SERVER, |e| e.is_readable());
            }
            Err(e) => panic!("read: {e}"),
        }
    }
    // Ready for the next client.
    server.disconnect().expect("disconnect");
}

#[test]
fn registration_errors() {
    let poll = Poll::new().expect("poll");
    let other = Poll::new().expect("poll");
    let mut server = NamedPipe::new(pipe_name()).expect("create pipe");
    let err = server.connect().expect_err("connect before register");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = poll
        .registry()
        .deregister(&mut server)
        .expect_err("deregister before register");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    let err = poll
        .registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect_err("second register");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    poll.registry()
        .reregister(&mut server, SERVER, Interest::WRITABLE)
        .expect("reregister");
    poll.registry().deregister(&mut server).expect("deregister");
    // The handle stays bound to the first port.
    let err = other
        .registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect_err("register with another poll");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register again with the first poll");
}

/// A server end without a client has nothing to report: no event after
/// registering (even with a zero timeout), none while `connect` waits, and
/// the writable event once a client opens the pipe (as in mio).
#[test]
fn server_without_client_reports_nothing() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).expect("create pipe");
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .expect("register server");
    for timeout in [Duration::ZERO, Duration::from_millis(100)] {
        poll.poll(&mut events, Some(timeout)).expect("poll");
        let got: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
        assert!(
            got.is_empty(),
            "events without a client ({timeout:?}): {got:?}"
        );
    }
    match server.connect() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("connect without a client: {other:?}"),
    }
    poll.poll(&mut events, Some(Duration::from_millis(100)))
        .expect("poll");
    let got: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
    assert!(got.is_empty(), "events while connecting: {got:?}");

    let _client = open_client(&name);
    expect_event(&mut poll, &mut events, SERVER, |e| e.is_writable());
    server.connect().expect("connect after the writable event");
}

/// `reregister` and `deregister` through another `Poll`'s registry are
/// refused with `AlreadyExists` (as mio does, and as `register` does), and
/// leave the registration as it was.
#[test]
fn reregister_with_another_poll_is_already_exists() {
    let mut poll = Poll::new().expect("poll");
    let other = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let (mut server, _client) = connected_pair(&mut poll, &mut events);
    let err = other
        .registry()
        .reregister(&mut server, SERVER, Interest::WRITABLE)
        .expect_err("reregister with another poll");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert!(err.to_string().contains("different `Registry`"), "{err}");
    let err = other
        .registry()
        .deregister(&mut server)
        .expect_err("deregister with another poll");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    // Still registered with the first one.
    poll.registry()
        .reregister(&mut server, SERVER, Interest::WRITABLE)
        .expect("reregister with the first poll");
    expect_event(&mut poll, &mut events, SERVER, |e| e.is_writable());
    poll.registry().deregister(&mut server).expect("deregister");
}

#[test]
fn client_opens_before_connect() {
    // The client may open the pipe before the server calls `connect`:
    // `connect` then succeeds at once and reads must still be reported.
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).expect("create pipe");
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .expect("register server");
    let mut client = open_client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .expect("register client");
    server.connect().expect("connect with a client waiting");
    write_all(&mut poll, &mut events, &mut client, CLIENT, b"early");
    // Wait for the readable event before the first read (as tokio does):
    // the event must come without a read having returned WouldBlock.
    expect_event(&mut poll, &mut events, SERVER, |e| e.is_readable());
    assert_eq!(
        read_all(&mut poll, &mut events, &mut server, SERVER, 5),
        b"early"
    );
    write_all(&mut poll, &mut events, &mut server, SERVER, b"reply");
    assert_eq!(
        read_all(&mut poll, &mut events, &mut client, CLIENT, 5),
        b"reply"
    );
}

/// A vectored write takes every buffer in one call (one `WriteFile`), not
/// only the first as `Write`'s default does.
#[test]
fn write_vectored_joins_buffers() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = connected_pair(&mut poll, &mut events);
    let bufs = [
        IoSlice::new(b"head "),
        IoSlice::new(b""),
        IoSlice::new(b"and body"),
    ];
    let n = loop {
        match client.write_vectored(&bufs) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                expect_event(&mut poll, &mut events, CLIENT, |e| e.is_writable());
            }
            Err(e) => panic!("write_vectored: {e}"),
        }
    };
    assert_eq!(n, 13, "bytes taken by one write_vectored");
    let got = read_all(&mut poll, &mut events, &mut server, SERVER, 13);
    assert_eq!(got, b"head and body");
}
