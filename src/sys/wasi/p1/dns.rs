//! Name resolution through WasmEdge's `sock_getaddrinfo` (the `wasmedge`
//! feature): preview 1 itself has no resolver.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use super::host::{self, AddressFamily, ResolvedAddr};

/// Most addresses asked of the host per lookup.
const MAX_RESULTS: usize = 32;

/// Resolves `host` to socket addresses with port `port`, IPv4 and IPv6,
/// through the WasmEdge host's resolver (`getaddrinfo` on the machine
/// running WasmEdge). A literal IP address is returned as is, without
/// asking the host.
///
/// Blocks until the host's resolver answers; call it before entering the
/// event loop or accept the stall.
///
/// # Errors
///
/// `NotFound` when the name does not resolve; the host's other errors as
/// `Other` with the host's error code.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let addrs = mio::wasi::lookup_host("localhost", 8080)?;
/// let stream = mio::net::TcpStream::connect(addrs[0])?;
/// # drop(stream);
/// # Ok(())
/// # }
/// ```
pub fn lookup_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host.is_empty() || host.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "invalid host name",
        ));
    }
    let resolved = host::getaddrinfo(host, MAX_RESULTS).map_err(|errno| {
        // Preview-1 errnos stop at 76; WasmEdge numbers its getaddrinfo
        // (EAI_*) errors after them.
        if errno.0 <= 76 {
            host::error(errno)
        } else {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "failed to look up `{host}` (WasmEdge getaddrinfo error {})",
                    errno.0
                ),
            )
        }
    })?;
    let mut addrs: Vec<SocketAddr> = Vec::with_capacity(resolved.len());
    for entry in &resolved {
        if let Some(addr) = to_socket_addr(entry, port) {
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
    }
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{host}` has no IPv4 or IPv6 address"),
        ));
    }
    Ok(addrs)
}

/// `sa_data` as the host copies it from the C `sockaddr_in{,6}`: port, then
/// for IPv4 the address, for IPv6 flow info, address and scope id.
fn to_socket_addr(entry: &ResolvedAddr, port: u16) -> Option<SocketAddr> {
    let data = &entry.data[..entry.data_len];
    if entry.family == AddressFamily::INET4 && data.len() >= 6 {
        let ip = Ipv4Addr::new(data[2], data[3], data[4], data[5]);
        Some(SocketAddr::new(IpAddr::V4(ip), port))
    } else if entry.family == AddressFamily::INET6 && data.len() >= 22 {
        let mut ip = [0u8; 16];
        ip.copy_from_slice(&data[6..22]);
        let scope = if data.len() >= 26 {
            u32::from_ne_bytes([data[22], data[23], data[24], data[25]])
        } else {
            0
        };
        Some(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(ip),
            port,
            0,
            scope,
        )))
    } else {
        None
    }
}
