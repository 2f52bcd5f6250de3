//! Child processes: foreground runs with a time limit whose output is shown
//! and kept, background servers whose output is watched for an address, and
//! the cargo runner for wasm test binaries.
//!
//! Every child starts in a process group of its own, so that a time limit
//! or a drop stops what it started too (jco starts node, wine starts the
//! Windows program).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{Context, Fallible};

/// How a foreground run ended.
pub struct Outcome {
    /// `None` when the time limit stopped it.
    pub status: Option<ExitStatus>,
    /// stdout and stderr, merged in the order they were written.
    pub text: String,
    pub command: String,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// `Ok` on exit status 0; otherwise why not (the tail of the output is
    /// left to the caller: it was shown unless the run was quiet).
    pub fn ok(&self) -> Fallible {
        match self.status {
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(format!("`{}` {s}", self.command)),
            None => Err(format!("`{}` timed out", self.command)),
        }
    }

    /// The last `n` lines, for a failure message of a quiet run.
    pub fn tail(&self, n: usize) -> String {
        let lines: Vec<&str> = self.text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// A command with a time limit. By default its output is echoed as it
/// comes and also kept in the `Outcome`.
pub struct Run {
    cmd: Command,
    timeout: Duration,
    echo: bool,
    input: Option<Vec<u8>>,
}

/// Starts building a run of `program`.
pub fn cmd(program: impl AsRef<OsStr>) -> Run {
    Run::new(Command::new(program))
}

impl Run {
    pub fn new(cmd: Command) -> Run {
        Run {
            cmd,
            timeout: Duration::from_secs(1800),
            echo: true,
            input: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Run {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Run {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Run {
        self.cmd.env_remove(key);
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.cmd.current_dir(dir);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Run {
        self.timeout = timeout;
        self
    }

    /// Feeds `bytes` to its stdin, then closes it (by default stdin is
    /// `/dev/null`). Foreground runs only.
    pub fn input(mut self, bytes: impl Into<Vec<u8>>) -> Run {
        self.input = Some(bytes.into());
        self
    }

    /// Keep the output without showing it (show it on failure yourself).
    pub fn quiet(mut self) -> Run {
        self.echo = false;
        self
    }

    /// Runs it to the end or to the time limit. A command that cannot even
    /// start gives an `Outcome` without a status and says why in its text.
    pub fn go(mut self) -> Outcome {
        let command = describe(&self.cmd);
        let stdin = if self.input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let (mut child, lines) = match spawn_merged(&mut self.cmd, stdin) {
            Ok(started) => started,
            Err(e) => {
                let text = format!("cannot start `{command}`: {e}");
                if self.echo {
                    println!("{text}");
                }
                return Outcome {
                    status: None,
                    text,
                    command,
                };
            }
        };
        if let (Some(bytes), Some(mut pipe)) = (self.input.take(), child.stdin.take()) {
            // From a thread: a child that does not read must not block us;
            // dropping the pipe at the end is the child's EOF.
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let mut guard = Group(child);
        let deadline = Instant::now() + self.timeout;
        let mut text = String::new();
        let keep = |line: String, text: &mut String| {
            if self.echo {
                println!("{line}");
            }
            text.push_str(&line);
            text.push('\n');
        };
        let status = loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => keep(line, &mut text),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
            }
            match guard.0.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    keep(
                        format!(
                            "TIMEOUT `{command}` ran longer than {}s, stopped",
                            self.timeout.as_secs()
                        ),
                        &mut text,
                    );
                    guard.kill();
                    break None;
                }
                Ok(None) => {}
                Err(e) => {
                    keep(format!("cannot wait for `{command}`: {e}"), &mut text);
                    guard.kill();
                    break None;
                }
            }
        };
        // What is still in the pipe; a grandchild that keeps it open (a
        // daemon) must not hold the run up.
        let drain_until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < drain_until {
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => keep(line, &mut text),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        Outcome {
            status,
            text,
            command,
        }
    }

    /// Starts it in the background; see [`Background`].
    pub fn spawn(mut self) -> Fallible<Background> {
        Background::start(&mut self.cmd, self.echo)
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Spawns with stdout and stderr on one pipe, read line by line on a thread.
fn spawn_merged(cmd: &mut Command, stdin: Stdio) -> std::io::Result<(Child, Receiver<String>)> {
    let (reader, writer) = std::io::pipe()?;
    let child = cmd
        .stdin(stdin)
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0)
        .spawn()?;
    // `cmd` still holds the parent's copies of the write end: replace them,
    // so that EOF comes when the child (and what it started) is done.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    Ok((child, rx))
}

/// A child in its own process group, stopped with its group when dropped.
struct Group(Child);

impl Group {
    fn kill(&mut self) {
        let pid = self.0.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals the process group the
        // child leads (it was spawned with `process_group(0)`); no memory
        // is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            self.kill();
        } else {
            // The leader is gone; stop anything it left in its group.
            let pid = self.0.id() as libc::pid_t;
            // SAFETY: as in `kill`; signalling a group that no longer
            // exists only returns ESRCH.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

/// A server (or any long-running child) in the background. Its output is
/// collected; `wait_for` finds a line in it. Dropping it stops the process
/// and everything it started.
pub struct Background {
    child: Group,
    output: Arc<Mutex<String>>,
    command: String,
    echo: bool,
}

impl Background {
    fn start(cmd: &mut Command, echo: bool) -> Fallible<Background> {
        let command = describe(cmd);
        let (child, lines) =
            spawn_merged(cmd, Stdio::null()).context(format!("cannot start `{command}`"))?;
        let output = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&output);
        thread::spawn(move || {
            for line in lines {
                if let Ok(mut out) = sink.lock() {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        });
        Ok(Background {
            child: Group(child),
            output,
            command,
            echo,
        })
    }

    /// Everything it has printed so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits until a line starts with `prefix` and returns the rest of it
    /// (trimmed); fails when the process exits first or `timeout` passes.
    pub fn wait_for(&mut self, prefix: &str, timeout: Duration) -> Fallible<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(rest) = self
                .output()
                .lines()
                .find_map(|l| l.strip_prefix(prefix).map(|r| r.trim().to_string()))
            {
                return Ok(rest);
            }
            if let Ok(Some(status)) = self.child.0.try_wait() {
                // Let the reader catch the last lines before giving up.
                thread::sleep(Duration::from_millis(100));
                if let Some(rest) = self
                    .output()
                    .lines()
                    .find_map(|l| l.strip_prefix(prefix).map(|r| r.trim().to_string()))
                {
                    return Ok(rest);
                }
                return Err(format!(
                    "`{}` {status} before printing `{prefix}`; output:\n{}",
                    self.command,
                    self.output()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "`{}` printed no `{prefix}` line in {}s; output:\n{}",
                    self.command,
                    timeout.as_secs(),
                    self.output()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for a `listening on ADDR` line and parses the address.
    pub fn listening(&mut self, timeout: Duration) -> Fallible<std::net::SocketAddr> {
        self.address_after("listening on ", timeout)
    }

    /// Waits for a line `PREFIX ADDR` (`prefix` with its space) and parses
    /// the address.
    pub fn address_after(
        &mut self,
        prefix: &str,
        timeout: Duration,
    ) -> Fallible<std::net::SocketAddr> {
        let addr = self.wait_for(prefix, timeout)?;
        addr.parse().context(format!("`{prefix}{addr}`"))
    }

    /// The process id of the child (the leader of its process group).
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.0.try_wait(), Ok(None))
    }

    /// Waits for it to exit on its own and returns its status, keeping it
    /// (and its output) for further checks; stops it and fails after
    /// `timeout`.
    pub fn exit_status(&mut self, timeout: Duration) -> Fallible<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.0.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    self.child.kill();
                    return Err(format!(
                        "`{}` still running after {}s, stopped",
                        self.command,
                        timeout.as_secs()
                    ));
                }
                Ok(None) => thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(format!("cannot wait for `{}`: {e}", self.command)),
            }
        }
    }

    /// Waits for it to exit on its own; `Ok` on status 0.
    pub fn wait(mut self, timeout: Duration) -> Fallible {
        match self.exit_status(timeout) {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!(
                "`{}` {status}; output:\n{}",
                self.command,
                self.output()
            )),
            Err(e) => Err(format!("{e}; output:\n{}", self.output())),
        }
    }

    /// Stops it; fails if it had already exited (a server that crashed).
    pub fn stop(mut self) -> Fallible {
        let result = if self.running() {
            Ok(())
        } else {
            Err(format!(
                "`{}` exited early; output:\n{}",
                self.command,
                self.output()
            ))
        };
        self.child.kill();
        if self.echo {
            print!("{}", self.output());
        }
        result
    }
}

/// `cargo xtask runner HOST WASM ARGS...`: the cargo runner for
/// wasm32-wasip2 test binaries. HOST is `wasmtime` (network and name lookup
/// allowed) or `jco`; `wine` runs x86_64-pc-windows-gnu test binaries
/// instead; `peer` runs any command next to a native echo server (see
/// [`crate::peer::runner`]). The binary's exit status is passed on; a
/// binary that runs longer than `MIO_WASI_RUN_TIMEOUT` seconds (default
/// 300) is stopped and fails.
pub fn runner(args: &[String]) -> ExitCode {
    let Some((host, rest)) = args.split_first() else {
        eprintln!("usage: cargo xtask runner wasmtime|jco|wine BINARY [ARGS...]");
        eprintln!("       cargo xtask runner peer COMMAND [ARGS...]");
        return ExitCode::from(2);
    };
    if host == "peer" {
        return crate::peer::runner(rest);
    }
    let tools = crate::tools::Tools::new(&crate::harness::checkout());
    let mut cmd = match host.as_str() {
        "wasmtime" => {
            let mut c = Command::new(tools.bin("wasmtime"));
            c.args(["run", "-S", "inherit-network", "-S", "allow-ip-name-lookup"]);
            c
        }
        "jco" => {
            let mut c = Command::new(tools.jco_path());
            c.arg("run");
            c
        }
        "wine" => {
            // x86_64-pc-windows-gnu programs, headless, in the driver's
            // prefix unless WINEPREFIX names another.
            let mut c = Command::new("wine");
            if std::env::var_os("WINEPREFIX").is_none() {
                c.env("WINEPREFIX", tools.wine_prefix());
            }
            c.env("WINEDEBUG", "-all").env_remove("DISPLAY");
            c
        }
        other => {
            eprintln!("unknown host: {other}");
            return ExitCode::from(2);
        }
    };
    cmd.args(rest);
    run_as_runner(cmd)
}

/// Runs `cmd` for a cargo runner: with the time limit of
/// `MIO_WASI_RUN_TIMEOUT` seconds (default 300), passing its exit status on
/// (a run stopped by the limit fails).
pub fn run_as_runner(cmd: Command) -> ExitCode {
    let secs = std::env::var("MIO_WASI_RUN_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let outcome = Run::new(cmd).timeout(Duration::from_secs(secs)).go();
    match outcome.status.and_then(|s| s.code()) {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}
