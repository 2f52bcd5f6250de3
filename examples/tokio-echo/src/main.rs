//! TCP and UDP echo server.
//!
//! ```text
//! tokio-echo [--tcp ADDR] [--udp ADDR] [--timeout SECS]
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
//! On WASI 0.2 build with `RUSTFLAGS="--cfg tokio_unstable"` (tokio only
//! offers `tokio::net` there under that flag) and run with
//! `wasmtime run -S inherit-network tokio-echo.wasm`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinSet;

/// How long open connections may keep going once shutdown has started.
const GRACE: Duration = Duration::from_secs(2);

struct Options {
    tcp: SocketAddr,
    udp: SocketAddr,
    timeout: Option<Duration>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        tcp: SocketAddr::from(([127, 0, 0, 1], 0)),
        udp: SocketAddr::from(([127, 0, 0, 1], 0)),
        timeout: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--tcp" => options.tcp = parse(&value("--tcp")?, "--tcp")?,
            "--udp" => options.udp = parse(&value("--udp")?, "--udp")?,
            "--timeout" => {
                let secs: f64 = parse(&value("--timeout")?, "--timeout")?;
                options.timeout = Some(
                    Duration::try_from_secs_f64(secs)
                        .map_err(|e| format!("--timeout {secs}: {e}"))?,
                );
            }
            "-h" | "--help" => {
                return Err("usage: tokio-echo [--tcp ADDR] [--udp ADDR] [--timeout SECS]".into())
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
    let listener = TcpListener::bind(options.tcp).await?;
    println!("tcp listening on {}", listener.local_addr()?);
    let udp = UdpSocket::bind(options.udp).await?;
    println!("udp listening on {}", udp.local_addr()?);

    let mut udp_task = tokio::spawn(udp_echo(udp));
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
