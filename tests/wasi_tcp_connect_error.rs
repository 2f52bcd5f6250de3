//! A refused connect is reported as writable, and its error handed out once.
#![cfg(all(target_os = "wasi", feature = "os-poll", feature = "net"))]

use std::io::{ErrorKind, Write};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

#[test]
fn refused_connect_error_once() {
    // A port that was just free: bind, note it, close.
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        listener.local_addr().unwrap()
    };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        // Some hosts refuse at once.
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            return;
        }
    };
    poll.registry()
        .register(&mut stream, Token(1), Interest::WRITABLE)
        .unwrap();
    let mut writable = false;
    for _ in 0..50 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        if events
            .iter()
            .any(|e| e.token() == Token(1) && e.is_writable())
        {
            writable = true;
            break;
        }
    }
    assert!(writable, "the failed connect was never reported");
    // Asking for the peer settles the connect but keeps its error.
    assert_eq!(
        stream.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    let err = stream.take_error().unwrap().expect("the connect error");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert!(
        stream.take_error().unwrap().is_none(),
        "error handed out twice"
    );
    assert_eq!(
        stream.write(b"x").unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    assert_eq!(
        stream.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}
