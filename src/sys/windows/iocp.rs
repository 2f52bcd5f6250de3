//! A thin owner of one I/O completion port.

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::time::Duration;
use std::{io, ptr};

use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::System::Threading::INFINITE;
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus, OVERLAPPED,
    OVERLAPPED_ENTRY,
};

#[derive(Debug)]
pub(crate) struct CompletionPort {
    handle: OwnedHandle,
}

impl CompletionPort {
    /// A new port that lets as many threads run as there are processors.
    pub(crate) fn new() -> io::Result<CompletionPort> {
        // SAFETY: creating a fresh port: no existing handles are passed in.
        let handle = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0) };
        if handle.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `handle` is a new handle owned by nobody else.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        Ok(CompletionPort { handle })
    }

    /// Routes completions of overlapped I/O on `handle` to this port,
    /// tagged with `key`.
    pub(crate) fn add_handle(&self, key: usize, handle: RawHandle) -> io::Result<()> {
        // SAFETY: both handles are open; the port is not replaced, only
        // associated.
        let res = unsafe { CreateIoCompletionPort(handle, self.handle.as_raw_handle(), key, 0) };
        if res.is_null() {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Dequeues up to `entries.len()` completions, waiting at most
    /// `timeout` (rounded up to whole milliseconds) for the first one.
    /// A timeout shows as `Ok(0)`.
    pub(crate) fn get_many(
        &self,
        entries: &mut [OVERLAPPED_ENTRY],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let len = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let mut removed = 0u32;
        // SAFETY: `entries` is writable for `len` entries, and the port
        // writes at most that many; `removed` is a valid out-pointer.
        let ok = unsafe {
            GetQueuedCompletionStatusEx(
                self.handle.as_raw_handle(),
                entries.as_mut_ptr(),
                len,
                &mut removed,
                timeout_millis(timeout),
                0,
            )
        };
        if ok != 0 {
            return Ok(removed as usize);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(windows_sys::Win32::Foundation::WAIT_TIMEOUT as i32) {
            Ok(0)
        } else {
            Err(err)
        }
    }

    /// Queues a completion that no I/O produced (used for wake-ups).
    /// `overlapped` is carried as an opaque value and never dereferenced.
    pub(crate) fn post(&self, key: usize, overlapped: *mut OVERLAPPED) -> io::Result<()> {
        // SAFETY: the port is open; the overlapped pointer is only handed
        // back to whoever dequeues this packet, the port does not read it.
        let ok =
            unsafe { PostQueuedCompletionStatus(self.handle.as_raw_handle(), 0, key, overlapped) };
        if ok == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

impl AsRawHandle for CompletionPort {
    fn as_raw_handle(&self) -> RawHandle {
        self.handle.as_raw_handle()
    }
}

/// Milliseconds for `GetQueuedCompletionStatusEx`: rounded up so that a
/// sub-millisecond timeout waits instead of spinning, `INFINITE` for none,
/// and capped just below `INFINITE`.
pub(crate) fn timeout_millis(timeout: Option<Duration>) -> u32 {
    match timeout {
        None => INFINITE,
        Some(t) => {
            let millis = t
                .as_secs()
                .saturating_mul(1_000)
                .saturating_add(u64::from(t.subsec_nanos().div_ceil(1_000_000)));
            u32::try_from(millis)
                .unwrap_or(INFINITE - 1)
                .min(INFINITE - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up() {
        assert_eq!(timeout_millis(None), INFINITE);
        assert_eq!(timeout_millis(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_millis(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_millis(Some(Duration::from_micros(1_001))), 2);
        assert_eq!(
            timeout_millis(Some(Duration::from_secs(u64::MAX))),
            INFINITE - 1
        );
    }
}
