//! The shell backend: compiles on every target, supports nothing.
//!
//! Used when `os-poll` is off, or on a target no backend supports. Every
//! type of the public API exists and type-checks; every operation that
//! would need the OS returns `Unsupported`.

use std::time::Duration;
use std::{fmt, io};

use crate::sys::readiness::BitsEvent;
use crate::sys::{SelectorApi, WakerApi};
use crate::{Interest, Registry, Token};

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "mio: this build has no selector (enable the `os-poll` feature on a supported target)",
    )
}

#[derive(Debug)]
pub(crate) struct Selector(());

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        Err(unsupported())
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Err(unsupported())
    }

    fn select(&self, _: &mut Events, _: Option<Duration>) -> io::Result<()> {
        Err(unsupported())
    }

    fn id(&self) -> usize {
        0
    }
}

/// No event can exist without a selector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event(());

pub(crate) type Events = Vec<Event>;

impl BitsEvent for Event {
    fn token(&self) -> Token {
        Token(0)
    }
    fn bits(&self) -> u8 {
        0
    }
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shell event")
    }
}

#[derive(Debug)]
pub(crate) struct Waker(());

impl WakerApi for Waker {
    fn new(_: &Selector, _: Token) -> io::Result<Waker> {
        Err(unsupported())
    }

    fn wake(&self) -> io::Result<()> {
        Err(unsupported())
    }
}

/// Every type can be "registered" (the registration itself fails).
#[allow(dead_code)]
pub(crate) trait Selectable {}

impl<T> Selectable for T {}

#[allow(dead_code)]
pub(crate) struct IoSourceState;

#[allow(dead_code)]
impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    pub(crate) fn do_io<T, F, R>(&self, _blocked: Interest, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        f(io)
    }

    pub(crate) fn register<T>(
        &mut self,
        _: &Registry,
        _: Token,
        _: Interest,
        _: &T,
    ) -> io::Result<()> {
        Err(unsupported())
    }

    pub(crate) fn reregister<T>(
        &mut self,
        _: &Registry,
        _: Token,
        _: Interest,
        _: &T,
    ) -> io::Result<()> {
        Err(unsupported())
    }

    pub(crate) fn deregister<T>(&mut self, _: &Registry, _: &T) -> io::Result<()> {
        Err(unsupported())
    }
}

#[cfg(feature = "net")]
pub(crate) mod tcp {
    use std::io;
    use std::net::SocketAddr;

    pub(crate) use std::net::{TcpListener, TcpStream};

    pub(crate) fn bind(_: SocketAddr) -> io::Result<TcpListener> {
        Err(super::unsupported())
    }

    pub(crate) fn connect(_: SocketAddr) -> io::Result<TcpStream> {
        Err(super::unsupported())
    }

    pub(crate) fn accept(_: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
        Err(super::unsupported())
    }

    pub(crate) fn stream_from_std(stream: std::net::TcpStream) -> TcpStream {
        stream
    }

    pub(crate) fn listener_from_std(listener: std::net::TcpListener) -> TcpListener {
        listener
    }
}

#[cfg(feature = "net")]
pub(crate) mod udp {
    use std::io;
    use std::net::SocketAddr;

    pub(crate) use std::net::UdpSocket;

    pub(crate) fn bind(_: SocketAddr) -> io::Result<UdpSocket> {
        Err(super::unsupported())
    }

    pub(crate) fn only_v6(_: &UdpSocket) -> io::Result<bool> {
        Err(super::unsupported())
    }

    pub(crate) fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
        socket
    }
}

#[cfg(all(unix, feature = "net"))]
pub(crate) mod uds {
    use std::io;
    use std::os::unix::net::SocketAddr;
    use std::path::Path;

    pub(crate) use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

    use super::unsupported;

    pub(crate) fn bind_listener(_: &Path) -> io::Result<UnixListener> {
        Err(unsupported())
    }
    pub(crate) fn bind_listener_addr(_: &SocketAddr) -> io::Result<UnixListener> {
        Err(unsupported())
    }
    pub(crate) fn accept(_: &UnixListener) -> io::Result<(UnixStream, SocketAddr)> {
        Err(unsupported())
    }
    pub(crate) fn connect(_: &Path) -> io::Result<UnixStream> {
        Err(unsupported())
    }
    pub(crate) fn connect_addr(_: &SocketAddr) -> io::Result<UnixStream> {
        Err(unsupported())
    }
    pub(crate) fn stream_pair() -> io::Result<(UnixStream, UnixStream)> {
        Err(unsupported())
    }
    pub(crate) fn datagram_bind(_: &Path) -> io::Result<UnixDatagram> {
        Err(unsupported())
    }
    pub(crate) fn datagram_bind_addr(_: &SocketAddr) -> io::Result<UnixDatagram> {
        Err(unsupported())
    }
    pub(crate) fn datagram_unbound() -> io::Result<UnixDatagram> {
        Err(unsupported())
    }
    pub(crate) fn datagram_pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        Err(unsupported())
    }
}
