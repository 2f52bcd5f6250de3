use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::io;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking Unix domain datagram socket.
pub struct UnixDatagram {
    pub(crate) inner: IoSource<sys::uds::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to the filesystem path `path`.
    ///
    /// # Errors
    ///
    /// The OS's error (for example `AddrInUse` when the path exists).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        sys::uds::datagram_bind(path.as_ref()).map(UnixDatagram::from_std)
    }

    /// Creates a socket bound to `address`.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixDatagram> {
        sys::uds::datagram_bind_addr(address).map(UnixDatagram::from_std)
    }

    /// Wraps a std socket, which must already be non-blocking.
    pub fn from_std(socket: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram {
            inner: IoSource::new(socket),
        }
    }

    /// Connects the socket to the socket at `path`: `send` goes there and
    /// only datagrams from there are received.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.connect(path)
    }

    /// Creates a socket bound to no address.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn unbound() -> io::Result<UnixDatagram> {
        sys::uds::datagram_unbound().map(UnixDatagram::from_std)
    }

    /// A connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        sys::uds::datagram_pair()
            .map(|(a, b)| (UnixDatagram::from_std(a), UnixDatagram::from_std(b)))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Receives one datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is queued; otherwise the OS's error.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_read(|inner| inner.recv_from(buf))
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is queued; otherwise the OS's error.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|inner| inner.recv(buf))
    }

    /// Sends one datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the receiver's queue is full; otherwise the OS's error.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        self.inner.do_write(|inner| inner.send_to(buf, path))
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the receiver's queue is full; otherwise the OS's error.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_write(|inner| inner.send(buf))
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// The OS's error for reading the option.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Runs a custom I/O operation with the same readiness bookkeeping as
    /// the built-in calls. `f` must return `WouldBlock` exactly when the
    /// operation would block.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl_source!(UnixDatagram);
impl_debug_inner!(UnixDatagram);
