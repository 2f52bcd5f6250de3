//! The host's floor for the idle-connections benchmark on WASI 0.2: the
//! same echo service as `server.rs`, written straight on `wasi:sockets` and
//! `wasi:io` with no library in between, so that the figures of any library on this host can be put beside
//! what the host itself costs.
//!
//! Per 64-byte round trip: one `poll` over every connection's read
//! pollable (kept from one wait to the next), `read` until the stream is
//! empty, as an edge-triggered loop reads (wasmtime reports a stream ready
//! again until a read finds it empty, so stopping at a short read costs a
//! wasted wake-up as often as not), one `check-write` and one `write`. It
//! keeps no write interest: what the stream does not take at once is
//! written with `blocking-write-and-flush` (4 KiB at a time), which stalls
//! the other connections and is acceptable only in a floor (the ping-pong
//! never needs it). Not a model for real code.
//!
//! Prints `LISTENING <addr>` and serves until killed, like `server.rs`.

mod args;

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddrV4};

use wasip2::io::poll::{poll, Pollable};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::tcp::TcpSocket;
use wasip2::sockets::tcp_create_socket::create_tcp_socket;

struct Conn {
    // Dropped in this order: the pollable and the streams before their socket.
    input: InputStream,
    output: OutputStream,
    _socket: TcpSocket,
}

/// Reads until the stream is empty, as an edge-triggered loop does,
/// writing what each read got straight back. An error: the connection is
/// finished.
fn echo(conn: &Conn) -> Result<(), StreamError> {
    loop {
        let data = conn.input.read(64 * 1024)?;
        if data.is_empty() {
            return Ok(());
        }
        if conn.output.check_write()? >= data.len() as u64 {
            conn.output.write(&data)?;
        } else {
            for chunk in data.chunks(4096) {
                conn.output.blocking_write_and_flush(chunk)?;
            }
        }
    }
}

fn fail(what: &str, code: ErrorCode) -> io::Error {
    io::Error::other(format!("{what}: {code:?}"))
}

/// Repeats a `finish-*` call until the host has finished the operation.
fn finish<T>(
    socket: &TcpSocket,
    what: &str,
    mut f: impl FnMut() -> Result<T, ErrorCode>,
) -> io::Result<T> {
    loop {
        match f() {
            Err(ErrorCode::WouldBlock) => socket.subscribe().block(),
            Err(code) => return Err(fail(what, code)),
            Ok(v) => return Ok(v),
        }
    }
}

fn main() -> io::Result<()> {
    let addr: SocketAddrV4 = args::listen_addr()?;
    let network = instance_network();
    let listener = create_tcp_socket(IpAddressFamily::Ipv4).map_err(|c| fail("socket", c))?;
    let [a, b, c, d] = addr.ip().octets();
    let local = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: addr.port(),
        address: (a, b, c, d),
    });
    listener
        .start_bind(&network, local)
        .map_err(|c| fail("bind", c))?;
    finish(&listener, "bind", || listener.finish_bind())?;
    listener
        .set_listen_backlog_size(2048)
        .map_err(|c| fail("backlog", c))?;
    listener.start_listen().map_err(|c| fail("listen", c))?;
    finish(&listener, "listen", || listener.finish_listen())?;
    let IpSocketAddress::Ipv4(bound) = listener.local_address().map_err(|c| fail("address", c))?
    else {
        return Err(io::Error::other("the listener's address is not IPv4"));
    };
    let (a, b, c, d) = bound.address;
    println!(
        "LISTENING {}",
        SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), bound.port)
    );
    io::stdout().flush()?;

    // pollables[0] is the listener's; pollables[i] is conns[i - 1]'s input.
    let mut pollables: Vec<Pollable> = vec![listener.subscribe()];
    let mut conns: Vec<Conn> = Vec::new();
    loop {
        let ready = {
            let list: Vec<&Pollable> = pollables.iter().collect();
            poll(&list)
        };
        let mut closed: Vec<usize> = Vec::new();
        for i in ready {
            let i = i as usize;
            if i == 0 {
                while let Ok((socket, input, output)) = listener.accept() {
                    pollables.push(input.subscribe());
                    conns.push(Conn {
                        input,
                        output,
                        _socket: socket,
                    });
                }
                continue;
            }
            if echo(&conns[i - 1]).is_err() {
                closed.push(i);
            }
        }
        // Highest index first, so that each removal leaves the others valid.
        closed.sort_unstable();
        for &i in closed.iter().rev() {
            drop(pollables.swap_remove(i));
            drop(conns.swap_remove(i - 1));
        }
    }
}
