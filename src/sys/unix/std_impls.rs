//! Unix descriptor traits for the public types: `AsRawFd`, `FromRawFd`,
//! `IntoRawFd`, `AsFd`, and conversions to and from `OwnedFd` and std.

#[cfg(feature = "net")]
macro_rules! fd_traits {
    ($($public:ty => $std:ty,)*) => {$(
        impl std::os::fd::AsRawFd for $public {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $public {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl std::os::fd::IntoRawFd for $public {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                self.inner.into_inner().into_raw_fd()
            }
        }

        /// The descriptor must be an open socket of the right kind, in
        /// non-blocking mode.
        impl std::os::fd::FromRawFd for $public {
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> Self {
                // SAFETY: the caller hands over ownership of an open socket.
                Self::from_std(unsafe { <$std>::from_raw_fd(fd) })
            }
        }

        impl From<$public> for std::os::fd::OwnedFd {
            fn from(socket: $public) -> Self {
                socket.inner.into_inner().into()
            }
        }

        /// The descriptor must be a socket of the right kind, in
        /// non-blocking mode.
        impl From<std::os::fd::OwnedFd> for $public {
            fn from(fd: std::os::fd::OwnedFd) -> Self {
                Self::from_std(<$std>::from(fd))
            }
        }

        /// Gives the socket back to std (still non-blocking; deregister it first).
        impl From<$public> for $std {
            fn from(socket: $public) -> Self {
                socket.inner.into_inner()
            }
        }
    )*};
}

#[cfg(feature = "net")]
fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
    crate::net::UnixListener => std::os::unix::net::UnixListener,
    crate::net::UnixStream => std::os::unix::net::UnixStream,
    crate::net::UnixDatagram => std::os::unix::net::UnixDatagram,
}

#[cfg(all(
    any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd"
    ),
    not(mio_unsupported_force_poll_poll)
))]
mod selector_fd {
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

    use crate::{Poll, Registry};

    /// The epoll or kqueue descriptor (register it in another event loop to
    /// nest loops).
    impl AsRawFd for Poll {
        fn as_raw_fd(&self) -> RawFd {
            self.registry().as_raw_fd()
        }
    }

    /// The epoll or kqueue descriptor.
    impl AsRawFd for Registry {
        fn as_raw_fd(&self) -> RawFd {
            self.selector().as_raw_fd()
        }
    }

    /// The epoll or kqueue descriptor.
    impl AsFd for Registry {
        fn as_fd(&self) -> BorrowedFd<'_> {
            // SAFETY: the descriptor stays open as long as `self` lives,
            // which bounds the returned borrow.
            unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
        }
    }
}
