//! Steady-state `Poll::poll` allocates nothing: with ready sockets, with a
//! woken `Waker`, and with timeouts.
//!
//! Its own test binary because it installs a counting global allocator.
//! Allocations are counted per thread, and only on the thread that polls,
//! so the test harness's own work does not interfere.

#![cfg(all(feature = "os-poll", feature = "net"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Read, Write};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token, Waker};

mod util;

struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the thread-locals may be gone while a thread exits.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to the system allocator unchanged; the
// counting touches only const-initialised thread-locals, which never
// allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// How many allocations this thread made while `f` ran (0 unless inside
/// `count_allocations`).
fn allocations_in<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (result, ALLOCATIONS.with(Cell::get) - before)
}

/// Whether this is the wasm32-wasip2 backend, whose waits on several
/// pollables allocate once (see `steady_state_poll_does_not_allocate`).
const WASIP2: bool = cfg!(all(target_os = "wasi", target_env = "p2", not(mio_wasip3)));
/// The WASI 0.3 backend: waits hand nothing to the host, but a received
/// datagram is a list the host allocates (through `cabi_realloc`) when the
/// receive completes, which happens inside `Poll::poll`.
const WASIP3: bool = cfg!(all(
    target_os = "wasi",
    any(target_env = "p3", all(target_env = "p2", mio_wasip3))
));

/// Runs `f` and returns how many allocations it made on this thread.
fn count_allocations<F: FnOnce()>(f: F) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

const SERVER: Token = Token(1);
const UDP: Token = Token(2);
const WAKER: Token = Token(3);
#[cfg(all(unix, feature = "os-ext"))]
const PIPE: Token = Token(4);

struct Setup {
    poll: Poll,
    events: Events,
    waker: Waker,
    client: TcpStream,
    server: TcpStream,
    udp_rx: UdpSocket,
    udp_tx: UdpSocket,
    udp_target: std::net::SocketAddr,
    #[cfg(all(unix, feature = "os-ext"))]
    pipe: (mio::unix::pipe::Sender, mio::unix::pipe::Receiver),
}

fn setup() -> Setup {
    let mut poll = Poll::new().expect("poll");
    let events = Events::with_capacity(16);
    let waker = Waker::new(poll.registry(), WAKER).expect("waker");
    let listener = TcpListener::bind(util::any_local_address()).expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let server = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Wait in `Poll::poll`, not a blocking sleep: under wasmtime
                // a sleep stalls WASI 0.3 I/O while it blocks.
                let mut scratch = Events::with_capacity(1);
                poll.poll(&mut scratch, Some(Duration::from_millis(1)))
                    .expect("poll");
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    let mut setup = Setup {
        poll,
        events,
        waker,
        client,
        server,
        udp_rx: UdpSocket::bind(util::any_local_address()).expect("bind"),
        udp_tx: UdpSocket::bind(util::any_local_address()).expect("bind"),
        udp_target: "127.0.0.1:1".parse().expect("addr"),
        #[cfg(all(unix, feature = "os-ext"))]
        pipe: mio::unix::pipe::new().expect("pipe"),
    };
    setup.udp_target = setup.udp_rx.local_addr().expect("addr");
    let registry = setup.poll.registry();
    registry
        .register(&mut setup.server, SERVER, Interest::READABLE)
        .expect("register");
    registry
        .register(&mut setup.udp_rx, UDP, Interest::READABLE)
        .expect("register");
    #[cfg(all(unix, feature = "os-ext"))]
    registry
        .register(&mut setup.pipe.1, PIPE, Interest::READABLE)
        .expect("register");
    setup
}

fn drain<R: FnMut(&mut [u8]) -> io::Result<usize>>(mut read: R) -> usize {
    let mut buf = [0u8; 256];
    let mut total = 0;
    loop {
        match read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// Allocations made inside `Poll::poll`, by kind of call.
#[derive(Default, Debug)]
struct PollAllocations {
    /// Polls waiting for the round's events, and their allocations.
    event_polls: usize,
    event_allocations: usize,
    /// Zero-timeout polls with nothing ready, and their allocations.
    zero_polls: usize,
    zero_allocations: usize,
    /// Polls with a non-zero timeout and nothing ready (each one waits in
    /// the host), and their allocations.
    timed_waits: usize,
    timed_wait_allocations: usize,
}

/// One steady-state round: make every source ready, poll until each has
/// been reported, drain them, then poll with timeouts and nothing ready.
fn round(s: &mut Setup, counts: &mut PollAllocations) {
    s.client.write_all(b"ping").expect("tcp write");
    s.udp_tx.send_to(b"dgram", s.udp_target).expect("udp send");
    s.waker.wake().expect("wake");
    #[cfg(all(unix, feature = "os-ext"))]
    s.pipe.0.write_all(b"pipe").expect("pipe write");

    #[cfg(all(unix, feature = "os-ext"))]
    let mut pending = 4;
    #[cfg(not(all(unix, feature = "os-ext")))]
    let mut pending = 3;
    let mut seen = [false; 5];
    while pending > 0 {
        let (result, n) = allocations_in(|| s.poll.poll(&mut s.events, Some(util::EVENT_DEADLINE)));
        result.expect("poll");
        counts.event_polls += 1;
        counts.event_allocations += n;
        assert!(!s.events.is_empty(), "an expected event did not arrive");
        for event in s.events.iter() {
            let t = event.token().0;
            assert!(t < seen.len(), "unexpected token");
            if !seen[t] {
                seen[t] = true;
                pending -= 1;
            }
        }
    }
    assert_eq!(drain(|b| s.server.read(b)), 4);
    assert_eq!(drain(|b| s.udp_rx.recv_from(b).map(|(n, _)| n)), 5);
    #[cfg(all(unix, feature = "os-ext"))]
    assert_eq!(drain(|b| s.pipe.1.read(b)), 4);

    for timeout in [
        Duration::ZERO,
        Duration::from_micros(100),
        Duration::from_millis(1),
    ] {
        let (result, n) = allocations_in(|| s.poll.poll(&mut s.events, Some(timeout)));
        result.expect("poll");
        assert!(s.events.is_empty(), "nothing should be ready");
        if timeout.is_zero() {
            counts.zero_polls += 1;
            counts.zero_allocations += n;
        } else {
            counts.timed_waits += 1;
            counts.timed_wait_allocations += n;
        }
    }
}

#[test]
fn steady_state_poll_does_not_allocate() {
    // Make sure the counter itself works.
    assert!(count_allocations(|| drop(Vec::<u8>::with_capacity(8))) > 0);

    if util::host_is_jco() {
        util::skip(
            "steady_state_poll_does_not_allocate",
            "jco's incoming-datagram-stream pollable stays ready once a datagram has arrived, \
             so a round never reaches a state with nothing ready",
        );
        return;
    }
    const ROUNDS: usize = 200;
    let mut s = setup();
    for _ in 0..10 {
        round(&mut s, &mut PollAllocations::default());
    }
    let mut counts = PollAllocations::default();
    let allocations = count_allocations(|| {
        for _ in 0..ROUNDS {
            round(&mut s, &mut counts);
        }
    });
    if WASIP3 {
        println!("WASI 0.3 poll allocations over {ROUNDS} rounds: {counts:?}");
        assert_eq!(counts.zero_allocations, 0, "{counts:?}");
        assert_eq!(counts.timed_wait_allocations, 0, "{counts:?}");
        // At most the one datagram of each round.
        assert!(counts.event_allocations <= ROUNDS, "{counts:?}");
        return;
    }
    if !WASIP2 {
        // Nothing in a round allocates: neither polling nor the I/O.
        assert_eq!(
            allocations, 0,
            "steady-state polling allocated {allocations} times ({counts:?})"
        );
        return;
    }
    // wasm32-wasip2: a wait on several pollables goes through
    // `wasi:io/poll.poll`, whose list of ready indices the host allocates
    // in the component through `cabi_realloc` (the canonical ABI returns
    // every list that way): exactly one allocation per such wait, none
    // otherwise. (The I/O calls allocate too, outside `Poll::poll`: reads
    // and datagram receives come back as host-allocated lists.)
    println!("wasip2 poll allocations over {ROUNDS} rounds: {counts:?}");
    assert_eq!(counts.zero_allocations, 0, "{counts:?}");
    // Each timed wait has every source armed plus a clock: one `poll`.
    assert_eq!(
        counts.timed_wait_allocations, counts.timed_waits,
        "{counts:?}"
    );
    // The first event poll of a round finds the waker's wake-up and never
    // waits; each later one waits at most once.
    assert!(
        counts.event_allocations <= counts.event_polls - ROUNDS,
        "{counts:?}"
    );
}

#[test]
fn poll_with_timeouts_only_does_not_allocate() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(8);
    // Warm up every kind of wait once: first use may set things up.
    for timeout in [Duration::ZERO, Duration::from_micros(100)] {
        poll.poll(&mut events, Some(timeout)).expect("poll");
    }
    let allocations = count_allocations(|| {
        for _ in 0..50 {
            poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
            poll.poll(&mut events, Some(Duration::from_micros(100)))
                .expect("poll");
            poll.poll(&mut events, Some(Duration::from_millis(1)))
                .expect("poll");
        }
    });
    assert_eq!(
        allocations, 0,
        "polling with timeouts allocated {allocations} times"
    );
}

#[test]
#[cfg(not(target_os = "wasi"))] // needs threads (or unwinding)
fn poll_woken_from_another_thread_does_not_allocate() {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(8);
    let waker = std::sync::Arc::new(Waker::new(poll.registry(), WAKER).expect("waker"));
    let (go_tx, go_rx) = std::sync::mpsc::sync_channel::<bool>(1);
    let remote = std::sync::Arc::clone(&waker);
    let handle = std::thread::spawn(move || {
        while go_rx.recv().unwrap_or(false) {
            remote.wake().expect("wake");
        }
    });
    let one_round = |poll: &mut Poll, events: &mut Events| {
        go_tx.send(true).expect("send");
        loop {
            poll.poll(events, Some(util::EVENT_DEADLINE)).expect("poll");
            assert!(!events.is_empty(), "wake-up lost");
            if events.iter().any(|e| e.token() == WAKER) {
                break;
            }
        }
    };
    for _ in 0..5 {
        one_round(&mut poll, &mut events);
    }
    // The channel send may allocate internally on some versions; count only
    // the polling, by doing the send outside the counted region.
    let mut total = 0;
    for _ in 0..100 {
        go_tx.send(true).expect("send");
        total += count_allocations(|| loop {
            poll.poll(&mut events, Some(util::EVENT_DEADLINE))
                .expect("poll");
            assert!(!events.is_empty(), "wake-up lost");
            if events.iter().any(|e| e.token() == WAKER) {
                break;
            }
        });
    }
    go_tx.send(false).expect("send");
    handle.join().expect("thread");
    assert_eq!(
        total, 0,
        "polling for cross-thread wake-ups allocated {total} times"
    );
}
