//! UDP on preview 1. Standard preview 1 can only `send`/`recv`/`peek` on a
//! connected socket handed over by the host; everything that names an
//! address needs WasmEdge's socket extension (the `wasmedge` feature).

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use super::host::RecvFlags;
use super::net::{unsupported, Socket};

pub(crate) struct UdpSocket {
    socket: Socket,
}

#[cfg(feature = "wasmedge")]
pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::open(&addr, super::host::SockType::DATAGRAM)?;
    socket.bind(&addr)?;
    Ok(UdpSocket { socket })
}

#[cfg(not(feature = "wasmedge"))]
pub(crate) fn bind(_: SocketAddr) -> io::Result<UdpSocket> {
    Err(unsupported("UdpSocket::bind"))
}

/// `IPV6_V6ONLY` cannot be read on any preview-1 host.
pub(crate) fn only_v6(_: &UdpSocket) -> io::Result<bool> {
    Err(unsupported("IPV6_V6ONLY"))
}

/// Converts a std socket (the caller made it non-blocking).
pub(crate) fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
    UdpSocket {
        socket: Socket::from(OwnedFd::from(socket)),
    }
}

impl UdpSocket {
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.socket.send_to(buf, &target)
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.socket.recv_from(buf, RecvFlags::NONE)
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.socket.recv_from(buf, RecvFlags::PEEK)
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.socket.connect(&addr)
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.socket.set_flag(super::host::SockOptSo::BROADCAST, on)
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn broadcast(&self) -> io::Result<bool> {
        self.socket.flag(super::host::SockOptSo::BROADCAST)
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn send_to(&self, _: &[u8], _: SocketAddr) -> io::Result<usize> {
        Err(unsupported("UdpSocket::send_to"))
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn recv_from(&self, _: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        Err(unsupported("UdpSocket::recv_from"))
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn peek_from(&self, _: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        Err(unsupported("UdpSocket::peek_from"))
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn connect(&self, _: SocketAddr) -> io::Result<()> {
        Err(unsupported("UdpSocket::connect"))
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn set_broadcast(&self, _: bool) -> io::Result<()> {
        Err(unsupported("SO_BROADCAST"))
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn broadcast(&self) -> io::Result<bool> {
        Err(unsupported("SO_BROADCAST"))
    }

    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.socket.send(buf)
    }

    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.recv(buf, RecvFlags::NONE)
    }

    pub(crate) fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.recv(buf, RecvFlags::PEEK)
    }

    pub(crate) fn set_multicast_loop_v4(&self, _: bool) -> io::Result<()> {
        Err(unsupported("IP_MULTICAST_LOOP"))
    }

    pub(crate) fn multicast_loop_v4(&self) -> io::Result<bool> {
        Err(unsupported("IP_MULTICAST_LOOP"))
    }

    pub(crate) fn set_multicast_ttl_v4(&self, _: u32) -> io::Result<()> {
        Err(unsupported("IP_MULTICAST_TTL"))
    }

    pub(crate) fn multicast_ttl_v4(&self) -> io::Result<u32> {
        Err(unsupported("IP_MULTICAST_TTL"))
    }

    pub(crate) fn set_multicast_loop_v6(&self, _: bool) -> io::Result<()> {
        Err(unsupported("IPV6_MULTICAST_LOOP"))
    }

    pub(crate) fn multicast_loop_v6(&self) -> io::Result<bool> {
        Err(unsupported("IPV6_MULTICAST_LOOP"))
    }

    pub(crate) fn set_ttl(&self, _: u32) -> io::Result<()> {
        Err(unsupported("IP_TTL"))
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        Err(unsupported("IP_TTL"))
    }

    pub(crate) fn join_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        Err(unsupported("IP_ADD_MEMBERSHIP"))
    }

    pub(crate) fn join_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        Err(unsupported("IPV6_ADD_MEMBERSHIP"))
    }

    pub(crate) fn leave_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        Err(unsupported("IP_DROP_MEMBERSHIP"))
    }

    pub(crate) fn leave_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        Err(unsupported("IPV6_DROP_MEMBERSHIP"))
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl IntoRawFd for UdpSocket {
    fn into_raw_fd(self) -> RawFd {
        self.socket.into_raw_fd()
    }
}

impl FromRawFd for UdpSocket {
    unsafe fn from_raw_fd(fd: RawFd) -> UdpSocket {
        UdpSocket {
            // SAFETY: the caller hands over ownership of an open socket.
            socket: unsafe { Socket::from_raw(fd) },
        }
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.socket.fd())
            .finish()
    }
}
