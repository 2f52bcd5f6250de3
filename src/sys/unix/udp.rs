//! UDP on Unix: std's socket type, created non-blocking.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};

pub(crate) use std::net::UdpSocket;

use super::net::{domain_of, getsockopt_int, new_socket, socket_addr};

pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_DGRAM)?;
    let (raw, len) = socket_addr(&addr);
    // SAFETY: `raw` holds a valid address of length `len`.
    syscall!(bind(socket.as_raw_fd(), raw.as_ptr(), len))?;
    // SAFETY: ownership of the descriptor moves into the socket.
    Ok(unsafe { UdpSocket::from_raw_fd(socket.into_raw_fd()) })
}

/// Whether an IPv6 socket accepts only IPv6 (`IPV6_V6ONLY`).
pub(crate) fn only_v6(socket: &UdpSocket) -> io::Result<bool> {
    getsockopt_int(socket.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).map(|v| v != 0)
}

/// Converts a std socket as-is (the caller made it non-blocking).
pub(crate) fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
    socket
}
