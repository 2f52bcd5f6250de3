//! `Waker` for the IOCP selector: posts a packet to the selector's port
//! with a key of its own. Like the eventfd waker on Linux, wakes before the
//! next `poll` coalesce: while a wake-up packet is queued, further wakes
//! post nothing, so a `poll` sees at most one event per waker.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use windows_sys::Win32::System::IO::OVERLAPPED;

use super::iocp::CompletionPort;
use super::selector::{Event, Selector, WAKER_KEY};
use crate::sys::WakerApi;
use crate::Token;

/// Shared by a `Waker` and its packet in flight (which owns one strong
/// reference, passed as the packet's overlapped pointer).
#[derive(Debug)]
pub(crate) struct WakeState {
    token: Token,
    /// A packet is queued and not yet dequeued.
    queued: AtomicBool,
}

#[derive(Debug)]
pub(crate) struct Waker {
    port: Arc<CompletionPort>,
    state: Arc<WakeState>,
}

impl WakerApi for Waker {
    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            port: Arc::clone(selector.inner().port()),
            state: Arc::new(WakeState {
                token,
                queued: AtomicBool::new(false),
            }),
        })
    }

    fn wake(&self) -> io::Result<()> {
        // SeqCst pairs with the store in `on_dequeue`: a wake that sees a
        // queued packet is ordered before the poller clears the flag, so
        // whatever the waking thread published before is visible once that
        // packet's `poll` returns.
        if self.state.queued.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let packet = Arc::into_raw(Arc::clone(&self.state))
            .cast_mut()
            .cast::<OVERLAPPED>();
        if let Err(err) = self.port.post(WAKER_KEY, packet) {
            // Not queued: take the reference back and allow a retry.
            // SAFETY: `packet` came from `Arc::into_raw` just above and the
            // port did not take it.
            drop(unsafe { Arc::from_raw(packet.cast_const().cast::<WakeState>()) });
            self.state.queued.store(false, Ordering::SeqCst);
            return Err(err);
        }
        Ok(())
    }
}

/// Handles a dequeued wake-up packet: returns its event, or with
/// `report == false` queues the packet again for a later call.
///
/// # Safety
///
/// `packet` must be the overlapped pointer of a packet posted with
/// `WAKER_KEY` by [`Waker::wake`], dequeued exactly once.
pub(crate) unsafe fn on_dequeue(
    port: &CompletionPort,
    packet: *mut OVERLAPPED,
    report: bool,
) -> io::Result<Option<Event>> {
    if !report {
        // The packet keeps its reference; the flag stays set.
        port.post(WAKER_KEY, packet)?;
        return Ok(None);
    }
    // SAFETY: the packet owns one strong reference (caller's contract).
    let state = unsafe { Arc::from_raw(packet.cast_const().cast::<WakeState>()) };
    state.queued.store(false, Ordering::SeqCst);
    Ok(Some(Event::wake(state.token.0)))
}

/// Frees a wake-up packet left in a port that is being dropped.
///
/// # Safety
///
/// As for [`on_dequeue`].
pub(crate) unsafe fn discard(packet: *mut OVERLAPPED) {
    // SAFETY: the packet owns one strong reference (caller's contract).
    drop(unsafe { Arc::from_raw(packet.cast_const().cast::<WakeState>()) });
}
