use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking Unix domain stream socket.
pub struct UnixStream {
    pub(crate) inner: IoSource<sys::uds::UnixStream>,
}

impl UnixStream {
    /// Starts connecting to the socket at `path` without blocking; the
    /// connection is usable after a writable event.
    ///
    /// # Errors
    ///
    /// The OS's error (for example `NotFound` or `ConnectionRefused`).
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        sys::uds::connect(path.as_ref()).map(UnixStream::from_std)
    }

    /// Starts connecting to `address` (a path, or on Linux an abstract name).
    ///
    /// # Errors
    ///
    /// The OS's error; `InvalidInput` for an unnamed address.
    pub fn connect_addr(address: &SocketAddr) -> io::Result<UnixStream> {
        sys::uds::connect_addr(address).map(UnixStream::from_std)
    }

    /// Wraps a std stream, which must already be non-blocking.
    pub fn from_std(stream: net::UnixStream) -> UnixStream {
        UnixStream {
            inner: IoSource::new(stream),
        }
    }

    /// A connected pair of streams.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        sys::uds::stream_pair().map(|(a, b)| (UnixStream::from_std(a), UnixStream::from_std(b)))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The OS's error (for example `NotConnected`).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
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

    /// Runs a custom I/O operation (for example passing descriptors with
    /// `sendmsg`) with the same readiness bookkeeping as reads and writes.
    /// `f` must return `WouldBlock` exactly when the operation would block.
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

impl_source!(UnixStream);
impl_debug_inner!(UnixStream);
impl_read!(UnixStream);
impl_write!(UnixStream);
