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
    set_timeouts(&stream, timeout)?;
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

    /// Serves one connection and echoes exactly `bytes` bytes, then shuts
    /// down its writing half and closes: for a client that does not
    /// half-close (jco's `shutdown` closes the whole socket). Fails if the
    /// client stops sending early.
    pub fn start_exact(bytes: u64, timeout: Duration) -> Fallible<EchoServer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
        let addr = listener.local_addr().context("local_addr")?;
        // A client that never comes must not hold the thread forever.
        listener.set_nonblocking(true).context("set_nonblocking")?;
        let handle = thread::spawn(move || -> Fallible<u64> {
            let deadline = std::time::Instant::now() + timeout;
            let mut stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if std::time::Instant::now() >= deadline {
                            return Err(format!("no connection in {}s", timeout.as_secs()));
                        }
                        thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => return Err(format!("accept: {e}")),
                }
            };
            stream.set_nonblocking(false).context("set_nonblocking")?;
            set_timeouts(&stream, timeout)?;
            let mut buf = vec![0u8; 64 * 1024];
            let mut seen = 0;
            while seen < bytes {
                let want = buf.len().min((bytes - seen) as usize);
                let n = stream
                    .read(&mut buf[..want])
                    .context(format!("echo read after {seen} of {bytes} bytes"))?;
                if n == 0 {
                    return Err(format!("EOF after {seen} of {bytes} bytes"));
                }
                stream.write_all(&buf[..n]).context("echo write")?;
                seen += n as u64;
            }
            stream
                .shutdown(Shutdown::Write)
                .context("shutdown(Write)")?;
            Ok(seen)
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

/// `args` with every `pattern` (a placeholder such as `{ADDR}` or
/// `{PORT}`) replaced by `value`.
pub fn substitute(args: &[String], pattern: &str, value: &str) -> Vec<String> {
    args.iter().map(|a| a.replace(pattern, value)).collect()
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
    cmd.args(substitute(rest, "{ADDR}", &peer.addr.to_string()));
    let code = crate::process::run_as_runner(cmd);
    drop(peer);
    code
}

/// Sends `count` datagrams of different sizes to a UDP echo server and
/// expects each back, byte for byte. The server may stop after a fixed
/// number of datagrams, so few duplicates are sent: each datagram waits
/// `wait` for its echo (skipping late echoes of earlier ones without
/// sending again) and is sent at most `tries` times (loopback UDP can
/// still drop under load).
pub fn udp_echo_each(addr: SocketAddr, count: usize, wait: Duration, tries: usize) -> Fallible {
    let bind = if addr.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let socket = UdpSocket::bind(bind).context(format!("bind {bind}"))?;
    socket.connect(addr).context(format!("connect {addr}"))?;
    let mut buf = vec![0u8; 65536];
    for n in 0..count {
        let size = 1 + (n * 97) % 1400;
        let msg: Vec<u8> = (0..size).map(|i| pattern(i + n)).collect();
        let mut echoed = false;
        'tries: for _ in 0..tries.max(1) {
            socket.send(&msg).context(format!("send datagram {n}"))?;
            let deadline = std::time::Instant::now() + wait;
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                socket
                    .set_read_timeout(Some(left))
                    .context("set_read_timeout")?;
                match socket.recv(&mut buf) {
                    Ok(got) if buf[..got] == msg[..] => {
                        echoed = true;
                        break 'tries;
                    }
                    // A late echo of an earlier datagram: keep waiting.
                    Ok(_) => continue,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    Err(e) => return Err(format!("recv datagram {n}: {e}")),
                }
            }
        }
        if !echoed {
            return Err(format!("datagram {n} ({size} bytes) not echoed"));
        }
    }
    Ok(())
}

/// Sets `timeout` on every read and write of `stream`.
fn set_timeouts(stream: &TcpStream, timeout: Duration) -> Fallible {
    stream
        .set_read_timeout(Some(timeout))
        .context("set_read_timeout")?;
    stream
        .set_write_timeout(Some(timeout))
        .context("set_write_timeout")
}

/// Connects to `addr` with `timeout` for the connection and for every read
/// and write after it.
pub fn connect(addr: SocketAddr, timeout: Duration) -> Fallible<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, timeout).context(format!("connect {addr}"))?;
    set_timeouts(&stream, timeout)?;
    Ok(stream)
}

/// One session with an echo server: sends `payload` (from a second thread),
/// shuts down its writing half and reads until the server closes; returns
/// what came back. An empty payload is a session that only connects and
/// closes.
pub fn tcp_exchange(addr: SocketAddr, payload: &[u8], timeout: Duration) -> Fallible<Vec<u8>> {
    let stream = connect(addr, timeout)?;
    let mut writer = stream.try_clone().context("clone stream")?;
    let data = payload.to_vec();
    let sender = thread::spawn(move || -> Fallible {
        writer.write_all(&data).context("write")?;
        writer.shutdown(Shutdown::Write).context("shutdown(Write)")
    });
    let mut reader = stream;
    let mut received = Vec::new();
    let read = reader
        .read_to_end(&mut received)
        .context(format!("read after {} bytes", received.len()));
    sender
        .join()
        .map_err(|_| "writer thread panicked".to_string())??;
    read?;
    Ok(received)
}

/// Sends `line` and a newline on `stream` and expects the same line back
/// (an echo server's reply to one line).
pub fn line_echo(stream: &mut TcpStream, line: &str) -> Fallible {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .context("write")?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 8192];
    while !reply.contains(&b'\n') {
        let n = stream
            .read(&mut buf)
            .context(format!("read after {} bytes", reply.len()))?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    let got = String::from_utf8_lossy(&reply);
    let got = got.strip_suffix('\n').unwrap_or(&got);
    if got == line {
        Ok(())
    } else {
        Err(format!(
            "sent {}, got {}",
            abbreviate(line),
            abbreviate(got)
        ))
    }
}

/// `line` quoted, shortened to its start when it is long.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("'{}...' ({} bytes)", &text[..end], text.len()),
        None => format!("'{text}'"),
    }
}

/// Sends one datagram per entry of `sizes` to a UDP echo server and expects
/// each back, byte for byte and from `addr` itself, within `timeout`.
pub fn udp_datagrams(addr: SocketAddr, sizes: &[usize], timeout: Duration) -> Fallible {
    let bind = if addr.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let socket = UdpSocket::bind(bind).context(format!("bind {bind}"))?;
    socket
        .set_read_timeout(Some(timeout))
        .context("set_read_timeout")?;
    let mut buf = vec![0u8; 65536];
    for (n, &size) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..size).map(|k| ((n + k) % 251) as u8).collect();
        socket
            .send_to(&data, addr)
            .context(format!("send {size} bytes"))?;
        let (got, from) = socket
            .recv_from(&mut buf)
            .context(format!("no reply to {size} bytes"))?;
        if buf[..got] != data[..] {
            return Err(format!(
                "datagram of {size} bytes came back as {got} bytes{}",
                if got == size { " of other content" } else { "" }
            ));
        }
        if from != addr {
            return Err(format!("reply from {from}, expected {addr}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UDP socket on loopback that echoes `count` datagrams (any size)
    /// on a thread of its own.
    fn udp_echo_socket(count: usize) -> (SocketAddr, JoinHandle<()>) {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let t = thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            for _ in 0..count {
                let (n, from) = server.recv_from(&mut buf).unwrap();
                server.send_to(&buf[..n], from).unwrap();
            }
        });
        (addr, t)
    }

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
    fn exact_echo_server_stops_after_its_bytes() {
        let server = EchoServer::start_exact(100_000, Duration::from_secs(10)).unwrap();
        let mut s = TcpStream::connect(server.addr).unwrap();
        let data: Vec<u8> = (0..100_000).map(pattern).collect();
        let mut writer = s.try_clone().unwrap();
        let t = thread::spawn(move || writer.write_all(&data));
        let mut back = Vec::new();
        s.read_to_end(&mut back).unwrap();
        t.join().unwrap().unwrap();
        assert_eq!(back.len(), 100_000);
        assert!(back.iter().enumerate().all(|(i, b)| *b == pattern(i)));
        assert_eq!(server.finish().unwrap(), 100_000);
    }

    #[test]
    fn udp_echo_each_against_an_echo_socket() {
        let (addr, t) = udp_echo_socket(20);
        udp_echo_each(addr, 20, Duration::from_secs(2), 3).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn exchange_and_line_echo_against_echo_server() {
        let server = EchoServer::start(3, Duration::from_secs(10)).unwrap();
        let t = Duration::from_secs(10);
        assert_eq!(tcp_exchange(server.addr, b"a\nb\n", t).unwrap(), b"a\nb\n");
        assert_eq!(tcp_exchange(server.addr, b"", t).unwrap(), b"");
        let mut s = connect(server.addr, t).unwrap();
        line_echo(&mut s, "hello").unwrap();
        line_echo(&mut s, &"x".repeat(6000)).unwrap();
        drop(s);
        assert_eq!(server.finish().unwrap(), 4 + 6 + 6001);
    }

    #[test]
    fn udp_datagrams_against_an_echo_socket() {
        let (addr, t) = udp_echo_socket(2);
        udp_datagrams(addr, &[1, 60000], Duration::from_secs(5)).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn abbreviates_long_lines() {
        assert_eq!(abbreviate("short"), "'short'");
        assert!(abbreviate(&"y".repeat(100)).ends_with("...' (100 bytes)"));
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
            substitute(&args, "{ADDR}", &addr.to_string()),
            ["--env", "PEER=127.0.0.1:4000", "x"]
        );
    }
}
