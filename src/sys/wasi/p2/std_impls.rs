//! Raw descriptor conversions of the public socket types: every socket of
//! this backend is a wasi-libc descriptor (see `descriptor`), so these are
//! the real descriptors std uses too.

impl_fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
}
