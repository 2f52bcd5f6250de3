//! std's sockets and this crate's share wasi-libc descriptors on
//! wasm32-wasip2: `from_std`, `into_raw_fd`/`from_raw_fd` move a socket
//! between the two with its connection intact.
//!
//! Where the toolchain's wasi-libc is not one the crate knows (or with
//! `--cfg mio_wasip2_no_libc_interop`) those conversions are unsupported:
//! the tests that need them print a SKIP line with the reason, and
//! `unsupported_says_why` checks the reason. A test run can pin which mode
//! it expects with `MIO_WASIP2_EXPECT_STD_INTEROP=1` or `=0` at build time
//! (scripts/test-wasip2.sh does), so a toolchain the crate should know
//! cannot fall back to the unsupported mode unnoticed.
//!
//! Not on the WASI 0.3 backend (`--cfg mio_wasip3`): std's sockets are WASI
//! 0.2 descriptors there, which cannot become WASI 0.3 sockets.
#![cfg(all(
    target_os = "wasi",
    not(mio_wasip3),
    feature = "os-poll",
    feature = "net"
))]

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

/// Whether std interop is unavailable here (then prints the SKIP line).
#[cfg(target_env = "p2")]
fn skip(name: &str) -> bool {
    match mio::wasi::std_interop() {
        Ok(()) => false,
        Err(err) => {
            println!("SKIP {name}: {err}");
            true
        }
    }
}

/// Preview 1 has no such conversions to lose: std's sockets are plain
/// descriptors there.
#[cfg(not(target_env = "p2"))]
fn skip(_name: &str) -> bool {
    false
}

#[cfg(target_env = "p2")]
#[test]
fn unsupported_says_why() {
    let result = mio::wasi::std_interop();
    match option_env!("MIO_WASIP2_EXPECT_STD_INTEROP") {
        Some("1") => assert!(result.is_ok(), "{result:?}"),
        Some("0") => assert!(result.is_err()),
        _ => {}
    }
    if cfg!(mio_wasip2_no_libc_interop) {
        assert!(result.is_err());
    }
    if let Err(err) = result {
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        let msg = err.to_string();
        assert!(
            msg.contains("wasm32-wasip2") && msg.contains("std"),
            "{msg}"
        );
        if cfg!(mio_wasip2_no_libc_interop) {
            assert!(msg.contains("mio_wasip2_no_libc_interop"), "{msg}");
        } else {
            assert!(msg.contains("wasi-libc"), "{msg}");
        }
        // This crate's own sockets are unaffected.
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut poll = Poll::new().unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut listener = listener;
        poll.registry()
            .register(&mut listener, Token(0), Interest::READABLE)
            .unwrap();
        poll.registry()
            .register(&mut client, Token(1), Interest::READABLE)
            .unwrap();
        let mut server = accept(&mut poll, &listener);
        poll.registry()
            .register(&mut server, Token(2), Interest::READABLE)
            .unwrap();
        client.write_all(b"own").unwrap();
        assert_eq!(read_exact(&mut poll, &mut server, 3), b"own");
    }
}

fn accept(poll: &mut Poll, listener: &TcpListener) -> TcpStream {
    let mut events = Events::with_capacity(4);
    for _ in 0..50 {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    }
    panic!("nothing to accept");
}

fn read_exact(poll: &mut Poll, stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut events = Events::with_capacity(4);
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    for _ in 0..100 {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
        if got.len() >= len {
            break;
        }
    }
    got
}

#[test]
fn std_listener_and_std_stream_into_mio() {
    if skip("std_listener_and_std_stream_into_mio") {
        return;
    }
    let mut poll = Poll::new().unwrap();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut listener = TcpListener::from_std(std_listener);
    assert_eq!(listener.local_addr().unwrap(), addr);
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();

    // A blocking connect through std (and wasi-libc), then handed over.
    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    let mut client = TcpStream::from_std(std_stream);
    poll.registry()
        .register(
            &mut client,
            Token(1),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let mut server = accept(&mut poll, &listener);
    poll.registry()
        .register(&mut server, Token(2), Interest::READABLE)
        .unwrap();
    assert_eq!(client.peer_addr().unwrap(), addr);
    assert!(client.as_raw_fd() >= 0 && client.as_raw_fd() != listener.as_raw_fd());

    client.write_all(b"from std").unwrap();
    assert_eq!(read_exact(&mut poll, &mut server, 8), b"from std");
}

#[test]
fn mio_stream_into_std_and_back() {
    if skip("mio_stream_into_std_and_back") {
        return;
    }
    let mut poll = Poll::new().unwrap();
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let mut server = accept(&mut poll, &listener);
    poll.registry()
        .register(&mut server, Token(2), Interest::READABLE)
        .unwrap();

    // Our stream as a std stream: wasi-libc does the I/O now.
    // SAFETY: the descriptor comes straight from `into_raw_fd`.
    let mut std_client = unsafe { std::net::TcpStream::from_raw_fd(client.into_raw_fd()) };
    std_client.set_nonblocking(false).unwrap();
    std_client.write_all(b"via std").unwrap();
    assert_eq!(read_exact(&mut poll, &mut server, 7), b"via std");
    server.write_all(b"back").unwrap();
    let mut buf = [0u8; 4];
    std_client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"back");

    // And back again.
    std_client.set_nonblocking(true).unwrap();
    let mut client = TcpStream::from_std(std_client);
    poll.registry()
        .register(&mut client, Token(1), Interest::READABLE)
        .unwrap();
    client.write_all(b"again").unwrap();
    assert_eq!(read_exact(&mut poll, &mut server, 5), b"again");
    // Closing our side is seen by the peer.
    drop(client);
    assert_eq!(read_exact(&mut poll, &mut server, 1), b"");
}

#[test]
fn udp_both_ways() {
    if skip("udp_both_ways") {
        return;
    }
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut ours = UdpSocket::from_std(std_socket);
    poll.registry()
        .register(&mut ours, Token(0), Interest::READABLE)
        .unwrap();
    let other = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let other_addr = other.local_addr().unwrap();
    other.send_to(b"one", ours.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = loop {
        match ours.recv_from(&mut buf) {
            Ok(got) => break got,
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!((&buf[..n], from), (&b"one"[..], other_addr));

    // Ours as std: a blocking send through wasi-libc.
    let std_other = std::net::UdpSocket::from(other);
    std_other.set_nonblocking(false).unwrap();
    std_other
        .send_to(b"two", ours.local_addr().unwrap())
        .unwrap();
    let n = loop {
        match ours.recv(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(&buf[..n], b"two");
}
