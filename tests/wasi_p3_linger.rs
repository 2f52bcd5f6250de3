//! WASI 0.3 backend: a TCP stream dropped while a write is in flight still
//! delivers every byte `write` accepted, then the end of stream.
#![cfg(all(target_os = "wasi", mio_wasip3, feature = "os-poll", feature = "net"))]

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const SERVER: Token = Token(1);
const CLIENT: Token = Token(2);

#[test]
fn bytes_written_before_drop_arrive() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .unwrap();
    let mut server = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(&mut events, Some(Duration::from_millis(10)))
                    .unwrap();
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    poll.registry()
        .register(&mut server, SERVER, Interest::WRITABLE)
        .unwrap();
    // Write until the stream pushes back; the last accepted write is then
    // still in flight.
    let chunk = [7u8; 64 * 1024];
    let mut written = 0;
    loop {
        match server.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    assert!(written > 0);
    drop(server);

    let mut received = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut eof = false;
    for _ in 0..1000 {
        loop {
            match client.read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => received += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        if eof {
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
    }
    assert!(eof, "no end of stream after the drop");
    assert_eq!(received, written, "bytes lost when the stream was dropped");
}
