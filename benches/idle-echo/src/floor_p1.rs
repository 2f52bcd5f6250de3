//! The host's floor for the idle-connections benchmark on WasmEdge: the
//! same echo service as `server.rs`, served straight through preview 1's
//! `poll_oneoff`, `sock_accept`, `sock_recv` and `sock_send`, with the fewest
//! host calls a round trip can take, so that the figures of any library on
//! this host can be put beside what the host itself costs. Only the
//! listener is opened through this crate (`bind` needs WasmEdge's socket
//! extension); no `Poll` is involved.
//!
//! Per 64-byte round trip: one `poll_oneoff` with one read subscription per
//! connection (kept from one call to the next), `sock_recv` until the socket
//! is empty, as an edge-triggered loop reads (the interpreter is slow enough
//! that a native peer's next message is often there already, and is then
//! read without a poll), and one `sock_send`. A send the socket cannot take
//! at once waits for that socket alone and stalls the others, which is
//! acceptable only in a floor (the ping-pong never does). Not a model for
//! real code.
//!
//! Prints `LISTENING <addr>` and serves until killed, like `server.rs`.

mod args;

use std::io::{self, Write};
use std::os::fd::AsRawFd;

use mio_this::net::TcpListener;
use wasi::{Errno, Event, Subscription, SubscriptionFdReadwrite, SubscriptionU, SubscriptionUU};

fn read_subscription(fd: wasi::Fd, userdata: u64) -> Subscription {
    Subscription {
        userdata,
        u: SubscriptionU {
            tag: wasi::EVENTTYPE_FD_READ.raw(),
            u: SubscriptionUU {
                fd_read: SubscriptionFdReadwrite {
                    file_descriptor: fd,
                },
            },
        },
    }
}

/// Reads until the socket is empty, as an edge-triggered loop does,
/// sending what each read got straight back; whether the connection is
/// finished.
fn echo(fd: wasi::Fd, buf: &mut [u8]) -> bool {
    loop {
        let iov = [wasi::Iovec {
            buf: buf.as_mut_ptr(),
            buf_len: buf.len(),
        }];
        // SAFETY: the iovec points at `buf`, borrowed mutably here.
        let got = match unsafe { wasi::sock_recv(fd, &iov, 0) } {
            Ok((0, _)) => return true,
            Ok((got, _)) => got,
            Err(wasi::ERRNO_AGAIN) => return false,
            Err(wasi::ERRNO_INTR) => continue,
            Err(_) => return true,
        };
        let mut sent = 0;
        while sent < got {
            let ciov = [wasi::Ciovec {
                buf: buf[sent..].as_ptr(),
                buf_len: got - sent,
            }];
            // SAFETY: the ciovec points at `buf`, borrowed here.
            match unsafe { wasi::sock_send(fd, &ciov, 0) } {
                Ok(n) => sent += n,
                Err(wasi::ERRNO_AGAIN) => wait_writable(fd),
                Err(wasi::ERRNO_INTR) => {}
                Err(_) => return true,
            }
        }
    }
}

/// Waits until `fd` takes more bytes (never in the ping-pong), stalling
/// every other connection.
fn wait_writable(fd: wasi::Fd) {
    let sub = Subscription {
        userdata: 0,
        u: SubscriptionU {
            tag: wasi::EVENTTYPE_FD_WRITE.raw(),
            u: SubscriptionUU {
                fd_write: SubscriptionFdReadwrite {
                    file_descriptor: fd,
                },
            },
        },
    };
    let mut out = std::mem::MaybeUninit::<Event>::uninit();
    // SAFETY: one subscription in, room for one event out.
    let _ = unsafe { wasi::poll_oneoff(&sub, out.as_mut_ptr(), 1) };
}

fn fail(what: &str, errno: Errno) -> io::Error {
    io::Error::other(format!("{what}: {errno}"))
}

fn main() -> io::Result<()> {
    let addr = args::listen_addr()?;
    let listener = TcpListener::bind(addr)?;
    println!("LISTENING {}", listener.local_addr()?);
    io::stdout().flush()?;
    let listen_fd = listener.as_raw_fd() as wasi::Fd;

    // subs[0] is the listener's; subs[i] is fds[i - 1]'s. The userdata of
    // a subscription is its index, fixed up when a closed one is removed.
    let mut subs = vec![read_subscription(listen_fd, 0)];
    let mut fds: Vec<wasi::Fd> = Vec::new();
    let mut out: Vec<Event> = Vec::new();
    let mut closed: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        out.reserve(subs.len());
        // SAFETY: `subs` holds `subs.len()` initialised subscriptions and
        // `out` has room for as many events, which the host writes.
        let n = match unsafe { wasi::poll_oneoff(subs.as_ptr(), out.as_mut_ptr(), subs.len()) } {
            Ok(n) => n,
            Err(wasi::ERRNO_INTR) => continue,
            Err(e) => return Err(fail("poll_oneoff", e)),
        };
        // SAFETY: the host wrote the first `n` events.
        unsafe { out.set_len(n) };
        for event in out.iter() {
            let i = event.userdata as usize;
            if i == 0 {
                // SAFETY: a plain call on the listener's descriptor.
                let fd = match unsafe { wasi::sock_accept(listen_fd, 0) } {
                    Ok(fd) => fd,
                    // The listener is non-blocking; the peer may be gone.
                    Err(wasi::ERRNO_AGAIN | wasi::ERRNO_CONNABORTED) => continue,
                    Err(e) => return Err(fail("sock_accept", e)),
                };
                // SAFETY: a plain call on the new descriptor.
                unsafe { wasi::fd_fdstat_set_flags(fd, wasi::FDFLAGS_NONBLOCK) }
                    .map_err(|e| fail("fd_fdstat_set_flags", e))?;
                subs.push(read_subscription(fd, subs.len() as u64));
                fds.push(fd);
                continue;
            }
            if echo(fds[i - 1], &mut buf) {
                closed.push(i);
            }
        }
        out.clear();
        // Highest index first, so that each removal leaves the others valid.
        closed.sort_unstable();
        closed.dedup();
        for &i in closed.iter().rev() {
            // SAFETY: the descriptor was accepted here and is closed once.
            let _ = unsafe { wasi::fd_close(fds[i - 1]) };
            subs.swap_remove(i);
            fds.swap_remove(i - 1);
            if let Some(moved) = subs.get_mut(i) {
                moved.userdata = i as u64;
            }
        }
        closed.clear();
    }
}
