//! The waker: a `stream<u8>` this component owns both ends of. The
//! selector keeps a one-byte read of it in flight, joined to its waitable
//! set; `wake` writes one byte, which completes the read and so ends a
//! wait on the set.
//!
//! What can wake a blocked `Poll::poll`: only code that runs while it is
//! blocked, which in a component is another task of the same instance
//! (another export call the host runs concurrently, such as an incoming
//! request of a component that also exports a handler). A component has
//! no threads, so there is no other thread to call `wake` from. A `wake`
//! before `poll` (from the event loop itself, or from a task that ran while
//! nothing waited) makes the next `poll` return the waker's event at once.

use std::io;

use super::selector::Selector;
use crate::sys::WakerApi;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    selector: Selector,
}

impl WakerApi for Waker {
    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        selector.set_waker(token)?;
        Ok(Waker {
            selector: selector.clone_handle(),
        })
    }

    fn wake(&self) -> io::Result<()> {
        self.selector.wake()
    }
}
