//! 200 connections open at the same time, each echoing its own data.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;
use tokio_suite::{any_local, pattern, tcp_bind, tcp_connect};

const CONNECTIONS: usize = 200;
const BYTES: usize = 8 * 1024;

#[cfg_attr(
    not(target_os = "wasi"),
    tokio::test(flavor = "multi_thread", worker_threads = 2)
)]
#[cfg_attr(target_os = "wasi", tokio::test)]
async fn two_hundred_concurrent_connections() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut handlers = JoinSet::new();
        for _ in 0..CONNECTIONS {
            let (mut stream, _) = listener.accept().await?;
            handlers.spawn(async move {
                let (mut read, mut write) = stream.split();
                tokio::io::copy(&mut read, &mut write).await
            });
        }
        let mut echoed = 0;
        while let Some(handled) = handlers.join_next().await {
            echoed += handled.expect("handler panicked")?;
        }
        std::io::Result::Ok(echoed)
    });

    // Connect everything first, so all connections really are open at once.
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        streams.push(tcp_connect(addr).await.unwrap());
    }
    let mut clients = JoinSet::new();
    for (i, stream) in streams.into_iter().enumerate() {
        clients.spawn(async move {
            let data = pattern(BYTES, i as u32 + 100);
            let (mut read, mut write) = stream.into_split();
            let sent = data.clone();
            let send = async move {
                write.write_all(&sent).await?;
                write.shutdown().await
            };
            let mut echoed = Vec::with_capacity(BYTES);
            let (sent, received) = tokio::join!(send, read.read_to_end(&mut echoed));
            sent?;
            received?;
            std::io::Result::Ok((i, echoed == data))
        });
    }
    let mut ok = 0;
    while let Some(client) = clients.join_next().await {
        let (i, same) = client.unwrap().unwrap();
        assert!(same, "connection {i} got different bytes back");
        ok += 1;
    }
    assert_eq!(ok, CONNECTIONS);
    assert_eq!(server.await.unwrap().unwrap(), (CONNECTIONS * BYTES) as u64);
}
