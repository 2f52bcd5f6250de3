//! `Poll`, `Registry`, `Events`, `Event`, `Interest` and `Token`, plus the
//! registration rules and timeouts. Uses TCP over loopback as the event
//! source, so it runs on every platform with sockets.

#![cfg(all(feature = "os-poll", feature = "net"))]

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Registry, Token};

mod util;
use util::{
    any_local_address, assert_error, assert_misuse, assert_send, assert_sync, expect_events,
    expect_no_event_for, expect_no_events, init_with_poll, ExpectEvent, Readiness,
};

/// A connected pair: (client, accepted server side), both established.
/// Not registered. Made with this crate's sockets only (on a `Poll` of its
/// own), so it needs no std interop (which a WASI toolchain may lack).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(8);
    let mut listener = TcpListener::bind(any_local_address()).expect("bind");
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .expect("register");
    let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    poll.registry()
        .register(&mut client, Token(1), Interest::WRITABLE)
        .expect("register");
    let deadline = Instant::now() + util::EVENT_DEADLINE;
    let (mut server, mut connected) = (None, false);
    while server.is_none() || !connected {
        if server.is_none() {
            match listener.accept() {
                Ok((stream, _)) => server = Some(stream),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("accept: {e}"),
            }
        }
        if server.is_some() && connected {
            break;
        }
        assert!(Instant::now() < deadline, "the pair did not connect");
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        connected |= events
            .iter()
            .any(|e| e.token() == Token(1) && e.is_writable());
    }
    assert!(client.take_error().expect("take_error").is_none());
    poll.registry().deregister(&mut client).expect("deregister");
    (client, server.expect("accepted"))
}

#[test]
fn types_are_send_and_sync() {
    assert_send::<Poll>();
    assert_sync::<Poll>();
    assert_send::<Registry>();
    assert_sync::<Registry>();
    assert_send::<Events>();
    assert_sync::<Events>();
    assert_send::<mio::Waker>();
    assert_sync::<mio::Waker>();
    assert_send::<Token>();
    assert_send::<Interest>();
}

#[test]
fn poll_and_registry_debug() {
    let poll = Poll::new().expect("poll");
    assert!(format!("{poll:?}").starts_with("Poll"));
    assert!(format!("{:?}", poll.registry()).starts_with("Registry"));
    let clone = poll.registry().try_clone().expect("clone");
    assert!(format!("{clone:?}").starts_with("Registry"));
}

#[test]
fn token_conversions() {
    let token = Token(42);
    assert_eq!(usize::from(token), 42);
    assert_eq!(Token::from(42usize), token);
    assert_eq!(token.0, 42);
    assert!(Token(1) < Token(2));
    assert_eq!(Token(usize::MAX).0, usize::MAX);
    assert_eq!(format!("{token:?}"), "Token(42)");
    let mut set = std::collections::HashSet::new();
    set.insert(Token(1));
    set.insert(Token(1));
    set.insert(Token(2));
    assert_eq!(set.len(), 2);
    let copy = token;
    assert_eq!(copy, token.clone());
}

#[test]
fn interest_operations() {
    const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    assert!(BOTH.is_readable() && BOTH.is_writable());
    assert!(!BOTH.is_aio() && !BOTH.is_lio() && !BOTH.is_priority());
    assert_eq!(Interest::READABLE | Interest::WRITABLE, BOTH);

    let mut i = Interest::READABLE;
    i |= Interest::PRIORITY;
    assert!(i.is_readable() && i.is_priority() && !i.is_writable());

    assert_eq!(BOTH.remove(Interest::WRITABLE), Some(Interest::READABLE));
    assert_eq!(BOTH.remove(Interest::READABLE), Some(Interest::WRITABLE));
    assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    assert_eq!(
        Interest::READABLE.remove(Interest::WRITABLE),
        Some(Interest::READABLE)
    );

    assert!(Interest::AIO.is_aio() && !Interest::AIO.is_readable());
    assert!(Interest::LIO.is_lio() && !Interest::LIO.is_writable());
    assert!(Interest::PRIORITY.is_priority());

    assert_eq!(format!("{:?}", Interest::READABLE), "READABLE");
    assert_eq!(format!("{:?}", Interest::WRITABLE), "WRITABLE");
    assert_eq!(format!("{BOTH:?}"), "READABLE | WRITABLE");
    assert_eq!(format!("{:?}", Interest::AIO), "AIO");
    assert_eq!(format!("{:?}", Interest::LIO), "LIO");
    assert_eq!(format!("{:?}", Interest::PRIORITY), "PRIORITY");
    assert!(Interest::READABLE < Interest::WRITABLE);
}

#[test]
fn events_capacity_is_empty_clear_iter() {
    let (mut poll, _) = init_with_poll();
    let mut events = Events::with_capacity(16);
    assert_eq!(events.capacity(), 16);
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!(format!("{events:?}"), "[]");

    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut a, Token(1), Interest::WRITABLE)
        .expect("register");
    poll.registry()
        .register(&mut b, Token(2), Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![
            ExpectEvent::new(Token(1), Interest::WRITABLE),
            ExpectEvent::new(Token(2), Interest::WRITABLE),
        ],
    );
    // Both were writable from the start; depending on timing they came in
    // one batch or two. Re-registering makes both report again at once.
    poll.registry()
        .reregister(&mut a, Token(1), Interest::WRITABLE)
        .expect("reregister");
    poll.registry()
        .reregister(&mut b, Token(2), Interest::WRITABLE)
        .expect("reregister");
    let mut seen = 0;
    while seen < 2 {
        poll.poll(&mut events, Some(util::EVENT_DEADLINE))
            .expect("poll");
        assert!(!events.is_empty());
        let n = events.iter().count();
        assert_eq!(events.iter().len(), n);
        assert_eq!(events.iter().size_hint(), (n, Some(n)));
        assert_eq!((&events).into_iter().count(), n);
        let mut iter = events.iter();
        iter.next();
        assert_eq!(iter.len(), n - 1);
        assert_eq!(iter.clone().count(), n - 1);
        assert!(format!("{:?}", events.iter()).contains("Iter"));
        seen += n;
        assert_eq!(events.capacity(), 16);
    }
    assert_eq!(seen, 2);
    assert!(format!("{events:?}").starts_with("[Event {"));
    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!(events.capacity(), 16);
}

#[test]
fn events_capacity_limits_batch() {
    let (mut poll, _) = init_with_poll();
    let mut events = Events::with_capacity(1);
    let mut pairs: Vec<_> = (0..4).map(|_| tcp_pair()).collect();
    for (i, (a, _)) in pairs.iter_mut().enumerate() {
        poll.registry()
            .register(a, Token(i), Interest::WRITABLE)
            .expect("register");
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 4 {
        poll.poll(&mut events, Some(util::EVENT_DEADLINE))
            .expect("poll");
        assert_eq!(
            events.iter().count(),
            1,
            "capacity 1 must give one event per poll"
        );
        for event in &events {
            assert!(event.is_writable());
            seen.insert(event.token());
        }
    }
}

/// An `Events` without room is refused with `InvalidInput` at once (as
/// mio's epoll selector does) instead of returning nothing while events
/// are pending, which made a loop around it spin; nothing is consumed.
#[test]
fn events_capacity_zero() {
    let (mut poll, mut real) = init_with_poll();
    let mut empty = Events::with_capacity(0);
    assert_eq!(empty.capacity(), 0);
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(7), Interest::READABLE)
        .expect("register");
    a.write_all(b"ready").expect("write");
    let waker = mio::Waker::new(poll.registry(), Token(99)).expect("waker");
    waker.wake().expect("wake");

    for timeout in [Some(Duration::ZERO), Some(Duration::from_millis(20)), None] {
        assert_error(
            poll.poll(&mut empty, timeout),
            io::ErrorKind::InvalidInput,
            "Events::with_capacity(0)",
        );
        assert!(empty.is_empty());
        assert_eq!(empty.iter().count(), 0);
    }
    // Neither the readiness nor the wake-up was consumed.
    expect_events(
        &mut poll,
        &mut real,
        vec![
            ExpectEvent::new(Token(7), Interest::READABLE),
            ExpectEvent::new(Token(99), Interest::READABLE),
        ],
    );
    let mut buf = [0; 5];
    b.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"ready");
}

#[test]
fn event_accessors_and_debug() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(3), Interest::READABLE)
        .expect("register");
    a.write_all(b"x").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(3), Interest::READABLE)],
    );
    let event = events
        .iter()
        .find(|e| e.token() == Token(3))
        .expect("event");
    assert!(event.is_readable());
    assert!(!event.is_writable());
    assert!(!event.is_error());
    assert!(!event.is_read_closed());
    assert!(!event.is_write_closed());
    assert!(!event.is_aio());
    assert!(!event.is_lio());
    let _ = event.is_priority();

    let short = format!("{event:?}");
    for part in [
        "Event {",
        "token: Token(3)",
        "readable: true",
        "writable: false",
        "error: false",
        "read_closed: false",
        "write_closed: false",
        "priority: false",
        "aio: false",
        "lio: false",
    ] {
        assert!(short.contains(part), "{short:?} lacks {part:?}");
    }
    assert!(!short.contains("details"), "{short}");

    let long = format!("{event:#?}");
    assert!(long.contains("token: Token(\n"), "{long}");
    assert!(long.contains("readable: true,\n"), "{long}");
    assert!(long.contains("details"), "{long}");
    #[cfg(unix)]
    assert!(long.contains("POLLIN"), "raw flags missing: {long}");
    assert!(long.lines().count() > 10, "{long}");
}

#[test]
fn register_twice_fails() {
    let poll = Poll::new().expect("poll");
    let (mut a, _b) = tcp_pair();
    poll.registry()
        .register(&mut a, Token(0), Interest::READABLE)
        .expect("first register");
    let err = poll
        .registry()
        .register(&mut a, Token(1), Interest::WRITABLE);
    assert_misuse(err, io::ErrorKind::AlreadyExists, "already registered");
    // The first registration is intact.
    poll.registry().deregister(&mut a).expect("deregister");
}

#[test]
fn reregister_and_deregister_unregistered_fail() {
    let poll = Poll::new().expect("poll");
    let (mut a, _b) = tcp_pair();
    assert_misuse(
        poll.registry()
            .reregister(&mut a, Token(0), Interest::READABLE),
        io::ErrorKind::NotFound,
        "not registered",
    );
    assert_misuse(
        poll.registry().deregister(&mut a),
        io::ErrorKind::NotFound,
        "not registered",
    );

    // Also after a register/deregister cycle.
    poll.registry()
        .register(&mut a, Token(0), Interest::READABLE)
        .expect("register");
    poll.registry().deregister(&mut a).expect("deregister");
    assert_misuse(
        poll.registry().deregister(&mut a),
        io::ErrorKind::NotFound,
        "not registered",
    );
    // And it can be registered again.
    poll.registry()
        .register(&mut a, Token(0), Interest::READABLE)
        .expect("register again");
}

#[test]
#[cfg(debug_assertions)] // the cross-`Poll` check is a debug-build check
fn register_with_second_poll_fails() {
    let poll1 = Poll::new().expect("poll");
    let poll2 = Poll::new().expect("poll");
    let (mut a, _b) = tcp_pair();
    poll1
        .registry()
        .register(&mut a, Token(0), Interest::READABLE)
        .expect("register");
    assert_error(
        poll2
            .registry()
            .register(&mut a, Token(0), Interest::READABLE),
        io::ErrorKind::AlreadyExists,
        "already registered",
    );
    let rereg = poll2
        .registry()
        .reregister(&mut a, Token(0), Interest::READABLE);
    assert!(rereg.is_err(), "reregister with another Poll must fail");
    assert!(poll2.registry().deregister(&mut a).is_err());
    // A clone of the right registry is the same registry.
    let clone = poll1.registry().try_clone().expect("clone");
    clone
        .reregister(&mut a, Token(1), Interest::WRITABLE)
        .expect("reregister via clone");
    clone.deregister(&mut a).expect("deregister via clone");
    // Now the second poll may take it.
    poll2
        .registry()
        .register(&mut a, Token(0), Interest::READABLE)
        .expect("register with poll2");
}

#[test]
fn reregister_changes_interest_and_token() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .expect("register");
    // Readable only: the (always writable) socket reports nothing.
    expect_no_events(&mut poll, &mut events);

    poll.registry()
        .reregister(&mut b, Token(2), Interest::WRITABLE)
        .expect("reregister");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::WRITABLE)],
    );
    for event in &events {
        assert_eq!(event.token(), Token(2), "old token still in use: {event:?}");
        assert!(!event.is_readable());
    }

    // Writable only: incoming data is not reported.
    a.write_all(b"abc").expect("write");
    expect_no_events(&mut poll, &mut events);

    poll.registry()
        .reregister(&mut b, Token(3), Interest::READABLE)
        .expect("reregister");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(3), Interest::READABLE)],
    );
    for event in &events {
        assert_eq!(event.token(), Token(3));
        assert!(
            !event.is_writable(),
            "writable after dropping the interest: {event:?}"
        );
    }
    let (data, _) = util::read_available(&mut b);
    assert_eq!(data, b"abc");

    poll.registry()
        .reregister(&mut b, Token(4), Interest::READABLE | Interest::WRITABLE)
        .expect("reregister");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(4), Interest::WRITABLE)],
    );
}

#[test]
fn deregister_stops_events() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE | Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::WRITABLE)],
    );
    poll.registry().deregister(&mut b).expect("deregister");
    a.write_all(b"data").expect("write");
    a.shutdown(Shutdown::Write).expect("shutdown");
    expect_no_events(&mut poll, &mut events);
    expect_no_events(&mut poll, &mut events);
    // Registering again works and sees the pending data.
    poll.registry()
        .register(&mut b, Token(5), Interest::READABLE)
        .expect("register again");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(5), Interest::READABLE)],
    );
}

#[test]
fn dropping_a_source_stops_events() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .expect("register");
    drop(b);
    a.write_all(b"data").ok();
    expect_no_event_for(&mut poll, &mut events, Token(1));
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
fn registry_clone_used_while_poll_blocks() {
    let (mut poll, mut events) = init_with_poll();
    let registry = poll.registry().try_clone().expect("clone");
    let (mut a, b) = tcp_pair();
    a.write_all(b"wake").expect("write");
    let handle = std::thread::spawn(move || {
        let mut b = b;
        // Give the main thread time to block in poll (not required for
        // correctness: the registration must be seen either way).
        std::thread::sleep(Duration::from_millis(100));
        registry
            .register(&mut b, Token(11), Interest::READABLE)
            .expect("register from thread");
        b
    });
    let mut seen = false;
    let deadline = Instant::now() + util::EVENT_DEADLINE;
    while !seen {
        assert!(
            Instant::now() < deadline,
            "registration from another thread never reported"
        );
        poll.poll(&mut events, Some(util::EVENT_DEADLINE))
            .expect("poll");
        seen = events
            .iter()
            .any(|e| e.token() == Token(11) && e.is_readable());
    }
    let mut b = handle.join().expect("thread");
    let mut buf = [0; 4];
    b.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"wake");

    // Reregister and deregister from another thread while polling too.
    let registry = poll.registry().try_clone().expect("clone");
    let handle = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        registry
            .reregister(&mut b, Token(12), Interest::WRITABLE)
            .expect("reregister from thread");
        b
    });
    let deadline = Instant::now() + util::EVENT_DEADLINE;
    loop {
        assert!(
            Instant::now() < deadline,
            "reregistration from another thread never reported"
        );
        poll.poll(&mut events, Some(util::EVENT_DEADLINE))
            .expect("poll");
        if events
            .iter()
            .any(|e| e.token() == Token(12) && e.is_writable())
        {
            break;
        }
    }
    let mut b = handle.join().expect("thread");
    let registry = poll.registry().try_clone().expect("clone");
    std::thread::spawn(move || registry.deregister(&mut b).expect("deregister from thread"))
        .join()
        .expect("thread");
    a.write_all(b"more").expect("write");
    expect_no_events(&mut poll, &mut events);
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
fn many_registries_from_many_threads() {
    let (mut poll, mut events) = init_with_poll();
    let mut handles = Vec::new();
    let mut peers = Vec::new();
    for i in 0..8 {
        let registry = poll.registry().try_clone().expect("clone");
        let (mut a, b) = tcp_pair();
        a.write_all(&[i as u8]).expect("write");
        peers.push(a);
        handles.push(std::thread::spawn(move || {
            let mut b = b;
            registry
                .register(&mut b, Token(100 + i), Interest::READABLE)
                .expect("register");
            b
        }));
    }
    let expected = (0..8)
        .map(|i| ExpectEvent::new(Token(100 + i), Interest::READABLE))
        .collect();
    expect_events(&mut poll, &mut events, expected);
    for h in handles {
        h.join().expect("thread");
    }
}

#[test]
fn timeout_zero_returns() {
    let (mut poll, mut events) = init_with_poll();
    for _ in 0..10 {
        poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
        assert!(events.is_empty());
    }
}

#[test]
fn timeout_sub_millisecond() {
    let (mut poll, mut events) = init_with_poll();
    let requested = Duration::from_micros(100);
    for _ in 0..10 {
        let start = Instant::now();
        poll.poll(&mut events, Some(requested)).expect("poll");
        assert!(start.elapsed() >= requested, "returned before the timeout");
        assert!(events.is_empty());
    }
}

#[test]
fn timeout_millis() {
    let (mut poll, mut events) = init_with_poll();
    for ms in [1, 5, 30] {
        let requested = Duration::from_millis(ms);
        let start = Instant::now();
        poll.poll(&mut events, Some(requested)).expect("poll");
        assert!(start.elapsed() >= requested, "returned before the timeout");
        assert!(events.is_empty());
    }
}

#[test]
fn timeout_returns_early_on_event() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .expect("register");
    a.write_all(b"x").expect("write");
    // A very long timeout: the event must end the wait.
    poll.poll(&mut events, Some(Duration::from_secs(3600)))
        .expect("poll");
    assert!(events.iter().any(|e| e.token() == Token(1)));
}

#[test]
fn poll_none_timeout_with_event() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .expect("register");
    a.write_all(b"x").expect("write");
    poll.poll(&mut events, None).expect("poll");
    assert!(events
        .iter()
        .any(|e| e.token() == Token(1) && e.is_readable()));
}

#[test]
fn source_trait_and_boxed_sources() {
    struct Wrapper {
        inner: TcpStream,
    }
    impl Source for Wrapper {
        fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
            self.inner.register(r, t, i)
        }
        fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
            self.inner.reregister(r, t, i)
        }
        fn deregister(&mut self, r: &Registry) -> io::Result<()> {
            self.inner.deregister(r)
        }
    }
    let (mut poll, mut events) = init_with_poll();
    let (a, mut b) = tcp_pair();
    let mut wrapped = Wrapper { inner: a };
    poll.registry()
        .register(&mut wrapped, Token(1), Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::WRITABLE)],
    );
    poll.registry()
        .reregister(&mut wrapped, Token(2), Interest::READABLE)
        .expect("reregister");
    b.write_all(b"!").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::READABLE)],
    );
    poll.registry()
        .deregister(&mut wrapped)
        .expect("deregister");

    // Box<dyn Source> forwards too.
    let mut boxed: Box<dyn Source> = Box::new(wrapped);
    poll.registry()
        .register(&mut boxed, Token(3), Interest::READABLE)
        .expect("register box");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(3), Interest::READABLE)],
    );
    poll.registry()
        .reregister(&mut boxed, Token(4), Interest::WRITABLE)
        .expect("reregister box");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(4), Interest::WRITABLE)],
    );
    poll.registry()
        .deregister(&mut boxed)
        .expect("deregister box");
}

#[test]
fn listener_and_udp_share_a_poll() {
    let (mut poll, mut events) = init_with_poll();
    let mut listener = TcpListener::bind(any_local_address()).expect("bind");
    let mut udp = UdpSocket::bind(any_local_address()).expect("bind udp");
    poll.registry()
        .register(&mut listener, Token(1), Interest::READABLE)
        .expect("register");
    poll.registry()
        .register(&mut udp, Token(2), Interest::READABLE)
        .expect("register");
    let _client =
        std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    sender
        .send_to(b"d", udp.local_addr().expect("addr"))
        .expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![
            ExpectEvent::new(Token(1), Readiness::READABLE),
            ExpectEvent::new(Token(2), Readiness::READABLE),
        ],
    );
}

#[test]
fn huge_timeout_with_ready_source() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .expect("register");
    a.write_all(b"x").expect("write");
    // Must neither overflow nor wait: the source is ready.
    poll.poll(&mut events, Some(Duration::MAX))
        .expect("poll with Duration::MAX");
    assert!(events.iter().any(|e| e.token() == Token(1)));
    assert_eq!(util::read_available(&mut b).0, b"x");
    a.write_all(b"y").expect("write");
    poll.poll(&mut events, Some(Duration::from_secs(u64::from(u32::MAX))))
        .expect("poll with a timeout beyond i32 milliseconds");
    assert!(events.iter().any(|e| e.token() == Token(1)));
}

#[test]
fn largest_token_round_trips() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = tcp_pair();
    let token = Token(usize::MAX);
    poll.registry()
        .register(&mut b, token, Interest::READABLE)
        .expect("register");
    a.write_all(b"x").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(token, Interest::READABLE)],
    );
}

#[test]
fn registry_outlives_poll() {
    let poll = Poll::new().expect("poll");
    let registry = poll.registry().try_clone().expect("clone");
    let waker = mio::Waker::new(&registry, Token(1)).expect("waker");
    drop(poll);
    // The selector stays alive through the clone: no panic, no error.
    let (mut a, _b) = tcp_pair();
    registry
        .register(&mut a, Token(2), Interest::READABLE)
        .expect("register after drop");
    registry.deregister(&mut a).expect("deregister after drop");
    waker.wake().expect("wake after the Poll was dropped");
}

#[test]
#[cfg(target_os = "wasi")]
fn threaded_poll_tests_skipped() {
    util::skip(
        "registry_clone_used_while_poll_blocks, many_registries_from_many_threads",
        "WASI has no threads",
    );
}

#[test]
fn deregister_some_of_many() {
    let (mut poll, _) = init_with_poll();
    let mut events = Events::with_capacity(128);
    let mut pairs: Vec<_> = (0..40).map(|_| tcp_pair()).collect();
    for (i, (_, b)) in pairs.iter_mut().enumerate() {
        poll.registry()
            .register(b, Token(i), Interest::READABLE)
            .expect("register");
    }
    // Remove every third, in an order that reshuffles any internal table.
    for i in (0..40).rev().filter(|i| i % 3 == 0) {
        poll.registry()
            .deregister(&mut pairs[i].1)
            .expect("deregister");
    }
    for (a, _) in pairs.iter_mut() {
        a.write_all(b"z").expect("write");
    }
    let expected = (0..40)
        .filter(|i| i % 3 != 0)
        .map(|i| ExpectEvent::new(Token(i), Interest::READABLE))
        .collect();
    expect_events(&mut poll, &mut events, expected);
    // Late events must not name a deregistered token either.
    poll.poll(&mut events, Some(util::QUIET_PERIOD))
        .expect("poll");
    for event in &events {
        assert_ne!(
            event.token().0 % 3,
            0,
            "event for a deregistered source: {event:?}"
        );
    }
    for (i, (_, b)) in pairs.iter_mut().enumerate() {
        if i % 3 != 0 {
            assert_eq!(util::read_available(b).0, b"z");
        }
    }
    expect_no_events(&mut poll, &mut events);
    // Re-register the removed ones under new tokens: their data is reported.
    for i in (0..40).filter(|i| i % 3 == 0) {
        poll.registry()
            .register(&mut pairs[i].1, Token(1000 + i), Interest::READABLE)
            .expect("register");
    }
    let expected = (0..40)
        .filter(|i| i % 3 == 0)
        .map(|i| ExpectEvent::new(Token(1000 + i), Interest::READABLE))
        .collect();
    expect_events(&mut poll, &mut events, expected);
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads
fn deregister_from_another_thread_while_polling() {
    let (mut poll, mut events) = init_with_poll();
    let (a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .expect("register");
    let registry = poll.registry().try_clone().expect("clone");
    let handle = std::thread::spawn(move || {
        let mut a = a;
        std::thread::sleep(Duration::from_millis(50));
        registry
            .deregister(&mut b)
            .expect("deregister while polled");
        // Only after the deregistration: this data must not be reported.
        a.write_all(b"late").expect("write");
        (a, b)
    });
    let deadline = Instant::now() + Duration::from_millis(300);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        poll.poll(&mut events, Some(left)).expect("poll");
        assert!(
            events.is_empty(),
            "event for a source deregistered before it got data: {events:?}"
        );
    }
    let (_a, mut b) = handle.join().expect("thread");
    let mut buf = [0u8; 4];
    b.read_exact(&mut buf).expect("the data did arrive");
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads
fn registrations_from_threads_while_polling_continuously() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const THREADS: usize = 4;
    const CYCLES: usize = 50;
    let (mut poll, mut events) = init_with_poll();
    let done = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let registry = poll.registry().try_clone().expect("clone");
            std::thread::spawn(move || {
                for i in 0..CYCLES {
                    let (mut a, mut b) = tcp_pair();
                    let token = Token(t * 1000 + i);
                    registry
                        .register(&mut b, token, Interest::READABLE)
                        .expect("register");
                    a.write_all(b"x").expect("write");
                    registry
                        .reregister(&mut b, token, Interest::READABLE | Interest::WRITABLE)
                        .expect("reregister");
                    registry.deregister(&mut b).expect("deregister");
                }
            })
        })
        .collect();
    let watcher = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            for h in handles {
                h.join().expect("registering thread");
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    // Keep polling (and so keep the selector busy) until they are done.
    while !done.load(Ordering::SeqCst) {
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .expect("poll");
    }
    watcher.join().expect("watcher");
    // Everything was deregistered: nothing more is reported, and the
    // selector still works.
    expect_no_events(&mut poll, &mut events);
    let (mut a, mut b) = tcp_pair();
    poll.registry()
        .register(&mut b, Token(7), Interest::READABLE)
        .expect("register");
    a.write_all(b"y").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(7), Interest::READABLE)],
    );
}
