//! The waker. A WASI 0.2 component has one thread, so `wake` can only be
//! called between two `poll` calls: it sets a flag that the next `select`
//! reports as an event for the waker's token, without waiting.

use std::io;

use super::selector::Selector;
use crate::sys::WakerApi;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    selector: Selector,
    token: Token,
}

impl WakerApi for Waker {
    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        selector.add_waker();
        Ok(Waker {
            selector: selector.clone_handle(),
            token,
        })
    }

    fn wake(&self) -> io::Result<()> {
        self.selector.wake(self.token);
        Ok(())
    }
}
