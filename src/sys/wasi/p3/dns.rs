//! Non-blocking name lookup over `wasi:sockets/ip-name-lookup@0.3`, the
//! lookup behind [`mio::wasi::NameResolver`](crate::wasi::NameResolver): the async
//! `resolve-addresses` runs as a subtask joined to the selector's waitable
//! set; its return is the readable event.

use std::cell::RefCell;
use std::io;
use std::net::IpAddr;
use std::rc::Rc;

use super::bindings::{
    poll_one, resolve_result, start_resolve, subtask_cancel, subtask_drop, ResolveArea,
    EVENT_SUBTASK, SUBTASK_RETURNED,
};
use super::io_source::Selectable;
use super::selector::{Hook, Source};
use super::Shared;
use crate::sys::readiness::READ;
use crate::sys::wasi::name_resolver::already_taken;

/// The backend's side of [`NameResolver`](crate::wasi::NameResolver): a
/// lookup in progress.
pub(crate) struct Lookup {
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
    /// Starts looking up `name`.
    pub(crate) fn start(name: &str) -> io::Result<Lookup> {
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
        Ok(Lookup { inner: state })
    }

    pub(crate) fn addresses(&self) -> io::Result<Vec<IpAddr>> {
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
                *answer = Some(Err(already_taken()));
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
