//! The async entry point.
//!
//! A blocking `waitable-set.wait` is allowed only in a task that was
//! lifted `async`; std's `fn main` on `wasm32-wasip2` runs inside the
//! synchronous WASI 0.2 `wasi:cli/run` export, where such a wait traps
//! ("cannot block a synchronous task before returning"). So this backend
//! exports `wasi:cli/run@0.3.2`'s async `run` itself: it calls the C
//! runtime's `__main_void` (which collects the arguments and calls the
//! program's `main`) and returns its exit status. A host that runs WASI 0.3
//! (wasmtime 49 does by default) calls this export instead of the 0.2 one,
//! so an unchanged `fn main` program, a test harness, or a tokio runtime
//! inside `main` all run in an async task. Under a host that picks the 0.2
//! export, `Poll::poll` refuses to block with an error saying so
//! ([`blocking_allowed`]) instead of trapping.

use std::cell::Cell;

use super::bindings::generated;

thread_local! {
    static IN_ASYNC_RUN: Cell<bool> = const { Cell::new(false) };
}

/// Whether the code runs inside the async `run` export (so it may block in
/// `waitable-set.wait`).
pub(crate) fn blocking_allowed() -> bool {
    IN_ASYNC_RUN.with(Cell::get)
}

extern "C" {
    /// wasi-libc: gathers the arguments and calls the program's `main`.
    fn __main_void() -> i32;
}

struct Run;

impl generated::exports::wasi::cli::run::Guest for Run {
    async fn run() -> Result<(), ()> {
        IN_ASYNC_RUN.with(|flag| flag.set(true));
        // SAFETY: wasi-libc's entry helper; called once per `run`, as the
        // 0.2 `run` export of the C runtime does.
        let status = unsafe { __main_void() };
        IN_ASYNC_RUN.with(|flag| flag.set(false));
        if status == 0 {
            Ok(())
        } else {
            Err(())
        }
    }
}

generated::export!(Run with_types_in crate::sys::wasi::p3::bindings::generated);
