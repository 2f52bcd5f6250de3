//! `cargo xtask regenerate [--check]`: refreshes (or checks) the committed
//! WASI bindings under `generated/`.
//!
//! The build script never writes into the source tree: with the
//! `regenerate-bindings` feature it generates into its `OUT_DIR` and the
//! crate compiles that copy (build/generate.rs). This command builds with
//! the feature, takes that `OUT_DIR` from cargo's JSON messages, checks that
//! the generator versions the files' headers name are the ones cargo
//! resolved for this build (`cargo metadata`, not Cargo.toml's text), then
//! copies the fresh files into `generated/` or, with `--check`, compares.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::cargo::cargo;
use crate::harness::{checkout, Context, Fallible};
use crate::process::cmd;

/// The package whose build script generates the bindings.
const PACKAGE: &str = "mio_wasi";

/// `cargo xtask regenerate [--check]`.
pub fn command(args: &[String]) -> ExitCode {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            eprintln!("usage: cargo xtask regenerate [--check]");
            return ExitCode::from(2);
        }
    };
    let root = checkout();
    let result = (|| -> Fallible {
        let fresh = fresh_bindings(&root)?;
        let mut bad = 0;
        for (name, result) in version_checks(&root, &fresh)? {
            match result {
                Ok(()) => println!("regenerate: ok   {name}"),
                Err(e) => {
                    println!("regenerate: FAIL {name}: {e}");
                    bad += 1;
                }
            }
        }
        if bad > 0 {
            return Err(
                "update the versions in build/generate.rs to the Cargo.toml pins".to_string(),
            );
        }
        let generated = root.join("generated");
        if check {
            let stale: Vec<String> = compare(&fresh, &generated)?
                .into_iter()
                .filter_map(|(name, r)| r.err().map(|e| format!("{name}: {e}")))
                .collect();
            if stale.is_empty() {
                println!("regenerate: OK: generated/ is what wit/ and build/ produce");
                Ok(())
            } else {
                show_diff(&generated, &fresh);
                Err(format!(
                    "generated/ does not match what wit/ and build/ produce ({}); \
                     refresh it with `cargo xtask regenerate` and commit the \
                     changes (never edit those files by hand)",
                    stale.join("; ")
                ))
            }
        } else {
            copy(&fresh, &generated)?;
            println!("regenerate: done; review and commit generated/");
            Ok(())
        }
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("regenerate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds with `regenerate-bindings` and returns the build script's
/// `OUT_DIR/generated`, where the fresh bindings are.
pub fn fresh_bindings(root: &Path) -> Fallible<PathBuf> {
    cmd("rustfmt")
        .arg("--version")
        .quiet()
        .timeout(Duration::from_secs(60))
        .go()
        .ok()
        .context("rustfmt is required (rustup component add rustfmt)")?;
    println!("regenerate: cargo build --features regenerate-bindings");
    let out = cargo(
        None,
        &[
            "build",
            "--features",
            "regenerate-bindings",
            "--message-format=json-render-diagnostics",
        ],
    )
    .dir(root)
    .timeout(Duration::from_secs(1800))
    .quiet()
    .go();
    // Show what cargo said, without its JSON.
    for line in out.text.lines().filter(|l| !l.starts_with('{')) {
        println!("{line}");
    }
    out.ok()?;
    let out_dir = build_script_out_dir(&out.text, PACKAGE)?;
    let fresh = out_dir.join("generated");
    if !fresh.is_dir() {
        return Err(format!("the build script wrote no {}", fresh.display()));
    }
    Ok(fresh)
}

/// The `OUT_DIR` of `package`'s build script, from cargo's JSON messages;
/// exactly one run of it must be there.
fn build_script_out_dir(messages: &str, package: &str) -> Fallible<PathBuf> {
    let mut dirs = BTreeSet::new();
    for line in messages.lines().filter(|l| l.starts_with('{')) {
        let msg: serde_json::Value = serde_json::from_str(line).context("cargo message")?;
        if msg["reason"] == "build-script-executed"
            && package_id_names(msg["package_id"].as_str().unwrap_or(""), package)
        {
            if let Some(dir) = msg["out_dir"].as_str() {
                dirs.insert(dir.to_string());
            }
        }
    }
    match dirs.len() {
        1 => Ok(PathBuf::from(dirs.into_iter().next().unwrap_or_default())),
        n => Err(format!(
            "expected one build-script run of {package}, found {n}"
        )),
    }
}

/// Whether a cargo package id names `package`: `path+file:///…#name@1.2.0`
/// (or `…#1.2.0` when the directory is the name) as cargo prints them now,
/// or `name 1.2.0 (path+file:///…)` as older cargo did.
fn package_id_names(id: &str, package: &str) -> bool {
    if let Some((source, fragment)) = id.rsplit_once('#') {
        return match fragment.split_once('@') {
            Some((name, _)) => name == package,
            None => source
                .trim_end_matches('/')
                .ends_with(&format!("/{package}")),
        };
    }
    id.split_whitespace().next() == Some(package)
}

/// The generator versions the fresh files' headers name, against the ones
/// cargo resolved for `mio_wasi` with the feature on: one result per crate,
/// and one for the `wit-bindgen` runtime the generated code calls (it must
/// be the generator's release series).
pub fn version_checks(root: &Path, fresh: &Path) -> Fallible<Vec<(String, Fallible)>> {
    let out = cargo(
        None,
        &[
            "metadata",
            "--format-version",
            "1",
            "--features",
            "regenerate-bindings",
            "--locked",
        ],
    )
    .dir(root)
    .timeout(Duration::from_secs(600))
    .quiet()
    .go();
    out.ok().map_err(|e| format!("{e}\n{}", out.tail(20)))?;
    // cargo metadata prints the JSON on one line (stderr may add others).
    let json = out
        .text
        .lines()
        .find(|l| l.starts_with('{'))
        .ok_or("cargo metadata printed no JSON")?;
    let resolved = resolved_deps(json, PACKAGE)?;

    let read = |name: &str| fs::read_to_string(fresh.join(name)).context(format!("reading {name}"));
    let headers = header_versions(&read("wasi_p2.rs")?, &read("wasi_p1.rs")?)?;

    let one = |name: &str| -> Fallible<String> {
        match resolved.get(name) {
            Some(versions) if versions.len() == 1 => {
                Ok(versions.iter().next().cloned().unwrap_or_default())
            }
            Some(versions) => Err(format!(
                "cargo resolved {name} to {}",
                versions.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
            None => Err(format!("cargo resolved no {name}")),
        }
    };
    let mut results = Vec::new();
    for (name, want) in &headers {
        let result = one(name).and_then(|got| {
            if &got == want {
                Ok(())
            } else {
                Err(format!("header {want}, cargo {got}"))
            }
        });
        results.push((format!("{name} {want} (header) is cargo's"), result));
    }
    let generator = headers.get("wit-bindgen-rust").cloned().unwrap_or_default();
    let runtime = one("wit-bindgen").and_then(|runtime| {
        if series(&runtime) == series(&generator) {
            Ok(())
        } else {
            Err(format!(
                "wit-bindgen runtime {runtime} does not match generator {generator}"
            ))
        }
    });
    results.push((
        format!("wit-bindgen runtime is the {generator} series"),
        runtime,
    ));
    Ok(results)
}

/// Major and minor of a version.
fn series(version: &str) -> Vec<&str> {
    version.split('.').take(2).collect()
}

/// Name → versions of the packages `package` depends on (normal and build
/// dependencies), from `cargo metadata` JSON.
fn resolved_deps(json: &str, package: &str) -> Fallible<BTreeMap<String, BTreeSet<String>>> {
    let meta: serde_json::Value = serde_json::from_str(json).context("cargo metadata")?;
    let packages = meta["packages"].as_array().ok_or("no packages")?;
    let by_id: BTreeMap<&str, &serde_json::Value> = packages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let root = packages
        .iter()
        .find(|p| p["name"] == package)
        .and_then(|p| p["id"].as_str())
        .ok_or(format!("no package {package}"))?;
    let node = meta["resolve"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == root))
        .ok_or(format!("{package} is not in the resolve graph"))?;
    let mut resolved: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for dep in node["deps"].as_array().into_iter().flatten() {
        let Some(pkg) = dep["pkg"].as_str().and_then(|id| by_id.get(id)) else {
            continue;
        };
        if let (Some(name), Some(version)) = (pkg["name"].as_str(), pkg["version"].as_str()) {
            resolved
                .entry(name.to_string())
                .or_default()
                .insert(version.to_string());
        }
    }
    Ok(resolved)
}

/// The generator versions named in the headers of `wasi_p2.rs`
/// (`// Generator: wit-bindgen-rust A, wit-parser B.`) and `wasi_p1.rs`
/// (`// Generator: build/witx_gen.rs with witx C.`), by crate name;
/// wit-bindgen-core is wit-bindgen-rust's release.
fn header_versions(p2: &str, p1: &str) -> Fallible<BTreeMap<String, String>> {
    let generator = |text: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.strip_prefix("// Generator: "))
            .map(|s| s.trim_end_matches('.').to_string())
    };
    let p2_line = generator(p2).ok_or("wasi_p2.rs names no generator")?;
    let p1_line = generator(p1).ok_or("wasi_p1.rs names no generator")?;
    let after = |line: &str, key: &str| -> Fallible<String> {
        let rest = line
            .split_once(key)
            .map(|(_, rest)| rest)
            .ok_or(format!("no `{key}` in `{line}`"))?;
        let version: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let version = version.trim_end_matches('.');
        if version.split('.').count() == 3 && version.split('.').all(|p| !p.is_empty()) {
            Ok(version.to_string())
        } else {
            Err(format!("no version after `{key}` in `{line}`"))
        }
    };
    let mut versions = BTreeMap::new();
    let rust = after(&p2_line, "wit-bindgen-rust ")?;
    versions.insert("wit-bindgen-core".to_string(), rust.clone());
    versions.insert("wit-bindgen-rust".to_string(), rust);
    versions.insert("wit-parser".to_string(), after(&p2_line, "wit-parser ")?);
    versions.insert("witx".to_string(), after(&p1_line, "with witx ")?);
    Ok(versions)
}

/// The `*.rs` files of a directory, by name.
fn rust_files(dir: &Path) -> Fallible<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(dir).context(format!("reading {}", dir.display()))? {
        let name = entry.context("reading a directory entry")?.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".rs") {
            names.insert(name.into_owned());
        }
    }
    Ok(names)
}

/// One result per file: every fresh file must be in `generated/` with the
/// same bytes, and `generated/` must hold no file the build no longer makes.
pub fn compare(fresh: &Path, generated: &Path) -> Fallible<Vec<(String, Fallible)>> {
    let new = rust_files(fresh)?;
    let old = rust_files(generated)?;
    let mut results = Vec::new();
    for name in new.union(&old) {
        let result = match (new.contains(name), old.contains(name)) {
            (true, true) => {
                let a = fs::read(fresh.join(name)).context(format!("reading fresh {name}"))?;
                let b = fs::read(generated.join(name)).context(format!("reading {name}"))?;
                if a == b {
                    Ok(())
                } else {
                    Err("differs from the fresh output".to_string())
                }
            }
            (true, false) => Err("is generated but not committed".to_string()),
            _ => Err("is committed but no longer generated".to_string()),
        };
        results.push((format!("generated/{name}"), result));
    }
    Ok(results)
}

/// Copies the fresh files that differ into `generated/`.
fn copy(fresh: &Path, generated: &Path) -> Fallible {
    fs::create_dir_all(generated).context("creating generated/")?;
    for (name, result) in compare(fresh, generated)? {
        let file = name.trim_start_matches("generated/");
        if result.is_ok() {
            continue;
        }
        let source = fresh.join(file);
        if source.exists() {
            fs::copy(&source, generated.join(file)).context(format!("copying {file}"))?;
            println!("regenerate: updated {name}");
        } else {
            println!("regenerate: {name} is no longer generated; remove it");
        }
    }
    Ok(())
}

/// The first lines of a unified diff between the two directories.
pub fn show_diff(generated: &Path, fresh: &Path) {
    let out = cmd("diff")
        .args(["-r", "-u"])
        .arg(generated)
        .arg(fresh)
        .timeout(Duration::from_secs(60))
        .quiet()
        .go();
    for line in out.text.lines().take(60) {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids() {
        assert!(package_id_names(
            "path+file:///src/mio_wasi#1.2.0",
            "mio_wasi"
        ));
        assert!(package_id_names(
            "path+file:///tmp/checkout#mio_wasi@1.2.0",
            "mio_wasi"
        ));
        assert!(package_id_names(
            "mio_wasi 1.2.0 (path+file:///tmp/checkout)",
            "mio_wasi"
        ));
        assert!(!package_id_names(
            "registry+https://github.com/rust-lang/crates.io-index#libc@0.2.170",
            "mio_wasi"
        ));
        assert!(!package_id_names(
            "path+file:///src/mio_wasi/compat/mio#1.2.0",
            "mio_wasi"
        ));
    }

    #[test]
    fn out_dir_from_messages() {
        let msgs = r#"{"reason":"build-script-executed","package_id":"registry+https://x#libc@0.2.1","out_dir":"/t/libc"}
   Compiling mio_wasi
{"reason":"build-script-executed","package_id":"path+file:///c#mio_wasi@1.2.0","out_dir":"/t/out"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            build_script_out_dir(msgs, "mio_wasi").unwrap(),
            PathBuf::from("/t/out")
        );
        assert!(build_script_out_dir("", "mio_wasi").is_err());
    }

    #[test]
    fn versions_from_headers() {
        let p2 = "// WASI 0.2\n// Generator: wit-bindgen-rust 0.63.0, wit-parser 0.262.0.\n// Runtime: x\n";
        let p1 = "// Generator: build/witx_gen.rs with witx 0.9.1.\n";
        let v = header_versions(p2, p1).unwrap();
        assert_eq!(v["wit-bindgen-rust"], "0.63.0");
        assert_eq!(v["wit-bindgen-core"], "0.63.0");
        assert_eq!(v["wit-parser"], "0.262.0");
        assert_eq!(v["witx"], "0.9.1");
        assert!(header_versions("// Generator: wit-bindgen-rust x, wit-parser 1.\n", p1).is_err());
        assert!(header_versions("nothing", p1).is_err());
    }

    #[test]
    fn deps_from_metadata() {
        let json = r#"{"packages":[
            {"id":"a","name":"mio_wasi","version":"1.2.0"},
            {"id":"b","name":"witx","version":"0.9.1"},
            {"id":"c","name":"wit-bindgen","version":"0.63.0"}],
          "resolve":{"nodes":[{"id":"a","deps":[{"pkg":"b"},{"pkg":"c"}]},{"id":"b","deps":[]}]}}"#;
        let deps = resolved_deps(json, "mio_wasi").unwrap();
        assert_eq!(deps["witx"].iter().next().unwrap(), "0.9.1");
        assert_eq!(deps.len(), 2);
        assert!(resolved_deps(json, "other").is_err());
    }

    #[test]
    fn release_series() {
        assert_eq!(series("0.63.1"), series("0.63.0"));
        assert_ne!(series("0.64.0"), series("0.63.0"));
    }
}
