//! `IoSource`: a socket (or other handle) plus the per-source state its
//! backend needs, with the registration bookkeeping every backend shares.

use std::ops::Deref;
use std::{fmt, io};

#[cfg(debug_assertions)]
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::event::Source;
#[cfg(debug_assertions)]
use crate::sys::{misuse, SelectorApi};
use crate::sys::{IoSourceState, Selectable};
use crate::{Interest, Registry, Token};

/// Wraps an I/O object `T` so it can be registered with a `Registry`.
///
/// Every operation on `T` that may return `WouldBlock` goes through
/// [`IoSource::do_read`], [`IoSource::do_write`] or (direction unknown)
/// [`IoSource::do_io`]: backends that emulate edge triggering (poll(2), AFD,
/// the WASI ones) use that to re-arm the direction that would block; epoll
/// and kqueue pass it straight through.
pub(crate) struct IoSource<T> {
    state: IoSourceState,
    inner: T,
    #[cfg(debug_assertions)]
    selector_id: SelectorId,
}

impl<T> IoSource<T> {
    pub(crate) fn new(io: T) -> IoSource<T> {
        IoSource {
            state: IoSourceState::new(),
            inner: io,
            #[cfg(debug_assertions)]
            selector_id: SelectorId::new(),
        }
    }

    /// Runs an I/O operation on the inner object whose direction is not
    /// known (`try_io`): a `WouldBlock` re-arms every registered interest.
    pub(crate) fn do_io<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state
            .do_io(Interest::READABLE.add(Interest::WRITABLE), f, &self.inner)
    }

    /// Runs an operation that waits for readable readiness (read, recv,
    /// peek, accept): a `WouldBlock` re-arms only that direction, so a
    /// writable socket does not get a second writable event it did not ask for.
    pub(crate) fn do_read<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(Interest::READABLE, f, &self.inner)
    }

    /// Runs an operation that waits for writable readiness (write, send).
    pub(crate) fn do_write<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(Interest::WRITABLE, f, &self.inner)
    }

    /// Gives back the inner object. Its registration (if any) is dropped by
    /// the OS when the handle closes, or stays until the caller deregisters.
    #[allow(dead_code)] // not every backend converts sources back
    pub(crate) fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> Deref for IoSource<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: Selectable> Source for IoSource<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        #[cfg(debug_assertions)]
        self.selector_id.associate(registry)?;
        let result = self.state.register(registry, token, interests, &self.inner);
        #[cfg(debug_assertions)]
        if result.is_err() {
            self.selector_id.clear();
        }
        result
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        #[cfg(debug_assertions)]
        self.selector_id.check_association(registry)?;
        self.state.reregister(registry, token, interests, &self.inner)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        #[cfg(debug_assertions)]
        self.selector_id.check_association(registry)?;
        let result = self.state.deregister(registry, &self.inner);
        #[cfg(debug_assertions)]
        if result.is_ok() {
            self.selector_id.clear();
        }
        result
    }
}

impl<T: fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Which `Poll` a source is registered with (0: none). Debug builds only:
/// catches registering one source with two `Poll`s, which the OS would
/// silently accept on some platforms and reject on others.
#[cfg(debug_assertions)]
struct SelectorId {
    id: AtomicUsize,
}

#[cfg(debug_assertions)]
impl SelectorId {
    const UNASSOCIATED: usize = 0;

    const fn new() -> SelectorId {
        SelectorId {
            id: AtomicUsize::new(Self::UNASSOCIATED),
        }
    }

    fn associate(&self, registry: &Registry) -> io::Result<()> {
        let id = registry.selector().id();
        match self
            .id
            .compare_exchange(Self::UNASSOCIATED, id, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(_) => Err(misuse::already_registered()),
        }
    }

    fn check_association(&self, registry: &Registry) -> io::Result<()> {
        let id = self.id.load(Ordering::Acquire);
        if id == registry.selector().id() {
            Ok(())
        } else if id == Self::UNASSOCIATED {
            Err(misuse::not_registered())
        } else {
            Err(misuse::registered_elsewhere())
        }
    }

    fn clear(&self) {
        self.id.store(Self::UNASSOCIATED, Ordering::Release);
    }
}
