//! A TCP client for the echo server: sends text and prints what comes back.
//!
//! ```text
//! cargo run --example tcp_client --features os-poll,net [ADDR] [MESSAGE...]
//! ```
//!
//! The address comes from the first argument, else from `ECHO_ADDR`, else
//! `127.0.0.1:9000`. With a message (all further arguments joined by
//! spaces) the client sends it as one line, prints the echo and exits.
//! Without one it sends standard input line by line and prints each echo,
//! until end of input.
//!
//! It shows a non-blocking connect (wait for writable, then check
//! `take_error` and `peer_addr`) and how to wait for one specific condition
//! with `Poll` in a single thread.

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const DEFAULT_ADDR: &str = "127.0.0.1:9000";
const CLIENT: Token = Token(0);
/// How long to wait for the server before giving up.
const TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr_text = args
        .next()
        .or_else(|| std::env::var("ECHO_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let addr: SocketAddr = addr_text.parse().map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad address {addr_text:?}: {err}"),
        )
    })?;
    let message: Vec<String> = args.collect();

    let mut client = Client::connect(addr)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();

    if message.is_empty() {
        for line in io::stdin().lock().lines() {
            let line = line? + "\n";
            let echo = client.round_trip(line.as_bytes())?;
            out.write_all(&echo)?;
            out.flush()?;
        }
    } else {
        let line = message.join(" ") + "\n";
        let echo = client.round_trip(line.as_bytes())?;
        out.write_all(&echo)?;
    }
    client.finish()
}

struct Client {
    poll: Poll,
    events: Events,
    stream: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> io::Result<Client> {
        let poll = Poll::new()?;
        let mut stream = TcpStream::connect(addr)?;
        poll.registry()
            .register(&mut stream, CLIENT, Interest::READABLE | Interest::WRITABLE)?;
        let mut client = Client {
            poll,
            events: Events::with_capacity(8),
            stream,
        };
        // The connect finishes in the background; writable means it is done,
        // one way or the other.
        loop {
            client.wait()?;
            if let Some(err) = client.stream.take_error()? {
                return Err(err);
            }
            match client.stream.peer_addr() {
                Ok(_) => return Ok(client),
                // Not there yet (a spurious wake-up): wait again.
                Err(err) if err.kind() == io::ErrorKind::NotConnected => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Waits for the next event on the stream (any direction).
    fn wait(&mut self) -> io::Result<()> {
        loop {
            match self.poll.poll(&mut self.events, Some(TIMEOUT)) {
                Ok(()) if self.events.is_empty() => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no answer from the server",
                    ))
                }
                Ok(()) => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Sends `data` and returns as many bytes as came back (the echo).
    /// Sending and receiving are interleaved, so large messages work even
    /// when the server echoes before it has read everything.
    fn round_trip(&mut self, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut sent = 0;
        let mut echo = Vec::with_capacity(data.len());
        let mut buf = [0u8; 16 * 1024];
        while echo.len() < data.len() {
            let mut progress = false;
            while sent < data.len() {
                match self.stream.write(&data[sent..]) {
                    Ok(n) => {
                        sent += n;
                        progress = true;
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            loop {
                match self.stream.read(&mut buf) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection",
                        ))
                    }
                    Ok(n) => {
                        echo.extend_from_slice(&buf[..n]);
                        progress = true;
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            if !progress && echo.len() < data.len() {
                self.wait()?;
            }
        }
        Ok(echo)
    }

    /// Closes our side and waits for the server to close its side.
    fn finish(mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)?;
        let mut buf = [0u8; 1024];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {} // The echo was complete; nothing more is expected.
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.wait()?,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}
