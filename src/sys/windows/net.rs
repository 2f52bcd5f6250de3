//! Socket creation and address conversion shared by TCP and UDP.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::windows::io::{FromRawSocket, OwnedSocket, RawSocket};
use std::sync::Once;
use std::{io, mem, ptr};

use windows_sys::Win32::Networking::WinSock::{
    ioctlsocket, WSAGetLastError, WSASocketW, WSAStartup, AF_INET, AF_INET6, FIONBIO, IN6_ADDR,
    IN6_ADDR_0, INVALID_SOCKET, IN_ADDR, IN_ADDR_0, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6,
    SOCKADDR_IN6_0, SOCKADDR_STORAGE, SOCKET, SOCKET_ERROR, WSADATA, WSA_FLAG_NO_HANDLE_INHERIT,
    WSA_FLAG_OVERLAPPED,
};

/// Winsock must be started once per process before any socket call.
/// Startups are reference counted by Winsock; this one is never undone.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: WSADATA is plain data, valid when zeroed.
        let mut data: WSADATA = unsafe { mem::zeroed() };
        // SAFETY: `data` is a valid out-pointer. A failure here shows up as
        // an error from the first socket call, so it is not checked twice.
        let _ = unsafe { WSAStartup(0x0202, &mut data) };
    });
}

/// The last Winsock error of this thread.
pub(crate) fn last_error() -> io::Error {
    // SAFETY: plain call, reads thread-local state.
    io::Error::from_raw_os_error(unsafe { WSAGetLastError() })
}

/// A new overlapped-capable, non-inheritable, non-blocking socket for `addr`'s family.
pub(crate) fn new_socket(addr: &SocketAddr, kind: i32) -> io::Result<OwnedSocket> {
    init();
    let family = match addr {
        SocketAddr::V4(_) => AF_INET,
        SocketAddr::V6(_) => AF_INET6,
    };
    // SAFETY: no protocol info pointer; plain integer arguments.
    let raw = unsafe {
        WSASocketW(
            i32::from(family),
            kind,
            0,
            ptr::null(),
            0,
            WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT,
        )
    };
    if raw == INVALID_SOCKET {
        return Err(last_error());
    }
    // SAFETY: `raw` is a new socket nobody else owns; the guard closes it
    // on the error path below.
    let socket = unsafe { OwnedSocket::from_raw_socket(raw as RawSocket) };
    let mut nonblocking: u32 = 1;
    // SAFETY: valid socket and pointer to the mode value.
    if unsafe { ioctlsocket(raw, FIONBIO, &mut nonblocking) } == SOCKET_ERROR {
        return Err(last_error());
    }
    Ok(socket)
}

/// Storage for either kind of socket address, as Winsock expects it.
#[repr(C)]
pub(crate) union SockAddr {
    v4: SOCKADDR_IN,
    v6: SOCKADDR_IN6,
}

impl SockAddr {
    pub(crate) fn as_ptr(&self) -> *const SOCKADDR {
        (self as *const SockAddr).cast()
    }
}

/// `addr` in Winsock form, with its length.
pub(crate) fn socket_addr(addr: &SocketAddr) -> (SockAddr, i32) {
    match addr {
        SocketAddr::V4(a) => {
            let sin = SOCKADDR_IN {
                sin_family: AF_INET,
                sin_port: a.port().to_be(),
                sin_addr: IN_ADDR {
                    S_un: IN_ADDR_0 {
                        S_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                },
                sin_zero: [0; 8],
            };
            (SockAddr { v4: sin }, mem::size_of::<SOCKADDR_IN>() as i32)
        }
        SocketAddr::V6(a) => {
            let sin6 = SOCKADDR_IN6 {
                sin6_family: AF_INET6,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: IN6_ADDR {
                    u: IN6_ADDR_0 {
                        Byte: a.ip().octets(),
                    },
                },
                Anonymous: SOCKADDR_IN6_0 {
                    sin6_scope_id: a.scope_id(),
                },
            };
            (SockAddr { v6: sin6 }, mem::size_of::<SOCKADDR_IN6>() as i32)
        }
    }
}

/// The raw Winsock handle of a socket.
pub(crate) fn raw(socket: RawSocket) -> SOCKET {
    socket as SOCKET
}

/// Reads a socket address written by Winsock into `storage`.
pub(crate) fn to_socket_addr(storage: &SOCKADDR_STORAGE) -> io::Result<SocketAddr> {
    match storage.ss_family {
        AF_INET => {
            // SAFETY: the family says the storage holds a SOCKADDR_IN, and
            // SOCKADDR_STORAGE is large and aligned enough for it.
            let sin = unsafe { &*(storage as *const SOCKADDR_STORAGE).cast::<SOCKADDR_IN>() };
            // SAFETY: every member of the IN_ADDR union is plain bytes.
            let ip = Ipv4Addr::from(unsafe { sin.sin_addr.S_un.S_addr }.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        AF_INET6 => {
            // SAFETY: as above, for SOCKADDR_IN6.
            let sin6 = unsafe { &*(storage as *const SOCKADDR_STORAGE).cast::<SOCKADDR_IN6>() };
            // SAFETY: every member of these unions is plain data.
            let (ip, scope) = unsafe {
                (
                    Ipv6Addr::from(sin6.sin6_addr.u.Byte),
                    sin6.Anonymous.sin6_scope_id,
                )
            };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                scope,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "Windows: socket address of an unknown family",
        )),
    }
}
