//! UDP over `wasi:sockets@0.3`: `send` and `receive` are async imports, so
//! a socket keeps one `receive` subtask in flight (its return is the
//! readable event, the datagram is held until `recv`/`recv_from` takes it)
//! and runs at most one `send` at a time (writable = no send in flight).
//! A send the host has not finished when `send_to` returns reports its
//! error through `take_error`. Broadcast, multicast, `only_v6` and `peek`
//! return `Unsupported`; so does every call on a socket made by `from_std`
//! (std's sockets are WASI 0.2 descriptors).

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::IntoRawFd;
use std::rc::Rc;
use std::{cmp, fmt, io};

use super::bindings::{
    error, family_of, from_wasi, poll_one, start_udp_receive, start_udp_send, subtask_cancel,
    subtask_drop, to_wasi, udp_receive_result, udp_send_result, unsupported, ErrorCode,
    UdpReceiveArea, UdpSendArea, WasiUdpSocket, EVENT_SUBTASK, SUBTASK_RETURNED,
};
use super::fd::Unpark;
use super::io_source::Selectable;
use super::selector::{Hook, Source};
use super::Shared;
use crate::sys::readiness::{ERROR, READ, WRITE};

fn not_supported(operation: &str) -> io::Error {
    unsupported(&format!("UDP {operation}"))
}

pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = WasiUdpSocket::create(family_of(&addr)).map_err(error)?;
    socket.bind(to_wasi(addr)).map_err(error)?;
    let inner = Shared::new(UdpState::new(Some(socket)));
    // The state is on the heap now: the host writes into its areas.
    inner.start_receive(&mut inner.io.borrow_mut());
    Ok(UdpSocket { inner })
}

/// One of ours converted with `IntoRawFd` comes back as it was; a
/// wasi-libc descriptor is closed and every operation on the result fails
/// (see `fd`).
pub(crate) fn from_std(std: std::net::UdpSocket) -> UdpSocket {
    UdpSocket::unpark(std.into_raw_fd()).unwrap_or_else(|| UdpSocket {
        inner: Shared::new(UdpState::new(None)),
    })
}

/// WASI sockets are single-stack: an IPv6 socket takes IPv6 only.
pub(crate) fn only_v6(socket: &UdpSocket) -> io::Result<bool> {
    let family = socket.inner.socket()?.get_address_family();
    Ok(family == super::bindings::IpAddressFamily::Ipv6)
}

pub(crate) struct UdpSocket {
    pub(super) inner: Shared<UdpState>,
}

struct Io {
    /// The `receive` subtask in flight.
    receiving: Option<u32>,
    recv_area: Box<UdpReceiveArea>,
    /// A datagram (or receive error) waiting for `recv`.
    received: Option<Result<(Vec<u8>, SocketAddr), ErrorCode>>,
    /// The `send` subtask in flight; `send_buf` holds its payload.
    sending: Option<u32>,
    send_area: Box<UdpSendArea>,
    send_buf: Vec<u8>,
    /// Error of a send that finished after `send_to` returned.
    error: Option<io::Error>,
}

pub(super) struct UdpState {
    io: RefCell<Io>,
    hook: RefCell<Option<Hook>>,
    connected: Cell<bool>,
    /// `None` for a socket made by `from_std`.
    socket: Option<WasiUdpSocket>,
}

fn from_std_error() -> io::Error {
    unsupported("from_std (std's sockets are WASI 0.2 descriptors)")
}

impl UdpState {
    /// A socket's state, nothing in flight; `None` for one made by
    /// `from_std`.
    fn new(socket: Option<WasiUdpSocket>) -> UdpState {
        UdpState {
            io: RefCell::new(Io {
                receiving: None,
                recv_area: UdpReceiveArea::new(),
                received: None,
                sending: None,
                send_area: UdpSendArea::new(),
                send_buf: Vec::new(),
                error: None,
            }),
            hook: RefCell::new(None),
            connected: Cell::new(false),
            socket,
        }
    }

    fn socket(&self) -> io::Result<&WasiUdpSocket> {
        self.socket.as_ref().ok_or_else(from_std_error)
    }

    fn start_receive(&self, io: &mut Io) {
        let Some(socket) = &self.socket else { return };
        if io.receiving.is_some() || io.received.is_some() {
            return;
        }
        match start_udp_receive(socket, &mut io.recv_area) {
            Some(subtask) => {
                io.receiving = Some(subtask);
                if let Some(hook) = &*self.hook.borrow() {
                    hook.join(subtask);
                }
            }
            None => io.received = Some(udp_receive_result(&io.recv_area)),
        }
    }

    fn apply(&self, io: &mut Io, waitable: u32, result: u32) -> u8 {
        if result & 0xf != SUBTASK_RETURNED {
            return 0;
        }
        if io.receiving == Some(waitable) {
            io.receiving = None;
            self.leave(waitable);
            subtask_drop(waitable);
            io.received = Some(udp_receive_result(&io.recv_area));
            return READ;
        }
        if io.sending == Some(waitable) {
            io.sending = None;
            self.leave(waitable);
            subtask_drop(waitable);
            if let Err(code) = udp_send_result(&io.send_area) {
                io.error = Some(error(code));
                return WRITE | ERROR;
            }
            return WRITE;
        }
        0
    }

    fn leave(&self, waitable: u32) {
        if let Some(hook) = &*self.hook.borrow() {
            hook.leave(waitable);
        }
    }

    /// Not registered: nobody takes the subtasks' events from a set.
    fn refresh(&self, io: &mut Io) {
        if self.hook.borrow().is_some() {
            return;
        }
        for subtask in [io.receiving, io.sending].into_iter().flatten() {
            let (code, handle, result) = poll_one(subtask, 0);
            if code == EVENT_SUBTASK {
                self.apply(io, handle, result);
            }
        }
    }

    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.socket()?;
        let mut io = self.io.borrow_mut();
        self.refresh(&mut io);
        match io.received.take() {
            Some(Ok((data, from))) => {
                let n = cmp::min(buf.len(), data.len());
                buf[..n].copy_from_slice(&data[..n]);
                self.start_receive(&mut io);
                Ok((n, from))
            }
            Some(Err(code)) => {
                self.start_receive(&mut io);
                Err(error(code))
            }
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn send(&self, buf: &[u8], target: Option<SocketAddr>) -> io::Result<usize> {
        let socket = self.socket()?;
        let mut io = self.io.borrow_mut();
        self.refresh(&mut io);
        if target.is_none() && !self.connected.get() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the UDP socket is not connected",
            ));
        }
        if io.sending.is_some() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if let Some(err) = io.error.take() {
            return Err(err);
        }
        let io = &mut *io;
        io.send_buf.clear();
        io.send_buf.extend_from_slice(buf);
        match start_udp_send(socket, &io.send_buf, target, &mut io.send_area) {
            Some(subtask) => {
                io.sending = Some(subtask);
                if let Some(hook) = &*self.hook.borrow() {
                    hook.join(subtask);
                }
                Ok(buf.len())
            }
            None => udp_send_result(&io.send_area)
                .map(|()| buf.len())
                .map_err(error),
        }
    }
}

impl Drop for UdpState {
    fn drop(&mut self) {
        let io = self.io.get_mut();
        // Settle the calls that borrow the socket and write into the areas
        // before they go.
        if let Some(subtask) = io.receiving.take() {
            if subtask_cancel(subtask) & 0xf == SUBTASK_RETURNED {
                drop(udp_receive_result(&io.recv_area));
            }
            subtask_drop(subtask);
        }
        if let Some(subtask) = io.sending.take() {
            subtask_cancel(subtask);
            subtask_drop(subtask);
        }
    }
}

impl Source for UdpState {
    fn waitables(&self, f: &mut dyn FnMut(u32)) {
        let io = self.io.borrow();
        for subtask in [io.receiving, io.sending].into_iter().flatten() {
            f(subtask);
        }
    }

    fn on_event(&self, code: u32, waitable: u32, result: u32) -> u8 {
        if code != EVENT_SUBTASK {
            return 0;
        }
        self.apply(&mut self.io.borrow_mut(), waitable, result)
    }

    fn ready_now(&self) -> u8 {
        if self.socket.is_none() {
            return 0;
        }
        let io = self.io.borrow();
        let mut bits = 0;
        if io.received.is_some() {
            bits |= READ;
        }
        if io.sending.is_none() {
            bits |= WRITE;
        }
        if io.error.is_some() {
            bits |= ERROR;
        }
        bits
    }

    fn attach(&self, hook: Option<Hook>) {
        *self.hook.borrow_mut() = hook;
    }
}

impl Selectable for UdpSocket {
    /// A socket made by `from_std` cannot be registered: it would never
    /// become ready.
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        self.inner.socket()?;
        Ok(Shared::from_rc(Rc::clone(self.inner.rc()) as Rc<dyn Source>))
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field(
                "socket",
                &self.inner.socket.as_ref().map(WasiUdpSocket::handle),
            )
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

impl UdpSocket {
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .socket()?
            .get_local_address()
            .map(from_wasi)
            .map_err(error)
    }

    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .socket()?
            .get_remote_address()
            .map(from_wasi)
            .map_err(|code| match code {
                ErrorCode::InvalidState => io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the UDP socket is not connected",
                ),
                code => error(code),
            })
    }

    pub(crate) fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.inner.send(buf, Some(target))
    }

    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.send(buf, None)
    }

    pub(crate) fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.recv_from(buf)
    }

    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.recv_from(buf).map(|(n, _)| n)
    }

    pub(crate) fn peek_from(&self, _: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        Err(not_supported("peek_from (MSG_PEEK)"))
    }

    pub(crate) fn peek(&self, _: &mut [u8]) -> io::Result<usize> {
        Err(not_supported("peek (MSG_PEEK)"))
    }

    pub(crate) fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.socket()?.connect(to_wasi(addr)).map_err(error)?;
        self.inner.connected.set(true);
        Ok(())
    }

    pub(crate) fn set_broadcast(&self, _: bool) -> io::Result<()> {
        Err(not_supported("SO_BROADCAST (set_broadcast)"))
    }

    pub(crate) fn broadcast(&self) -> io::Result<bool> {
        Err(not_supported("SO_BROADCAST (broadcast)"))
    }

    pub(crate) fn set_multicast_loop_v4(&self, _: bool) -> io::Result<()> {
        Err(not_supported("multicast (set_multicast_loop_v4)"))
    }

    pub(crate) fn multicast_loop_v4(&self) -> io::Result<bool> {
        Err(not_supported("multicast (multicast_loop_v4)"))
    }

    pub(crate) fn set_multicast_ttl_v4(&self, _: u32) -> io::Result<()> {
        Err(not_supported("multicast (set_multicast_ttl_v4)"))
    }

    pub(crate) fn multicast_ttl_v4(&self) -> io::Result<u32> {
        Err(not_supported("multicast (multicast_ttl_v4)"))
    }

    pub(crate) fn set_multicast_loop_v6(&self, _: bool) -> io::Result<()> {
        Err(not_supported("multicast (set_multicast_loop_v6)"))
    }

    pub(crate) fn multicast_loop_v6(&self) -> io::Result<bool> {
        Err(not_supported("multicast (multicast_loop_v6)"))
    }

    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        let ttl = u8::try_from(ttl)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "TTL must be at most 255"))?;
        self.inner
            .socket()?
            .set_unicast_hop_limit(ttl)
            .map_err(error)
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        self.inner
            .socket()?
            .get_unicast_hop_limit()
            .map(u32::from)
            .map_err(error)
    }

    pub(crate) fn join_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        Err(not_supported("multicast (join_multicast_v4)"))
    }

    pub(crate) fn join_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        Err(not_supported("multicast (join_multicast_v6)"))
    }

    pub(crate) fn leave_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        Err(not_supported("multicast (leave_multicast_v4)"))
    }

    pub(crate) fn leave_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        Err(not_supported("multicast (leave_multicast_v6)"))
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.socket()?;
        let mut io = self.inner.io.borrow_mut();
        self.inner.refresh(&mut io);
        Ok(io.error.take())
    }
}
