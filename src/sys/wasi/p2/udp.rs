//! UDP over `wasi:sockets/udp`.
//!
//! A bound socket holds the datagram stream pair from `stream`: unconnected
//! (`send_to`/`recv_from` name the peer), or, after `connect`, tied to one
//! remote address (`send`/`recv`). Options WASI 0.2 does not have
//! (broadcast, multicast, peeking) return `Unsupported`.
//!
//! As for TCP, a `descriptor` (a wasi-libc one where possible) owns the
//! socket and stream handles; this type owns its pollables, dropped first
//! (the field order of `Inner`).

use std::cell::{Cell, RefCell};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{IntoRawFd, RawFd};
use std::rc::Rc;
use std::{cmp, fmt};

use super::bindings::{
    create_udp_socket, error, family_of, from_wasi, instance_network, to_wasi, unsupported,
    ErrorCode, IpAddressFamily, OutgoingDatagram, Pollable, UdpSocket as WasiUdpSocket,
};
use super::descriptor::{checked_fd, Borrowed, UdpDescriptor, UdpStreams};
use super::io_source::{Selectable, Source};
use super::{Inert, Shared};
use crate::sys::readiness::READ;

pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let network = instance_network();
    let socket = create_udp_socket(family_of(&addr)).map_err(error)?;
    let (desc, socket) = UdpDescriptor::new(socket)?;
    socket.start_bind(&network, to_wasi(addr)).map_err(error)?;
    let mut pollable = None;
    loop {
        match socket.finish_bind() {
            Err(ErrorCode::WouldBlock) => {
                pollable.get_or_insert_with(|| socket.subscribe()).block()
            }
            result => break result.map_err(error)?,
        }
    }
    drop(pollable);
    desc.set_bound();
    let (incoming, outgoing) = socket.stream(None).map_err(error)?;
    let streams = desc.set_streams(incoming, outgoing, false);
    Ok(UdpSocket::new(desc, socket, Some(streams), false))
}

/// Adopts std's socket: its wasi-libc descriptor becomes this socket's.
///
/// If std interop is not available with this toolchain's wasi-libc (see
/// `descriptor`), the socket keeps std's open but every operation,
/// `register` included, returns the `Unsupported` error naming the cause
/// (`from_std` cannot fail in mio's API).
///
/// # Panics
///
/// If the descriptor is not a UDP socket of wasi-libc's.
pub(crate) fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
    let socket = match Inert::adopt(socket) {
        Ok(inert) => return UdpSocket { inner: Err(inert) },
        Err(socket) => socket,
    };
    let fd = socket.into_raw_fd();
    // SAFETY: `into_raw_fd` gave us ownership of an open descriptor.
    let adopted = unsafe { UdpDescriptor::from_raw(fd) };
    let (desc, socket, streams, connected) = match adopted {
        Ok(adopted) => adopted,
        Err(err) => panic!("mio::net::UdpSocket::from_std: {err}"),
    };
    // wasi-libc makes the streams of a bound socket on first use.
    let streams = streams.or_else(|| {
        let (incoming, outgoing) = socket.stream(None).ok()?;
        Some(desc.set_streams(incoming, outgoing, false))
    });
    UdpSocket::new(desc, socket, streams, connected)
}

/// IPv6 sockets of WASI 0.2 are always IPv6-only (the specification fixes
/// `IPV6_V6ONLY` on); IPv4 sockets are not.
pub(crate) fn only_v6(socket: &UdpSocket) -> io::Result<bool> {
    Ok(socket.inner()?.socket.address_family() == IpAddressFamily::Ipv6)
}

/// A bound socket (or std's, adopted without std interop).
pub(crate) struct UdpSocket {
    inner: Result<Shared<Inner>, Inert<std::net::UdpSocket>>,
}

/// Field order is drop order: our pollables, then the descriptor.
struct Inner {
    ends: RefCell<Ends>,
    socket: Borrowed<WasiUdpSocket>,
    connected: Cell<bool>,
    fd: Option<RawFd>,
    desc: UdpDescriptor,
}

struct Ends {
    recv_ready: Option<Pollable>,
    send_ready: Option<Pollable>,
    /// Borrowed from the descriptor; `None` only if re-creating the pair
    /// failed.
    streams: Option<UdpStreams>,
}

fn no_streams() -> io::Error {
    io::Error::other("wasi:sockets: the UDP socket lost its datagram streams")
}

fn no_option(what: &str) -> io::Error {
    unsupported(what)
}

impl UdpSocket {
    fn new(
        desc: UdpDescriptor,
        socket: Borrowed<WasiUdpSocket>,
        streams: Option<UdpStreams>,
        connected: bool,
    ) -> UdpSocket {
        UdpSocket {
            inner: Ok(Shared::new(Inner {
                ends: RefCell::new(Ends {
                    recv_ready: None,
                    send_ready: None,
                    streams,
                }),
                socket,
                connected: Cell::new(connected),
                fd: desc.raw(),
                desc,
            })),
        }
    }

    fn inner(&self) -> io::Result<&Shared<Inner>> {
        self.inner.as_ref().map_err(Inert::error)
    }

    /// # Panics
    ///
    /// If the socket has no wasi-libc descriptor (see `descriptor`): one
    /// this crate made while std interop is unavailable has none.
    pub(crate) fn as_raw_fd(&self) -> RawFd {
        match &self.inner {
            Ok(inner) => checked_fd(inner.fd),
            Err(inert) => inert.as_raw_fd(),
        }
    }

    /// Hands the descriptor (and the handles it owns) to the caller.
    ///
    /// # Panics
    ///
    /// If the socket has no wasi-libc descriptor (see `descriptor`).
    pub(crate) fn into_raw_fd(self) -> RawFd {
        let inner = match self.inner {
            Ok(inner) => inner,
            Err(inert) => return inert.into_raw_fd(),
        };
        let Inner { ends, desc, .. } = inner.into_inner();
        drop(ends);
        match desc.into_raw() {
            Ok(fd) => fd,
            Err(err) => panic!("mio::net::UdpSocket::into_raw_fd: {err}"),
        }
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner()?
            .socket
            .local_address()
            .map(from_wasi)
            .map_err(error)
    }

    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self.inner()?.socket.remote_address() {
            Ok(addr) => Ok(from_wasi(addr)),
            Err(ErrorCode::InvalidState) => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "wasi:sockets: the socket is not connected",
            )),
            Err(code) => Err(error(code)),
        }
    }

    pub(crate) fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.send_datagram(buf, Some(target))
    }

    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        if !self.inner()?.connected.get() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "wasi:sockets: send on an unconnected UDP socket",
            ));
        }
        self.send_datagram(buf, None)
    }

    fn send_datagram(&self, buf: &[u8], target: Option<SocketAddr>) -> io::Result<usize> {
        let ends = self.inner()?.ends.borrow();
        let Some((_, outgoing)) = &ends.streams else {
            return Err(no_streams());
        };
        match outgoing.check_send() {
            Ok(0) => Err(io::ErrorKind::WouldBlock.into()),
            Ok(_) => {
                let datagram = OutgoingDatagram {
                    data: buf.to_vec(),
                    remote_address: target.map(to_wasi),
                };
                match outgoing.send(std::slice::from_ref(&datagram)) {
                    Ok(0) => Err(io::ErrorKind::WouldBlock.into()),
                    Ok(_) => Ok(buf.len()),
                    Err(code) => Err(error(code)),
                }
            }
            Err(code) => Err(error(code)),
        }
    }

    pub(crate) fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let ends = self.inner()?.ends.borrow();
        let Some((incoming, _)) = &ends.streams else {
            return Err(no_streams());
        };
        match incoming.receive(1) {
            Ok(mut datagrams) => match datagrams.pop() {
                Some(datagram) => {
                    // Like recvfrom(2): the excess of a long datagram is lost.
                    let n = cmp::min(buf.len(), datagram.data.len());
                    buf[..n].copy_from_slice(&datagram.data[..n]);
                    Ok((n, from_wasi(datagram.remote_address)))
                }
                None => Err(io::ErrorKind::WouldBlock.into()),
            },
            Err(code) => Err(error(code)),
        }
    }

    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_from(buf).map(|(n, _)| n)
    }

    pub(crate) fn peek_from(&self, _: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner()?;
        Err(unsupported("peek_from (MSG_PEEK) on UDP sockets"))
    }

    pub(crate) fn peek(&self, _: &mut [u8]) -> io::Result<usize> {
        self.inner()?;
        Err(unsupported("peek (MSG_PEEK) on UDP sockets"))
    }

    /// Ties the socket to `addr`. The host hands out a new stream pair, and
    /// the old one (with its pollables) must be gone before it does.
    pub(crate) fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        let inner = self.inner()?;
        let mut ends = inner.ends.borrow_mut();
        let desc = &inner.desc;
        ends.recv_ready = None;
        ends.send_ready = None;
        ends.streams = None;
        super::selector::pollables_changed();
        desc.drop_streams();
        match inner.socket.stream(Some(to_wasi(addr))) {
            Ok((incoming, outgoing)) => {
                ends.streams = Some(desc.set_streams(incoming, outgoing, true));
                inner.connected.set(true);
                Ok(())
            }
            Err(code) => {
                // Keep the socket usable as it was (unconnected).
                ends.streams = inner
                    .socket
                    .stream(None)
                    .ok()
                    .map(|(incoming, outgoing)| desc.set_streams(incoming, outgoing, false));
                inner.connected.set(false);
                Err(error(code))
            }
        }
    }

    pub(crate) fn set_broadcast(&self, _: bool) -> io::Result<()> {
        self.inner()?;
        Err(no_option("SO_BROADCAST (set_broadcast)"))
    }

    pub(crate) fn broadcast(&self) -> io::Result<bool> {
        self.inner()?;
        Err(no_option("SO_BROADCAST (broadcast)"))
    }

    pub(crate) fn set_multicast_loop_v4(&self, _: bool) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (set_multicast_loop_v4)"))
    }

    pub(crate) fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner()?;
        Err(no_option("multicast (multicast_loop_v4)"))
    }

    pub(crate) fn set_multicast_ttl_v4(&self, _: u32) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (set_multicast_ttl_v4)"))
    }

    pub(crate) fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner()?;
        Err(no_option("multicast (multicast_ttl_v4)"))
    }

    pub(crate) fn set_multicast_loop_v6(&self, _: bool) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (set_multicast_loop_v6)"))
    }

    pub(crate) fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.inner()?;
        Err(no_option("multicast (multicast_loop_v6)"))
    }

    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        let ttl = u8::try_from(ttl).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "wasi:sockets: hop limit above 255",
            )
        })?;
        self.inner()?
            .socket
            .set_unicast_hop_limit(ttl)
            .map_err(error)
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        self.inner()?
            .socket
            .unicast_hop_limit()
            .map(u32::from)
            .map_err(error)
    }

    pub(crate) fn join_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (join_multicast_v4)"))
    }

    pub(crate) fn join_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (join_multicast_v6)"))
    }

    pub(crate) fn leave_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (leave_multicast_v4)"))
    }

    pub(crate) fn leave_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        self.inner()?;
        Err(no_option("multicast (leave_multicast_v6)"))
    }

    /// `Unsupported`: WASI 0.2 keeps no pending error on a UDP socket (no
    /// `SO_ERROR`, no ICMP errors); each call reports its own failure.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner()?;
        Err(super::tcp::no_pending_error("UDP sockets"))
    }
}

impl Source for Inner {
    fn pollable(&self, direction: u8) -> Option<u32> {
        let mut ends = self.ends.borrow_mut();
        let Ends {
            recv_ready,
            send_ready,
            streams: Some((incoming, outgoing)),
        } = &mut *ends
        else {
            return None;
        };
        let pollable = if direction == READ {
            recv_ready.get_or_insert_with(|| incoming.subscribe())
        } else {
            send_ready.get_or_insert_with(|| outgoing.subscribe())
        };
        Some(pollable.handle())
    }
}

impl Selectable for UdpSocket {
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        Ok(Shared::from_rc(
            Rc::clone(self.inner()?.rc()) as Rc<dyn Source>
        ))
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UdpSocket");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.finish_non_exhaustive()
    }
}
