//! `AsyncFd` and tokio's pipe types over `mio::unix::pipe` (Unix only).

#[cfg(not(unix))]
#[test]
fn async_fd() {
    tokio_suite::skip("async_fd", "AsyncFd and pipes exist on Unix only");
}

#[cfg(unix)]
mod unix {
    use std::os::fd::OwnedFd;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_suite::pattern;

    /// More than a pipe buffer holds (64 KiB on Linux), so the writer has to
    /// wait for writability several times.
    const LEN: usize = 512 * 1024;

    // tokio's AsyncFd registers a bare descriptor (`mio::unix::SourceFd`)
    // and never calls `reregister`. The poll(2) selector emulates edge
    // triggering by parking a reported direction until the source's own I/O
    // hits WouldBlock, which a SourceFd cannot tell it, or until
    // `reregister`; so AsyncFd sees one event per direction there, as with
    // upstream mio's poll(2) selector. tokio's own types (pipes below,
    // sockets) go through `IoSource` and are re-armed.
    #[cfg(mio_unsupported_force_poll_poll)]
    #[test]
    fn async_fd_on_poll_selector() {
        tokio_suite::skip(
            "async_fd_over_a_pipe, async_fd_readiness_is_cleared_by_would_block",
            "the poll(2) selector re-arms a SourceFd only on reregister, which AsyncFd never calls",
        );
    }

    #[cfg(not(mio_unsupported_force_poll_poll))]
    mod async_fd {
        use std::io::{self, Read, Write};
        use std::os::fd::AsRawFd;

        use tokio::io::unix::AsyncFd;
        use tokio_suite::pattern;

        use super::LEN;

        /// Registers one end of a `mio::unix::pipe` with tokio's reactor.
        fn register<T: AsRawFd>(end: T) -> AsyncFd<T> {
            // SAFETY: the pipe ends own their descriptor from creation to drop
            // and `as_raw_fd` always returns that same descriptor, so it stays
            // open and unchanged for as long as the `AsyncFd` holds the end.
            unsafe { AsyncFd::register(end) }.expect("register a pipe end with tokio")
        }

        #[tokio::test]
        async fn async_fd_over_a_pipe() {
            let (sender, receiver) = mio::unix::pipe::new().unwrap();
            let sender = register(sender);
            let receiver = register(receiver);
            let data = pattern(LEN, 3);

            let sent = data.clone();
            let writer = tokio::spawn(async move {
                let mut written = 0;
                while written < sent.len() {
                    let mut guard = sender.writable().await?;
                    match guard.try_io(|fd| fd.get_ref().write(&sent[written..])) {
                        Ok(n) => written += n?,
                        Err(_would_block) => continue,
                    }
                }
                // Dropping the sender closes the pipe: the reader sees EOF.
                drop(sender);
                io::Result::Ok(written)
            });

            let mut got = Vec::with_capacity(LEN);
            let mut buf = vec![0; 16 * 1024];
            loop {
                let mut guard = receiver.readable().await.unwrap();
                match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
                    Ok(Ok(0)) => break,
                    Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                    Ok(Err(e)) => panic!("read: {e}"),
                    Err(_would_block) => continue,
                }
            }
            assert_eq!(writer.await.unwrap().unwrap(), LEN);
            assert_eq!(got.len(), LEN);
            assert!(got == data);
        }

        #[tokio::test]
        async fn async_fd_readiness_is_cleared_by_would_block() {
            let (mut sender, receiver) = mio::unix::pipe::new().unwrap();
            let receiver = register(receiver);
            sender.write_all(b"x").unwrap();

            let mut guard = receiver.readable().await.unwrap();
            let mut buf = [0; 8];
            let first = guard.try_io(|fd| fd.get_ref().read(&mut buf));
            assert_eq!(first.unwrap().unwrap(), 1);
            // The pipe is empty now: the next attempt reports WouldBlock and
            // clears readiness, so `readable()` waits for new data.
            let mut guard = receiver.readable().await.unwrap();
            assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err());
            let waiting = tokio::spawn(async move {
                let mut guard = receiver.readable().await?;
                let mut buf = [0; 8];
                loop {
                    match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
                        Ok(n) => return n.map(|n| buf[..n].to_vec()),
                        Err(_) => guard = receiver.readable().await?,
                    }
                }
            });
            sender.write_all(b"y").unwrap();
            assert_eq!(waiting.await.unwrap().unwrap(), b"y");
        }
    }

    #[tokio::test]
    async fn tokio_pipe_from_owned_fds() {
        let (sender, receiver) = mio::unix::pipe::new().unwrap();
        // tokio's pipe types re-register the descriptors with its own
        // reactor; start from plain owned descriptors.
        let sender = tokio::net::unix::pipe::Sender::from_owned_fd(OwnedFd::from(sender)).unwrap();
        let mut receiver =
            tokio::net::unix::pipe::Receiver::from_owned_fd(OwnedFd::from(receiver)).unwrap();
        let data = pattern(LEN, 4);
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            let mut sender = sender;
            sender.write_all(&sent).await
        });
        let mut got = Vec::new();
        receiver.read_to_end(&mut got).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(got == data);
    }

    #[tokio::test]
    async fn tokio_pipe_pair() {
        let (mut sender, mut receiver) = tokio::net::unix::pipe::pipe().unwrap();
        sender.write_all(b"through tokio's pipe").await.unwrap();
        drop(sender);
        let mut got = String::new();
        receiver.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "through tokio's pipe");
    }
}
