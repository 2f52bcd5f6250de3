//! TCP on preview 1: sockets handed over by the host (pre-opened listeners,
//! `from_std`, `FromRawFd`) everywhere; with the `wasmedge` feature also
//! `bind` and `connect` through WasmEdge's socket extension.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use super::host::{self, RecvFlags};
use super::net::{unsupported, Socket};

/// A listening TCP socket.
pub(crate) struct TcpListener {
    socket: Socket,
}

/// A connected (or connecting) TCP socket.
pub(crate) struct TcpStream {
    socket: Socket,
}

/// Binds and listens (backlog 1024, `SO_REUSEADDR`). WasmEdge only.
#[cfg(feature = "wasmedge")]
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    use super::host::{SockOptSo, SockType};
    let socket = Socket::open(&addr, SockType::STREAM)?;
    // Lets a restarted server bind at once instead of waiting out TIME_WAIT.
    socket.set_flag(SockOptSo::REUSEADDR, true)?;
    socket.bind(&addr)?;
    host::listen(socket.fd(), 1024)?;
    Ok(TcpListener { socket })
}

/// Starts a non-blocking connect; completion shows as a writable event.
/// WasmEdge only.
#[cfg(feature = "wasmedge")]
pub(crate) fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    use super::host::SockType;
    let socket = Socket::open(&addr, SockType::STREAM)?;
    socket.connect(&addr)?;
    Ok(TcpStream { socket })
}

#[cfg(not(feature = "wasmedge"))]
pub(crate) fn bind(_: SocketAddr) -> io::Result<TcpListener> {
    Err(unsupported("TcpListener::bind"))
}

#[cfg(not(feature = "wasmedge"))]
pub(crate) fn connect(_: SocketAddr) -> io::Result<TcpStream> {
    Err(unsupported("TcpStream::connect"))
}

/// Accepts one connection (3-argument `sock_accept`). The new socket is
/// non-blocking. The peer address comes from the host with `wasmedge`;
/// standard preview 1 cannot tell it, and the unspecified address
/// `0.0.0.0:0` is returned (as Rust's standard library does).
pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let fd = host::accept(listener.socket.fd())?;
    // SAFETY: the host just created `fd` for us; nobody else owns it.
    let stream = TcpStream {
        socket: unsafe { Socket::from_raw(fd) },
    };
    // Asked for with the accept flags already, but WasmEdge 0.17.1 applies
    // them to the listener instead of the new socket.
    stream.socket.set_nonblocking()?;
    #[cfg(feature = "wasmedge")]
    let peer = stream.socket.peer_addr()?;
    #[cfg(not(feature = "wasmedge"))]
    let peer = super::net::unknown_peer();
    Ok((stream, peer))
}

/// Converts a std stream (the caller made it non-blocking).
pub(crate) fn stream_from_std(stream: std::net::TcpStream) -> TcpStream {
    TcpStream {
        socket: Socket::from(OwnedFd::from(stream)),
    }
}

/// Converts a std listener (the caller made it non-blocking).
pub(crate) fn listener_from_std(listener: std::net::TcpListener) -> TcpListener {
    TcpListener {
        socket: Socket::from(OwnedFd::from(listener)),
    }
}

fn no_ttl() -> io::Error {
    unsupported("IP_TTL")
}

impl TcpListener {
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub(crate) fn set_ttl(&self, _: u32) -> io::Result<()> {
        Err(no_ttl())
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        Err(no_ttl())
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }
}

impl TcpStream {
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.socket.shutdown(how)
    }

    pub(crate) fn set_nodelay(&self, _: bool) -> io::Result<()> {
        Err(unsupported("TCP_NODELAY"))
    }

    pub(crate) fn nodelay(&self) -> io::Result<bool> {
        Err(unsupported("TCP_NODELAY"))
    }

    pub(crate) fn set_ttl(&self, _: u32) -> io::Result<()> {
        Err(no_ttl())
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        Err(no_ttl())
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }

    /// `sock_recv` with the PEEK flag (standard preview 1).
    pub(crate) fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.recv(buf, RecvFlags::PEEK)
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.recv(buf, RecvFlags::NONE)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.socket.recv_vectored(bufs)
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.send(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.socket.send_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

macro_rules! fd_impls {
    ($($ty:ident),*) => {$(
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.socket.fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.socket.as_fd()
            }
        }

        impl IntoRawFd for $ty {
            fn into_raw_fd(self) -> RawFd {
                self.socket.into_raw_fd()
            }
        }

        impl FromRawFd for $ty {
            unsafe fn from_raw_fd(fd: RawFd) -> $ty {
                $ty {
                    // SAFETY: the caller hands over ownership of an open socket.
                    socket: unsafe { Socket::from_raw(fd) },
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("fd", &self.socket.fd()).finish()
            }
        }
    )*};
}

fd_impls!(TcpListener, TcpStream);
