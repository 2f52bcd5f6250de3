//! `Waker` for the IOCP selector: posts a packet to the selector's port
//! with a key of its own. Unlike the eventfd waker, wakes before the next
//! `poll` are not coalesced: each one is delivered as an event.

use std::io;
use std::sync::Arc;

use super::iocp::CompletionPort;
use super::selector::{token_as_overlapped, Selector, WAKER_KEY};
use crate::sys::WakerApi;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    port: Arc<CompletionPort>,
    token: Token,
}

impl WakerApi for Waker {
    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            port: Arc::clone(selector.inner().port()),
            token,
        })
    }

    fn wake(&self) -> io::Result<()> {
        self.port.post(WAKER_KEY, token_as_overlapped(self.token))
    }
}
