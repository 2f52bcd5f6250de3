//! Non-blocking name lookup through `mio::wasi::NameResolver`.
#![cfg(all(
    target_os = "wasi",
    target_env = "p2",
    feature = "os-poll",
    feature = "net"
))]

use std::io::ErrorKind;
use std::net::IpAddr;
use std::time::Duration;

use mio::wasi::NameResolver;
use mio::{Events, Interest, Poll, Token};

fn resolve(poll: &mut Poll, name: &str) -> std::io::Result<Vec<IpAddr>> {
    let mut events = Events::with_capacity(4);
    let mut lookup = NameResolver::new(name)?;
    poll.registry()
        .register(&mut lookup, Token(3), Interest::READABLE)?;
    for _ in 0..100 {
        match lookup.addresses() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll.poll(&mut events, Some(Duration::from_millis(100)))?;
            }
            other => return other,
        }
    }
    panic!("lookup of {name} never finished");
}

#[test]
fn ip_literal_and_localhost() {
    let mut poll = Poll::new().unwrap();
    assert_eq!(
        resolve(&mut poll, "127.0.0.1").unwrap(),
        vec![IpAddr::from([127, 0, 0, 1])]
    );
    let addrs = resolve(&mut poll, "localhost").unwrap();
    assert!(addrs.iter().any(|a| a.is_loopback()), "{addrs:?}");
}

#[test]
fn answer_is_handed_out_once() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut lookup = NameResolver::new("127.0.0.1").unwrap();
    poll.registry()
        .register(&mut lookup, Token(0), Interest::READABLE)
        .unwrap();
    loop {
        match lookup.addresses() {
            Ok(addrs) => {
                assert_eq!(addrs.len(), 1);
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        lookup.addresses().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn invalid_name_is_an_error() {
    let mut poll = Poll::new().unwrap();
    let err = resolve(&mut poll, "not a host name!").unwrap_err();
    assert_ne!(err.kind(), ErrorKind::WouldBlock);
}
