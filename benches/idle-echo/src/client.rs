//! Native client of the idle-connections benchmark (std only).
//!
//! ```text
//! idle-echo-client pingpong ADDR PID IDLE ROUNDS   one active connection
//! idle-echo-client many ADDR PID CONNS ROUNDS SIZE  CONNS at once
//! idle-echo-client summary FILE                     table and ratios
//! idle-echo-client tcp-echo-summary FILE RUST        medians of benches/tcp_echo
//! ```
//!
//! `pingpong` opens IDLE connections (each echoes one byte once, so the
//! server has accepted and registered it) that then stay silent, and times
//! ROUNDS round trips of a 64-byte message on one more connection. `many`
//! runs CONNS connections at once, each doing ROUNDS round trips of SIZE
//! bytes. Both print a `RESULT` line: the server's CPU time per round trip
//! (all threads of process PID, from /proc/PID/task/*/schedstat), the mean
//! round-trip time, the wall time, and (`pingpong`) the server's CPU time
//! over one idle second afterwards (from 0.2 s after the last round trip).
//!
//! `summary` reads lines `<label> <variant> <RESULT line>` and prints, per
//! label, each variant's range and median and the ratios of the medians of
//! the first variant to each other one; then, per variant, the medians at
//! each `idle=N` label over those at `idle=0`.
//!
//! `tcp-echo-summary` reads lines `<mio_wasi|upstream> <us per round trip>
//! <round trips/s>` (benches/tcp_echo.rs under wasmtime, the two taking
//! turns; scripts/bench-wasip2.sh writes them) and prints each one's
//! medians, their ratios, and the median of the per-round ratios; RUST
//! names the toolchain in the heading.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use std::{env, fs, thread};

fn main() -> io::Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    let arg = |i: usize| -> io::Result<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "missing argument"))
    };
    let num = |i: usize| -> io::Result<usize> {
        arg(i)?
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad number"))
    };
    match arg(0)? {
        "pingpong" => pingpong(arg(1)?.parse().map_err(bad)?, num(2)?, num(3)?, num(4)?),
        "many" => many(
            arg(1)?.parse().map_err(bad)?,
            num(2)?,
            num(3)?,
            num(4)?,
            num(5)?,
        ),
        "summary" => summary(arg(1)?),
        "tcp-echo-summary" => tcp_echo_summary(arg(1)?, arg(2)?),
        _ => Err(bad("unknown mode")),
    }
}

fn bad<E: std::fmt::Debug>(e: E) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{e:?}"))
}

/// CPU time of every live thread of `pid`, in nanoseconds.
fn cpu_ns(pid: usize) -> io::Result<u64> {
    let mut total = 0;
    for task in fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        // A thread may exit between the listing and the read.
        if let Ok(text) = fs::read_to_string(path) {
            total += text
                .split_whitespace()
                .next()
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok(total)
}

fn round_trip(stream: &mut TcpStream, out: &[u8], back: &mut [u8]) -> io::Result<()> {
    stream.write_all(out)?;
    stream.read_exact(back)
}

fn pingpong(addr: SocketAddr, pid: usize, idle: usize, rounds: usize) -> io::Result<()> {
    let mut quiet = Vec::with_capacity(idle);
    for _ in 0..idle {
        let mut s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        round_trip(&mut s, &[7], &mut [0])?;
        quiet.push(s);
    }
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    let msg = [0x5au8; 64];
    let mut back = [0u8; 64];
    for _ in 0..200 {
        round_trip(&mut s, &msg, &mut back)?;
    }
    let cpu0 = cpu_ns(pid)?;
    let t0 = Instant::now();
    for _ in 0..rounds {
        round_trip(&mut s, &msg, &mut back)?;
    }
    let wall = t0.elapsed();
    let cpu = cpu_ns(pid)? - cpu0;
    if back != msg {
        return Err(io::Error::other("echo differs"));
    }
    // The server's last wait starts after our last read: let it settle.
    thread::sleep(Duration::from_millis(200));
    let idle0 = cpu_ns(pid)?;
    thread::sleep(Duration::from_secs(1));
    let idle_cpu = cpu_ns(pid)? - idle0;
    println!(
        "RESULT cpu_us_per_rt={:.2} latency_us={:.2} wall_ms={:.1} idle_cpu_us_per_s={:.0}",
        cpu as f64 / 1e3 / rounds as f64,
        wall.as_secs_f64() * 1e6 / rounds as f64,
        wall.as_secs_f64() * 1e3,
        idle_cpu as f64 / 1e3,
    );
    drop(quiet);
    Ok(())
}

fn many(addr: SocketAddr, pid: usize, conns: usize, rounds: usize, size: usize) -> io::Result<()> {
    let start = Arc::new(Barrier::new(conns + 1));
    let mut workers = Vec::new();
    for i in 0..conns {
        let mut s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        let start = Arc::clone(&start);
        workers.push(thread::spawn(move || -> io::Result<()> {
            let msg = vec![i as u8; size];
            let mut back = vec![0u8; size];
            round_trip(&mut s, &msg, &mut back)?;
            start.wait();
            for _ in 0..rounds {
                round_trip(&mut s, &msg, &mut back)?;
            }
            if back != msg {
                return Err(io::Error::other("echo differs"));
            }
            Ok(())
        }));
    }
    start.wait();
    let cpu0 = cpu_ns(pid)?;
    let t0 = Instant::now();
    for w in workers {
        w.join()
            .map_err(|_| io::Error::other("client thread panicked"))??;
    }
    let wall = t0.elapsed();
    let cpu = cpu_ns(pid)? - cpu0;
    let total = conns * rounds;
    println!(
        "RESULT cpu_us_per_rt={:.2} latency_us={:.2} wall_ms={:.1}",
        cpu as f64 / 1e3 / total as f64,
        wall.as_secs_f64() * 1e6 * conns as f64 / total as f64,
        wall.as_secs_f64() * 1e3,
    );
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn summary(file: &str) -> io::Result<()> {
    // label -> variant (in order of appearance) -> metric -> values
    type Metrics = BTreeMap<String, Vec<f64>>;
    let mut labels: Vec<String> = Vec::new();
    let mut variants: Vec<String> = Vec::new();
    let mut data: BTreeMap<(String, String), Metrics> = BTreeMap::new();
    for line in fs::read_to_string(file)?.lines() {
        let mut words = line.split_whitespace();
        let (Some(label), Some(variant), Some("RESULT")) =
            (words.next(), words.next(), words.next())
        else {
            continue;
        };
        if !labels.iter().any(|l| l == label) {
            labels.push(label.to_string());
        }
        if !variants.iter().any(|v| v == variant) {
            variants.push(variant.to_string());
        }
        let metrics = data
            .entry((label.to_string(), variant.to_string()))
            .or_default();
        for kv in words {
            if let Some((k, v)) = kv.split_once('=') {
                if let Ok(v) = v.parse::<f64>() {
                    metrics.entry(k.to_string()).or_default().push(v);
                }
            }
        }
    }
    let names = [
        "cpu_us_per_rt",
        "latency_us",
        "wall_ms",
        "idle_cpu_us_per_s",
    ];
    println!(
        "{:<10} {:<20} {:>4} {:>26} {:>26} {:>26} {:>12}",
        "mode",
        "variant",
        "runs",
        "server CPU us/rt",
        "mean latency us",
        "wall ms",
        "idle CPU us/s"
    );
    // label -> variant -> metric medians
    let mut scaled: Vec<Vec<Vec<Option<f64>>>> = Vec::new();
    for label in &labels {
        let mut medians: Vec<Vec<Option<f64>>> = Vec::new();
        for variant in &variants {
            let Some(metrics) = data.get_mut(&(label.clone(), variant.clone())) else {
                medians.push(vec![None; names.len()]);
                continue;
            };
            let runs = metrics.values().map(Vec::len).max().unwrap_or(0);
            let mut cells = Vec::new();
            let mut row = Vec::new();
            for name in names {
                match metrics.get_mut(name) {
                    Some(v) if !v.is_empty() => {
                        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let m = median(v);
                        cells.push(format!("{m:.1} ({lo:.1}-{hi:.1})"));
                        row.push(Some(m));
                    }
                    _ => {
                        cells.push("-".to_string());
                        row.push(None);
                    }
                }
            }
            println!(
                "{:<10} {:<20} {:>4} {:>26} {:>26} {:>26} {:>12}",
                label, variant, runs, cells[0], cells[1], cells[2], cells[3]
            );
            medians.push(row);
        }
        // The first variant against each of the others.
        if let [ours, others @ ..] = &medians[..] {
            for (j, anchor) in others.iter().enumerate() {
                let ratio = |i: usize| match (ours[i], anchor[i]) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                    _ => "-".to_string(),
                };
                println!(
                    "{:<10} {:<20} {:>4} {:>26} {:>26} {:>26}",
                    label,
                    format!("ratio {}/{}", variants[0], variants[j + 1]),
                    "",
                    ratio(0),
                    ratio(1),
                    ratio(2)
                );
            }
        }
        scaled.push(medians);
    }
    // How each variant's cost grows with the idle connections: every
    // `idle=N` label against `idle=0`.
    if let Some(base) = labels.iter().position(|l| l == "idle=0") {
        println!();
        println!(
            "{:<16} {:<20} {:>18} {:>18}",
            "scaling", "variant", "server CPU us/rt", "mean latency us"
        );
        for (l, label) in labels.iter().enumerate() {
            if l == base || !label.starts_with("idle=") {
                continue;
            }
            for (v, variant) in variants.iter().enumerate() {
                let ratio = |i: usize| match (scaled[l][v][i], scaled[base][v][i]) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                    _ => "-".to_string(),
                };
                println!(
                    "{:<16} {:<20} {:>18} {:>18}",
                    format!("{label}/idle=0"),
                    variant,
                    ratio(0),
                    ratio(1)
                );
            }
        }
    }
    Ok(())
}

/// `(us per round trip, round trips/s)` of one tcp_echo run of `name`, from
/// each line `<name> <latency> <throughput>`; other lines are ignored.
fn tcp_echo_rows(text: &str, name: &str) -> Vec<(f64, f64)> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[..] {
                [n, lat, thr] if n == name => Some((lat.parse().ok()?, thr.parse().ok()?)),
                _ => None,
            }
        })
        .collect()
}

fn tcp_echo_summary(file: &str, rust: &str) -> io::Result<()> {
    let text = fs::read_to_string(file)?;
    let ours = tcp_echo_rows(&text, "mio_wasi");
    let ups = tcp_echo_rows(&text, "upstream");
    if ours.is_empty() || ups.is_empty() {
        println!("no complete pair of results: no ratios");
        return Err(bad("no results"));
    }
    let med = |rows: &[(f64, f64)], col: fn(&(f64, f64)) -> f64| {
        median(&mut rows.iter().map(col).collect::<Vec<_>>())
    };
    let (ours_lat, up_lat) = (med(&ours, |r| r.0), med(&ups, |r| r.0));
    let (ours_thr, up_thr) = (med(&ours, |r| r.1), med(&ups, |r| r.1));
    // The same ratios per round (each round ran both back to back), then
    // their median: steadier than the ratio of medians on a busy machine.
    let pairs: Vec<_> = ours.iter().zip(&ups).collect();
    let lat_r = median(&mut pairs.iter().map(|(o, u)| o.0 / u.0).collect::<Vec<_>>());
    let thr_r = median(&mut pairs.iter().map(|(o, u)| o.1 / u.1).collect::<Vec<_>>());
    println!("medians (Rust {rust}, wasmtime):");
    println!(
        "  ping-pong:   mio_wasi {ours_lat:.1} us/round trip, mio 1.2.5 {up_lat:.1} us/round trip; \
         ratio mio_wasi/upstream = {:.2} (below 1: mio_wasi faster)",
        ours_lat / up_lat
    );
    println!(
        "  64-conn echo: mio_wasi {ours_thr:.0} round trips/s, mio 1.2.5 {up_thr:.0} round trips/s; \
         ratio mio_wasi/upstream = {:.2} (above 1: mio_wasi faster)",
        ours_thr / up_thr
    );
    println!(
        "  per-round ratios, median of {}: ping-pong {lat_r:.2}, 64-conn echo {thr_r:.2}",
        pairs.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_echo_rows_keep_complete_lines_of_one_name() {
        let text = "mio_wasi 10.5 2000\nupstream 12 1800\nmio_wasi 11\nmio_wasi 9.5 2100\n";
        assert_eq!(
            tcp_echo_rows(text, "mio_wasi"),
            [(10.5, 2000.0), (9.5, 2100.0)]
        );
        assert_eq!(tcp_echo_rows(text, "upstream"), [(12.0, 1800.0)]);
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
