use std::num::NonZeroU8;
use std::{fmt, ops};

/// The kinds of readiness a source is registered for.
///
/// An `Interest` is never empty: the type has no "none" value, which is why
/// [`Interest::remove`] returns an `Option`. Combine interests with `|` or
/// [`Interest::add`].
///
/// `READABLE` and `WRITABLE` work on every platform. `PRIORITY` (out-of-band
/// or urgent data) exists on Linux and Android and with the poll(2)
/// selector; `AIO` and `LIO` on the BSDs and macOS. Registering for an
/// interest a platform does not know is ignored by its selector.
///
/// Interests say which *directions* to report. Errors and closed
/// directions are reported whatever the interests (see
/// [`Event`](crate::event::Event)), so a source registered only for
/// `READABLE` still learns that its connection failed.
///
/// Ask only for what you will act on: a socket registered for `WRITABLE`
/// while there is nothing to send gets writable events it has no use for,
/// each of which wakes the loop. Add `WRITABLE` with
/// [`Registry::reregister`](crate::Registry::reregister) when there is
/// data to send, and drop it again when the buffer is empty.
///
/// # Examples
///
/// ```
/// use mio::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// ```
///
/// Interests can be built in `const` context, and print by name:
///
/// ```
/// use mio::Interest;
///
/// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
/// assert_eq!(format!("{BOTH:?}"), "READABLE | WRITABLE");
///
/// let mut interest = Interest::READABLE;
/// interest |= Interest::PRIORITY;
/// assert!(interest.is_priority() && !interest.is_writable());
/// ```
#[derive(Copy, PartialEq, Eq, Clone, PartialOrd, Ord, Hash)]
pub struct Interest(NonZeroU8);

const READ: u8 = 1 << 0;
const WRITE: u8 = 1 << 1;
const AIO: u8 = 1 << 2;
const LIO: u8 = 1 << 3;
const PRIO: u8 = 1 << 4;

impl Interest {
    /// Interest in readable (or read-closed) readiness.
    pub const READABLE: Interest = Interest(match NonZeroU8::new(READ) {
        Some(v) => v,
        None => unreachable!(),
    });

    /// Interest in writable (or write-closed) readiness.
    pub const WRITABLE: Interest = Interest(match NonZeroU8::new(WRITE) {
        Some(v) => v,
        None => unreachable!(),
    });

    /// Interest in completion of POSIX asynchronous I/O (kqueue's
    /// `EVFILT_AIO`). Has no effect on other selectors.
    pub const AIO: Interest = Interest(match NonZeroU8::new(AIO) {
        Some(v) => v,
        None => unreachable!(),
    });

    /// Interest in completion of `lio_listio` requests (kqueue on FreeBSD).
    /// Has no effect on other selectors.
    pub const LIO: Interest = Interest(match NonZeroU8::new(LIO) {
        Some(v) => v,
        None => unreachable!(),
    });

    /// Interest in priority (out-of-band) data: `EPOLLPRI` on Linux and
    /// Android, `POLLPRI` on the poll(2) selector.
    pub const PRIORITY: Interest = Interest(match NonZeroU8::new(PRIO) {
        Some(v) => v,
        None => unreachable!(),
    });

    /// Both interests combined, usable in `const` context.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(match NonZeroU8::new(self.0.get() | other.0.get()) {
            Some(v) => v,
            // Both operands are non-zero, so their union is too.
            None => unreachable!(),
        })
    }

    /// `self` without the bits of `other`; `None` if nothing would be left.
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        NonZeroU8::new(self.0.get() & !other.0.get()).map(Interest)
    }

    /// Whether readable readiness is included.
    #[must_use]
    pub const fn is_readable(self) -> bool {
        self.0.get() & READ != 0
    }

    /// Whether writable readiness is included.
    #[must_use]
    pub const fn is_writable(self) -> bool {
        self.0.get() & WRITE != 0
    }

    /// Whether AIO readiness is included.
    #[must_use]
    pub const fn is_aio(self) -> bool {
        self.0.get() & AIO != 0
    }

    /// Whether LIO readiness is included.
    #[must_use]
    pub const fn is_lio(self) -> bool {
        self.0.get() & LIO != 0
    }

    /// Whether priority readiness is included.
    #[must_use]
    pub const fn is_priority(self) -> bool {
        self.0.get() & PRIO != 0
    }
}

impl ops::BitOr for Interest {
    type Output = Self;

    #[inline]
    fn bitor(self, other: Self) -> Self {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    #[inline]
    fn bitor_assign(&mut self, other: Self) {
        *self = *self | other;
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (READ, "READABLE"),
            (WRITE, "WRITABLE"),
            (AIO, "AIO"),
            (LIO, "LIO"),
            (PRIO, "PRIORITY"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0.get() & bit != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}
