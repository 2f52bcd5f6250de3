use std::fmt;

use crate::event::Event;
use crate::sys;

/// A buffer that [`Poll::poll`](crate::Poll::poll) fills with events.
///
/// The buffer is allocated once, by [`Events::with_capacity`], and reused by
/// every `poll`: at most `capacity` events come back per call, the rest wait
/// for the next call. Polling allocates nothing.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use mio::{Events, Poll};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(128);
/// poll.poll(&mut events, Some(Duration::from_millis(1)))?;
/// for event in events.iter() {
///     println!("{:?}", event.token());
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
pub struct Events {
    inner: sys::Events,
}

/// Iterator over the events of an [`Events`], returned by [`Events::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: &'a Events,
    pos: usize,
}

impl Events {
    /// A buffer for up to `capacity` events per `poll`.
    ///
    /// A capacity of 0 is allowed; such a buffer receives no events, and
    /// `poll` with it only waits for the timeout (or a wake-up).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: sys::Events::with_capacity(capacity),
        }
    }

    /// How many events the buffer can hold.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Whether the last `poll` returned no events.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Iterates over the events of the last `poll`.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self,
            pos: 0,
        }
    }

    /// Forgets all events (keeps the allocation).
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    pub(crate) fn sys(&mut self) -> &mut sys::Events {
        &mut self.inner
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;

    fn next(&mut self) -> Option<Self::Item> {
        let event = self
            .inner
            .inner
            .get(self.pos)
            .map(Event::from_sys_event_ref);
        self.pos += 1;
        event
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.inner.inner.len().saturating_sub(self.pos);
        (left, Some(left))
    }

    fn count(self) -> usize {
        self.inner.inner.len().saturating_sub(self.pos)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self).finish()
    }
}
