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
