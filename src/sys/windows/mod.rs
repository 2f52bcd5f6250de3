//! Windows backend: an I/O completion port per `Poll`, with socket
//! readiness from the AFD driver (see `afd.rs` and `selector.rs`).

// Without `net` nothing registers sockets, so the AFD half is unused.
#[cfg_attr(not(feature = "net"), allow(dead_code))]
mod afd;
mod iocp;
#[cfg_attr(not(feature = "net"), allow(dead_code))]
mod selector;
mod waker;

pub(crate) use self::selector::{Event, Events, Selector};
pub(crate) use self::waker::Waker;

#[cfg(feature = "net")]
mod net;
#[cfg(feature = "net")]
pub(crate) mod tcp;
#[cfg(feature = "net")]
pub(crate) mod udp;

mod std_impls;

#[cfg(feature = "os-ext")]
pub(crate) mod named_pipe;

#[cfg(feature = "net")]
mod io_source {
    use std::io;
    use std::os::windows::io::{AsRawSocket, RawSocket};
    use std::sync::{Arc, Mutex};

    use super::selector::{mark_delete, SelectorInner, SockState};
    use crate::sys::{misuse, SelectorApi};
    use crate::{Interest, Registry, Token};

    /// Everything with a socket handle can be registered.
    pub(crate) trait Selectable {
        fn raw_socket(&self) -> RawSocket;
    }

    impl<T: AsRawSocket> Selectable for T {
        fn raw_socket(&self) -> RawSocket {
            self.as_raw_socket()
        }
    }

    /// The registration of one socket.
    struct Registration {
        selector: Arc<SelectorInner>,
        token: Token,
        interests: Interest,
        sock: Arc<Mutex<SockState>>,
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            mark_delete(&self.sock);
        }
    }

    pub(crate) struct IoSourceState {
        registration: Option<Registration>,
    }

    impl IoSourceState {
        pub(crate) fn new() -> IoSourceState {
            IoSourceState { registration: None }
        }

        /// Runs `f`; on `WouldBlock`, re-arms the direction that would
        /// block (the AFD request is edge-triggered by hand, see
        /// `selector.rs`).
        pub(crate) fn do_io<T, F, R>(&self, blocked: Interest, f: F, io: &T) -> io::Result<R>
        where
            F: FnOnce(&T) -> io::Result<R>,
        {
            let result = f(io);
            if let Err(err) = &result {
                if err.kind() == io::ErrorKind::WouldBlock {
                    if let Some(reg) = &self.registration {
                        reg.selector.rearm(&reg.sock, reg.interests, blocked)?;
                    }
                }
            }
            result
        }

        pub(crate) fn register<T: Selectable>(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
            io: &T,
        ) -> io::Result<()> {
            if self.registration.is_some() {
                return Err(misuse::already_registered_here());
            }
            let selector = Arc::clone(registry.selector().inner());
            let sock = selector.register(io.raw_socket(), token, interests)?;
            self.registration = Some(Registration {
                selector,
                token,
                interests,
                sock,
            });
            Ok(())
        }

        pub(crate) fn reregister<T: Selectable>(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
            _io: &T,
        ) -> io::Result<()> {
            match &mut self.registration {
                Some(reg) if reg.selector.id() == registry.selector().id() => {
                    reg.selector.reregister(&reg.sock, token, interests)?;
                    reg.token = token;
                    reg.interests = interests;
                    Ok(())
                }
                _ => Err(misuse::not_registered_here()),
            }
        }

        pub(crate) fn deregister<T: Selectable>(
            &mut self,
            registry: &Registry,
            _io: &T,
        ) -> io::Result<()> {
            match &self.registration {
                Some(reg) if reg.selector.id() == registry.selector().id() => {
                    // Dropping the registration stops its events.
                    self.registration = None;
                    Ok(())
                }
                _ => Err(misuse::not_registered_here()),
            }
        }
    }
}

#[cfg(feature = "net")]
pub(crate) use self::io_source::{IoSourceState, Selectable};
