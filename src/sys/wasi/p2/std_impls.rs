//! Raw descriptor conversions of the public socket types: every socket of
//! this backend is a wasi-libc descriptor (see `descriptor`), so these are
//! the real descriptors std uses too.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

macro_rules! fd_traits {
    ($($public:ty => $std:ty,)*) => {$(
        impl AsRawFd for $public {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl AsFd for $public {
            fn as_fd(&self) -> BorrowedFd<'_> {
                // SAFETY: the descriptor stays open as long as `self`.
                unsafe { BorrowedFd::borrow_raw(self.inner.as_raw_fd()) }
            }
        }

        impl IntoRawFd for $public {
            fn into_raw_fd(self) -> RawFd {
                self.inner.into_inner().into_raw_fd()
            }
        }

        impl FromRawFd for $public {
            unsafe fn from_raw_fd(fd: RawFd) -> Self {
                // SAFETY: the caller passes an open descriptor it owns.
                Self::from_std(unsafe { <$std>::from_raw_fd(fd) })
            }
        }

        impl From<$public> for OwnedFd {
            fn from(socket: $public) -> Self {
                // SAFETY: `into_raw_fd` hands over ownership of an open descriptor.
                unsafe { OwnedFd::from_raw_fd(socket.into_raw_fd()) }
            }
        }

        impl From<OwnedFd> for $public {
            fn from(fd: OwnedFd) -> Self {
                Self::from_std(<$std>::from(fd))
            }
        }

        impl From<$public> for $std {
            fn from(socket: $public) -> Self {
                // SAFETY: `into_raw_fd` hands over ownership of an open descriptor.
                unsafe { <$std>::from_raw_fd(socket.into_raw_fd()) }
            }
        }
    )*};
}

fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
}
