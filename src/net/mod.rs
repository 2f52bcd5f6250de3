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
//! message that names the host and the operation.

mod tcp;
pub use self::tcp::{TcpListener, TcpStream};

mod udp;
pub use self::udp::UdpSocket;

#[cfg(unix)]
mod uds;
#[cfg(unix)]
pub use self::uds::{UnixDatagram, UnixListener, UnixStream};
