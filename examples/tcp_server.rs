//! A TCP echo server: everything a client sends comes back to it.
//!
//! ```text
//! cargo run --example tcp_server --features os-poll,net [ADDR]
//! nc 127.0.0.1 9000        # in another terminal: type lines, see them echoed
//! ```
//!
//! The address is taken from the first argument, else from the `ECHO_ADDR`
//! environment variable, else `127.0.0.1:9000` (port 0 picks a free port).
//! The first line on stdout is `listening on ADDR` with the bound address.
//!
//! One thread serves any number of clients. It shows the usual mio pattern
//! for edge-triggered readiness:
//!
//! * register each connection once for both directions;
//! * on any event, read until `WouldBlock` and write until `WouldBlock`
//!   (or until nothing is left to write);
//! * never trust an event: every call may still return `WouldBlock`.
//!
//! Each connection buffers at most `MAX_PENDING` bytes that the client has
//! not read back yet; past that the server stops reading from it until the
//! client catches up, so a client that only sends cannot exhaust memory.
//! When a client shuts down its sending side, the server writes what is
//! left, closes the connection and forgets it.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const DEFAULT_ADDR: &str = "127.0.0.1:9000";
const LISTENER: Token = Token(0);
/// Bytes read from a client but not yet written back, per connection.
const MAX_PENDING: usize = 256 * 1024;

fn main() -> io::Result<()> {
    let addr = server_addr()?;
    let mut listener = TcpListener::bind(addr)?;
    println!("listening on {}", listener.local_addr()?);

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(256);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut connections: HashMap<Token, Connection> = HashMap::new();
    let mut next_token = 1usize;

    loop {
        if let Err(err) = poll.poll(&mut events, None) {
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }

        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut connections, &mut next_token)?;
                continue;
            }
            let token = event.token();
            // The event may be for a connection closed earlier in this batch.
            let Some(conn) = connections.get_mut(&token) else {
                continue;
            };
            match conn.service() {
                Ok(State::Open) => {}
                Ok(State::Done) => close(&poll, &mut connections, token, None),
                Err(err) => close(&poll, &mut connections, token, Some(err)),
            }
        }
    }
}

/// The address to listen on: argv[1], `ECHO_ADDR`, or the default.
fn server_addr() -> io::Result<SocketAddr> {
    let text = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("ECHO_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    text.parse().map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad address {text:?}: {err}"),
        )
    })
}

/// Accepts every pending connection (the listener is edge-triggered too).
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    connections: &mut HashMap<Token, Connection>,
    next_token: &mut usize,
) -> io::Result<()> {
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(pair) => pair,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // The client gave up before we accepted it: not our problem.
            Err(err) if err.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(err) => {
                // Out of descriptors and the like: report it, keep serving
                // the clients we have.
                eprintln!("accept failed: {err}");
                return Ok(());
            }
        };
        let token = Token(*next_token);
        *next_token += 1;
        poll.registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        eprintln!("{peer}: connected");
        connections.insert(
            token,
            Connection {
                stream,
                peer,
                pending: Vec::new(),
                peer_done: false,
            },
        );
    }
}

fn close(
    poll: &Poll,
    connections: &mut HashMap<Token, Connection>,
    token: Token,
    err: Option<io::Error>,
) {
    if let Some(mut conn) = connections.remove(&token) {
        match err {
            Some(err) => eprintln!("{}: closed after error: {err}", conn.peer),
            None => eprintln!("{}: closed", conn.peer),
        }
        // Dropping the stream would deregister it as well; doing it
        // explicitly shows the API.
        let _ = poll.registry().deregister(&mut conn.stream);
    }
}

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    /// Received, not yet echoed.
    pending: Vec<u8>,
    /// The client has shut down its sending side (read returned 0).
    peer_done: bool,
}

enum State {
    Open,
    Done,
}

impl Connection {
    /// Moves as many bytes as possible in both directions, stopping only on
    /// `WouldBlock`, so that the next edge-triggered event is guaranteed.
    fn service(&mut self) -> io::Result<State> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let wrote = self.flush()?;
            let mut read = 0;
            while !self.peer_done && self.pending.len() < MAX_PENDING {
                let room = (MAX_PENDING - self.pending.len()).min(buf.len());
                match self.stream.read(&mut buf[..room]) {
                    Ok(0) => self.peer_done = true,
                    Ok(n) => {
                        self.pending.extend_from_slice(&buf[..n]);
                        read += n;
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            if self.peer_done && self.pending.is_empty() {
                // Everything echoed: half-close so the client sees EOF.
                return match self.stream.shutdown(Shutdown::Write) {
                    Ok(()) => Ok(State::Done),
                    // The client closed completely already.
                    Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(State::Done),
                    Err(err) => Err(err),
                };
            }
            if wrote == 0 && read == 0 {
                // Both directions are blocked (or reading waits for the
                // client to drain): a later event will bring us back.
                return Ok(State::Open);
            }
        }
    }

    /// Writes pending bytes until done or `WouldBlock`; returns the count.
    fn flush(&mut self) -> io::Result<usize> {
        let mut written = 0;
        while written < self.pending.len() {
            match self.stream.write(&self.pending[written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.pending.drain(..written);
                    return Err(err);
                }
            }
        }
        self.pending.drain(..written);
        Ok(written)
    }
}
