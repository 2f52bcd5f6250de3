//! Socket creation and address conversion shared by TCP, UDP and Unix sockets.

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// A new non-blocking, close-on-exec socket.
pub(crate) fn new_socket(domain: libc::c_int, kind: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(not(any(target_vendor = "apple", target_os = "espidf", target_os = "vita")))]
    {
        let kind = kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: plain syscall, no pointers.
        let fd = syscall!(socket(domain, kind, 0))?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
    #[cfg(any(target_vendor = "apple", target_os = "espidf", target_os = "vita"))]
    {
        // SAFETY: plain syscall, no pointers.
        let fd = syscall!(socket(domain, kind, 0))?;
        // SAFETY: `fd` is a new descriptor that nothing else owns; wrapping
        // it first closes it on every error path below.
        let socket = unsafe { OwnedFd::from_raw_fd(fd) };
        super::set_nonblocking_cloexec(fd)?;
        #[cfg(target_vendor = "apple")]
        {
            // No SIGPIPE on writes to a closed peer (Linux uses MSG_NOSIGNAL
            // through std; Apple has only this socket option).
            let one: libc::c_int = 1;
            // SAFETY: valid pointer and length of a c_int option value.
            syscall!(setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_NOSIGPIPE,
                (&one as *const libc::c_int).cast(),
                mem::size_of::<libc::c_int>() as libc::socklen_t,
            ))?;
        }
        Ok(socket)
    }
}

/// A socket address in the C layout, big enough for IPv4 and IPv6.
#[repr(C)]
pub(crate) union SocketAddrCRepr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

impl SocketAddrCRepr {
    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (self as *const SocketAddrCRepr).cast()
    }
}

/// Converts a Rust address into its C form and length.
pub(crate) fn socket_addr(addr: &SocketAddr) -> (SocketAddrCRepr, libc::socklen_t) {
    match addr {
        SocketAddr::V4(addr) => {
            // SAFETY: sockaddr_in is plain data; all-zero is a valid value.
            let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = addr.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(addr.ip().octets()),
            };
            #[cfg(any(
                target_vendor = "apple",
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "openbsd",
                target_os = "netbsd"
            ))]
            {
                sin.sin_len = mem::size_of::<libc::sockaddr_in>() as u8;
            }
            (
                SocketAddrCRepr { v4: sin },
                mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
        SocketAddr::V6(addr) => {
            // SAFETY: sockaddr_in6 is plain data; all-zero is a valid value.
            let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = addr.port().to_be();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: addr.ip().octets(),
            };
            sin6.sin6_flowinfo = addr.flowinfo();
            sin6.sin6_scope_id = addr.scope_id();
            #[cfg(any(
                target_vendor = "apple",
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "openbsd",
                target_os = "netbsd"
            ))]
            {
                sin6.sin6_len = mem::size_of::<libc::sockaddr_in6>() as u8;
            }
            (
                SocketAddrCRepr { v6: sin6 },
                mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    }
}

/// Converts a C address filled in by the kernel back into a Rust one.
///
/// # Safety
///
/// `storage` must hold an address written by the kernel (its family field
/// tells which variant is valid).
pub(crate) unsafe fn to_socket_addr(
    storage: *const libc::sockaddr_storage,
) -> io::Result<SocketAddr> {
    // SAFETY: the caller guarantees `storage` is initialised; the family
    // field selects the matching struct, which fits in sockaddr_storage.
    unsafe {
        match libc::c_int::from((*storage).ss_family) {
            libc::AF_INET => {
                let sin = &*(storage as *const libc::sockaddr_in);
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Ok(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                let sin6 = &*(storage as *const libc::sockaddr_in6);
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Ok(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "address family is neither IPv4 nor IPv6",
            )),
        }
    }
}

/// Storage for an address the kernel writes (accept, getsockname).
pub(crate) fn new_storage() -> (MaybeUninit<libc::sockaddr_storage>, libc::socklen_t) {
    (
        MaybeUninit::zeroed(),
        mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
    )
}

pub(crate) fn domain_of(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(..) => libc::AF_INET,
        SocketAddr::V6(..) => libc::AF_INET6,
    }
}

/// Reads an integer socket option.
pub(crate) fn getsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes of the given size.
    syscall!(getsockopt(
        fd,
        level,
        name,
        (&mut value as *mut libc::c_int).cast(),
        &mut len
    ))?;
    Ok(value)
}

/// Sets an integer socket option.
pub(crate) fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is valid for reads of the given size.
    syscall!(setsockopt(
        fd,
        level,
        name,
        (&value as *const libc::c_int).cast(),
        mem::size_of::<libc::c_int>() as libc::socklen_t,
    ))
    .map(|_| ())
}
