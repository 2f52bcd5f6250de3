//! Unix pipes (`mio::unix::pipe`).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

// Without `os-ext`, only the poll(2) selector (outside Linux and Android,
// where it uses an eventfd) and the pipe-based kqueue waker (NetBSD,
// OpenBSD) create pipes.
#[cfg_attr(
    all(
        not(feature = "os-ext"),
        any(
            target_os = "linux",
            target_os = "android",
            all(
                any(
                    target_vendor = "apple",
                    target_os = "freebsd",
                    target_os = "dragonfly"
                ),
                mio_selector = "kqueue"
            )
        )
    ),
    allow(dead_code)
)]
/// A new pipe: both ends non-blocking and close-on-exec, read end first.
pub(crate) fn new_raw() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    #[cfg(not(any(target_vendor = "apple", target_os = "espidf", target_os = "vita")))]
    {
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        syscall!(pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC))?;
        // SAFETY: both descriptors are new and owned by nobody else.
        Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
    }
    #[cfg(any(target_vendor = "apple", target_os = "espidf", target_os = "vita"))]
    {
        // SAFETY: `fds` has room for the two descriptors pipe writes.
        syscall!(pipe(fds.as_mut_ptr()))?;
        // SAFETY: both descriptors are new and owned by nobody else.
        let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        super::set_nonblocking_cloexec(fds[0])?;
        super::set_nonblocking_cloexec(fds[1])?;
        Ok(pair)
    }
}

#[cfg(feature = "os-ext")]
pub use self::public::*;

#[cfg(feature = "os-ext")]
mod public {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
    use std::process::{ChildStderr, ChildStdin, ChildStdout};

    use super::new_raw;
    use crate::io_source::IoSource;

    /// Creates a unidirectional pipe: bytes written to the [`Sender`] are read
    /// from the [`Receiver`]. Both ends are non-blocking and close-on-exec.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use std::io::{Read, Write};
    /// use mio::unix::pipe;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(8);
    /// let (mut sender, mut receiver) = pipe::new()?;
    /// poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
    ///
    /// sender.write_all(b"ping")?;
    /// poll.poll(&mut events, None)?;
    /// let mut buf = [0; 4];
    /// receiver.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"ping");
    /// # Ok(())
    /// # }
    /// ```
    pub fn new() -> io::Result<(Sender, Receiver)> {
        let (read, write) = new_raw()?;
        Ok((
            Sender {
                inner: IoSource::new(File::from(write)),
            },
            Receiver {
                inner: IoSource::new(File::from(read)),
            },
        ))
    }

    /// The writing end of a pipe; see [`new`].
    #[derive(Debug)]
    pub struct Sender {
        inner: IoSource<File>,
    }

    /// The reading end of a pipe; see [`new`].
    #[derive(Debug)]
    pub struct Receiver {
        inner: IoSource<File>,
    }

    macro_rules! pipe_end {
        ($ty:ident) => {
            impl $ty {
                /// Switches the end between non-blocking (the default, needed for
                /// use with `Poll`) and blocking mode.
                ///
                /// # Errors
                ///
                /// The error of `fcntl(2)`.
                pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
                    let fd = self.inner.as_raw_fd();
                    // SAFETY: fcntl on a descriptor we own, integer arguments only.
                    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
                    let flags = if nonblocking {
                        flags | libc::O_NONBLOCK
                    } else {
                        flags & !libc::O_NONBLOCK
                    };
                    // SAFETY: as above.
                    syscall!(fcntl(fd, libc::F_SETFL, flags)).map(|_| ())
                }

                /// Runs a custom I/O operation on the raw descriptor, with the
                /// same readiness bookkeeping as the built-in reads and writes:
                /// return `WouldBlock` from `f` when the operation would block.
                ///
                /// # Errors
                ///
                /// Whatever `f` returns.
                pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
                where
                    F: FnOnce() -> io::Result<T>,
                {
                    self.inner.do_io(|_| f())
                }
            }

            impl FromRawFd for $ty {
                /// The descriptor must be an open pipe end in non-blocking mode.
                unsafe fn from_raw_fd(fd: RawFd) -> $ty {
                    $ty {
                        // SAFETY: the caller hands over ownership of an open descriptor.
                        inner: IoSource::new(unsafe { File::from_raw_fd(fd) }),
                    }
                }
            }

            impl AsRawFd for $ty {
                fn as_raw_fd(&self) -> RawFd {
                    self.inner.as_raw_fd()
                }
            }

            impl IntoRawFd for $ty {
                fn into_raw_fd(self) -> RawFd {
                    self.inner.into_inner().into_raw_fd()
                }
            }

            impl AsFd for $ty {
                fn as_fd(&self) -> BorrowedFd<'_> {
                    self.inner.as_fd()
                }
            }

            impl From<$ty> for OwnedFd {
                fn from(end: $ty) -> OwnedFd {
                    end.inner.into_inner().into()
                }
            }

            impl From<OwnedFd> for $ty {
                /// The descriptor must be an open pipe end in non-blocking mode.
                fn from(fd: OwnedFd) -> $ty {
                    $ty {
                        inner: IoSource::new(File::from(fd)),
                    }
                }
            }
        };
    }

    pipe_end!(Sender);
    pipe_end!(Receiver);
    impl_source!(Sender, Receiver);
    impl_write!(Sender);
    impl_read!(Receiver);

    /// Takes a child's stdin pipe and makes it non-blocking.
    impl From<ChildStdin> for Sender {
        fn from(stdin: ChildStdin) -> Sender {
            from_child(stdin.into())
        }
    }

    /// Takes a child's stdout pipe and makes it non-blocking.
    impl From<ChildStdout> for Receiver {
        fn from(stdout: ChildStdout) -> Receiver {
            from_child(stdout.into())
        }
    }

    /// Takes a child's stderr pipe and makes it non-blocking.
    impl From<ChildStderr> for Receiver {
        fn from(stderr: ChildStderr) -> Receiver {
            from_child(stderr.into())
        }
    }

    fn from_child<T: From<OwnedFd>>(fd: OwnedFd) -> T {
        // A failure here leaves the pipe blocking; the first read or write then
        // blocks instead of returning `WouldBlock`, which the caller can detect
        // and fix with `set_nonblocking`. `From` cannot report the error.
        let raw = fd.as_raw_fd();
        // SAFETY: fcntl on a descriptor we own, integer arguments only.
        if let Ok(flags) = syscall!(fcntl(raw, libc::F_GETFL)) {
            // SAFETY: as above.
            let _ = syscall!(fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK));
        }
        T::from(fd)
    }
}
