//! WASI 0.3 backend: the raw-descriptor traits. A socket's number is its
//! own (not a wasi-libc descriptor); `IntoRawFd` keeps the socket open
//! until `FromRawFd` or `from_std` takes the number back, as tokio's
//! `into_std`/`from_std` do; a number that is not parked gives a socket
//! whose operations fail with `Unsupported`.
#![cfg(all(target_os = "wasi", mio_wasip3, feature = "os-poll", feature = "net"))]

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

/// Accepts one connection, polling while none is there.
fn accept(poll: &mut Poll, listener: &TcpListener) -> TcpStream {
    let mut events = Events::with_capacity(8);
    for _ in 0..500 {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(&mut events, Some(Duration::from_millis(10)))
                    .unwrap();
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    panic!("no connection to accept");
}

/// Reads exactly `want.len()` bytes and compares them.
fn read_exact(poll: &mut Poll, stream: &mut TcpStream, want: &[u8]) {
    let mut events = Events::with_capacity(8);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    for _ in 0..500 {
        match stream.read(&mut buf) {
            Ok(0) => panic!("EOF after {} bytes", got.len()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(&mut events, Some(Duration::from_millis(10)))
                    .unwrap();
            }
            Err(e) => panic!("read: {e}"),
        }
        if got.len() >= want.len() {
            assert_eq!(got, want);
            return;
        }
    }
    panic!("only {} of {} bytes arrived", got.len(), want.len());
}

#[test]
fn numbers_are_not_wasi_libc_descriptors() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let other = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let fd = listener.as_raw_fd();
    assert!(fd >= 1 << 30, "number {fd} could be a wasi-libc descriptor");
    assert_eq!(fd, listener.as_raw_fd(), "the number must be stable");
    assert_ne!(fd, other.as_raw_fd(), "two sockets share a number");
}

#[test]
fn listener_and_stream_survive_a_round_trip_through_std() {
    let mut poll = Poll::new().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();

    // Through the raw number and back, as a listener.
    let fd = listener.into_raw_fd();
    // SAFETY: `fd` came from `into_raw_fd` just above and is used once.
    let mut listener = unsafe { TcpListener::from_raw_fd(fd) };
    assert_eq!(listener.local_addr().unwrap(), addr);
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();

    let mut client = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(
            &mut client,
            Token(1),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let server = accept(&mut poll, &listener);

    // Through std's type and back, as tokio's into_std/from_std do.
    let std_stream: std::net::TcpStream = server.into();
    let mut server = TcpStream::from_std(std_stream);
    poll.registry()
        .register(&mut server, Token(2), Interest::READABLE)
        .unwrap();
    assert_eq!(server.local_addr().unwrap(), addr);

    let mut events = Events::with_capacity(8);
    let mut sent = 0;
    while sent == 0 {
        match client.write(b"after the round trip") {
            Ok(n) => sent = n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(&mut events, Some(Duration::from_millis(10)))
                    .unwrap();
            }
            Err(e) => panic!("write: {e}"),
        }
    }
    assert_eq!(sent, 20);
    read_exact(&mut poll, &mut server, b"after the round trip");
}

#[test]
fn a_number_not_handed_out_gives_an_unsupported_socket() {
    // In our range, never handed out: nothing to take back.
    // SAFETY: the number is not a wasi-libc descriptor (it is far above
    // any), so nothing is taken from anyone; the socket it gives owns
    // nothing.
    let stream = unsafe { TcpStream::from_raw_fd((1 << 30) + 3) };
    let err = stream.peer_addr().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}

#[test]
fn a_number_of_another_kind_stays_parked() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let fd = listener.into_raw_fd();
    // SAFETY: misuse on purpose: a listener's number handed to a stream.
    // The backend must neither take nor close the listener.
    let wrong = unsafe { TcpStream::from_raw_fd(fd) };
    assert_eq!(
        wrong.peer_addr().unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    // SAFETY: the listener is still parked under `fd`.
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    assert_eq!(listener.local_addr().unwrap(), addr);
}

#[test]
fn udp_socket_survives_a_round_trip() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let b_addr = b.local_addr().unwrap();
    let std_a: std::net::UdpSocket = a.into();
    let a = UdpSocket::from_std(std_a);
    poll.registry()
        .register(&mut b, Token(0), Interest::READABLE)
        .unwrap();
    let mut sent = false;
    let mut buf = [0u8; 64];
    for _ in 0..500 {
        if !sent {
            match a.send_to(b"datagram", b_addr) {
                Ok(n) => {
                    assert_eq!(n, 8);
                    sent = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("send_to: {e}"),
            }
        }
        match b.recv_from(&mut buf) {
            Ok((n, from)) => {
                assert_eq!(&buf[..n], b"datagram");
                assert_eq!(from, a.local_addr().unwrap());
                return;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(&mut events, Some(Duration::from_millis(10)))
                    .unwrap();
            }
            Err(e) => panic!("recv_from: {e}"),
        }
    }
    panic!("the datagram never arrived");
}

#[test]
fn an_unsupported_socket_cannot_be_registered() {
    let poll = Poll::new().unwrap();
    // SAFETY: as in a_number_not_handed_out_gives_an_unsupported_socket.
    let mut stream = unsafe { TcpStream::from_raw_fd((1 << 30) + 7) };
    let err = poll
        .registry()
        .register(&mut stream, Token(0), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    // SAFETY: as above.
    let listener = unsafe { TcpListener::from_raw_fd((1 << 30) + 11) };
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}
