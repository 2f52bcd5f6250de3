//! The feature-gating vocabulary of the crate: every public item that depends
//! on a cargo feature is wrapped in one of these macros, so the rest of the
//! code reads without `#[cfg]` noise and the docs show the required feature.

/// Items that need the `os-poll` feature (a real selector).
macro_rules! cfg_os_poll {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "os-poll")]
            #[cfg_attr(docsrs, doc(cfg(feature = "os-poll")))]
            $item
        )*
    }
}

/// Items that need the `net` feature.
macro_rules! cfg_net {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "net")]
            #[cfg_attr(docsrs, doc(cfg(feature = "net")))]
            $item
        )*
    }
}

/// Items needed by either `net` or `os-ext` (both build on `IoSource`).
macro_rules! cfg_io_source {
    ($($item:item)*) => {
        $(
            #[cfg(any(feature = "net", all(unix, feature = "os-ext")))]
            $item
        )*
    }
}

/// Implements `event::Source` for I/O types built on `IoSource`, by
/// forwarding to their `inner` field.
#[allow(unused_macros)] // not every feature set has such a type
macro_rules! impl_source {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::event::Source for $ty {
            fn register(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                self.inner.register(registry, token, interests)
            }

            fn reregister(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                self.inner.reregister(registry, token, interests)
            }

            fn deregister(&mut self, registry: &$crate::Registry) -> ::std::io::Result<()> {
                self.inner.deregister(registry)
            }
        }
    )*};
}

/// Implements `Debug` as the `inner` object's (the OS socket's).
#[allow(unused_macros)]
macro_rules! impl_debug_inner {
    ($($ty:ty),* $(,)?) => {$(
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.inner.fmt(f)
            }
        }
    )*};
}

/// Implements `Read` for a type and for `&` it, through the `inner`
/// `IoSource`'s readable bookkeeping (`do_read`).
#[allow(unused_macros)]
macro_rules! impl_read {
    ($($ty:ty),* $(,)?) => {$(
        impl ::std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                (&*self).read(buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                (&*self).read_vectored(bufs)
            }
        }

        impl ::std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.inner.do_read(|mut inner| ::std::io::Read::read(&mut inner, buf))
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner
                    .do_read(|mut inner| ::std::io::Read::read_vectored(&mut inner, bufs))
            }
        }
    )*};
}

/// Implements `Write` for a type and for `&` it, through the `inner`
/// `IoSource`'s writable bookkeeping (`do_write`).
#[allow(unused_macros)]
macro_rules! impl_write {
    ($($ty:ty),* $(,)?) => {$(
        impl ::std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                (&*self).write(buf)
            }

            fn write_vectored(&mut self, bufs: &[::std::io::IoSlice<'_>]) -> ::std::io::Result<usize> {
                (&*self).write_vectored(bufs)
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                (&*self).flush()
            }
        }

        impl ::std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.inner.do_write(|mut inner| ::std::io::Write::write(&mut inner, buf))
            }

            fn write_vectored(&mut self, bufs: &[::std::io::IoSlice<'_>]) -> ::std::io::Result<usize> {
                self.inner
                    .do_write(|mut inner| ::std::io::Write::write_vectored(&mut inner, bufs))
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                self.inner.do_write(|mut inner| ::std::io::Write::flush(&mut inner))
            }
        }
    )*};
}

/// The descriptor traits of the public socket types on targets with file
/// descriptors (Unix, WASI): `AsRawFd`, `AsFd`, `IntoRawFd`, `FromRawFd`,
/// and conversions to and from `OwnedFd` and the standard library's type.
/// The backend's socket type (`inner`'s) provides `as_raw_fd` and
/// `into_raw_fd`, as a trait or inherent method.
#[allow(unused_macros)]
macro_rules! impl_fd_traits {
    ($($public:ty => $std:ty),* $(,)?) => {$(
        impl ::std::os::fd::AsRawFd for $public {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                #[allow(unused_imports)]
                use ::std::os::fd::AsRawFd as _;
                self.inner.as_raw_fd()
            }
        }

        impl ::std::os::fd::AsFd for $public {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                use ::std::os::fd::AsRawFd as _;
                // SAFETY: the descriptor is owned by `self` and stays open
                // as long as the returned borrow.
                unsafe { ::std::os::fd::BorrowedFd::borrow_raw(self.as_raw_fd()) }
            }
        }

        impl ::std::os::fd::IntoRawFd for $public {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                #[allow(unused_imports)]
                use ::std::os::fd::IntoRawFd as _;
                self.inner.into_inner().into_raw_fd()
            }
        }

        /// The descriptor must be an open socket of the right kind, in
        /// non-blocking mode.
        impl ::std::os::fd::FromRawFd for $public {
            unsafe fn from_raw_fd(fd: ::std::os::fd::RawFd) -> Self {
                // SAFETY: the caller hands over ownership of an open socket.
                Self::from_std(unsafe { <$std as ::std::os::fd::FromRawFd>::from_raw_fd(fd) })
            }
        }

        impl From<$public> for ::std::os::fd::OwnedFd {
            fn from(socket: $public) -> Self {
                let fd = ::std::os::fd::IntoRawFd::into_raw_fd(socket);
                // SAFETY: `into_raw_fd` handed over an open descriptor.
                unsafe { <::std::os::fd::OwnedFd as ::std::os::fd::FromRawFd>::from_raw_fd(fd) }
            }
        }

        /// The descriptor must be a socket of the right kind, in
        /// non-blocking mode.
        impl From<::std::os::fd::OwnedFd> for $public {
            fn from(fd: ::std::os::fd::OwnedFd) -> Self {
                Self::from_std(<$std>::from(fd))
            }
        }

        /// Gives the socket back to std (still non-blocking; deregister it first).
        impl From<$public> for $std {
            fn from(socket: $public) -> Self {
                let fd = ::std::os::fd::IntoRawFd::into_raw_fd(socket);
                // SAFETY: `into_raw_fd` handed over an open descriptor.
                unsafe { <$std as ::std::os::fd::FromRawFd>::from_raw_fd(fd) }
            }
        }
    )*};
}

/// Logging that compiles to nothing without the `log` feature.
macro_rules! trace {
    ($($t:tt)*) => { log!(trace, $($t)*) }
}

macro_rules! log {
    ($level:ident, $($t:tt)*) => {
        #[cfg(feature = "log")]
        { log::$level!($($t)*) }
        // Keep the arguments "used" when logging is off, so no warnings
        // depend on the feature set.
        #[cfg(not(feature = "log"))]
        { if false { let _ = format_args!($($t)*); } }
    }
}

/// Declares a module holding one file of generated bindings. Normally that is
/// the committed copy under `generated/`; with the `regenerate-bindings`
/// feature it is the build script's fresh output in `$OUT_DIR/generated/`
/// (build/generate.rs), so a build never reads or writes a stale copy.
/// The files are included with `include!`, so the module-level attributes
/// they need are written here.
#[allow(unused_macros)] // only the WASI backends have generated bindings
macro_rules! generated_bindings {
    ($(#[$attr:meta])* $vis:vis mod $name:ident = $file:literal;) => {
        $(#[$attr])*
        #[allow(dead_code, unreachable_pub, missing_docs, missing_debug_implementations)]
        $vis mod $name {
            #[cfg(not(any(feature = "regenerate-bindings", feature = "host-call-count")))]
            include!(concat!(env!("CARGO_MANIFEST_DIR"), "/generated/", $file));
            #[cfg(all(feature = "regenerate-bindings", not(feature = "host-call-count")))]
            include!(concat!(env!("OUT_DIR"), "/generated/", $file));
            // Test-only: the committed bindings with every host call
            // counted (build.rs writes them).
            #[cfg(feature = "host-call-count")]
            include!(concat!(env!("OUT_DIR"), "/counted/", $file));
        }
    };
}
