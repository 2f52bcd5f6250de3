//! Descriptor hygiene: creating and dropping polls, wakers and sockets must
//! not leak descriptors, and registering a closed descriptor must fail.
//!
//! Its own test binary, and every test here holds `SERIAL`, because
//! counting the open descriptors of the process only works while nothing
//! else opens or closes any.

#![cfg(all(unix, feature = "os-poll", feature = "net", feature = "os-ext"))]

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Mutex;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use mio::unix::{pipe, SourceFd};
use mio::{Events, Interest, Poll, Token, Waker};

mod util;
use util::{any_local_address, expect_events, temp_path, ExpectEvent};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The number of open descriptors, or `None` where it cannot be counted.
fn open_fds() -> Option<usize> {
    for dir in ["/proc/self/fd", "/dev/fd"] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            // The directory handle itself is counted while listing: subtract it.
            return Some(entries.count() - 1);
        }
    }
    None
}

/// One full cycle: a poll with a waker and a cloned registry, and every
/// kind of source registered, used, and dropped.
fn cycle() {
    let (mut poll, mut events) = util::init_with_poll();
    let registry = poll.registry().try_clone().expect("clone registry");
    let waker = Waker::new(&registry, Token(100)).expect("waker");

    let mut listener = TcpListener::bind(any_local_address()).expect("bind");
    registry
        .register(&mut listener, Token(0), Interest::READABLE)
        .expect("register");
    let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    registry
        .register(
            &mut client,
            Token(1),
            Interest::READABLE | Interest::WRITABLE,
        )
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(0), Interest::READABLE)],
    );
    let (mut server, _) = listener.accept().expect("accept");
    registry
        .register(&mut server, Token(2), Interest::READABLE)
        .expect("register");
    client.write_all(b"x").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::READABLE)],
    );
    let mut buf = [0u8; 4];
    assert_eq!(server.read(&mut buf).expect("read"), 1);

    let mut udp = UdpSocket::bind(any_local_address()).expect("udp");
    registry
        .register(&mut udp, Token(3), Interest::READABLE)
        .expect("register");

    let (mut ua, ub) = UnixStream::pair().expect("pair");
    registry
        .register(&mut ua, Token(4), Interest::READABLE)
        .expect("register");
    let path = temp_path("leak.sock");
    let mut ul = UnixListener::bind(&path).expect("bind");
    registry
        .register(&mut ul, Token(5), Interest::READABLE)
        .expect("register");
    let uc = UnixStream::connect(&path).expect("connect");
    let (mut ud, _ud2) = UnixDatagram::pair().expect("dgram pair");
    registry
        .register(&mut ud, Token(6), Interest::READABLE)
        .expect("register");
    let unbound = UnixDatagram::unbound().expect("unbound");

    let (mut tx, mut rx) = pipe::new().expect("pipe");
    registry
        .register(&mut rx, Token(7), Interest::READABLE)
        .expect("register");
    registry
        .register(&mut tx, Token(8), Interest::WRITABLE)
        .expect("register");
    let raw = ub.as_raw_fd();
    registry
        .register(&mut SourceFd(&raw), Token(9), Interest::WRITABLE)
        .expect("register");

    waker.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(100), Interest::READABLE)],
    );
    registry
        .deregister(&mut SourceFd(&raw))
        .expect("deregister");
    registry.deregister(&mut udp).expect("deregister");

    // Drop sources partly before and partly after the poll.
    drop((listener, client, udp, ua, uc, unbound));
    drop(poll);
    drop((server, ul, ud, tx, rx, ub));
    drop((waker, registry, events));
    std::fs::remove_file(&path).expect("remove");
}

#[test]
fn no_descriptor_leaks() {
    let _guard = serial();
    let Some(_) = open_fds() else {
        util::skip(
            "no_descriptor_leaks",
            "cannot list the open descriptors on this system",
        );
        return;
    };
    // Warm up: lazily initialised process state may open descriptors once.
    cycle();
    let before = open_fds().expect("count");
    for _ in 0..20 {
        cycle();
    }
    // Polls alone, and polls with a waker, created and dropped repeatedly.
    for _ in 0..100 {
        let poll = Poll::new().expect("poll");
        let waker = Waker::new(poll.registry(), Token(0)).expect("waker");
        waker.wake().expect("wake");
        let clone = poll.registry().try_clone().expect("clone");
        drop(poll);
        drop(clone);
        drop(waker);
    }
    // A poll that is dropped while sources are still registered.
    for _ in 0..20 {
        let mut poll = Poll::new().expect("poll");
        let (mut a, b) = UnixStream::pair().expect("pair");
        poll.registry()
            .register(&mut a, Token(1), Interest::READABLE)
            .expect("register");
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
        drop(poll);
        drop((a, b));
    }
    let after = open_fds().expect("count");
    assert_eq!(
        before, after,
        "descriptors leaked: {before} open before, {after} after"
    );
}

/// A descriptor number that is certainly closed: a duplicate placed far
/// above what the other tests of this binary use, then closed.
fn closed_fd() -> RawFd {
    let (a, _b) = UnixStream::pair().expect("pair");
    // SAFETY: fcntl on an open descriptor, integer arguments only.
    let fd = unsafe { libc::fcntl(a.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 900) };
    assert!(fd >= 900, "F_DUPFD: {}", io::Error::last_os_error());
    // SAFETY: `fd` is our own duplicate, closed exactly once.
    assert_eq!(unsafe { libc::close(fd) }, 0);
    fd
}

#[test]
fn register_closed_descriptor_fails() {
    let _guard = serial();
    let poll = Poll::new().expect("poll");
    let fd = closed_fd();
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .expect_err("registering a closed descriptor must fail");
    assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err:?}");
    // Nothing was registered.
    let err = poll
        .registry()
        .deregister(&mut SourceFd(&fd))
        .expect_err("a failed register must leave nothing behind");
    assert!(
        err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(libc::EBADF),
        "{err:?}"
    );
    let err = poll
        .registry()
        .reregister(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .expect_err("reregister of a closed descriptor");
    assert!(
        err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(libc::EBADF),
        "{err:?}"
    );
}

#[test]
fn poll_with_waker_on_closed_registrations_still_works() {
    let _guard = serial();
    // A source closed without deregistering must not break the poll.
    let (mut poll, mut events) = util::init_with_poll();
    let (a, b) = UnixStream::pair().expect("pair");
    let fd = a.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .expect("register");
    // Deregister before closing, as SourceFd requires.
    poll.registry()
        .deregister(&mut SourceFd(&fd))
        .expect("deregister");
    drop((a, b));
    let waker = Waker::new(poll.registry(), Token(2)).expect("waker");
    waker.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::READABLE)],
    );
}

#[test]
fn descriptor_closed_while_registered() {
    let _guard = serial();
    // Closing a raw descriptor without deregistering it is a caller error,
    // but it must not make `poll` fail or spin.
    let (mut poll, mut events) = util::init_with_poll();
    let (a, b) = UnixStream::pair().expect("pair");
    let fd = b.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .expect("register");
    drop(b);
    let waker = Waker::new(poll.registry(), Token(2)).expect("waker");
    waker.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::READABLE)],
    );
    // Whatever was reported for the dead descriptor, it is reported at
    // most once: the next polls are quiet.
    for _ in 0..3 {
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .expect("poll");
        assert!(
            events.is_empty(),
            "events after the descriptor was reported dead: {events:?}"
        );
    }
    drop(a);
}
