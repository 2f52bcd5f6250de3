//! [`Shared`]: how the WASI 0.2 and 0.3 backends share state between a
//! source and the selector it is registered with.
//!
//! Both backends refuse to build with the `atomics` target feature (see
//! their `mod.rs`), which is what makes the `Send` and `Sync` impls below
//! sound.

use std::ops::Deref;
use std::rc::Rc;

/// A reference-counted value shared by the handles of a backend (a source
/// and the selector it is registered with).
///
/// The crate's public types are `Send + Sync` on every target, so this is
/// too; see the safety note on the impls.
pub(crate) struct Shared<T: ?Sized>(Rc<T>);

// SAFETY: without the `atomics` target feature (refused by both backends)
// a wasm32 module has no shared memory and its component cannot run a
// second thread, so a `Shared` is never reached from two threads: moving or
// sharing it "between threads" can only ever mean the one thread there is.
unsafe impl<T: ?Sized> Send for Shared<T> {}
// SAFETY: as for `Send` above.
unsafe impl<T: ?Sized> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub(crate) fn new(value: T) -> Shared<T> {
        Shared(Rc::new(value))
    }
}

// Without `net` only the selector shares anything.
#[cfg_attr(not(feature = "net"), allow(dead_code))]
impl<T: ?Sized> Shared<T> {
    pub(crate) fn from_rc(rc: Rc<T>) -> Shared<T> {
        Shared(rc)
    }

    pub(crate) fn rc(&self) -> &Rc<T> {
        &self.0
    }

    pub(crate) fn ptr_eq(&self, other: &Shared<T>) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// A weak handle.
    #[cfg(mio_backend = "wasi_p3")]
    pub(crate) fn downgrade(&self) -> std::rc::Weak<T> {
        Rc::downgrade(&self.0)
    }

    /// The value, if this is the last handle to it (WASI 0.2 sockets
    /// converted back to std's).
    #[cfg(mio_backend = "wasi_p2")]
    pub(crate) fn into_inner(self) -> T
    where
        T: Sized,
    {
        match Rc::try_unwrap(self.0) {
            Ok(value) => value,
            // `IoSource::into_inner` deregisters (dropping the selector's
            // handle) before the socket is taken apart.
            Err(_) => panic!("mio: a wasip2 socket is still shared while being converted"),
        }
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared(Rc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
