//! The `examples` suite: the examples `tcp_server`, `tcp_client` and
//! `udp_server`, built natively on both Linux selectors, against native
//! clients on loopback; then one round of `benches/compare.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::Duration;

use crate::cargo::cargo;
use crate::harness::{Ctx, Fallible, Report, Suite};
use crate::peer;
use crate::process::{cmd, Background};

pub const EXAMPLES: Suite = Suite {
    name: "examples",
    about: "tcp_server, tcp_client and udp_server against native clients on both selectors; one bench round",
    run: examples,
};

/// What every check may take at most (a session, one reply).
const TIMEOUT: Duration = Duration::from_secs(20);

fn examples(ctx: &Ctx, report: &mut Report) {
    report.section("examples (default selector)", |report| {
        selector(ctx, report, None, "target")
    });
    // The target directory the core_poll suite builds into, so that the
    // two selectors' builds do not invalidate each other.
    report.section("examples (poll(2) selector)", |report| {
        selector(
            ctx,
            report,
            Some("--cfg mio_unsupported_force_poll_poll"),
            "target/force-poll",
        )
    });
    report.part("benches/compare.rs, one round");
    bench_round(report);
}

/// Builds the examples with `rustflags` into `target_dir` and checks them.
fn selector(ctx: &Ctx, report: &mut Report, rustflags: Option<&str>, target_dir: &str) {
    let mut build = cargo(
        None,
        &[
            "build",
            "--examples",
            "--features",
            "os-poll,net",
            "--target-dir",
            target_dir,
        ],
    )
    .timeout(Duration::from_secs(1200));
    if let Some(flags) = rustflags {
        build = build.env("RUSTFLAGS", flags);
    }
    if !report.check("build the examples", build.go().ok()) {
        return;
    }
    let bin = ctx.path(target_dir).join("debug/examples");
    tcp_checks(report, &bin);
    udp_checks(report, &bin);
}

/// Starts example `name` on a free loopback port: the server and the
/// address from its `listening on` line.
fn start(bin: &Path, name: &str) -> Fallible<(Background, SocketAddr)> {
    let mut server = cmd(bin.join(name)).arg("127.0.0.1:0").spawn()?;
    let addr = server.listening(Duration::from_secs(10))?;
    Ok((server, addr))
}

fn tcp_checks(report: &mut Report, bin: &Path) {
    let (server, addr) = match start(bin, "tcp_server") {
        Ok(started) => started,
        Err(e) => {
            report.fail("tcp_server prints its address", e);
            return;
        }
    };
    report.pass(format!("tcp_server prints its address ({addr})"));
    report.check(
        "tcp_server echoes 1 MiB",
        peer::tcp_echo(addr, 1 << 20, TIMEOUT),
    );
    report.check("tcp_server echoes lines and closes on EOF", lines(addr));
    report.check("tcp_server closes an empty session", empty(addr));
    report.check("tcp_server serves 32 clients at once", many(addr));
    report.check(
        "tcp_client echoes stdin lines",
        client(bin, addr, &[], "one\ntwo words\n", "one\ntwo words"),
    );
    report.check(
        "tcp_client sends a message",
        client(bin, addr, &["hello", "there"], "", "hello there"),
    );
    report.check("tcp_server still serves after the other tests", lines(addr));
    if let Err(e) = server.stop() {
        report.fail("tcp_server keeps running", e);
    }
}

/// Two lines echoed in one session, then EOF from the server.
fn lines(addr: SocketAddr) -> Fallible {
    let payload = b"hello\nworld\n";
    let got = peer::tcp_exchange(addr, payload, TIMEOUT)?;
    if got == payload {
        Ok(())
    } else {
        Err(format!("line echo: {:?}", String::from_utf8_lossy(&got)))
    }
}

/// Connect and close at once: the server must close its side too.
fn empty(addr: SocketAddr) -> Fallible {
    let got = peer::tcp_exchange(addr, b"", TIMEOUT)?;
    if got.is_empty() {
        Ok(())
    } else {
        Err(format!("an empty session got {} bytes", got.len()))
    }
}

/// 32 clients at once, each with its own data, all open together.
fn many(addr: SocketAddr) -> Fallible {
    let clients: Vec<_> = (0..32u8)
        .map(|i| {
            thread::spawn(move || -> Fallible {
                let data = vec![i; 64 * 1024 + usize::from(i)];
                let got = peer::tcp_exchange(addr, &data, TIMEOUT)?;
                if got == data {
                    Ok(())
                } else {
                    Err(format!("{} of {} bytes", got.len(), data.len()))
                }
            })
        })
        .collect();
    let mut bad = Vec::new();
    for (i, client) in clients.into_iter().enumerate() {
        match client.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => bad.push(format!("client {i}: {e}")),
            Err(_) => bad.push(format!("client {i}: panicked")),
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

/// Runs `tcp_client ADDR ARGS...` with `stdin` and expects `want` as its
/// whole output.
fn client(bin: &Path, addr: SocketAddr, args: &[&str], stdin: &str, want: &str) -> Fallible {
    let out = cmd(bin.join("tcp_client"))
        .arg(addr.to_string())
        .args(args)
        .input(stdin)
        .timeout(Duration::from_secs(30))
        .quiet()
        .go();
    out.ok().map_err(|e| format!("{e}: {}", out.tail(10)))?;
    let got = out.text.trim_end_matches('\n');
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}"))
    }
}

fn udp_checks(report: &mut Report, bin: &Path) {
    let (server, addr) = match start(bin, "udp_server") {
        Ok(started) => started,
        Err(e) => {
            report.fail("udp_server prints its address", e);
            return;
        }
    };
    report.pass(format!("udp_server prints its address ({addr})"));
    let wait = Duration::from_secs(5);
    report.check(
        "udp_server echoes small datagrams",
        peer::udp_datagrams(addr, &[1, 5, 100, 1400], wait),
    );
    report.check(
        "udp_server echoes a 60000-byte datagram",
        peer::udp_datagrams(addr, &[60000], wait),
    );
    if let Err(e) = server.stop() {
        report.fail("udp_server keeps running", e);
    }
}

/// `benches/compare.rs` builds and completes one round: a smoke run (the
/// figures of one round on a shared machine mean nothing).
fn bench_round(report: &mut Report) {
    let out = cargo(
        None,
        &[
            "bench",
            "--bench",
            "compare",
            "--features",
            "os-poll,net,os-ext",
        ],
    )
    .env("COMPARE_ROUNDS", "1")
    .timeout(Duration::from_secs(600))
    .quiet()
    .go();
    match out.ok() {
        Ok(()) => {
            for line in out.text.lines().filter(|l| is_bench_row(l)) {
                println!("{line}");
            }
            report.pass("bench compare: one round");
        }
        Err(e) => report.fail("bench compare: one round", format!("{e}\n{}", out.tail(30))),
    }
}

/// The table rows of the compare bench's output.
fn is_bench_row(line: &str) -> bool {
    ["benchmark", "socketpair", "register", "wake", "tcp echo"]
        .iter()
        .any(|p| line.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_rows() {
        assert!(is_bench_row("tcp echo, 64 conns       MiB/s   941"));
        assert!(is_bench_row("benchmark                unit"));
        assert!(!is_bench_row("   Compiling mio_wasi"));
    }
}
