//! The Ancillary Function Driver (`\Device\Afd`): the kernel driver behind
//! Winsock. Its `IOCTL_AFD_POLL` request waits for readiness of sockets and
//! completes through an I/O completion port, which is what lets one port
//! deliver readiness events (rather than completed I/O) for many sockets.
//!
//! One driver handle serves a group of sockets ([`AfdGroup`]); each socket
//! has at most one poll request in flight.

use std::ffi::c_void;
use std::fs::File;
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::sync::{Arc, Mutex};
use std::{io, mem, ptr};

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{NtCancelIoFileEx, NtCreateFile, FILE_OPEN};
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, HANDLE, NTSTATUS, STATUS_NOT_FOUND, STATUS_PENDING, STATUS_SUCCESS,
    UNICODE_STRING,
};
use windows_sys::Win32::Storage::FileSystem::{
    SetFileCompletionNotificationModes, FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE,
};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

use super::iocp::CompletionPort;

/// Completion key of every AFD handle on a selector's port.
pub(crate) const AFD_KEY: usize = 0x4146_4400;

const IOCTL_AFD_POLL: u32 = 0x0001_2024;

// Readiness bits of `AFD_POLL_HANDLE_INFO::events`.
pub(crate) const POLL_RECEIVE: u32 = 0x0001;
pub(crate) const POLL_RECEIVE_EXPEDITED: u32 = 0x0002;
pub(crate) const POLL_SEND: u32 = 0x0004;
pub(crate) const POLL_DISCONNECT: u32 = 0x0008;
pub(crate) const POLL_ABORT: u32 = 0x0010;
pub(crate) const POLL_LOCAL_CLOSE: u32 = 0x0020;
pub(crate) const POLL_ACCEPT: u32 = 0x0080;
pub(crate) const POLL_CONNECT_FAIL: u32 = 0x0100;

/// Sockets per driver handle before a new handle is opened. Bounded so that
/// one handle does not serialise the requests of thousands of sockets.
const GROUP_SIZE: usize = 32;

/// One socket's entry of a poll request.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct AfdPollHandleInfo {
    pub(crate) handle: HANDLE,
    pub(crate) events: u32,
    pub(crate) status: NTSTATUS,
}

/// Input and output of `IOCTL_AFD_POLL` (with room for one socket).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct AfdPollInfo {
    pub(crate) timeout: i64,
    pub(crate) number_of_handles: u32,
    pub(crate) exclusive: u32,
    pub(crate) handles: [AfdPollHandleInfo; 1],
}

impl AfdPollInfo {
    pub(crate) const fn zeroed() -> AfdPollInfo {
        AfdPollInfo {
            timeout: 0,
            number_of_handles: 0,
            exclusive: 0,
            handles: [AfdPollHandleInfo {
                handle: ptr::null_mut(),
                events: 0,
                status: 0,
            }],
        }
    }
}

/// An open handle to the driver, associated with a completion port.
#[derive(Debug)]
pub(crate) struct Afd {
    file: File,
}

/// `\Device\Afd\MioWasi` in UTF-16: anything after `\Device\Afd\` is
/// accepted by the driver; the suffix only helps when inspecting handles.
const AFD_NAME: &[u16] = &[
    b'\\' as u16,
    b'D' as u16,
    b'e' as u16,
    b'v' as u16,
    b'i' as u16,
    b'c' as u16,
    b'e' as u16,
    b'\\' as u16,
    b'A' as u16,
    b'f' as u16,
    b'd' as u16,
    b'\\' as u16,
    b'M' as u16,
    b'i' as u16,
    b'o' as u16,
    b'W' as u16,
    b'a' as u16,
    b's' as u16,
    b'i' as u16,
];

impl Afd {
    fn open(port: &CompletionPort) -> io::Result<Afd> {
        let name = UNICODE_STRING {
            Length: mem::size_of_val(AFD_NAME) as u16,
            MaximumLength: mem::size_of_val(AFD_NAME) as u16,
            Buffer: AFD_NAME.as_ptr().cast_mut(),
        };
        let attributes = OBJECT_ATTRIBUTES {
            Length: mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: ptr::null_mut(),
            ObjectName: &name,
            Attributes: 0,
            SecurityDescriptor: ptr::null(),
            SecurityQualityOfService: ptr::null(),
        };
        let mut handle: HANDLE = ptr::null_mut();
        let mut iosb = IO_STATUS_BLOCK::default();
        // SAFETY: every pointer refers to a live local; the name buffer is
        // a static; the driver does not keep any of them after returning.
        let status = unsafe {
            NtCreateFile(
                &mut handle,
                SYNCHRONIZE,
                &attributes,
                &mut iosb,
                ptr::null(),
                0,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OPEN,
                0,
                ptr::null(),
                0,
            )
        };
        if status != STATUS_SUCCESS {
            return Err(nt_error(status));
        }
        // SAFETY: NtCreateFile succeeded, so `handle` is a new handle that
        // nobody else owns; `File` closes it on every path below.
        let file = unsafe { File::from_raw_handle(handle) };
        port.add_handle(AFD_KEY, file.as_raw_handle())?;
        // SAFETY: the handle is open. Skipping the event signal saves the
        // kernel work; completions still reach the port.
        let ok = unsafe {
            SetFileCompletionNotificationModes(
                file.as_raw_handle(),
                FILE_SKIP_SET_EVENT_ON_HANDLE as u8,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Afd { file })
    }

    /// Starts a poll request. On success (immediate or pending) one
    /// completion packet carrying `context` will reach the port; on error
    /// none will.
    ///
    /// # Safety
    ///
    /// `info` and `iosb` must stay valid and unmoved until that packet is
    /// dequeued: the driver writes to them asynchronously.
    pub(crate) unsafe fn poll(
        &self,
        info: *mut AfdPollInfo,
        iosb: *mut IO_STATUS_BLOCK,
        context: *const c_void,
    ) -> io::Result<()> {
        // SAFETY: the caller guarantees `iosb` is valid.
        unsafe { (*iosb).Anonymous.Status = STATUS_PENDING };
        let size = mem::size_of::<AfdPollInfo>() as u32;
        // SAFETY: the handle is open; `info` is valid for reads and writes
        // of `size` bytes and `iosb` stays valid (caller's contract).
        let status = unsafe {
            NtDeviceIoControlFile(
                self.file.as_raw_handle(),
                ptr::null_mut(),
                None,
                context,
                iosb,
                IOCTL_AFD_POLL,
                info.cast::<c_void>(),
                size,
                info.cast::<c_void>(),
                size,
            )
        };
        if status == STATUS_SUCCESS || status == STATUS_PENDING {
            Ok(())
        } else {
            Err(nt_error(status))
        }
    }

    /// Cancels the request that uses `iosb`, if it is still running. Its
    /// completion packet (status `STATUS_CANCELLED`) still reaches the port.
    ///
    /// # Safety
    ///
    /// `iosb` must be the block of a request started on this handle.
    pub(crate) unsafe fn cancel(&self, iosb: *mut IO_STATUS_BLOCK) -> io::Result<()> {
        // SAFETY: the caller guarantees `iosb` is valid.
        if unsafe { (*iosb).Anonymous.Status } != STATUS_PENDING {
            return Ok(());
        }
        let mut cancel_iosb = IO_STATUS_BLOCK::default();
        // SAFETY: the handle is open; both blocks are valid.
        let status = unsafe { NtCancelIoFileEx(self.file.as_raw_handle(), iosb, &mut cancel_iosb) };
        if status == STATUS_SUCCESS || status == STATUS_NOT_FOUND {
            Ok(())
        } else {
            Err(nt_error(status))
        }
    }
}

/// Converts an NTSTATUS into the matching Win32 error.
pub(crate) fn nt_error(status: NTSTATUS) -> io::Error {
    // SAFETY: pure conversion function.
    let code = unsafe { RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}

/// The driver handles of one selector, each shared by up to
/// `GROUP_SIZE` sockets.
#[derive(Debug)]
pub(crate) struct AfdGroup {
    port: Arc<CompletionPort>,
    afds: Mutex<Vec<Arc<Afd>>>,
}

impl AfdGroup {
    pub(crate) fn new(port: Arc<CompletionPort>) -> AfdGroup {
        AfdGroup {
            port,
            afds: Mutex::new(Vec::new()),
        }
    }

    /// A handle with room for one more socket (opened if all are full).
    pub(crate) fn acquire(&self) -> io::Result<Arc<Afd>> {
        let mut afds = lock(&self.afds);
        if let Some(afd) = afds.last() {
            // One reference is the group's own.
            if Arc::strong_count(afd) <= GROUP_SIZE {
                return Ok(Arc::clone(afd));
            }
        }
        let afd = Arc::new(Afd::open(&self.port)?);
        afds.push(Arc::clone(&afd));
        Ok(afd)
    }

    /// Closes handles no socket uses any more.
    pub(crate) fn release_unused(&self) {
        let mut afds = lock(&self.afds);
        afds.retain(|afd| Arc::strong_count(afd) > 1);
    }
}

/// Locks a mutex, ignoring poisoning: the data behind every lock in this
/// backend stays consistent even if a holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
