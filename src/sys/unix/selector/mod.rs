//! The Unix selectors. build.rs picks one and sets `mio_selector`:
//! epoll on Linux and Android, kqueue on the Apple systems, FreeBSD,
//! DragonFly, NetBSD and OpenBSD, poll(2) elsewhere (and everywhere with
//! `--cfg mio_unsupported_force_poll_poll`).

use std::fmt;

#[cfg(mio_selector = "epoll")]
mod epoll;
#[cfg(all(mio_selector = "epoll", any(feature = "net", feature = "os-ext")))]
pub(crate) use self::epoll::IoSourceState;
#[cfg(mio_selector = "epoll")]
pub(crate) use self::epoll::{Event, Events, Selector};

#[cfg(mio_selector = "kqueue")]
mod kqueue;
#[cfg(all(mio_selector = "kqueue", any(feature = "net", feature = "os-ext")))]
pub(crate) use self::kqueue::IoSourceState;
#[cfg(mio_selector = "kqueue")]
pub(crate) use self::kqueue::{Event, Events, Selector};

#[cfg(mio_selector = "poll")]
mod poll;
#[cfg(all(mio_selector = "poll", any(feature = "net", feature = "os-ext")))]
pub(crate) use self::poll::IoSourceState;
#[cfg(mio_selector = "poll")]
pub(crate) use self::poll::{Event, Events, Selector};

/// Per-source state of the kernel-side selectors (epoll, kqueue): none.
#[cfg(any(mio_selector = "epoll", mio_selector = "kqueue"))]
mod stateless;

/// Formats `bits` as `NAME | NAME` (plus the raw user data) for `{:#?}`.
#[cfg_attr(mio_selector = "kqueue", allow(dead_code))]
pub(crate) fn debug_flags(
    f: &mut fmt::Formatter<'_>,
    bits: libc::c_int,
    names: &[(libc::c_int, &'static str)],
    data: u64,
) -> fmt::Result {
    f.debug_struct("raw")
        .field("flags", &FlagNames(bits, names))
        .field("data", &data)
        .finish()
}

/// Flag bits printed as `NAME | NAME`, or in hex when no name matches.
/// Generic because the flag type differs between selectors and systems.
pub(crate) struct FlagNames<'a, T>(pub(crate) T, pub(crate) &'a [(T, &'static str)]);

impl<T> fmt::Debug for FlagNames<'_, T>
where
    T: Copy + Default + PartialEq + std::ops::BitAnd<Output = T> + fmt::LowerHex,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for &(bit, name) in self.1 {
            if bit != T::default() && self.0 & bit == bit {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            write!(f, "{:#x}", self.0)?;
        }
        Ok(())
    }
}
