//! Unix descriptor traits for the public types: `AsRawFd`, `FromRawFd`,
//! `IntoRawFd`, `AsFd`, and conversions to and from `OwnedFd` and std.

#[cfg(feature = "net")]
impl_fd_traits! {
    crate::net::TcpListener => std::net::TcpListener,
    crate::net::TcpStream => std::net::TcpStream,
    crate::net::UdpSocket => std::net::UdpSocket,
    crate::net::UnixListener => std::os::unix::net::UnixListener,
    crate::net::UnixStream => std::os::unix::net::UnixStream,
    crate::net::UnixDatagram => std::os::unix::net::UnixDatagram,
}

#[cfg(any(mio_selector = "epoll", mio_selector = "kqueue"))]
// docs.rs badge: name the systems, not the internal selector cfg.
#[cfg_attr(
    docsrs,
    doc(cfg(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd"
    )))
)]
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
