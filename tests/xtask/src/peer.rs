//! Native peers for guests and examples: echo clients that check every
//! byte, an echo server, UDP checks. Plain std sockets on loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::harness::{Context, Fallible};

/// Byte `i` of the test pattern: not periodic at any small power of two, so
/// a lost, doubled or reordered chunk shows up.
pub fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 11)) as u8
}

/// Connects to an echo server at `addr`, sends `len` pattern bytes (from a
/// second thread, so neither side's buffers can deadlock it), reads them
/// back and compares; then shuts down its writing half and expects EOF.
pub fn tcp_echo(addr: SocketAddr, len: usize, timeout: Duration) -> Fallible {
    let stream = TcpStream::connect_timeout(&addr, timeout).context(format!("connect {addr}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .context("set_read_timeout")?;
    stream
        .set_write_timeout(Some(timeout))
        .context("set_write_timeout")?;
    let mut writer = stream.try_clone().context("clone stream")?;
    let sender = thread::spawn(move || -> Fallible {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0;
        while sent < len {
            let n = buf.len().min(len - sent);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = pattern(sent + i);
            }
            writer
                .write_all(&buf[..n])
                .context(format!("write at byte {sent}"))?;
            sent += n;
        }
        writer.shutdown(Shutdown::Write).context("shutdown(Write)")
    });
    let mut reader = stream;
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < len {
        let n = reader
            .read(&mut buf)
            .context(format!("read after {got} of {len} bytes"))?;
        if n == 0 {
            return Err(format!("EOF after {got} of {len} bytes"));
        }
        for (i, b) in buf[..n].iter().enumerate() {
            if *b != pattern(got + i) {
                return Err(format!("byte {} differs", got + i));
            }
        }
        got += n;
    }
    sender
        .join()
        .map_err(|_| "writer thread panicked".to_string())??;
    match reader.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!("{n} bytes more than were sent")),
        Err(e) => Err(format!("no EOF after the echo: {e}")),
    }
}

/// A native TCP echo server on 127.0.0.1 for guest clients: serves
/// `connections` connections one after another, echoing until EOF, and
/// returns how many bytes it echoed in all.
pub struct EchoServer {
    pub addr: SocketAddr,
    handle: JoinHandle<Fallible<u64>>,
}

impl EchoServer {
    pub fn start(connections: usize, timeout: Duration) -> Fallible<EchoServer> {
        Self::start_on("127.0.0.1:0", connections, timeout)
    }

    pub fn start_on(bind: &str, connections: usize, timeout: Duration) -> Fallible<EchoServer> {
        let listener = TcpListener::bind(bind).context(format!("bind {bind}"))?;
        let addr = listener.local_addr().context("local_addr")?;
        let handle = thread::spawn(move || -> Fallible<u64> {
            let mut total = 0;
            for _ in 0..connections {
                let (mut stream, _) = listener.accept().context("accept")?;
                stream
                    .set_read_timeout(Some(timeout))
                    .context("set_read_timeout")?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = stream.read(&mut buf).context("echo read")?;
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).context("echo write")?;
                    total += n as u64;
                }
                let _ = stream.shutdown(Shutdown::Write);
            }
            Ok(total)
        });
        Ok(EchoServer { addr, handle })
    }

    /// Waits for the server thread: the bytes echoed.
    pub fn finish(self) -> Fallible<u64> {
        self.handle
            .join()
            .map_err(|_| "echo server thread panicked".to_string())?
    }
}

/// A native TCP echo server on 127.0.0.1 for any number of clients at
/// once, each echoed until it shuts down its writing half, for as long as
/// the value lives (a peer for guest clients that connect when they like,
/// e.g. a whole `cargo test` run).
pub struct EchoPeer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl EchoPeer {
    /// How long a connection may stay idle before the peer drops it.
    const IDLE: Duration = Duration::from_secs(600);

    pub fn start() -> Fallible<EchoPeer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
        let addr = listener.local_addr().context("local_addr")?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = conn {
                    thread::spawn(move || echo_until_eof(stream, Self::IDLE));
                }
            }
        });
        Ok(EchoPeer { addr, stop })
    }
}

impl Drop for EchoPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Echoes everything `stream` sends until EOF (or an error, or `idle`
/// without data), then closes it.
fn echo_until_eof(mut stream: TcpStream, idle: Duration) {
    if stream.set_read_timeout(Some(idle)).is_err() {
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}

/// `ARGS` with every `{ADDR}` replaced by `addr`.
pub fn with_addr(args: &[String], addr: SocketAddr) -> Vec<String> {
    args.iter()
        .map(|a| a.replace("{ADDR}", &addr.to_string()))
        .collect()
}

/// `cargo xtask runner peer COMMAND [ARGS...]`: runs COMMAND next to an
/// [`EchoPeer`], with `{ADDR}` in its arguments replaced by the peer's
/// address, under the runner time limit; passes its exit status on. As a
/// cargo runner (`wasmedge --env TOKIO_SUITE_PEER={ADDR}`), it gives every
/// test binary a native server to connect to.
pub fn runner(args: &[String]) -> ExitCode {
    let Some((program, rest)) = args.split_first() else {
        eprintln!("usage: cargo xtask runner peer COMMAND [ARGS...]");
        return ExitCode::from(2);
    };
    let peer = match EchoPeer::start() {
        Ok(peer) => peer,
        Err(e) => {
            eprintln!("cannot start the echo peer: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut cmd = Command::new(program);
    cmd.args(with_addr(rest, peer.addr));
    let code = crate::process::run_as_runner(cmd);
    drop(peer);
    code
}

/// Sends `count` datagrams of different sizes to a UDP echo server and
/// expects each back, byte for byte (retrying a datagram a few times:
/// loopback UDP can still drop under load).
pub fn udp_echo(addr: SocketAddr, count: usize, timeout: Duration) -> Fallible {
    let bind = if addr.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let socket = UdpSocket::bind(bind).context(format!("bind {bind}"))?;
    socket.connect(addr).context(format!("connect {addr}"))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .context("set_read_timeout")?;
    let mut buf = vec![0u8; 65536];
    let attempts = (timeout.as_millis() / 500).max(1);
    for n in 0..count {
        let size = 1 + (n * 97) % 1400;
        let msg: Vec<u8> = (0..size).map(|i| pattern(i + n)).collect();
        let mut echoed = false;
        for _ in 0..attempts {
            socket.send(&msg).context(format!("send datagram {n}"))?;
            match socket.recv(&mut buf) {
                Ok(got) if buf[..got] == msg[..] => {
                    echoed = true;
                    break;
                }
                // An echo of an earlier retry; keep waiting for ours.
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(format!("recv datagram {n}: {e}")),
            }
        }
        if !echoed {
            return Err(format!("datagram {n} ({size} bytes) not echoed"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_client_against_echo_server() {
        let server = EchoServer::start(1, Duration::from_secs(10)).unwrap();
        tcp_echo(server.addr, 300_000, Duration::from_secs(10)).unwrap();
        assert_eq!(server.finish().unwrap(), 300_000);
    }

    #[test]
    fn echo_client_notices_a_server_that_drops_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 10];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf[1..]).unwrap();
        });
        assert!(tcp_echo(addr, 10, Duration::from_secs(5)).is_err());
        t.join().unwrap();
    }

    #[test]
    fn echo_peer_serves_clients_at_once() {
        let peer = EchoPeer::start().unwrap();
        let clients: Vec<_> = (0..3)
            .map(|i| {
                let addr = peer.addr;
                thread::spawn(move || tcp_echo(addr, 100_000 * (i + 1), Duration::from_secs(10)))
            })
            .collect();
        for c in clients {
            c.join().unwrap().unwrap();
        }
    }

    #[test]
    fn addr_placeholders() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let args = [
            "--env".to_string(),
            "PEER={ADDR}".to_string(),
            "x".to_string(),
        ];
        assert_eq!(
            with_addr(&args, addr),
            ["--env", "PEER=127.0.0.1:4000", "x"]
        );
    }
}
