//! Test-only count of the host calls the WASI backends make (the
//! `host-call-count` feature): build.rs puts [`bump`] in front of every
//! import call of the generated bindings, and the backend's own raw imports
//! call it too. Host calls that wasi-libc makes on its own (its descriptor
//! table upkeep when sockets convert to and from std's) are not counted.

use std::sync::atomic::{AtomicU64, Ordering};

static CALLS: AtomicU64 = AtomicU64::new(0);

#[inline]
pub(crate) fn bump() {
    CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Host calls made so far by this crate on this WASI backend.
pub fn host_calls() -> u64 {
    CALLS.load(Ordering::Relaxed)
}
