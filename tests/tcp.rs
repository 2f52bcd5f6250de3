//! `TcpListener` and `TcpStream` over loopback: every public method, large
//! transfers, half-close, peer close and reset, and edge-triggered readiness.
//!
//! Platform-neutral except where marked `#[cfg(unix)]`.

#![cfg(all(feature = "os-poll", feature = "net"))]

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

mod util;
use util::{
    any_local_address, any_local_ipv6_address, assert_send, assert_sync, assert_would_block,
    expect_events, expect_no_event_for, expect_no_events, init_with_poll, ipv6_available, pattern,
    read_available, read_exactly, read_to_end_polled, skip, transfer_both_ways,
    unsupported_on_wasi, ExpectEvent, Readiness,
};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// Connects a client to a fresh listener on `addr` through `poll`, accepts
/// the connection, and returns (client, server), both deregistered.
fn connected_pair(
    poll: &mut Poll,
    events: &mut Events,
    addr: SocketAddr,
) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(addr).expect("bind");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register listener");
    let mut client =
        TcpStream::connect(listener.local_addr().expect("local_addr")).expect("connect");
    poll.registry()
        .register(&mut client, CLIENT, Interest::WRITABLE)
        .expect("register client");
    expect_events(
        poll,
        events,
        vec![
            ExpectEvent::new(LISTENER, Interest::READABLE),
            ExpectEvent::new(CLIENT, Interest::WRITABLE),
        ],
    );
    assert!(client.take_error().expect("take_error").is_none());
    let (server, peer) = listener.accept().expect("accept");
    assert_eq!(peer, client.local_addr().expect("local_addr"));
    assert_would_block(listener.accept());
    poll.registry().deregister(&mut client).expect("deregister");
    poll.registry()
        .deregister(&mut listener)
        .expect("deregister");
    (client, server)
}

#[test]
fn types_are_send_and_sync() {
    assert_send::<TcpListener>();
    assert_sync::<TcpListener>();
    assert_send::<TcpStream>();
    assert_sync::<TcpStream>();
}

#[test]
fn listener_methods() {
    let (mut poll, mut events) = init_with_poll();
    let mut listener = TcpListener::bind(any_local_address()).expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert!(
        format!("{listener:?}").contains("TcpListener"),
        "{listener:?}"
    );

    listener.set_ttl(42).expect("set_ttl");
    assert_eq!(listener.ttl().expect("ttl"), 42);
    let taken = listener.take_error();
    if !unsupported_on_wasi("listener_methods/take_error", &taken) {
        assert!(taken.expect("take_error").is_none());
    }

    assert_would_block(listener.accept());
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    expect_no_events(&mut poll, &mut events);

    // Three connections queued: one edge, accepted until WouldBlock.
    let clients: Vec<_> = (0..3)
        .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
        .collect();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
    );
    let mut accepted = Vec::new();
    let deadline = std::time::Instant::now() + util::EVENT_DEADLINE;
    while accepted.len() < clients.len() {
        match listener.accept() {
            Ok((stream, peer)) => {
                assert!(clients
                    .iter()
                    .any(|c| c.local_addr().expect("addr") == peer));
                assert_eq!(stream.local_addr().expect("addr"), addr);
                accepted.push(stream);
            }
            Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "connections not accepted"
                );
                expect_events(
                    &mut poll,
                    &mut events,
                    vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
                );
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    assert_would_block(listener.accept());
    expect_no_events(&mut poll, &mut events);
    // Accepted streams are non-blocking.
    let mut buf = [0; 1];
    assert_would_block(accepted[0].read(&mut buf));
}

#[test]
fn listener_from_std() {
    if util::no_std_interop("listener_from_std") {
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let addr = std_listener.local_addr().expect("addr");
    let mut listener = TcpListener::from_std(std_listener);
    assert_eq!(listener.local_addr().expect("addr"), addr);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let _c = std::net::TcpStream::connect(addr).expect("connect");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
    );
    listener.accept().expect("accept");
}

#[test]
fn bind_in_use_fails() {
    let listener = TcpListener::bind(any_local_address()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let err = TcpListener::bind(addr).expect_err("second bind to the same port");
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err:?}");
}

#[test]
fn stream_methods() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    assert_eq!(
        client.peer_addr().expect("peer"),
        server.local_addr().expect("local")
    );
    assert_eq!(
        server.peer_addr().expect("peer"),
        client.local_addr().expect("local")
    );
    assert!(format!("{client:?}").contains("TcpStream"), "{client:?}");

    let set = client.set_nodelay(true);
    if unsupported_on_wasi("stream_methods/set_nodelay", &set) {
        assert!(unsupported_on_wasi(
            "stream_methods/nodelay",
            &client.nodelay()
        ));
    } else {
        set.expect("set_nodelay");
        assert!(client.nodelay().expect("nodelay"));
        client.set_nodelay(false).expect("set_nodelay");
        assert!(!client.nodelay().expect("nodelay"));
    }
    client.set_ttl(21).expect("set_ttl");
    assert_eq!(client.ttl().expect("ttl"), 21);
    assert!(client.take_error().expect("take_error").is_none());
    assert!(server.take_error().expect("take_error").is_none());

    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    let mut buf = [0u8; 16];
    let peeked = server.peek(&mut buf);
    let can_peek = !unsupported_on_wasi("stream_methods/peek", &peeked);
    if can_peek {
        assert_would_block(peeked);
    }
    assert_would_block(server.read(&mut buf));

    // Write through `&TcpStream`, peek, then read through `&TcpStream`.
    (&client).write_all(b"hello").expect("write");
    (&client).flush().expect("flush");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    if can_peek {
        let n = server.peek(&mut buf).expect("peek");
        assert_eq!(&buf[..n], &b"hello"[..n]);
    }
    let data = read_exactly(&mut poll, &mut events, &mut &server, SERVER, 5);
    assert_eq!(data, b"hello");
    if can_peek {
        assert_would_block(server.peek(&mut buf));
    }

    // Vectored I/O, owned receivers.
    let bufs = [
        IoSlice::new(b"ab"),
        IoSlice::new(b"cd"),
        IoSlice::new(b"ef"),
    ];
    let n = client.write_vectored(&bufs).expect("write_vectored");
    assert_eq!(n, 6);
    client.flush().expect("flush");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    let mut first = [0u8; 3];
    let mut second = [0u8; 3];
    let n = {
        let mut slices = [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)];
        server.read_vectored(&mut slices).expect("read_vectored")
    };
    assert!(n > 0);
    let mut all = [first, second].concat();
    all.truncate(n);
    all.extend(read_exactly(
        &mut poll,
        &mut events,
        &mut server,
        SERVER,
        6 - n,
    ));
    assert_eq!(all, b"abcdef");
    assert_would_block(server.read(&mut buf));
    poll.registry().deregister(&mut server).expect("deregister");
}

#[test]
fn stream_try_io() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    assert_eq!(client.try_io(|| Ok(7)).expect("try_io"), 7);
    let err = client
        .try_io(|| Err::<(), _>(io::Error::other("custom")))
        .expect_err("error passes through");
    assert_eq!(err.to_string(), "custom");

    client.write_all(b"try").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    // A custom read through try_io; its WouldBlock re-arms the source.
    let mut buf = [0u8; 8];
    let peeked = server.try_io(|| server.peek(&mut buf));
    if !unsupported_on_wasi("stream_try_io/peek", &peeked) {
        assert!(peeked.expect("peek via try_io") > 0);
    }
    let mut total = 0;
    loop {
        match server.try_io(|| {
            let mut s: &TcpStream = &server;
            s.read(&mut buf)
        }) {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(total, 3);
    client.write_all(b"again").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
}

#[test]
fn stream_from_std() {
    if util::no_std_interop("stream_from_std") {
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let std_stream =
        std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    std_stream.set_nonblocking(true).expect("nonblocking");
    let mut stream = TcpStream::from_std(std_stream);
    let (mut peer, _) = listener.accept().expect("accept");
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Interest::WRITABLE)],
    );
    peer.write_all(b"from std").expect("write");
    let data = read_exactly(&mut poll, &mut events, &mut stream, CLIENT, 8);
    assert_eq!(data, b"from std");
}

#[test]
fn connect_ipv6() {
    if !ipv6_available() {
        skip("connect_ipv6", "no IPv6 loopback on this host");
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_ipv6_address());
    assert!(client.peer_addr().expect("peer").is_ipv6());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    client.write_all(b"v6").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut server, SERVER, 2),
        b"v6"
    );
}

#[test]
fn connect_refused_reports_error() {
    let (mut poll, mut events) = init_with_poll();
    // A port that was just free: bind, note it, close.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let mut stream = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => {
            // Some hosts refuse synchronously.
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e:?}");
            return;
        }
    };
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::WRITABLE)],
    );
    let event_flags: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
    let err = stream
        .take_error()
        .expect("take_error")
        .or_else(|| stream.peer_addr().err())
        .unwrap_or_else(|| panic!("connect to a closed port succeeded; events {event_flags:?}"));
    assert!(
        err.kind() == io::ErrorKind::ConnectionRefused || err.kind() == io::ErrorKind::NotConnected,
        "{err:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.is_error() || e.is_write_closed() || e.is_read_closed()),
        "refused connect should flag the event: {event_flags:?}"
    );
}

#[test]
fn large_transfer_both_ways() {
    const SIZE: usize = 16 * 1024 * 1024;
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    drop(poll);
    transfer_both_ways(
        &mut client,
        &mut server,
        &pattern(SIZE, 1),
        &pattern(SIZE, 2),
    );
}

#[test]
fn peer_close_sets_read_closed() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .expect("register");
    expect_no_events(&mut poll, &mut events);
    drop(server);
    let expected = if cfg!(target_os = "wasi") {
        // An input stream's pollable says only "a read will not block"; the
        // close is seen by the read that returns 0, checked below.
        skip(
            "peer_close_sets_read_closed/read_closed flag",
            "wasi:io streams (WASI 0.2) do not tell end of stream from data before a read",
        );
        Readiness::READABLE
    } else {
        Readiness::READABLE | Readiness::READ_CLOSED
    };
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, expected)],
    );
    let (data, eof) = read_available(&mut client);
    assert!(data.is_empty());
    assert!(eof, "read after peer close must return 0");
}

#[test]
fn peer_close_with_pending_data() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .expect("register");
    server.write_all(b"last words").expect("write");
    drop(server);
    let (data, _read_closed) = read_to_end_polled(&mut poll, &mut events, &mut client, CLIENT);
    assert_eq!(data, b"last words");
    // Unix selectors flag the close on the event (Windows may report the
    // data first and the close only after a WouldBlock, which EOF is not).
    #[cfg(unix)]
    assert!(_read_closed, "no event said read_closed");
}

#[test]
fn shutdown_write_peer_sees_eof() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .expect("register");
    client.write_all(b"bye").expect("write");
    client.shutdown(Shutdown::Write).expect("shutdown");
    let (data, _read_closed) = read_to_end_polled(&mut poll, &mut events, &mut server, SERVER);
    assert_eq!(data, b"bye", "peer must see the data, then end of stream");
    #[cfg(unix)]
    assert!(_read_closed, "no event said read_closed");
    // Writing after shutdown fails.
    let err = client.write(b"more").expect_err("write after shutdown");
    #[cfg(unix)]
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err:?}");
    #[cfg(not(unix))]
    let _ = err;
    if util::host_is_jco() {
        skip(
            "shutdown_write_peer_sees_eof/other direction",
            "jco implements shutdown(Send) by closing the whole socket: no half-closed connection",
        );
        return;
    }
    // The other direction still works.
    server.write_all(b"reply").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut client, CLIENT, 5),
        b"reply"
    );
    server.shutdown(Shutdown::Both).expect("shutdown both");
    let (rest, _) = read_to_end_polled(&mut poll, &mut events, &mut client, CLIENT);
    assert!(rest.is_empty());
}

/// Linux and the BSDs make a socket readable (read returns 0) once its own
/// read side is shut down, and so does wasi:sockets (the input stream
/// ends); Windows does not signal anything for SD_RECEIVE.
#[test]
#[cfg(any(unix, target_os = "wasi"))]
fn shutdown_read() {
    if util::host_is_jco() {
        skip(
            "shutdown_read",
            "jco implements shutdown(Receive) by closing the whole socket, without an end-of-stream event",
        );
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let (client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    server.shutdown(Shutdown::Read).expect("shutdown read");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Readiness::READABLE)],
    );
    let mut buf = [0u8; 4];
    assert_eq!(server.read(&mut buf).expect("read after shutdown(Read)"), 0);
    drop(client);
}

#[test]
#[cfg(not(any(unix, target_os = "wasi")))]
fn shutdown_read() {
    skip(
        "shutdown_read",
        "Windows signals no readiness for a local SD_RECEIVE",
    );
    let (mut poll, mut events) = init_with_poll();
    let (_client, server) = connected_pair(&mut poll, &mut events, any_local_address());
    server.shutdown(Shutdown::Read).expect("shutdown read");
}

#[test]
#[cfg(unix)]
fn reset_by_peer() {
    use std::os::fd::AsRawFd;
    let (mut poll, mut events) = init_with_poll();
    let (mut client, server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .expect("register");
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: valid socket, pointer and length of a `linger` value.
    let res = unsafe {
        libc::setsockopt(
            server.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        res,
        0,
        "setsockopt(SO_LINGER): {}",
        io::Error::last_os_error()
    );
    drop(server); // sends RST
    let mut flagged = false;
    util::poll_until(&mut poll, &mut events, |events| {
        for e in events {
            if e.token() == CLIENT && (e.is_error() || e.is_read_closed()) {
                flagged = true;
            }
        }
        flagged
    });
    let mut buf = [0u8; 8];
    match client.read(&mut buf) {
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e:?}"),
        Ok(n) => {
            // Some systems report the reset through SO_ERROR instead.
            assert_eq!(n, 0);
        }
    }
}

#[test]
#[cfg(not(unix))]
fn reset_by_peer() {
    let why = if cfg!(target_os = "wasi") {
        "wasi:sockets (WASI 0.2) has no SO_LINGER, so a close cannot be made to send a reset"
    } else {
        "SO_LINGER needs libc on this platform"
    };
    skip("reset_by_peer", why);
}

#[test]
fn edge_triggered_readable() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");

    client.write_all(&[1u8; 100]).expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    // No new edge while nothing was read.
    expect_no_event_for(&mut poll, &mut events, SERVER);
    // A partial read does not re-arm.
    let mut buf = [0u8; 10];
    assert_eq!(server.read(&mut buf).expect("partial read"), 10);
    expect_no_event_for(&mut poll, &mut events, SERVER);
    // Read to WouldBlock: now armed, but nothing is pending.
    let (rest, eof) = read_available(&mut server);
    assert_eq!(rest.len(), 90);
    assert!(!eof);
    expect_no_event_for(&mut poll, &mut events, SERVER);
    // New data: a new edge.
    client.write_all(&[2u8; 5]).expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    expect_no_event_for(&mut poll, &mut events, SERVER);
    assert_eq!(read_available(&mut server).0, [2u8; 5]);
    // Again, to show it keeps working.
    client.write_all(&[3u8; 5]).expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    assert_eq!(read_available(&mut server).0, [3u8; 5]);
}

#[test]
fn edge_triggered_writable() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut client, CLIENT, Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Interest::WRITABLE)],
    );
    // Still writable, but no new edge until a write returns WouldBlock.
    client.write_all(b"small").expect("write");
    expect_no_event_for(&mut poll, &mut events, CLIENT);

    // Fill the socket buffers.
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 5usize;
    loop {
        match client.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    // (No "no event" check here: a late ACK may legitimately free space.)
    // Drain the peer: space frees up, a writable edge follows.
    let mut drained = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = false;
    while !seen {
        loop {
            match server.read(&mut buf) {
                Ok(0) => panic!("eof"),
                Ok(n) => drained += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        poll.poll(&mut events, Some(util::QUIET_PERIOD))
            .expect("poll");
        seen = events
            .iter()
            .any(|e| e.token() == CLIENT && e.is_writable());
        assert!(
            seen || drained < written,
            "all data drained but no writable event"
        );
    }
}

/// A read that would block re-arms reading only: a writable edge that was
/// already reported must not come back (on selectors that emulate edge
/// triggering, re-arming every direction would report the idle, writable
/// socket again after each read, and an event loop would spin).
#[test]
fn would_block_read_does_not_repeat_writable() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::WRITABLE)],
    );
    let mut buf = [0u8; 16];
    for _ in 0..3 {
        assert_would_block(server.read(&mut buf));
        expect_no_event_for(&mut poll, &mut events, SERVER);
    }
    // Reading is armed: data brings a readable event.
    client.write_all(b"ping").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    assert_eq!(read_available(&mut server).0, b"ping");
    expect_no_event_for(&mut poll, &mut events, SERVER);
}

#[test]
fn accept_many_then_exchange() {
    let (mut poll, mut events) = init_with_poll();
    let mut listener = TcpListener::bind(any_local_address()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let mut clients: Vec<TcpStream> = (0..10)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    let mut servers = Vec::new();
    util::poll_until(&mut poll, &mut events, |_| {
        loop {
            match listener.accept() {
                Ok((s, _)) => servers.push(s),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
        servers.len() == clients.len()
    });
    for (i, s) in servers.iter_mut().enumerate() {
        poll.registry()
            .register(s, Token(100 + i), Interest::READABLE)
            .expect("register");
    }
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&[i as u8]).expect("write");
    }
    let expected = (0..10)
        .map(|i| ExpectEvent::new(Token(100 + i), Interest::READABLE))
        .collect();
    expect_events(&mut poll, &mut events, expected);
    let mut got: Vec<u8> = servers
        .iter_mut()
        .flat_map(|s| read_available(s).0)
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..10).collect::<Vec<u8>>());
}

#[test]
#[cfg(not(target_os = "wasi"))]
fn stream_moved_to_another_thread() {
    let (mut poll, mut events) = init_with_poll();
    let (client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    let handle = std::thread::spawn(move || {
        let mut client = client;
        client.write_all(b"from a thread").expect("write");
        client
    });
    let data = read_exactly(&mut poll, &mut events, &mut server, SERVER, 13);
    assert_eq!(data, b"from a thread");
    handle.join().expect("thread");
}

#[test]
#[cfg(unix)]
fn unix_fd_conversions() {
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    let (mut poll, mut events) = init_with_poll();
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_address());
    let fd = client.as_raw_fd();
    assert_eq!(client.as_fd().as_raw_fd(), fd);
    let raw = client.into_raw_fd();
    assert_eq!(raw, fd);
    // SAFETY: `raw` was just released by `into_raw_fd` and is owned by nobody.
    let mut client = unsafe { TcpStream::from_raw_fd(raw) };
    let owned: OwnedFd = client.into();
    client = TcpStream::from(owned);
    let std_stream: std::net::TcpStream = client.into();
    let mut client = TcpStream::from_std(std_stream);
    let mut server = server;
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    client.write_all(b"fd").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut server, SERVER, 2),
        b"fd"
    );

    let listener = TcpListener::bind(any_local_address()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let owned: OwnedFd = listener.into();
    let listener = TcpListener::from(owned);
    let raw = listener.into_raw_fd();
    // SAFETY: as above.
    let listener = unsafe { TcpListener::from_raw_fd(raw) };
    let std_listener: std::net::TcpListener = listener.into();
    assert_eq!(std_listener.local_addr().expect("addr"), addr);
}

#[test]
#[cfg(any(target_os = "linux", target_os = "android"))]
fn priority_data_reports_priority() {
    use std::os::fd::AsRawFd;
    let (mut poll, mut events) = init_with_poll();
    let (client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::PRIORITY)
        .expect("register");
    // SAFETY: sends one byte from a valid buffer on an open socket.
    let sent = unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(sent, 1, "send(MSG_OOB): {}", io::Error::last_os_error());
    let mut priority = false;
    util::poll_until(&mut poll, &mut events, |events| {
        priority |= events
            .iter()
            .any(|e| e.token() == SERVER && e.is_priority());
        priority
    });
    assert!(priority);
}

/// Unix selectors (epoll, kqueue, and poll(2) with its edge emulation)
/// report the peer's close as a new event even when the earlier data was
/// not drained. Windows reports it only after a read hit WouldBlock, so
/// portable code drains first (see `peer_close_with_pending_data`).
#[test]
#[cfg(unix)]
fn peer_close_after_partial_read_is_reported() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_address());
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .expect("register");
    server.write_all(b"0123456789").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Interest::READABLE)],
    );
    let mut buf = [0u8; 4];
    assert_eq!(client.read(&mut buf).expect("partial read"), 4);
    // The peer goes away while data is still unread: that is news, and it
    // is reported as readable (end of stream is readable) and read-closed,
    // the same on every selector.
    drop(server);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(
            CLIENT,
            Readiness::READABLE | Readiness::READ_CLOSED,
        )],
    );
    let (rest, eof) = read_available(&mut client);
    assert_eq!(rest, b"456789");
    assert!(eof);
}
