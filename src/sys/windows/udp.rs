//! UDP on Windows: std's socket, created non-blocking, behind a thin
//! wrapper that makes truncated datagrams behave as on Unix.
//!
//! Winsock fails a receive into a too-small buffer with `WSAEMSGSIZE`
//! (after filling the buffer and dropping the rest of the datagram); Unix
//! returns the truncated length. The wrapper's `recv`, `recv_from`, `peek`
//! and `peek_from` return the truncated length too, so code written for one
//! platform works on the other. Every other method is std's, via `Deref`.

use std::net::SocketAddr;
use std::ops::Deref;
use std::os::windows::io::{
    AsRawSocket, AsSocket, BorrowedSocket, FromRawSocket, IntoRawSocket, RawSocket,
};
use std::{fmt, io, mem};

use windows_sys::Win32::Networking::WinSock::{
    self, IPPROTO_IPV6, IPV6_V6ONLY, MSG_PEEK, SOCKADDR_STORAGE, SOCKET_ERROR, SOCK_DGRAM,
    WSAEMSGSIZE, WSAESHUTDOWN,
};

use super::net::{last_error, new_socket, raw, socket_addr, to_socket_addr};

pub(crate) struct UdpSocket {
    inner: std::net::UdpSocket,
}

impl UdpSocket {
    pub(crate) fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_flags(buf, 0)
    }

    pub(crate) fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_flags(buf, MSG_PEEK)
    }

    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_flags(buf, 0)
    }

    pub(crate) fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_flags(buf, MSG_PEEK)
    }

    fn recv_from_flags(&self, buf: &mut [u8], flags: i32) -> io::Result<(usize, SocketAddr)> {
        // SAFETY: SOCKADDR_STORAGE is plain data, valid when zeroed.
        let mut storage: SOCKADDR_STORAGE = unsafe { mem::zeroed() };
        let mut len = mem::size_of::<SOCKADDR_STORAGE>() as i32;
        let cap = i32::try_from(buf.len()).unwrap_or(i32::MAX);
        // SAFETY: `buf` is writable for `cap` bytes and `storage`/`len`
        // describe a writable address buffer.
        let n = unsafe {
            WinSock::recvfrom(
                raw(self.inner.as_raw_socket()),
                buf.as_mut_ptr(),
                cap,
                flags,
                (&mut storage as *mut SOCKADDR_STORAGE).cast(),
                &mut len,
            )
        };
        let n = received(n, cap)?;
        Ok((n, to_socket_addr(&storage)?))
    }

    fn recv_flags(&self, buf: &mut [u8], flags: i32) -> io::Result<usize> {
        let cap = i32::try_from(buf.len()).unwrap_or(i32::MAX);
        // SAFETY: `buf` is writable for `cap` bytes.
        let n = unsafe {
            WinSock::recv(
                raw(self.inner.as_raw_socket()),
                buf.as_mut_ptr(),
                cap,
                flags,
            )
        };
        received(n, cap)
    }
}

/// The result of a receive call: a truncated datagram counts as the
/// buffer's length, a shut-down socket as end of data (as std does).
fn received(n: i32, cap: i32) -> io::Result<usize> {
    if n != SOCKET_ERROR {
        return Ok(n as usize);
    }
    let err = last_error();
    match err.raw_os_error() {
        Some(WSAEMSGSIZE) => Ok(cap as usize),
        Some(WSAESHUTDOWN) => Ok(0),
        _ => Err(err),
    }
}

impl Deref for UdpSocket {
    type Target = std::net::UdpSocket;

    fn deref(&self) -> &std::net::UdpSocket {
        &self.inner
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AsRawSocket for UdpSocket {
    fn as_raw_socket(&self) -> RawSocket {
        self.inner.as_raw_socket()
    }
}

impl AsSocket for UdpSocket {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.inner.as_socket()
    }
}

impl From<UdpSocket> for std::net::UdpSocket {
    fn from(socket: UdpSocket) -> std::net::UdpSocket {
        socket.inner
    }
}

pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = new_socket(&addr, SOCK_DGRAM)?;
    let (sa, len) = socket_addr(&addr);
    // SAFETY: `sa` holds a valid address of length `len`.
    if unsafe { WinSock::bind(raw(socket.as_raw_socket()), sa.as_ptr(), len) } == SOCKET_ERROR {
        return Err(last_error());
    }
    // SAFETY: ownership of the socket moves into the std type.
    let inner = unsafe { std::net::UdpSocket::from_raw_socket(socket.into_raw_socket()) };
    Ok(UdpSocket { inner })
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

/// Wraps a std socket as-is (the caller made it non-blocking).
pub(crate) fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
    UdpSocket { inner: socket }
}
