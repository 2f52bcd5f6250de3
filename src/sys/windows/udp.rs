//! UDP on Windows: std's socket type, created non-blocking.

use std::net::SocketAddr;
use std::os::windows::io::{AsRawSocket, FromRawSocket, IntoRawSocket};
use std::{io, mem};

pub(crate) use std::net::UdpSocket;

use windows_sys::Win32::Networking::WinSock::{self, IPPROTO_IPV6, IPV6_V6ONLY, SOCKET_ERROR, SOCK_DGRAM};

use super::net::{last_error, new_socket, raw, socket_addr};

pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = new_socket(&addr, SOCK_DGRAM)?;
    let (sa, len) = socket_addr(&addr);
    // SAFETY: `sa` holds a valid address of length `len`.
    if unsafe { WinSock::bind(raw(socket.as_raw_socket()), sa.as_ptr(), len) } == SOCKET_ERROR {
        return Err(last_error());
    }
    // SAFETY: ownership of the socket moves into the std type.
    Ok(unsafe { UdpSocket::from_raw_socket(socket.into_raw_socket()) })
}

/// Whether an IPv6 socket accepts only IPv6 (`IPV6_V6ONLY`).
pub(crate) fn only_v6(socket: &UdpSocket) -> io::Result<bool> {
    let mut value: u32 = 0;
    let mut len = mem::size_of::<u32>() as i32;
    // SAFETY: `value`/`len` describe a writable buffer of the option's size.
    let res = unsafe {
        WinSock::getsockopt(
            raw(socket.as_raw_socket()),
            IPPROTO_IPV6,
            IPV6_V6ONLY,
            (&mut value as *mut u32).cast(),
            &mut len,
        )
    };
    if res == SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(value != 0)
    }
}

/// Converts a std socket as-is (the caller made it non-blocking).
pub(crate) fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
    socket
}
