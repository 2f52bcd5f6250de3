//! UDP on WASI: send_to/recv_from, connect/send/recv, options.
#![cfg(all(target_os = "wasi", feature = "os-poll", feature = "net"))]

use std::io::ErrorKind;
use std::time::Duration;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

fn wait_readable(poll: &mut Poll, events: &mut Events, token: Token) {
    for _ in 0..50 {
        poll.poll(events, Some(Duration::from_millis(100))).unwrap();
        if events.iter().any(|e| e.token() == token && e.is_readable()) {
            return;
        }
    }
    panic!("{token:?} never became readable");
}

#[test]
fn send_to_recv_from_and_connected() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    poll.registry()
        .register(&mut a, Token(0), Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, Token(1), Interest::READABLE)
        .unwrap();

    let mut buf = [0u8; 64];
    assert_eq!(
        b.recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(a.send_to(b"hello", b_addr).unwrap(), 5);
    wait_readable(&mut poll, &mut events, Token(1));
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"hello"[..], a_addr));
    // Drained: the next datagram is a new edge.
    assert_eq!(
        b.recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );

    assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    assert_eq!(a.send(b"x").unwrap_err().kind(), ErrorKind::NotConnected);
    a.connect(b_addr).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b_addr);
    assert_eq!(a.send(b"again").unwrap(), 5);
    wait_readable(&mut poll, &mut events, Token(1));
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"again");
    assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);

    // A long datagram is truncated to the buffer, like recvfrom(2).
    b.send_to(b"0123456789", a_addr).unwrap();
    wait_readable(&mut poll, &mut events, Token(0));
    let mut small = [0u8; 4];
    assert_eq!(a.recv(&mut small).unwrap(), 4);
    assert_eq!(&small, b"0123");
}

#[test]
fn options_and_unsupported() {
    let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.set_ttl(9).unwrap();
    assert_eq!(socket.ttl().unwrap(), 9);
    assert!(!socket.only_v6().unwrap());
    for err in [
        socket.set_broadcast(true).unwrap_err(),
        socket.broadcast().unwrap_err(),
        socket.peek(&mut [0; 4]).unwrap_err(),
        socket.peek_from(&mut [0; 4]).unwrap_err(),
        socket.set_multicast_loop_v4(true).unwrap_err(),
        socket
            .join_multicast_v4(&"224.0.0.1".parse().unwrap(), &"0.0.0.0".parse().unwrap())
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.to_string().contains("wasi:sockets"), "{err}");
    }
}
