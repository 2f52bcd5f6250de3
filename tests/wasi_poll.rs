//! Selector basics on WASI: timeouts, the waker, an empty poll.
#![cfg(all(target_os = "wasi", feature = "os-poll"))]

use std::time::{Duration, Instant};

use mio::{Events, Poll, Token, Waker};

#[test]
fn timeout_elapses_without_events() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Waker::new(poll.registry(), Token(9)).unwrap();
    let start = Instant::now();
    poll.poll(&mut events, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(events.is_empty());
    assert!(
        start.elapsed() >= Duration::from_millis(50),
        "returned before the timeout"
    );
    drop(waker);
}

#[test]
fn waker_event_is_reported_once() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Waker::new(poll.registry(), Token(7)).unwrap();
    waker.wake().unwrap();
    poll.poll(&mut events, None).unwrap();
    let tokens: Vec<_> = events
        .iter()
        .map(|e| (e.token(), e.is_readable()))
        .collect();
    assert_eq!(tokens, vec![(Token(7), true)]);
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    assert!(events.is_empty(), "waker reported twice: {events:?}");
}

#[test]
fn sub_millisecond_timeout_waits() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let _waker = Waker::new(poll.registry(), Token(1)).unwrap();
    let start = Instant::now();
    poll.poll(&mut events, Some(Duration::from_micros(300)))
        .unwrap();
    assert!(start.elapsed() >= Duration::from_micros(300));
}

#[test]
fn nothing_to_wait_for_is_an_error_not_a_hang() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let err = poll.poll(&mut events, None).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
