//! A TCP echo server for WASI preview 1, driven by `mio::Poll`.
//!
//! On any preview-1 runtime that hands the module a listening socket:
//!
//! ```text
//! cargo build --target wasm32-wasip1 --features os-poll,net --example wasi_p1_echo
//! wasmtime run -S preview2=n -S tcplisten=127.0.0.1:7000 \
//!     target/wasm32-wasip1/debug/examples/wasi_p1_echo.wasm
//! ```
//!
//! The listener is descriptor 3. With the `wasmedge` feature the server can
//! bind its own socket instead (`--listen 127.0.0.1:0`; it prints the
//! address it got):
//!
//! ```text
//! cargo build --target wasm32-wasip1 --features os-poll,net,wasmedge --example wasi_p1_echo
//! wasmedge target/wasm32-wasip1/debug/examples/wasi_p1_echo.wasm --listen 127.0.0.1:0
//! ```
//!
//! Every connection is echoed until the client shuts down its write half;
//! after `--conns N` connections (default 1) the server exits. It prints
//! `LISTENING <addr>` when ready and `DONE polls=<n> bytes=<n>` at the end.

#[cfg(all(target_os = "wasi", target_env = "p1"))]
fn main() -> std::io::Result<()> {
    server::run()
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
fn main() {
    println!("this example is for wasm32-wasip1; see the comment at the top of the file");
}

#[cfg(all(target_os = "wasi", target_env = "p1"))]
mod server {
    use std::collections::HashMap;
    use std::io::{self, Read, Write};
    use std::net::Shutdown;

    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Interest, Poll, Token};

    const LISTENER: Token = Token(0);
    /// Stop reading while this much echo is waiting to be written.
    const MAX_PENDING: usize = 256 * 1024;

    struct Conn {
        stream: TcpStream,
        pending: Vec<u8>,
        can_read: bool,
        can_write: bool,
        eof: bool,
    }

    fn listener(args: &[String]) -> io::Result<(TcpListener, String)> {
        if let Some(i) = args.iter().position(|a| a == "--listen") {
            let addr = args
                .get(i + 1)
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "--listen needs an address")
                })?;
            let listener = TcpListener::bind(addr)?;
            let local = listener.local_addr()?;
            Ok((listener, local.to_string()))
        } else {
            use std::os::fd::FromRawFd;
            // SAFETY: the runtime pre-opens the listening socket as descriptor 3.
            let std_listener = unsafe { std::net::TcpListener::from_raw_fd(3) };
            std_listener.set_nonblocking(true)?;
            Ok((TcpListener::from_std(std_listener), "fd3".to_string()))
        }
    }

    pub(super) fn run() -> io::Result<()> {
        let args: Vec<String> = std::env::args().collect();
        let conns_wanted: usize = args
            .iter()
            .position(|a| a == "--conns")
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);

        let (mut listener, shown) = listener(&args)?;
        let mut poll = Poll::new()?;
        let mut events = Events::with_capacity(64);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        println!("LISTENING {shown}");
        io::stdout().flush()?;

        let mut conns: HashMap<Token, Conn> = HashMap::new();
        let mut next = 1;
        let mut done = 0;
        let mut polls: u64 = 0;
        let mut bytes: u64 = 0;
        let trace = args.iter().any(|a| a == "--trace");
        while done < conns_wanted {
            poll.poll(&mut events, None)?;
            polls += 1;
            for event in events.iter() {
                if trace && polls < 40 {
                    println!("poll {polls}: {event:?}");
                }
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
                                        can_read: false,
                                        can_write: false,
                                        eof: false,
                                    },
                                );
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                } else if let Some(conn) = conns.get_mut(&event.token()) {
                    conn.can_read |=
                        event.is_readable() || event.is_read_closed() || event.is_error();
                    conn.can_write |= event.is_writable() || event.is_error();
                }
            }
            let mut finished = Vec::new();
            for (token, conn) in conns.iter_mut() {
                bytes += drive(conn)?;
                if conn.eof && conn.pending.is_empty() {
                    finished.push(*token);
                }
            }
            for token in finished {
                if let Some(mut conn) = conns.remove(&token) {
                    poll.registry().deregister(&mut conn.stream)?;
                    let _ = conn.stream.shutdown(Shutdown::Write);
                    done += 1;
                }
            }
        }
        println!("DONE polls={polls} bytes={bytes}");
        Ok(())
    }

    /// Reads and writes as far as the socket allows; returns bytes echoed.
    fn drive(conn: &mut Conn) -> io::Result<u64> {
        let mut echoed = 0;
        let mut buf = [0u8; 64 * 1024];
        loop {
            let mut progress = false;
            if conn.can_write && !conn.pending.is_empty() {
                match conn.stream.write(&conn.pending) {
                    Ok(n) => {
                        conn.pending.drain(..n);
                        echoed += n as u64;
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => conn.can_write = false,
                    Err(e) => return Err(e),
                }
            }
            if conn.can_read && !conn.eof && conn.pending.len() < MAX_PENDING {
                match conn.stream.read(&mut buf) {
                    Ok(0) => {
                        conn.eof = true;
                        conn.can_read = false;
                    }
                    Ok(n) => {
                        conn.pending.extend_from_slice(&buf[..n]);
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => conn.can_read = false,
                    Err(e) => return Err(e),
                }
            }
            if !progress {
                return Ok(echoed);
            }
        }
    }
}
