//! The shim must expose mio's paths, and they must name mio_wasi's own
//! items (not copies), so both crates' types mix in one program.

#![cfg(all(feature = "os-poll", feature = "net"))]

use std::io;
use std::time::Duration;

use mio::event::Source;
use mio::net::{TcpListener, UdpSocket};
use mio::{Events, Poll, Token};

/// Accepts only mio_wasi's `Registry`: compiles only if the shim's
/// `Registry` is that very type.
fn register_with_core<S: mio_wasi::event::Source + ?Sized>(
    registry: &mio_wasi::Registry,
    source: &mut S,
    token: mio_wasi::Token,
) -> io::Result<()> {
    registry.register(source, token, mio_wasi::Interest::READABLE)
}

#[test]
fn shim_paths_are_the_core_items() -> io::Result<()> {
    let mut poll: mio_wasi::Poll = Poll::new()?;
    let mut events: mio_wasi::Events = Events::with_capacity(8);
    let mut listener: mio_wasi::net::TcpListener =
        TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    register_with_core(poll.registry(), &mut listener, Token(1))?;

    let client = std::net::TcpStream::connect(listener.local_addr()?)?;
    poll.poll(&mut events, Some(Duration::from_secs(10)))?;
    assert!(
        events
            .iter()
            .any(|e| e.token() == Token(1) && e.is_readable()),
        "no readable event for the listener"
    );
    let (_server, peer) = listener.accept()?;
    assert_eq!(peer, client.local_addr()?);

    // `Source` from the shim is the core's trait: a UDP socket registers
    // through it as a trait object.
    let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    let source: &mut dyn Source = &mut socket;
    register_with_core(poll.registry(), source, Token(2))?;
    Ok(())
}

#[cfg(all(unix, feature = "os-ext"))]
#[test]
fn unix_paths() -> io::Result<()> {
    use std::io::Write;
    use std::os::fd::AsRawFd;

    use mio::Interest;

    let (mut sender, receiver): (mio_wasi::unix::pipe::Sender, mio_wasi::unix::pipe::Receiver) =
        mio::unix::pipe::new()?;
    let mut poll = Poll::new()?;
    let fd = receiver.as_raw_fd();
    poll.registry()
        .register(&mut mio::unix::SourceFd(&fd), Token(0), Interest::READABLE)?;
    sender.write_all(b"p")?;
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_secs(10)))?;
    assert!(events
        .iter()
        .any(|e| e.token() == Token(0) && e.is_readable()));
    let (_a, _b): (mio_wasi::net::UnixStream, _) = mio::net::UnixStream::pair()?;
    Ok(())
}

#[cfg(all(windows, feature = "os-ext"))]
#[test]
fn windows_paths() {
    let _: Option<mio::windows::NamedPipe> = None::<mio_wasi::windows::NamedPipe>;
}

/// The marker programs refer to so that a build on upstream mio fails.
#[test]
fn names_itself() {
    assert!(mio::MIO_WASI.starts_with("mio_wasi (mio 1.2.99"));
}
