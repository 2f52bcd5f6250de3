//! The echo server of `examples/wasi_p1_echo.rs`, written once against the
//! mio API both crates share (`--features new` or `--features old`).
//! Prints `LISTENING <addr>`, echoes one connection until EOF, exits.

#[cfg(feature = "new")]
use mio_new as mio;
#[cfg(feature = "old")]
use mio_old as mio;

use std::io::{self, Read, Write};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string())
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad address"))?;
    let mut listener = TcpListener::bind(addr)?;
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(64);
    poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
    println!("LISTENING {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut stream = loop {
        poll.poll(&mut events, None)?;
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    };
    poll.registry()
        .register(&mut stream, Token(1), Interest::READABLE | Interest::WRITABLE)?;

    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut can_read, mut can_write, mut eof) = (false, false, false);
    let mut polls: u64 = 0;
    while !(eof && pending.is_empty()) {
        poll.poll(&mut events, None)?;
        polls += 1;
        for event in events.iter() {
            if event.token() == Token(1) {
                can_read |= event.is_readable() || event.is_read_closed();
                can_write |= event.is_writable();
            }
        }
        loop {
            let mut progress = false;
            if can_write && !pending.is_empty() {
                match stream.write(&pending) {
                    Ok(n) => {
                        pending.drain(..n);
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => can_write = false,
                    Err(e) => return Err(e),
                }
            }
            if can_read && !eof && pending.len() < 256 * 1024 {
                match stream.read(&mut buf) {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        pending.extend_from_slice(&buf[..n]);
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => can_read = false,
                    Err(e) => return Err(e),
                }
            }
            if !progress {
                break;
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    println!("DONE polls={polls}");
    Ok(())
}
