//! Registration bookkeeping on WASI: misuse errors, re-registration,
//! deregistration stops events.
#![cfg(all(target_os = "wasi", feature = "os-poll", feature = "net"))]

use std::io::ErrorKind;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

#[test]
fn misuse_errors() {
    let poll = Poll::new().unwrap();
    let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let err = poll.registry().deregister(&mut socket).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = poll
        .registry()
        .reregister(&mut socket, Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    poll.registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("already registered"), "{err}");
    poll.registry().deregister(&mut socket).unwrap();
    poll.registry()
        .register(&mut socket, Token(2), Interest::READABLE)
        .unwrap();
}

#[test]
fn reregister_changes_token_and_deregister_silences() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut listener, Token(5), Interest::READABLE)
        .unwrap();
    let _a = TcpStream::connect(addr).unwrap();
    let mut tokens = Vec::new();
    for _ in 0..50 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        tokens.extend(events.iter().map(|e| e.token()));
        if !tokens.is_empty() {
            break;
        }
    }
    assert_eq!(tokens, vec![Token(5)]);
    let _ = listener.accept().unwrap();

    poll.registry().deregister(&mut listener).unwrap();
    let _b = TcpStream::connect(addr).unwrap();
    poll.poll(&mut events, Some(Duration::from_millis(200)))
        .unwrap();
    assert!(events.is_empty(), "event after deregister: {events:?}");
}

#[test]
fn readiness_past_the_events_capacity_is_reported_next_time() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1);
    let mut a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    // Both have room to send at once: two ready sources, room for one event.
    poll.registry()
        .register(&mut a, Token(1), Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, Token(2), Interest::WRITABLE)
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..20 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        assert!(events.iter().count() <= 1);
        seen.extend(events.iter().map(|e| e.token()));
        if seen.len() >= 2 {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, vec![Token(1), Token(2)]);
}
