//! Unix-domain sockets through tokio (Unix only).

#[cfg(not(unix))]
#[test]
fn unix_sockets() {
    tokio_suite::skip("unix_sockets", "no Unix-domain sockets on this target");
}

#[cfg(unix)]
mod unix {
    use std::path::PathBuf;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{UnixDatagram, UnixListener, UnixStream};
    use tokio_suite::pattern;

    /// A socket path unique to this process and test; removed on drop.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new(name: &str) -> TempPath {
            let path = std::env::temp_dir()
                .join(format!("tokio-suite-{}-{name}.sock", std::process::id()));
            let _ = std::fs::remove_file(&path);
            TempPath(path)
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[tokio::test]
    async fn listener_echo() {
        let path = TempPath::new("echo");
        let listener = UnixListener::bind(&path.0).unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            let (mut read, mut write) = stream.split();
            let n = tokio::io::copy(&mut read, &mut write).await?;
            write.shutdown().await?;
            std::io::Result::Ok(n)
        });

        let client = UnixStream::connect(&path.0).await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.0.as_path())
        );
        let data = pattern(300 * 1024, 7);
        let (mut read, mut write) = client.into_split();
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            write.write_all(&sent).await?;
            write.shutdown().await
        });
        let mut echoed = Vec::new();
        read.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(echoed == data);
        assert_eq!(server.await.unwrap().unwrap(), data.len() as u64);
    }

    #[tokio::test]
    async fn stream_pair() {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"over the pair").await.unwrap();
        a.shutdown().await.unwrap();
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "over the pair");
    }

    #[tokio::test]
    async fn datagram_pair_and_bound() {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"first").await.unwrap();
        let mut buf = [0; 32];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");

        let path_a = TempPath::new("dgram-a");
        let path_b = TempPath::new("dgram-b");
        let a = UnixDatagram::bind(&path_a.0).unwrap();
        let b = UnixDatagram::bind(&path_b.0).unwrap();
        a.send_to(b"second", &path_b.0).await.unwrap();
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        assert_eq!(from.as_pathname(), Some(path_a.0.as_path()));

        let unbound = UnixDatagram::unbound().unwrap();
        unbound.send_to(b"third", &path_a.0).await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"third");
    }
}
