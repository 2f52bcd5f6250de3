//! 1,000 concurrent TCP connections through one `Poll`: all connected at
//! the same time, each echoing a message that names it.
//!
//! Its own test binary because it raises the process's descriptor limit
//! and opens some 2,000 sockets.

#![cfg(all(feature = "os-poll", feature = "net"))]

use std::collections::HashMap;
use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Token};

mod util;
use util::{any_local_address, init_with_poll, skip};

const CONNECTIONS: usize = 1000;
const LISTENER: Token = Token(usize::MAX - 1);
/// Client `i` has token `i`, its accepted peer `SERVER_BASE + i`.
const SERVER_BASE: usize = 100_000;

/// Makes sure the process may open `needed` descriptors; false if it cannot.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every Unix
fn ensure_fd_limit(needed: u64) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to an rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return false;
    }
    if limit.rlim_cur as u64 >= needed {
        return true;
    }
    if (limit.rlim_max as u64) < needed && limit.rlim_max != libc::RLIM_INFINITY {
        return false;
    }
    limit.rlim_cur = needed as libc::rlim_t;
    // SAFETY: valid pointer to an rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 }
}

#[cfg(not(unix))]
fn ensure_fd_limit(_needed: u64) -> bool {
    true
}

fn accept_all(listener: &TcpListener, into: &mut Vec<TcpStream>) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => into.push(stream),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("accept failed after {} connections: {e}", into.len()),
        }
    }
}

#[test]
fn thousand_concurrent_connections() {
    if !ensure_fd_limit(2 * CONNECTIONS as u64 + 256) {
        skip(
            "thousand_concurrent_connections",
            "RLIMIT_NOFILE cannot be raised to hold 2,000 sockets",
        );
        return;
    }
    let (mut poll, _) = init_with_poll();
    let mut events = Events::with_capacity(256);
    let mut listener = TcpListener::bind(any_local_address()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");

    // Connect in batches no larger than the smallest common listen backlog
    // (so no SYN is dropped and retried), keeping every connection open.
    let mut clients: Vec<TcpStream> = Vec::with_capacity(CONNECTIONS);
    let mut accepted: Vec<TcpStream> = Vec::with_capacity(CONNECTIONS);
    while clients.len() < CONNECTIONS {
        let batch = (CONNECTIONS - clients.len()).min(100);
        for _ in 0..batch {
            let mut client = TcpStream::connect(addr).expect("connect");
            let token = Token(clients.len());
            poll.registry()
                .register(&mut client, token, Interest::READABLE)
                .expect("register client");
            clients.push(client);
        }
        accept_all(&listener, &mut accepted);
        while accepted.len() < clients.len() {
            poll.poll(&mut events, Some(util::EVENT_DEADLINE))
                .expect("poll");
            assert!(
                !events.is_empty(),
                "stuck at {} of {} accepted",
                accepted.len(),
                clients.len()
            );
            accept_all(&listener, &mut accepted);
        }
    }
    assert_eq!(accepted.len(), CONNECTIONS);

    // Accepted sockets do not know which client they belong to: map them
    // through the client's local address.
    let by_addr: HashMap<_, _> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| (c.local_addr().expect("addr"), i))
        .collect();
    let mut servers: Vec<Option<TcpStream>> = (0..CONNECTIONS).map(|_| None).collect();
    for mut stream in accepted {
        let i = by_addr[&stream.peer_addr().expect("peer")];
        poll.registry()
            .register(&mut stream, Token(SERVER_BASE + i), Interest::READABLE)
            .expect("register server side");
        servers[i] = Some(stream);
    }
    let mut servers: Vec<TcpStream> = servers
        .into_iter()
        .map(|s| s.expect("every client accepted"))
        .collect();

    // Every client sends its index; every server echoes; every client checks.
    for (i, client) in clients.iter_mut().enumerate() {
        client.write_all(&(i as u64).to_le_bytes()).expect("write");
    }
    let mut server_bufs: Vec<Vec<u8>> = vec![Vec::new(); CONNECTIONS];
    let mut client_bufs: Vec<Vec<u8>> = vec![Vec::new(); CONNECTIONS];
    let mut echoed = 0;
    let mut done = 0;
    let mut buf = [0u8; 64];
    while done < CONNECTIONS {
        poll.poll(&mut events, Some(util::EVENT_DEADLINE))
            .expect("poll");
        assert!(!events.is_empty(), "stuck: {echoed} echoed, {done} done");
        for event in events.iter() {
            let t = event.token().0;
            if t == LISTENER.0 {
                continue;
            }
            let (stream, collected, is_server) = if t >= SERVER_BASE {
                (
                    &mut servers[t - SERVER_BASE],
                    &mut server_bufs[t - SERVER_BASE],
                    true,
                )
            } else {
                (&mut clients[t], &mut client_bufs[t], false)
            };
            let before = collected.len();
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => panic!("connection {t} closed early"),
                    Ok(n) => collected.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read on {t}: {e}"),
                }
            }
            assert!(collected.len() <= 8, "too much data on {t}");
            if before < 8 && collected.len() == 8 {
                if is_server {
                    stream.write_all(collected).expect("echo");
                    echoed += 1;
                } else {
                    assert_eq!(
                        collected[..],
                        (t as u64).to_le_bytes(),
                        "wrong echo for {t}"
                    );
                    done += 1;
                }
            }
        }
    }
    assert_eq!(echoed, CONNECTIONS);
    assert_eq!(done, CONNECTIONS);
}
