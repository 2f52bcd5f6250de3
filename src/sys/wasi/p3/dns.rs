//! Non-blocking name lookup over `wasi:sockets/ip-name-lookup@0.3`, public
//! as [`mio::wasi::NameResolver`](crate::wasi::NameResolver): the async
//! `resolve-addresses` runs as a subtask joined to the selector's waitable
//! set; its return is the readable event.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::{fmt, io};

use super::bindings::{
    poll_one, resolve_result, start_resolve, subtask_cancel, subtask_drop, ResolveArea,
    EVENT_SUBTASK, SUBTASK_RETURNED,
};
use super::io_source::Selectable;
use super::selector::{Hook, Source};
use super::Shared;
use crate::io_source::IoSource;
use crate::sys::readiness::READ;
use crate::{event, Interest, Registry, Token};

/// A name lookup in progress, registrable with a [`Poll`](crate::Poll).
///
/// Start a lookup with [`NameResolver::new`], register it for
/// [`Interest::READABLE`], and call [`NameResolver::addresses`] when it is
/// reported readable (or whenever; it returns
/// [`WouldBlock`](io::ErrorKind::WouldBlock) until the host has the
/// answer). The lookup needs the host's permission (`wasmtime run -S
/// allow-ip-name-lookup`); `name` is a host name or an IP address literal.
pub struct NameResolver {
    inner: IoSource<Lookup>,
}

impl NameResolver {
    /// Starts looking up `name`.
    pub fn new(name: &str) -> io::Result<NameResolver> {
        let state = Shared::new(LookupState {
            name: name.as_bytes().to_vec().into_boxed_slice(),
            area: RefCell::new(ResolveArea::new()),
            subtask: RefCell::new(None),
            answer: RefCell::new(None),
            hook: RefCell::new(None),
        });
        {
            let mut area = state.area.borrow_mut();
            match start_resolve(&state.name, &mut area) {
                Some(subtask) => *state.subtask.borrow_mut() = Some(subtask),
                None => *state.answer.borrow_mut() = Some(resolve_result(&area)),
            }
        }
        Ok(NameResolver {
            inner: IoSource::new(Lookup { inner: state }),
        })
    }

    /// The addresses `name` resolves to, once the host has them;
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) until then. The answer is
    /// handed out once; later calls return an `InvalidInput` error.
    pub fn addresses(&self) -> io::Result<Vec<IpAddr>> {
        self.inner.do_read(Lookup::addresses)
    }
}

impl event::Source for NameResolver {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.inner.deregister(registry)
    }
}

impl fmt::Debug for NameResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameResolver").finish_non_exhaustive()
    }
}

struct Lookup {
    inner: Shared<LookupState>,
}

struct LookupState {
    /// The name, read by the host when the call starts.
    name: Box<[u8]>,
    /// Where the host writes the result.
    area: RefCell<Box<ResolveArea>>,
    subtask: RefCell<Option<u32>>,
    /// `Some` once the call returned; taken by `addresses`.
    answer: RefCell<Option<io::Result<Vec<IpAddr>>>>,
    hook: RefCell<Option<Hook>>,
}

/// Marks the answer as handed out.
fn taken() -> io::Result<Vec<IpAddr>> {
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "the addresses of this lookup were already taken",
    ))
}

impl LookupState {
    fn finish(&self, result: u32) -> u8 {
        if result & 0xf != SUBTASK_RETURNED {
            return 0;
        }
        let Some(subtask) = self.subtask.borrow_mut().take() else {
            return 0;
        };
        if let Some(hook) = &*self.hook.borrow() {
            hook.leave(subtask);
        }
        subtask_drop(subtask);
        *self.answer.borrow_mut() = Some(resolve_result(&self.area.borrow()));
        READ
    }
}

impl Lookup {
    fn addresses(&self) -> io::Result<Vec<IpAddr>> {
        let state = &*self.inner;
        let subtask = *state.subtask.borrow();
        if let Some(subtask) = subtask {
            // Not registered: nobody else takes the subtask's event.
            if state.hook.borrow().is_none() {
                let (code, _, result) = poll_one(subtask, 0);
                if code == EVENT_SUBTASK {
                    state.finish(result);
                }
            }
        }
        let mut answer = state.answer.borrow_mut();
        match answer.take() {
            Some(result) => {
                *answer = Some(taken());
                result
            }
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Drop for LookupState {
    fn drop(&mut self) {
        if let Some(subtask) = self.subtask.get_mut().take() {
            // The host may still read `name` and write `area`: settle the
            // call before they go.
            subtask_cancel(subtask);
            subtask_drop(subtask);
        }
    }
}

impl Source for LookupState {
    fn waitables(&self, f: &mut dyn FnMut(u32)) {
        if let Some(subtask) = *self.subtask.borrow() {
            f(subtask);
        }
    }

    fn on_event(&self, code: u32, _: u32, result: u32) -> u8 {
        if code != EVENT_SUBTASK {
            return 0;
        }
        self.finish(result)
    }

    fn ready_now(&self) -> u8 {
        if self.answer.borrow().is_some() {
            READ
        } else {
            0
        }
    }

    fn attach(&self, hook: Option<Hook>) {
        *self.hook.borrow_mut() = hook;
    }
}

impl Selectable for Lookup {
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        Ok(Shared::from_rc(Rc::clone(self.inner.rc()) as Rc<dyn Source>))
    }
}
