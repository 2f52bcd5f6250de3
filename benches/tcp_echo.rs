//! TCP round trips through one `Poll` on one thread: a ping-pong between
//! one client and the server, then 64 connections echoing at once.
//! Portable (native and WASI), so the same numbers can be compared across
//! hosts:
//!
//! ```text
//! cargo bench --features os-poll,net --bench tcp_echo
//! cargo build --release --target wasm32-wasip2 --features os-poll,net --bench tcp_echo
//! wasmtime run -S inherit-network target/wasm32-wasip2/release/deps/tcp_echo-*.wasm
//! ```

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
const MSG: usize = 64;

struct Peer {
    stream: TcpStream,
    buf: [u8; MSG],
    have: usize,
}

/// `conns` clients each do `rounds` round trips of a 64-byte message with
/// their accepted server side; returns the wall time.
fn run(conns: usize, rounds: usize) -> io::Result<Duration> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    // Tokens: 1..=conns clients, conns+1.. server sides.
    let mut peers: HashMap<Token, Peer> = HashMap::new();
    let mut left = vec![rounds; conns + 1];
    for i in 1..=conns {
        let mut stream = TcpStream::connect(addr)?;
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        peers.insert(
            Token(i),
            Peer {
                stream,
                buf: [0; MSG],
                have: 0,
            },
        );
    }
    let mut accepted = 0;
    let mut sent = vec![false; conns + 1];
    let mut done = 0;
    let start = Instant::now();
    while done < conns {
        poll.poll(&mut events, Some(Duration::from_secs(10)))?;
        if events.is_empty() {
            return Err(io::Error::new(ErrorKind::TimedOut, "no progress in 10 s"));
        }
        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            accepted += 1;
                            let t = Token(conns + accepted);
                            poll.registry()
                                .register(&mut stream, t, Interest::READABLE)?;
                            peers.insert(
                                t,
                                Peer {
                                    stream,
                                    buf: [0; MSG],
                                    have: 0,
                                },
                            );
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let client = token.0 <= conns;
            if client && event.is_writable() && !sent[token.0] && left[token.0] > 0 {
                if let Some(peer) = peers.get_mut(&token) {
                    // Connected: first ping.
                    peer.stream.write_all(&[1; MSG])?;
                    sent[token.0] = true;
                }
            }
            // Read whole messages; answer each one.
            let Some(peer) = peers.get_mut(&token) else {
                continue;
            };
            loop {
                match peer.stream.read(&mut peer.buf[peer.have..]) {
                    Ok(0) => break,
                    Ok(n) => {
                        peer.have += n;
                        if peer.have < MSG {
                            continue;
                        }
                        peer.have = 0;
                        if client {
                            left[token.0] -= 1;
                            if left[token.0] == 0 {
                                done += 1;
                                break;
                            }
                        }
                        peer.stream.write_all(&peer.buf)?;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(start.elapsed())
}

fn main() -> io::Result<()> {
    // `cargo bench` passes `--bench`; nothing else is parsed.
    let rounds = 5_000;
    let t = run(1, rounds)?;
    println!(
        "ping-pong, 1 connection: {rounds} round trips in {:.1} ms = {:.1} us/round trip",
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() * 1e6 / rounds as f64
    );
    let (conns, rounds) = (64, 500);
    let t = run(conns, rounds)?;
    let total = conns * rounds;
    println!(
        "echo, {conns} connections: {total} round trips in {:.1} ms = {:.0} round trips/s",
        t.as_secs_f64() * 1e3,
        total as f64 / t.as_secs_f64()
    );
    Ok(())
}
