//! Networking primitives: TCP, UDP and (on Unix) Unix domain sockets.
//!
//! Every type here is non-blocking and implements
//! [`event::Source`](crate::event::Source). Operations that cannot proceed
//! return [`std::io::ErrorKind::WouldBlock`]; wait for the matching event and
//! try again. Readiness is edge-triggered: keep reading or writing until
//! `WouldBlock` before waiting again.
//!
//! On WASI hosts some operations do not exist (for example `peek` on
//! `wasi:sockets`); they return [`std::io::ErrorKind::Unsupported`] with a
//! message that names the host and the operation. The [crate
//! documentation](crate#what-each-host-refuses) has the full list.
//!
//! # Creating sockets
//!
//! * `bind` and `connect` create sockets that are non-blocking from the
//!   start ([`TcpListener::bind`], [`TcpStream::connect`],
//!   [`UdpSocket::bind`]). Name resolution is not part of this crate:
//!   resolve host names first (on `wasm32-wasip2` without blocking, with
//!   `wasi::NameResolver`).
//! * `from_std` wraps a socket from the standard library (or from
//!   elsewhere, through std's raw-descriptor traits). Put it in
//!   non-blocking mode first: `from_std` leaves the mode alone.
//! * Every type converts back to its std counterpart (`From`) and, where
//!   the platform has one, exposes its descriptor or socket handle, for
//!   options this crate does not wrap. Deregister it first.
//!
//! # Types
//!
//! | type | what | notes |
//! |---|---|---|
//! | [`TcpListener`] | accepts TCP connections | drain `accept` on each readable event |
//! | [`TcpStream`] | a TCP connection | `Read`/`Write`; first writable event after `connect` ends the attempt |
//! | [`UdpSocket`] | UDP datagrams | one datagram per call; connected or not |
//! | `UnixListener`, `UnixStream`, `UnixDatagram` | Unix domain sockets (Unix only) | also abstract addresses on Linux and Android |

mod tcp;
pub use self::tcp::{TcpListener, TcpStream};

mod udp;
pub use self::udp::UdpSocket;

#[cfg(unix)]
mod uds;
#[cfg(unix)]
pub use self::uds::{UnixDatagram, UnixListener, UnixStream};
