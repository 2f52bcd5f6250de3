//! Windows socket traits for the public types: `AsRawSocket`,
//! `FromRawSocket`, `IntoRawSocket`, `AsSocket`, and conversions to and
//! from `OwnedSocket` and std.

#[cfg(feature = "net")]
macro_rules! socket_traits {
    ($($public:ty => $std:ty,)*) => {$(
        impl std::os::windows::io::AsRawSocket for $public {
            fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
                self.inner.as_raw_socket()
            }
        }

        impl std::os::windows::io::AsSocket for $public {
            fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
                self.inner.as_socket()
            }
        }

        impl std::os::windows::io::IntoRawSocket for $public {
            fn into_raw_socket(self) -> std::os::windows::io::RawSocket {
                <$std>::from(self.inner.into_inner()).into_raw_socket()
            }
        }

        /// The socket must be open, of the right kind, and in
        /// non-blocking mode.
        impl std::os::windows::io::FromRawSocket for $public {
            unsafe fn from_raw_socket(socket: std::os::windows::io::RawSocket) -> Self {
                // SAFETY: the caller hands over ownership of an open socket.
                Self::from_std(unsafe { <$std>::from_raw_socket(socket) })
            }
        }

        impl From<$public> for std::os::windows::io::OwnedSocket {
            fn from(socket: $public) -> Self {
                <$std>::from(socket.inner.into_inner()).into()
            }
        }

        /// The socket must be of the right kind, in non-blocking mode.
        impl From<std::os::windows::io::OwnedSocket> for $public {
            fn from(socket: std::os::windows::io::OwnedSocket) -> Self {
                Self::from_std(<$std>::from(socket))
            }
        }

        /// Gives the socket back to std (still non-blocking; deregister it first).
        impl From<$public> for $std {
            fn from(socket: $public) -> Self {
                <$std>::from(socket.inner.into_inner())
            }
        }
    )*};
}

#[cfg(feature = "net")]
socket_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
}
