//! Compares this crate with upstream mio (and, as a floor, raw epoll through
//! libc) in one process, so both see the same machine state.
//!
//! ```text
//! cargo bench --bench compare --features os-poll,net,os-ext
//! RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
//!     cargo bench --bench compare --features os-poll,net,os-ext
//! ```
//!
//! The second form switches both this crate and upstream mio to their
//! poll(2) selectors (the raw column stays epoll).
//!
//! The raw epoll column uses the same syscalls and loops as the mio
//! versions, written directly against libc (its TCP echo uses std's
//! sockets for the I/O and a blocking connect).
//!
//! Each benchmark runs in many rounds; in every round each contestant runs
//! once, the rounds cycling through every order of the contestants (so each
//! runs equally often right after each other one), and the table shows the
//! median of the rounds. The ratio column is the median of the per-round
//! ratios with a 95% confidence interval of that median. Small, shared
//! machines are noisy: differences of a percent or two also come from code
//! placement and run order, so read ratios within about 0.02 of 1 as equal.
//!
//! Arguments select benchmarks by part of their name (`-- ping wake`);
//! `COMPARE_ROUNDS=n` changes the number of rounds and
//! `COMPARE_AA=1` puts upstream mio in the "ours" column too (through a
//! second copy of the loops) to show the noise floor of this machine, and
//! `COMPARE_ONLY=ours|upstream|raw` runs one contestant alone, for
//! profiling, for example
//! `COMPARE_ONLY=ours COMPARE_ROUNDS=2 valgrind --tool=callgrind <bench binary> wake`.
//!
//! Benchmarks:
//! * ping-pong: one byte back and forth over a socketpair (`UnixStream::pair`),
//!   both ends in one `Poll`: write, poll, read until `WouldBlock`, twice
//!   per round trip. Measures the per-event overhead of the selector.
//! * register + deregister of one socket.
//! * `Waker::wake` followed by `poll` with a zero timeout.
//! * TCP echo: 64 loopback connections, a server thread echoing with its own
//!   `Poll`, the client in one event loop on the main thread, each
//!   connection moving `TCP_BYTES_PER_CONN` bytes each way.

#[cfg(unix)]
fn main() {
    bench::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("benches/compare.rs compares against upstream mio on Unix only");
}

#[cfg(unix)]
mod bench {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    pub(crate) const ROUNDS: usize = 101;
    pub(crate) const PING_PONG_ITERS: u32 = 5_000;
    pub(crate) const REGISTER_ITERS: u32 = 20_000;
    pub(crate) const WAKE_ITERS: u32 = 20_000;
    pub(crate) const TCP_CONNS: usize = 64;
    pub(crate) const TCP_BYTES_PER_CONN: usize = 256 * 1024;
    pub(crate) const TCP_CHUNK: usize = 16 * 1024;

    /// One measurement: a figure in the benchmark's unit.
    type Run = fn() -> f64;

    struct Bench {
        name: &'static str,
        unit: &'static str,
        /// Higher is better (throughput) instead of lower (time).
        higher_is_better: bool,
        ours: Run,
        upstream: Run,
        raw: Option<Run>,
    }

    pub(crate) fn main() {
        // `cargo bench` passes `--bench`; other arguments select benchmarks
        // by a part of their name. COMPARE_ROUNDS overrides the round count
        // (handy under valgrind), COMPARE_ONLY picks one contestant.
        let filters: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        let rounds = std::env::var("COMPARE_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(ROUNDS);
        let selector = if cfg!(mio_unsupported_force_poll_poll) {
            "poll(2)"
        } else {
            "epoll"
        };
        // COMPARE_AA=1: an A/A check. The "ours" column runs upstream mio
        // as well, through a second copy of the benchmark loops, so its
        // ratio shows how far from 1.00 identical library code lands here
        // (run order, code placement): the noise floor for the real run.
        let aa = std::env::var_os("COMPARE_AA").is_some();
        let mut benches = [
            Bench {
                name: "socketpair ping-pong",
                unit: "ns/round trip",
                higher_is_better: false,
                ours: ours::ping_pong,
                upstream: upstream::ping_pong,
                raw: raw_run(raw::ping_pong),
            },
            Bench {
                name: "register + deregister",
                unit: "ns/pair",
                higher_is_better: false,
                ours: ours::register_deregister,
                upstream: upstream::register_deregister,
                raw: raw_run(raw::register_deregister),
            },
            Bench {
                name: "wake + poll(0)",
                unit: "ns/wake",
                higher_is_better: false,
                ours: ours::wake_poll,
                upstream: upstream::wake_poll,
                raw: raw_run(raw::wake_poll),
            },
            Bench {
                name: "tcp echo, 64 conns",
                unit: "MiB/s",
                higher_is_better: true,
                ours: ours::tcp_echo,
                upstream: upstream::tcp_echo,
                raw: raw_run(raw::tcp_echo),
            },
        ];

        if aa {
            benches[0].ours = upstream_again::ping_pong;
            benches[1].ours = upstream_again::register_deregister;
            benches[2].ours = upstream_again::wake_poll;
            benches[3].ours = upstream_again::tcp_echo;
            println!("A/A CHECK: the \"ours\" column is upstream mio again (COMPARE_AA)");
        }
        println!(
            "mio_wasi vs upstream mio 1.2.5, both on their {selector} selector; \
             raw = epoll through libc"
        );
        println!(
            "median of {rounds} interleaved rounds; ± = half the interquartile range, relative \
             to the median"
        );
        println!(
            "ratio: median over rounds of ours/upstream time per operation (throughput rows: \
             upstream MiB/s / ours MiB/s), [95% confidence interval]; <= 1.00 means ours \
             is as fast or faster"
        );
        println!();
        println!(
            "{:<24} {:<14} {:>16} {:>16} {:>16} {:>12}",
            "benchmark", "unit", "ours", "upstream", "raw epoll", "ratio"
        );

        let started = Instant::now();
        for bench in &benches {
            if !filters.is_empty() && !filters.iter().any(|f| bench.name.contains(f.as_str())) {
                continue;
            }
            let samples = measure(bench, rounds);
            let cell = |s: &[f64]| {
                if s.is_empty() {
                    return "-".to_string();
                }
                let (median, spread) = median_spread(&mut s.to_vec());
                format!("{} ±{:.0}%", fmt_num(median), spread * 50.0)
            };
            // Ratios of runs from the same round: neighbours in time see
            // the same background load.
            let mut ratios: Vec<f64> = samples[0]
                .iter()
                .zip(&samples[1])
                .map(|(&ours, &up)| {
                    if bench.higher_is_better {
                        up / ours
                    } else {
                        ours / up
                    }
                })
                .collect();
            if ratios.is_empty() {
                // COMPARE_ONLY ran a single contestant.
                ratios.push(f64::NAN);
            }
            let (ratio, _) = median_spread(&mut ratios);
            let (lo, hi) = median_ci(&ratios);
            println!(
                "{:<24} {:<14} {:>16} {:>16} {:>16} {:>6.2} [{:.2}-{:.2}]",
                bench.name,
                bench.unit,
                cell(&samples[0]),
                cell(&samples[1]),
                cell(&samples[2]),
                ratio,
                lo,
                hi
            );
        }
        println!();
        println!("total {:.1} s", started.elapsed().as_secs_f64());
    }

    /// Runs one benchmark: a warm-up, then `rounds` rounds in which every
    /// contestant runs once, the order changing from round to round.
    /// Returns the samples of ours, upstream and raw (empty if none).
    fn measure(bench: &Bench, rounds: usize) -> [Vec<f64>; 3] {
        let mut contestants: Vec<(usize, Run)> = vec![(0, bench.ours), (1, bench.upstream)];
        if let Some(raw) = bench.raw {
            contestants.push((2, raw));
        }
        // COMPARE_ONLY=ours|upstream|raw runs one contestant alone, to
        // look at it with strace or valgrind.
        if let Ok(only) = std::env::var("COMPARE_ONLY") {
            let names = ["ours", "upstream", "raw"];
            contestants.retain(|&(who, _)| names[who] == only);
        }
        // One warm-up run each (page faults, socket buffers, caches).
        for &(_, run) in &contestants {
            black_box(run());
        }
        let mut samples: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        // Every order of the contestants in turn: each runs equally often
        // right after each other one, so none always inherits caches and
        // branch predictors from the same neighbour.
        let orders = permutations(contestants.len());
        for round in 0..rounds {
            for &k in &orders[round % orders.len()] {
                let (who, run) = contestants[k];
                samples[who].push(run());
            }
        }
        samples
    }

    /// All orderings of `0..n` (n is at most 3 here).
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n <= 1 {
            return vec![(0..n).collect()];
        }
        let mut all = Vec::new();
        for first in 0..n {
            for mut rest in permutations(n - 1) {
                for x in &mut rest {
                    if *x >= first {
                        *x += 1;
                    }
                }
                rest.insert(0, first);
                all.push(rest);
            }
        }
        all
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn raw_run(f: Run) -> Option<Run> {
        Some(f)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn raw_run(_: Run) -> Option<Run> {
        None
    }

    /// A 95% confidence interval of the median of sorted `samples`, from
    /// order statistics (no assumption about the distribution).
    fn median_ci(sorted: &[f64]) -> (f64, f64) {
        let n = sorted.len() as f64;
        let half_width = 0.98 * n.sqrt();
        let lo = ((n / 2.0 - half_width).floor().max(0.0)) as usize;
        let hi = ((n / 2.0 + half_width).ceil() as usize).min(sorted.len() - 1);
        (sorted[lo], sorted[hi])
    }

    /// Median and spread (interquartile range relative to the median).
    fn median_spread(samples: &mut [f64]) -> (f64, f64) {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2.0
        };
        let q1 = samples[n / 4];
        let q3 = samples[(3 * n) / 4];
        (median, (q3 - q1) / median)
    }

    fn fmt_num(x: f64) -> String {
        if x >= 100.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    }

    pub(crate) fn per_op(elapsed: Duration, iters: u32) -> f64 {
        elapsed.as_nanos() as f64 / f64::from(iters)
    }

    pub(crate) fn mib_per_s(elapsed: Duration, bytes: usize) -> f64 {
        bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
    }

    /// The same benchmarks, written once against the mio API and compiled
    /// for each crate that provides it.
    macro_rules! suite {
        ($name:ident, $krate:ident) => {
            pub(crate) mod $name {
                use std::hint::black_box;
                use std::io::{self, Read, Write};
                use std::net::{Shutdown, SocketAddr};
                use std::thread;
                use std::time::{Duration, Instant};

                use $krate::net::{TcpListener, TcpStream, UnixStream};
                use $krate::{Events, Interest, Poll, Token, Waker};

                use super::{mib_per_s, per_op};
                use super::{
                    PING_PONG_ITERS, REGISTER_ITERS, TCP_BYTES_PER_CONN, TCP_CHUNK, TCP_CONNS,
                    WAKE_ITERS,
                };

                const A: Token = Token(1);
                const B: Token = Token(2);

                /// Waits until `token` is reported readable.
                fn wait_readable(poll: &mut Poll, events: &mut Events, token: Token) {
                    loop {
                        poll.poll(events, None).expect("poll");
                        if events.iter().any(|e| e.token() == token && e.is_readable()) {
                            return;
                        }
                    }
                }

                /// Reads until `WouldBlock`, as edge-triggered readiness asks.
                fn drain(stream: &mut UnixStream, buf: &mut [u8]) {
                    loop {
                        match stream.read(buf) {
                            Ok(0) => panic!("socketpair closed"),
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                            Err(e) => panic!("read: {e}"),
                        }
                    }
                }

                pub(crate) fn ping_pong() -> f64 {
                    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
                    let mut poll = Poll::new().expect("poll");
                    let mut events = Events::with_capacity(8);
                    poll.registry()
                        .register(&mut a, A, Interest::READABLE)
                        .expect("register");
                    poll.registry()
                        .register(&mut b, B, Interest::READABLE)
                        .expect("register");
                    let mut buf = [0u8; 64];
                    let start = Instant::now();
                    for _ in 0..PING_PONG_ITERS {
                        a.write_all(b"x").expect("write");
                        wait_readable(&mut poll, &mut events, B);
                        drain(&mut b, &mut buf);
                        b.write_all(b"y").expect("write");
                        wait_readable(&mut poll, &mut events, A);
                        drain(&mut a, &mut buf);
                    }
                    per_op(start.elapsed(), PING_PONG_ITERS)
                }

                pub(crate) fn register_deregister() -> f64 {
                    let (mut a, _b) = UnixStream::pair().expect("socketpair");
                    let poll = Poll::new().expect("poll");
                    let registry = poll.registry();
                    let start = Instant::now();
                    for i in 0..REGISTER_ITERS {
                        registry
                            .register(
                                &mut a,
                                Token(i as usize),
                                Interest::READABLE | Interest::WRITABLE,
                            )
                            .expect("register");
                        registry.deregister(&mut a).expect("deregister");
                    }
                    per_op(start.elapsed(), REGISTER_ITERS)
                }

                pub(crate) fn wake_poll() -> f64 {
                    let mut poll = Poll::new().expect("poll");
                    let mut events = Events::with_capacity(8);
                    let waker = Waker::new(poll.registry(), A).expect("waker");
                    let start = Instant::now();
                    for _ in 0..WAKE_ITERS {
                        waker.wake().expect("wake");
                        poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
                        assert!(black_box(&events).iter().next().is_some(), "wake lost");
                    }
                    per_op(start.elapsed(), WAKE_ITERS)
                }

                /// State of one echo connection on the server.
                struct ServerConn {
                    stream: TcpStream,
                    buf: Box<[u8]>,
                    start: usize,
                    end: usize,
                    open: bool,
                }

                impl ServerConn {
                    /// Echoes until both directions block or the peer is done.
                    fn service(&mut self) {
                        loop {
                            if self.start < self.end {
                                match self.stream.write(&self.buf[self.start..self.end]) {
                                    Ok(n) => self.start += n,
                                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                                    Err(e) => panic!("server write: {e}"),
                                }
                                continue;
                            }
                            match self.stream.read(&mut self.buf) {
                                Ok(0) => {
                                    let _ = self.stream.shutdown(Shutdown::Write);
                                    self.open = false;
                                    return;
                                }
                                Ok(n) => {
                                    self.start = 0;
                                    self.end = n;
                                }
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                                Err(e) => panic!("server read: {e}"),
                            }
                        }
                    }
                }

                fn echo_server(mut listener: TcpListener) {
                    let mut poll = Poll::new().expect("poll");
                    let mut events = Events::with_capacity(256);
                    const LISTENER: Token = Token(usize::MAX);
                    poll.registry()
                        .register(&mut listener, LISTENER, Interest::READABLE)
                        .expect("register");
                    let mut conns: Vec<ServerConn> = Vec::with_capacity(TCP_CONNS);
                    let mut closed = 0;
                    while closed < TCP_CONNS {
                        poll.poll(&mut events, None).expect("poll");
                        for event in events.iter() {
                            if event.token() == LISTENER {
                                loop {
                                    match listener.accept() {
                                        Ok((mut stream, _)) => {
                                            let token = Token(conns.len());
                                            poll.registry()
                                                .register(
                                                    &mut stream,
                                                    token,
                                                    Interest::READABLE | Interest::WRITABLE,
                                                )
                                                .expect("register");
                                            conns.push(ServerConn {
                                                stream,
                                                buf: vec![0u8; TCP_CHUNK].into_boxed_slice(),
                                                start: 0,
                                                end: 0,
                                                open: true,
                                            });
                                        }
                                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                        Err(e) => panic!("accept: {e}"),
                                    }
                                }
                                continue;
                            }
                            let conn = &mut conns[event.token().0];
                            if conn.open {
                                conn.service();
                                if !conn.open {
                                    closed += 1;
                                }
                            }
                        }
                    }
                }

                struct ClientConn {
                    stream: TcpStream,
                    connected: bool,
                    sent: usize,
                    received: usize,
                    done: bool,
                }

                impl ClientConn {
                    /// Sends and receives until both block; true once the
                    /// whole echo came back and the server closed.
                    fn service(&mut self, data: &[u8], buf: &mut [u8]) -> bool {
                        while self.sent < TCP_BYTES_PER_CONN {
                            let n = (TCP_BYTES_PER_CONN - self.sent).min(data.len());
                            match self.stream.write(&data[..n]) {
                                Ok(n) => {
                                    self.sent += n;
                                    if self.sent == TCP_BYTES_PER_CONN {
                                        self.stream.shutdown(Shutdown::Write).expect("shutdown");
                                    }
                                }
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) => panic!("client write: {e}"),
                            }
                        }
                        loop {
                            match self.stream.read(buf) {
                                Ok(0) => {
                                    assert_eq!(self.received, TCP_BYTES_PER_CONN, "short echo");
                                    return true;
                                }
                                Ok(n) => self.received += n,
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                                Err(e) => panic!("client read: {e}"),
                            }
                        }
                    }
                }

                pub(crate) fn tcp_echo() -> f64 {
                    let listener =
                        TcpListener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
                    let addr: SocketAddr = listener.local_addr().expect("local_addr");
                    let server = thread::spawn(move || echo_server(listener));
                    let data = vec![0x5au8; TCP_CHUNK];
                    let mut buf = vec![0u8; TCP_CHUNK];

                    let start = Instant::now();
                    let mut poll = Poll::new().expect("poll");
                    let mut events = Events::with_capacity(256);
                    let mut conns: Vec<ClientConn> = (0..TCP_CONNS)
                        .map(|i| {
                            let mut stream = TcpStream::connect(addr).expect("connect");
                            poll.registry()
                                .register(
                                    &mut stream,
                                    Token(i),
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .expect("register");
                            ClientConn {
                                stream,
                                connected: false,
                                sent: 0,
                                received: 0,
                                done: false,
                            }
                        })
                        .collect();
                    let mut done = 0;
                    while done < TCP_CONNS {
                        poll.poll(&mut events, None).expect("poll");
                        for event in events.iter() {
                            let conn = &mut conns[event.token().0];
                            if conn.done {
                                continue;
                            }
                            if !conn.connected {
                                // The first writable event ends the connect.
                                if !event.is_writable() {
                                    continue;
                                }
                                conn.connected = true;
                            }
                            if conn.service(&data, &mut buf) {
                                conn.done = true;
                                done += 1;
                            }
                        }
                    }
                    let elapsed = start.elapsed();
                    server.join().expect("server thread");
                    black_box(&conns);
                    mib_per_s(elapsed, TCP_CONNS * TCP_BYTES_PER_CONN)
                }
            }
        };
    }

    suite!(ours, mio);
    suite!(upstream, upstream_mio);
    suite!(upstream_again, upstream_mio);

    /// The same loops over epoll and libc calls directly: the floor that
    /// any library on top of epoll can approach.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) mod raw {
        use std::io::{self, Read, Write};
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
        use std::thread;
        use std::time::Instant;

        use super::{mib_per_s, per_op, PING_PONG_ITERS, REGISTER_ITERS, WAKE_ITERS};
        use super::{TCP_BYTES_PER_CONN, TCP_CHUNK, TCP_CONNS};

        fn epoll() -> OwnedFd {
            // SAFETY: plain syscall without pointers.
            let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
            assert!(fd >= 0, "epoll_create1");
            // SAFETY: `fd` is a fresh descriptor owned by nobody else.
            unsafe { OwnedFd::from_raw_fd(fd) }
        }

        fn socketpair() -> (OwnedFd, OwnedFd) {
            let mut fds = [0; 2];
            // SAFETY: `fds` has room for the two descriptors.
            let res = unsafe {
                libc::socketpair(
                    libc::AF_UNIX,
                    libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                    0,
                    fds.as_mut_ptr(),
                )
            };
            assert_eq!(res, 0, "socketpair");
            // SAFETY: both descriptors are fresh and owned by nobody else.
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
        }

        fn ctl(ep: &OwnedFd, op: libc::c_int, fd: RawFd, events: libc::c_int, data: u64) {
            let mut ev = libc::epoll_event {
                events: events as u32,
                u64: data,
            };
            // SAFETY: `ev` is valid for the call.
            let res = unsafe { libc::epoll_ctl(ep.as_raw_fd(), op, fd, &mut ev) };
            assert_eq!(res, 0, "epoll_ctl");
        }

        fn wait(ep: &OwnedFd, events: &mut [libc::epoll_event], timeout: libc::c_int) -> usize {
            // SAFETY: the buffer holds `events.len()` entries.
            let n = unsafe {
                libc::epoll_wait(
                    ep.as_raw_fd(),
                    events.as_mut_ptr(),
                    events.len() as libc::c_int,
                    timeout,
                )
            };
            assert!(n >= 0, "epoll_wait");
            n as usize
        }

        fn wait_for(ep: &OwnedFd, events: &mut [libc::epoll_event], data: u64) {
            loop {
                let n = wait(ep, events, -1);
                if events[..n].iter().any(|e| e.u64 == data) {
                    return;
                }
            }
        }

        fn write_byte(fd: &OwnedFd) {
            let byte = b'x';
            // SAFETY: writes one byte from a valid local.
            let n = unsafe { libc::write(fd.as_raw_fd(), (&byte as *const u8).cast(), 1) };
            assert_eq!(n, 1, "write");
        }

        fn drain(fd: &OwnedFd, buf: &mut [u8]) {
            loop {
                // SAFETY: reads into a valid buffer of the given length.
                let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 {
                    return; // EAGAIN
                }
                assert!(n > 0, "socketpair closed");
            }
        }

        const IN: libc::c_int = libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET;

        pub(crate) fn ping_pong() -> f64 {
            let (a, b) = socketpair();
            let ep = epoll();
            ctl(&ep, libc::EPOLL_CTL_ADD, a.as_raw_fd(), IN, 1);
            ctl(&ep, libc::EPOLL_CTL_ADD, b.as_raw_fd(), IN, 2);
            let mut events = [libc::epoll_event { events: 0, u64: 0 }; 8];
            let mut buf = [0u8; 64];
            let start = Instant::now();
            for _ in 0..PING_PONG_ITERS {
                write_byte(&a);
                wait_for(&ep, &mut events, 2);
                drain(&b, &mut buf);
                write_byte(&b);
                wait_for(&ep, &mut events, 1);
                drain(&a, &mut buf);
            }
            per_op(start.elapsed(), PING_PONG_ITERS)
        }

        pub(crate) fn register_deregister() -> f64 {
            let (a, _b) = socketpair();
            let ep = epoll();
            let start = Instant::now();
            for i in 0..REGISTER_ITERS {
                ctl(
                    &ep,
                    libc::EPOLL_CTL_ADD,
                    a.as_raw_fd(),
                    IN | libc::EPOLLOUT,
                    u64::from(i),
                );
                // SAFETY: a null event is allowed for EPOLL_CTL_DEL.
                let res = unsafe {
                    libc::epoll_ctl(
                        ep.as_raw_fd(),
                        libc::EPOLL_CTL_DEL,
                        a.as_raw_fd(),
                        std::ptr::null_mut(),
                    )
                };
                assert_eq!(res, 0, "epoll_ctl DEL");
            }
            per_op(start.elapsed(), REGISTER_ITERS)
        }

        pub(crate) fn wake_poll() -> f64 {
            let ep = epoll();
            // SAFETY: plain syscall without pointers.
            let efd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
            assert!(efd >= 0, "eventfd");
            // SAFETY: `efd` is fresh and owned by nobody else.
            let efd = unsafe { OwnedFd::from_raw_fd(efd) };
            ctl(&ep, libc::EPOLL_CTL_ADD, efd.as_raw_fd(), IN, 1);
            let mut events = [libc::epoll_event { events: 0, u64: 0 }; 8];
            let one = 1u64.to_ne_bytes();
            let start = Instant::now();
            for _ in 0..WAKE_ITERS {
                // SAFETY: writes 8 bytes from a valid local.
                let n = unsafe { libc::write(efd.as_raw_fd(), one.as_ptr().cast(), 8) };
                assert_eq!(n, 8, "eventfd write");
                assert!(wait(&ep, &mut events, 0) > 0, "wake lost");
            }
            per_op(start.elapsed(), WAKE_ITERS)
        }

        const ECHO: libc::c_int = IN | libc::EPOLLOUT;
        const LISTENER: u64 = u64::MAX;

        /// Echoes for one connection until both directions block or the
        /// peer is done; false once it is closed.
        fn serve(stream: &mut TcpStream, buf: &mut [u8], pending: &mut (usize, usize)) -> bool {
            loop {
                if pending.0 < pending.1 {
                    match stream.write(&buf[pending.0..pending.1]) {
                        Ok(n) => pending.0 += n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                        Err(e) => panic!("server write: {e}"),
                    }
                    continue;
                }
                match stream.read(buf) {
                    Ok(0) => {
                        let _ = stream.shutdown(Shutdown::Write);
                        return false;
                    }
                    Ok(n) => *pending = (0, n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                    Err(e) => panic!("server read: {e}"),
                }
            }
        }

        fn echo_server(listener: TcpListener) {
            let ep = epoll();
            ctl(&ep, libc::EPOLL_CTL_ADD, listener.as_raw_fd(), IN, LISTENER);
            let mut events = [libc::epoll_event { events: 0, u64: 0 }; 256];
            // Per connection: stream, buffer, unsent part of it, still open.
            type Conn = (TcpStream, Box<[u8]>, (usize, usize), bool);
            let mut conns: Vec<Conn> = Vec::new();
            let mut closed = 0;
            while closed < TCP_CONNS {
                let n = wait(&ep, &mut events, -1);
                for event in &events[..n] {
                    let token = event.u64;
                    if token == LISTENER {
                        loop {
                            match listener.accept() {
                                Ok((stream, _)) => {
                                    stream.set_nonblocking(true).expect("nonblocking");
                                    let id = conns.len() as u64;
                                    ctl(&ep, libc::EPOLL_CTL_ADD, stream.as_raw_fd(), ECHO, id);
                                    let buf = vec![0u8; TCP_CHUNK].into_boxed_slice();
                                    conns.push((stream, buf, (0, 0), true));
                                }
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) => panic!("accept: {e}"),
                            }
                        }
                        continue;
                    }
                    let (stream, buf, pending, open) = &mut conns[token as usize];
                    if *open && !serve(stream, buf, pending) {
                        *open = false;
                        closed += 1;
                    }
                }
            }
        }

        /// The client side of one connection: sends and receives until both
        /// block; true once the whole echo came back and the server closed.
        fn drive(
            stream: &mut TcpStream,
            sent: &mut usize,
            received: &mut usize,
            data: &[u8],
            buf: &mut [u8],
        ) -> bool {
            while *sent < TCP_BYTES_PER_CONN {
                let n = (TCP_BYTES_PER_CONN - *sent).min(data.len());
                match stream.write(&data[..n]) {
                    Ok(n) => {
                        *sent += n;
                        if *sent == TCP_BYTES_PER_CONN {
                            stream.shutdown(Shutdown::Write).expect("shutdown");
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("client write: {e}"),
                }
            }
            loop {
                match stream.read(buf) {
                    Ok(0) => {
                        assert_eq!(*received, TCP_BYTES_PER_CONN, "short echo");
                        return true;
                    }
                    Ok(n) => *received += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                    Err(e) => panic!("client read: {e}"),
                }
            }
        }

        pub(crate) fn tcp_echo() -> f64 {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.set_nonblocking(true).expect("nonblocking");
            let addr = listener.local_addr().expect("local_addr");
            let server = thread::spawn(move || echo_server(listener));
            let data = vec![0x5au8; TCP_CHUNK];
            let mut buf = vec![0u8; TCP_CHUNK];

            let start = Instant::now();
            let ep = epoll();
            // std connects block; on loopback that is quick, and the
            // streams are non-blocking from then on.
            let mut conns: Vec<(TcpStream, usize, usize, bool)> = (0..TCP_CONNS)
                .map(|i| {
                    let stream = TcpStream::connect(addr).expect("connect");
                    stream.set_nonblocking(true).expect("nonblocking");
                    ctl(&ep, libc::EPOLL_CTL_ADD, stream.as_raw_fd(), ECHO, i as u64);
                    (stream, 0, 0, false)
                })
                .collect();
            let mut events = [libc::epoll_event { events: 0, u64: 0 }; 256];
            let mut done = 0;
            while done < TCP_CONNS {
                let n = wait(&ep, &mut events, -1);
                for i in 0..n {
                    let (stream, sent, received, finished) = &mut conns[events[i].u64 as usize];
                    if !*finished && drive(stream, sent, received, &data, &mut buf) {
                        *finished = true;
                        done += 1;
                    }
                }
            }
            let elapsed = start.elapsed();
            server.join().expect("server thread");
            mib_per_s(elapsed, TCP_CONNS * TCP_BYTES_PER_CONN)
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) mod raw {
        pub(crate) fn ping_pong() -> f64 {
            f64::NAN
        }
        pub(crate) fn register_deregister() -> f64 {
            f64::NAN
        }
        pub(crate) fn wake_poll() -> f64 {
            f64::NAN
        }
        pub(crate) fn tcp_echo() -> f64 {
            f64::NAN
        }
    }
}
