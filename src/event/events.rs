use std::fmt;

use crate::event::Event;
use crate::sys;

/// A buffer that [`Poll::poll`](crate::Poll::poll) fills with events.
///
/// The buffer is allocated once, by [`Events::with_capacity`], and reused by
/// every `poll`: at most `capacity` events come back per call, the rest wait
/// for the next call. Polling allocates nothing (with one exception on
/// `wasm32-wasip2`, see [`Poll`](crate::Poll#implementation-notes)).
///
/// Each `poll` replaces the contents, so handle (or copy out) the events
/// before polling again. A source that is both readable and writable comes
/// back as one event with both flags, except with kqueue, whose read and
/// write filters report separately (two events with the same token).
///
/// A capacity of a few hundred to a thousand suits most servers: a larger
/// buffer only helps when more sources than that become ready at once, and
/// a smaller one only means the rest come back from the next call.
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
    /// A capacity of 0 can be created, but [`Poll::poll`](crate::Poll::poll)
    /// refuses such a buffer with `InvalidInput`: it could report nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "os-poll")]
    /// # {
    /// use mio::Events;
    ///
    /// let events = Events::with_capacity(256);
    /// assert_eq!(events.capacity(), 256);
    /// assert!(events.is_empty());
    /// # }
    /// ```
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

    /// Iterates over the events of the last `poll`. `&Events` also
    /// implements `IntoIterator`, so `for event in &events` works too.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use mio::net::UdpSocket;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// let mut poll = Poll::new()?;
    /// let mut a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let mut b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut a, Token(1), Interest::WRITABLE)?;
    /// poll.registry().register(&mut b, Token(2), Interest::WRITABLE)?;
    ///
    /// // Both sockets are writable at once; collect their tokens.
    /// let mut events = Events::with_capacity(8);
    /// let mut seen = Vec::new();
    /// while seen.len() < 2 {
    ///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    ///     seen.extend(events.iter().map(|event| event.token()));
    /// }
    /// seen.sort();
    /// assert_eq!(seen, [Token(1), Token(2)]);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self,
            pos: 0,
        }
    }

    /// Forgets all events (keeps the allocation). `poll` does this itself
    /// before filling the buffer, so calling it is only needed to drop
    /// events without polling.
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
