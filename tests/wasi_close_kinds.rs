//! Closing a socket of any kind never takes the process down: after each
//! close (accepted, connected, listening, UDP, and sockets converted to or
//! from std's) the same listener still accepts and echoes.
//!
//! A close that dropped a handle with the wrong type (a struct layout this
//! crate misread) traps the whole component, so reaching the last line of
//! each test is the check.
//!
//! Not on the WASI 0.3 backend (`--cfg mio_wasip3`), where std's sockets do
//! not convert.
#![cfg(all(
    target_os = "wasi",
    target_env = "p2",
    not(mio_wasip3),
    feature = "os-poll",
    feature = "net"
))]

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

const DEADLINE: Duration = Duration::from_secs(10);

/// Runs `f` until it stops returning `WouldBlock`, polling in between.
fn retry<T>(poll: &mut Poll, mut f: impl FnMut() -> std::io::Result<T>) -> T {
    let mut events = Events::with_capacity(8);
    let start = Instant::now();
    loop {
        match f() {
            Ok(value) => return value,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                assert!(start.elapsed() < DEADLINE, "no progress");
                poll.poll(&mut events, Some(Duration::from_millis(50)))
                    .unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
}

struct Server {
    poll: Poll,
    listener: TcpListener,
}

impl Server {
    fn new() -> Server {
        let poll = Poll::new().unwrap();
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        poll.registry()
            .register(&mut listener, Token(0), Interest::READABLE)
            .unwrap();
        Server { poll, listener }
    }

    fn accept(&mut self) -> TcpStream {
        let listener = &self.listener;
        let mut stream = retry(&mut self.poll, || listener.accept()).0;
        self.poll
            .registry()
            .register(
                &mut stream,
                Token(1),
                Interest::READABLE | Interest::WRITABLE,
            )
            .unwrap();
        stream
    }

    fn connect(&mut self) -> TcpStream {
        let mut stream = TcpStream::connect(self.listener.local_addr().unwrap()).unwrap();
        self.poll
            .registry()
            .register(
                &mut stream,
                Token(2),
                Interest::READABLE | Interest::WRITABLE,
            )
            .unwrap();
        stream
    }

    /// Sends `msg` from `from` and reads it at `to`.
    fn pass(&mut self, from: &mut TcpStream, to: &mut TcpStream, msg: &[u8]) {
        let mut sent = 0;
        while sent < msg.len() {
            sent += retry(&mut self.poll, || from.write(&msg[sent..]));
        }
        let mut got = vec![0; msg.len()];
        let mut read = 0;
        while read < msg.len() {
            let n = retry(&mut self.poll, || to.read(&mut got[read..]));
            assert!(n > 0, "early end of stream");
            read += n;
        }
        assert_eq!(got, msg);
    }

    /// The end of stream at `stream` once the peer closed.
    fn expect_eof(&mut self, stream: &mut TcpStream) {
        let mut buf = [0; 8];
        assert_eq!(retry(&mut self.poll, || stream.read(&mut buf)), 0);
    }

    /// A whole new connection, both ways, closed by both ends: the server
    /// is still serving.
    fn still_serving(&mut self) {
        let mut client = self.connect();
        let mut server = self.accept();
        self.pass(&mut client, &mut server, b"ping");
        self.pass(&mut server, &mut client, b"pong");
    }
}

fn interop_skip(name: &str) -> bool {
    match mio::wasi::std_interop() {
        Ok(()) => false,
        Err(err) => {
            println!("SKIP {name}: {err}");
            true
        }
    }
}

#[test]
fn close_accepted_and_connected() {
    let mut s = Server::new();
    let mut client = s.connect();
    let mut server = s.accept();
    s.pass(&mut client, &mut server, b"hello");
    // The accepted end first: the client sees the end of the stream.
    drop(server);
    s.expect_eof(&mut client);
    s.still_serving();
    // Then a connected end closes first.
    drop(client);
    let mut client = s.connect();
    let mut server = s.accept();
    s.pass(&mut server, &mut client, b"again");
    drop(client);
    s.expect_eof(&mut server);
    drop(server);
    s.still_serving();
    // A connection that was never used, and one still connecting.
    drop(s.connect());
    drop(s.accept());
    s.still_serving();
}

#[test]
fn close_listeners_and_udp() {
    let mut s = Server::new();
    // A second listener with a queued connection nobody accepted.
    let other = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let pending = TcpStream::connect(other.local_addr().unwrap()).unwrap();
    drop(other);
    drop(pending);
    s.still_serving();

    let mut a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    s.poll
        .registry()
        .register(&mut a, Token(5), Interest::READABLE)
        .unwrap();
    b.send_to(b"dgram", a.local_addr().unwrap()).unwrap();
    let mut buf = [0; 16];
    let (n, _) = retry(&mut s.poll, || a.recv_from(&mut buf));
    assert_eq!(&buf[..n], b"dgram");
    // A connected UDP socket, then both closed.
    b.connect(a.local_addr().unwrap()).unwrap();
    b.send(b"more").unwrap();
    let n = retry(&mut s.poll, || a.recv(&mut buf));
    assert_eq!(&buf[..n], b"more");
    drop(a);
    drop(b);
    s.still_serving();
}

#[test]
fn close_sockets_from_std() {
    if interop_skip("close_sockets_from_std") {
        return;
    }
    let mut s = Server::new();
    // A std stream adopted, used and closed by this crate.
    let std_stream = std::net::TcpStream::connect(s.listener.local_addr().unwrap()).unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let mut client = TcpStream::from_std(std_stream);
    s.poll
        .registry()
        .register(&mut client, Token(2), Interest::READABLE)
        .unwrap();
    let mut server = s.accept();
    s.pass(&mut client, &mut server, b"from std");
    drop(client);
    s.expect_eof(&mut server);
    drop(server);
    s.still_serving();

    // A std listener and a std UDP socket, adopted and closed.
    let listener = TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    drop(listener);
    let udp = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
    udp.send_to(b"x", udp.local_addr().unwrap()).unwrap();
    drop(udp);
    s.still_serving();
}

#[test]
fn close_sockets_into_std() {
    if interop_skip("close_sockets_into_std") {
        return;
    }
    let mut s = Server::new();
    // Both ends of a connection handed to std and closed there.
    let mut client = s.connect();
    let mut server = s.accept();
    s.pass(&mut client, &mut server, b"before");
    s.poll.registry().deregister(&mut client).unwrap();
    s.poll.registry().deregister(&mut server).unwrap();
    let std_client = std::net::TcpStream::from(client);
    let std_server = std::net::TcpStream::from(server);
    drop(std_server);
    drop(std_client);
    s.still_serving();

    // A connection whose connect may still be pending when it goes to std.
    let pending = TcpStream::connect(s.listener.local_addr().unwrap()).unwrap();
    // SAFETY: the descriptor comes straight from `into_raw_fd`.
    drop(unsafe { std::net::TcpStream::from_raw_fd(pending.into_raw_fd()) });
    drop(s.accept());
    s.still_serving();

    // A listener and UDP sockets (with and without a peer) to std.
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    drop(std::net::TcpListener::from(listener));
    let udp = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    udp.connect(peer.local_addr().unwrap()).unwrap();
    drop(std::net::UdpSocket::from(udp));
    drop(std::net::UdpSocket::from(peer));
    s.still_serving();
}
