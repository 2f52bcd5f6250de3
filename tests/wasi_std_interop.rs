//! std's sockets and this crate's share wasi-libc descriptors on
//! wasm32-wasip2: `from_std`, `into_raw_fd`/`from_raw_fd` move a socket
//! between the two with its connection intact.
//!
//! Where the toolchain's wasi-libc is not one the crate knows (or with
//! `--cfg mio_wasip2_no_libc_interop`) those conversions are unsupported:
//! the tests that need them print a SKIP line with the reason,
//! `unsupported_says_why` checks the reason, and
//! `from_std_without_interop_fails_on_register` checks that std's sockets
//! handed over anyway fail with it instead of panicking. A test run can pin which mode
//! it expects with `MIO_WASIP2_EXPECT_STD_INTEROP=1` or `=0` at build time
//! (the wasip2 suite of `cargo xtask test` does), so a toolchain the crate should know
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

/// Without std interop, std's sockets handed to `from_std` cannot be used,
/// but they do not panic either: registering fails with the interop error
/// (as a tokio `from_std` would report it), and the std socket stays open
/// until it is dropped or handed back through `into_raw_fd`.
#[cfg(target_env = "p2")]
#[test]
fn from_std_without_interop_fails_on_register() {
    let why = match mio::wasi::std_interop() {
        Ok(()) => {
            println!(
                "SKIP from_std_without_interop_fails_on_register: std interop is available here"
            );
            return;
        }
        Err(err) => err.to_string(),
    };
    // The cause: the build flag or the toolchain's wasi-libc.
    assert!(why.contains("std") && why.contains("wasi-libc"), "{why}");
    let assert_refused = |result: std::io::Result<()>, what: &str| match result {
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{what}: {err}");
            assert_eq!(err.to_string(), why, "{what}");
        }
        Ok(()) => panic!("{what} succeeded on an unusable socket"),
    };
    let poll = Poll::new().unwrap();
    let registry = poll.registry();

    // What tokio's `TcpListener::from_std` does: wrap, then register, and
    // hand a registration failure back to the caller as an error.
    fn tokio_like<S: mio::event::Source>(
        registry: &mio::Registry,
        mut source: S,
        token: Token,
    ) -> std::io::Result<S> {
        registry.register(&mut source, token, Interest::READABLE)?;
        Ok(source)
    }

    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener_fd = std_listener.as_raw_fd();
    let mut listener = TcpListener::from_std(std_listener);
    assert_refused(
        registry.register(&mut listener, Token(0), Interest::READABLE),
        "register listener",
    );
    // Never registered: debug builds say so first (the portable layer's
    // misuse check); release builds reach the backend, which refuses.
    for (what, result) in [
        (
            "reregister listener",
            registry.reregister(&mut listener, Token(0), Interest::READABLE),
        ),
        ("deregister listener", registry.deregister(&mut listener)),
    ] {
        if cfg!(debug_assertions) {
            let err = result.expect_err(what);
            assert_eq!(err.kind(), ErrorKind::NotFound, "{what}: {err}");
        } else {
            assert_refused(result, what);
        }
    }
    for (what, result) in [
        ("accept", listener.accept().map(drop)),
        ("local_addr", listener.local_addr().map(drop)),
        ("ttl", listener.ttl().map(drop)),
        ("take_error", listener.take_error().map(drop)),
    ] {
        assert_refused(result, what);
    }
    // Its descriptor is std's own.
    assert_eq!(listener.as_raw_fd(), listener_fd);

    // A connection std made: unusable through mio, but not closed by it.
    let _peer = std::net::TcpStream::connect(addr).unwrap();
    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    let stream_fd = std_stream.as_raw_fd();
    let mut stream = TcpStream::from_std(std_stream);
    assert_refused(
        registry.register(&mut stream, Token(1), Interest::READABLE),
        "register stream",
    );
    let mut buf = [0u8; 8];
    for (what, result) in [
        ("read", stream.read(&mut buf).map(drop)),
        ("write", stream.write(b"x").map(drop)),
        ("flush", stream.flush()),
        ("peer_addr", stream.peer_addr().map(drop)),
        ("local_addr", stream.local_addr().map(drop)),
        ("nodelay", stream.nodelay().map(drop)),
        ("set_ttl", stream.set_ttl(64)),
        ("take_error", stream.take_error().map(drop)),
        ("shutdown", stream.shutdown(std::net::Shutdown::Both)),
    ] {
        assert_refused(result, what);
    }

    // Handed back, it is the same connection, still open: the listener's
    // side (taken back too) receives what std writes on it.
    assert_eq!(stream.as_raw_fd(), stream_fd);
    // SAFETY: `into_raw_fd` hands over the descriptor it owned.
    let mut std_stream = unsafe { std::net::TcpStream::from_raw_fd(stream.into_raw_fd()) };
    // SAFETY: as above.
    let std_listener = unsafe { std::net::TcpListener::from_raw_fd(listener.into_raw_fd()) };
    std_listener.set_nonblocking(false).unwrap();
    let (_first, _) = std_listener.accept().unwrap(); // `peer`'s
    let (mut second, _) = std_listener.accept().unwrap();
    std_stream.set_nonblocking(false).unwrap();
    std_stream.write_all(b"kept").unwrap();
    second.read_exact(&mut buf[..4]).unwrap();
    assert_eq!(&buf[..4], b"kept");
    assert_refused(
        tokio_like(
            registry,
            TcpStream::from_std(std::net::TcpStream::connect(addr).unwrap()),
            Token(2),
        )
        .map(drop),
        "tokio-like stream",
    );

    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut socket = UdpSocket::from_std(std_socket);
    assert_refused(
        registry.register(&mut socket, Token(3), Interest::READABLE),
        "register udp",
    );
    for (what, result) in [
        ("send_to", socket.send_to(b"x", addr).map(drop)),
        ("recv_from", socket.recv_from(&mut buf).map(drop)),
        ("connect", socket.connect(addr)),
        ("local_addr", socket.local_addr().map(drop)),
        ("broadcast", socket.broadcast().map(drop)),
        ("take_error", socket.take_error().map(drop)),
    ] {
        assert_refused(result, what);
    }
    assert_refused(
        tokio_like(
            registry,
            UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()),
            Token(4),
        )
        .map(drop),
        "tokio-like udp",
    );
}
