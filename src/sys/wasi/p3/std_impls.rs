//! Raw descriptor conversions of the public socket types, over the numbers
//! of `fd` (not wasi-libc descriptors: see there).

impl_fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
}
