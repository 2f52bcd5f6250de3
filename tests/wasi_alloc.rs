//! A `poll` that finds work without blocking allocates nothing: the
//! selector reuses its buffers (counted with a global allocator).
#![cfg(all(
    target_os = "wasi",
    target_env = "p2",
    feature = "os-poll",
    feature = "net"
))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn non_blocking_polls_do_not_allocate() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let waker = Waker::new(poll.registry(), Token(99)).unwrap();
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(
            &mut client,
            Token(1),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let (mut server, _) = loop {
        match listener.accept() {
            Ok(pair) => break pair,
            Err(e) if e.kind() == ErrorKind::WouldBlock => poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap(),
            Err(e) => panic!("{e}"),
        }
    };
    poll.registry()
        .register(&mut server, Token(2), Interest::READABLE)
        .unwrap();
    client.write_all(b"warm up").unwrap();
    let mut buf = [0u8; 64];
    // Warm up: pollables are created on first use, buffers grow once.
    for _ in 0..20 {
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .unwrap();
        let _ = server.read(&mut buf);
    }

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut reported = 0;
    for _ in 0..100 {
        waker.wake().unwrap();
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        reported += events.iter().count();
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        reported += events.iter().count();
    }
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(
        reported >= 100,
        "the waker's events were not reported ({reported})"
    );
    assert_eq!(
        allocated, 0,
        "{allocated} allocations in 200 non-blocking polls"
    );
}

#[test]
fn a_blocking_poll_allocates_at_most_the_host_result_list() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    for _ in 0..3 {
        poll.poll(&mut events, Some(Duration::from_millis(1)))
            .unwrap();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..20 {
        poll.poll(&mut events, Some(Duration::from_millis(1)))
            .unwrap();
        assert!(events.is_empty());
    }
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
    // `wasi:io/poll.poll` returns its ready list in memory the host
    // allocates through `cabi_realloc`: one allocation per blocking wait.
    assert!(
        allocated <= 20,
        "{allocated} allocations in 20 blocking polls"
    );
}
