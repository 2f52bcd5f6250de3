//! kqueue(2) selector (macOS and the other Apple systems, FreeBSD,
//! DragonFly, NetBSD, OpenBSD).
//!
//! A source gets one kernel filter per direction: `EVFILT_READ` and
//! `EVFILT_WRITE`, both with `EV_CLEAR`, which makes them edge-triggered
//! like the epoll selector. The filters of one registration change are sent
//! in a single `kevent` call, each with `EV_RECEIPT` so the kernel answers
//! every change with its own error code instead of failing the whole call.
//!
//! `Interest::AIO` and `Interest::LIO` add no filter here: the kernel only
//! accepts `EVFILT_AIO`/`EVFILT_LIO` knotes that the AIO request itself
//! creates (a `sigevent` with `SIGEV_KEVENT`, naming this kqueue, which
//! `AsRawFd for Poll` exposes, and the token as its value). Their completion
//! events come back through `Poll::poll` and report `is_aio`/`is_lio`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;
use std::{cmp, fmt, io, mem, ptr};

use crate::sys::{next_selector_id, EventApi, SelectorApi};
use crate::{Interest, Token};

/// One raw kernel event.
///
/// A wrapper rather than `libc::kevent` itself only so the event buffer can
/// be `Send` and `Sync`: `udata` is a raw pointer in libc, but this crate
/// stores a token in it and never dereferences it.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Event(libc::kevent);

// SAFETY: the only pointer in the struct, `udata`, carries a token value and
// is never dereferenced, so sharing or sending the event is harmless.
unsafe impl Send for Event {}
// SAFETY: as above.
unsafe impl Sync for Event {}

pub(crate) type Events = Vec<Event>;

#[derive(Debug)]
pub(crate) struct Selector {
    id: usize,
    kq: OwnedFd,
}

/// An all-zero `kevent` (also clears FreeBSD's `ext` words).
fn blank_kevent() -> libc::kevent {
    // SAFETY: `kevent` is plain data (integers and a raw pointer), for which
    // all-zero bytes are a valid value.
    unsafe { mem::zeroed() }
}

/// A change-list entry. A macro because the field types differ between the
/// systems (NetBSD uses `u32` where the others use `i16`/`u16`); the libc
/// constants passed in always have the right one.
macro_rules! change {
    ($ident:expr, $filter:expr, $flags:expr, $fflags:expr, $token:expr) => {
        libc::kevent {
            ident: $ident as libc::uintptr_t,
            filter: $filter,
            flags: $flags,
            fflags: $fflags,
            udata: $token.0 as *mut libc::c_void,
            ..blank_kevent()
        }
    };
}

/// A `timespec` for `timeout`, exact to the nanosecond. Seconds are capped
/// at `i32::MAX` (68 years), which every kqueue accepts.
fn timespec(timeout: Duration) -> libc::timespec {
    let secs = cmp::min(timeout.as_secs(), i32::MAX as u64);
    libc::timespec {
        tv_sec: secs as libc::time_t,
        // Below 10^9, so it fits a `c_long` of any width.
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    }
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        // SAFETY: plain syscall, no arguments.
        let fd = syscall!(kqueue())?;
        // SAFETY: `fd` was just returned by kqueue and is owned by nobody else.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // kqueue(2) has no close-on-exec flag on every system; set it after.
        // SAFETY: fcntl on a descriptor we own, integer arguments only.
        syscall!(fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC))?;
        Ok(Selector {
            id: next_selector_id(),
            kq,
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        // A duplicated descriptor refers to the same kqueue.
        Ok(Selector {
            id: self.id,
            kq: self.kq.try_clone()?,
        })
    }

    /// One `kevent` wait. Errors, `EINTR` included, go straight to the
    /// caller (`Poll::poll` documents this); `Poll::poll` never passes an
    /// empty buffer.
    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let max_events = cmp::min(events.capacity(), libc::c_int::MAX as usize);
        let ts = timeout.map(timespec);
        let ts_ptr = ts
            .as_ref()
            .map_or(ptr::null(), |ts| ts as *const libc::timespec);
        // SAFETY: no changes are passed; the event buffer has room for
        // `max_events` entries (`Event` is a transparent `kevent`) and the
        // kernel writes at most that many; `ts_ptr` is null or points to
        // `ts`, alive for the call.
        let n = syscall!(kevent(
            self.kq.as_raw_fd(),
            ptr::null(),
            0,
            events.as_mut_ptr().cast::<libc::kevent>(),
            max_events as _,
            ts_ptr,
        ))?;
        // SAFETY: kevent initialised the first `n` entries, and
        // `n <= max_events <= capacity`.
        unsafe { events.set_len(n as usize) };
        Ok(())
    }

    fn id(&self) -> usize {
        self.id
    }
}

impl Selector {
    // Without `net` or `os-ext` only the NetBSD and OpenBSD pipe waker
    // registers a descriptor.
    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let flags = libc::EV_ADD | libc::EV_CLEAR | libc::EV_RECEIPT;
        let mut changes = [blank_kevent(); 2];
        let mut n = 0;
        if interests.is_readable() {
            changes[n] = change!(fd, libc::EVFILT_READ, flags, 0, token);
            n += 1;
        }
        if interests.is_writable() {
            changes[n] = change!(fd, libc::EVFILT_WRITE, flags, 0, token);
            n += 1;
        }
        // EPIPE: adding EVFILT_WRITE for a pipe or socket whose reading side
        // is already gone fails on some systems (macOS) although the
        // descriptor itself is fine. Other platforms accept the registration
        // and let the next write report `BrokenPipe`; do the same here.
        self.apply(&changes[..n], &[libc::EPIPE])
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let add = libc::EV_ADD | libc::EV_CLEAR | libc::EV_RECEIPT;
        let delete = libc::EV_DELETE | libc::EV_RECEIPT;
        let read = if interests.is_readable() { add } else { delete };
        let write = if interests.is_writable() { add } else { delete };
        let changes = [
            change!(fd, libc::EVFILT_READ, read, 0, token),
            change!(fd, libc::EVFILT_WRITE, write, 0, token),
        ];
        // ENOENT: deleting a direction that was not registered before, which
        // is the normal case when interests change. EPIPE: see `register`.
        self.apply(&changes, &[libc::ENOENT, libc::EPIPE])
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let flags = libc::EV_DELETE | libc::EV_RECEIPT;
        let changes = [
            change!(fd, libc::EVFILT_READ, flags, 0, Token(0)),
            change!(fd, libc::EVFILT_WRITE, flags, 0, Token(0)),
        ];
        // ENOENT: the source was registered for one direction only.
        self.apply(&changes, &[libc::ENOENT])
    }

    /// Adds the `EVFILT_USER` event used by the waker (`trigger == false`),
    /// or fires it (`trigger == true`). Several triggers before the next
    /// `poll` are reported as one event; `EV_CLEAR` resets it once reported.
    #[cfg(any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd"
    ))]
    pub(crate) fn user_event(&self, token: Token, trigger: bool) -> io::Result<()> {
        // The ident names the user event among the EVFILT_USER events of
        // this kqueue: the token, so that two wakers of one `Poll` (release
        // builds allow that) each keep their own event and token.
        let ident = token.0;
        let flags = libc::EV_ADD | libc::EV_CLEAR | libc::EV_RECEIPT;
        let fflags = if trigger { libc::NOTE_TRIGGER } else { 0 };
        let changes = [change!(ident, libc::EVFILT_USER, flags, fflags, token)];
        self.apply(&changes, &[])
    }

    /// Submits `changes` in one call and checks every receipt; errors whose
    /// code is in `ignored` count as success.
    fn apply(&self, changes: &[libc::kevent], ignored: &[libc::c_int]) -> io::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut receipts = [blank_kevent(); 2];
        let n = changes.len();
        assert!(n <= receipts.len(), "at most two changes per call");
        // Never wait: every change carries EV_RECEIPT, so the receipts fill
        // the buffer and the call returns as soon as they are written.
        let no_wait = timespec(Duration::ZERO);
        loop {
            // SAFETY: `changes` holds `n` valid entries; `receipts` has room
            // for `n` receipts; `no_wait` lives for the call.
            let res = syscall!(kevent(
                self.kq.as_raw_fd(),
                changes.as_ptr(),
                n as _,
                receipts.as_mut_ptr(),
                n as _,
                &no_wait,
            ));
            match res {
                Ok(got) => return check_receipts(&receipts[..got as usize], ignored),
                // Applying the same changes again is harmless: adding is
                // idempotent and a repeated delete reports ENOENT, which
                // every caller that deletes ignores.
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}

fn check_receipts(receipts: &[libc::kevent], ignored: &[libc::c_int]) -> io::Result<()> {
    for receipt in receipts {
        let (flags, data) = (receipt.flags, receipt.data);
        if flags & libc::EV_ERROR == 0 || data == 0 {
            continue;
        }
        let code = data as libc::c_int;
        if !ignored.contains(&code) {
            return Err(io::Error::from_raw_os_error(code));
        }
    }
    Ok(())
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        Token(self.0.udata as usize)
    }

    fn is_readable(&self) -> bool {
        let filter = self.0.filter;
        // EVFILT_USER is the waker, reported as readable like the eventfd
        // of the epoll selector.
        filter == libc::EVFILT_READ || filter == libc::EVFILT_USER
    }

    fn is_writable(&self) -> bool {
        let filter = self.0.filter;
        filter == libc::EVFILT_WRITE
    }

    fn is_error(&self) -> bool {
        let (flags, fflags) = (self.0.flags, self.0.fflags);
        // EV_ERROR: the kernel failed to deliver the event. EV_EOF with
        // non-zero fflags: the socket's pending error (for example a
        // refused connect).
        flags & libc::EV_ERROR != 0 || (flags & libc::EV_EOF != 0 && fflags != 0)
    }

    fn is_read_closed(&self) -> bool {
        let (filter, flags) = (self.0.filter, self.0.flags);
        filter == libc::EVFILT_READ && flags & libc::EV_EOF != 0
    }

    fn is_write_closed(&self) -> bool {
        let (filter, flags) = (self.0.filter, self.0.flags);
        filter == libc::EVFILT_WRITE && flags & libc::EV_EOF != 0
    }

    // `is_priority`: the default (false); kqueue has no filter for
    // out-of-band data.

    fn is_aio(&self) -> bool {
        let filter = self.0.filter;
        filter == libc::EVFILT_AIO
    }

    // Elsewhere the default (false): only FreeBSD has `EVFILT_LIO`.
    #[cfg(target_os = "freebsd")]
    fn is_lio(&self) -> bool {
        let filter = self.0.filter;
        filter == libc::EVFILT_LIO
    }

    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copy the fields out: Apple's `kevent` is packed, so no references
        // to its fields may be taken.
        let ev = self.0;
        let (ident, filter, flags, fflags, data, udata) =
            (ev.ident, ev.filter, ev.flags, ev.fflags, ev.data, ev.udata);

        let filters = [
            (libc::EVFILT_READ, "EVFILT_READ"),
            (libc::EVFILT_WRITE, "EVFILT_WRITE"),
            (libc::EVFILT_AIO, "EVFILT_AIO"),
            (libc::EVFILT_VNODE, "EVFILT_VNODE"),
            (libc::EVFILT_PROC, "EVFILT_PROC"),
            (libc::EVFILT_SIGNAL, "EVFILT_SIGNAL"),
            (libc::EVFILT_TIMER, "EVFILT_TIMER"),
            (libc::EVFILT_USER, "EVFILT_USER"),
            #[cfg(target_os = "freebsd")]
            (libc::EVFILT_LIO, "EVFILT_LIO"),
        ];
        let flag_names = [
            (libc::EV_ADD, "EV_ADD"),
            (libc::EV_DELETE, "EV_DELETE"),
            (libc::EV_ENABLE, "EV_ENABLE"),
            (libc::EV_DISABLE, "EV_DISABLE"),
            (libc::EV_ONESHOT, "EV_ONESHOT"),
            (libc::EV_CLEAR, "EV_CLEAR"),
            (libc::EV_RECEIPT, "EV_RECEIPT"),
            (libc::EV_DISPATCH, "EV_DISPATCH"),
            (libc::EV_FLAG1, "EV_FLAG1"),
            (libc::EV_ERROR, "EV_ERROR"),
            (libc::EV_EOF, "EV_EOF"),
        ];

        let mut d = f.debug_struct("kevent");
        d.field("ident", &ident);
        match filters.iter().find(|&&(value, _)| value == filter) {
            Some(&(_, name)) => d.field("filter", &Name(name)),
            None => d.field("filter", &filter),
        };
        d.field("flags", &super::FlagNames(flags, &flag_names))
            .field("fflags", &fflags)
            .field("data", &data)
            .field("udata", &udata)
            .finish()
    }
}

/// A name printed without quotes.
struct Name(&'static str);

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// kqueue keeps the registrations in the kernel: no per-source state.
#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) use super::stateless::IoSourceState;

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::AsRawFd;
    use std::time::Duration;

    use super::{Events, Selector};
    use crate::sys::unix::pipe;
    use crate::sys::{EventApi, SelectorApi};
    use crate::{Interest, Token};

    fn pipe_files() -> io::Result<(File, File)> {
        let (read, write) = pipe::new_raw()?;
        Ok((File::from(read), File::from(write)))
    }

    #[test]
    fn receipt_errors_are_reported() -> io::Result<()> {
        let selector = Selector::new()?;
        // A descriptor number that is not open in this process.
        let err = selector
            .register(i32::MAX - 1, Token(1), Interest::READABLE)
            .expect_err("registering a closed descriptor must fail");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        Ok(())
    }

    #[test]
    fn read_and_write_filters_are_edge_triggered() -> io::Result<()> {
        let selector = Selector::new()?;
        let (mut reader, mut writer) = pipe_files()?;
        selector.register(reader.as_raw_fd(), Token(7), Interest::READABLE)?;
        selector.register(writer.as_raw_fd(), Token(8), Interest::WRITABLE)?;
        let mut events = Events::with_capacity(8);

        selector.select(&mut events, Some(Duration::ZERO))?;
        assert_eq!(events.len(), 1, "only the empty pipe's write end is ready");
        assert_eq!(events[0].token(), Token(8));
        assert!(events[0].is_writable() && !events[0].is_readable());

        writer.write_all(b"x")?;
        selector.select(&mut events, Some(Duration::ZERO))?;
        // The write may also re-report the write end (both filters sit on
        // the same pipe on some kernels); the read end must be there.
        let read = events
            .iter()
            .find(|e| e.token() == Token(7))
            .expect("a readable event for the read end");
        assert!(read.is_readable() && !read.is_writable());
        assert!(!read.is_read_closed() && !read.is_error());

        // Nothing changed since: EV_CLEAR reports nothing new.
        selector.select(&mut events, Some(Duration::ZERO))?;
        assert!(events.is_empty(), "{} stale events", events.len());

        let mut buf = [0u8; 1];
        reader.read_exact(&mut buf)?;
        drop(writer);
        selector.select(&mut events, Some(Duration::ZERO))?;
        let closed = events
            .iter()
            .find(|e| e.token() == Token(7))
            .expect("an event for the read end after the writer closed");
        assert!(closed.is_read_closed());
        Ok(())
    }

    #[test]
    fn reregister_and_deregister_tolerate_missing_filters() -> io::Result<()> {
        let selector = Selector::new()?;
        let (reader, _writer) = pipe_files()?;
        let fd = reader.as_raw_fd();
        selector.register(fd, Token(1), Interest::READABLE)?;
        // Deletes the (never added) write filter: ENOENT is ignored.
        selector.reregister(fd, Token(2), Interest::READABLE)?;
        selector.deregister(fd)?;
        // Nothing left: both deletes report ENOENT, still fine.
        selector.deregister(fd)?;
        Ok(())
    }

    #[test]
    fn write_interest_on_a_widowed_pipe_registers() -> io::Result<()> {
        let selector = Selector::new()?;
        let (reader, writer) = pipe_files()?;
        drop(reader);
        // macOS answers EPIPE for this filter; the registration must not fail.
        selector.register(writer.as_raw_fd(), Token(3), Interest::WRITABLE)?;
        Ok(())
    }

    #[cfg(any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd"
    ))]
    #[test]
    fn user_event_triggers_coalesce() -> io::Result<()> {
        let selector = Selector::new()?;
        if let Err(err) = selector.user_event(Token(9), false) {
            if err.raw_os_error() == Some(libc::EINVAL) {
                println!("SKIP user_event_triggers_coalesce: kernel has no EVFILT_USER");
                return Ok(());
            }
            return Err(err);
        }
        let mut events = Events::with_capacity(4);
        selector.select(&mut events, Some(Duration::ZERO))?;
        assert!(events.is_empty(), "adding the event must not fire it");

        selector.user_event(Token(9), true)?;
        selector.user_event(Token(9), true)?;
        selector.select(&mut events, Some(Duration::ZERO))?;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].token(), Token(9));
        assert!(events[0].is_readable() && !events[0].is_aio() && !events[0].is_lio());

        selector.select(&mut events, Some(Duration::ZERO))?;
        assert!(events.is_empty(), "EV_CLEAR resets the event once reported");
        Ok(())
    }
}
