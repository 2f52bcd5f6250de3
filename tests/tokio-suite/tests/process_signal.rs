//! tokio's child processes and Unix signals, which run on mio pipes,
//! `SourceFd` (pidfd on Linux) and a `mio::net::UnixStream` pair (Unix only;
//! WASI has neither processes nor signals).

#[cfg(not(unix))]
#[test]
fn process_and_signal() {
    tokio_suite::skip(
        "process_and_signal",
        "no child processes or signals on this target",
    );
}

#[cfg(unix)]
mod unix {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::process::Command;
    use tokio::signal::unix::{signal, SignalKind};
    use tokio::time::timeout;

    const GENEROUS: Duration = Duration::from_secs(20);

    #[tokio::test]
    async fn child_pipes_and_exit_status() {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("read line; echo \"got $line\"; echo oops >&2; exit 3")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"ping\n").await.unwrap();
        drop(stdin);
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .await
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        let status = timeout(GENEROUS, child.wait()).await.unwrap().unwrap();
        assert_eq!(stdout, "got ping\n");
        assert_eq!(stderr, "oops\n");
        assert_eq!(status.code(), Some(3));
    }

    #[tokio::test]
    async fn signal_is_delivered() {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        let pid = std::process::id().to_string();
        for _ in 0..2 {
            let status = Command::new("kill")
                .args(["-USR1", &pid])
                .status()
                .await
                .unwrap();
            assert!(status.success());
            timeout(GENEROUS, usr1.recv())
                .await
                .expect("SIGUSR1 not seen")
                .expect("signal stream ended");
        }
    }
}
