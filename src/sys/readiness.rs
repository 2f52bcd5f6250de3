//! Readiness as a set of bits, for the backends that work readiness out
//! themselves (the WASI backends) and the shell, and the [`EventApi`] of an
//! event that carries such a set ([`BitsEvent`]).

use std::fmt;

use crate::sys::EventApi;
use crate::{Interest, Token};

/// Direction bits.
pub(crate) const READ: u8 = 0b01;
pub(crate) const WRITE: u8 = 0b10;
/// Conditions a source may add to a reported direction.
pub(crate) const ERROR: u8 = 0b100;
pub(crate) const READ_CLOSED: u8 = 0b1000;
pub(crate) const WRITE_CLOSED: u8 = 0b1_0000;

/// The direction bits of `interests`.
#[cfg_attr(any(mio_backend = "shell", mio_backend = "wasi_p1"), allow(dead_code))]
pub(crate) fn interest_bits(interests: Interest) -> u8 {
    let mut bits = 0;
    if interests.is_readable() {
        bits |= READ;
    }
    if interests.is_writable() {
        bits |= WRITE;
    }
    bits
}

/// A raw event whose readiness is a set of the bits above; it implements
/// [`EventApi`] through them.
pub(crate) trait BitsEvent {
    fn token(&self) -> Token;
    fn bits(&self) -> u8;
    /// The raw event, for `{:#?}`.
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl<E: BitsEvent> EventApi for E {
    fn token(&self) -> Token {
        BitsEvent::token(self)
    }
    fn is_readable(&self) -> bool {
        self.bits() & READ != 0
    }
    fn is_writable(&self) -> bool {
        self.bits() & WRITE != 0
    }
    fn is_error(&self) -> bool {
        self.bits() & ERROR != 0
    }
    fn is_read_closed(&self) -> bool {
        self.bits() & READ_CLOSED != 0
    }
    fn is_write_closed(&self) -> bool {
        self.bits() & WRITE_CLOSED != 0
    }
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        BitsEvent::debug_details(self, f)
    }
}

/// An event that is a token and a set of the bits above: the event of the
/// WASI 0.2 and 0.3 backends.
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
#[derive(Clone, Copy)]
pub(crate) struct Event {
    pub(crate) token: Token,
    pub(crate) bits: u8,
}

#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
impl BitsEvent for Event {
    fn token(&self) -> Token {
        self.token
    }

    fn bits(&self) -> u8 {
        self.bits
    }

    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if cfg!(mio_backend = "wasi_p3") {
            "wasi_p3_event"
        } else {
            "wasi_p2_event"
        };
        let has = |bit: u8| self.bits & bit != 0;
        f.debug_struct(name)
            .field("token", &self.token)
            .field("readable", &has(READ))
            .field("writable", &has(WRITE))
            .field("error", &has(ERROR))
            .field("read_closed", &has(READ_CLOSED))
            .field("write_closed", &has(WRITE_CLOSED))
            .finish()
    }
}

#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        BitsEvent::debug_details(self, f)
    }
}
