// wasm32-wasip2: which kind of private descriptor table the toolchain's
// wasi-libc has, told to the compiler as
// `cfg(mio_wasip2_libc = "entry" | "get_ref" | "get")`.
//
// The backend shares its sockets with std through wasi-libc's descriptor
// table (src/sys/wasi/p2/descriptor.rs). The functions it needs are
// wasi-libc internals that changed between releases:
//
// * "entry" (wasi-sdk 25 to 27): sockets are tagged table entries, made
//   with `descriptor_table_insert` and found with
//   `bool descriptor_table_get_ref(int, entry **)`; no
//   `__wasilibc_add_tcp_socket`.
// * "get_ref" (wasi-sdk 29 to 33): entries point at per-socket structs
//   made by `__wasilibc_add_tcp_socket`/`_udp_socket`, found with
//   `entry *descriptor_table_get_ref(int)`.
// * "get" (wasi-sdk 34): as "get_ref", but found with
//   `descriptor_table_get`, which takes a counted reference.
//
// Stable Rust cannot link a symbol weakly, so the choice is made here, from
// the symbol table of the `libc.a` the build links (the target's
// self-contained one). When none fits, or with
// `--cfg mio_wasip2_no_libc_interop`, no cfg is set and the backend keeps
// its sockets to itself (std interop returns `Unsupported`). Which struct
// layout the descriptors have is decided at run time, by probing (see
// descriptor.rs).

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// The symbols of the "get_ref" and "get" kinds besides the lookup.
const COMMON: [&str; 2] = ["__wasilibc_add_tcp_socket", "__wasilibc_add_udp_socket"];

pub fn configure() {
    println!(
        "cargo::rustc-check-cfg=cfg(mio_wasip2_libc, values(\"entry\", \"get_ref\", \"get\"))"
    );
    let var = |name: &str| env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "wasi" || var("CARGO_CFG_TARGET_ENV") != "p2" {
        return;
    }
    if env::var_os("CARGO_CFG_MIO_WASIP2_NO_LIBC_INTEROP").is_some() {
        return;
    }
    let Some(archive) = libc_archive() else {
        println!(
            "cargo:warning=mio: the wasm32-wasip2 libc.a was not found; sockets will not \
             convert to or from std's"
        );
        return;
    };
    println!("cargo:rerun-if-changed={}", archive.display());
    let symbols = match std::fs::read(&archive).map(|bytes| archive_symbols(&bytes)) {
        Ok(Some(symbols)) => symbols,
        _ => {
            println!(
                "cargo:warning=mio: cannot read the symbol table of {}; sockets will not \
                 convert to or from std's",
                archive.display()
            );
            return;
        }
    };
    let has = |name: &str| symbols.iter().any(|s| s == name);
    let kind = if COMMON.iter().all(|name| has(name)) {
        if has("descriptor_table_get_ref") {
            Some("get_ref")
        } else if has("descriptor_table_get") {
            Some("get")
        } else {
            None
        }
    } else if !COMMON.iter().any(|name| has(name))
        && has("descriptor_table_get_ref")
        && has("descriptor_table_insert")
    {
        Some("entry")
    } else {
        None
    };
    match kind {
        Some(kind) => println!("cargo:rustc-cfg=mio_wasip2_libc=\"{kind}\""),
        None => unknown(&archive),
    }
}

fn unknown(archive: &std::path::Path) {
    println!(
        "cargo:warning=mio: {} has none of the wasi-libc descriptor-table functions this \
         crate knows; sockets work, but will not convert to or from std's",
        archive.display()
    );
}

/// `<target-libdir>/self-contained/libc.a` of the compiler cargo runs.
fn libc_archive() -> Option<PathBuf> {
    let rustc = env::var_os("RUSTC")?;
    let target = env::var("TARGET").ok()?;
    let mut cmd = Command::new(rustc);
    cmd.args(["--print", "target-libdir", "--target", &target]);
    // A `--sysroot` in the flags moves the target's libraries.
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let mut flags = flags.split('\x1f');
    while let Some(flag) = flags.next() {
        if flag == "--sysroot" {
            cmd.args(["--sysroot", flags.next()?]);
        } else if let Some(path) = flag.strip_prefix("--sysroot=") {
            cmd.arg(format!("--sysroot={path}"));
        }
    }
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    let path = PathBuf::from(dir.trim())
        .join("self-contained")
        .join("libc.a");
    path.is_file().then_some(path)
}

/// The names in an archive's symbol index (the GNU `/` or `/SYM64/`
/// member that llvm-ar writes first).
fn archive_symbols(bytes: &[u8]) -> Option<Vec<String>> {
    let rest = bytes.strip_prefix(b"!<arch>\n")?;
    let header = rest.get(..60)?;
    let name = std::str::from_utf8(&header[..16]).ok()?.trim_end();
    let width = match name {
        "/" => 4,
        "/SYM64/" => 8,
        _ => return None,
    };
    let size: usize = std::str::from_utf8(&header[48..58])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let body = rest.get(60..60 + size)?;
    let mut count = 0usize;
    for &b in body.get(..width)? {
        count = count.checked_mul(256)? + usize::from(b);
    }
    let names = body.get(width + count.checked_mul(width)?..)?;
    Some(
        names
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .take(count)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
    )
}
