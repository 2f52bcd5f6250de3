// Chooses the Unix selector once, here, and tells the compiler with
// `cfg(mio_selector = "epoll" | "kqueue" | "poll")`, so the source names
// the choice instead of repeating lists of operating systems:
//
// * epoll on Linux and Android;
// * kqueue on the Apple systems, FreeBSD, DragonFly, NetBSD and OpenBSD;
// * poll(2) on every other Unix, and on any Unix built with
//   `RUSTFLAGS="--cfg mio_unsupported_force_poll_poll"` (mio's name for
//   that switch, so users of mio need not learn a new one).
//
// On wasm32-wasip2 it looks up which wasi-libc internals the toolchain's
// libc.a has (build/wasi_libc.rs).
//
// With `--features regenerate-bindings` it also rewrites the committed files
// under generated/ from the interface files under wit/ (build/generate.rs);
// a normal build does nothing else.

#[cfg(feature = "regenerate-bindings")]
#[path = "build/generate.rs"]
mod generate;

#[path = "build/wasi_libc.rs"]
mod wasi_libc;

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/wasi_libc.rs");
    println!("cargo::rustc-check-cfg=cfg(mio_selector, values(\"epoll\", \"kqueue\", \"poll\"))");

    if let Some(selector) = unix_selector() {
        println!("cargo:rustc-cfg=mio_selector=\"{selector}\"");
    }
    wasi_libc::configure();

    #[cfg(feature = "regenerate-bindings")]
    {
        if let Err(err) = generate::run() {
            eprintln!("error: regenerating bindings failed: {err:#}");
            std::process::exit(1);
        }
    }
}

/// The selector for a Unix target; `None` for every other target.
fn unix_selector() -> Option<&'static str> {
    let var = |name: &str| env::var(name).unwrap_or_default();
    let is_unix = var("CARGO_CFG_TARGET_FAMILY")
        .split(',')
        .any(|family| family == "unix");
    if !is_unix {
        return None;
    }
    if env::var_os("CARGO_CFG_MIO_UNSUPPORTED_FORCE_POLL_POLL").is_some() {
        return Some("poll");
    }
    let os = var("CARGO_CFG_TARGET_OS");
    let selector = match os.as_str() {
        "linux" | "android" => "epoll",
        "freebsd" | "dragonfly" | "netbsd" | "openbsd" => "kqueue",
        _ if var("CARGO_CFG_TARGET_VENDOR") == "apple" => "kqueue",
        _ => "poll",
    };
    Some(selector)
}
