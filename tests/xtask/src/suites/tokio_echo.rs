//! The `tokio-echo` example (examples/tokio-echo) checked from outside the
//! process, the same way on every host: natively, or a wasm runtime
//! followed by the module.
//!
//! The command may hold `{PORT}`: it is replaced by a free loopback port
//! for each start (for runtimes that pre-open the listener,
//! `-S tcplisten=127.0.0.1:{PORT} ... --tcp-fd 3`, or for
//! `--tcp 127.0.0.1:{PORT}`), and is the port used when the server cannot
//! tell its address; a server that prints its address must serve that
//! port. The driver adds `--timeout` itself, reads the server's
//! `tcp listening on ADDR` / `udp listening on ADDR` lines (or
//! `udp unavailable: ...` on WASI preview 1, which has no UDP in tokio),
//! talks to it over loopback TCP and UDP, asks it to quit and checks that
//! it exits cleanly. A second start checks the shutdown on `--timeout`
//! with an idle client still connected; natively, a third serves a
//! listener the driver made and passes down (`--tcp-fd`, tokio's
//! `TcpListener::from_std` route); last, an unknown argument is refused.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{Context, Fallible, Report};
use crate::peer::{self, pattern};
use crate::process::{cmd, Background, Run};

/// A wasm runtime may compile the module first.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start the server: a program and its arguments, `{PORT}` allowed.
pub struct EchoCommand<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    /// Whether the server is a native process that can inherit a listening
    /// descriptor from the driver (a WASI runtime pre-opens its own).
    pub native: bool,
}

/// Runs every check against the server `command` starts; check names start
/// with `label`.
pub fn check(report: &mut Report, label: &str, command: &EchoCommand) {
    if let Err(e) = quit_session(report, label, command) {
        report.fail(format!("{label}: quit session"), e);
    }
    if let Err(e) = timeout_session(report, label, command) {
        report.fail(format!("{label}: timeout session"), e);
    }
    if command.native {
        if let Err(e) = fd_session(report, label, command) {
            report.fail(format!("{label}: --tcp-fd session"), e);
        }
    }
    report.check(
        format!("{label}: unknown argument is refused"),
        bad_argument(command),
    );
}

/// `args` with `{PORT}` replaced by a free loopback port, and that port
/// (`None` when there is no placeholder).
fn with_port(args: &[String]) -> Fallible<(Vec<String>, Option<u16>)> {
    if !args.iter().any(|a| a.contains("{PORT}")) {
        return Ok((args.to_vec(), None));
    }
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .context("finding a free port")?
        .port();
    let args = args
        .iter()
        .map(|a| a.replace("{PORT}", &port.to_string()))
        .collect();
    Ok((args, Some(port)))
}

/// Where the server listens, once it has said so.
#[derive(Debug, PartialEq, Eq)]
struct Addresses {
    tcp: SocketAddr,
    /// `None` when the server has no UDP (`udp unavailable: ...`).
    udp: Option<SocketAddr>,
}

/// Reads the server's address lines from its output so far: `Ok(None)`
/// while something is still missing. `port` is the `{PORT}` it was given:
/// the TCP port when it only knows its descriptor (`tcp listening on fd
/// N ...`), and the port it must serve otherwise.
fn parse_addresses(output: &str, port: Option<u16>) -> Fallible<Option<Addresses>> {
    let (mut tcp, mut udp, mut has_udp) = (None, None, true);
    for line in output.lines() {
        if line.starts_with("udp unavailable") {
            has_udp = false;
        } else if line.starts_with("tcp listening on fd ") {
            let port = port.ok_or_else(|| {
                format!("server does not know its address and no {{PORT}} was given: `{line}`")
            })?;
            tcp = Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        } else if let Some(addr) = line.strip_prefix("tcp listening on ") {
            let addr: SocketAddr = addr.trim().parse().context(format!("`{line}`"))?;
            // `--tcp ADDR:{PORT}` must be served on that very port.
            if let Some(port) = port.filter(|p| *p != addr.port()) {
                return Err(format!("server was given port {port}, serves `{line}`"));
            }
            tcp = Some(addr);
        } else if let Some(addr) = line.strip_prefix("udp listening on ") {
            udp = Some(addr.trim().parse().context(format!("`{line}`"))?);
        }
    }
    Ok(match tcp {
        Some(tcp) if !has_udp || udp.is_some() => Some(Addresses { tcp, udp }),
        _ => None,
    })
}

/// A started server and where it listens.
struct Server {
    process: Background,
    addrs: Addresses,
}

impl Server {
    /// Starts the server with `extra` arguments after the command's own;
    /// `inherit` is a descriptor of the driver's to leave open in it.
    fn start(command: &EchoCommand, extra: &[String], inherit: Option<RawFd>) -> Fallible<Server> {
        let (args, port) = with_port(&command.args)?;
        let mut cmd = Command::new(command.program);
        cmd.args(&args).args(extra);
        if let Some(fd) = inherit {
            // SAFETY: the closure runs in the child between fork and exec
            // and only calls fcntl(2), which is async-signal-safe, on a
            // descriptor the parent keeps open until the child is spawned;
            // it neither allocates nor touches the parent's locks.
            unsafe {
                cmd.pre_exec(move || {
                    let flags = libc::fcntl(fd, libc::F_GETFD);
                    if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut process = Run::new(cmd).quiet().spawn()?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let running = process.running();
            if let Some(addrs) = parse_addresses(&process.output(), port)? {
                return Ok(Server { process, addrs });
            }
            if !running {
                return Err(format!(
                    "server exited before printing its addresses; output:\n{}",
                    process.output()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "server did not print its addresses in {}s; output:\n{}",
                    START_TIMEOUT.as_secs(),
                    process.output()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the server to exit on its own: status 0 and the
    /// `shutdown: REASON` line.
    fn expect_exit(&mut self, reason: &str) -> Fallible {
        let status = self.process.exit_status(IO_TIMEOUT)?;
        if !status.success() {
            return Err(format!("{status}; output:\n{}", self.process.output()));
        }
        let said = self
            .process
            .wait_for("shutdown: ", Duration::from_secs(2))?;
        if said != reason {
            return Err(format!("`shutdown: {said}`, expected `shutdown: {reason}`"));
        }
        Ok(())
    }
}

fn connect(addr: SocketAddr) -> Fallible<TcpStream> {
    let s = peer::connect(addr, IO_TIMEOUT)?;
    s.set_nodelay(true).context("TCP_NODELAY")?;
    Ok(s)
}

fn recv_exactly(s: &mut TcpStream, n: usize) -> Fallible<Vec<u8>> {
    let mut data = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match s.read(&mut data[got..]) {
            Ok(0) => return Err(format!("EOF after {got} of {n} bytes")),
            Ok(k) => got += k,
            Err(e) => return Err(format!("read after {got} of {n} bytes: {e}")),
        }
    }
    Ok(data)
}

fn expect(s: &mut TcpStream, want: &[u8]) -> Fallible {
    let got = recv_exactly(s, want.len())?;
    if got != want {
        return Err(format!(
            "got {:?}, expected {:?}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want)
        ));
    }
    Ok(())
}

/// Byte `i` of the long line: the test pattern without newlines.
fn long_line_byte(i: usize) -> u8 {
    match pattern(i) {
        b'\n' => b' ',
        b => b,
    }
}

fn quit_session(report: &mut Report, label: &str, command: &EchoCommand) -> Fallible {
    let mut server = Server::start(command, &["--timeout".into(), "120".into()], None)?;
    let tcp = server.addrs.tcp;
    let name = |what: &str| format!("{label}: {what}");

    report.check(name("tcp line echo"), {
        (|| {
            let mut s = connect(tcp)?;
            s.write_all(b"hello\n").context("write")?;
            expect(&mut s, b"hello\n")
        })()
    });
    report.check(name("tcp 2000 pipelined lines"), {
        (|| {
            let payload: Vec<u8> = (0..2000)
                .flat_map(|i| format!("line {i}\n").into_bytes())
                .collect();
            let mut s = connect(tcp)?;
            echo_exact(&mut s, payload)
        })()
    });
    report.check(name("tcp 300 KiB line"), {
        (|| {
            let mut payload: Vec<u8> = (0..300 * 1024).map(long_line_byte).collect();
            payload.push(b'\n');
            let mut s = connect(tcp)?;
            echo_exact(&mut s, payload)
        })()
    });
    report.check(name("tcp two interleaved clients"), {
        (|| {
            let mut a = connect(tcp)?;
            let mut b = connect(tcp)?;
            for i in 0..20 {
                let (la, lb) = (format!("a{i}\n"), format!("b{i}\n"));
                a.write_all(la.as_bytes()).context("write a")?;
                b.write_all(lb.as_bytes()).context("write b")?;
                expect(&mut b, lb.as_bytes())?;
                expect(&mut a, la.as_bytes())?;
            }
            Ok(())
        })()
    });
    match server.addrs.udp {
        Some(udp) => {
            report.check(name("udp datagrams"), udp_datagrams(udp));
        }
        None => report.skip(
            name("udp datagrams"),
            "the server has no UDP on this target",
        ),
    }
    report.check(name("quit line stops the server"), {
        (|| {
            let mut s = connect(tcp)?;
            s.write_all(b"quit\n").context("write")?;
            expect(&mut s, b"bye\n")?;
            let mut rest = [0u8; 16];
            match s.read(&mut rest) {
                Ok(0) => {}
                Ok(n) => return Err(format!("{n} more bytes after bye")),
                Err(e) => return Err(format!("connection not closed after bye: {e}")),
            }
            drop(s);
            server.expect_exit("quit")
        })()
    });
    Ok(())
}

/// Sends `payload` from a second thread while reading the echo back (so a
/// large payload cannot deadlock on full socket buffers) and compares it
/// byte for byte.
fn echo_exact(s: &mut TcpStream, payload: Vec<u8>) -> Fallible {
    let mut writer = s.try_clone().context("clone stream")?;
    let len = payload.len();
    let expected = payload.clone();
    let sender = thread::spawn(move || writer.write_all(&payload).context("write"));
    let echoed = recv_exactly(s, len)?;
    sender
        .join()
        .map_err(|_| "writer thread panicked".to_string())??;
    match echoed.iter().zip(&expected).position(|(a, b)| a != b) {
        Some(i) => Err(format!("byte {i} of {len} differs")),
        None => Ok(()),
    }
}

fn udp_datagrams(server: SocketAddr) -> Fallible {
    let bind = if server.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let s = UdpSocket::bind(bind).context(format!("bind {bind}"))?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .context("set_read_timeout")?;
    let mut buf = vec![0u8; 65536];
    for (n, size) in [1usize, 512, 1400, 9000].into_iter().enumerate() {
        let payload: Vec<u8> = (0..size).map(|i| pattern(i + 1000 * n)).collect();
        s.send_to(&payload, server)
            .context(format!("send {size} bytes"))?;
        let (got, from) = s
            .recv_from(&mut buf)
            .context(format!("{size}-byte datagram not echoed"))?;
        if buf[..got] != payload[..] {
            return Err(format!("{size}-byte datagram came back as {got} bytes"));
        }
        if from.port() != server.port() {
            return Err(format!("echo came from {from}, not {server}"));
        }
    }
    Ok(())
}

fn timeout_session(report: &mut Report, label: &str, command: &EchoCommand) -> Fallible {
    let mut server = Server::start(command, &["--timeout".into(), "1".into()], None)?;
    // An idle connection must not keep the server alive past its grace
    // period.
    let result = (|| {
        let mut s = connect(server.addrs.tcp)?;
        s.write_all(b"still here\n").context("write")?;
        expect(&mut s, b"still here\n")?;
        let exited = server.expect_exit("timeout");
        drop(s);
        exited
    })();
    report.check(format!("{label}: --timeout stops the server"), result);
    Ok(())
}

fn fd_session(report: &mut Report, label: &str, command: &EchoCommand) -> Fallible {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("bind listener")?;
    let address = listener.local_addr().context("local_addr")?;
    let fd = listener.as_raw_fd();
    let extra = [
        "--tcp-fd".to_string(),
        fd.to_string(),
        "--timeout".into(),
        "120".into(),
    ];
    let started = Server::start(command, &extra, Some(fd));
    // The server has its own copy now.
    drop(listener);
    let mut server = started?;
    let result = (|| {
        if server.addrs.tcp != address {
            return Err(format!("serves {}, was given {address}", server.addrs.tcp));
        }
        let mut s = connect(address)?;
        s.write_all(b"inherited\nquit\n").context("write")?;
        expect(&mut s, b"inherited\nbye\n")?;
        drop(s);
        server.expect_exit("quit")
    })();
    report.check(
        format!("{label}: --tcp-fd serves an inherited listener"),
        result,
    );
    Ok(())
}

fn bad_argument(command: &EchoCommand) -> Fallible {
    let (args, _) = with_port(&command.args)?;
    let out = cmd(command.program)
        .args(args)
        .arg("--no-such-flag")
        .quiet()
        .timeout(START_TIMEOUT)
        .go();
    match out.status {
        None => return Err(format!("`{}` timed out", out.command)),
        // 2 natively; a WASI 0.2 component can only report failure (1).
        Some(s) if s.success() => return Err("exit status 0".into()),
        Some(_) => {}
    }
    if !out.text.contains("unknown argument") {
        return Err(format!("no `unknown argument` in: {:?}", out.text));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn native_addresses() {
        let out = "tcp listening on 127.0.0.1:4000\nudp listening on 127.0.0.1:4001\n";
        assert_eq!(
            parse_addresses(out, None).unwrap(),
            Some(Addresses {
                tcp: addr("127.0.0.1:4000"),
                udp: Some(addr("127.0.0.1:4001")),
            })
        );
        // UDP not printed yet.
        assert_eq!(
            parse_addresses("tcp listening on 127.0.0.1:4000\n", None).unwrap(),
            None
        );
    }

    #[test]
    fn preopened_listener_without_udp() {
        let out = "tcp listening on fd 3 (address unknown: unsupported)\n\
                   udp unavailable: tokio has no UdpSocket on WASI preview 1\n";
        assert_eq!(
            parse_addresses(out, Some(5000)).unwrap(),
            Some(Addresses {
                tcp: addr("127.0.0.1:5000"),
                udp: None,
            })
        );
        assert!(parse_addresses(out, None).is_err());
    }

    #[test]
    fn given_port_must_be_served() {
        let out = "tcp listening on [::1]:5000\nudp unavailable: none\n";
        assert_eq!(
            parse_addresses(out, Some(5000)).unwrap(),
            Some(Addresses {
                tcp: addr("[::1]:5000"),
                udp: None,
            })
        );
        assert!(parse_addresses(out, Some(5001)).is_err());
    }

    #[test]
    fn port_placeholder() {
        let (args, port) = with_port(&["-S".into(), "tcplisten=127.0.0.1:{PORT}".into()]).unwrap();
        let port = port.unwrap();
        assert_eq!(args[1], format!("tcplisten=127.0.0.1:{port}"));
        let (args, port) = with_port(&["--tcp-fd".into()]).unwrap();
        assert_eq!((args.len(), port), (1, None));
    }
}
