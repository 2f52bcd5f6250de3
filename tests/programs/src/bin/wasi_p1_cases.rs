//! Test cases for the WASI preview 1 backend, one per run:
//! `wasi_p1_cases.wasm <case> [args]`. Prints `PASS <case>` and exits 0, or
//! prints `FAIL <case>: <why>` and exits 1. The `wasip1` suite runs
//! them under wasmtime and WasmEdge; each case is small and independent, so
//! one failure (or a trap) cannot hide the others.
//!
//! Cases for every preview-1 host: `timeout`, `waker`, `error-event`,
//! `no-alloc`, `registry` and `peek-echo` (need a listener at descriptor 3 or
//! `--listen ADDR`; `peek-echo` also a client, see tests/xtask/src/peer_p1.rs),
//! `unsupported` (a build without `wasmedge`).
//! Cases for WasmEdge (`wasmedge` feature): `client ADDR`, `refused ADDR`,
//! `udp-echo ADDR COUNT`, `udp-pair ADDR`, `self-connect ADDR`, `dns`,
//! `options`, and with the test-only `host-call-count` feature too
//! `host-calls ADDR` (host calls per wait and per echo round trip).

#[cfg(all(target_os = "wasi", target_env = "p1"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let case = args.first().cloned().unwrap_or_default();
    match cases::run(&case, &args[1.min(args.len())..]) {
        Ok(()) => println!("PASS {case}"),
        Err(why) => {
            println!("FAIL {case}: {why}");
            std::process::exit(1);
        }
    }
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
fn main() {
    println!("this program is for wasm32-wasip1 (see `cargo xtask test wasip1`)");
}

#[cfg(all(target_os = "wasi", target_env = "p1"))]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

    /// Counts every allocation, to check that polling allocates nothing.
    pub struct Counting;

    // SAFETY: forwards to the system allocator unchanged.
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
}

#[cfg(all(target_os = "wasi", target_env = "p1"))]
mod cases {
    use std::io::{self, ErrorKind};
    use std::os::fd::{FromRawFd, IntoRawFd};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Interest, Poll, Token, Waker};

    type Result = std::result::Result<(), String>;

    fn check(cond: bool, why: impl Into<String>) -> Result {
        if cond {
            Ok(())
        } else {
            Err(why.into())
        }
    }

    fn e(err: io::Error) -> String {
        format!("{err} ({:?})", err.kind())
    }

    pub(super) fn run(case: &str, args: &[String]) -> Result {
        match case {
            "timeout" => timeout(),
            "waker" => waker(),
            "error-event" => error_event(),
            "no-alloc" => no_alloc(args),
            "unsupported" => unsupported(),
            "peek-echo" => peek_echo(args),
            "registry" => registry(args),
            #[cfg(feature = "wasmedge")]
            "client" => wasmedge::client(args),
            #[cfg(feature = "wasmedge")]
            "refused" => wasmedge::refused(args),
            #[cfg(feature = "wasmedge")]
            "udp-echo" => wasmedge::udp_echo(args),
            #[cfg(feature = "wasmedge")]
            "self-connect" => wasmedge::self_connect(args),
            #[cfg(feature = "wasmedge")]
            "udp-pair" => wasmedge::udp_pair(args),
            #[cfg(feature = "wasmedge")]
            "dns" => wasmedge::dns(),
            #[cfg(feature = "wasmedge")]
            "options" => wasmedge::options(),
            #[cfg(all(feature = "wasmedge", feature = "host-call-count"))]
            "host-calls" => wasmedge::host_calls(args),
            other => Err(format!("unknown case `{other}`")),
        }
    }

    /// Timeouts end the poll, a zero timeout never blocks, and neither
    /// hangs when nothing is registered.
    fn timeout() -> Result {
        let mut poll = Poll::new().map_err(e)?;
        let mut events = Events::with_capacity(4);
        let start = Instant::now();
        poll.poll(&mut events, Some(Duration::ZERO)).map_err(e)?;
        check(events.is_empty(), "zero timeout returned events")?;
        poll.poll(&mut events, Some(Duration::from_millis(30)))
            .map_err(e)?;
        check(events.is_empty(), "timeout returned events")?;
        let waited = start.elapsed();
        check(
            waited >= Duration::from_millis(30),
            format!("returned after {waited:?}, before the timeout"),
        )?;
        check(waited < Duration::from_secs(5), format!("took {waited:?}"))
    }

    /// `wake` makes the next poll return the waker's token, once.
    fn waker() -> Result {
        let mut poll = Poll::new().map_err(e)?;
        let mut events = Events::with_capacity(4);
        let waker = Waker::new(poll.registry(), Token(7)).map_err(e)?;
        waker.wake().map_err(e)?;
        poll.poll(&mut events, None).map_err(e)?;
        let got: Vec<_> = events
            .iter()
            .map(|ev| (ev.token(), ev.is_readable()))
            .collect();
        check(
            got == [(Token(7), true)],
            format!("events after wake: {got:?}"),
        )?;
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .map_err(e)?;
        check(events.is_empty(), "the wake-up was reported twice")?;

        // An `Events` without room is refused, and the pending wake-up
        // survives that.
        waker.wake().map_err(e)?;
        let mut empty = Events::with_capacity(0);
        match poll.poll(&mut empty, Some(Duration::ZERO)) {
            Err(err) if err.kind() == ErrorKind::InvalidInput => {}
            other => return Err(format!("poll with Events::with_capacity(0): {other:?}")),
        }
        poll.poll(&mut events, Some(Duration::ZERO)).map_err(e)?;
        let got: Vec<_> = events.iter().map(|ev| ev.token()).collect();
        check(
            got == [Token(7)],
            format!("events after the refused poll: {got:?}"),
        )?;

        // A second waker (release builds; debug builds panic on it): each
        // wake-up under its own token, also when both wake at once.
        #[cfg(not(debug_assertions))]
        {
            let second = Waker::new(poll.registry(), Token(8)).map_err(e)?;
            for (wake, want) in [
                (&[&waker][..], &[Token(7)][..]),
                (&[&second][..], &[Token(8)][..]),
                (&[&second, &waker][..], &[Token(7), Token(8)][..]),
            ] {
                for w in wake {
                    w.wake().map_err(e)?;
                }
                poll.poll(&mut events, Some(Duration::ZERO)).map_err(e)?;
                let mut got: Vec<_> = events.iter().map(|ev| ev.token()).collect();
                got.sort();
                check(got == want, format!("two wakers: {got:?}, wanted {want:?}"))?;
            }
        }
        Ok(())
    }

    /// A source the host rejects becomes an error event on that source's
    /// token; the poll itself succeeds and other sources are still reported.
    fn error_event() -> Result {
        let mut poll = Poll::new().map_err(e)?;
        let mut events = Events::with_capacity(8);
        // Descriptor 900 is not open: the host must reject it.
        // SAFETY: never read or written; handed back below without closing.
        let mut bogus = unsafe { TcpStream::from_raw_fd(900) };
        poll.registry()
            .register(
                &mut bogus,
                Token(1),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(e)?;
        let waker = Waker::new(poll.registry(), Token(2)).map_err(e)?;
        waker.wake().map_err(e)?;
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .map_err(|err| format!("poll failed as a whole: {}", e(err)))?;
        let bad = events.iter().find(|ev| ev.token() == Token(1));
        check(
            bad.is_some_and(|ev| ev.is_error()),
            format!("no error event for the bad source: {events:?}"),
        )?;
        check(
            events.iter().any(|ev| ev.token() == Token(2)),
            format!("the waker event was lost: {events:?}"),
        )?;
        // Reported once, then left alone.
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .map_err(e)?;
        check(
            events.iter().all(|ev| ev.token() != Token(1)),
            format!("error reported again: {events:?}"),
        )?;
        poll.registry().deregister(&mut bogus).map_err(e)?;
        let _ = bogus.into_raw_fd();
        Ok(())
    }

    fn listener(args: &[String]) -> std::result::Result<TcpListener, String> {
        if args.first().map(String::as_str) == Some("--listen") {
            let addr = args
                .get(1)
                .and_then(|a| a.parse().ok())
                .ok_or("--listen needs an address")?;
            TcpListener::bind(addr).map_err(e)
        } else {
            // SAFETY: the runtime pre-opens a listening socket as descriptor 3.
            let std_listener = unsafe { std::net::TcpListener::from_raw_fd(3) };
            std_listener.set_nonblocking(true).map_err(e)?;
            Ok(TcpListener::from_std(std_listener))
        }
    }

    /// Steady-state polling (sources registered, timeouts, wake-ups)
    /// allocates nothing.
    fn no_alloc(args: &[String]) -> Result {
        let mut poll = Poll::new().map_err(e)?;
        let mut events = Events::with_capacity(16);
        let mut listener = listener(args)?;
        poll.registry()
            .register(&mut listener, Token(0), Interest::READABLE)
            .map_err(e)?;
        let waker = Waker::new(poll.registry(), Token(1)).map_err(e)?;
        poll.poll(&mut events, Some(Duration::from_millis(1)))
            .map_err(e)?;
        let before = super::counting::ALLOCATIONS.load(Ordering::Relaxed);
        for i in 0..50 {
            if i % 5 == 0 {
                waker.wake().map_err(e)?;
            }
            poll.poll(&mut events, Some(Duration::from_millis(1)))
                .map_err(e)?;
            poll.poll(&mut events, Some(Duration::ZERO)).map_err(e)?;
        }
        let after = super::counting::ALLOCATIONS.load(Ordering::Relaxed);
        check(
            after == before,
            format!("{} allocations in 100 polls", after - before),
        )
    }

    /// Registration bookkeeping: double registration and deregistering an
    /// unregistered source fail with mio's errors; a re-registered source
    /// reports under its new token; a deregistered one reports nothing.
    fn registry(args: &[String]) -> Result {
        let mut poll = Poll::new().map_err(e)?;
        let mut events = Events::with_capacity(8);
        let mut listener = listener(args)?;
        let registry = poll.registry();
        registry
            .register(&mut listener, Token(0), Interest::READABLE)
            .map_err(e)?;
        match registry.register(&mut listener, Token(1), Interest::READABLE) {
            Err(err)
                if err.kind() == ErrorKind::AlreadyExists
                    && err.to_string().contains("already registered") => {}
            other => return Err(format!("second register: {other:?}")),
        }
        registry
            .reregister(&mut listener, Token(3), Interest::WRITABLE)
            .map_err(e)?;
        // A listener is never writable: nothing to report.
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .map_err(e)?;
        check(
            events.is_empty(),
            format!("events for a listener registered writable: {events:?}"),
        )?;
        poll.registry().deregister(&mut listener).map_err(e)?;
        match poll.registry().deregister(&mut listener) {
            Err(err)
                if err.kind() == ErrorKind::NotFound
                    && err.to_string().contains("not registered") => {}
            other => return Err(format!("second deregister: {other:?}")),
        }
        // Registered again after deregistering: a fresh registration.
        poll.registry()
            .register(&mut listener, Token(4), Interest::READABLE)
            .map_err(e)?;
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .map_err(e)?;
        check(
            events.is_empty(),
            format!("events without a connection: {events:?}"),
        )?;

        // A second Poll is refused (in release builds too), and the first
        // registration stays intact: deregistering it there works, and then
        // the second Poll may take the listener.
        let other = Poll::new().map_err(e)?;
        match other
            .registry()
            .register(&mut listener, Token(5), Interest::READABLE)
        {
            Err(err) if err.kind() == ErrorKind::AlreadyExists => {}
            other => return Err(format!("register with a second Poll: {other:?}")),
        }
        poll.registry().deregister(&mut listener).map_err(e)?;
        other
            .registry()
            .register(&mut listener, Token(5), Interest::READABLE)
            .map_err(e)
    }

    /// Accepts one connection and echoes it, peeking at every chunk before
    /// reading it; checks what the host can and cannot tell about the
    /// socket.
    fn peek_echo(args: &[String]) -> Result {
        use std::io::{Read, Write};

        let mut listener = listener(args)?;
        println!(
            "LISTENING {}",
            if args.is_empty() {
                "fd3".to_string()
            } else {
                listener.local_addr().map_err(e)?.to_string()
            }
        );
        let mut poll = Poll::new().map_err(e)?;
        let mut events = Events::with_capacity(8);
        poll.registry()
            .register(&mut listener, Token(0), Interest::READABLE)
            .map_err(e)?;
        let (mut stream, peer) = loop {
            poll.poll(&mut events, Some(Duration::from_secs(30)))
                .map_err(e)?;
            if events.is_empty() {
                return Err("no connection in 30 s".into());
            }
            match listener.accept() {
                Ok(accepted) => break accepted,
                Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
                Err(err) => return Err(e(err)),
            }
        };
        if !cfg!(feature = "wasmedge") {
            check(
                peer.ip().is_unspecified() && peer.port() == 0,
                format!("accept reported {peer}"),
            )?;
            for (what, result) in [
                ("peer_addr", stream.peer_addr()),
                ("local_addr", stream.local_addr()),
            ] {
                match result {
                    Err(err) if err.kind() == ErrorKind::Unsupported => {}
                    other => return Err(format!("{what}: {other:?}")),
                }
            }
            match stream.take_error() {
                Err(err) if err.kind() == ErrorKind::Unsupported => {}
                other => return Err(format!("take_error: {other:?}")),
            }
        }
        poll.registry()
            .register(
                &mut stream,
                Token(1),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(e)?;
        let mut pending: Vec<u8> = Vec::new();
        let mut peeked = [0u8; 16];
        let mut buf = [0u8; 16 * 1024];
        let mut eof = false;
        let mut peeks = 0u64;
        while !(eof && pending.is_empty()) {
            poll.poll(&mut events, Some(Duration::from_secs(30)))
                .map_err(e)?;
            if events.is_empty() {
                return Err("stalled for 30 s".into());
            }
            loop {
                let mut progress = false;
                while !pending.is_empty() {
                    match stream.write(&pending) {
                        Ok(n) => {
                            pending.drain(..n);
                            progress = true;
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(e(err)),
                    }
                }
                if !eof && pending.len() < 64 * 1024 {
                    let seen = match stream.peek(&mut peeked) {
                        Ok(n) => n,
                        Err(err) if err.kind() == ErrorKind::WouldBlock => 0,
                        Err(err) => return Err(format!("peek: {}", e(err))),
                    };
                    match stream.read(&mut buf) {
                        Ok(0) => eof = true,
                        Ok(n) => {
                            let same = seen.min(n);
                            check(buf[..same] == peeked[..same], "peek and read disagree")?;
                            if seen > 0 {
                                peeks += 1;
                            }
                            pending.extend_from_slice(&buf[..n]);
                            progress = true;
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                        Err(err) => return Err(e(err)),
                    }
                }
                if !progress {
                    break;
                }
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Write);
        check(peeks > 0, "peek never returned data")
    }

    /// Without the extension, creating sockets fails with `Unsupported`
    /// naming the host.
    fn unsupported() -> Result {
        if cfg!(feature = "wasmedge") {
            return Err("built with `wasmedge`: this case is for builds without it".into());
        }
        let addr = "127.0.0.1:0".parse().map_err(|_| "parse")?;
        let results = [
            ("TcpListener::bind", TcpListener::bind(addr).map(drop)),
            ("TcpStream::connect", TcpStream::connect(addr).map(drop)),
            ("UdpSocket::bind", mio::net::UdpSocket::bind(addr).map(drop)),
        ];
        for (what, result) in results {
            match result {
                Err(err) if err.kind() == ErrorKind::Unsupported => {
                    let text = err.to_string();
                    check(
                        text.contains("WASI preview 1 without the WasmEdge socket extension"),
                        format!("{what}: message does not name the host: {text}"),
                    )?;
                }
                Err(err) => return Err(format!("{what}: {}", e(err))),
                Ok(()) => return Err(format!("{what} succeeded")),
            }
        }
        Ok(())
    }

    #[cfg(feature = "wasmedge")]
    mod wasmedge {
        use std::io::{ErrorKind, Read, Write};
        use std::net::{IpAddr, Ipv4Addr, SocketAddr};
        use std::time::Duration;

        use mio::net::{TcpListener, TcpStream, UdpSocket};
        use mio::{Events, Interest, Poll, Token};

        use super::{check, e, Result};

        fn addr_arg(args: &[String]) -> std::result::Result<SocketAddr, String> {
            args.first()
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| "needs an address argument".to_string())
        }

        /// Polls until `token` has an event (at most 10 s); returns its
        /// readable/writable/error flags.
        fn wait(
            poll: &mut Poll,
            events: &mut Events,
            token: Token,
        ) -> std::result::Result<(bool, bool, bool), String> {
            for _ in 0..100 {
                poll.poll(events, Some(Duration::from_millis(100)))
                    .map_err(e)?;
                if let Some(ev) = events.iter().find(|ev| ev.token() == token) {
                    return Ok((ev.is_readable(), ev.is_writable(), ev.is_error()));
                }
            }
            Err(format!("no event for {token:?} in 10 s"))
        }

        /// Connects to a native echo server, checks the addresses and the
        /// socket options, sends 1 MiB and reads it back.
        pub(super) fn client(args: &[String]) -> Result {
            let server = addr_arg(args)?;
            let mut poll = Poll::new().map_err(e)?;
            let mut events = Events::with_capacity(8);
            let mut stream = TcpStream::connect(server).map_err(e)?;
            poll.registry()
                .register(
                    &mut stream,
                    Token(0),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .map_err(e)?;
            let (_, writable, _) = wait(&mut poll, &mut events, Token(0))?;
            check(writable, "first event of a connect is not writable")?;
            if let Some(err) = stream.take_error().map_err(e)? {
                return Err(format!("connect failed: {err}"));
            }
            check(
                stream.peer_addr().map_err(e)? == server,
                "peer_addr is not the server",
            )?;
            let local = stream.local_addr().map_err(e)?;
            check(
                local.ip() == server.ip() && local.port() != 0,
                format!("local_addr {local}"),
            )?;
            match stream.set_nodelay(true) {
                Err(err)
                    if err.kind() == ErrorKind::Unsupported
                        && err.to_string().contains("WasmEdge") => {}
                other => return Err(format!("set_nodelay: {other:?}")),
            }
            match stream.ttl() {
                Err(err)
                    if err.kind() == ErrorKind::Unsupported
                        && err.to_string().contains("WasmEdge") => {}
                other => return Err(format!("ttl: {other:?}")),
            }

            let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 + i / 251) as u8).collect();
            let mut sent = 0;
            let mut received = Vec::with_capacity(data.len());
            let mut peeked = false;
            let mut buf = vec![0u8; 64 * 1024];
            let mut rounds = 0;
            while received.len() < data.len() {
                rounds += 1;
                if rounds > 10_000 {
                    return Err(format!("stuck: sent {sent}, received {}", received.len()));
                }
                while sent < data.len() {
                    match stream.write(&data[sent..]) {
                        Ok(n) => sent += n,
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(e(err)),
                    }
                }
                if !peeked {
                    let mut small = [0u8; 4];
                    match stream.peek(&mut small) {
                        Ok(n) => {
                            check(
                                n > 0 && small[..n] == data[..n],
                                "peek returned other bytes",
                            )?;
                            peeked = true;
                        }
                        // Nothing back yet: nothing is read either until a
                        // peek has seen the first bytes (a read between a
                        // peek and the data could take them all first).
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {
                            poll.poll(&mut events, Some(Duration::from_millis(100)))
                                .map_err(e)?;
                            continue;
                        }
                        Err(err) => return Err(format!("peek: {}", e(err))),
                    }
                }
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) => return Err("server closed early".into()),
                        Ok(n) => received.extend_from_slice(&buf[..n]),
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(e(err)),
                    }
                }
                if received.len() < data.len() {
                    poll.poll(&mut events, Some(Duration::from_millis(100)))
                        .map_err(e)?;
                }
            }
            check(peeked, "peek never saw data")?;
            check(received == data, "echoed bytes differ")
        }

        /// A connect to a closed port reports the failure through an event
        /// and `take_error`.
        pub(super) fn refused(args: &[String]) -> Result {
            let target = addr_arg(args)?;
            let mut poll = Poll::new().map_err(e)?;
            let mut events = Events::with_capacity(8);
            let mut stream = match TcpStream::connect(target) {
                Ok(stream) => stream,
                // Loopback may refuse at once.
                Err(err) if err.kind() == ErrorKind::ConnectionRefused => return Ok(()),
                Err(err) => return Err(e(err)),
            };
            poll.registry()
                .register(
                    &mut stream,
                    Token(0),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .map_err(e)?;
            wait(&mut poll, &mut events, Token(0))?;
            match stream.take_error().map_err(e)? {
                Some(err) => check(
                    err.kind() == ErrorKind::ConnectionRefused,
                    format!("take_error: {err} ({:?})", err.kind()),
                ),
                None => match stream.peer_addr() {
                    Err(err) if err.kind() == ErrorKind::NotConnected => Ok(()),
                    other => Err(format!("connect to a closed port looks fine: {other:?}")),
                },
            }
        }

        /// Echoes `COUNT` datagrams back to their senders.
        pub(super) fn udp_echo(args: &[String]) -> Result {
            let bind = addr_arg(args)?;
            let count: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1);
            let mut socket = UdpSocket::bind(bind).map_err(e)?;
            let local = socket.local_addr().map_err(e)?;
            check(
                local.ip() == bind.ip() && local.port() != 0,
                format!("local_addr {local}"),
            )?;
            println!("LISTENING {local}");
            let mut poll = Poll::new().map_err(e)?;
            let mut events = Events::with_capacity(8);
            poll.registry()
                .register(&mut socket, Token(0), Interest::READABLE)
                .map_err(e)?;
            let mut buf = [0u8; 2048];
            let mut echoed = 0;
            while echoed < count {
                poll.poll(&mut events, Some(Duration::from_secs(20)))
                    .map_err(e)?;
                if events.is_empty() {
                    return Err(format!("no datagram in 20 s ({echoed} echoed)"));
                }
                loop {
                    match socket.recv_from(&mut buf) {
                        Ok((n, from)) => {
                            let mut reply = b"echo:".to_vec();
                            reply.extend_from_slice(&buf[..n]);
                            socket.send_to(&reply, from).map_err(e)?;
                            echoed += 1;
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(e(err)),
                    }
                }
            }
            Ok(())
        }

        /// Listener and client in the module itself on `ADDR` (IPv4 or
        /// IPv6 loopback): the addresses seen on both ends agree.
        pub(super) fn self_connect(args: &[String]) -> Result {
            let bind = addr_arg(args)?;
            let mut poll = Poll::new().map_err(e)?;
            let mut events = Events::with_capacity(8);
            let mut listener = TcpListener::bind(bind).map_err(e)?;
            let server = listener.local_addr().map_err(e)?;
            check(
                server.is_ipv6() == bind.is_ipv6() && server.port() != 0,
                format!("listener at {server}"),
            )?;
            poll.registry()
                .register(&mut listener, Token(0), Interest::READABLE)
                .map_err(e)?;
            let mut client = TcpStream::connect(server).map_err(e)?;
            poll.registry()
                .register(&mut client, Token(1), Interest::WRITABLE)
                .map_err(e)?;
            wait(&mut poll, &mut events, Token(0))?;
            let (accepted, peer) = listener.accept().map_err(e)?;
            let client_local = client.local_addr().map_err(e)?;
            check(
                peer == client_local,
                format!("accept says {peer}, client is {client_local}"),
            )?;
            check(
                accepted.peer_addr().map_err(e)? == client_local,
                "peer_addr of accepted stream",
            )?;
            check(
                accepted.local_addr().map_err(e)? == server,
                "local_addr of accepted stream",
            )?;
            // Edge triggering: no second readable event for the listener
            // until accept returned WouldBlock.
            match listener.accept() {
                Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(()),
                other => Err(format!("second accept: {other:?}")),
            }
        }

        /// Host calls (counted by the `host-call-count` feature) of a wait
        /// and of the server's part of an echo round trip, with 0, 10 and
        /// 100 silent connections registered as well: a wait is one
        /// `poll_oneoff` however many sources there are, and the server's
        /// part of a round trip (wait, read, read that would block, write)
        /// at most four calls.
        #[cfg(feature = "host-call-count")]
        pub(super) fn host_calls(args: &[String]) -> Result {
            use mio::wasi::host_calls;

            const MSG: usize = 64;
            let bind = addr_arg(args)?;
            for idle in [0, 10, 100] {
                let mut poll = Poll::new().map_err(e)?;
                let mut events = Events::with_capacity(64);
                let mut listener = TcpListener::bind(bind).map_err(e)?;
                let addr = listener.local_addr().map_err(e)?;
                poll.registry()
                    .register(&mut listener, Token(0), Interest::READABLE)
                    .map_err(e)?;
                let accept = |poll: &mut Poll, events: &mut Events| {
                    for _ in 0..100 {
                        match listener.accept() {
                            Ok((stream, _)) => return Ok(stream),
                            Err(err) if err.kind() == ErrorKind::WouldBlock => poll
                                .poll(events, Some(Duration::from_millis(100)))
                                .map_err(e)?,
                            Err(err) => return Err(e(err)),
                        }
                    }
                    Err("nothing to accept".to_string())
                };
                let mut quiet = Vec::new();
                for i in 0..idle {
                    let client = TcpStream::connect(addr).map_err(e)?;
                    let mut server = accept(&mut poll, &mut events)?;
                    poll.registry()
                        .register(&mut server, Token(100 + i), Interest::READABLE)
                        .map_err(e)?;
                    quiet.push((client, server));
                }
                let mut client = TcpStream::connect(addr).map_err(e)?;
                let mut server = accept(&mut poll, &mut events)?;
                poll.registry()
                    .register(&mut client, Token(1), Interest::READABLE)
                    .map_err(e)?;
                poll.registry()
                    .register(&mut server, Token(2), Interest::READABLE)
                    .map_err(e)?;
                let mut buf = [0u8; 4 * MSG];
                // Reads until WouldBlock; the byte count.
                let drain = |stream: &mut TcpStream, buf: &mut [u8]| {
                    let mut got = 0;
                    loop {
                        match stream.read(&mut buf[got..]) {
                            Ok(0) => return Err("unexpected end of stream".to_string()),
                            Ok(n) => got += n,
                            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(got),
                            Err(err) => return Err(e(err)),
                        }
                    }
                };
                let (mut server_calls, mut waits, mut wait_calls) = (0, 0, 0);
                let rounds = 100;
                for round in 0..rounds + 20 {
                    client.write_all(&[0x5a; MSG]).map_err(e)?;
                    let start = host_calls();
                    let mut polls = 0;
                    loop {
                        poll.poll(&mut events, None).map_err(e)?;
                        polls += 1;
                        if events.iter().any(|ev| ev.token() == Token(2)) {
                            break;
                        }
                    }
                    let waited = host_calls() - start;
                    let n = drain(&mut server, &mut buf)?;
                    check(n == MSG, format!("read {n} bytes of {MSG}"))?;
                    server.write_all(&buf[..n]).map_err(e)?;
                    let calls = host_calls() - start;
                    wait(&mut poll, &mut events, Token(1))?;
                    check(drain(&mut client, &mut buf)? == MSG, "echo length")?;
                    // The first rounds warm up.
                    if round >= 20 {
                        server_calls += calls;
                        waits += polls;
                        wait_calls += waited;
                    }
                }
                println!(
                    "idle={idle}: host calls per wait {:.2}, per server round trip {:.2}",
                    wait_calls as f64 / waits as f64,
                    server_calls as f64 / rounds as f64
                );
                check(
                    wait_calls == waits,
                    format!("{wait_calls} host calls in {waits} waits with {idle} idle"),
                )?;
                // A message split in two would cost a read more; allow a few.
                check(
                    server_calls <= 4 * rounds + rounds / 20,
                    format!("{server_calls} host calls in {rounds} round trips with {idle} idle"),
                )?;
            }
            Ok(())
        }

        /// Two UDP sockets in the module: `connect`/`send`/`recv`/`peek` on
        /// one, `recv_from`/`send_to`/`peek_from` on the other.
        pub(super) fn udp_pair(args: &[String]) -> Result {
            let bind = addr_arg(args)?;
            let mut poll = Poll::new().map_err(e)?;
            let mut events = Events::with_capacity(8);
            let mut a = UdpSocket::bind(bind).map_err(e)?;
            let mut b = UdpSocket::bind(bind).map_err(e)?;
            let (a_addr, b_addr) = (a.local_addr().map_err(e)?, b.local_addr().map_err(e)?);
            b.connect(a_addr).map_err(e)?;
            check(
                b.peer_addr().map_err(e)? == a_addr,
                "peer_addr after connect",
            )?;
            poll.registry()
                .register(&mut a, Token(0), Interest::READABLE)
                .map_err(e)?;
            poll.registry()
                .register(&mut b, Token(1), Interest::READABLE)
                .map_err(e)?;
            // Nothing queued yet: WouldBlock, which also re-arms `a`.
            let mut buf = [0u8; 64];
            match a.recv_from(&mut buf) {
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                other => return Err(format!("recv_from on an empty socket: {other:?}")),
            }
            check(b.send(b"ping").map_err(e)? == 4, "short send")?;
            wait(&mut poll, &mut events, Token(0))?;
            let (n, from) = a.peek_from(&mut buf).map_err(e)?;
            check(
                &buf[..n] == b"ping" && from == b_addr,
                format!("peek_from: {n} bytes from {from}"),
            )?;
            let (n, from) = a.recv_from(&mut buf).map_err(e)?;
            check(
                &buf[..n] == b"ping" && from == b_addr,
                format!("recv_from: {n} bytes from {from}"),
            )?;
            a.send_to(b"pong", from).map_err(e)?;
            wait(&mut poll, &mut events, Token(1))?;
            let n = b.peek(&mut buf).map_err(e)?;
            check(&buf[..n] == b"pong", "peek on the connected socket")?;
            let n = b.recv(&mut buf).map_err(e)?;
            check(&buf[..n] == b"pong", "recv on the connected socket")
        }

        /// `lookup_host` resolves `localhost` and passes literals through.
        pub(super) fn dns() -> Result {
            let addrs = mio::wasi::lookup_host("localhost", 8080).map_err(e)?;
            check(
                addrs
                    .iter()
                    .any(|a| a.ip().is_loopback() && a.port() == 8080),
                format!("localhost resolved to {addrs:?}"),
            )?;
            let literal = mio::wasi::lookup_host("::1", 1).map_err(e)?;
            check(
                literal == ["[::1]:1".parse().map_err(|_| "parse")?],
                format!("literal: {literal:?}"),
            )?;
            match mio::wasi::lookup_host("name.invalid", 1) {
                Err(_) => Ok(()),
                Ok(addrs) => Err(format!("name.invalid resolved to {addrs:?}")),
            }
        }

        /// Socket options WasmEdge has work; the ones it lacks say so.
        pub(super) fn options() -> Result {
            let socket =
                UdpSocket::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).map_err(e)?;
            socket.set_broadcast(true).map_err(e)?;
            check(socket.broadcast().map_err(e)?, "SO_BROADCAST not set")?;
            socket.set_broadcast(false).map_err(e)?;
            check(!socket.broadcast().map_err(e)?, "SO_BROADCAST not cleared")?;
            check(
                socket.take_error().map_err(e)?.is_none(),
                "fresh socket has an error",
            )?;
            match socket.set_ttl(3) {
                Err(err)
                    if err.kind() == ErrorKind::Unsupported
                        && err.to_string().contains("WasmEdge") =>
                {
                    Ok(())
                }
                other => Err(format!("set_ttl: {other:?}")),
            }
        }
    }
}
