//! TCP through tokio: accept/connect, a 1 MiB echo, split halves,
//! half-close, readiness-based `try_*` calls, peek and socket options.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpListener;
use tokio_suite::{any_local, pattern, supported, tcp_bind, tcp_connect};

const MIB: usize = 1 << 20;

/// Accepts one connection and echoes everything back until EOF, then
/// returns the number of bytes echoed.
async fn echo_once(listener: TcpListener) -> io::Result<u64> {
    let (mut stream, peer) = listener.accept().await?;
    assert_eq!(stream.peer_addr()?, peer);
    let (mut read, mut write) = stream.split();
    let n = tokio::io::copy(&mut read, &mut write).await?;
    write.shutdown().await?;
    Ok(n)
}

#[cfg_attr(
    not(target_os = "wasi"),
    tokio::test(flavor = "multi_thread", worker_threads = 2)
)]
#[cfg_attr(target_os = "wasi", tokio::test)]
async fn echo_one_mebibyte() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echo_once(listener));

    let client = tcp_connect(addr).await.unwrap();
    assert_eq!(client.peer_addr().unwrap(), addr);
    let data = pattern(MIB, 1);
    // Owned halves: the writer runs as its own task while this one reads,
    // so neither side can fill its buffers and stall the other.
    let (mut read, mut write) = client.into_split();
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        write.write_all(&sent).await?;
        write.shutdown().await?;
        io::Result::Ok(write)
    });
    let mut echoed = Vec::with_capacity(MIB);
    read.read_to_end(&mut echoed).await.unwrap();
    let write = writer.await.unwrap().unwrap();

    assert_eq!(echoed.len(), MIB);
    assert!(echoed == data, "echoed bytes differ from the bytes sent");
    assert_eq!(server.await.unwrap().unwrap(), MIB as u64);
    // The halves came from the same stream, so they reunite.
    read.reunite(write).expect("halves of one stream reunite");
}

#[tokio::test]
async fn borrowed_split_halves_work_together() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echo_once(listener));

    let mut client = tcp_connect(addr).await.unwrap();
    let data = pattern(256 * 1024, 2);
    let (mut read, mut write) = client.split();
    let send = async {
        write.write_all(&data).await?;
        write.shutdown().await
    };
    let mut echoed = Vec::new();
    let receive = read.read_to_end(&mut echoed);
    let (sent, received) = tokio::join!(send, receive);
    sent.unwrap();
    assert_eq!(received.unwrap(), data.len());
    assert!(echoed == data);
    assert_eq!(server.await.unwrap().unwrap(), data.len() as u64);
}

#[tokio::test]
async fn half_close_then_reply() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await?;
        let mut request = Vec::new();
        // Ends only because the client shut down its write side.
        stream.read_to_end(&mut request).await?;
        stream.write_all(b"got ").await?;
        stream.write_all(&request).await?;
        stream.shutdown().await?;
        io::Result::Ok(())
    });

    let mut client = tcp_connect(addr).await.unwrap();
    client.write_all(b"request").await.unwrap();
    client.shutdown().await.unwrap();
    let mut reply = String::new();
    client.read_to_string(&mut reply).await.unwrap();
    assert_eq!(reply, "got request");
    // After EOF, reads keep returning 0.
    let mut buf = [0; 8];
    assert_eq!(client.read(&mut buf).await.unwrap(), 0);
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn readiness_and_try_io() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tcp_connect(addr), listener.accept());
    let client = client.unwrap();
    let (server, _) = accepted.unwrap();

    // Nothing was sent yet: a non-blocking read must say so.
    let mut buf = [0; 64];
    let err = server.try_read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

    client.writable().await.unwrap();
    assert_eq!(client.try_write(b"ping").unwrap(), 4);

    // Wait for readiness, then read without blocking; spurious wake-ups
    // are allowed, so retry on WouldBlock.
    let n = loop {
        let ready = server.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_readable());
        match server.try_read(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("try_read: {e}"),
        }
    };
    assert_eq!(&buf[..n], b"ping");
}

#[tokio::test]
async fn peek_does_not_consume() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tcp_connect(addr), listener.accept());
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();

    client.write_all(b"peekaboo").await.unwrap();
    let mut buf = [0; 8];
    let mut peeked = 0;
    while peeked < buf.len() {
        match supported("tcp peek", server.peek(&mut buf).await) {
            Some(n) => peeked = n,
            None => return,
        }
    }
    assert_eq!(&buf, b"peekaboo");
    let mut again = [0; 8];
    server.read_exact(&mut again).await.unwrap();
    assert_eq!(&again, b"peekaboo");
}

#[tokio::test]
async fn socket_options() {
    let listener = tcp_bind(any_local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tcp_connect(addr), listener.accept());
    let client = client.unwrap();
    let (server, _) = accepted.unwrap();
    assert_eq!(server.local_addr().unwrap(), addr);
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());

    if supported("tcp nodelay", client.set_nodelay(true)).is_some() {
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
    }
    if supported("tcp ttl", client.set_ttl(42)).is_some() {
        assert_eq!(client.ttl().unwrap(), 42);
    }
    if supported("tcp listener ttl", listener.set_ttl(43)).is_some() {
        assert_eq!(listener.ttl().unwrap(), 43);
    }
    if let Some(error) = supported("tcp take_error", client.take_error()) {
        assert!(error.is_none(), "{error:?}");
    }
}

#[tokio::test]
async fn connect_to_closed_port_fails() {
    // Bind, note the port, close: nothing listens there any more.
    let addr = {
        let listener = tcp_bind(any_local()).await.unwrap();
        listener.local_addr().unwrap()
    };
    let err = tcp_connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
}
