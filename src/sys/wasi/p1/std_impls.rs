//! Descriptor traits for the public socket types on WASI preview 1 (the
//! sockets are the host's preview-1 descriptors).

impl_fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
}
