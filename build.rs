// Chooses the backend once, here, and tells the compiler with
// `cfg(mio_backend = "unix" | "windows" | "wasi_p1" | "wasi_p2" | "wasi_p3"
// | "shell")`, so `src/sys` names each backend once instead of repeating
// lists of targets and features:
//
// * `unix`, `windows`: those target families, with the `os-poll` feature;
// * `wasi_p1`: wasm32-wasip1 with `os-poll`;
// * `wasi_p2`: wasm32-wasip2 with `os-poll`; `wasi_p3` when also built with
//   `RUSTFLAGS="--cfg mio_wasip3"`;
// * `shell`: everything else (no `os-poll`, or a target no backend
//   supports).
//
// Likewise the Unix selector, with
// `cfg(mio_selector = "epoll" | "kqueue" | "poll")`:
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
// With `--features regenerate-bindings` it also generates the WASI bindings
// from the interface files under wit/ into OUT_DIR, and the crate compiles
// those instead of the committed copies under generated/ (build/generate.rs).
// It writes nothing outside OUT_DIR; `cargo xtask regenerate` copies the
// fresh files into generated/. A normal build does nothing else.

#[cfg(feature = "regenerate-bindings")]
#[path = "build/generate.rs"]
mod generate;

#[path = "build/wasi_libc.rs"]
mod wasi_libc;

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/wasi_libc.rs");
    println!(
        "cargo::rustc-check-cfg=cfg(mio_backend, values(\"unix\", \"windows\", \"wasi_p1\", \"wasi_p2\", \"wasi_p3\", \"shell\"))"
    );
    println!("cargo::rustc-check-cfg=cfg(mio_selector, values(\"epoll\", \"kqueue\", \"poll\"))");

    println!("cargo:rustc-cfg=mio_backend=\"{}\"", backend());

    if let Some(selector) = unix_selector() {
        println!("cargo:rustc-cfg=mio_selector=\"{selector}\"");
    }
    wasi_libc::configure();

    if env::var_os("CARGO_FEATURE_HOST_CALL_COUNT").is_some() {
        count_host_calls();
    }

    #[cfg(feature = "regenerate-bindings")]
    {
        if let Err(err) = generate::run() {
            eprintln!("error: regenerating bindings failed: {err:#}");
            std::process::exit(1);
        }
    }
}

/// The backend for the target and features being built.
fn backend() -> &'static str {
    let var = |name: &str| env::var(name).unwrap_or_default();
    if env::var_os("CARGO_FEATURE_OS_POLL").is_none() {
        return "shell";
    }
    let family = var("CARGO_CFG_TARGET_FAMILY");
    let has_family = |name: &str| family.split(',').any(|f| f == name);
    if has_family("unix") {
        return "unix";
    }
    if has_family("windows") {
        return "windows";
    }
    if var("CARGO_CFG_TARGET_OS") == "wasi" {
        match var("CARGO_CFG_TARGET_ENV").as_str() {
            "p1" => return "wasi_p1",
            "p2" if env::var_os("CARGO_CFG_MIO_WASIP3").is_some() => return "wasi_p3",
            "p2" => return "wasi_p2",
            // The nightly wasm32-wasip3 target: WASI 0.3 without the cfg.
            "p3" => return "wasi_p3",
            _ => {}
        }
    }
    "shell"
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

/// With the test-only `host-call-count` feature: copies the WASI bindings
/// of the target into OUT_DIR with a counter bumped in front of every call
/// of a host import, so that tests can count the host calls the crate
/// makes (`mio::wasi::host_calls`). Normal builds use generated/ as it is.
fn count_host_calls() {
    let var = |name: &str| env::var(name).unwrap_or_default();
    let files: &[&str] = match backend() {
        "wasi_p1" => &["wasi_p1.rs", "wasmedge_sock.rs"],
        "wasi_p2" => &["wasi_p2.rs"],
        "wasi_p3" => &["wasi_p3.rs"],
        _ => return,
    };
    let out_dir = std::path::PathBuf::from(var("OUT_DIR"));
    for file in files {
        let path = format!("generated/{file}");
        println!("cargo:rerun-if-changed={path}");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => panic!("reading {path}: {err}"),
        };
        let mut counted = String::with_capacity(text.len() + text.len() / 8);
        for line in text.lines() {
            // Inner attributes of the file cannot follow `include!`; the
            // including module carries them.
            if line.starts_with("#![") {
                continue;
            }
            counted.push_str(&count_call(line));
            counted.push('\n');
        }
        let dir = out_dir.join("counted");
        if let Err(err) = std::fs::create_dir_all(&dir) {
            panic!("creating {}: {err}", dir.display());
        }
        if let Err(err) = std::fs::write(dir.join(file), counted) {
            panic!("writing counted/{file}: {err}");
        }
    }
}

/// The line with `({ bump(); f })(args)` in place of a host import call
/// `f(args)`: `wit_import<N>(..)` and `drop(_handle ..)` in the WASI 0.2
/// and 0.3 bindings, `raw::<name>(..)` in the preview-1 ones, and in the
/// WASI 0.3 ones the async-lowered ` call(..)` and the stream and future
/// built-ins `imports::<name>(..)`. Declarations (`fn call(..)`) are left
/// alone; a method call (`.call(..)`) does not match.
fn count_call(line: &str) -> String {
    const BUMP: &str = "crate::sys::host_calls::bump();";
    for pattern in ["wit_import", "raw::", "drop(_handle", " call(", "imports::"] {
        let Some(at) = line.find(pattern) else {
            continue;
        };
        if line[..at].trim_end().ends_with("fn") {
            continue;
        }
        let Some(open) = line[at..].find('(').map(|i| at + i) else {
            continue;
        };
        return format!(
            "{}({{ {BUMP} {} }}){}",
            &line[..at],
            &line[at..open],
            &line[open..]
        );
    }
    line.to_string()
}
