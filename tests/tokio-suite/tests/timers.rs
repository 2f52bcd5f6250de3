//! Timers and I/O on the same runtime: the reactor has to wake for
//! whichever comes first, and neither may starve the other.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
use tokio::net::UdpSocket;
use tokio::time::{sleep, timeout};
use tokio_suite::{any_local, tcp_bind, tcp_connect};

/// Long enough never to be reached in a passing run.
const GENEROUS: Duration = Duration::from_secs(20);

async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tcp_connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

#[tokio::test]
async fn interval_ticks_between_slow_chunks() {
    let (mut client, mut server) = connected_pair().await;
    const CHUNKS: u8 = 4;
    let writer = tokio::spawn(async move {
        for i in 0..CHUNKS {
            server.write_all(&[i; 100]).await?;
            // Nothing arrives for this long: ticks must come in between.
            sleep(Duration::from_millis(30)).await;
        }
        server.shutdown().await
    });

    let mut interval = tokio::time::interval(Duration::from_millis(5));
    let mut received = Vec::new();
    // Ticks seen after the first chunk arrived and before the last one.
    let mut ticks_while_waiting = 0;
    let mut buf = [0; 256];
    loop {
        tokio::select! {
            _ = interval.tick() => {
                if !received.is_empty() && received.len() < 100 * CHUNKS as usize {
                    ticks_while_waiting += 1;
                }
            }
            n = client.read(&mut buf) => {
                let n = n.unwrap();
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
            }
        }
    }
    writer.await.unwrap().unwrap();
    let expected: Vec<u8> = (0..CHUNKS).flat_map(|i| [i; 100]).collect();
    assert_eq!(received, expected);
    assert!(
        ticks_while_waiting > 0,
        "the interval never fired while the socket was idle"
    );
}

#[tokio::test]
async fn read_timeout_then_data() {
    let (mut client, mut server) = connected_pair().await;
    let mut buf = [0; 16];
    // Nothing was written: the read has to give up on the timer.
    let idle = timeout(Duration::from_millis(20), client.read(&mut buf)).await;
    assert!(idle.is_err(), "read returned without data: {idle:?}");

    // The cancelled read must not have lost the registration: data sent now
    // still wakes the next read.
    server.write_all(b"late").await.unwrap();
    let n = timeout(GENEROUS, client.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"late");
}

// tokio has no UdpSocket on WASI preview 1.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[tokio::test]
async fn udp_timeout_then_datagram() {
    let a = UdpSocket::bind(any_local()).await.unwrap();
    let b = UdpSocket::bind(any_local()).await.unwrap();
    let mut buf = [0; 16];
    assert!(timeout(Duration::from_millis(20), b.recv_from(&mut buf))
        .await
        .is_err());
    a.send_to(b"now", b.local_addr().unwrap()).await.unwrap();
    let (n, _) = timeout(GENEROUS, b.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"now");
}

#[tokio::test]
async fn sleeping_connection_does_not_block_another() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut name = [0; 4];
                stream.read_exact(&mut name).await?;
                if &name == b"slow" {
                    sleep(Duration::from_millis(200)).await;
                }
                stream.write_all(&name).await
            });
        }
        std::io::Result::Ok(())
    });

    let mut slow = tcp_connect(addr).await.unwrap();
    slow.write_all(b"slow").await.unwrap();
    let mut fast = tcp_connect(addr).await.unwrap();
    fast.write_all(b"fast").await.unwrap();

    let mut slow_reply = [0; 4];
    let mut fast_reply = [0; 4];
    let first = tokio::select! {
        r = slow.read_exact(&mut slow_reply) => { r.unwrap(); "slow" }
        r = fast.read_exact(&mut fast_reply) => { r.unwrap(); "fast" }
    };
    assert_eq!(
        first, "fast",
        "a sleeping handler held up the other connection"
    );
    assert_eq!(&fast_reply, b"fast");
    timeout(GENEROUS, slow.read_exact(&mut slow_reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&slow_reply, b"slow");
    server.await.unwrap().unwrap();
}
