//! UDP through tokio: send_to/recv_from, connected sockets, readiness and
//! socket options.

#[cfg(all(target_os = "wasi", target_env = "p1"))]
#[test]
fn udp() {
    tokio_suite::skip("udp", "tokio has no UdpSocket on WASI preview 1");
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
mod udp {
    use std::io;

    use tokio::net::UdpSocket;
    use tokio_suite::{any_local, pattern, supported};

    #[tokio::test]
    async fn send_to_and_recv_from() {
        let a = UdpSocket::bind(any_local()).await.unwrap();
        let b = UdpSocket::bind(any_local()).await.unwrap();
        let a_addr = a.local_addr().unwrap();
        let b_addr = b.local_addr().unwrap();

        let mut buf = vec![0; 65536];
        for (i, len) in [1usize, 100, 1400, 8000].into_iter().enumerate() {
            let data = pattern(len, i as u32);
            assert_eq!(a.send_to(&data, b_addr).await.unwrap(), len);
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, a_addr);
            assert_eq!(&buf[..n], &data[..], "datagram {i} of {len} bytes");
            // And back, so both directions are covered.
            assert_eq!(b.send_to(&buf[..n], from).await.unwrap(), len);
            let (n, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, b_addr);
            assert_eq!(&buf[..n], &data[..]);
        }
    }

    #[tokio::test]
    async fn datagrams_keep_their_boundaries() {
        let a = UdpSocket::bind(any_local()).await.unwrap();
        let b = UdpSocket::bind(any_local()).await.unwrap();
        let b_addr = b.local_addr().unwrap();
        for word in ["one", "two", "three"] {
            a.send_to(word.as_bytes(), b_addr).await.unwrap();
        }
        let mut buf = [0; 64];
        for word in ["one", "two", "three"] {
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], word.as_bytes());
        }
    }

    #[tokio::test]
    async fn connected_send_and_recv() {
        let a = UdpSocket::bind(any_local()).await.unwrap();
        let b = UdpSocket::bind(any_local()).await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());

        a.send(b"hello").await.unwrap();
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        b.send(b"world").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"world");
    }

    #[tokio::test]
    async fn try_recv_after_readiness() {
        let a = UdpSocket::bind(any_local()).await.unwrap();
        let b = UdpSocket::bind(any_local()).await.unwrap();
        let mut buf = [0; 16];
        let err = b.try_recv_from(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

        a.send_to(b"ready", b.local_addr().unwrap()).await.unwrap();
        let (n, from) = loop {
            b.readable().await.unwrap();
            match b.try_recv_from(&mut buf) {
                Ok(got) => break got,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("try_recv_from: {e}"),
            }
        };
        assert_eq!(&buf[..n], b"ready");
        assert_eq!(from, a.local_addr().unwrap());
    }

    #[tokio::test]
    async fn peek_from_leaves_the_datagram() {
        let a = UdpSocket::bind(any_local()).await.unwrap();
        let b = UdpSocket::bind(any_local()).await.unwrap();
        a.send_to(b"stay", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0; 16];
        let Some((n, from)) = supported("udp peek_from", b.peek_from(&mut buf).await) else {
            return;
        };
        assert_eq!((&buf[..n], from), (&b"stay"[..], a.local_addr().unwrap()));
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"stay");
    }

    #[tokio::test]
    async fn socket_options() {
        let socket = UdpSocket::bind(any_local()).await.unwrap();
        socket.set_ttl(17).unwrap();
        assert_eq!(socket.ttl().unwrap(), 17);
        if supported("udp broadcast", socket.set_broadcast(true)).is_some() {
            assert!(socket.broadcast().unwrap());
        }
        if supported("udp multicast options", socket.set_multicast_loop_v4(false)).is_some() {
            assert!(!socket.multicast_loop_v4().unwrap());
            socket.set_multicast_ttl_v4(3).unwrap();
            assert_eq!(socket.multicast_ttl_v4().unwrap(), 3);
        }
        if let Some(error) = supported("udp take_error", socket.take_error()) {
            assert!(error.is_none(), "{error:?}");
        }
    }
}
