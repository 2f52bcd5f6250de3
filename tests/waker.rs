//! `Waker`: wake-ups from other threads, coalescing, and the
//! one-waker-per-`Poll` rule.

#![cfg(feature = "os-poll")]
#![cfg_attr(target_os = "wasi", allow(unused_imports))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token, Waker};

mod util;
use util::{expect_events, expect_no_events, init_with_poll, ExpectEvent, Readiness};

const WAKE: Token = Token(10);

fn waker_events(events: &Events) -> usize {
    events
        .iter()
        .filter(|e| {
            assert_eq!(e.token(), WAKE, "unexpected event {e:?}");
            assert!(e.is_readable(), "a wake-up is a readable event: {e:?}");
            assert!(!e.is_writable() && !e.is_error(), "{e:?}");
            true
        })
        .count()
}

#[test]
fn wake_same_thread() {
    let (mut poll, mut events) = init_with_poll();
    let waker = Waker::new(poll.registry(), WAKE).expect("waker");
    assert!(format!("{waker:?}").contains("Waker"));
    waker.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(WAKE, Readiness::READABLE)],
    );
    // Consumed: no further event until the next wake.
    expect_no_events(&mut poll, &mut events);
    waker.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(WAKE, Readiness::READABLE)],
    );
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn wake_before_poll_is_not_lost() {
    let (mut poll, mut events) = init_with_poll();
    let waker = Waker::new(poll.registry(), WAKE).expect("waker");
    waker.wake().expect("wake");
    thread::sleep(Duration::from_millis(10));
    poll.poll(&mut events, None).expect("poll");
    assert_eq!(waker_events(&events), 1);
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
fn wake_unblocks_poll_without_timeout() {
    let (mut poll, mut events) = init_with_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).expect("waker"));
    let remote = Arc::clone(&waker);
    let handle = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        remote.wake().expect("wake");
    });
    // `None`: only the wake-up can end this call.
    poll.poll(&mut events, None).expect("poll");
    assert_eq!(waker_events(&events), 1);
    handle.join().expect("thread");
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
fn many_wakes_coalesce_into_one_event() {
    let (mut poll, mut events) = init_with_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).expect("waker"));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let waker = Arc::clone(&waker);
            thread::spawn(move || {
                for _ in 0..100 {
                    waker.wake().expect("wake");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    for _ in 0..10 {
        waker.wake().expect("wake");
    }
    // 810 wakes before one poll: exactly one event.
    poll.poll(&mut events, Some(util::EVENT_DEADLINE))
        .expect("poll");
    assert_eq!(waker_events(&events), 1);
    expect_no_events(&mut poll, &mut events);
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
fn wake_from_eight_threads_no_lost_wake() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 50;
    let (mut poll, mut events) = init_with_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).expect("waker"));
    let arrived = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS + 1));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let waker = Arc::clone(&waker);
            let arrived = Arc::clone(&arrived);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                for _ in 0..ROUNDS {
                    start.wait();
                    // Publish, then wake: the poller must see the bit after
                    // the wake-up it causes.
                    arrived.fetch_or(1 << i, Ordering::SeqCst);
                    waker.wake().expect("wake");
                }
            })
        })
        .collect();
    let all = (1usize << THREADS) - 1;
    for round in 0..ROUNDS {
        arrived.store(0, Ordering::SeqCst);
        start.wait();
        let deadline = Instant::now() + util::EVENT_DEADLINE;
        while arrived.load(Ordering::SeqCst) != all {
            // Some thread has yet to publish and wake: the poll must return.
            poll.poll(&mut events, Some(util::EVENT_DEADLINE))
                .expect("poll");
            assert!(
                Instant::now() < deadline,
                "round {round}: lost wake-up, arrived {:#b}",
                arrived.load(Ordering::SeqCst)
            );
            assert!(
                !events.is_empty(),
                "round {round}: lost wake-up, arrived {:#b}",
                arrived.load(Ordering::SeqCst)
            );
            assert!(waker_events(&events) <= 1, "one event per poll at most");
        }
    }
    for h in handles {
        h.join().expect("thread");
    }
}

#[test]
#[cfg(all(debug_assertions, not(target_os = "wasi")))] // wasm aborts on panic
#[should_panic(expected = "Only a single `Waker` can be active per `Poll` instance")]
fn second_waker_panics() {
    let poll = Poll::new().expect("poll");
    let _first = Waker::new(poll.registry(), Token(1)).expect("waker");
    let _second = Waker::new(poll.registry(), Token(2));
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
#[cfg(debug_assertions)]
fn second_waker_through_cloned_registry_panics() {
    let poll = Poll::new().expect("poll");
    let _first = Waker::new(poll.registry(), Token(1)).expect("waker");
    let clone = poll.registry().try_clone().expect("clone");
    let result = std::panic::catch_unwind(move || {
        let _second = Waker::new(&clone, Token(2));
    });
    let payload = result.expect_err("second waker must panic");
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .expect("panic message");
    assert!(
        message.contains("Only a single `Waker` can be active per `Poll` instance"),
        "{message}"
    );
}

#[test]
fn dropping_waker_allows_a_new_one() {
    let (mut poll, mut events) = init_with_poll();
    let first = Waker::new(poll.registry(), Token(1)).expect("waker");
    first.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Readiness::READABLE)],
    );
    drop(first);
    let second = Waker::new(poll.registry(), Token(2)).expect("second waker after drop");
    second.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Readiness::READABLE)],
    );
    for event in &events {
        assert_ne!(
            event.token(),
            Token(1),
            "dropped waker's token reported: {event:?}"
        );
    }
    drop(second);
    let third = Waker::new(poll.registry(), Token(3)).expect("third waker after drop");
    third.wake().expect("wake");
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(3), Readiness::READABLE)],
    );
}

#[test]
fn wakers_of_different_polls_are_independent() {
    let (mut poll1, mut events1) = init_with_poll();
    let (mut poll2, mut events2) = init_with_poll();
    let waker1 = Waker::new(poll1.registry(), Token(1)).expect("waker");
    let _waker2 = Waker::new(poll2.registry(), Token(2)).expect("waker");
    waker1.wake().expect("wake");
    expect_events(
        &mut poll1,
        &mut events1,
        vec![ExpectEvent::new(Token(1), Readiness::READABLE)],
    );
    expect_no_events(&mut poll2, &mut events2);
}

#[test]
fn waker_is_send_and_sync() {
    util::assert_send::<Waker>();
    util::assert_sync::<Waker>();
}

#[test]
#[cfg(target_os = "wasi")]
fn threaded_and_panicking_waker_tests_skipped() {
    util::skip(
        "waker cross-thread and panic tests",
        "WASI has no threads and aborts on panic",
    );
}
