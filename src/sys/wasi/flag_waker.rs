//! The waker of the single-threaded WASI backends whose selector polls the
//! host for each `select` (preview 1 and WASI 0.2). With one thread, `wake`
//! can only be called between two `poll` calls: it notes the waker's token
//! with the selector, and the next `select` reports it as an event at once,
//! without waiting.

use std::io;

use super::backend::Selector;
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
