//! Host calls per `select` and per echo round trip on wasm32-wasip2 (the
//! WASI 0.2 backend, and the WASI 0.3 one with `--cfg mio_wasip3`),
//! counted by the test-only `host-call-count` feature
//! (`mio::wasi::host_calls`): a wait costs a fixed number of host calls
//! however many sources are registered, and so does an echo round trip.
//!
//! cargo test --target wasm32-wasip2 --features os-poll,net,host-call-count --test wasi_host_calls
#![cfg(all(
    target_os = "wasi",
    target_env = "p2",
    feature = "os-poll",
    feature = "net",
    feature = "host-call-count"
))]

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::wasi::host_calls;
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);
const MSG: usize = 64;

/// A connected pair on `poll`: (client, server), both registered for
/// reading, plus `idle` more pairs whose server sides are registered and
/// stay silent.
struct Setup {
    poll: Poll,
    events: Events,
    client: TcpStream,
    server: TcpStream,
    _listener: TcpListener,
    _idle: Vec<(TcpStream, TcpStream)>,
}

fn accept(poll: &mut Poll, events: &mut Events, listener: &TcpListener) -> TcpStream {
    for _ in 0..100 {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(events, Some(Duration::from_millis(100))).unwrap()
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    panic!("nothing to accept");
}

fn setup(idle: usize) -> Setup {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let mut idle_pairs = Vec::new();
    for i in 0..idle {
        let client = TcpStream::connect(addr).unwrap();
        let mut server = accept(&mut poll, &mut events, &listener);
        poll.registry()
            .register(&mut server, Token(100 + i), Interest::READABLE)
            .unwrap();
        idle_pairs.push((client, server));
    }
    let mut client = TcpStream::connect(addr).unwrap();
    let mut server = accept(&mut poll, &mut events, &listener);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    Setup {
        poll,
        events,
        client,
        server,
        _listener: listener,
        _idle: idle_pairs,
    }
}

/// Polls (no timeout) until `token` is readable.
fn wait_for(s: &mut Setup, token: Token) {
    loop {
        s.poll.poll(&mut s.events, None).unwrap();
        if s.events.iter().any(|e| e.token() == token) {
            return;
        }
    }
}

/// Reads until `WouldBlock`; returns the bytes read.
fn drain(stream: &mut TcpStream, buf: &mut [u8]) -> usize {
    let mut got = 0;
    loop {
        assert!(got < buf.len(), "more data than expected");
        match stream.read(&mut buf[got..]) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return got,
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// One round trip; returns the host calls of the server's part (wait,
/// read until `WouldBlock`, write back) and of the whole round trip.
fn round_trip(s: &mut Setup) -> (u64, u64) {
    let mut buf = [0u8; 4 * MSG];
    let start = host_calls();
    s.client.write_all(&[0x5a; MSG]).unwrap();
    let server_start = host_calls();
    wait_for(s, SERVER);
    let n = drain(&mut s.server, &mut buf);
    assert_eq!(n, MSG, "the message did not come in one piece");
    s.server.write_all(&buf[..n]).unwrap();
    let server_calls = host_calls() - server_start;
    wait_for(s, CLIENT);
    assert_eq!(drain(&mut s.client, &mut buf), MSG);
    (server_calls, host_calls() - start)
}

/// Host calls of the server's part of an echo round trip with `idle`
/// silent connections: the same for any `idle`, and at most
/// [`ROUND_TRIP_CALLS`].
fn echo_calls(idle: usize) -> (u64, u64) {
    let mut s = setup(idle);
    // Warm up: pollables are created on first use, and the selector
    // checks the host's `pollable.ready` answers for a while.
    for _ in 0..50 {
        round_trip(&mut s);
    }
    let rounds = 100;
    let (mut server, mut total) = (0, 0);
    for _ in 0..rounds {
        let (a, b) = round_trip(&mut s);
        server += a;
        total += b;
    }
    println!(
        "idle={idle}: host calls per round trip: server {:.2}, server and client {:.2}",
        server as f64 / rounds as f64,
        total as f64 / rounds as f64
    );
    (server, rounds)
}

#[test]
fn echo_round_trip_host_calls_do_not_grow_with_idle_connections() {
    for idle in [0, 10, 100] {
        let (server, rounds) = echo_calls(idle);
        // A message split in two by the host would cost one read more;
        // allow that for a few round trips in a hundred.
        assert!(
            server <= ROUND_TRIP_CALLS * rounds + rounds / 20,
            "{server} host calls for {rounds} round trips with {idle} idle connections"
        );
    }
}

/// Host calls of the server's part of an echo round trip. WASI 0.2: the
/// wait, a read, the read that would block, `check-write` and `write`.
#[cfg(not(mio_wasip3))]
const ROUND_TRIP_CALLS: u64 = 5;
/// WASI 0.3: the wait (2, see [`WAIT_CALLS`]), starting the next read
/// into the socket's buffer, and the write; the read that would block
/// finds the buffer empty without asking the host.
#[cfg(mio_wasip3)]
const ROUND_TRIP_CALLS: u64 = 4;

/// Host calls of a `select` that waits for one event, without and with a
/// timeout. WASI 0.2: `poll` alone; with a timeout also the clock's
/// `subscribe-duration` and its drop.
#[cfg(not(mio_wasip3))]
const WAIT_CALLS: (u64, u64) = (1, 3);
/// WASI 0.3: `waitable-set.wait` and the `waitable-set.poll` that finds
/// nothing more; with a timeout first a `waitable-set.poll` (so that no
/// timer is started when something is pending), then the timer's
/// `wait-for` and `waitable.join`, and after the wait its leaving the set,
/// `subtask.cancel` and `subtask.drop`.
#[cfg(mio_wasip3)]
const WAIT_CALLS: (u64, u64) = (2, 8);

#[test]
fn a_wait_costs_a_fixed_number_of_host_calls_whatever_the_number_of_sources() {
    for idle in [0, 10, 100] {
        let mut s = setup(idle);
        let mut buf = [0u8; 4 * MSG];
        for _ in 0..3 {
            s.client.write_all(&[1; MSG]).unwrap();
            wait_for(&mut s, SERVER);
            drain(&mut s.server, &mut buf);
        }
        s.client.write_all(&[1; MSG]).unwrap();
        let before = host_calls();
        wait_for(&mut s, SERVER);
        let untimed = host_calls() - before;
        drain(&mut s.server, &mut buf);

        s.client.write_all(&[1; MSG]).unwrap();
        let before = host_calls();
        loop {
            s.poll
                .poll(&mut s.events, Some(Duration::from_secs(5)))
                .unwrap();
            if s.events.iter().any(|e| e.token() == SERVER) {
                break;
            }
        }
        let timed = host_calls() - before;
        println!(
            "idle={idle}: host calls per select: {untimed} without a timeout, {timed} with one"
        );
        assert_eq!(untimed, WAIT_CALLS.0, "{idle} idle connections");
        assert_eq!(timed, WAIT_CALLS.1, "{idle} idle connections");
    }
}
