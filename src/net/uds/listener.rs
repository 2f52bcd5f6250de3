use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::io;

use crate::io_source::IoSource;
use crate::net::UnixStream;
use crate::sys;

/// A non-blocking Unix domain socket server.
pub struct UnixListener {
    pub(crate) inner: IoSource<sys::uds::UnixListener>,
}

impl UnixListener {
    /// Binds a new listener to the filesystem path `path`.
    ///
    /// # Errors
    ///
    /// The OS's error (for example `AddrInUse` when the path exists).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        sys::uds::bind_listener(path.as_ref()).map(UnixListener::from_sys)
    }

    /// Binds a new listener to `address` (a path, or on Linux an abstract name).
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixListener> {
        sys::uds::bind_listener_addr(address).map(UnixListener::from_sys)
    }

    /// Wraps a std listener, which must already be non-blocking.
    pub fn from_std(listener: net::UnixListener) -> UnixListener {
        UnixListener::from_sys(listener)
    }

    fn from_sys(listener: sys::uds::UnixListener) -> UnixListener {
        UnixListener {
            inner: IoSource::new(listener),
        }
    }

    /// Accepts a connection; the stream is non-blocking and unregistered.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no connection is waiting; otherwise the OS's error.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.inner
            .do_read(sys::uds::accept)
            .map(|(stream, addr)| (UnixStream::from_std(stream), addr))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// The OS's error for reading the option.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl_source!(UnixListener);
impl_debug_inner!(UnixListener);
