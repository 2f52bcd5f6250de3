//! TCP on Windows: std's socket types, created non-blocking.

use std::io;
use std::net::SocketAddr;
use std::os::windows::io::{AsRawSocket, FromRawSocket, IntoRawSocket};

pub(crate) use std::net::{TcpListener, TcpStream};

use windows_sys::Win32::Networking::WinSock::{self, SOCKET_ERROR, SOCK_STREAM, WSAEWOULDBLOCK};

use super::net::{last_error, new_socket, raw, socket_addr};

/// A listening socket bound to `addr` (backlog 1024). No `SO_REUSEADDR`:
/// on Windows it would let another socket take over a port in use.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = new_socket(&addr, SOCK_STREAM)?;
    let (sa, len) = socket_addr(&addr);
    // SAFETY: `sa` holds a valid address of length `len`.
    if unsafe { WinSock::bind(raw(socket.as_raw_socket()), sa.as_ptr(), len) } == SOCKET_ERROR {
        return Err(last_error());
    }
    // SAFETY: plain call on a socket we own.
    if unsafe { WinSock::listen(raw(socket.as_raw_socket()), 1024) } == SOCKET_ERROR {
        return Err(last_error());
    }
    // SAFETY: ownership of the socket moves into the listener.
    Ok(unsafe { TcpListener::from_raw_socket(socket.into_raw_socket()) })
}

/// Starts a non-blocking connect; completion shows as a writable event.
pub(crate) fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = new_socket(&addr, SOCK_STREAM)?;
    let (sa, len) = socket_addr(&addr);
    // SAFETY: `sa` holds a valid address of length `len`.
    if unsafe { WinSock::connect(raw(socket.as_raw_socket()), sa.as_ptr(), len) } == SOCKET_ERROR {
        let err = last_error();
        if err.raw_os_error() != Some(WSAEWOULDBLOCK) {
            return Err(err);
        }
    }
    // SAFETY: ownership of the socket moves into the stream.
    Ok(unsafe { TcpStream::from_raw_socket(socket.into_raw_socket()) })
}

/// Accepts one connection. Accepted sockets inherit the listener's mode,
/// but a listener converted from std may be blocking: set it explicitly.
pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let (stream, addr) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok((stream, addr))
}

/// Converts a std stream as-is (the caller made it non-blocking).
pub(crate) fn stream_from_std(stream: std::net::TcpStream) -> TcpStream {
    stream
}

/// Converts a std listener as-is (the caller made it non-blocking).
pub(crate) fn listener_from_std(listener: std::net::TcpListener) -> TcpListener {
    listener
}
