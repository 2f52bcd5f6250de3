//! Safe, typed wrappers over the generated preview-1 bindings (and, with the
//! `wasmedge` feature, WasmEdge's socket extension). Every pointer handed to
//! the host is built here, from Rust references, so the rest of the backend
//! never touches the raw ABI.

#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::io;
use std::os::fd::RawFd;

use super::wasi_p1 as p1;

pub(crate) use p1::{Errno, Event as HostEvent, Eventrwflags, Eventtype, Subscription};

/// The `io::Error` for a preview-1 errno. The preview-1 numbering is what
/// Rust's standard library uses for `raw_os_error` on WASI, so error kinds
/// (`WouldBlock`, `ConnectionRefused`, ...) come out right.
pub(crate) fn error(errno: Errno) -> io::Error {
    io::Error::from_raw_os_error(i32::from(errno.0))
}

fn fd_of(fd: RawFd) -> p1::Fd {
    // Descriptors are never negative on WASI; a negative one is passed on
    // unchanged (as a huge number) so the host rejects it with `EBADF`.
    fd as p1::Fd
}

/// A subscription for readability (`write == false`) or writability of `fd`.
pub(crate) fn fd_subscription(fd: RawFd, write: bool, userdata: u64) -> Subscription {
    let payload = p1::SubscriptionFdReadwrite {
        file_descriptor: fd_of(fd),
    };
    Subscription {
        userdata,
        u: if write {
            p1::SubscriptionU::fd_write(payload)
        } else {
            p1::SubscriptionU::fd_read(payload)
        },
    }
}

/// A relative timeout of `nanos` nanoseconds on the monotonic clock.
pub(crate) fn clock_subscription(nanos: u64, userdata: u64) -> Subscription {
    Subscription {
        userdata,
        u: p1::SubscriptionU::clock(p1::SubscriptionClock {
            id: p1::Clockid::MONOTONIC,
            timeout: nanos,
            precision: 0,
            flags: p1::Subclockflags::empty(),
        }),
    }
}

/// An all-zero event, to fill the output buffer of `poll_oneoff`.
pub(crate) const EMPTY_EVENT: HostEvent = HostEvent {
    userdata: 0,
    error: Errno::SUCCESS,
    type_: Eventtype::CLOCK,
    fd_readwrite: p1::EventFdReadwrite {
        nbytes: 0,
        flags: Eventrwflags(0),
    },
};

/// `poll_oneoff`: waits for the subscriptions in `subs` and writes the
/// events that occurred to the front of `out`; returns how many.
///
/// # Panics
///
/// If `out` is shorter than `subs` (the host may write one event per
/// subscription).
pub(crate) fn poll(subs: &[Subscription], out: &mut [HostEvent]) -> Result<usize, Errno> {
    assert!(
        out.len() >= subs.len(),
        "poll_oneoff output buffer too small"
    );
    let count = u32::try_from(subs.len()).map_err(|_| Errno::INVAL)?;
    // SAFETY: `subs` is readable for `count` subscriptions and `out` writable
    // for at least `count` events, for the duration of the call.
    let n = unsafe { p1::poll_oneoff(subs.as_ptr(), out.as_mut_ptr(), count) }?;
    Ok((n as usize).min(subs.len()))
}

/// Whether `fd` is an open descriptor (`fd_fdstat_get` succeeds).
pub(crate) fn check_fd(fd: RawFd) -> Result<(), Errno> {
    // SAFETY: no pointers are passed; the result is written to a local.
    unsafe { p1::fd_fdstat_get(fd_of(fd)) }.map(|_| ())
}

/// Puts `fd` in non-blocking mode, keeping its other flags.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: no pointers are passed; the result is written to a local.
    let stat = unsafe { p1::fd_fdstat_get(fd_of(fd)) }.map_err(error)?;
    if stat.fs_flags.contains(p1::Fdflags::NONBLOCK) {
        return Ok(());
    }
    let flags = p1::Fdflags(stat.fs_flags.0 | p1::Fdflags::NONBLOCK.0);
    // SAFETY: plain call on a descriptor number; no pointers.
    unsafe { p1::fd_fdstat_set_flags(fd_of(fd), flags) }.map_err(error)
}

/// Most buffers passed to one vectored call; the rest are left for the
/// next call, as a short read or write.
const MAX_IOVECS: usize = 16;

/// Receive flags for `recv`.
#[derive(Clone, Copy)]
pub(crate) struct RecvFlags(p1::Riflags);

impl RecvFlags {
    pub(crate) const NONE: RecvFlags = RecvFlags(p1::Riflags(0));
    pub(crate) const PEEK: RecvFlags = RecvFlags(p1::Riflags::RECV_PEEK);
}

/// The iovec of one buffer (a length past `u32` is cut, as a short read).
fn iovec(buf: &mut [u8]) -> p1::Iovec {
    p1::Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: u32::try_from(buf.len()).unwrap_or(u32::MAX),
    }
}

/// The ciovec of one buffer (see [`iovec`]).
fn ciovec(buf: &[u8]) -> p1::Ciovec {
    p1::Ciovec {
        buf: buf.as_ptr(),
        buf_len: u32::try_from(buf.len()).unwrap_or(u32::MAX),
    }
}

fn iovecs<'a>(
    bufs: impl Iterator<Item = &'a mut [u8]>,
    array: &mut [p1::Iovec; MAX_IOVECS],
) -> usize {
    let mut n = 0;
    for buf in bufs.take(MAX_IOVECS) {
        array[n] = iovec(buf);
        n += 1;
    }
    n
}

fn ciovecs<'a>(
    bufs: impl Iterator<Item = &'a [u8]>,
    array: &mut [p1::Ciovec; MAX_IOVECS],
) -> usize {
    let mut n = 0;
    for buf in bufs.take(MAX_IOVECS) {
        array[n] = ciovec(buf);
        n += 1;
    }
    n
}

const EMPTY_IOVEC: p1::Iovec = p1::Iovec {
    buf: std::ptr::null_mut(),
    buf_len: 0,
};
const EMPTY_CIOVEC: p1::Ciovec = p1::Ciovec {
    buf: std::ptr::null(),
    buf_len: 0,
};

/// `sock_recv` into `bufs`; returns the byte count and whether the message
/// was truncated.
pub(crate) fn recv<'a>(
    fd: RawFd,
    bufs: impl Iterator<Item = &'a mut [u8]>,
    flags: RecvFlags,
) -> io::Result<(usize, bool)> {
    let mut array = [EMPTY_IOVEC; MAX_IOVECS];
    let n = iovecs(bufs, &mut array);
    // SAFETY: every iovec points at a distinct, writable buffer borrowed
    // mutably for this call.
    let result = unsafe { p1::sock_recv(fd_of(fd), &array[..n], flags.0) }.map_err(error);
    let (len, roflags) = result?;
    Ok((
        len as usize,
        roflags.contains(p1::Roflags::RECV_DATA_TRUNCATED),
    ))
}

/// `sock_recv` into one buffer: what `read` and `recv` use, without the
/// vectored form's array (every instruction counts in an interpreter).
pub(crate) fn recv_one(fd: RawFd, buf: &mut [u8], flags: RecvFlags) -> io::Result<usize> {
    let iovecs = [iovec(buf)];
    // SAFETY: the iovec points at `buf`, borrowed mutably for this call.
    let (len, _) = unsafe { p1::sock_recv(fd_of(fd), &iovecs, flags.0) }.map_err(error)?;
    Ok(len as usize)
}

/// `sock_send` from one buffer (see [`recv_one`]).
pub(crate) fn send_one(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    let ciovecs = [ciovec(buf)];
    // SAFETY: the ciovec points at `buf`, borrowed for this call.
    let len = unsafe { p1::sock_send(fd_of(fd), &ciovecs, 0) }.map_err(error)?;
    Ok(len as usize)
}

/// `sock_send` from `bufs`; returns the byte count.
pub(crate) fn send<'a>(fd: RawFd, bufs: impl Iterator<Item = &'a [u8]>) -> io::Result<usize> {
    let mut array = [EMPTY_CIOVEC; MAX_IOVECS];
    let n = ciovecs(bufs, &mut array);
    // SAFETY: every ciovec points at a readable buffer borrowed for this call.
    let result = unsafe { p1::sock_send(fd_of(fd), &array[..n], 0) }.map_err(error);
    Ok(result? as usize)
}

/// `sock_shutdown`.
pub(crate) fn shutdown(fd: RawFd, read: bool, write: bool) -> io::Result<()> {
    let mut how = 0;
    if read {
        how |= p1::Sdflags::RD.0;
    }
    if write {
        how |= p1::Sdflags::WR.0;
    }
    // SAFETY: plain call on a descriptor number; no pointers.
    unsafe { p1::sock_shutdown(fd_of(fd), p1::Sdflags(how)) }.map_err(error)
}

/// `sock_accept` (the 3-argument preview-1 form), asking for a non-blocking
/// descriptor. Returns the new descriptor, which the caller owns.
pub(crate) fn accept(fd: RawFd) -> io::Result<RawFd> {
    // SAFETY: no pointers are passed; the result is written to a local.
    let result = unsafe { p1::sock_accept(fd_of(fd), p1::Fdflags::NONBLOCK) }.map_err(error);
    Ok(result? as RawFd)
}

#[cfg(feature = "wasmedge")]
pub(crate) use self::wasmedge::*;

/// WasmEdge's socket extension.
#[cfg(feature = "wasmedge")]
mod wasmedge {
    use std::io;
    use std::os::fd::RawFd;

    use super::super::wasmedge_sock as ws;
    use super::{
        ciovecs, error, fd_of, iovecs, p1, RecvFlags, EMPTY_CIOVEC, EMPTY_IOVEC, MAX_IOVECS,
    };

    pub(crate) use ws::{AddressFamily, SockOptSo, SockType};

    /// WasmEdge's 128-byte address storage: a little-endian `u16` family
    /// followed by the address bytes (network order).
    #[repr(C, align(4))]
    pub(crate) struct AddrStorage(pub(crate) [u8; 128]);

    impl AddrStorage {
        pub(crate) fn zeroed() -> AddrStorage {
            AddrStorage([0; 128])
        }

        fn address(&mut self) -> ws::Address {
            ws::Address {
                buf: self.0.as_mut_ptr(),
                buf_len: 128,
            }
        }
    }

    /// `sock_open`: a new socket, owned by the caller.
    pub(crate) fn open(family: AddressFamily, kind: SockType) -> io::Result<RawFd> {
        // SAFETY: no pointers are passed; the result is written to a local.
        let fd = unsafe { ws::sock_open(family, kind) }.map_err(error)?;
        Ok(fd as RawFd)
    }

    /// `sock_bind_v2`.
    pub(crate) fn bind(fd: RawFd, addr: &mut AddrStorage, port: u16) -> io::Result<()> {
        let address = addr.address();
        // SAFETY: `address` points at the 128-byte storage, alive for the call.
        unsafe { ws::sock_bind_v2(fd_of(fd), &address, u32::from(port)) }.map_err(error)
    }

    /// `sock_listen`.
    pub(crate) fn listen(fd: RawFd, backlog: u32) -> io::Result<()> {
        // SAFETY: plain call on a descriptor number; no pointers.
        unsafe { ws::sock_listen(fd_of(fd), backlog) }.map_err(error)
    }

    /// `sock_connect_v2`. A non-blocking socket returns `INPROGRESS`.
    pub(crate) fn connect(fd: RawFd, addr: &mut AddrStorage, port: u16) -> Result<(), p1::Errno> {
        let address = addr.address();
        // SAFETY: `address` points at the 128-byte storage, alive for the call.
        unsafe { ws::sock_connect_v2(fd_of(fd), &address, u32::from(port)) }
    }

    /// `sock_send_to_v2` of `buf` to `addr`:`port`.
    pub(crate) fn send_to(
        fd: RawFd,
        buf: &[u8],
        addr: &mut AddrStorage,
        port: u16,
    ) -> io::Result<usize> {
        let mut array = [EMPTY_CIOVEC; MAX_IOVECS];
        let n = ciovecs(std::iter::once(buf), &mut array);
        let address = addr.address();
        // SAFETY: the ciovec points at `buf` and `address` at the storage,
        // both alive for the call.
        let result =
            unsafe { ws::sock_send_to_v2(fd_of(fd), &array[..n], &address, u32::from(port), 0) }
                .map_err(error);
        Ok(result? as usize)
    }

    /// `sock_recv_from` (V2) into `buf`; fills `addr` and returns the byte
    /// count and the port *exactly as the host wrote it* (see the caller for
    /// WasmEdge's byte-order bug).
    pub(crate) fn recv_from(
        fd: RawFd,
        buf: &mut [u8],
        addr: &mut AddrStorage,
        flags: RecvFlags,
    ) -> io::Result<(usize, u16)> {
        let mut array = [EMPTY_IOVEC; MAX_IOVECS];
        let n = iovecs(std::iter::once(buf), &mut array);
        let mut address = addr.address();
        // WasmEdge writes only a `u16` through the port pointer, so the
        // generated wrapper (which reads back a whole `u32`) would read two
        // bytes the host never wrote. Call the import with initialised
        // out-values instead.
        let mut port: u32 = 0;
        let mut len: u32 = 0;
        let mut roflags: u16 = 0;
        // SAFETY: the iovec points at `buf`, `address` at the storage, and
        // the three out-pointers at initialised, writable locals of at least
        // the size the host writes; all stay alive for the call.
        let errno = unsafe {
            ws::raw::sock_recv_from(
                fd_of(fd) as i32,
                array.as_ptr() as usize as i32,
                n as i32,
                &mut address as *mut ws::Address as usize as i32,
                i32::from(flags.0 .0),
                &mut port as *mut u32 as usize as i32,
                &mut len as *mut u32 as usize as i32,
                &mut roflags as *mut u16 as usize as i32,
            )
        };
        if errno != 0 {
            return Err(error(p1::Errno(errno as u16)));
        }
        // The host wrote the low 16 bits (little-endian memory).
        Ok((len as usize, port as u16))
    }

    /// `sock_getlocaladdr_v2`: fills `addr`, returns the port.
    pub(crate) fn local_addr(fd: RawFd, addr: &mut AddrStorage) -> io::Result<u16> {
        let mut address = addr.address();
        // SAFETY: `address` points at the writable 128-byte storage.
        let port = unsafe { ws::sock_getlocaladdr_v2(fd_of(fd), &mut address) }.map_err(error)?;
        Ok(port as u16)
    }

    /// `sock_getpeeraddr_v2`: fills `addr`, returns the port.
    pub(crate) fn peer_addr(fd: RawFd, addr: &mut AddrStorage) -> io::Result<u16> {
        let mut address = addr.address();
        // SAFETY: `address` points at the writable 128-byte storage.
        let port = unsafe { ws::sock_getpeeraddr_v2(fd_of(fd), &mut address) }.map_err(error)?;
        Ok(port as u16)
    }

    /// `sock_getsockopt` of an `int` option at `SOL_SOCKET`.
    pub(crate) fn getsockopt_int(fd: RawFd, name: SockOptSo) -> io::Result<i32> {
        let mut value = [0u8; 4];
        let mut len: u32 = 4;
        // SAFETY: `value` is writable for `len` bytes and `len` is writable.
        unsafe {
            ws::sock_getsockopt(
                fd_of(fd),
                ws::SockOptLevel::SOL_SOCKET,
                name,
                value.as_mut_ptr(),
                &mut len,
            )
        }
        .map_err(error)?;
        Ok(i32::from_le_bytes(value))
    }

    /// `sock_setsockopt` of an `int` option at `SOL_SOCKET`.
    pub(crate) fn setsockopt_int(fd: RawFd, name: SockOptSo, value: i32) -> io::Result<()> {
        let value = value.to_le_bytes();
        // SAFETY: `value` is readable for 4 bytes.
        unsafe {
            ws::sock_setsockopt(
                fd_of(fd),
                ws::SockOptLevel::SOL_SOCKET,
                name,
                value.as_ptr(),
                4,
            )
        }
        .map_err(error)
    }

    /// One resolved address from `getaddrinfo`: family and the raw
    /// `sa_data` bytes (big-endian port, then the rest of the sockaddr).
    pub(crate) struct ResolvedAddr {
        pub(crate) family: AddressFamily,
        pub(crate) data: [u8; SA_DATA_LEN],
        pub(crate) data_len: usize,
    }

    /// Room for the largest `sa_data` the host writes (IPv6: port,
    /// flow info, address, scope id).
    pub(crate) const SA_DATA_LEN: usize = 26;
    const CANONNAME_LEN: usize = 256;

    /// `sock_getaddrinfo` for `node` (no service), stream sockets, any
    /// family; at most `max` results. The guest provides all memory for the
    /// result chain; it is allocated here, per call.
    pub(crate) fn getaddrinfo(node: &str, max: usize) -> Result<Vec<ResolvedAddr>, p1::Errno> {
        let max = max.max(1);
        let mut data = vec![[0u8; SA_DATA_LEN]; max];
        let mut canonnames = vec![[0u8; CANONNAME_LEN]; max];
        let mut sockaddrs: Vec<ws::Sockaddr> = data
            .iter_mut()
            .map(|d| ws::Sockaddr {
                family: 0,
                data_len: SA_DATA_LEN as u32,
                data: d.as_mut_ptr(),
            })
            .collect();
        let mut infos: Vec<ws::Addrinfo> = sockaddrs
            .iter_mut()
            .zip(canonnames.iter_mut())
            .map(|(sa, name)| ws::Addrinfo {
                flags: 0,
                family: 0,
                socktype: 0,
                protocol: 0,
                addrlen: 0,
                addr: sa,
                canonname: name.as_mut_ptr(),
                canonname_len: CANONNAME_LEN as u32,
                next: std::ptr::null_mut(),
            })
            .collect();
        // Chain the entries: the host walks `next` from the first one.
        let base = infos.as_mut_ptr();
        for i in 1..infos.len() {
            // SAFETY: `i - 1` and `i` are in bounds of `infos`, whose buffer
            // does not move while these pointers are in use.
            unsafe { (*base.add(i - 1)).next = base.add(i).cast() };
        }
        let hints = ws::Addrinfo {
            flags: 0,
            family: AddressFamily::UNSPEC.0,
            socktype: SockType::STREAM.0,
            protocol: 0,
            addrlen: 0,
            addr: std::ptr::null_mut(),
            canonname: std::ptr::null_mut(),
            canonname_len: 0,
            next: std::ptr::null_mut(),
        };
        let mut first: *mut ws::Addrinfo = base;
        let service = "";
        // SAFETY: `node`, `service` and `hints` are readable; `first` points
        // at the first of `max` chained addrinfos whose `addr`, `data` and
        // `canonname` buffers are writable for the lengths given, and all of
        // it stays alive (and unmoved) until the call returns.
        let count = unsafe {
            ws::sock_getaddrinfo(
                node.as_ptr(),
                node.len() as u32,
                service.as_ptr(),
                0,
                &hints,
                &mut first,
                max as u32,
            )
        }?;
        let count = (count as usize).min(max);
        let mut out = Vec::with_capacity(count);
        for (info, sa) in infos.iter().zip(sockaddrs.iter()).take(count) {
            if info.addrlen == 0 {
                continue;
            }
            let len = (sa.data_len as usize).min(SA_DATA_LEN);
            // SAFETY: `sa.data` still points at its entry of `data`, which
            // the host filled for `len` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(sa.data, len) };
            let mut copy = [0u8; SA_DATA_LEN];
            copy[..len].copy_from_slice(bytes);
            out.push(ResolvedAddr {
                family: AddressFamily(sa.family),
                data: copy,
                data_len: len,
            });
        }
        Ok(out)
    }
}
