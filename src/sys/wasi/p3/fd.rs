//! Descriptor numbers for this backend's sockets.
//!
//! WASI 0.3 sockets are component-model resources, not wasi-libc
//! descriptors, yet code written for mio on WASI (tokio's `net` among it)
//! needs `AsRawFd`, `IntoRawFd` and `FromRawFd`. Each socket therefore has a
//! number of its own, derived from the address of its state, in a range
//! wasi-libc never reaches (its table hands out the lowest free slot), so a
//! number is never a live wasi-libc descriptor:
//!
//! * `as_raw_fd` gives the number; it is stable for the socket's life and
//!   no two live sockets share one.
//! * `into_raw_fd` parks the socket under its number, open, until
//!   `from_raw_fd` (or `from_std` of a std socket made from that number)
//!   takes it back.
//! * A number that is not parked here (a real wasi-libc descriptor, from
//!   std) gives a socket whose every operation returns `Unsupported`, and
//!   the descriptor is closed.
//!
//! std's own calls on such a number (for example on the
//! `std::net::TcpStream` a `From` conversion builds) fail with `EBADF`: the
//! number is only good for converting back into this crate's sockets.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::sync::{Mutex, PoisonError};

use super::{tcp, udp, Shared};

/// The lowest number handed out (2^30). A state's address divided by four
/// is added, which keeps every number below 2^31 on wasm32.
const BASE: usize = 1 << 30;

/// The number of the socket whose state is `state`.
fn number<T>(state: &Shared<T>) -> RawFd {
    let addr = Rc::as_ptr(state.rc()) as usize;
    // Every state is at least 4-aligned and lives in a 32-bit address
    // space, so distinct live states give distinct numbers in
    // [2^30, 2^31).
    (BASE + (addr >> 2)) as RawFd
}

/// A socket handed out by `into_raw_fd`, kept open until it is taken back.
pub(crate) enum Parked {
    Stream(tcp::TcpStream),
    Listener(tcp::TcpListener),
    Udp(udp::UdpSocket),
}

static PARKED: Mutex<BTreeMap<RawFd, Parked>> = Mutex::new(BTreeMap::new());

/// Keeps `socket` under `fd` until [`take`].
fn park(fd: RawFd, socket: Parked) {
    PARKED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(fd, socket);
}

/// What `from_raw_fd` (or `from_std`) was given: the parked socket of this
/// number, or `None` after closing a descriptor that is not one of ours.
///
/// A parked socket of another kind (a listener's number handed to
/// `TcpStream::from_raw_fd`) stays parked, and `None` is returned.
fn take(fd: RawFd, wanted: fn(&Parked) -> bool) -> Option<Parked> {
    let mut parked = PARKED.lock().unwrap_or_else(PoisonError::into_inner);
    match parked.get(&fd) {
        Some(socket) if wanted(socket) => parked.remove(&fd),
        Some(_) => None,
        None => {
            drop(parked);
            if fd >= 0 && (fd as usize) < BASE {
                // SAFETY: the caller handed over ownership of `fd` (it came
                // from `into_raw_fd` of a std socket, or from the caller of
                // `from_raw_fd`); it is not one of our numbers, so it is a
                // wasi-libc descriptor, closed here as the socket it stood
                // for cannot be used.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
            }
            None
        }
    }
}

/// The way back from a number for one socket type: the socket parked
/// under it, or `None` (see [`take`]).
pub(crate) trait Unpark: Sized {
    fn unpark(fd: RawFd) -> Option<Self>;
}

/// `AsRawFd`, `IntoRawFd` and [`Unpark`] for the socket types, each
/// parked as its own kind.
macro_rules! numbered_sockets {
    ($($socket:ty => $kind:ident),* $(,)?) => {$(
        impl AsRawFd for $socket {
            fn as_raw_fd(&self) -> RawFd {
                number(&self.inner)
            }
        }

        impl IntoRawFd for $socket {
            fn into_raw_fd(self) -> RawFd {
                let fd = self.as_raw_fd();
                park(fd, Parked::$kind(self));
                fd
            }
        }

        impl Unpark for $socket {
            fn unpark(fd: RawFd) -> Option<Self> {
                match take(fd, |parked| matches!(parked, Parked::$kind(_))) {
                    Some(Parked::$kind(socket)) => Some(socket),
                    _ => None,
                }
            }
        }
    )*};
}

numbered_sockets! {
    tcp::TcpStream => Stream,
    tcp::TcpListener => Listener,
    udp::UdpSocket => Udp,
}
