use std::fmt;

use crate::sys::{self, EventApi};
use crate::Token;

/// One readiness event, as returned by [`Poll::poll`](crate::Poll::poll).
///
/// An event is a *hint*: the source may be ready for the reported operation,
/// and the caller must try it and be ready for `WouldBlock`. Events are edge
/// triggered on every backend: after an event, no new one arrives for the
/// same direction until an I/O call on the source has returned `WouldBlock`.
///
/// The `is_*_closed` and `is_error` flags are as precise as the platform
/// allows; they are never a substitute for the result of the I/O call.
#[repr(transparent)]
pub struct Event {
    inner: sys::Event,
}

impl Event {
    /// The token the source was registered with.
    #[must_use]
    pub fn token(&self) -> Token {
        EventApi::token(&self.inner)
    }

    /// The source may be readable (or has hit end of stream).
    #[must_use]
    pub fn is_readable(&self) -> bool {
        EventApi::is_readable(&self.inner)
    }

    /// The source may be writable.
    #[must_use]
    pub fn is_writable(&self) -> bool {
        EventApi::is_writable(&self.inner)
    }

    /// The source has a pending error (read it with `take_error`).
    #[must_use]
    pub fn is_error(&self) -> bool {
        EventApi::is_error(&self.inner)
    }

    /// The read side is closed: the peer shut down writing, or the
    /// connection is gone. Reads return 0 or an error from now on.
    #[must_use]
    pub fn is_read_closed(&self) -> bool {
        EventApi::is_read_closed(&self.inner)
    }

    /// The write side is closed: writes fail from now on.
    #[must_use]
    pub fn is_write_closed(&self) -> bool {
        EventApi::is_write_closed(&self.inner)
    }

    /// Priority (out-of-band) data is ready. Linux, Android and the poll(2)
    /// selector only; `false` elsewhere.
    #[must_use]
    pub fn is_priority(&self) -> bool {
        EventApi::is_priority(&self.inner)
    }

    /// An AIO request completed (kqueue only; `false` elsewhere).
    #[must_use]
    pub fn is_aio(&self) -> bool {
        EventApi::is_aio(&self.inner)
    }

    /// A `lio_listio` request completed (FreeBSD kqueue only).
    #[must_use]
    pub fn is_lio(&self) -> bool {
        EventApi::is_lio(&self.inner)
    }

    pub(crate) fn from_sys_event_ref(sys_event: &sys::Event) -> &Event {
        // SAFETY: `Event` is `repr(transparent)` over `sys::Event`, so the
        // two have the same layout and the reference stays valid for the
        // same lifetime.
        unsafe { &*(sys_event as *const sys::Event as *const Event) }
    }
}

/// The alternate form (`{:#?}`) also shows the platform's raw event.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alternate = f.alternate();
        let mut d = f.debug_struct("Event");
        d.field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .field("aio", &self.is_aio())
            .field("lio", &self.is_lio());
        if alternate {
            struct Details<'a>(&'a sys::Event);
            impl fmt::Debug for Details<'_> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    EventApi::debug_details(self.0, f)
                }
            }
            d.field("details", &Details(&self.inner));
        }
        d.finish()
    }
}
