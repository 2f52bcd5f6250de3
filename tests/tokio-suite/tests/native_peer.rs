//! A client talking to a server outside this process: the address of a
//! native echo server (one that echoes every byte on every connection until
//! EOF) comes from `TOKIO_SUITE_PEER`. The driver's tokio suite sets it on
//! every target; in a wasm runtime this checks the guest's outgoing connect
//! to the host. Without it the test reports a skip.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_suite::{pattern, skip, tcp_connect};

#[tokio::test]
async fn echo_through_native_peer() {
    let Ok(peer) = std::env::var("TOKIO_SUITE_PEER") else {
        skip(
            "native_peer",
            "TOKIO_SUITE_PEER names no native echo server",
        );
        return;
    };
    let addr = peer
        .parse()
        .expect("TOKIO_SUITE_PEER is an ip:port address");
    for (i, len) in [1usize, 4096, 512 * 1024].into_iter().enumerate() {
        let stream = tcp_connect(addr).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), addr);
        let data = pattern(len, 300 + i as u32);
        let (mut read, mut write) = stream.into_split();
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            write.write_all(&sent).await?;
            write.shutdown().await
        });
        let mut echoed = Vec::with_capacity(len);
        read.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(
            echoed == data,
            "{len} bytes came back as {} different bytes",
            echoed.len()
        );
    }
}
