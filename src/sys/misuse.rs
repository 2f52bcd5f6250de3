//! The errors for registering, re-registering or deregistering a source
//! the wrong way, built here and nowhere else.
//!
//! Their kinds and texts are those of mio, word for word: programs and test
//! suites written for mio match the texts as substrings.

// Each backend, and the debug-build checks of `IoSource`, use a subset.
#![allow(dead_code)]

use std::io;

/// `register` of a source registered already (with any `Registry`).
pub(crate) fn already_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "I/O source already registered with a `Registry`",
    )
}

/// `register` of a source registered already with this `Registry`.
pub(crate) fn already_registered_here() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "I/O source already registered with this `Registry`",
    )
}

/// Any call with a `Registry` other than the one the source is bound to.
pub(crate) fn registered_elsewhere() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "I/O source already registered with a different `Registry`",
    )
}

/// `reregister` or `deregister` of a source this `Registry` does not hold.
pub(crate) fn not_registered_here() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "I/O source not registered with this `Registry`",
    )
}

/// `reregister` or `deregister` of a source no `Registry` holds.
pub(crate) fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "I/O source not registered with `Registry`",
    )
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind::{AlreadyExists, NotFound};

    use super::*;

    #[test]
    fn kinds_and_texts_are_mios() {
        let cases = [
            (
                already_registered(),
                AlreadyExists,
                "I/O source already registered with a `Registry`",
            ),
            (
                already_registered_here(),
                AlreadyExists,
                "I/O source already registered with this `Registry`",
            ),
            (
                registered_elsewhere(),
                AlreadyExists,
                "I/O source already registered with a different `Registry`",
            ),
            (
                not_registered_here(),
                NotFound,
                "I/O source not registered with this `Registry`",
            ),
            (
                not_registered(),
                NotFound,
                "I/O source not registered with `Registry`",
            ),
        ];
        for (err, kind, text) in cases {
            assert_eq!(err.kind(), kind);
            assert_eq!(err.to_string(), text);
        }
    }
}
