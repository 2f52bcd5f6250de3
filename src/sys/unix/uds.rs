//! Unix domain sockets: std's types, made non-blocking, plus a
//! non-blocking `connect` (std's blocks when the listener's backlog is full).

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr;
use std::path::Path;

pub(crate) use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

use super::net::new_socket;

pub(crate) fn bind_listener(path: &Path) -> io::Result<UnixListener> {
    let listener = UnixListener::bind(path)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

pub(crate) fn bind_listener_addr(address: &SocketAddr) -> io::Result<UnixListener> {
    let listener = UnixListener::bind_addr(address)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

pub(crate) fn accept(listener: &UnixListener) -> io::Result<(UnixStream, SocketAddr)> {
    let (stream, addr) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok((stream, addr))
}

pub(crate) fn connect(path: &Path) -> io::Result<UnixStream> {
    let (raw, len) = path_to_sockaddr(path.as_os_str().as_bytes(), false)?;
    connect_raw(&raw, len)
}

pub(crate) fn connect_addr(address: &SocketAddr) -> io::Result<UnixStream> {
    if let Some(path) = address.as_pathname() {
        return connect(path);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        if let Some(name) = address.as_abstract_name() {
            let (raw, len) = path_to_sockaddr(name, true)?;
            return connect_raw(&raw, len);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "cannot connect to an unnamed Unix socket address",
    ))
}

fn connect_raw(raw: &libc::sockaddr_un, len: libc::socklen_t) -> io::Result<UnixStream> {
    let socket = new_socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
    let ptr = (raw as *const libc::sockaddr_un).cast();
    // SAFETY: `raw` is a valid sockaddr_un of length `len`.
    match syscall!(connect(socket.as_raw_fd(), ptr, len)) {
        Ok(_) => {}
        Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(err) => return Err(err),
    }
    // SAFETY: ownership of the descriptor moves into the stream.
    Ok(unsafe { UnixStream::from_raw_fd(socket.into_raw_fd()) })
}

/// Builds a `sockaddr_un` for a filesystem path or (Linux) abstract name.
fn path_to_sockaddr(
    bytes: &[u8],
    is_abstract: bool,
) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut raw: libc::sockaddr_un = unsafe { mem::zeroed() };
    raw.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let offset = usize::from(is_abstract);
    // A path needs room for its terminating NUL; an abstract name for its leading one.
    if bytes.len() + 1 > raw.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "Unix socket path is longer than sockaddr_un allows",
        ));
    }
    if !is_abstract && bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "Unix socket path contains a NUL byte",
        ));
    }
    for (dst, src) in raw.sun_path[offset..].iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let base = mem::size_of::<libc::sa_family_t>();
    let len = if is_abstract {
        base + 1 + bytes.len()
    } else {
        base + bytes.len() + 1
    };
    Ok((raw, len as libc::socklen_t))
}

pub(crate) fn stream_pair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}

pub(crate) fn datagram_bind(path: &Path) -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::bind(path)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

pub(crate) fn datagram_bind_addr(address: &SocketAddr) -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::bind_addr(address)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

pub(crate) fn datagram_unbound() -> io::Result<UnixDatagram> {
    let socket = new_socket(libc::AF_UNIX, libc::SOCK_DGRAM)?;
    // SAFETY: ownership of the descriptor moves into the socket.
    Ok(unsafe { UnixDatagram::from_raw_fd(socket.into_raw_fd()) })
}

pub(crate) fn datagram_pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
    let (a, b) = UnixDatagram::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}
