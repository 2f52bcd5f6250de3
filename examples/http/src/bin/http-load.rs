//! Load for an HTTP server with this example's routes, checking every
//! response.
//!
//! ```text
//! http-load ADDR [seq N] [conc CONNS REQS] [big BYTES]
//! ```
//!
//! - `seq N`: N requests one after the other on one keep-alive connection,
//!   every fifth a small `POST /echo`, the others `GET /hello`;
//! - `conc CONNS REQS`: CONNS connections at once, REQS requests on each;
//! - `big BYTES`: one `POST /echo` of BYTES, compared byte for byte.
//!
//! Without a step: `seq 2000 conc 20 10 big 1048576`. Prints one line per
//! step (with its request rate) and `N passed, N failed`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use bytes::Bytes;
use http_example::{parse_addr, pattern, Conn, Report, MIO};

enum Step {
    Seq(usize),
    Conc(usize, usize),
    Big(usize),
}

fn parse_args() -> Result<(SocketAddr, Vec<Step>), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = parse_addr(args.first().ok_or("missing ADDR")?)?;
    let number = |i: usize| -> Result<usize, String> {
        let arg = args
            .get(i)
            .ok_or(format!("{} needs a number", args[i - 1]))?;
        arg.parse().map_err(|_| format!("not a number: {arg}"))
    };
    let mut steps = Vec::new();
    let mut i = 1;
    while let Some(name) = args.get(i) {
        let (step, taken) = match name.as_str() {
            "seq" => (Step::Seq(number(i + 1)?), 2),
            "conc" => (Step::Conc(number(i + 1)?, number(i + 2)?), 3),
            "big" => (Step::Big(number(i + 1)?), 2),
            other => return Err(format!("unknown step: {other}")),
        };
        steps.push(step);
        i += taken;
    }
    if steps.is_empty() {
        steps = vec![Step::Seq(2000), Step::Conc(20, 10), Step::Big(1 << 20)];
    }
    Ok((addr, steps))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (addr, steps) = match parse_args() {
        Ok(parsed) => parsed,
        Err(err) => {
            eprintln!("usage: http-load ADDR [seq N] [conc CONNS REQS] [big BYTES]: {err}");
            return ExitCode::from(2);
        }
    };
    println!("mio: {MIO}");
    let mut report = Report::default();
    for step in steps {
        match step {
            Step::Seq(n) => {
                let start = Instant::now();
                let result = sequential(addr, n).await;
                let secs = start.elapsed().as_secs_f64();
                report.check(
                    &format!(
                        "seq: {n} requests on one connection, 1 in 5 a POST: {secs:.3} s, {:.0} req/s",
                        n as f64 / secs
                    ),
                    result,
                );
            }
            Step::Conc(conns, reqs) => {
                let start = Instant::now();
                let result = concurrent(addr, conns, reqs).await;
                let secs = start.elapsed().as_secs_f64();
                report.check(
                    &format!(
                        "conc: {conns} connections x {reqs} requests: {secs:.3} s, {:.0} req/s",
                        (conns * reqs) as f64 / secs
                    ),
                    result,
                );
            }
            Step::Big(len) => {
                let start = Instant::now();
                let result = match Conn::open(addr).await {
                    Ok(mut conn) => conn.echo(pattern(len)).await,
                    Err(err) => Err(format!("connect: {err}")),
                };
                report.check(
                    &format!(
                        "big: {len} bytes echoed, byte for byte: {:.3} s",
                        start.elapsed().as_secs_f64()
                    ),
                    result,
                );
            }
        }
    }
    if report.finish() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn sequential(addr: SocketAddr, n: usize) -> Result<(), String> {
    let mut conn = Conn::open(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    for i in 0..n {
        if i % 5 == 4 {
            conn.echo(Bytes::from(format!("small body {i}"))).await
        } else {
            conn.hello().await
        }
        .map_err(|e| format!("request {i}: {e}"))?;
    }
    Ok(())
}

async fn concurrent(addr: SocketAddr, conns: usize, reqs: usize) -> Result<(), String> {
    let tasks: Vec<_> = (0..conns)
        .map(|c| {
            tokio::spawn(async move {
                let mut conn = Conn::open(addr)
                    .await
                    .map_err(|e| format!("connection {c}: connect: {e}"))?;
                for i in 0..reqs {
                    conn.hello()
                        .await
                        .map_err(|e| format!("connection {c}, request {i}: {e}"))?;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| format!("task: {e}"))??;
    }
    Ok(())
}
