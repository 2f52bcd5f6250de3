//! The waker: preview 1 modules are single-threaded, so waking only has to
//! make the next `poll` return at once with the waker's token.

use std::io;

use super::Selector;
use crate::sys::{SelectorApi, WakerApi};
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
            selector: selector.try_clone()?,
            token,
        })
    }

    fn wake(&self) -> io::Result<()> {
        self.selector.wake(self.token);
        Ok(())
    }
}
