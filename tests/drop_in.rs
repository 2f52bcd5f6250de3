//! Edge behaviour a drop-in replacement for mio must share with it: a
//! signal during `poll`, an `Events` buffer without room, two `Waker`s on
//! one `Poll`, one source offered to two `Poll`s.
//!
//! The scenarios are written once and instantiated for this crate (`ours`)
//! and, on Unix, for upstream mio 1.2.5 (`upstream`), so a difference shows
//! up as a test that fails on one side only. Both sides use the selector the
//! build picked (`--cfg mio_unsupported_force_poll_poll` forces poll(2) in
//! both crates).
//!
//! Some misuse is caught by debug-build checks before it reaches the
//! backend (a second `Waker` panics; a second `Poll` is refused by the
//! portable layer), so the backend's own handling only runs in release
//! builds: those tests are compiled for release only, and the test scripts
//! run this file with `--release` too.

#![cfg(all(feature = "os-poll", feature = "net"))]

/// Serialises the tests of this binary: the descriptor-reuse test needs
/// no other thread to open descriptors while it runs.
#[cfg(unix)]
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(unix)]
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(not(unix))]
fn serial() {}

macro_rules! scenarios {
    ($name:ident, $krate:path) => {
        mod $name {
            #![allow(unused_imports)]

            use std::io::{self, Read, Write};
            use std::time::{Duration, Instant};

            use $krate as mio;

            use mio::net::{TcpListener, TcpStream};
            use mio::{Events, Interest, Poll, Token, Waker};

            use super::serial;

            const DEADLINE: Duration = Duration::from_secs(10);

            /// A connected pair (client, accepted side), not registered.
            /// Made with the crate's own sockets: converting from std's is
            /// not available on every WASI build.
            fn tcp_pair() -> (TcpStream, TcpStream) {
                let mut poll = Poll::new().expect("poll");
                let mut events = Events::with_capacity(8);
                let addr = "127.0.0.1:0".parse().expect("address");
                let mut listener = TcpListener::bind(addr).expect("bind");
                poll.registry()
                    .register(&mut listener, Token(0), Interest::READABLE)
                    .expect("register");
                let mut client =
                    TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
                poll.registry()
                    .register(&mut client, Token(1), Interest::WRITABLE)
                    .expect("register");
                let end = Instant::now() + DEADLINE;
                let (mut server, mut connected) = (None, false);
                while server.is_none() || !connected {
                    if server.is_none() {
                        match listener.accept() {
                            Ok((stream, _)) => server = Some(stream),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => panic!("accept: {e}"),
                        }
                    }
                    if server.is_some() && connected {
                        break;
                    }
                    assert!(Instant::now() < end, "the pair did not connect");
                    poll.poll(&mut events, Some(Duration::from_millis(100)))
                        .expect("poll");
                    connected |= events
                        .iter()
                        .any(|e| e.token() == Token(1) && e.is_writable());
                }
                poll.registry().deregister(&mut client).expect("deregister");
                (client, server.expect("accepted"))
            }

            /// Polls until an event for `token` arrives; panics after
            /// `DEADLINE`. Returns the tokens of every event seen.
            fn wait_for(poll: &mut Poll, events: &mut Events, token: Token) -> Vec<Token> {
                let end = Instant::now() + DEADLINE;
                let mut seen = Vec::new();
                loop {
                    poll.poll(events, Some(Duration::from_millis(100)))
                        .expect("poll");
                    seen.extend(events.iter().map(|e| e.token()));
                    if seen.contains(&token) {
                        return seen;
                    }
                    assert!(Instant::now() < end, "no event for {token:?}: {seen:?}");
                }
            }

            /// All tokens reported by polls until a short poll is empty.
            fn drain(poll: &mut Poll, events: &mut Events) -> Vec<Token> {
                let mut seen = Vec::new();
                loop {
                    poll.poll(events, Some(Duration::from_millis(50)))
                        .expect("poll");
                    if events.is_empty() {
                        return seen;
                    }
                    seen.extend(events.iter().map(|e| e.token()));
                }
            }

            /// `poll` ends with `Interrupted` when a signal interrupts the
            /// wait, with a timeout and without one; it does not retry.
            #[test]
            #[cfg(unix)]
            fn poll_returns_interrupted_on_signal() {
                use std::sync::atomic::{AtomicBool, Ordering};
                use std::sync::Arc;

                let _serial = serial();
                extern "C" fn on_signal(_: libc::c_int) {}
                // SAFETY: installs a handler that does nothing (so it is
                // async-signal-safe) for SIGUSR1, which nothing else in this
                // binary uses. No SA_RESTART: a blocked epoll_wait, kevent
                // or poll fails with EINTR.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction =
                        on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                    action.sa_flags = 0;
                    libc::sigemptyset(&mut action.sa_mask);
                    assert_eq!(
                        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
                        0
                    );
                }
                let mut poll = Poll::new().expect("poll");
                let mut events = Events::with_capacity(8);
                let waker = Arc::new(Waker::new(poll.registry(), Token(9)).expect("waker"));

                for timeout in [Some(Duration::from_secs(5)), None] {
                    // SAFETY: plain call returning this thread's id.
                    let me = unsafe { libc::pthread_self() } as usize;
                    let done = Arc::new(AtomicBool::new(false));
                    let (done2, waker2) = (Arc::clone(&done), Arc::clone(&waker));
                    // Signals this thread until it is out of `poll` (a
                    // signal that lands before the wait starts interrupts
                    // nothing, hence more than one). After 3 s the waker
                    // ends a `poll` that ignores signals, so a failing
                    // implementation fails the test instead of hanging it.
                    let handle = std::thread::spawn(move || {
                        for _ in 0..150 {
                            if done2.load(Ordering::Acquire) {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(20));
                            // SAFETY: the target thread waits for this one
                            // (join below) before it ends.
                            let res = unsafe {
                                libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR1)
                            };
                            assert_eq!(res, 0);
                        }
                        waker2.wake().expect("wake");
                    });
                    let result = poll.poll(&mut events, timeout);
                    done.store(true, Ordering::Release);
                    handle.join().expect("signal thread");
                    match result {
                        Err(err) => assert_eq!(
                            err.kind(),
                            io::ErrorKind::Interrupted,
                            "timeout {timeout:?}: {err}"
                        ),
                        Ok(()) => panic!(
                            "timeout {timeout:?}: poll retried after EINTR and returned \
                             Ok with {} events",
                            events.iter().count()
                        ),
                    }
                }
                // The Poll is still usable.
                waker.wake().expect("wake");
                wait_for(&mut poll, &mut events, Token(9));
            }

            /// An `Events` without room is an error (epoll's `EINVAL`),
            /// whether or not something is ready, and loses nothing.
            #[test]
            fn zero_capacity_events_is_invalid_input() {
                if stringify!($name) == "upstream" && cfg!(mio_unsupported_force_poll_poll) {
                    // Upstream's poll(2) selector grows the buffer instead.
                    println!("SKIP upstream zero_capacity_events_is_invalid_input: only upstream's epoll and kqueue refuse it");
                    return;
                }
                let _serial = serial();
                let mut poll = Poll::new().expect("poll");
                let mut empty = Events::with_capacity(0);
                let mut events = Events::with_capacity(8);
                for timeout in [Some(Duration::ZERO), Some(Duration::from_millis(10)), None] {
                    let err = poll.poll(&mut empty, timeout).expect_err("capacity 0 accepted");
                    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
                }

                let (mut a, mut b) = tcp_pair();
                poll.registry()
                    .register(&mut b, Token(1), Interest::READABLE)
                    .expect("register");
                a.write_all(b"x").expect("write");
                let waker = Waker::new(poll.registry(), Token(2)).expect("waker");
                waker.wake().expect("wake");
                for timeout in [Some(Duration::ZERO), None] {
                    let err = poll.poll(&mut empty, timeout).expect_err("capacity 0 accepted");
                    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
                    assert!(empty.is_empty());
                }
                // Nothing was consumed.
                let mut seen = wait_for(&mut poll, &mut events, Token(1));
                seen.extend(drain(&mut poll, &mut events));
                assert!(seen.contains(&Token(2)), "wake-up lost: {seen:?}");
                let mut buf = [0; 1];
                b.read_exact(&mut buf).expect("read");
            }

            /// Two wakers on one `Poll` (release builds; debug builds panic
            /// on the second): each wake-up carries its own waker's token.
            #[test]
            #[cfg(not(debug_assertions))]
            fn two_wakers_keep_their_tokens() {
                let _serial = serial();
                let mut poll = Poll::new().expect("poll");
                let mut events = Events::with_capacity(8);
                let first = Waker::new(poll.registry(), Token(1)).expect("waker");
                let second = Waker::new(poll.registry(), Token(2)).expect("waker");

                first.wake().expect("wake");
                let seen = wait_for(&mut poll, &mut events, Token(1));
                assert!(!seen.contains(&Token(2)), "first wake as {seen:?}");
                assert!(drain(&mut poll, &mut events).is_empty());

                second.wake().expect("wake");
                let seen = wait_for(&mut poll, &mut events, Token(2));
                assert!(!seen.contains(&Token(1)), "second wake as {seen:?}");
                assert!(drain(&mut poll, &mut events).is_empty());

                first.wake().expect("wake");
                let seen = wait_for(&mut poll, &mut events, Token(1));
                assert!(!seen.contains(&Token(2)), "first wake as {seen:?}");
            }

            /// A source offered to a second `Poll` (release builds; debug
            /// builds refuse it earlier) is either refused with
            /// `AlreadyExists` (poll(2), Windows, WASI) or works with both
            /// (epoll and kqueue, which keep registrations in the kernel);
            /// either way no `Poll` loses events, and dropping the source
            /// leaves no registration behind: a new socket with the same
            /// descriptor number registers with both.
            #[test]
            #[cfg(not(debug_assertions))]
            fn second_poll_refused_without_stale_entry() {
                let _serial = serial();
                let mut poll1 = Poll::new().expect("poll");
                let mut poll2 = Poll::new().expect("poll");
                let mut events = Events::with_capacity(8);
                let (mut a, mut peer) = tcp_pair();
                poll1
                    .registry()
                    .register(&mut a, Token(1), Interest::READABLE)
                    .expect("register");
                let both = match poll2
                    .registry()
                    .register(&mut a, Token(2), Interest::READABLE)
                {
                    Ok(()) => true,
                    Err(err) => {
                        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
                        false
                    }
                };
                // Every Poll that took the source gets its events, also
                // after the first one was consumed.
                for round in 0..3 {
                    peer.write_all(b"x").expect("write");
                    wait_for(&mut poll1, &mut events, Token(1));
                    if both {
                        wait_for(&mut poll2, &mut events, Token(2));
                    }
                    let mut buf = [0; 8];
                    assert_eq!(a.read(&mut buf).expect("read"), 1, "round {round}");
                    let blocked = a.read(&mut buf).expect_err("read past the data");
                    assert_eq!(blocked.kind(), io::ErrorKind::WouldBlock);
                }

                #[cfg(unix)]
                {
                    use std::os::fd::{AsRawFd, FromRawFd};
                    let old = a.as_raw_fd();
                    drop(a);
                    // A new socket on the same descriptor number (often
                    // the lowest free one already; else moved there).
                    let (c, _d) = tcp_pair();
                    let fresh = c.as_raw_fd();
                    let mut reused = if fresh == old {
                        c
                    } else {
                        // SAFETY: `old` was closed above and nothing else
                        // opens descriptors while this test runs (`serial`);
                        // `fresh` is a valid socket.
                        let moved = unsafe { libc::dup2(fresh, old) };
                        assert_eq!(moved, old, "dup2");
                        drop(c);
                        // SAFETY: `old` is now a socket that nothing else owns.
                        unsafe { TcpStream::from_raw_fd(old) }
                    };
                    assert_eq!(reused.as_raw_fd(), old);
                    poll1
                        .registry()
                        .register(&mut reused, Token(3), Interest::READABLE)
                        .expect("register a reused descriptor number with the first Poll");
                    poll1.registry().deregister(&mut reused).expect("deregister");
                    poll2
                        .registry()
                        .register(&mut reused, Token(4), Interest::READABLE)
                        .expect("register a reused descriptor number with the second Poll");
                }
            }

            #[test]
            #[cfg(debug_assertions)]
            fn release_only_cases_skipped() {
                println!(
                    "SKIP two_wakers_keep_their_tokens, second_poll_refused_without_stale_entry, \
                     two_wakers_woken_together_both_reported: \
                     release-build behaviour (debug builds stop the misuse earlier); \
                     run with --release"
                );
            }
        }
    };
}

scenarios!(ours, ::mio);
#[cfg(unix)]
scenarios!(upstream, ::upstream_mio);

/// Where this crate does better than mio's poll(2) selector (see
/// "Differences from upstream mio" in the crate docs).
mod ours_only {
    /// Two wakers woken before the same `poll` both get their event, also
    /// through an `Events` with room for one (release builds; debug builds
    /// panic on the second waker).
    #[test]
    #[cfg(not(debug_assertions))]
    fn two_wakers_woken_together_both_reported() {
        use std::time::{Duration, Instant};

        use mio::{Events, Poll, Token, Waker};

        let _serial = super::serial();
        let mut poll = Poll::new().expect("poll");
        let mut one = Events::with_capacity(1);
        let first = Waker::new(poll.registry(), Token(1)).expect("waker");
        let second = Waker::new(poll.registry(), Token(2)).expect("waker");
        first.wake().expect("wake");
        second.wake().expect("wake");
        second.wake().expect("wake again");
        let mut seen = Vec::new();
        let end = Instant::now() + Duration::from_secs(10);
        while seen.len() < 2 {
            assert!(Instant::now() < end, "only {seen:?} reported");
            poll.poll(&mut one, Some(Duration::from_millis(100)))
                .expect("poll");
            seen.extend(one.iter().map(|e| e.token()));
        }
        seen.sort();
        assert_eq!(seen, [Token(1), Token(2)]);
        // Coalesced: nothing more.
        poll.poll(&mut one, Some(Duration::from_millis(50)))
            .expect("poll");
        assert!(one.is_empty(), "a wake-up reported twice");
    }
}
