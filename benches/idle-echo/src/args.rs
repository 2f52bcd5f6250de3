//! The address argument every server of this benchmark takes.

use std::io;
use std::str::FromStr;

/// The first command-line argument as an address (`127.0.0.1:0` when it
/// is missing).
pub fn listen_addr<A: FromStr>() -> io::Result<A> {
    std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string())
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad address"))
}
