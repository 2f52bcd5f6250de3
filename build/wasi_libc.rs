// wasm32-wasip2: which private descriptor-table lookup the toolchain's
// wasi-libc defines, told to the compiler as
// `cfg(mio_wasip2_libc = "get_ref" | "get")`.
//
// The backend shares its sockets with std through wasi-libc's descriptor
// table (src/sys/wasi/p2/descriptor.rs). The lookup function it needs is a
// wasi-libc internal whose name changed between releases
// (`descriptor_table_get_ref` up to wasi-sdk 33, `descriptor_table_get`,
// which takes a reference, from wasi-sdk 34). Stable Rust cannot link a
// symbol weakly, so the choice is made here, from the symbol table of the
// `libc.a` the build links (the target's self-contained one). When neither
// is there, or with `--cfg mio_wasip2_no_libc_interop`, no cfg is set and
// the backend keeps its sockets to itself (std interop returns
// `Unsupported`). Which struct layout those descriptors have is decided at
// run time, by probing (see descriptor.rs).

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// The symbols every mode needs besides the lookup.
const COMMON: [&str; 2] = ["__wasilibc_add_tcp_socket", "__wasilibc_add_udp_socket"];

pub fn configure() {
    println!("cargo::rustc-check-cfg=cfg(mio_wasip2_libc, values(\"get_ref\", \"get\"))");
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
    if !COMMON.iter().all(|name| has(name)) {
        return unknown(&archive);
    }
    if has("descriptor_table_get_ref") {
        println!("cargo:rustc-cfg=mio_wasip2_libc=\"get_ref\"");
    } else if has("descriptor_table_get") {
        println!("cargo:rustc-cfg=mio_wasip2_libc=\"get\"");
    } else {
        unknown(&archive);
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
