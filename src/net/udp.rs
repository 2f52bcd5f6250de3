use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::io;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking UDP socket.
///
/// Register it for [`Interest::READABLE`](crate::Interest::READABLE) to learn when datagrams arrive and
/// for [`Interest::WRITABLE`](crate::Interest::WRITABLE) when a send returned `WouldBlock`.
///
/// Each receive returns one whole datagram (truncated to the buffer), and
/// after a readable event the socket is drained like a stream: receive
/// until `WouldBlock`, since several datagrams may be queued behind one
/// event. A send either sends the whole datagram or fails.
///
/// # Connected and unconnected use
///
/// An unconnected socket talks to anyone: [`send_to`](UdpSocket::send_to)
/// names the destination and [`recv_from`](UdpSocket::recv_from) reports
/// the sender. After [`connect`](UdpSocket::connect) the socket has a
/// default peer: [`send`](UdpSocket::send) and [`recv`](UdpSocket::recv)
/// use it, and the system drops datagrams from anyone else. Connecting
/// also lets the system report errors such as an ICMP "port unreachable"
/// from the peer, on the next receive.
///
/// # Platform notes
///
/// On `wasm32-wasip2` the socket is a `wasi:sockets` UDP socket; peeking,
/// broadcast and multicast are refused. On `wasm32-wasip1` a module can
/// create UDP sockets only with the `wasmedge` feature, and TTL and
/// multicast are refused there. See [the crate
/// documentation](crate#what-each-host-refuses).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use mio::net::UdpSocket;
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut a, Token(0), Interest::READABLE)?;
///
/// b.send_to(b"ping", a.local_addr()?)?;
/// let mut buf = [0; 16];
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     match a.recv_from(&mut buf) {
///         Ok((n, from)) => {
///             assert_eq!(&buf[..n], b"ping");
///             assert_eq!(from, b.local_addr()?);
///             break;
///         }
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
///
/// Two connected sockets exchanging datagrams:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use std::io;
/// use std::time::Duration;
/// use mio::net::UdpSocket;
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut left = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut right = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// left.connect(right.local_addr()?)?;
/// right.connect(left.local_addr()?)?;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut left, Token(0), Interest::READABLE)?;
/// poll.registry().register(&mut right, Token(1), Interest::READABLE)?;
///
/// for n in 0..3u8 {
///     right.send(&[n])?;
/// }
/// let mut got = Vec::new();
/// while got.len() < 3 {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     for event in &events {
///         if event.token() != Token(0) {
///             continue;
///         }
///         // Several datagrams may stand behind one event.
///         let mut buf = [0; 8];
///         loop {
///             match left.recv(&mut buf) {
///                 Ok(len) => got.extend_from_slice(&buf[..len]),
///                 Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
///                 Err(e) => return Err(e),
///             }
///         }
///     }
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct UdpSocket {
    pub(crate) inner: IoSource<sys::udp::UdpSocket>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr` (port 0 picks a free port).
    ///
    /// # Errors
    ///
    /// The OS's error for creating or binding the socket.
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        sys::udp::bind(addr).map(UdpSocket::from_sys)
    }

    /// Wraps a socket created with the standard library. It must already be
    /// in non-blocking mode; this function does not change it.
    pub fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
        UdpSocket::from_sys(sys::udp::from_std(socket))
    }

    pub(crate) fn from_sys(socket: sys::udp::UdpSocket) -> UdpSocket {
        UdpSocket {
            inner: IoSource::new(socket),
        }
    }

    /// The local address of the socket.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The address given to [`UdpSocket::connect`].
    ///
    /// # Errors
    ///
    /// `NotConnected` when the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Sends `buf` as one datagram to `target`; returns the bytes sent.
    ///
    /// The datagram goes out whole or not at all: the count is `buf.len()`
    /// on success. A datagram larger than the path allows fails (for
    /// example with `EMSGSIZE` on Unix) rather than being split.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full; otherwise the OS's error.
    /// After `WouldBlock`, wait for a writable event (register with
    /// [`Interest::WRITABLE`](crate::Interest::WRITABLE)) and send again.
    ///
    /// # Examples
    ///
    /// An echo step: answer every queued datagram to its sender.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::io;
    /// use std::time::Duration;
    /// use mio::net::UdpSocket;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// let mut server = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let mut client = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(8);
    /// poll.registry().register(&mut server, Token(0), Interest::READABLE)?;
    /// poll.registry().register(&mut client, Token(1), Interest::READABLE)?;
    ///
    /// client.send_to(b"echo me", server.local_addr()?)?;
    ///
    /// let mut buf = [0; 64];
    /// let mut answer = None;
    /// while answer.is_none() {
    ///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    ///     for event in &events {
    ///         if event.token() == Token(0) {
    ///             loop {
    ///                 match server.recv_from(&mut buf) {
    ///                     Ok((len, from)) => {
    ///                         server.send_to(&buf[..len], from)?;
    ///                     }
    ///                     Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
    ///                     Err(e) => return Err(e),
    ///                 }
    ///             }
    ///         } else if let Ok((len, _)) = client.recv_from(&mut buf) {
    ///             answer = Some(buf[..len].to_vec());
    ///         }
    ///     }
    /// }
    /// assert_eq!(answer.as_deref(), Some(&b"echo me"[..]));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.inner.do_write(|inner| inner.send_to(buf, target))
    }

    /// Receives one datagram; returns its length and sender. A datagram
    /// longer than `buf` is truncated: the rest of it is lost, and the
    /// length returned is the part that fit. Size the buffer for the
    /// largest datagram the protocol allows (65,507 bytes for IPv4).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued; otherwise the OS's error.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_read(|inner| inner.recv_from(buf))
    }

    /// Like [`UdpSocket::recv_from`], but leaves the datagram queued: the
    /// next receive returns it again. Useful to look at a header before
    /// choosing a buffer.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is queued; `Unsupported` on hosts that
    /// cannot peek.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_read(|inner| inner.peek_from(buf))
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full; an error when the socket
    /// is not connected.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_write(|inner| inner.send(buf))
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is queued; otherwise the OS's error.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|inner| inner.recv(buf))
    }

    /// Like [`UdpSocket::recv`], but leaves the datagram queued.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is queued; `Unsupported` on hosts that
    /// cannot peek.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|inner| inner.peek(buf))
    }

    /// Sets the default destination, and receives only from `addr`.
    ///
    /// No packet is sent: UDP has no handshake, and a peer that does not
    /// exist is only noticed when a send provokes an error report (an ICMP
    /// message), which a later `recv` or `send` returns. Connecting again
    /// changes the peer.
    ///
    /// # Errors
    ///
    /// The OS's error (for example an address of the other IP family).
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.connect(addr)
    }

    /// Sets `SO_BROADCAST`: whether datagrams may be sent to a broadcast
    /// address. Off by default.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v4(on)
    }

    /// Reads `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_multicast_ttl_v4(ttl)
    }

    /// Reads `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner.multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v6(on)
    }

    /// Reads `IPV6_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v6()
    }

    /// Sets `IP_TTL` (unicast hop limit): how many routers a datagram may
    /// pass. On `wasm32-wasip2` this is `wasi:sockets`' unicast hop limit.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Joins the IPv4 multicast group `multiaddr` on `interface`
    /// (`0.0.0.0` lets the OS choose).
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.join_multicast_v4(multiaddr, interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on interface index
    /// `interface` (0 lets the OS choose).
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no multicast.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.leave_multicast_v6(multiaddr, interface)
    }

    /// Reads `IPV6_V6ONLY` (IPv6 sockets only).
    ///
    /// # Errors
    ///
    /// The OS's error (an IPv4 socket has no such option).
    pub fn only_v6(&self) -> io::Result<bool> {
        sys::udp::only_v6(&self.inner)
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// The OS's error for reading the option.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Runs a custom I/O operation (for example `sendmsg` with control
    /// data on the raw descriptor) with the same readiness bookkeeping as
    /// the built-in calls. `f` must return `WouldBlock` exactly when the
    /// operation would block.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl_source!(UdpSocket);
impl_debug_inner!(UdpSocket);
