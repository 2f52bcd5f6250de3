//! TCP and UDP echo peers, used by the wasm32-wasip2 cross-boundary tests
//! (they run the same on native targets).
//!
//! ```text
//! wasi_echo tcp-server ADDR [CONNECTIONS]   echo every TCP connection; exit after CONNECTIONS (default: never)
//! wasi_echo tcp-client ADDR BYTES           send BYTES, check they come back, print "ok BYTES"
//!                                           (no half-close: the peer stops after BYTES)
//! wasi_echo udp-server ADDR DATAGRAMS       echo DATAGRAMS datagrams, then exit
//! ```
//!
//! Servers print `listening on ADDR` (the bound address) once ready.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = || {
        io::Error::new(
            ErrorKind::InvalidInput,
            "usage: wasi_echo tcp-server|tcp-client|udp-server ADDR [N]",
        )
    };
    let mode = args.get(1).ok_or_else(usage)?;
    let addr: SocketAddr = args
        .get(2)
        .ok_or_else(usage)?
        .parse()
        .map_err(|_| usage())?;
    let n: Option<u64> = args.get(3).and_then(|s| s.parse().ok());
    match mode.as_str() {
        "tcp-server" => tcp_server(addr, n),
        "tcp-client" => tcp_client(addr, n.ok_or_else(usage)?),
        "udp-server" => udp_server(addr, n.ok_or_else(usage)?),
        _ => Err(usage()),
    }
}

struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
    read_closed: bool,
}

fn tcp_server(addr: SocketAddr, connections: Option<u64>) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(256);
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: HashMap<Token, Conn> = HashMap::new();
    let mut next = 0;
    let mut finished = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let token = Token(next);
                            next += 1;
                            poll.registry().register(
                                &mut stream,
                                token,
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            conns.insert(
                                token,
                                Conn {
                                    stream,
                                    pending: Vec::new(),
                                    read_closed: false,
                                },
                            );
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let token = event.token();
            let Some(conn) = conns.get_mut(&token) else {
                continue;
            };
            let done = serve(conn, &mut buf)?;
            if done {
                if let Some(mut conn) = conns.remove(&token) {
                    poll.registry().deregister(&mut conn.stream)?;
                }
                finished += 1;
                if Some(finished) == connections {
                    return Ok(());
                }
            }
        }
    }
}

/// Moves data until both directions would block; true once the peer has
/// closed and everything was echoed.
fn serve(conn: &mut Conn, buf: &mut [u8]) -> io::Result<bool> {
    loop {
        let mut progress = false;
        while !conn.pending.is_empty() {
            match conn.stream.write(&conn.pending) {
                Ok(n) => {
                    conn.pending.drain(..n);
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        // Read only while little is waiting to go out (back-pressure).
        if !conn.read_closed && conn.pending.len() < 1 << 20 {
            match conn.stream.read(buf) {
                Ok(0) => {
                    conn.read_closed = true;
                    progress = true;
                }
                Ok(n) => {
                    conn.pending.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        if conn.read_closed && conn.pending.is_empty() {
            conn.stream.shutdown(std::net::Shutdown::Write)?;
            return Ok(true);
        }
        if !progress {
            return Ok(false);
        }
    }
}

fn pattern(i: u64) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8)) as u8
}

fn tcp_client(addr: SocketAddr, total: u64) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    let mut stream = TcpStream::connect(addr)?;
    poll.registry().register(
        &mut stream,
        Token(0),
        Interest::READABLE | Interest::WRITABLE,
    )?;
    let (mut sent, mut received) = (0u64, 0u64);
    let mut out = vec![0u8; 64 * 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let mut connected = false;
    while received < total {
        poll.poll(&mut events, None)?;
        if !connected {
            if let Some(err) = stream.take_error()? {
                return Err(err);
            }
            match stream.peer_addr() {
                Ok(_) => connected = true,
                Err(e) if e.kind() == ErrorKind::NotConnected => continue,
                Err(e) => return Err(e),
            }
        }
        while sent < total {
            let len = (total - sent).min(out.len() as u64) as usize;
            for (j, b) in out[..len].iter_mut().enumerate() {
                *b = pattern(sent + j as u64);
            }
            match stream.write(&out[..len]) {
                Ok(n) => sent += n as u64,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        while received < total {
            match stream.read(&mut buf) {
                Ok(0) => {
                    return Err(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!("echo ended after {received} of {total} bytes"),
                    ))
                }
                Ok(n) => {
                    for (j, &b) in buf[..n].iter().enumerate() {
                        if b != pattern(received + j as u64) {
                            return Err(io::Error::new(
                                ErrorKind::InvalidData,
                                format!("byte {} differs", received + j as u64),
                            ));
                        }
                    }
                    received += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    println!("ok {received}");
    Ok(())
}

fn udp_server(addr: SocketAddr, datagrams: u64) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    let mut socket = UdpSocket::bind(addr)?;
    poll.registry()
        .register(&mut socket, Token(0), Interest::READABLE)?;
    println!("listening on {}", socket.local_addr()?);
    io::stdout().flush()?;
    let mut buf = [0u8; 2048];
    let mut echoed = 0;
    while echoed < datagrams {
        poll.poll(&mut events, None)?;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    // A full send buffer loses the echo, as UDP may.
                    match socket.send_to(&buf[..n], from) {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    echoed += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
