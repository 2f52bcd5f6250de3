//! The `package` suite: what `cargo publish` would upload builds and tests
//! on its own, read-only, as on docs.rs or in a vendored or registry source.
//!
//! 1. stages the tracked files (and untracked, not ignored ones) in a
//!    scratch copy outside the checkout, so nothing local such as `.tools/`
//!    or `target/` is walked;
//! 2. `cargo package --list`: only the crate's sources, and every file a
//!    build needs;
//! 3. `cargo package`, then unpacks the `.crate` and, with a target
//!    directory outside it, builds and tests it with default features and
//!    with `--all-features` (host, wasm32-wasip2, wasm32-wasip1; the
//!    `regenerate-bindings` feature regenerates every binding into
//!    `OUT_DIR`); the `--all-features` builds run with the unpacked source
//!    read-only, and it must not change; the doc examples also run as a
//!    wasm32-wasip2 guest under wasmtime;
//! 4. renders the docs as docs.rs does (`--cfg docsrs`, nightly) for each
//!    docs.rs target the installed nightly has;
//! 5. `cargo publish --dry-run`.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cargo::cargo;
use crate::harness::{Context, Ctx, Fallible, Report, Suite};
use crate::process::{cmd, Run};

pub const PACKAGE: Suite = Suite {
    name: "package",
    about: "the published .crate: its file list, builds and tests unpacked and read-only, WASI builds, wasm doc examples, docs.rs render, publish --dry-run",
    run: package,
};

/// Every file a build of the published crate needs.
const NEEDED: &[&str] = &[
    "build.rs",
    "build/generate.rs",
    "build/witx_gen.rs",
    "generated/wasi_p2.rs",
    "generated/wasi_p1.rs",
    "generated/wasmedge_sock.rs",
    "wit/wasi-0.2/world.wit",
    "wit/preview1/wasi_snapshot_preview1.witx",
    "src/lib.rs",
    "examples/tcp_server.rs",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "Cargo.toml",
    "Cargo.lock",
];

/// What builds may take.
const BUILD: Duration = Duration::from_secs(1800);

/// The features docs.rs renders with (`[package.metadata.docs.rs]`).
const DOCS_FEATURES: &str = "os-poll,os-ext,net,log,wasmedge";

fn package(ctx: &Ctx, report: &mut Report) {
    for target in ["wasm32-wasip1", "wasm32-wasip2"] {
        if let Err(e) = ctx.tools.target(None, target) {
            report.fail(format!("Rust target {target}"), e);
        }
    }
    // Build products go under target/; the sources are staged and unpacked
    // outside the checkout, so cargo does not take them for workspace
    // members.
    let work = ctx.path("target/package-suite");
    let scratch = match Scratch::new() {
        Ok(scratch) => scratch,
        Err(e) => {
            report.fail("scratch directory", e);
            return;
        }
    };
    let stage = scratch.0.join("stage");
    let unpacked = scratch.0.join("unpacked");
    let staged = fs::create_dir_all(&work)
        .context("creating target/package-suite")
        .and_then(|()| fs::create_dir_all(&unpacked).context("creating the unpack directory"))
        .and_then(|()| stage_checkout(&ctx.root, &stage));
    if let Err(e) = staged {
        report.fail("stage the checkout", e);
        return;
    }
    let package_target = work.join("target");
    let in_stage = |args: &[&str]| {
        cargo(None, args)
            .dir(&stage)
            .env("CARGO_TARGET_DIR", &package_target)
            .timeout(BUILD)
    };

    report.part("cargo package --list");
    report.check(
        "cargo package --list",
        file_list(in_stage(&["package", "--list", "--allow-dirty", "--quiet"])),
    );

    report.part("cargo package");
    let packaged = in_stage(&["package", "--allow-dirty", "--no-verify"])
        .go()
        .ok()
        .and_then(|()| unpack(&package_target.join("package"), &unpacked));
    let krate = match packaged {
        Ok(krate) => {
            report.pass("cargo package");
            krate
        }
        Err(e) => {
            report.fail("cargo package", e);
            return;
        }
    };
    let crate_target = work.join("crate-target");
    let in_crate = |args: &[&str]| {
        cargo(None, args)
            .dir(&krate)
            .env("CARGO_TARGET_DIR", &crate_target)
            .timeout(BUILD)
    };
    let go = |run: Run| run.go().ok();

    report.part("the unpacked crate");
    report.check(
        "build, default features",
        go(in_crate(&["build", "--locked"])),
    );
    report.check(
        "test, default features",
        go(in_crate(&["test", "--locked"])),
    );

    // The --all-features builds name the host target explicitly: then the
    // host and both WASI builds share one build of the binding generator (a
    // build dependency) instead of compiling it with and without --target.
    let host = match host_triple() {
        Ok(host) => host,
        Err(e) => {
            report.fail("the host target", e);
            return;
        }
    };
    report.part("the unpacked crate, read-only, --all-features");
    let read_only = (|| -> Fallible<(Snapshot, SystemTime)> {
        let before = Snapshot::take(&krate)?;
        // tar gives the directories it creates the current time, so compare
        // against a stamp made now rather than against the unpacked files.
        let stamp_file = scratch.0.join("stamp");
        fs::write(&stamp_file, b"").context("writing the stamp")?;
        let stamp = fs::metadata(&stamp_file)
            .and_then(|m| m.modified())
            .context("the stamp's time")?;
        set_writable(&krate, false)?;
        Ok((before, stamp))
    })();
    match read_only {
        Ok((before, stamp)) => {
            let all = ["--locked", "--all-features", "--target"];
            report.check(
                "build, --all-features, read-only",
                go(in_crate(&["build"]).args(all).arg(&host)),
            );
            report.check(
                "test, --all-features, read-only",
                go(in_crate(&["test"]).args(all).arg(&host)),
            );
            for target in ["wasm32-wasip2", "wasm32-wasip1"] {
                report.check(
                    format!("build {target}, --all-features, read-only"),
                    go(in_crate(&["build"]).args(all).arg(target)),
                );
            }
            report.check(
                "source unchanged after the read-only builds",
                unchanged(&krate, &before, stamp),
            );
        }
        Err(e) => report.fail("make the unpacked crate read-only", e),
    }
    if let Err(e) = set_writable(&krate, true) {
        report.fail("make the unpacked crate writable again", e);
        return;
    }

    // The doc examples of the packaged crate as a wasm32-wasip2 guest.
    report.part("doc examples on wasm32-wasip2 under wasmtime");
    let doctests = ctx.tools.wasmtime().and_then(|_| {
        let exe = std::env::current_exe().context("the driver's own path")?;
        in_crate(&[
            "test",
            "--locked",
            "--doc",
            "--target",
            "wasm32-wasip2",
            "--features",
            "os-poll,net",
        ])
        .env(
            "CARGO_TARGET_WASM32_WASIP2_RUNNER",
            format!("{} runner wasmtime", exe.display()),
        )
        .go()
        .ok()
    });
    report.check("doc examples on wasm32-wasip2 under wasmtime", doctests);

    report.part("docs.rs render (nightly, --cfg docsrs)");
    docs_rs(report, &in_crate);

    // Packages and verifies again; uploads nothing.
    report.part("cargo publish --dry-run");
    report.check(
        "cargo publish --dry-run",
        go(in_stage(&["publish", "--dry-run", "--allow-dirty"])),
    );
}

/// A scratch directory under the system's temporary directory, removed
/// (made writable first) on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Fallible<Scratch> {
        // A directory of its own for every run, even one in a process
        // whose id an earlier run had.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("mio-wasi-package-{}-{nanos}", std::process::id()));
        if dir.exists() {
            let _ = set_writable(&dir, true);
            fs::remove_dir_all(&dir).context(format!("removing {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = set_writable(&self.0, true);
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Copies the files git knows (tracked, and untracked but not ignored) of
/// `root` into `stage`.
fn stage_checkout(root: &Path, stage: &Path) -> Fallible {
    let out = cmd("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .dir(root)
        .timeout(Duration::from_secs(120))
        .quiet()
        .go();
    out.ok()?;
    let mut copied = 0;
    for rel in out.text.split('\0').map(|f| f.trim_end_matches('\n')) {
        if rel.is_empty() {
            continue;
        }
        let from = root.join(rel);
        let to = stage.join(rel);
        // A file deleted but still in the index is skipped, as is a
        // submodule (a directory).
        let Ok(meta) = fs::symlink_metadata(&from) else {
            continue;
        };
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).context(format!("creating {}", parent.display()))?;
        }
        if meta.file_type().is_symlink() {
            let link = fs::read_link(&from).context(format!("reading link {rel}"))?;
            std::os::unix::fs::symlink(link, &to).context(format!("linking {rel}"))?;
        } else if meta.is_file() {
            fs::copy(&from, &to).context(format!("copying {rel}"))?;
        } else {
            continue;
        }
        copied += 1;
    }
    println!("staged {copied} files");
    Ok(())
}

/// Runs `cargo package --list` and checks what it names.
fn file_list(run: Run) -> Fallible {
    let out = run.quiet().go();
    out.ok().map_err(|e| format!("{e}\n{}", out.tail(30)))?;
    let files: Vec<&str> = out.text.lines().filter(|l| is_listed_file(l)).collect();
    let bad: Vec<&str> = files.iter().copied().filter(|f| !may_ship(f)).collect();
    let missing: Vec<&str> = NEEDED
        .iter()
        .copied()
        .filter(|need| !files.contains(need))
        .collect();
    println!("{} files in the package", files.len());
    let mut problems = Vec::new();
    if !bad.is_empty() {
        problems.push(format!("packaged but should not be: {}", bad.join(" ")));
    }
    if !missing.is_empty() {
        problems.push(format!("missing from the package: {}", missing.join(" ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Whether a line of `cargo package --list` output names a file (and is not
/// one of cargo's `warning:` messages or their indented details).
fn is_listed_file(line: &str) -> bool {
    !line.is_empty()
        && !line.starts_with(char::is_whitespace)
        && !["warning:", "note:", "error:", "help:"]
            .iter()
            .any(|p| line.starts_with(p))
}

/// Whether the published crate may hold `path` (Cargo.toml's `exclude`
/// keeps out everything else: tests, benches, scripts, CI files, tools).
fn may_ship(path: &str) -> bool {
    let simple_name = |name: &str, ext: &str| {
        name.strip_suffix(ext).is_some_and(|stem| {
            !stem.is_empty()
                && stem
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
    };
    let one_level = |dir: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| !rest.contains('/') && simple_name(rest, ".rs"))
    };
    matches!(
        path,
        "build.rs"
            | "README.md"
            | "LICENSE"
            | "CHANGELOG.md"
            | "Cargo.toml"
            | "Cargo.toml.orig"
            | "Cargo.lock"
            | ".cargo_vcs_info.json"
    ) || (path.starts_with("src/") && path.ends_with(".rs"))
        || path.starts_with("wit/")
        || one_level("generated/")
        || one_level("build/")
        || one_level("examples/")
}

/// Unpacks the newest `mio_wasi-*.crate` of `dir` into `into`; returns the
/// crate's directory.
fn unpack(dir: &Path, into: &Path) -> Fallible<PathBuf> {
    let mut crates = Vec::new();
    for entry in fs::read_dir(dir).context(format!("reading {}", dir.display()))? {
        let path = entry.context("reading a directory entry")?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("mio_wasi-") && name.ends_with(".crate") {
            let modified = fs::metadata(&path)
                .and_then(|m| m.modified())
                .context("the .crate's time")?;
            crates.push((modified, path));
        }
    }
    crates.sort();
    let (_, file) = crates
        .pop()
        .ok_or(format!("no mio_wasi-*.crate in {}", dir.display()))?;
    cmd("tar")
        .arg("-xzf")
        .arg(&file)
        .arg("-C")
        .arg(into)
        .timeout(Duration::from_secs(120))
        .go()
        .ok()?;
    let stem = file
        .file_stem()
        .ok_or("a .crate without a name")?
        .to_string_lossy()
        .into_owned();
    let krate = into.join(stem);
    if krate.is_dir() {
        Ok(krate)
    } else {
        Err(format!("{} held no {}", file.display(), krate.display()))
    }
}

/// The host's target triple (`rustc -vV`).
fn host_triple() -> Fallible<String> {
    let out = cmd("rustc")
        .arg("-vV")
        .quiet()
        .timeout(Duration::from_secs(60))
        .go();
    out.ok()?;
    parse_host(&out.text).ok_or_else(|| "rustc -vV names no host".to_string())
}

fn parse_host(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_string())
}

/// Every file under a directory with its contents.
struct Snapshot(BTreeMap<PathBuf, Vec<u8>>);

impl Snapshot {
    fn take(dir: &Path) -> Fallible<Snapshot> {
        let mut files = BTreeMap::new();
        for path in walk(dir)? {
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                let bytes = fs::read(&path).context(format!("reading {}", path.display()))?;
                files.insert(path, bytes);
            }
        }
        Ok(Snapshot(files))
    }
}

/// Every path under `dir` (directories included, `dir` itself not).
fn walk(dir: &Path) -> Fallible<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).context(format!("reading {}", dir.display()))? {
            let entry = entry.context("reading a directory entry")?;
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path.clone());
            }
            found.push(path);
        }
    }
    Ok(found)
}

/// Takes write permission from everyone (`chmod -R a-w`) or gives it back
/// to the owner (`chmod -R u+w`). Directories are opened before they lose
/// it and after they regain it.
fn set_writable(dir: &Path, writable: bool) -> Fallible {
    let mut paths = Vec::new();
    if writable {
        set_mode(dir, true)?;
        // Walk top-down, regaining write access before descending.
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in fs::read_dir(&d).context(format!("reading {}", d.display()))? {
                let entry = entry.context("reading a directory entry")?;
                let path = entry.path();
                if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                    continue;
                }
                set_mode(&path, true)?;
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    todo.push(path);
                }
            }
        }
        return Ok(());
    }
    paths.extend(walk(dir)?);
    paths.push(dir.to_path_buf());
    for path in paths {
        if fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_symlink()) {
            set_mode(&path, false)?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, writable: bool) -> Fallible {
    let mode = fs::metadata(path)
        .context(format!("stat {}", path.display()))?
        .permissions()
        .mode();
    let mode = if writable {
        mode | 0o200
    } else {
        mode & !0o222
    };
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .context(format!("chmod {}", path.display()))
}

/// The unpacked crate is what it was before the builds: the same files with
/// the same bytes, and nothing under it modified after `stamp`.
fn unchanged(krate: &Path, before: &Snapshot, stamp: SystemTime) -> Fallible {
    let after = Snapshot::take(krate)?;
    if after.0 != before.0 {
        let changed: Vec<String> = before
            .0
            .keys()
            .chain(after.0.keys())
            .filter(|p| before.0.get(*p) != after.0.get(*p))
            .map(|p| p.display().to_string())
            .collect();
        return Err(format!(
            "the unpacked source changed during the build: {}",
            changed.join(" ")
        ));
    }
    let mut newer = Vec::new();
    for path in walk(krate)? {
        let modified = fs::symlink_metadata(&path)
            .and_then(|m| m.modified())
            .context(format!("stat {}", path.display()))?;
        if modified > stamp {
            newer.push(path.display().to_string());
        }
    }
    if newer.is_empty() {
        Ok(())
    } else {
        Err(format!("changed during the builds: {}", newer.join(" ")))
    }
}

/// Renders the docs as docs.rs does, with nightly, for each docs.rs target
/// the nightly toolchain has std for. An installed nightly is used as it is
/// (never updated here); a missing one is installed.
fn docs_rs(report: &mut Report, in_crate: &dyn Fn(&[&str]) -> Run) {
    let have = cargo(Some("nightly"), &["--version"])
        .quiet()
        .timeout(Duration::from_secs(60))
        .go();
    if have.success() {
        // An old nightly's wasm std may no longer be downloadable; the
        // targets it lacks are skipped below with the reason.
        let _ = cmd("rustup")
            .args([
                "target",
                "add",
                "--toolchain",
                "nightly",
                "wasm32-wasip1",
                "wasm32-wasip2",
            ])
            .quiet()
            .timeout(Duration::from_secs(600))
            .go();
    } else {
        let install = cmd("rustup")
            .args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--target",
                "wasm32-wasip1",
                "--target",
                "wasm32-wasip2",
            ])
            .timeout(Duration::from_secs(1200))
            .go();
        if !install.success() {
            report.skip(
                "docs.rs render",
                "no nightly toolchain and rustup cannot install one",
            );
            return;
        }
    }
    let installed = cmd("rustup")
        .args(["target", "list", "--installed", "--toolchain", "nightly"])
        .quiet()
        .timeout(Duration::from_secs(60))
        .go();
    for target in ["x86_64-unknown-linux-gnu", "wasm32-wasip2", "wasm32-wasip1"] {
        let name = format!("docs.rs render for {target}");
        if !installed.text.lines().any(|l| l.trim() == target) {
            report.skip(
                name,
                "the installed nightly has no std for it and rustup could not add one",
            );
            continue;
        }
        let out = in_crate(&[
            "+nightly",
            "doc",
            "--locked",
            "--no-deps",
            "--features",
            DOCS_FEATURES,
            "--target",
            target,
        ])
        .env("RUSTDOCFLAGS", "--cfg docsrs -D warnings")
        .go();
        report.check(name, out.ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_may_ship() {
        for ok in [
            "src/lib.rs",
            "src/sys/wasi/p2/mod.rs",
            "generated/wasi_p2.rs",
            "wit/wasi-0.2/deps/io/poll.wit",
            "build/witx_gen.rs",
            "build.rs",
            "examples/tcp_server.rs",
            "Cargo.toml.orig",
            ".cargo_vcs_info.json",
        ] {
            assert!(may_ship(ok), "{ok}");
        }
        for bad in [
            "tests/tcp.rs",
            "tests/xtask/src/main.rs",
            ".cargo/config.toml",
            "scripts/test.sh",
            ".ci/wine/bcryptprimitives.c",
            "benches/compare.rs",
            "examples/http/src/main.rs",
            "generated/Notes.md",
            "build/x.sh",
            "src/notes.txt",
            ".gitignore",
        ] {
            assert!(!may_ship(bad), "{bad}");
        }
    }

    #[test]
    fn list_lines() {
        assert!(is_listed_file("src/lib.rs"));
        assert!(!is_listed_file("warning: no files"));
        assert!(!is_listed_file("  |"));
        assert!(!is_listed_file(""));
    }

    #[test]
    fn host_from_rustc() {
        let text = "rustc 1.95.0\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\n";
        assert_eq!(
            parse_host(text).as_deref(),
            Some("x86_64-unknown-linux-gnu")
        );
        assert_eq!(parse_host("nothing"), None);
    }
}
