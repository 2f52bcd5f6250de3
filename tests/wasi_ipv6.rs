//! IPv6 loopback on WASI (skipped, with a reason, where the host has none).
#![cfg(all(target_os = "wasi", feature = "os-poll", feature = "net"))]

use std::io::ErrorKind;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

#[test]
fn tcp_and_udp_over_ipv6_loopback() {
    let mut listener = match TcpListener::bind("[::1]:0".parse().unwrap()) {
        Ok(listener) => listener,
        Err(e) if e.kind() == ErrorKind::AddrNotAvailable => {
            println!("SKIP tcp_and_udp_over_ipv6_loopback: no IPv6 loopback on this host ({e})");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let addr = listener.local_addr().unwrap();
    assert!(addr.is_ipv6());
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let client = TcpStream::connect(addr).unwrap();
    let peer = loop {
        match listener.accept() {
            Ok((_, peer)) => break peer,
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_secs(5)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(client.local_addr().unwrap(), peer);

    let udp = UdpSocket::bind("[::1]:0".parse().unwrap()).unwrap();
    // WASI 0.2 fixes IPV6_V6ONLY on for IPv6 sockets.
    assert!(udp.only_v6().unwrap());
}
