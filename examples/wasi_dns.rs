//! Resolves host names without blocking, with `mio::wasi::NameResolver`
//! (wasm32-wasip2 only).
//!
//! ```text
//! cargo build --target wasm32-wasip2 --features os-poll,net --example wasi_dns
//! wasmtime run -S inherit-network -S allow-ip-name-lookup \
//!     target/wasm32-wasip2/debug/examples/wasi_dns.wasm localhost example.org
//! ```
//!
//! Every lookup is started at once and registered with one `Poll`; the
//! answers are printed as they arrive.

#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn main() -> std::io::Result<()> {
    use std::io::ErrorKind;

    use mio::wasi::NameResolver;
    use mio::{Events, Interest, Poll, Token};

    let names: Vec<String> = std::env::args().skip(1).collect();
    let names = if names.is_empty() {
        vec!["localhost".to_string()]
    } else {
        names
    };

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(names.len());
    let mut lookups = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut lookup = NameResolver::new(name)?;
        poll.registry()
            .register(&mut lookup, Token(i), Interest::READABLE)?;
        lookups.push(Some(lookup));
    }

    let mut left = names.len();
    while left > 0 {
        for (i, slot) in lookups.iter_mut().enumerate() {
            let Some(lookup) = slot else { continue };
            match lookup.addresses() {
                Ok(addresses) => println!("{}: {:?}", names[i], addresses),
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => println!("{}: error: {e}", names[i]),
            }
            if let Some(mut lookup) = slot.take() {
                poll.registry().deregister(&mut lookup)?;
            }
            left -= 1;
        }
        if left > 0 {
            // Edge-triggered: each lookup above returned WouldBlock before we wait.
            poll.poll(&mut events, None)?;
        }
    }
    Ok(())
}

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn main() {
    println!("mio::wasi::NameResolver exists on wasm32-wasip2 only");
}
