//! Descriptor traits for the public socket types on WASI preview 1:
//! `AsRawFd`, `FromRawFd`, `IntoRawFd`, `AsFd`, and conversions to and from
//! `OwnedFd` and the standard library's types.

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
        /// non-blocking mode (for example a listener the host pre-opened).
        impl std::os::fd::FromRawFd for $public {
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> Self {
                // SAFETY: the caller hands over ownership of an open socket.
                Self::from_std(unsafe { <$std>::from_raw_fd(fd) })
            }
        }

        impl From<$public> for std::os::fd::OwnedFd {
            fn from(socket: $public) -> Self {
                socket.inner.into_inner().into_owned()
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
                <$std>::from(socket.inner.into_inner().into_owned())
            }
        }
    )*};
}

fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
}
