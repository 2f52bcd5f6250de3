//! TCP and UDP echo server.
//!
//! ```text
//! tokio-echo [--tcp ADDR | --tcp-fd FD] [--udp ADDR] [--timeout SECS]
//! ```
//!
//! Both addresses default to `127.0.0.1:0` (a free port); the bound
//! addresses are printed as `tcp listening on ADDR` and `udp listening on
//! ADDR`. Every TCP line is echoed back; a line that is exactly `quit` shuts
//! the server down. Every UDP datagram is sent back to its sender. The server
//! also stops after `--timeout` seconds when that is given.
//!
//! Shutdown is graceful: the listener and the UDP socket close first, open
//! TCP connections get a short grace period to finish, and the process exits
//! with status 0 after printing `shutdown: <reason>`.
//!
//! On WASI build with `RUSTFLAGS="--cfg tokio_unstable"` (tokio only
//! offers `tokio::net` there under that flag). WASI 0.2:
//! `wasmtime run -S inherit-network tokio-echo.wasm`.
//!
//! WASI preview 1 cannot create sockets and tokio has no `bind`, `connect`
//! or UDP there. Two ways to serve TCP:
//!
//! - any preview 1 host that pre-opens a listening socket: pass that
//!   descriptor, `--tcp-fd 3` (it reaches tokio through
//!   `TcpListener::from_std`);
//! - WasmEdge: build with `--features wasmedge`; `--tcp ADDR` then binds
//!   through mio's WasmEdge socket extension and hands the listener to
//!   tokio, `wasmedge tokio-echo.wasm --tcp 127.0.0.1:8080`.
//!
//! What tokio cannot do on WASI, whatever mio offers:
//!
//! - preview 1 has no `tokio::net::UdpSocket` or `TcpSocket` at all (tokio
//!   compiles them out), so this server has no UDP there; mio's own
//!   `UdpSocket` works on WasmEdge but cannot be handed to tokio;
//! - `lookup_host` and `connect`/`bind` with a host *name* run the lookup on
//!   tokio's blocking pool, and WASI has no threads: tokio panics ("OS can't
//!   spawn worker thread"). Pass a `SocketAddr` (resolve with
//!   `mio::wasi::NameResolver` on WASI 0.2 or `mio::wasi::lookup_host` on
//!   WasmEdge); so does everything else built on `spawn_blocking`;
//! - `AsyncFd` exists on Unix only; there is no multi-threaded runtime.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
use tokio::net::UdpSocket;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// How long open connections may keep going once shutdown has started.
const GRACE: Duration = Duration::from_secs(2);

struct Options {
    tcp: SocketAddr,
    /// An already listening socket to serve instead of binding `tcp`.
    tcp_fd: Option<i32>,
    udp: SocketAddr,
    timeout: Option<Duration>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        tcp: SocketAddr::from(([127, 0, 0, 1], 0)),
        tcp_fd: None,
        udp: SocketAddr::from(([127, 0, 0, 1], 0)),
        timeout: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--tcp" => options.tcp = parse(&value("--tcp")?, "--tcp")?,
            "--tcp-fd" => options.tcp_fd = Some(parse(&value("--tcp-fd")?, "--tcp-fd")?),
            "--udp" => options.udp = parse(&value("--udp")?, "--udp")?,
            "--timeout" => {
                let secs: f64 = parse(&value("--timeout")?, "--timeout")?;
                options.timeout = Some(
                    Duration::try_from_secs_f64(secs)
                        .map_err(|e| format!("--timeout {secs}: {e}"))?,
                );
            }
            "-h" | "--help" => {
                return Err(
                    "usage: tokio-echo [--tcp ADDR | --tcp-fd FD] [--udp ADDR] [--timeout SECS]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("{what} {text}: {e}"))
}

#[cfg(not(target_os = "wasi"))]
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

#[cfg(target_os = "wasi")]
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = runtime().and_then(|rt| rt.block_on(serve(options)));
    match result {
        Ok(reason) => {
            println!("shutdown: {reason}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tokio-echo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Why a connection task ended.
enum Closed {
    /// The peer closed the connection (or it failed; already reported).
    Done,
    /// The peer asked the whole server to stop.
    Quit,
}

async fn serve(options: Options) -> std::io::Result<&'static str> {
    let listener = match options.tcp_fd {
        Some(fd) => TcpListener::from_std(listener_from_fd(fd)?)?,
        None => mio_wasi_tokio::bind(options.tcp).await?,
    };
    match (listener.local_addr(), options.tcp_fd) {
        (Ok(addr), _) => println!("tcp listening on {addr}"),
        // A host without address queries (plain WASI preview 1) can still
        // serve a listener it handed over.
        (Err(e), Some(fd)) if e.kind() == std::io::ErrorKind::Unsupported => {
            println!("tcp listening on fd {fd} (address unknown: {e})");
        }
        (Err(e), _) => return Err(e),
    }
    let mut udp_task = start_udp(options.udp).await?;
    let mut connections = JoinSet::new();
    let deadline = async {
        match options.timeout {
            Some(timeout) => tokio::time::sleep(timeout).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);

    let reason = loop {
        tokio::select! {
            () = &mut deadline => break "timeout",
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(tcp_echo(stream, peer));
                }
                // A connection that failed before we got to it, or a
                // temporary lack of descriptors: keep serving.
                Err(e) => eprintln!("accept: {e}"),
            },
            Some(joined) = connections.join_next() => {
                if let Ok(Closed::Quit) = joined {
                    break "quit";
                }
            }
            finished = &mut udp_task => {
                return match finished {
                    Ok(Err(e)) => Err(e),
                    _ => Err(std::io::Error::other("UDP task stopped")),
                };
            }
        }
    };

    drop(listener);
    udp_task.abort();
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, drain).await.is_err() {
        connections.shutdown().await;
    }
    Ok(reason)
}

/// Takes over a listening socket this process was given (inherited, or
/// pre-opened by a WASI host) and hands it to tokio via `from_std`.
#[cfg(any(unix, target_os = "wasi"))]
fn listener_from_fd(fd: i32) -> std::io::Result<std::net::TcpListener> {
    use std::os::fd::FromRawFd;
    if fd < 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("--tcp-fd {fd}: not a descriptor"),
        ));
    }
    // SAFETY: the user names a descriptor that was handed to this process
    // for this purpose; nothing else in the program opens or owns it, so
    // the std listener becomes its only owner.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[cfg(not(any(unix, target_os = "wasi")))]
fn listener_from_fd(_fd: i32) -> std::io::Result<std::net::TcpListener> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "--tcp-fd needs a Unix or WASI target",
    ))
}

/// Binds the UDP socket and starts echoing on it.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
async fn start_udp(addr: SocketAddr) -> std::io::Result<JoinHandle<std::io::Result<()>>> {
    let udp = UdpSocket::bind(addr).await?;
    println!("udp listening on {}", udp.local_addr()?);
    Ok(tokio::spawn(udp_echo(udp)))
}

#[cfg(all(target_os = "wasi", target_env = "p1"))]
async fn start_udp(_addr: SocketAddr) -> std::io::Result<JoinHandle<std::io::Result<()>>> {
    println!("udp unavailable: tokio has no UdpSocket on WASI preview 1");
    Ok(tokio::spawn(std::future::pending()))
}

async fn tcp_echo(stream: TcpStream, peer: SocketAddr) -> Closed {
    match echo_lines(stream).await {
        Ok(closed) => closed,
        Err(e) => {
            eprintln!("tcp {peer}: {e}");
            Closed::Done
        }
    }
}

async fn echo_lines(stream: TcpStream) -> std::io::Result<Closed> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(Closed::Done);
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.strip_suffix(b"\r").unwrap_or(text) == b"quit" {
            write.write_all(b"bye\n").await?;
            write.shutdown().await?;
            return Ok(Closed::Quit);
        }
        write.write_all(&line).await?;
    }
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
async fn udp_echo(socket: UdpSocket) -> std::io::Result<()> {
    let mut buf = vec![0; 65536];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        if let Err(e) = socket.send_to(&buf[..n], from).await {
            // One unreachable peer must not stop the server.
            eprintln!("udp {from}: {e}");
        }
    }
}
