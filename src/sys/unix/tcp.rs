//! TCP on Unix: std's socket types, created non-blocking.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};

pub(crate) use std::net::{TcpListener, TcpStream};

use super::net::{domain_of, new_socket, new_storage, setsockopt_int, socket_addr, to_socket_addr};

/// A listening socket bound to `addr` (with `SO_REUSEADDR`, backlog 1024).
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_STREAM)?;
    let fd = socket.as_raw_fd();
    // Lets a restarted server bind at once instead of waiting out TIME_WAIT.
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let (raw, len) = socket_addr(&addr);
    // SAFETY: `raw` holds a valid address of length `len`.
    syscall!(bind(fd, raw.as_ptr(), len))?;
    // SAFETY: plain syscall on a descriptor we own.
    syscall!(listen(fd, 1024))?;
    // SAFETY: ownership of the descriptor moves into the listener.
    Ok(unsafe { TcpListener::from_raw_fd(socket.into_raw_fd()) })
}

/// Starts a non-blocking connect; completion shows as a writable event.
pub(crate) fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_STREAM)?;
    let (raw, len) = socket_addr(&addr);
    // SAFETY: `raw` holds a valid address of length `len`.
    match syscall!(connect(socket.as_raw_fd(), raw.as_ptr(), len)) {
        Ok(_) => {}
        Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(err) => return Err(err),
    }
    // SAFETY: ownership of the descriptor moves into the stream.
    Ok(unsafe { TcpStream::from_raw_fd(socket.into_raw_fd()) })
}

/// Accepts one connection; the new socket is non-blocking and close-on-exec.
pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let (mut storage, mut len) = new_storage();
    #[cfg(not(any(target_vendor = "apple", target_os = "espidf", target_os = "vita")))]
    // SAFETY: `storage`/`len` describe a writable sockaddr_storage.
    let fd = syscall!(accept4(
        listener.as_raw_fd(),
        storage.as_mut_ptr().cast(),
        &mut len,
        libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
    ))?;
    #[cfg(any(target_vendor = "apple", target_os = "espidf", target_os = "vita"))]
    let fd = {
        // SAFETY: `storage`/`len` describe a writable sockaddr_storage.
        let fd = syscall!(accept(
            listener.as_raw_fd(),
            storage.as_mut_ptr().cast(),
            &mut len
        ))?;
        // SAFETY: `fd` is new and owned by nobody else; the guard closes it on error.
        let guard = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        super::set_nonblocking_cloexec(fd)?;
        guard.into_raw_fd()
    };
    // SAFETY: ownership of the new descriptor moves into the stream.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    // SAFETY: accept wrote the peer address into `storage`.
    let addr = unsafe { to_socket_addr(storage.as_ptr()) }?;
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
