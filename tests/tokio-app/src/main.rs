//! tokio on this crate as a user's project gets it (see Cargo.toml),
//! built for wasm32-wasip2 and run under wasmtime and jco by the driver's
//! `tokio` suite: TCP echo through tokio's listener and stream, UDP,
//! timers, and std sockets taken into tokio (`from_std`) and back
//! (`into_std`). The first argument names the host. Prints one line per
//! check and, last, `N passed, N failed`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

async fn tcp_echo() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let len = 4 << 20;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut seen = 0;
        while seen < len {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            stream.write_all(&buf[..n]).await?;
            seen += n;
        }
        Ok::<_, std::io::Error>(seen)
    });
    let mut client = TcpStream::connect(addr).await?;
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    let (mut r, mut w) = client.split();
    let send = w.write_all(&data);
    let mut back = vec![0u8; len];
    let recv = r.read_exact(&mut back);
    let (sent, received) = tokio::join!(send, recv);
    sent?;
    received?;
    let seen = server.await.map_err(std::io::Error::other)??;
    if back != data || seen != len {
        return Err(std::io::Error::other("echo differs"));
    }
    Ok(())
}

async fn udp() -> std::io::Result<()> {
    let a = UdpSocket::bind("127.0.0.1:0").await?;
    let b = UdpSocket::bind("127.0.0.1:0").await?;
    a.send_to(b"ping", b.local_addr()?).await?;
    let mut buf = [0u8; 16];
    let (n, from) = b.recv_from(&mut buf).await?;
    if &buf[..n] != b"ping" || from != a.local_addr()? {
        return Err(std::io::Error::other("wrong datagram"));
    }
    Ok(())
}

async fn timers() -> std::io::Result<()> {
    let start = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    if start.elapsed() < Duration::from_millis(30) {
        return Err(std::io::Error::other("woke early"));
    }
    let slow = tokio::time::timeout(Duration::from_millis(20), std::future::pending::<()>()).await;
    if slow.is_ok() {
        return Err(std::io::Error::other("timeout did not fire"));
    }
    Ok(())
}

async fn std_round_trip() -> std::io::Result<()> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(std_listener)?;
    let addr = listener.local_addr()?;
    let client = TcpStream::connect(addr).await?;
    let (mut server, _) = listener.accept().await?;
    // tokio -> std (blocking I/O through wasi-libc) -> tokio.
    let std_client = client.into_std()?;
    std_client.set_nonblocking(false)?;
    (&std_client).write_all_std(b"std")?;
    let mut buf = [0u8; 3];
    server.read_exact(&mut buf).await?;
    std_client.set_nonblocking(true)?;
    let mut client = TcpStream::from_std(std_client)?;
    server.write_all(b"tokio").await?;
    let mut buf5 = [0u8; 5];
    client.read_exact(&mut buf5).await?;
    if &buf != b"std" || &buf5 != b"tokio" {
        return Err(std::io::Error::other("wrong bytes"));
    }
    Ok(())
}

trait WriteAllStd {
    fn write_all_std(self, data: &[u8]) -> std::io::Result<()>;
}

impl WriteAllStd for &std::net::TcpStream {
    fn write_all_std(mut self, data: &[u8]) -> std::io::Result<()> {
        std::io::Write::write_all(&mut self, data)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (mut passed, mut failed) = (0, 0);
    let checks: [(
        &str,
        std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>>>>,
    ); 4] = [
        ("tcp echo 4 MiB", Box::pin(tcp_echo())),
        ("udp", Box::pin(udp())),
        ("timers", Box::pin(timers())),
        ("std round trip", Box::pin(std_round_trip())),
    ];
    for (name, check) in checks {
        match tokio::time::timeout(Duration::from_secs(60), check).await {
            Ok(Ok(())) => {
                passed += 1;
                println!("ok   {name}");
            }
            Ok(Err(e)) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
            Err(_) => {
                failed += 1;
                println!("FAIL {name}: timed out");
            }
        }
    }
    let host = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "wasip2".to_string());
    println!("tokio on {host}:");
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
