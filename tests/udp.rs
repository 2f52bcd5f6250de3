//! `UdpSocket` over loopback: unconnected and connected send/receive,
//! peeking, socket options, multicast membership and edge-triggered
//! readiness. Platform-neutral except where marked.

#![cfg(all(feature = "os-poll", feature = "net"))]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

mod util;
use util::{
    any_local_address, any_local_ipv6_address, assert_send, assert_sync, assert_would_block,
    expect_events, expect_no_event_for, expect_no_events, init_with_poll, ipv6_available, skip,
    unsupported_on_wasi, ExpectEvent,
};

const A: Token = Token(1);
const B: Token = Token(2);

fn bound_pair(poll: &mut Poll) -> (UdpSocket, UdpSocket) {
    let mut a = UdpSocket::bind(any_local_address()).expect("bind a");
    let mut b = UdpSocket::bind(any_local_address()).expect("bind b");
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .expect("register a");
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .expect("register b");
    (a, b)
}

/// Waits for a datagram on `socket` (registered with `token`).
fn recv_from_polled(
    poll: &mut Poll,
    events: &mut Events,
    socket: &UdpSocket,
    token: Token,
    buf: &mut [u8],
) -> (usize, SocketAddr) {
    loop {
        match socket.recv_from(buf) {
            Ok(r) => return r,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                expect_events(
                    poll,
                    events,
                    vec![ExpectEvent::new(token, Interest::READABLE)],
                );
            }
            Err(e) => panic!("recv_from: {e}"),
        }
    }
}

#[test]
fn types_are_send_and_sync() {
    assert_send::<UdpSocket>();
    assert_sync::<UdpSocket>();
}

#[test]
fn send_to_recv_from_peek_from() {
    let (mut poll, mut events) = init_with_poll();
    let (a, b) = bound_pair(&mut poll);
    let a_addr = a.local_addr().expect("addr");
    let b_addr = b.local_addr().expect("addr");
    assert!(a_addr.ip().is_loopback() && a_addr.port() != 0);
    assert!(format!("{a:?}").contains("UdpSocket"), "{a:?}");

    let mut buf = [0u8; 64];
    assert_would_block(a.recv_from(&mut buf));
    let peeked = a.peek_from(&mut buf);
    let can_peek = !unsupported_on_wasi("send_to_recv_from_peek_from/peek_from", &peeked);
    if can_peek {
        assert_would_block(peeked);
    }
    assert_would_block(a.recv(&mut buf));
    let peeked = a.peek(&mut buf);
    if !unsupported_on_wasi("send_to_recv_from_peek_from/peek", &peeked) {
        assert_would_block(peeked);
    }

    assert_eq!(b.send_to(b"first", a_addr).expect("send_to"), 5);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Interest::READABLE)],
    );
    if can_peek {
        let (n, from) = a.peek_from(&mut buf).expect("peek_from");
        assert_eq!((&buf[..n], from), (&b"first"[..], b_addr));
        // Peeking leaves the datagram queued.
        let (n, from) = a.peek_from(&mut buf).expect("peek_from again");
        assert_eq!((&buf[..n], from), (&b"first"[..], b_addr));
        let n = a.peek(&mut buf).expect("peek");
        assert_eq!(&buf[..n], b"first");
    }
    let (n, from) = a.recv_from(&mut buf).expect("recv_from");
    assert_eq!((&buf[..n], from), (&b"first"[..], b_addr));
    assert_would_block(a.recv_from(&mut buf));

    // Datagram boundaries are kept; a short buffer truncates.
    b.send_to(b"one", a_addr).expect("send_to");
    b.send_to(b"two!", a_addr).expect("send_to");
    let (n, _) = recv_from_polled(&mut poll, &mut events, &a, A, &mut buf);
    assert_eq!(&buf[..n], b"one");
    let (n, _) = recv_from_polled(&mut poll, &mut events, &a, A, &mut buf);
    assert_eq!(&buf[..n], b"two!");
    b.send_to(b"truncated", a_addr).expect("send_to");
    let mut small = [0u8; 4];
    let (n, _) = recv_from_polled(&mut poll, &mut events, &a, A, &mut small);
    assert_eq!(&small[..n], b"trun");

    // Other direction.
    a.send_to(b"back", b_addr).expect("send_to");
    let (n, from) = recv_from_polled(&mut poll, &mut events, &b, B, &mut buf);
    assert_eq!((&buf[..n], from), (&b"back"[..], a_addr));
}

#[test]
fn connected_send_recv_peek() {
    let (mut poll, mut events) = init_with_poll();
    let (a, b) = bound_pair(&mut poll);
    let a_addr = a.local_addr().expect("addr");
    let b_addr = b.local_addr().expect("addr");

    let err = a.peer_addr().expect_err("peer_addr before connect");
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err:?}");
    let err = a.send(b"nowhere").expect_err("send before connect");
    assert!(
        matches!(err.kind(), io::ErrorKind::NotConnected) || err.raw_os_error().is_some(),
        "{err:?}"
    );

    a.connect(b_addr).expect("connect");
    b.connect(a_addr).expect("connect");
    assert_eq!(a.peer_addr().expect("peer"), b_addr);
    assert_eq!(b.peer_addr().expect("peer"), a_addr);

    assert_eq!(a.send(b"hello").expect("send"), 5);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Interest::READABLE)],
    );
    let mut buf = [0u8; 32];
    let peeked = b.peek(&mut buf);
    if !unsupported_on_wasi("connected_send_recv_peek/peek", &peeked) {
        let n = peeked.expect("peek");
        assert_eq!(&buf[..n], b"hello");
    }
    let n = b.recv(&mut buf).expect("recv");
    assert_eq!(&buf[..n], b"hello");
    assert_would_block(b.recv(&mut buf));

    // A connected socket drops datagrams from other senders.
    let stranger = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    stranger.send_to(b"spam", b_addr).expect("send_to");
    b.send(b"reply").expect("send");
    let (n, from) = recv_from_polled(&mut poll, &mut events, &a, A, &mut buf);
    assert_eq!((&buf[..n], from), (&b"reply"[..], b_addr));
    a.send(b"real").expect("send");
    let (n, from) = recv_from_polled(&mut poll, &mut events, &b, B, &mut buf);
    assert_eq!(
        (&buf[..n], from),
        (&b"real"[..], a_addr),
        "datagram from a stranger accepted"
    );
}

#[test]
fn socket_options() {
    let socket = UdpSocket::bind(any_local_address()).expect("bind");

    let set = socket.set_broadcast(true);
    if unsupported_on_wasi("socket_options/set_broadcast", &set) {
        assert!(unsupported_on_wasi(
            "socket_options/broadcast",
            &socket.broadcast()
        ));
    } else {
        set.expect("set_broadcast");
        assert!(socket.broadcast().expect("broadcast"));
        socket.set_broadcast(false).expect("set_broadcast");
        assert!(!socket.broadcast().expect("broadcast"));
    }

    let set = socket.set_multicast_loop_v4(false);
    if unsupported_on_wasi("socket_options/set_multicast_loop_v4", &set) {
        let get = socket.multicast_loop_v4();
        assert!(unsupported_on_wasi(
            "socket_options/multicast_loop_v4",
            &get
        ));
    } else {
        set.expect("set_multicast_loop_v4");
        assert!(!socket.multicast_loop_v4().expect("multicast_loop_v4"));
        socket
            .set_multicast_loop_v4(true)
            .expect("set_multicast_loop_v4");
        assert!(socket.multicast_loop_v4().expect("multicast_loop_v4"));
    }

    let set = socket.set_multicast_ttl_v4(7);
    if unsupported_on_wasi("socket_options/set_multicast_ttl_v4", &set) {
        let get = socket.multicast_ttl_v4();
        assert!(unsupported_on_wasi("socket_options/multicast_ttl_v4", &get));
    } else {
        set.expect("set_multicast_ttl_v4");
        assert_eq!(socket.multicast_ttl_v4().expect("multicast_ttl_v4"), 7);
        socket
            .set_multicast_ttl_v4(1)
            .expect("set_multicast_ttl_v4");
        assert_eq!(socket.multicast_ttl_v4().expect("multicast_ttl_v4"), 1);
    }

    socket.set_ttl(33).expect("set_ttl");
    assert_eq!(socket.ttl().expect("ttl"), 33);

    let taken = socket.take_error();
    // The WASI 0.3 backend keeps the errors of sends that finish late.
    if cfg!(mio_wasip3) || !unsupported_on_wasi("socket_options/take_error", &taken) {
        assert!(taken.expect("take_error").is_none());
    }
}

#[test]
fn ipv6_options_and_only_v6() {
    if !ipv6_available() {
        skip("ipv6_options_and_only_v6", "no IPv6 loopback on this host");
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let mut a = UdpSocket::bind(any_local_ipv6_address()).expect("bind v6");
    let b = UdpSocket::bind(any_local_ipv6_address()).expect("bind v6");
    // Whatever the system default, the answer must be a plain bool.
    let _default: bool = a.only_v6().expect("only_v6");

    let set = a.set_multicast_loop_v6(false);
    if unsupported_on_wasi("ipv6_options_and_only_v6/set_multicast_loop_v6", &set) {
        let get = a.multicast_loop_v6();
        assert!(unsupported_on_wasi(
            "ipv6_options_and_only_v6/multicast_loop_v6",
            &get
        ));
    } else {
        set.expect("set_multicast_loop_v6");
        assert!(!a.multicast_loop_v6().expect("multicast_loop_v6"));
        a.set_multicast_loop_v6(true)
            .expect("set_multicast_loop_v6");
        assert!(a.multicast_loop_v6().expect("multicast_loop_v6"));
    }

    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .expect("register");
    b.send_to(b"six", a.local_addr().expect("addr"))
        .expect("send_to");
    let mut buf = [0u8; 8];
    let (n, from) = recv_from_polled(&mut poll, &mut events, &a, A, &mut buf);
    assert_eq!(&buf[..n], b"six");
    assert_eq!(from, b.local_addr().expect("addr"));

    // An explicitly v6-only socket reports it.
    if util::no_std_interop("ipv6_options_and_only_v6/from_std") {
        return;
    }
    let std_socket = std::net::UdpSocket::bind("[::1]:0").expect("bind");
    std_socket.set_nonblocking(true).expect("nonblocking");
    let socket = UdpSocket::from_std(std_socket);
    let _ = socket.only_v6().expect("only_v6");
}

#[test]
fn multicast_v4_join_leave() {
    let socket = UdpSocket::bind("0.0.0.0:0".parse().expect("addr")).expect("bind");
    // 224.0.0.0/24 is link-local and never routed; the membership is only
    // recorded locally, no datagram leaves the host.
    let group = Ipv4Addr::new(224, 0, 0, 123);
    let mut joined_any = false;
    for interface in [Ipv4Addr::LOCALHOST, Ipv4Addr::UNSPECIFIED] {
        match socket.join_multicast_v4(&group, &interface) {
            Ok(()) => {
                socket
                    .leave_multicast_v4(&group, &interface)
                    .expect("leave_multicast_v4");
                // Leaving twice is an error: the first leave really left.
                assert!(socket.leave_multicast_v4(&group, &interface).is_err());
                joined_any = true;
            }
            Err(e) => println!("join_multicast_v4 on {interface}: {e}"),
        }
    }
    if !joined_any {
        skip(
            "multicast_v4_join_leave",
            "the sandbox has no multicast-capable interface",
        );
    }
}

#[test]
fn multicast_v6_join_leave() {
    if !ipv6_available() {
        skip("multicast_v6_join_leave", "no IPv6 on this host");
        return;
    }
    let socket = UdpSocket::bind("[::]:0".parse().expect("addr")).expect("bind");
    // Interface-local scope (ff01::/16): never leaves the host.
    let group = Ipv6Addr::new(0xff01, 0, 0, 0, 0, 0, 0, 0x123);
    match socket.join_multicast_v6(&group, 0) {
        Ok(()) => {
            socket
                .leave_multicast_v6(&group, 0)
                .expect("leave_multicast_v6");
            assert!(socket.leave_multicast_v6(&group, 0).is_err());
        }
        Err(e) => skip(
            "multicast_v6_join_leave",
            &format!("no IPv6 multicast route in this sandbox ({e})"),
        ),
    }
}

#[test]
fn broadcast_send_needs_option() {
    let socket = UdpSocket::bind(any_local_address()).expect("bind");
    // Without SO_BROADCAST, sending to the broadcast address is refused
    // before anything leaves the host.
    let target = SocketAddr::new(IpAddr::V4(Ipv4Addr::BROADCAST), 9);
    let err = socket
        .send_to(b"x", target)
        .expect_err("broadcast without SO_BROADCAST");
    if cfg!(target_os = "wasi") {
        // wasi:sockets reports the host's EACCES as its `access-denied`
        // code, without the OS error number.
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err:?}");
    } else {
        assert!(err.raw_os_error().is_some(), "{err:?}");
    }
}

#[test]
fn try_io_passes_results_through() {
    let (mut poll, mut events) = init_with_poll();
    let (a, b) = bound_pair(&mut poll);
    assert_eq!(a.try_io(|| Ok(3)).expect("try_io"), 3);
    b.send_to(b"via try_io", a.local_addr().expect("addr"))
        .expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Interest::READABLE)],
    );
    let mut buf = [0u8; 32];
    let (n, _) = a.try_io(|| a.recv_from(&mut buf)).expect("recv via try_io");
    assert_eq!(&buf[..n], b"via try_io");
    assert_would_block(a.try_io(|| a.recv_from(&mut buf)));
    // The WouldBlock from try_io re-armed the socket.
    b.send_to(b"next", a.local_addr().expect("addr"))
        .expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Interest::READABLE)],
    );
}

#[test]
fn edge_triggered_readable() {
    if util::host_is_jco() {
        skip(
            "edge_triggered_readable",
            "jco's incoming-datagram-stream pollable stays ready once a datagram has arrived",
        );
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let (a, b) = bound_pair(&mut poll);
    let a_addr = a.local_addr().expect("addr");
    for _ in 0..3 {
        b.send_to(b"dgram", a_addr).expect("send_to");
    }
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Interest::READABLE)],
    );
    expect_no_event_for(&mut poll, &mut events, A);
    let mut buf = [0u8; 16];
    a.recv_from(&mut buf).expect("first datagram");
    expect_no_event_for(&mut poll, &mut events, A);
    let mut count = 1;
    loop {
        match a.recv_from(&mut buf) {
            Ok(_) => count += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(count, 3);
    expect_no_event_for(&mut poll, &mut events, A);
    b.send_to(b"again", a_addr).expect("send_to");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Interest::READABLE)],
    );
}

#[test]
fn writable_and_reregister_deregister() {
    let (mut poll, mut events) = init_with_poll();
    let mut a = UdpSocket::bind(any_local_address()).expect("bind");
    let b = UdpSocket::bind(any_local_address()).expect("bind");
    poll.registry()
        .register(&mut a, A, Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Interest::WRITABLE)],
    );
    poll.registry()
        .reregister(&mut a, Token(9), Interest::READABLE)
        .expect("reregister");
    b.send_to(b"r", a.local_addr().expect("addr"))
        .expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(9), Interest::READABLE)],
    );
    poll.registry().deregister(&mut a).expect("deregister");
    b.send_to(b"s", a.local_addr().expect("addr"))
        .expect("send");
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn from_std_socket() {
    if util::no_std_interop("from_std_socket") {
        return;
    }
    let (mut poll, mut events) = init_with_poll();
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    std_socket.set_nonblocking(true).expect("nonblocking");
    let addr = std_socket.local_addr().expect("addr");
    let mut socket = UdpSocket::from_std(std_socket);
    assert_eq!(socket.local_addr().expect("addr"), addr);
    poll.registry()
        .register(&mut socket, A, Interest::READABLE)
        .expect("register");
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    sender.send_to(b"std", addr).expect("send");
    let mut buf = [0u8; 8];
    let (n, _) = recv_from_polled(&mut poll, &mut events, &socket, A, &mut buf);
    assert_eq!(&buf[..n], b"std");
}

#[test]
#[cfg(unix)]
fn unix_fd_conversions() {
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    let socket = UdpSocket::bind(any_local_address()).expect("bind");
    let addr = socket.local_addr().expect("addr");
    let fd = socket.as_raw_fd();
    assert_eq!(socket.as_fd().as_raw_fd(), fd);
    let raw = socket.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd`.
    let socket = unsafe { UdpSocket::from_raw_fd(raw) };
    let owned: OwnedFd = socket.into();
    let socket = UdpSocket::from(owned);
    let std_socket: std::net::UdpSocket = socket.into();
    assert_eq!(std_socket.local_addr().expect("addr"), addr);
}

#[test]
#[cfg(any(target_os = "linux", target_os = "android"))]
fn connected_to_closed_port_reports_error() {
    let (mut poll, mut events) = init_with_poll();
    let closed = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.local_addr().expect("addr")
    };
    let mut socket = UdpSocket::bind(any_local_address()).expect("bind");
    socket.connect(closed).expect("connect");
    poll.registry()
        .register(&mut socket, A, Interest::READABLE)
        .expect("register");
    socket.send(b"anyone?").expect("send");
    // The ICMP port-unreachable comes back as a socket error.
    let mut flagged = false;
    util::poll_until(&mut poll, &mut events, |events| {
        flagged |= events.iter().any(|e| e.token() == A && e.is_error());
        flagged
    });
    let err = socket
        .take_error()
        .expect("take_error")
        .expect("pending error");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err:?}");
    assert!(
        socket.take_error().expect("take_error").is_none(),
        "take_error clears it"
    );
}
