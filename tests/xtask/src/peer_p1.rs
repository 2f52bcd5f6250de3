//! Native peers for the WASI preview 1 guests (`wasi_p1_cases`,
//! `examples/wasi_p1_echo.rs`, the preview-1 echo bench). Each one starts
//! the guest under its runtime, plays the other end on loopback and records
//! its checks in a [`Report`]:
//!
//! - [`echo`]: the guest is an echo server. Checks the runtime's CPU time
//!   while the connection is idle, optionally small ping-pong round trips,
//!   then N MiB each way, then the guest's exit status.
//! - [`client`]: a native echo server the guest connects to.
//! - [`udp`]: native datagrams to a guest UDP echo server, whose replies
//!   must come back from the port it listens on.
//!
//! A guest command may hold `{PORT}` (a free loopback port, for a listener
//! the runtime pre-opens: the guest then prints `LISTENING fd3`) or
//! `{ADDR}` (the native server's address). `cargo xtask peer` runs these by
//! hand (the preview-1 bench uses it).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{Context, Fallible, Report};
use crate::peer::{echo_data, pattern_bytes, substitute, EchoServer};
use crate::process::{cmd, Background};

/// How long a guest may take to print `LISTENING`.
const START: Duration = Duration::from_secs(60);
/// Socket read and write timeouts of the peers.
const IO: Duration = Duration::from_secs(30);

/// Options of [`echo`] (the defaults are the suite's).
#[derive(Clone, Debug, PartialEq)]
pub struct EchoOptions {
    /// Prefix of the check names.
    pub name: String,
    /// MiB sent each way in the bulk echo.
    pub mib: usize,
    /// Seconds of idle time over which the runtime's CPU use is measured.
    pub idle: f64,
    /// 64-byte round trips before the bulk echo (0: none).
    pub pingpong: usize,
}

impl Default for EchoOptions {
    fn default() -> EchoOptions {
        EchoOptions {
            name: "case".into(),
            mib: 16,
            idle: 2.0,
            pingpong: 0,
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> Fallible<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr().context("local_addr")?.port())
}

/// Starts a guest command in the background, its output kept.
fn start(command: &[String]) -> Fallible<Background> {
    let (program, args) = command.split_first().ok_or("empty guest command")?;
    cmd(program).args(args).quiet().spawn()
}

/// Prints what the guest printed, indented (runtime warnings left out).
fn show_guest(guest: &Background) {
    for line in guest.output().lines() {
        if !line.contains("WARNING") && !line.trim().is_empty() {
            println!("  guest: {line}");
        }
    }
}

/// Connects to `addr`, retrying for up to 10 s while the guest gets ready.
fn connect(addr: SocketAddr) -> Fallible<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() >= deadline => return Err(format!("connect {addr}: {e}")),
            Err(_) => thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The guest is an echo server; see the module documentation.
pub fn echo(report: &mut Report, opts: &EchoOptions, command: &[String]) {
    let name = &opts.name;
    let mut preopened = None;
    let mut command = command.to_vec();
    if command.iter().any(|a| a.contains("{PORT}")) {
        match free_port() {
            Ok(port) => {
                command = substitute(&command, "{PORT}", &port.to_string());
                preopened = Some(SocketAddr::from(([127, 0, 0, 1], port)));
            }
            Err(e) => return report.fail(format!("{name}-start"), e),
        }
    }
    let mut guest = match start(&command) {
        Ok(guest) => guest,
        Err(e) => return report.fail(format!("{name}-start"), e),
    };
    let shown = match guest.wait_for("LISTENING ", START) {
        Ok(shown) => shown,
        Err(e) => return report.fail(format!("{name}-start"), e),
    };
    let addr = match (shown.as_str(), preopened) {
        ("fd3", Some(addr)) => Ok(addr),
        ("fd3", None) => Err("guest listens on fd 3, but no `{PORT}` was given".to_string()),
        (shown, _) => shown.parse().context(format!("`LISTENING {shown}`")),
    };
    let stream = match addr.and_then(connect) {
        Ok(stream) => stream,
        Err(e) => {
            report.fail(format!("{name}-connect"), e);
            show_guest(&guest);
            return;
        }
    };
    let pid = guest.pid();

    // Idle: the guest has the connection registered for reading and
    // writing and nothing to do. A selector that re-subscribes to the
    // always-ready write side spins here at 100% CPU.
    thread::sleep(Duration::from_millis(300));
    let before = cpu_seconds(pid);
    thread::sleep(Duration::from_secs_f64(opts.idle));
    let used = cpu_seconds(pid)
        .zip(before)
        .map(|(after, before)| after - before);
    report.check(
        format!("{name}-idle-cpu"),
        match used {
            Some(used) if used <= opts.idle * 0.05 => Ok(()),
            Some(used) => Err(format!(
                "runtime used {used:.2} s CPU in {} s idle",
                opts.idle
            )),
            None => Err(format!("cannot read the CPU time of process {pid}")),
        },
    );
    if let Some(used) = used {
        println!("  idle: {used:.3} s CPU over {} s", opts.idle);
    }

    if opts.pingpong > 0 {
        let start_time = Instant::now();
        let start_cpu = cpu_seconds(pid);
        let result = pingpong(&stream, opts.pingpong);
        let elapsed = start_time.elapsed().as_secs_f64();
        let used = cpu_delta(pid, start_cpu);
        report.check(format!("{name}-pingpong"), result);
        println!(
            "  pingpong: {} round trips of 64 B in {elapsed:.3} s ({:.0}/s), runtime CPU {used:.3} s",
            opts.pingpong,
            opts.pingpong as f64 / elapsed
        );
    }

    let data = pattern_bytes(opts.mib << 20).into();
    let start_time = Instant::now();
    let start_cpu = cpu_seconds(pid);
    let result = echo_data(stream, data, IO);
    let elapsed = start_time.elapsed().as_secs_f64();
    let used = cpu_delta(pid, start_cpu);
    report.check(format!("{name}-{}MiB", opts.mib), result);
    println!(
        "  echo: {} MiB each way in {elapsed:.3} s ({:.1} MiB/s total), runtime CPU {used:.3} s",
        opts.mib,
        2.0 * opts.mib as f64 / elapsed
    );
    exit_check(report, &format!("{name}-exit"), guest, START);
}

/// Checks that a guest exits with status 0 within `timeout` (it is
/// stopped after that); its output is shown either way.
fn exit_check(report: &mut Report, name: &str, mut guest: Background, timeout: Duration) {
    let status = guest.exit_status(timeout);
    // Let the output reader catch the last lines.
    thread::sleep(Duration::from_millis(100));
    show_guest(&guest);
    let result = status.and_then(|status| {
        if status.success() {
            Ok(())
        } else {
            Err(format!("guest {status}"))
        }
    });
    report.check(name, result);
}

/// `rounds` request/response round trips of 64 bytes (one poll wake-up
/// each in the guest).
fn pingpong(mut stream: &TcpStream, rounds: usize) -> Fallible {
    stream
        .set_read_timeout(Some(IO))
        .context("set_read_timeout")?;
    let msg = [b'x'; 64];
    let mut got = [0u8; 64];
    for round in 0..rounds {
        stream
            .write_all(&msg)
            .context(format!("round trip {round}: write"))?;
        stream
            .read_exact(&mut got)
            .context(format!("round trip {round}: read"))?;
        if got != msg {
            return Err(format!("round trip {round}: the echo differs"));
        }
    }
    Ok(())
}

/// The guest is a client of a native echo server at `{ADDR}`; it must exit
/// 0 and print `PASS`.
pub fn client(report: &mut Report, name: &str, command: &[String]) {
    let server = match EchoServer::start(1, IO) {
        Ok(server) => server,
        Err(e) => return report.fail(name, e),
    };
    let command = substitute(command, "{ADDR}", &server.addr.to_string());
    let Some((program, args)) = command.split_first() else {
        return report.fail(name, "empty guest command");
    };
    let out = cmd(program)
        .args(args)
        .quiet()
        .timeout(Duration::from_secs(120))
        .go();
    for line in out.text.lines() {
        println!("  guest: {line}");
    }
    let result = out.ok().and_then(|()| {
        if !out.text.contains("PASS") {
            return Err("the guest printed no PASS".into());
        }
        // The guest has closed its connection, so the server is done or
        // about to be; a guest that passed without connecting leaves it
        // waiting in accept, which must not hold the suite up.
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || tx.send(server.finish()));
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(0)) => Err("the native echo server received nothing".into()),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("native echo server: {e}")),
            Err(_) => Err("the guest never connected to the native echo server".into()),
        }
    });
    report.check(name, result);
}

/// The guest is a UDP echo server (it prints `LISTENING ADDR`); `count`
/// datagrams must each come back as `echo:` + the datagram, from the port
/// the guest listens on.
pub fn udp(report: &mut Report, name: &str, count: usize, command: &[String]) {
    let mut guest = match start(command) {
        Ok(guest) => guest,
        Err(e) => return report.fail(format!("{name}-start"), e),
    };
    let addr: SocketAddr = match guest.address_after("LISTENING ", START) {
        Ok(addr) => addr,
        Err(e) => return report.fail(format!("{name}-start"), e),
    };
    report.check(name, udp_exchange(addr, count));
    exit_check(
        report,
        &format!("{name}-exit"),
        guest,
        Duration::from_secs(30),
    );
}

fn udp_exchange(guest: SocketAddr, count: usize) -> Fallible {
    let socket = UdpSocket::bind(SocketAddr::new(guest.ip(), 0)).context("bind")?;
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .context("set_read_timeout")?;
    let port = socket.local_addr().context("local_addr")?.port();
    let mut buf = [0u8; 4096];
    for i in 0..count {
        let payload = format!("datagram {i} from port {port}");
        socket
            .send_to(payload.as_bytes(), guest)
            .context(format!("send datagram {i}"))?;
        let (n, from) = socket
            .recv_from(&mut buf)
            .map_err(|e| format!("no reply to datagram {i} ({e}): the guest sent it elsewhere"))?;
        let reply = &buf[..n];
        let want = format!("echo:{payload}");
        if reply != want.as_bytes() || from.port() != guest.port() {
            return Err(format!(
                "reply {:?} from {from}",
                String::from_utf8_lossy(reply)
            ));
        }
    }
    Ok(())
}

/// User + system CPU seconds of a process (all its threads), from
/// `/proc/PID/stat`; `None` once the process is gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // SAFETY: sysconf(3) only reads a system constant.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks_per_second <= 0 {
        return None;
    }
    Some(stat_cpu_ticks(&stat)? as f64 / ticks_per_second as f64)
}

/// CPU seconds used since `start` (NaN when either reading failed).
fn cpu_delta(pid: u32, start: Option<f64>) -> f64 {
    match (cpu_seconds(pid), start) {
        (Some(now), Some(start)) => now - start,
        _ => f64::NAN,
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command
/// name (field 2) is in parentheses and may hold spaces and parentheses, so
/// fields are counted after its last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is the state (field 3).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `cargo xtask peer MODE [OPTIONS] -- GUEST COMMAND...`: one peer by hand.
/// Prints the checks and `N passed, N failed`; fails if any check failed.
pub fn main(args: &[String]) -> std::process::ExitCode {
    if matches!(
        args.first().map(String::as_str),
        None | Some("help" | "-h" | "--help")
    ) {
        println!("{PEER_USAGE}");
        return std::process::ExitCode::SUCCESS;
    }
    match parse_peer_args(args) {
        Ok((mode, opts, count, command)) => {
            let mut report = Report::default();
            match mode.as_str() {
                "echo" => echo(&mut report, &opts, &command),
                "client" => client(&mut report, &opts.name, &command),
                _ => udp(&mut report, &opts.name, count, &command),
            }
            println!("{}", report.counts);
            if report.counts.failed == 0 && report.counts.passed > 0 {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}\n\n{PEER_USAGE}");
            std::process::ExitCode::from(2)
        }
    }
}

pub const PEER_USAGE: &str = "\
usage: cargo xtask peer echo|client|udp [OPTIONS] -- GUEST COMMAND...

  echo     the guest is an echo server: idle CPU, round trips, N MiB each way
  client   the guest connects to a native echo server at {ADDR}
  udp      the guest is a UDP echo server

options:
  --name NAME      prefix of the check names (default: case)
  --mib N          MiB each way (echo; default 16)
  --idle SECONDS   idle time to measure the runtime's CPU over (echo; default 2)
  --pingpong N     64-byte round trips before the bulk echo (echo; default 0)
  --count N        datagrams (udp; default 3)

`{PORT}` in the command is replaced by a free port of 127.0.0.1 (for a
listener the runtime pre-opens; the guest prints `LISTENING fd3`).";

/// Mode, echo options, datagram count and guest command of
/// `cargo xtask peer`.
fn parse_peer_args(args: &[String]) -> Fallible<(String, EchoOptions, usize, Vec<String>)> {
    let split = args
        .iter()
        .position(|a| a == "--")
        .ok_or("no `--` before the guest command")?;
    let (opts_part, command) = (&args[..split], &args[split + 1..]);
    if command.is_empty() {
        return Err("no guest command after `--`".into());
    }
    let (mode, mut rest) = opts_part.split_first().ok_or("no mode")?;
    if !["echo", "client", "udp"].contains(&mode.as_str()) {
        return Err(format!("unknown mode `{mode}`"));
    }
    let mut opts = EchoOptions::default();
    let mut count = 3;
    while let Some((flag, tail)) = rest.split_first() {
        let (value, tail) = tail
            .split_first()
            .ok_or(format!("`{flag}` needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("`{flag} {value}`: {e}");
        match flag.as_str() {
            "--name" => opts.name = value.clone(),
            "--mib" => opts.mib = value.parse().map_err(|e| bad(&e))?,
            "--idle" => opts.idle = value.parse().map_err(|e| bad(&e))?,
            "--pingpong" => opts.pingpong = value.parse().map_err(|e| bad(&e))?,
            "--count" => count = value.parse().map_err(|e| bad(&e))?,
            other => return Err(format!("unknown option `{other}`")),
        }
        rest = tail;
    }
    if !(opts.idle.is_finite() && opts.idle >= 0.0) {
        return Err(format!("`--idle {}` is not a duration", opts.idle));
    }
    Ok((mode.clone(), opts, count, command.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stat_fields_after_the_command_name() {
        // A command name with a space and a parenthesis in it.
        let stat = "4242 (wasm time) x) S 1 4242 4242 0 -1 4194304 900 0 0 0 \
                    250 30 0 0 20 0 12 0 1234 5678 90";
        assert_eq!(stat_cpu_ticks(stat), Some(280));
        assert_eq!(stat_cpu_ticks("4242 (short) S 1"), None);
        assert_eq!(stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn our_own_cpu_time_is_readable() {
        assert!(cpu_seconds(std::process::id()).is_some());
    }

    #[test]
    fn peer_arguments() {
        let (mode, opts, count, command) = parse_peer_args(&strings(&[
            "echo",
            "--mib",
            "1",
            "--idle",
            "0.5",
            "--pingpong",
            "5000",
            "--name",
            "new",
            "--",
            "wasmedge",
            "echo.wasm",
            "127.0.0.1:0",
        ]))
        .unwrap();
        assert_eq!(mode, "echo");
        assert_eq!(
            opts,
            EchoOptions {
                name: "new".into(),
                mib: 1,
                idle: 0.5,
                pingpong: 5000
            }
        );
        assert_eq!(count, 3);
        assert_eq!(command, strings(&["wasmedge", "echo.wasm", "127.0.0.1:0"]));

        let (_, _, count, _) =
            parse_peer_args(&strings(&["udp", "--count", "7", "--", "x"])).unwrap();
        assert_eq!(count, 7);
        for bad in [
            &["echo", "x"][..],
            &["echo", "--"],
            &["ping", "--", "x"],
            &["echo", "--mib", "--", "x"],
            &["echo", "--mib"],
            &["echo", "--speed", "1", "--", "x"],
            &["echo", "--idle", "-1", "--", "x"],
        ] {
            assert!(parse_peer_args(&strings(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            substitute(
                &strings(&["run", "-S", "tcplisten=127.0.0.1:{PORT}"]),
                "{PORT}",
                "9"
            ),
            strings(&["run", "-S", "tcplisten=127.0.0.1:9"])
        );
    }

    #[test]
    fn udp_exchange_against_a_native_echo() {
        let guest = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = guest.local_addr().unwrap();
        let t = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            for _ in 0..3 {
                let (n, from) = guest.recv_from(&mut buf).unwrap();
                let mut reply = b"echo:".to_vec();
                reply.extend_from_slice(&buf[..n]);
                guest.send_to(&reply, from).unwrap();
            }
        });
        udp_exchange(addr, 3).unwrap();
        t.join().unwrap();
    }
}
