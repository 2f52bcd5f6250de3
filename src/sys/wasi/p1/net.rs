//! The socket all preview-1 socket types share, and (with `wasmedge`) the
//! conversion between `SocketAddr` and WasmEdge's address storage.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use super::host;

/// The host's name in `Unsupported` errors.
#[cfg(feature = "wasmedge")]
pub(crate) const HOST: &str = "WasmEdge";
#[cfg(not(feature = "wasmedge"))]
pub(crate) const HOST: &str = "WASI preview 1 without the WasmEdge socket extension";

/// `Unsupported`, naming the operation and the host.
pub(crate) fn unsupported(operation: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{operation} is not supported on {HOST}"),
    )
}

/// An owned socket descriptor (closed on drop).
#[derive(Debug)]
pub(crate) struct Socket(OwnedFd);

impl Socket {
    /// Takes ownership of `fd`.
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor owned by nobody else.
    pub(crate) unsafe fn from_raw(fd: RawFd) -> Socket {
        // SAFETY: guaranteed by the caller.
        Socket(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    pub(crate) fn set_nonblocking(&self) -> io::Result<()> {
        host::set_nonblocking(self.fd())
    }

    pub(crate) fn recv(&self, buf: &mut [u8], flags: host::RecvFlags) -> io::Result<usize> {
        host::recv_one(self.fd(), buf, flags)
    }

    pub(crate) fn recv_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        host::recv(
            self.fd(),
            bufs.iter_mut().map(|b| &mut **b),
            host::RecvFlags::NONE,
        )
        .map(|(n, _)| n)
    }

    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        host::send_one(self.fd(), buf)
    }

    pub(crate) fn send_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        host::send(self.fd(), bufs.iter().map(|b| &**b))
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match how {
            Shutdown::Read => host::shutdown(self.fd(), true, false),
            Shutdown::Write => host::shutdown(self.fd(), false, true),
            Shutdown::Both => host::shutdown(self.fd(), true, true),
        }
    }
}

impl From<OwnedFd> for Socket {
    fn from(fd: OwnedFd) -> Socket {
        Socket(fd)
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl IntoRawFd for Socket {
    fn into_raw_fd(self) -> RawFd {
        self.0.into_raw_fd()
    }
}

/// Without the extension nothing reports the peer of an accepted
/// connection: `accept` gives the unspecified address, like Rust's standard
/// library on preview 1.
#[cfg(not(feature = "wasmedge"))]
pub(crate) fn unknown_peer() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([0, 0, 0, 0], 0))
}

#[cfg(not(feature = "wasmedge"))]
impl Socket {
    pub(crate) fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        Err(unsupported("local_addr"))
    }

    pub(crate) fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        Err(unsupported("peer_addr"))
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        Err(unsupported("take_error (SO_ERROR)"))
    }
}

#[cfg(feature = "wasmedge")]
mod wasmedge {
    use std::io;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

    use super::super::host::{self, AddrStorage, AddressFamily, SockOptSo, SockType};
    use super::Socket;

    pub(crate) fn family_of(addr: &SocketAddr) -> AddressFamily {
        match addr {
            SocketAddr::V4(_) => AddressFamily::INET4,
            SocketAddr::V6(_) => AddressFamily::INET6,
        }
    }

    /// `addr` as WasmEdge's address storage, and its port.
    pub(crate) fn to_storage(addr: &SocketAddr) -> (AddrStorage, u16) {
        let mut storage = AddrStorage::zeroed();
        let family = u16::from(family_of(addr).0);
        storage.0[..2].copy_from_slice(&family.to_le_bytes());
        match addr {
            SocketAddr::V4(a) => storage.0[2..6].copy_from_slice(&a.ip().octets()),
            SocketAddr::V6(a) => storage.0[2..18].copy_from_slice(&a.ip().octets()),
        }
        (storage, addr.port())
    }

    /// The address the host wrote into `storage`, with `port`.
    pub(crate) fn from_storage(storage: &AddrStorage, port: u16) -> io::Result<SocketAddr> {
        let family = u16::from_le_bytes([storage.0[0], storage.0[1]]);
        if family == u16::from(AddressFamily::INET4.0) {
            let mut ip = [0u8; 4];
            ip.copy_from_slice(&storage.0[2..6]);
            Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port)))
        } else if family == u16::from(AddressFamily::INET6.0) {
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&storage.0[2..18]);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port,
                0,
                0,
            )))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("WasmEdge returned an address of family {family}, not IPv4 or IPv6"),
            ))
        }
    }

    /// WasmEdge 0.17.1 writes the source port of `sock_recv_from` in
    /// network byte order (it skips `ntohs`); this turns it back into a
    /// port number. Module memory is little-endian, so the fix is a swap.
    pub(crate) fn recv_from_port(raw: u16) -> u16 {
        u16::from_be(raw.to_le())
    }

    impl Socket {
        /// A new socket of `kind` for `addr`'s family, non-blocking.
        pub(crate) fn open(addr: &SocketAddr, kind: SockType) -> io::Result<Socket> {
            let fd = host::open(family_of(addr), kind)?;
            // SAFETY: `fd` was just created by the host and is owned by nobody else.
            let socket = unsafe { Socket::from_raw(fd) };
            socket.set_nonblocking()?;
            Ok(socket)
        }

        pub(crate) fn bind(&self, addr: &SocketAddr) -> io::Result<()> {
            let (mut storage, port) = to_storage(addr);
            host::bind(self.fd(), &mut storage, port)
        }

        /// Starts connecting; `Ok` also when the connect is in progress.
        pub(crate) fn connect(&self, addr: &SocketAddr) -> io::Result<()> {
            let (mut storage, port) = to_storage(addr);
            match host::connect(self.fd(), &mut storage, port) {
                Ok(()) => Ok(()),
                Err(errno) if errno == host::Errno::INPROGRESS => Ok(()),
                Err(errno) => Err(host::error(errno)),
            }
        }

        pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
            let mut storage = AddrStorage::zeroed();
            let port = host::local_addr(self.fd(), &mut storage)?;
            from_storage(&storage, port)
        }

        pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
            let mut storage = AddrStorage::zeroed();
            let port = host::peer_addr(self.fd(), &mut storage)?;
            from_storage(&storage, port)
        }

        pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
            // WasmEdge converts SO_ERROR to a preview-1 errno.
            let errno = host::getsockopt_int(self.fd(), SockOptSo::ERROR)?;
            Ok((errno != 0).then(|| io::Error::from_raw_os_error(errno)))
        }

        pub(crate) fn set_flag(&self, name: SockOptSo, on: bool) -> io::Result<()> {
            host::setsockopt_int(self.fd(), name, i32::from(on))
        }

        pub(crate) fn flag(&self, name: SockOptSo) -> io::Result<bool> {
            host::getsockopt_int(self.fd(), name).map(|v| v != 0)
        }

        pub(crate) fn send_to(&self, buf: &[u8], target: &SocketAddr) -> io::Result<usize> {
            let (mut storage, port) = to_storage(target);
            host::send_to(self.fd(), buf, &mut storage, port)
        }

        pub(crate) fn recv_from(
            &self,
            buf: &mut [u8],
            flags: host::RecvFlags,
        ) -> io::Result<(usize, SocketAddr)> {
            let mut storage = AddrStorage::zeroed();
            let (n, raw_port) = host::recv_from(self.fd(), buf, &mut storage, flags)?;
            Ok((n, from_storage(&storage, recv_from_port(raw_port))?))
        }
    }
}

#[cfg(all(test, feature = "wasmedge"))]
mod tests {
    use super::wasmedge::{from_storage, recv_from_port, to_storage};
    use std::net::SocketAddr;

    #[test]
    fn storage_round_trip() {
        for addr in ["127.0.0.1:8080", "[::1]:443", "[2001:db8::5]:1"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let (storage, port) = to_storage(&addr);
            assert_eq!(from_storage(&storage, port).unwrap(), addr);
        }
    }

    #[test]
    fn recv_from_port_swaps() {
        // Port 8080 = 0x1F90, written by the host as the bytes 1F 90.
        let raw = u16::from_le_bytes([0x1F, 0x90]);
        assert_eq!(recv_from_port(raw), 8080);
    }
}
