//! A UDP echo server: every datagram goes back to its sender unchanged.
//!
//! ```text
//! cargo run --example udp_server --features os-poll,net [ADDR]
//! nc -u 127.0.0.1 9001     # in another terminal: each line comes back
//! ```
//!
//! The address is taken from the first argument, else from the
//! `ECHO_UDP_ADDR` environment variable, else `127.0.0.1:9001` (port 0 picks
//! a free port). The first line on stdout is `listening on ADDR`.
//!
//! With edge-triggered readiness the socket is drained with `recv_from`
//! until `WouldBlock`. Replies that cannot be sent at once (`WouldBlock` on
//! `send_to`) wait in a bounded queue for the next writable event; when the
//! queue is full, new datagrams are dropped, as UDP allows.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

const DEFAULT_ADDR: &str = "127.0.0.1:9001";
const SOCKET: Token = Token(0);
/// Largest datagram echoed in full (the maximum UDP payload over IPv4).
const MAX_DATAGRAM: usize = 65_507;
/// Replies waiting for the socket to become writable.
const MAX_QUEUED: usize = 1024;

fn main() -> io::Result<()> {
    let text = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("ECHO_UDP_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let addr: SocketAddr = text.parse().map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad address {text:?}: {err}"),
        )
    })?;

    let mut socket = UdpSocket::bind(addr)?;
    println!("listening on {}", socket.local_addr()?);

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    poll.registry()
        .register(&mut socket, SOCKET, Interest::READABLE | Interest::WRITABLE)?;

    let mut queue: VecDeque<(Vec<u8>, SocketAddr)> = VecDeque::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];

    loop {
        if let Err(err) = poll.poll(&mut events, None) {
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        // Only one source: any event means "try both directions".
        if events.is_empty() {
            continue;
        }
        send_queued(&socket, &mut queue)?;
        loop {
            let (n, peer) = match socket.recv_from(&mut buf) {
                Ok(pair) => pair,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                // An ICMP "port unreachable" from an earlier reply shows up
                // here on some systems; it concerns a client that is gone.
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => continue,
                Err(err) if err.kind() == io::ErrorKind::ConnectionReset => continue,
                Err(err) => return Err(err),
            };
            if !queue.is_empty() {
                // Keep replies in order behind the ones already waiting.
                if queue.len() < MAX_QUEUED {
                    queue.push_back((buf[..n].to_vec(), peer));
                }
                continue;
            }
            match socket.send_to(&buf[..n], peer) {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    queue.push_back((buf[..n].to_vec(), peer));
                }
                Err(err) => eprintln!("{peer}: reply failed: {err}"),
            }
        }
    }
}

/// Sends queued replies until the queue is empty or the socket is full.
fn send_queued(socket: &UdpSocket, queue: &mut VecDeque<(Vec<u8>, SocketAddr)>) -> io::Result<()> {
    while let Some((data, peer)) = queue.front() {
        match socket.send_to(data, *peer) {
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => eprintln!("{peer}: reply failed: {err}"),
        }
        queue.pop_front();
    }
    Ok(())
}
