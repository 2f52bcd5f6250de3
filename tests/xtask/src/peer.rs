//! Native peers for guests and examples: echo clients that check every
//! byte, an echo server, UDP checks. Plain std sockets on loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
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
    echo_stream(stream, len, timeout)
}

/// The echo check of [`tcp_echo`] on a connection that is already open:
/// `len` pattern bytes out, the same back, then EOF.
pub fn echo_stream(stream: TcpStream, len: usize, timeout: Duration) -> Fallible {
    echo_data(stream, pattern_bytes(len).into(), timeout)
}

/// The first `len` bytes of the test pattern.
pub fn pattern_bytes(len: usize) -> Vec<u8> {
    (0..len).map(pattern).collect()
}

/// Sends `data` over `stream` (from a second thread, so neither side's
/// buffers can deadlock it), reads it back and compares slice by slice (fast
/// enough even in an unoptimised driver to measure a guest's throughput);
/// then shuts down its writing half and expects EOF.
pub fn echo_data(stream: TcpStream, data: Arc<[u8]>, timeout: Duration) -> Fallible {
    stream
        .set_read_timeout(Some(timeout))
        .context("set_read_timeout")?;
    stream
        .set_write_timeout(Some(timeout))
        .context("set_write_timeout")?;
    let mut writer = stream.try_clone().context("clone stream")?;
    let out = Arc::clone(&data);
    let sender = thread::spawn(move || -> Fallible {
        for (i, chunk) in out.chunks(1 << 20).enumerate() {
            writer
                .write_all(chunk)
                .context(format!("write at byte {}", i << 20))?;
        }
        writer.shutdown(Shutdown::Write).context("shutdown(Write)")
    });
    let len = data.len();
    let mut reader = stream;
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < len {
        let n = reader
            .read(&mut buf[..(len - got).min(64 * 1024)])
            .context(format!("read after {got} of {len} bytes"))?;
        if n == 0 {
            return Err(format!("EOF after {got} of {len} bytes"));
        }
        let want = &data[got..got + n];
        if buf[..n] != *want {
            let at = buf[..n]
                .iter()
                .zip(want)
                .take_while(|(a, b)| a == b)
                .count();
            return Err(format!("byte {} differs", got + at));
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
}
