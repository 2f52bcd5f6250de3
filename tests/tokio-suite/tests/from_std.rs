//! Sockets made outside tokio and handed over with `from_std`: the route
//! for hosts where tokio cannot create sockets itself (WASI preview 1).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_suite::{any_local, tcp_connect};

/// std cannot create sockets on WASI preview 1 (not even on WasmEdge).
#[cfg(all(target_os = "wasi", target_env = "p1"))]
#[test]
fn std_sockets() {
    tokio_suite::skip(
        "std_sockets",
        "std cannot create sockets on WASI preview 1; mio_listener_into_tokio covers the route",
    );
}

/// What tokio's `from_std` of a std socket gave. Where mio cannot take
/// std's sockets (the WASI 0.3 backend) it must be mio's `Unsupported`
/// error, not a socket that never becomes ready; the rest of `test` is then
/// skipped with mio's reason (`None`).
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[cfg_attr(not(target_os = "wasi"), allow(unused_variables))]
fn adopted<T: std::fmt::Debug>(test: &str, from_std: std::io::Result<T>) -> Option<T> {
    #[cfg(target_os = "wasi")]
    if let Err(why) = mio::wasi::std_interop() {
        let err = from_std.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported, "{err}");
        tokio_suite::skip(test, &why.to_string());
        return None;
    }
    Some(from_std.unwrap())
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[tokio::test]
async fn std_listener_and_stream_through_from_std() {
    let std_listener = std::net::TcpListener::bind(any_local()).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let Some(listener) = adopted(
        "std_listener_and_stream_through_from_std",
        tokio::net::TcpListener::from_std(std_listener),
    ) else {
        return;
    };
    let addr = listener.local_addr().unwrap();

    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let mut client = tokio::net::TcpStream::from_std(std_stream).unwrap();
    let (mut server, _) = listener.accept().await.unwrap();

    client.write_all(b"handed over").await.unwrap();
    let mut buf = [0; 11];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"handed over");

    // And back out again: the std stream still works, blocking.
    let mut std_server = server.into_std().unwrap();
    std_server.set_nonblocking(false).unwrap();
    std::io::Write::write_all(&mut std_server, b"back").unwrap();
    let mut reply = [0; 4];
    client.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"back");
}

#[tokio::test]
async fn mio_listener_into_tokio() {
    // Made by mio (this workspace's mio_wasi), converted to std, handed to
    // tokio.
    let mio_listener = mio::net::TcpListener::bind(any_local()).unwrap();
    let std_listener = into_std_listener(mio_listener);
    let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tcp_connect(addr), listener.accept());
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    server.write_all(b"hi").await.unwrap();
    let mut buf = [0; 2];
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hi");
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[tokio::test]
async fn std_udp_through_from_std() {
    let a = std::net::UdpSocket::bind(any_local()).unwrap();
    a.set_nonblocking(true).unwrap();
    let Some(a) = adopted(
        "std_udp_through_from_std",
        tokio::net::UdpSocket::from_std(a),
    ) else {
        return;
    };
    let b = tokio::net::UdpSocket::bind(any_local()).await.unwrap();
    a.send_to(b"std", b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0; 8];
    let (n, from) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"std"[..], a.local_addr().unwrap()));
}

#[cfg(any(unix, target_os = "wasi"))]
fn into_std_listener(listener: mio::net::TcpListener) -> std::net::TcpListener {
    use std::os::fd::{FromRawFd, IntoRawFd};
    // SAFETY: `into_raw_fd` hands over sole ownership of an open listening
    // socket, which the std listener then owns.
    unsafe { std::net::TcpListener::from_raw_fd(listener.into_raw_fd()) }
}

#[cfg(windows)]
fn into_std_listener(listener: mio::net::TcpListener) -> std::net::TcpListener {
    use std::os::windows::io::{FromRawSocket, IntoRawSocket};
    // SAFETY: `into_raw_socket` hands over sole ownership of an open
    // listening socket, which the std listener then owns.
    unsafe { std::net::TcpListener::from_raw_socket(listener.into_raw_socket()) }
}
