//! `mio::unix::pipe` and `mio::unix::SourceFd`.

#![cfg(all(unix, feature = "os-poll", feature = "os-ext"))]

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::process::{Command, Stdio};

use mio::unix::pipe::{self, Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Interest, Token};

mod util;
use util::{
    assert_send, assert_sync, assert_would_block, expect_events, expect_no_event_for,
    expect_no_events, init_with_poll, read_available, read_exactly, ExpectEvent, Readiness,
};

const RX: Token = Token(1);
const TX: Token = Token(2);

fn is_nonblocking(fd: RawFd) -> bool {
    // SAFETY: fcntl on an open descriptor, integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "fcntl: {}", io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

#[test]
fn types_are_send_and_sync() {
    assert_send::<Sender>();
    assert_sync::<Sender>();
    assert_send::<Receiver>();
    assert_sync::<Receiver>();
}

#[test]
fn pipe_round_trip() {
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, mut receiver) = pipe::new().expect("pipe");
    assert!(is_nonblocking(sender.as_raw_fd()) && is_nonblocking(receiver.as_raw_fd()));
    assert!(format!("{sender:?}").contains("Sender"));
    assert!(format!("{receiver:?}").contains("Receiver"));
    poll.registry()
        .register(&mut receiver, RX, Interest::READABLE)
        .expect("register rx");
    poll.registry()
        .register(&mut sender, TX, Interest::WRITABLE)
        .expect("register tx");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(TX, Interest::WRITABLE)],
    );
    let mut buf = [0u8; 16];
    assert_would_block(receiver.read(&mut buf));

    sender.write_all(b"hello pipe").expect("write");
    sender.flush().expect("flush");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut receiver, RX, 10),
        b"hello pipe"
    );

    // Through shared references and vectored calls.
    let n = (&sender)
        .write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
        .expect("write_vectored");
    assert_eq!(n, 4);
    (&sender).flush().expect("flush");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Interest::READABLE)],
    );
    let mut x = [0u8; 2];
    let mut y = [0u8; 2];
    let n = (&receiver)
        .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
        .expect("read_vectored");
    assert_eq!(n, 4);
    assert_eq!((&x, &y), (b"ab", b"cd"));
    assert_would_block((&receiver).read(&mut buf));
    (&sender).write_all(b"!").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut &receiver, RX, 1),
        b"!"
    );
}

#[test]
fn pipe_edge_triggered() {
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, mut receiver) = pipe::new().expect("pipe");
    poll.registry()
        .register(&mut receiver, RX, Interest::READABLE)
        .expect("register");
    sender.write_all(&[1u8; 64]).expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Interest::READABLE)],
    );
    expect_no_event_for(&mut poll, &mut events, RX);
    let mut buf = [0u8; 8];
    assert_eq!(receiver.read(&mut buf).expect("read"), 8);
    expect_no_event_for(&mut poll, &mut events, RX);
    assert_eq!(read_available(&mut receiver).0.len(), 56);
    expect_no_event_for(&mut poll, &mut events, RX);
    sender.write_all(b"x").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Interest::READABLE)],
    );
}

#[test]
fn pipe_writable_after_full() {
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, mut receiver) = pipe::new().expect("pipe");
    poll.registry()
        .register(&mut sender, TX, Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(TX, Interest::WRITABLE)],
    );
    let chunk = [0u8; 4096];
    let mut written = 0;
    loop {
        match sender.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(written > 0);
    expect_no_event_for(&mut poll, &mut events, TX);
    let (data, _) = read_available(&mut receiver);
    assert_eq!(data.len(), written);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(TX, Interest::WRITABLE)],
    );
}

#[test]
fn sender_closed_reads_eof() {
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, mut receiver) = pipe::new().expect("pipe");
    poll.registry()
        .register(&mut receiver, RX, Interest::READABLE)
        .expect("register");
    sender.write_all(b"tail").expect("write");
    drop(sender);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Readiness::READ_CLOSED)],
    );
    let (data, eof) = read_available(&mut receiver);
    assert_eq!(data, b"tail");
    assert!(eof);
}

#[test]
fn receiver_closed_write_fails() {
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, receiver) = pipe::new().expect("pipe");
    poll.registry()
        .register(&mut sender, TX, Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(TX, Interest::WRITABLE)],
    );
    drop(receiver);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(TX, Readiness::WRITE_CLOSED)],
    );
    let err = sender.write(b"x").expect_err("write to a closed pipe");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err:?}");
}

#[test]
fn set_nonblocking_and_try_io() {
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, mut receiver) = pipe::new().expect("pipe");
    receiver.set_nonblocking(false).expect("blocking");
    assert!(!is_nonblocking(receiver.as_raw_fd()));
    receiver.set_nonblocking(true).expect("nonblocking");
    assert!(is_nonblocking(receiver.as_raw_fd()));
    sender.set_nonblocking(false).expect("blocking");
    assert!(!is_nonblocking(sender.as_raw_fd()));
    sender.set_nonblocking(true).expect("nonblocking");

    poll.registry()
        .register(&mut receiver, RX, Interest::READABLE)
        .expect("register");
    assert_eq!(sender.try_io(|| Ok(5)).expect("try_io"), 5);
    let fd = sender.as_raw_fd();
    let written = sender
        .try_io(|| {
            // SAFETY: writes from a valid buffer to an open descriptor.
            let n = unsafe { libc::write(fd, b"raw".as_ptr().cast(), 3) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .expect("raw write");
    assert_eq!(written, 3);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Interest::READABLE)],
    );
    let rfd = receiver.as_raw_fd();
    let mut buf = [0u8; 8];
    let raw_read = |buf: &mut [u8]| {
        // SAFETY: reads into a valid buffer from an open descriptor.
        let n = unsafe { libc::read(rfd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    };
    assert_eq!(receiver.try_io(|| raw_read(&mut buf)).expect("raw read"), 3);
    assert_eq!(&buf[..3], b"raw");
    // WouldBlock through try_io re-arms the receiver.
    assert_would_block(receiver.try_io(|| raw_read(&mut buf)));
    sender.write_all(b"next").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Interest::READABLE)],
    );
}

#[test]
fn fd_conversions() {
    let (sender, receiver) = pipe::new().expect("pipe");
    let (sfd, rfd) = (sender.as_raw_fd(), receiver.as_raw_fd());
    assert_eq!(sender.as_fd().as_raw_fd(), sfd);
    assert_eq!(receiver.as_fd().as_raw_fd(), rfd);
    let sender: OwnedFd = sender.into();
    let receiver: OwnedFd = receiver.into();
    let sender = Sender::from(sender);
    let receiver = Receiver::from(receiver);
    let (raw_s, raw_r) = (sender.into_raw_fd(), receiver.into_raw_fd());
    assert_eq!((raw_s, raw_r), (sfd, rfd));
    // SAFETY: both descriptors were just released by `into_raw_fd`.
    let (mut sender, mut receiver) =
        unsafe { (Sender::from_raw_fd(raw_s), Receiver::from_raw_fd(raw_r)) };
    let (mut poll, mut events) = init_with_poll();
    poll.registry()
        .register(&mut receiver, RX, Interest::READABLE)
        .expect("register");
    sender.write_all(b"conv").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut receiver, RX, 4),
        b"conv"
    );
}

#[test]
fn from_child_stdin_and_stdout() {
    let mut child = match Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            util::skip(
                "from_child_stdin_and_stdout",
                &format!("cannot run `cat`: {e}"),
            );
            return;
        }
    };
    let mut stdin = Sender::from(child.stdin.take().expect("stdin"));
    let mut stdout = Receiver::from(child.stdout.take().expect("stdout"));
    assert!(
        is_nonblocking(stdin.as_raw_fd()),
        "ChildStdin conversion must set O_NONBLOCK"
    );
    assert!(
        is_nonblocking(stdout.as_raw_fd()),
        "ChildStdout conversion must set O_NONBLOCK"
    );
    let (mut poll, mut events) = init_with_poll();
    poll.registry()
        .register(&mut stdout, RX, Interest::READABLE)
        .expect("register");
    poll.registry()
        .register(&mut stdin, TX, Interest::WRITABLE)
        .expect("register");
    let mut buf = [0u8; 8];
    assert_would_block(stdout.read(&mut buf));
    stdin.write_all(b"echo me").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut stdout, RX, 7),
        b"echo me"
    );
    drop(stdin); // cat sees EOF and exits
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(RX, Readiness::READ_CLOSED)],
    );
    assert!(read_available(&mut stdout).1);
    assert!(child.wait().expect("wait").success());
}

#[test]
fn from_child_stderr() {
    let mut child = match Command::new("sh")
        .arg("-c")
        .arg("read line; echo \"$line\" 1>&2")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            util::skip("from_child_stderr", &format!("cannot run `sh`: {e}"));
            return;
        }
    };
    let mut stdin = Sender::from(child.stdin.take().expect("stdin"));
    let mut stderr = Receiver::from(child.stderr.take().expect("stderr"));
    assert!(is_nonblocking(stderr.as_raw_fd()));
    let (mut poll, mut events) = init_with_poll();
    poll.registry()
        .register(&mut stderr, RX, Interest::READABLE)
        .expect("register");
    let mut buf = [0u8; 8];
    assert_would_block(stderr.read(&mut buf));
    stdin.write_all(b"oops\n").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut stderr, RX, 5),
        b"oops\n"
    );
    assert!(child.wait().expect("wait").success());
}

#[test]
fn source_fd_register_reregister_deregister() {
    let (mut poll, mut events) = init_with_poll();
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
    a.set_nonblocking(true).expect("nonblocking");
    b.set_nonblocking(true).expect("nonblocking");
    let fd = b.as_raw_fd();
    let mut source = SourceFd(&fd);
    assert!(format!("{source:?}").contains("SourceFd"));
    poll.registry()
        .register(&mut source, Token(5), Interest::READABLE)
        .expect("register");
    (&a).write_all(b"fd").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(5), Interest::READABLE)],
    );
    let mut buf = [0u8; 4];
    assert_eq!((&b).read(&mut buf).expect("read"), 2);

    poll.registry()
        .reregister(&mut SourceFd(&fd), Token(6), Interest::WRITABLE)
        .expect("reregister");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(6), Interest::WRITABLE)],
    );
    for e in &events {
        assert_ne!(e.token(), Token(5), "old token after reregister: {e:?}");
    }

    poll.registry()
        .deregister(&mut SourceFd(&fd))
        .expect("deregister");
    (&a).write_all(b"quiet").expect("write");
    expect_no_events(&mut poll, &mut events);

    // Raw descriptors are checked by the OS (or the selector): a second
    // register and operations on an unregistered descriptor fail.
    poll.registry()
        .register(&mut SourceFd(&fd), Token(7), Interest::READABLE)
        .expect("register");
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(8), Interest::READABLE)
        .expect_err("second register of the same fd");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err:?}");
    poll.registry()
        .deregister(&mut SourceFd(&fd))
        .expect("deregister");
    let err = poll
        .registry()
        .reregister(&mut SourceFd(&fd), Token(8), Interest::READABLE)
        .expect_err("reregister of an unregistered fd");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err:?}");
    let err = poll
        .registry()
        .deregister(&mut SourceFd(&fd))
        .expect_err("deregister twice");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err:?}");
}

#[test]
fn source_fd_invalid_descriptor() {
    let poll = mio::Poll::new().expect("poll");
    let fd: RawFd = -1;
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .expect_err("register of fd -1");
    assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err:?}");
}

#[test]
fn source_fd_of_pipe_with_rearm_by_reregister() {
    // A raw descriptor's reads bypass the crate, so (portably) the way to
    // re-arm it after an event is `reregister`.
    let (mut poll, mut events) = init_with_poll();
    let (mut sender, receiver) = pipe::new().expect("pipe");
    let fd = receiver.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), RX, Interest::READABLE)
        .expect("register");
    for round in 0..3u8 {
        sender.write_all(&[round]).expect("write");
        expect_events(
            &mut poll,
            &mut events,
            vec![ExpectEvent::new(RX, Interest::READABLE)],
        );
        let mut buf = [0u8; 4];
        assert_eq!((&receiver).read(&mut buf).expect("read"), 1);
        assert_eq!(buf[0], round);
        poll.registry()
            .reregister(&mut SourceFd(&fd), RX, Interest::READABLE)
            .expect("rearm");
    }
    poll.registry()
        .deregister(&mut SourceFd(&fd))
        .expect("deregister");
}

#[test]
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll)
))]
fn nested_epoll_through_as_raw_fd() {
    // The epoll descriptor of one Poll can be watched by another.
    let (mut outer, mut events) = init_with_poll();
    let inner = mio::Poll::new().expect("poll");
    let inner_fd = inner.as_raw_fd();
    assert_eq!(inner.registry().as_raw_fd(), inner_fd);
    assert_eq!(inner.registry().as_fd().as_raw_fd(), inner_fd);
    outer
        .registry()
        .register(&mut SourceFd(&inner_fd), Token(1), Interest::READABLE)
        .expect("register");
    expect_no_events(&mut outer, &mut events);
    let waker = mio::Waker::new(inner.registry(), Token(2)).expect("waker");
    waker.wake().expect("wake");
    expect_events(
        &mut outer,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
}
