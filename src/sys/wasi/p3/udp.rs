//! UDP: not implemented by the WASI 0.3 backend yet. `bind` fails with
//! `Unsupported` naming the backend and the operation; a socket made by
//! `from_std` (a WASI 0.2 descriptor, which cannot become a WASI 0.3
//! socket) fails every operation the same way.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use super::bindings::unsupported;
use super::io_source::Selectable;
use super::selector::{Hook, Source};
use super::Shared;

fn not_yet(operation: &str) -> io::Error {
    unsupported(&format!("UDP ({operation})"))
}

pub(crate) fn bind(_: SocketAddr) -> io::Result<UdpSocket> {
    Err(not_yet("bind"))
}

pub(crate) fn from_std(_: std::net::UdpSocket) -> UdpSocket {
    UdpSocket {
        inner: Shared::new(Inert),
    }
}

pub(crate) fn only_v6(_: &UdpSocket) -> io::Result<bool> {
    Err(not_yet("only_v6"))
}

/// A UDP socket of this backend: only ever made by `from_std`, inert.
pub(crate) struct UdpSocket {
    inner: Shared<Inert>,
}

#[derive(Debug)]
struct Inert;

impl Source for Inert {
    fn waitables(&self, _: &mut dyn FnMut(u32)) {}
    fn on_event(&self, _: u32, _: u32, _: u32) -> u8 {
        0
    }
    fn ready_now(&self) -> u8 {
        0
    }
    fn attach(&self, _: Option<Hook>) {}
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("backend", &"WASI 0.3 (unsupported)")
            .finish()
    }
}

impl Selectable for UdpSocket {
    fn source(&self) -> Shared<dyn Source> {
        Shared::from_rc(std::rc::Rc::clone(self.inner.rc()) as std::rc::Rc<dyn Source>)
    }
}

impl UdpSocket {
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        Err(not_yet("local_addr"))
    }
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        Err(not_yet("peer_addr"))
    }
    pub(crate) fn send_to(&self, _: &[u8], _: SocketAddr) -> io::Result<usize> {
        Err(not_yet("send_to"))
    }
    pub(crate) fn send(&self, _: &[u8]) -> io::Result<usize> {
        Err(not_yet("send"))
    }
    pub(crate) fn recv_from(&self, _: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        Err(not_yet("recv_from"))
    }
    pub(crate) fn recv(&self, _: &mut [u8]) -> io::Result<usize> {
        Err(not_yet("recv"))
    }
    pub(crate) fn peek_from(&self, _: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        Err(not_yet("peek_from"))
    }
    pub(crate) fn peek(&self, _: &mut [u8]) -> io::Result<usize> {
        Err(not_yet("peek"))
    }
    pub(crate) fn connect(&self, _: SocketAddr) -> io::Result<()> {
        Err(not_yet("connect"))
    }
    pub(crate) fn set_broadcast(&self, _: bool) -> io::Result<()> {
        Err(not_yet("set_broadcast"))
    }
    pub(crate) fn broadcast(&self) -> io::Result<bool> {
        Err(not_yet("broadcast"))
    }
    pub(crate) fn set_multicast_loop_v4(&self, _: bool) -> io::Result<()> {
        Err(not_yet("set_multicast_loop_v4"))
    }
    pub(crate) fn multicast_loop_v4(&self) -> io::Result<bool> {
        Err(not_yet("multicast_loop_v4"))
    }
    pub(crate) fn set_multicast_ttl_v4(&self, _: u32) -> io::Result<()> {
        Err(not_yet("set_multicast_ttl_v4"))
    }
    pub(crate) fn multicast_ttl_v4(&self) -> io::Result<u32> {
        Err(not_yet("multicast_ttl_v4"))
    }
    pub(crate) fn set_multicast_loop_v6(&self, _: bool) -> io::Result<()> {
        Err(not_yet("set_multicast_loop_v6"))
    }
    pub(crate) fn multicast_loop_v6(&self) -> io::Result<bool> {
        Err(not_yet("multicast_loop_v6"))
    }
    pub(crate) fn set_ttl(&self, _: u32) -> io::Result<()> {
        Err(not_yet("set_ttl"))
    }
    pub(crate) fn ttl(&self) -> io::Result<u32> {
        Err(not_yet("ttl"))
    }
    pub(crate) fn join_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        Err(not_yet("join_multicast_v4"))
    }
    pub(crate) fn join_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        Err(not_yet("join_multicast_v6"))
    }
    pub(crate) fn leave_multicast_v4(&self, _: &Ipv4Addr, _: &Ipv4Addr) -> io::Result<()> {
        Err(not_yet("leave_multicast_v4"))
    }
    pub(crate) fn leave_multicast_v6(&self, _: &Ipv6Addr, _: u32) -> io::Result<()> {
        Err(not_yet("leave_multicast_v6"))
    }
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        Err(not_yet("take_error"))
    }
}
