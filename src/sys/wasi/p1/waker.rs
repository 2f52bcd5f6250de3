//! The waker: preview 1 modules are single-threaded, so waking only has to
//! make the next `poll` return at once with the waker's token.

use std::io;

use super::Selector;
use crate::sys::{SelectorApi, WakerApi};
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    selector: Selector,
}

impl WakerApi for Waker {
    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        selector.set_waker(token);
        Ok(Waker {
            selector: selector.try_clone()?,
        })
    }

    fn wake(&self) -> io::Result<()> {
        self.selector.wake();
        Ok(())
    }
}
