//! The echo server of the idle-connections benchmark, written once against
//! the mio API every variant shares. Edge-triggered: each readable event
//! reads until `WouldBlock` and writes what it read straight back; only
//! what the socket does not take is kept and sent on a writable event.
//! Prints `LISTENING <addr>` and serves until killed.

mod args;

#[cfg(feature = "old")]
use mio_old as mio;
#[cfg(feature = "this")]
use mio_this as mio;
#[cfg(feature = "upstream")]
use mio_upstream as mio;

use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);

struct Conn {
    stream: TcpStream,
    /// Bytes read but not yet taken by the socket.
    out: Vec<u8>,
}

fn main() -> io::Result<()> {
    let addr = args::listen_addr()?;
    let mut listener = TcpListener::bind(addr)?;
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(256);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("LISTENING {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let slot = free.pop().unwrap_or_else(|| {
                                conns.push(None);
                                conns.len() - 1
                            });
                            poll.registry().register(
                                &mut stream,
                                Token(slot + 1),
                                Interest::READABLE,
                            )?;
                            conns[slot] = Some(Conn {
                                stream,
                                out: Vec::new(),
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let slot = event.token().0 - 1;
            let Some(conn) = conns.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            let mut closed = false;
            if event.is_writable() && !conn.out.is_empty() {
                closed |= flush(&mut poll, conn, slot)?;
            }
            if event.is_readable() || event.is_read_closed() {
                loop {
                    match conn.stream.read(&mut buf) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => {
                            if conn.out.is_empty() {
                                match conn.stream.write(&buf[..n]) {
                                    Ok(w) if w == n => continue,
                                    Ok(w) => conn.out.extend_from_slice(&buf[w..n]),
                                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                        conn.out.extend_from_slice(&buf[..n])
                                    }
                                    Err(_) => {
                                        closed = true;
                                        break;
                                    }
                                }
                                poll.registry().reregister(
                                    &mut conn.stream,
                                    Token(slot + 1),
                                    Interest::READABLE | Interest::WRITABLE,
                                )?;
                            } else {
                                conn.out.extend_from_slice(&buf[..n]);
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
            }
            if closed {
                if let Some(mut conn) = conns[slot].take() {
                    let _ = poll.registry().deregister(&mut conn.stream);
                }
                free.push(slot);
            }
        }
    }
}

/// Sends what is pending; back to read interest only once all is gone.
/// Returns whether the connection failed.
fn flush(poll: &mut Poll, conn: &mut Conn, slot: usize) -> io::Result<bool> {
    while !conn.out.is_empty() {
        match conn.stream.write(&conn.out) {
            Ok(n) => {
                conn.out.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(true),
        }
    }
    poll.registry()
        .reregister(&mut conn.stream, Token(slot + 1), Interest::READABLE)?;
    Ok(false)
}
