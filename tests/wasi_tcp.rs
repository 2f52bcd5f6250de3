//! TCP on WASI: listener, connect, accept, data both ways, edge triggering.
#![cfg(all(target_os = "wasi", feature = "os-poll", feature = "net"))]

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// Polls until `token` is reported with the wanted readiness.
fn wait_for(poll: &mut Poll, events: &mut Events, token: Token, writable: bool) {
    for _ in 0..100 {
        poll.poll(events, Some(Duration::from_millis(100))).unwrap();
        if events.iter().any(|e| {
            e.token() == token
                && if writable {
                    e.is_writable()
                } else {
                    e.is_readable()
                }
        }) {
            return;
        }
    }
    panic!("no event for {token:?} (writable: {writable})");
}

fn pair(poll: &mut Poll, events: &mut Events) -> (TcpListener, TcpStream, TcpStream) {
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    // The listener's and the client's events may come in one batch.
    let (mut accepted, mut connected) = (false, false);
    for _ in 0..100 {
        if accepted && connected {
            break;
        }
        poll.poll(events, Some(Duration::from_millis(100))).unwrap();
        for e in events.iter() {
            accepted |= e.token() == LISTENER && e.is_readable();
            connected |= e.token() == CLIENT && e.is_writable();
        }
    }
    assert!(
        accepted && connected,
        "accepted: {accepted}, connected: {connected}"
    );
    let (mut server, peer) = listener.accept().unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    assert_eq!(client.take_error().unwrap().map(|e| e.kind()), None);
    assert_eq!(client.peer_addr().unwrap(), addr);
    assert_eq!(client.local_addr().unwrap(), peer);
    (listener, client, server)
}

#[test]
fn accept_would_block_when_nobody_connects() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn connect_proceeds_without_polling_the_client() {
    // Some hosts start a connection only when it is polled; the client is
    // never registered here, yet the listener must see it, as natively.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    for _ in 0..50 {
        match listener.accept() {
            Ok(_) => return,
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the connection never reached the listener");
}

#[test]
fn data_both_ways_and_eof() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (_listener, mut client, mut server) = pair(&mut poll, &mut events);

    client.write_all(b"ping").unwrap();
    wait_for(&mut poll, &mut events, SERVER, false);
    let mut buf = [0u8; 16];
    let mut got = Vec::new();
    loop {
        match server.read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if got.len() == 4 {
                    break;
                }
                wait_for(&mut poll, &mut events, SERVER, false);
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, b"ping");

    server.write_all(b"pong").unwrap();
    server.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    loop {
        match client.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(&mut poll, &mut events, CLIENT, false)
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, b"pong");
}

#[test]
fn readable_is_edge_triggered() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (_listener, mut client, server) = pair(&mut poll, &mut events);
    client.write_all(b"x").unwrap();
    wait_for(&mut poll, &mut events, SERVER, false);
    // Not read yet: the edge was reported, it must not be reported again.
    poll.poll(&mut events, Some(Duration::from_millis(100)))
        .unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.token() == SERVER && e.is_readable()),
        "readable reported twice without a WouldBlock in between"
    );
    let mut buf = [0u8; 8];
    // Hosts may report readiness a little early (mio allows spurious
    // events): a WouldBlock here re-arms, and the data comes with the next.
    loop {
        match (&server).read(&mut buf) {
            Ok(n) => {
                assert_eq!(&buf[..n], b"x");
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(&mut poll, &mut events, SERVER, false)
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        (&server).read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    client.write_all(b"y").unwrap();
    wait_for(&mut poll, &mut events, SERVER, false);
}

#[test]
fn options_and_unsupported_operations() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (listener, client, _server) = pair(&mut poll, &mut events);
    client.set_ttl(42).unwrap();
    assert_eq!(client.ttl().unwrap(), 42);
    listener.set_ttl(43).unwrap();
    assert_eq!(listener.ttl().unwrap(), 43);
    let err = client.set_nodelay(true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("wasi:sockets"), "{err}");
    assert_eq!(client.nodelay().unwrap_err().kind(), ErrorKind::Unsupported);
    let err = client.peek(&mut [0; 4]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("wasi:sockets"), "{err}");
}
