//! Unix domain sockets: `UnixListener`, `UnixStream` and `UnixDatagram`.

#![cfg(all(unix, feature = "os-poll", feature = "net"))]

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};

use mio::net::{UnixDatagram, UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token};

mod util;
use util::{
    assert_send, assert_sync, assert_would_block, expect_events, expect_no_event_for,
    expect_no_events, init_with_poll, pattern, read_available, read_exactly, temp_path,
    transfer_both_ways, ExpectEvent, Readiness,
};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// Connects through a listener on a fresh path; returns (client, server).
fn connected_pair(poll: &mut Poll, events: &mut Events) -> (UnixStream, UnixStream) {
    let path = temp_path("pair.sock");
    let mut listener = UnixListener::bind(&path).expect("bind");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let mut client = UnixStream::connect(&path).expect("connect");
    poll.registry()
        .register(&mut client, CLIENT, Interest::WRITABLE)
        .expect("register");
    expect_events(
        poll,
        events,
        vec![
            ExpectEvent::new(LISTENER, Interest::READABLE),
            ExpectEvent::new(CLIENT, Interest::WRITABLE),
        ],
    );
    let (server, addr) = listener.accept().expect("accept");
    assert!(addr.is_unnamed(), "client had no name: {addr:?}");
    assert_would_block(listener.accept());
    poll.registry().deregister(&mut client).expect("deregister");
    poll.registry()
        .deregister(&mut listener)
        .expect("deregister");
    std::fs::remove_file(&path).expect("remove socket file");
    (client, server)
}

#[test]
fn types_are_send_and_sync() {
    assert_send::<UnixListener>();
    assert_sync::<UnixListener>();
    assert_send::<UnixStream>();
    assert_sync::<UnixStream>();
    assert_send::<UnixDatagram>();
    assert_sync::<UnixDatagram>();
}

#[test]
fn listener_methods() {
    let (mut poll, mut events) = init_with_poll();
    let path = temp_path("listener.sock");
    let mut listener = UnixListener::bind(&path).expect("bind");
    assert_eq!(
        listener.local_addr().expect("addr").as_pathname(),
        Some(path.as_path())
    );
    assert!(listener.take_error().expect("take_error").is_none());
    assert!(
        format!("{listener:?}").contains("UnixListener"),
        "{listener:?}"
    );
    assert_would_block(listener.accept());
    // Binding the same path again fails.
    let err = UnixListener::bind(&path).expect_err("bind twice");
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err:?}");

    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    expect_no_events(&mut poll, &mut events);
    let _c1 = UnixStream::connect(&path).expect("connect");
    let _c2 = std::os::unix::net::UnixStream::connect(&path).expect("std connect");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
    );
    let mut n = 0;
    while n < 2 {
        match listener.accept() {
            Ok(_) => n += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                expect_events(
                    &mut poll,
                    &mut events,
                    vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
                );
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    assert_would_block(listener.accept());
    std::fs::remove_file(&path).expect("remove");
}

#[test]
fn listener_bind_addr_and_from_std() {
    let (mut poll, mut events) = init_with_poll();
    let path = temp_path("bind_addr.sock");
    let addr = std::os::unix::net::SocketAddr::from_pathname(&path).expect("addr");
    let mut listener = UnixListener::bind_addr(&addr).expect("bind_addr");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let local = listener.local_addr().expect("local_addr");
    let mut client = UnixStream::connect_addr(&local).expect("connect_addr");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
    );
    let (mut server, _) = listener.accept().expect("accept");
    assert_eq!(
        client.peer_addr().expect("peer").as_pathname(),
        Some(path.as_path())
    );
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    client.write_all(b"addr").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut server, SERVER, 4),
        b"addr"
    );
    std::fs::remove_file(&path).expect("remove");

    let path = temp_path("from_std.sock");
    let std_listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let mut listener = UnixListener::from_std(std_listener);
    poll.registry()
        .register(&mut listener, Token(5), Interest::READABLE)
        .expect("register");
    let _c = UnixStream::connect(&path).expect("connect");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(5), Interest::READABLE)],
    );
    listener.accept().expect("accept");
    std::fs::remove_file(&path).expect("remove");
}

#[test]
#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_addresses() {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    let (mut poll, mut events) = init_with_poll();
    let name = format!("mio-test-abstract-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
    let mut listener = UnixListener::bind_addr(&addr).expect("bind_addr abstract");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let mut client = UnixStream::connect_addr(&addr).expect("connect_addr abstract");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Interest::READABLE)],
    );
    let (mut server, _) = listener.accept().expect("accept");
    assert_eq!(
        client.peer_addr().expect("peer").as_abstract_name(),
        Some(name.as_bytes())
    );
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .expect("register");
    client.write_all(b"abs").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut server, SERVER, 3),
        b"abs"
    );

    // An unnamed address cannot be connected to.
    let (a, _b) = UnixStream::pair().expect("pair");
    let unnamed = a.local_addr().expect("addr");
    assert!(unnamed.is_unnamed());
    let err = UnixStream::connect_addr(&unnamed).expect_err("connect to unnamed");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err:?}");

    // Datagram sockets with abstract names.
    let dname = format!("mio-test-abstract-dgram-{}", std::process::id());
    let daddr = std::os::unix::net::SocketAddr::from_abstract_name(dname.as_bytes()).expect("addr");
    let mut d = UnixDatagram::bind_addr(&daddr).expect("bind_addr dgram");
    poll.registry()
        .register(&mut d, Token(9), Interest::READABLE)
        .expect("register");
    let sender = std::os::unix::net::UnixDatagram::unbound().expect("unbound");
    sender.send_to_addr(b"hi", &daddr).expect("send_to_addr");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(9), Interest::READABLE)],
    );
    let mut buf = [0u8; 4];
    assert_eq!(d.recv(&mut buf).expect("recv"), 2);
}

#[test]
fn connect_to_missing_path_fails() {
    let path = temp_path("missing.sock");
    let err = UnixStream::connect(&path).expect_err("connect to a missing path");
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err:?}");
    let long = std::path::PathBuf::from("/".repeat(200) + &"x".repeat(200));
    let err = UnixStream::connect(&long).expect_err("connect to an over-long path");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err:?}");
}

#[test]
fn stream_methods() {
    let (mut poll, mut events) = init_with_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);
    assert!(client.local_addr().expect("addr").is_unnamed());
    assert!(client.peer_addr().expect("peer").as_pathname().is_some());
    assert!(client.take_error().expect("take_error").is_none());
    assert!(format!("{client:?}").contains("UnixStream"), "{client:?}");

    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::WRITABLE)],
    );
    let mut buf = [0u8; 8];
    assert_would_block(server.read(&mut buf));

    (&client).write_all(b"ref").expect("write");
    (&client).flush().expect("flush");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut &server, SERVER, 3),
        b"ref"
    );

    let n = client
        .write_vectored(&[IoSlice::new(b"ve"), IoSlice::new(b"ct")])
        .expect("write_vectored");
    assert_eq!(n, 4);
    client.flush().expect("flush");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    let mut x = [0u8; 2];
    let mut y = [0u8; 2];
    let n = server
        .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
        .expect("read_vectored");
    assert_eq!(n, 4);
    assert_eq!((&x, &y), (b"ve", b"ct"));
    // Drained: re-armed for the next edge.
    assert_would_block(server.read(&mut buf));

    assert_eq!(client.try_io(|| Ok(1)).expect("try_io"), 1);
    client.write_all(b"t").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    let mut one = [0u8; 1];
    let n = server
        .try_io(|| (&server).read(&mut one))
        .expect("read via try_io");
    assert_eq!(n, 1);
    assert_would_block(server.try_io(|| (&server).read(&mut one)));
}

#[test]
fn stream_pair_and_from_std() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .expect("register");
    a.write_all(b"paired").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut b, SERVER, 6),
        b"paired"
    );

    let (s1, s2) = std::os::unix::net::UnixStream::pair().expect("std pair");
    s1.set_nonblocking(true).expect("nonblocking");
    let mut s1 = UnixStream::from_std(s1);
    poll.registry()
        .register(&mut s1, Token(7), Interest::READABLE)
        .expect("register");
    (&s2).write_all(b"std").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut s1, Token(7), 3),
        b"std"
    );
}

#[test]
fn stream_shutdown_and_close() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .expect("register");
    poll.registry()
        .register(&mut a, CLIENT, Interest::READABLE)
        .expect("register");
    a.write_all(b"end").expect("write");
    a.shutdown(Shutdown::Write).expect("shutdown");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(
            SERVER,
            Readiness::READABLE | Readiness::READ_CLOSED,
        )],
    );
    let (data, eof) = read_available(&mut b);
    assert_eq!(data, b"end");
    assert!(eof);
    let err = a.write(b"x").expect_err("write after shutdown");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err:?}");
    // Other direction still open; then close b entirely.
    b.write_all(b"ok").expect("write");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &mut a, CLIENT, 2),
        b"ok"
    );
    drop(b);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::READ_CLOSED)],
    );
    assert!(read_available(&mut a).1);

    let (c, _d) = UnixStream::pair().expect("pair");
    c.shutdown(Shutdown::Both).expect("shutdown both");
    c.shutdown(Shutdown::Read).expect("shutdown read again");
}

#[test]
fn stream_large_transfer_both_ways() {
    const SIZE: usize = 16 * 1024 * 1024;
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    transfer_both_ways(&mut a, &mut b, &pattern(SIZE, 3), &pattern(SIZE, 4));
}

#[test]
fn stream_edge_triggered() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .expect("register");
    a.write_all(&[9u8; 50]).expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
    expect_no_event_for(&mut poll, &mut events, SERVER);
    let mut buf = [0u8; 10];
    assert_eq!(b.read(&mut buf).expect("read"), 10);
    expect_no_event_for(&mut poll, &mut events, SERVER);
    assert_eq!(read_available(&mut b).0.len(), 40);
    expect_no_event_for(&mut poll, &mut events, SERVER);
    a.write_all(b"more").expect("write");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Interest::READABLE)],
    );
}

#[test]
fn datagram_bind_connect_send_recv() {
    let (mut poll, mut events) = init_with_poll();
    let path_a = temp_path("dgram_a.sock");
    let path_b = temp_path("dgram_b.sock");
    let mut a = UnixDatagram::bind(&path_a).expect("bind a");
    let mut b = UnixDatagram::bind(&path_b).expect("bind b");
    assert_eq!(
        a.local_addr().expect("addr").as_pathname(),
        Some(path_a.as_path())
    );
    assert!(format!("{a:?}").contains("UnixDatagram"), "{a:?}");
    assert!(a.take_error().expect("take_error").is_none());
    let err = a.peer_addr().expect_err("peer_addr unconnected");
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err:?}");
    poll.registry()
        .register(&mut a, Token(1), Interest::READABLE)
        .expect("register");
    poll.registry()
        .register(&mut b, Token(2), Interest::READABLE)
        .expect("register");

    let mut buf = [0u8; 32];
    assert_would_block(a.recv(&mut buf));
    assert_would_block(a.recv_from(&mut buf));

    assert_eq!(b.send_to(b"to a", &path_a).expect("send_to"), 4);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
    let (n, from) = a.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"to a");
    assert_eq!(from.as_pathname(), Some(path_b.as_path()));
    assert_would_block(a.recv_from(&mut buf));

    a.connect(&path_b).expect("connect");
    assert_eq!(
        a.peer_addr().expect("peer").as_pathname(),
        Some(path_b.as_path())
    );
    assert_eq!(a.send(b"conn").expect("send"), 4);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::READABLE)],
    );
    let n = b.recv(&mut buf).expect("recv");
    assert_eq!(&buf[..n], b"conn");

    assert_eq!(a.try_io(|| Ok(2)).expect("try_io"), 2);
    assert_would_block(b.try_io(|| b.recv(&mut buf)));

    a.shutdown(Shutdown::Write).expect("shutdown");
    assert!(a.send(b"after").is_err(), "send after shutdown must fail");
    std::fs::remove_file(&path_a).expect("remove");
    std::fs::remove_file(&path_b).expect("remove");
}

#[test]
fn datagram_unbound_pair_bind_addr_from_std() {
    let (mut poll, mut events) = init_with_poll();
    let path = temp_path("dgram_target.sock");
    let target_addr = std::os::unix::net::SocketAddr::from_pathname(&path).expect("addr");
    let mut target = UnixDatagram::bind_addr(&target_addr).expect("bind_addr");
    poll.registry()
        .register(&mut target, Token(1), Interest::READABLE)
        .expect("register");

    let unbound = UnixDatagram::unbound().expect("unbound");
    assert!(unbound.local_addr().expect("addr").is_unnamed());
    unbound
        .send_to(b"anon", &path)
        .expect("send_to from unbound");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
    let mut buf = [0u8; 16];
    let (n, from) = target.recv_from(&mut buf).expect("recv_from");
    assert_eq!(&buf[..n], b"anon");
    assert!(from.is_unnamed());

    let (mut x, y) = UnixDatagram::pair().expect("pair");
    poll.registry()
        .register(&mut x, Token(2), Interest::READABLE)
        .expect("register");
    y.send(b"pair").expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::READABLE)],
    );
    assert_eq!(x.recv(&mut buf).expect("recv"), 4);
    assert!(y.peer_addr().expect("peer").is_unnamed());

    let (s1, s2) = std::os::unix::net::UnixDatagram::pair().expect("std pair");
    s1.set_nonblocking(true).expect("nonblocking");
    let mut s1 = UnixDatagram::from_std(s1);
    poll.registry()
        .register(&mut s1, Token(3), Interest::READABLE)
        .expect("register");
    s2.send(b"std").expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(3), Interest::READABLE)],
    );
    assert_eq!(s1.recv(&mut buf).expect("recv"), 3);
    std::fs::remove_file(&path).expect("remove");
}

#[test]
fn datagram_edge_triggered_and_writable() {
    let (mut poll, mut events) = init_with_poll();
    let (mut a, b) = UnixDatagram::pair().expect("pair");
    poll.registry()
        .register(&mut a, Token(1), Interest::READABLE | Interest::WRITABLE)
        .expect("register");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::WRITABLE)],
    );
    b.send(b"1").expect("send");
    b.send(b"2").expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
    expect_no_event_for(&mut poll, &mut events, Token(1));
    let mut buf = [0u8; 4];
    a.recv(&mut buf).expect("recv");
    expect_no_event_for(&mut poll, &mut events, Token(1));
    a.recv(&mut buf).expect("recv");
    assert_would_block(a.recv(&mut buf));
    b.send(b"3").expect("send");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
}

#[test]
fn fd_conversions() {
    let (a, b) = UnixStream::pair().expect("pair");
    let fd = a.as_raw_fd();
    assert_eq!(a.as_fd().as_raw_fd(), fd);
    let raw = a.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd`.
    let a = unsafe { UnixStream::from_raw_fd(raw) };
    let owned: OwnedFd = a.into();
    let a = UnixStream::from(owned);
    let std_a: std::os::unix::net::UnixStream = a.into();
    drop((std_a, b));

    let path = temp_path("conv.sock");
    let l = UnixListener::bind(&path).expect("bind");
    let raw = l.into_raw_fd();
    // SAFETY: as above.
    let l = unsafe { UnixListener::from_raw_fd(raw) };
    let owned: OwnedFd = l.into();
    let l = UnixListener::from(owned);
    let std_l: std::os::unix::net::UnixListener = l.into();
    assert_eq!(
        std_l.local_addr().expect("addr").as_pathname(),
        Some(path.as_path())
    );
    std::fs::remove_file(&path).expect("remove");

    let (d, _e) = UnixDatagram::pair().expect("pair");
    let raw = d.into_raw_fd();
    // SAFETY: as above.
    let d = unsafe { UnixDatagram::from_raw_fd(raw) };
    let owned: OwnedFd = d.into();
    let d = UnixDatagram::from(owned);
    let _std_d: std::os::unix::net::UnixDatagram = d.into();
}
