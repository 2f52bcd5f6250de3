//! Smoke tests of the native selectors over loopback: TCP echo, UDP,
//! waking from another thread, edge triggering and registration misuse.
//! Written for the Windows (IOCP) backend, and run on Unix too so both
//! backends are held to the same behaviour.

#![cfg(all(feature = "os-poll", feature = "net", any(unix, windows)))]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token, Waker};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// Generous bound on waits for an event that must come: a missing event
/// fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(10);
/// Wait used to check that no event arrives.
const QUIET: Duration = Duration::from_millis(200);

fn any_local() -> SocketAddr {
    "127.0.0.1:0".parse().expect("valid address")
}

/// Polls until an event for `token` satisfying `pred` arrives; panics after
/// `WAIT` without one.
fn expect_event(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    pred: impl Fn(&mio::event::Event) -> bool,
) {
    let mut waited = Duration::ZERO;
    let step = Duration::from_millis(100);
    while waited < WAIT {
        poll.poll(events, Some(step)).expect("poll");
        if events.iter().any(|e| e.token() == token && pred(e)) {
            return;
        }
        waited += step;
    }
    panic!("no matching event for {token:?} within {WAIT:?}");
}

/// Polls once for `QUIET` and asserts that nothing arrived for `token`.
fn expect_no_event(poll: &mut Poll, events: &mut Events, token: Token) {
    poll.poll(events, Some(QUIET)).expect("poll");
    let got: Vec<_> = events.iter().filter(|e| e.token() == token).collect();
    assert!(got.is_empty(), "unexpected events for {token:?}: {got:?}");
}

/// Reads until `WouldBlock` (re-arming the edge), appending to `out`.
/// Returns whether the peer closed.
fn drain(stream: &mut TcpStream, out: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// A connected pair: (client, server side), both registered.
fn connected_pair(poll: &mut Poll, events: &mut Events) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(any_local()).expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register listener");
    let mut client = TcpStream::connect(addr).expect("connect");
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .expect("register client");

    // Both edges may arrive in one batch: collect them together.
    let (mut accepted, mut connected) = (false, false);
    let mut rounds = 0;
    while !(accepted && connected) {
        rounds += 1;
        assert!(
            rounds <= 100,
            "accepted: {accepted}, connected: {connected}"
        );
        poll.poll(events, Some(Duration::from_millis(100)))
            .expect("poll");
        for e in events.iter() {
            accepted |= e.token() == LISTENER && e.is_readable();
            connected |= e.token() == CLIENT && e.is_writable();
        }
    }
    let (mut server, peer) = listener.accept().expect("accept");
    assert_eq!(peer, client.local_addr().expect("client local_addr"));
    // Only one connection was made: the next accept must block.
    match listener.accept() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("second accept: {other:?}"),
    }
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register server");
    assert_eq!(client.peer_addr().expect("peer_addr"), addr);
    (client, server)
}

#[test]
fn tcp_echo() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    let msg = b"hello over loopback";
    assert_eq!(client.write(msg).expect("client write"), msg.len());

    let mut got = Vec::new();
    while got.len() < msg.len() {
        expect_event(&mut poll, &mut events, SERVER, |e| e.is_readable());
        assert!(!drain(&mut server, &mut got), "server saw an early close");
    }
    assert_eq!(got, msg);

    server.write_all(&got).expect("echo");
    let mut echoed = Vec::new();
    while echoed.len() < msg.len() {
        expect_event(&mut poll, &mut events, CLIENT, |e| e.is_readable());
        assert!(
            !drain(&mut client, &mut echoed),
            "client saw an early close"
        );
    }
    assert_eq!(echoed, msg);

    // Closing the client shows on the server as read-closed and EOF.
    drop(client);
    expect_event(&mut poll, &mut events, SERVER, |e| {
        e.is_readable() && e.is_read_closed()
    });
    let mut rest = Vec::new();
    assert!(
        drain(&mut server, &mut rest),
        "no EOF after the peer closed"
    );
    assert!(rest.is_empty());
}

#[test]
fn tcp_edge_triggered() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    client.write_all(b"0123456789").expect("write");
    expect_event(&mut poll, &mut events, SERVER, |e| e.is_readable());

    // Read only part of the data: no new edge, so no new event.
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).expect("partial read");
    assert_eq!(&buf, b"0123");
    expect_no_event(&mut poll, &mut events, SERVER);

    // Drain to WouldBlock: still nothing, until new data arrives.
    let mut rest = Vec::new();
    assert!(!drain(&mut server, &mut rest));
    assert_eq!(rest, b"456789");
    expect_no_event(&mut poll, &mut events, SERVER);

    client.write_all(b"more").expect("write");
    expect_event(&mut poll, &mut events, SERVER, |e| e.is_readable());
    let mut more = Vec::new();
    assert!(!drain(&mut server, &mut more));
    assert_eq!(more, b"more");

    // Deregistered sources get no events.
    poll.registry().deregister(&mut server).expect("deregister");
    client.write_all(b"unseen").expect("write");
    expect_no_event(&mut poll, &mut events, SERVER);

    // Registering again (with a new token) reports the pending data.
    poll.registry()
        .register(&mut server, Token(7), Interest::READABLE)
        .expect("register again");
    expect_event(&mut poll, &mut events, Token(7), |e| e.is_readable());
}

#[test]
fn tcp_connect_refused() {
    // Find a port with nothing listening: bind, note the port, close.
    let addr = {
        let listener = std::net::TcpListener::bind(any_local()).expect("bind");
        listener.local_addr().expect("local_addr")
    };
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        // Some stacks refuse loopback connects synchronously.
        Err(e) => {
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
            return;
        }
    };
    poll.registry()
        .register(&mut stream, CLIENT, Interest::WRITABLE)
        .expect("register");
    expect_event(&mut poll, &mut events, CLIENT, |e| {
        e.is_writable() || e.is_error()
    });
    let err = match stream.take_error().expect("take_error") {
        Some(err) => err,
        None => stream.peer_addr().expect_err("connected to a closed port"),
    };
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotConnected
        ),
        "unexpected error: {err}"
    );
}

#[test]
fn udp_send_recv() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let mut a = UdpSocket::bind(any_local()).expect("bind a");
    let mut b = UdpSocket::bind(any_local()).expect("bind b");
    let a_addr = a.local_addr().expect("a addr");
    let b_addr = b.local_addr().expect("b addr");
    poll.registry()
        .register(&mut a, Token(10), Interest::WRITABLE)
        .expect("register a");
    poll.registry()
        .register(&mut b, Token(11), Interest::READABLE)
        .expect("register b");

    // Nothing to read yet.
    let mut buf = [0u8; 64];
    match b.recv_from(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("recv_from on an empty socket: {other:?}"),
    }

    expect_event(&mut poll, &mut events, Token(10), |e| e.is_writable());
    assert_eq!(a.send_to(b"ping", b_addr).expect("send_to"), 4);
    expect_event(&mut poll, &mut events, Token(11), |e| e.is_readable());
    let (n, from) = b.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, a_addr);
    match b.recv_from(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("second recv_from: {other:?}"),
    }

    // An unconnected socket has no peer. Windows reports WSAENOTCONN
    // (NotConnected); Wine 8 reports WSAEINVAL instead.
    let err = a
        .peer_addr()
        .expect_err("peer_addr of an unconnected socket");
    #[cfg(windows)]
    assert!(
        err.kind() == io::ErrorKind::NotConnected || err.raw_os_error() == Some(10022),
        "unexpected error: {err}"
    );
    #[cfg(not(windows))]
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err}");

    // Connected sockets: send/recv.
    a.connect(b_addr).expect("connect a");
    b.connect(a_addr).expect("connect b");
    assert_eq!(a.peer_addr().expect("peer_addr"), b_addr);
    assert_eq!(a.send(b"pong").expect("send"), 4);
    expect_event(&mut poll, &mut events, Token(11), |e| e.is_readable());
    let n = b.recv(&mut buf).expect("recv");
    assert_eq!(&buf[..n], b"pong");
}

#[test]
fn ipv6_round_trip() {
    let socket = match UdpSocket::bind("[::1]:0".parse().expect("valid address")) {
        Ok(socket) => socket,
        Err(e) => {
            println!("SKIP ipv6_round_trip: no IPv6 loopback ({e})");
            return;
        }
    };
    // The value is OS policy; the call itself must work on an IPv6 socket.
    socket.only_v6().expect("only_v6");

    // Addresses round-trip through the IPv6 socket address conversions.
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    let mut receiver = socket;
    poll.registry()
        .register(&mut receiver, Token(70), Interest::READABLE)
        .expect("register");
    let sender = UdpSocket::bind("[::1]:0".parse().expect("valid address")).expect("bind sender");
    sender
        .send_to(b"six", receiver.local_addr().expect("addr"))
        .expect("send_to");
    expect_event(&mut poll, &mut events, Token(70), |e| e.is_readable());
    let mut buf = [0u8; 8];
    let (n, from) = receiver.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"six");
    assert_eq!(from, sender.local_addr().expect("addr"));

    let mut listener =
        TcpListener::bind("[::1]:0".parse().expect("valid address")).expect("bind v6");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register listener");
    let stream = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect v6");
    expect_event(&mut poll, &mut events, LISTENER, |e| e.is_readable());
    let (_, peer) = listener.accept().expect("accept v6");
    assert_eq!(peer, stream.local_addr().expect("addr"));
}

#[test]
fn waker_from_another_thread() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    let waker = Arc::new(Waker::new(poll.registry(), Token(99)).expect("waker"));
    let remote = Arc::clone(&waker);
    let handle = thread::spawn(move || remote.wake().expect("wake"));
    expect_event(&mut poll, &mut events, Token(99), |e| e.is_readable());
    handle.join().expect("waking thread");

    // A second wake from this thread is delivered too.
    waker.wake().expect("wake again");
    expect_event(&mut poll, &mut events, Token(99), |e| e.is_readable());
}

#[test]
fn poll_times_out_without_events() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_millis(10)))
        .expect("poll");
    assert!(events.is_empty());
}

#[test]
fn registration_errors() {
    let poll = Poll::new().expect("poll");
    let mut socket = UdpSocket::bind(any_local()).expect("bind");

    // Re- and deregistering an unregistered source fail.
    let err = poll
        .registry()
        .reregister(&mut socket, Token(1), Interest::READABLE)
        .expect_err("reregister before register");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    let err = poll
        .registry()
        .deregister(&mut socket)
        .expect_err("deregister before register");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");

    poll.registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .expect("register");
    let err = poll
        .registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .expect_err("second register");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert!(err.to_string().contains("already registered"), "{err}");

    poll.registry()
        .reregister(&mut socket, Token(2), Interest::WRITABLE)
        .expect("reregister");
    poll.registry().deregister(&mut socket).expect("deregister");
    let err = poll
        .registry()
        .deregister(&mut socket)
        .expect_err("second deregister");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("not registered"), "{err}");
}

#[test]
#[cfg(debug_assertions)]
fn register_with_two_polls() {
    let first = Poll::new().expect("poll");
    let second = Poll::new().expect("poll");
    let mut socket = UdpSocket::bind(any_local()).expect("bind");
    first
        .registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .expect("register");
    let err = second
        .registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .expect_err("register with a second poll");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert_eq!(
        err.to_string(),
        "I/O source already registered with a `Registry`"
    );
}

#[test]
#[cfg(debug_assertions)]
#[should_panic = "Only a single `Waker` can be active per `Poll` instance"]
fn two_wakers_panic() {
    let poll = Poll::new().expect("poll");
    let _first = Waker::new(poll.registry(), Token(1)).expect("waker");
    let _second = Waker::new(poll.registry(), Token(2));
}

#[test]
fn many_sockets_share_pollers() {
    // More sockets than one AFD handle serves, all readable at once.
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(128);
    let receivers: Vec<UdpSocket> = (0..80)
        .map(|i| {
            let mut s = UdpSocket::bind(any_local()).expect("bind");
            poll.registry()
                .register(&mut s, Token(100 + i), Interest::READABLE)
                .expect("register");
            s
        })
        .collect();
    let sender = UdpSocket::bind(any_local()).expect("bind sender");
    for r in &receivers {
        sender
            .send_to(b"x", r.local_addr().expect("addr"))
            .expect("send_to");
    }
    let mut seen = vec![false; receivers.len()];
    let mut rounds = 0;
    while seen.iter().any(|s| !s) {
        rounds += 1;
        assert!(
            rounds < 100,
            "only {} of {} sockets reported",
            seen.iter().filter(|s| **s).count(),
            seen.len()
        );
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for e in events.iter() {
            let i = e.token().0 - 100;
            assert!(e.is_readable());
            seen[i] = true;
            let mut buf = [0u8; 8];
            let n = receivers[i].recv(&mut buf).expect("recv");
            assert_eq!(&buf[..n], b"x");
        }
    }
}

#[test]
fn udp_truncated_datagram() {
    // A short buffer gets the start of the datagram and its length, the
    // rest is dropped (Unix semantics; Winsock's WSAEMSGSIZE is mapped).
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    let sender = UdpSocket::bind(any_local()).expect("bind sender");
    let mut receiver = UdpSocket::bind(any_local()).expect("bind receiver");
    poll.registry()
        .register(&mut receiver, Token(20), Interest::READABLE)
        .expect("register");
    let to = receiver.local_addr().expect("addr");
    sender.send_to(b"truncated", to).expect("send_to");
    sender.send_to(b"next", to).expect("send_to");
    expect_event(&mut poll, &mut events, Token(20), |e| e.is_readable());
    let mut small = [0u8; 4];
    let (n, from) = receiver.peek_from(&mut small).expect("peek_from");
    assert_eq!(
        (&small[..n], from),
        (&b"trun"[..], sender.local_addr().expect("addr"))
    );
    let (n, _) = receiver.recv_from(&mut small).expect("recv_from");
    assert_eq!(&small[..n], b"trun");
    let mut buf = [0u8; 16];
    let (n, _) = receiver.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"next");
}

#[test]
fn repeated_would_block_then_event() {
    // Many re-arms between two polls must still leave exactly one armed
    // request behind: the next datagram is reported.
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    let sender = UdpSocket::bind(any_local()).expect("bind sender");
    let mut receiver = UdpSocket::bind(any_local()).expect("bind receiver");
    poll.registry()
        .register(&mut receiver, Token(30), Interest::READABLE)
        .expect("register");
    let mut buf = [0u8; 8];
    for _ in 0..1000 {
        match receiver.recv_from(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => panic!("recv_from on an empty socket: {other:?}"),
        }
    }
    sender
        .send_to(b"data", receiver.local_addr().expect("addr"))
        .expect("send_to");
    expect_event(&mut poll, &mut events, Token(30), |e| e.is_readable());
    let (n, _) = receiver.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"data");
}

#[test]
fn register_from_another_thread_while_polling() {
    // The poller may already be waiting when the registration happens; the
    // new source's readiness must still wake it.
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    let registry = poll.registry().try_clone().expect("clone registry");
    let mut receiver = UdpSocket::bind(any_local()).expect("bind receiver");
    let to = receiver.local_addr().expect("addr");
    let sender = UdpSocket::bind(any_local()).expect("bind sender");
    sender.send_to(b"early", to).expect("send_to");
    let handle = thread::spawn(move || {
        registry
            .register(&mut receiver, Token(40), Interest::READABLE)
            .expect("register");
        receiver
    });
    expect_event(&mut poll, &mut events, Token(40), |e| e.is_readable());
    let receiver = handle.join().expect("registering thread");
    let mut buf = [0u8; 8];
    let (n, _) = receiver.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"early");
}

#[test]
fn drop_registered_sources_and_poll() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(8);
    let (client, server) = connected_pair(&mut poll, &mut events);
    // Closing registered sockets without deregistering is allowed; their
    // pending requests are cancelled and nothing is reported for them.
    drop(client);
    drop(server);
    poll.poll(&mut events, Some(QUIET))
        .expect("poll after drops");
    for e in events.iter() {
        assert_ne!(e.token(), CLIENT, "event for a dropped source: {e:?}");
    }
    // A source may outlive its Poll.
    let mut socket = UdpSocket::bind(any_local()).expect("bind");
    poll.registry()
        .register(&mut socket, Token(50), Interest::READABLE)
        .expect("register");
    drop(poll);
    let mut buf = [0u8; 4];
    match socket.recv_from(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("recv_from after the Poll is gone: {other:?}"),
    }
}

#[test]
fn zero_capacity_poll_keeps_events() {
    // A poll with no room for events is refused and must not swallow them.
    let mut poll = Poll::new().expect("poll");
    let mut none = Events::with_capacity(0);
    let mut events = Events::with_capacity(8);
    let sender = UdpSocket::bind(any_local()).expect("bind sender");
    let mut receiver = UdpSocket::bind(any_local()).expect("bind receiver");
    poll.registry()
        .register(&mut receiver, Token(60), Interest::READABLE)
        .expect("register");
    let waker = Waker::new(poll.registry(), Token(61)).expect("waker");
    sender
        .send_to(b"kept", receiver.local_addr().expect("addr"))
        .expect("send_to");
    waker.wake().expect("wake");
    let err = poll
        .poll(&mut none, Some(QUIET))
        .expect_err("zero-capacity poll accepted");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    assert!(none.is_empty());
    let (mut readable, mut woken) = (false, false);
    let mut rounds = 0;
    while !(readable && woken) {
        rounds += 1;
        assert!(rounds <= 100, "readable: {readable}, woken: {woken}");
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for e in events.iter() {
            readable |= e.token() == Token(60) && e.is_readable();
            woken |= e.token() == Token(61);
        }
    }
}

#[test]
#[cfg(windows)]
fn raw_socket_conversions() {
    use std::os::windows::io::{AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket};

    let listener = TcpListener::bind(any_local()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let raw = listener.as_raw_socket();
    assert_eq!(listener.as_socket().as_raw_socket(), raw);
    let raw = listener.into_raw_socket();
    // SAFETY: `raw` is the open, non-blocking listener given up just above.
    let mut listener = unsafe { TcpListener::from_raw_socket(raw) };
    assert_eq!(listener.local_addr().expect("addr"), addr);

    // The converted listener still registers and accepts.
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(4);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let client = TcpStream::connect(addr).expect("connect");
    expect_event(&mut poll, &mut events, LISTENER, |e| e.is_readable());
    let (stream, _) = listener.accept().expect("accept");

    let owned: OwnedSocket = stream.into();
    let stream = TcpStream::from(owned);
    let std_stream: std::net::TcpStream = stream.into();
    assert_eq!(
        std_stream.peer_addr().expect("peer"),
        client.local_addr().expect("addr")
    );

    let socket = UdpSocket::bind(any_local()).expect("bind udp");
    let udp_addr = socket.local_addr().expect("addr");
    let std_socket: std::net::UdpSocket = socket.into();
    assert_eq!(std_socket.local_addr().expect("addr"), udp_addr);
    let socket = UdpSocket::from(OwnedSocket::from(std_socket));
    assert_eq!(socket.local_addr().expect("addr"), udp_addr);
}
