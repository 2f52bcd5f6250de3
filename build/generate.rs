//! Binding generator, compiled into the build script only with the
//! `regenerate-bindings` feature.
//!
//! It rewrites the committed files under `generated/` from the interface files
//! under `wit/`:
//!
//! - every component-model snapshot in [`COMPONENT_SNAPSHOTS`] (today only
//!   `wit/wasi-0.2`) goes through `wit-bindgen-rust`;
//! - the preview-1 WITX goes through our own emitter in `witx_gen.rs`.
//!
//! Output is byte-for-byte deterministic: it depends only on the interface
//! files, the pinned generator crates and the emitter, never on the time, the
//! machine or the paths involved. A file is rewritten only when its contents
//! change, so a regeneration that changes nothing leaves `generated/` alone.

#[path = "witx_gen.rs"]
mod witx_gen;

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use wit_bindgen_core::WorldGenerator;
use wit_parser::Resolve;

/// Versions of the generator crates. They must equal the `=` pins in
/// Cargo.toml; [`check_pins`] fails the build when they drift apart.
const WIT_BINDGEN_VERSION: &str = "0.63.0";
const WIT_PARSER_VERSION: &str = "0.262.0";
const WITX_VERSION: &str = "0.9";

/// The command that regenerates `generated/`, quoted in every header.
pub const REGENERATE: &str = "cargo build --features regenerate-bindings";

/// One component-model snapshot: its directory under `wit/`, the world in its
/// main package, the output file under `generated/`, and a title for the header.
struct ComponentSnapshot {
    dir: &'static str,
    world: &'static str,
    output: &'static str,
    title: &'static str,
}

const COMPONENT_SNAPSHOTS: &[ComponentSnapshot] = &[
    ComponentSnapshot {
        dir: "wasi-0.2",
        world: "backend",
        output: "wasi_p2.rs",
        title: "WASI 0.2 imports of the wasm32-wasip2 backend",
    },
    ComponentSnapshot {
        dir: "wasi-0.3",
        world: "backend",
        output: "wasi_p3.rs",
        title: "WASI 0.3 imports and `run` export of the WASI 0.3 backend",
    },
];

pub fn run() -> Result<()> {
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").context("CARGO_MANIFEST_DIR is not set")?,
    );
    println!("cargo:rerun-if-changed=wit");
    println!("cargo:rerun-if-changed=build");
    // A hand edit under generated/ is overwritten by the next regeneration
    // (and so shows up in `git diff`).
    println!("cargo:rerun-if-changed=generated");
    check_pins(&root)?;

    let out_dir = root.join("generated");
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let rustfmt = Rustfmt::new()?;

    for snapshot in COMPONENT_SNAPSHOTS {
        let text = component_bindings(&root, snapshot)
            .with_context(|| format!("generating bindings for wit/{}", snapshot.dir))?;
        write_if_changed(&out_dir.join(snapshot.output), &text)?;
    }

    for file in witx_gen::generate(&root.join("wit/preview1"))? {
        let body = rustfmt
            .format(&file.body)
            .with_context(|| format!("formatting {}", file.name))?;
        let text = format!("{}{MODULE_ATTRIBUTES}\n{body}", file.header);
        write_if_changed(&out_dir.join(file.name), &text)?;
    }
    Ok(())
}

/// Reads `key = value` lines of a `SNAPSHOT` file.
pub fn snapshot_field(dir: &Path, key: &str) -> Result<String> {
    let path = dir.join("SNAPSHOT");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            if k.trim() == key {
                return Ok(v.trim().to_string());
            }
        }
    }
    bail!("{} has no `{key}` line", path.display())
}

fn component_bindings(root: &Path, snapshot: &ComponentSnapshot) -> Result<String> {
    let dir = root.join("wit").join(snapshot.dir);
    let mut resolve = Resolve::default();
    let (pkg, _sources) = resolve.push_dir(&dir)?;
    let world = resolve.select_world(&[pkg], Some(snapshot.world))?;
    let world_name = {
        let package = &resolve.packages[pkg].name;
        format!("{}:{}/{}", package.namespace, package.name, snapshot.world)
    };

    let opts = wit_bindgen_rust::Opts {
        format: true,
        runtime_path: Some("wit_bindgen::rt".to_string()),
        generate_all: true,
        ..Default::default()
    };
    let mut generator = opts.build();
    let mut files = wit_bindgen_core::Files::default();
    generator.generate(&mut resolve, world, &mut files)?;

    let mut body = None;
    for (name, contents) in files.iter() {
        if body.is_some() {
            bail!("wit-bindgen produced more than one file (second: {name})");
        }
        body =
            Some(String::from_utf8(contents.to_vec()).context("wit-bindgen output is not UTF-8")?);
    }
    let body = body.context("wit-bindgen produced no file")?;

    let mut text = String::new();
    push_header(
        &mut text,
        snapshot.title,
        &[
            format!(
                "Interface: wit/{}/ (WASI {}, vendored from {}), world `{world_name}`.",
                snapshot.dir,
                snapshot_field(&dir, "wasi-version")?,
                snapshot_field(&dir, "source-package")?,
            ),
            format!("Generator: wit-bindgen-rust {WIT_BINDGEN_VERSION}, wit-parser {WIT_PARSER_VERSION}."),
            "Runtime: the `wit-bindgen` crate, default features off (`wit_bindgen::rt`).".to_string(),
            "Every `// SAFETY:` line in this file is added by build/generate.rs: the".to_string(),
            "blocks it marks are wit-bindgen's canonical-ABI glue for the functions".to_string(),
            "declared in the WIT named above.".to_string(),
        ],
    );
    text.push_str(MODULE_ATTRIBUTES);
    text.push('\n');
    text.push_str(&annotate_unsafe_blocks(&body));
    Ok(text)
}

/// Inner attributes at the top of every generated file, which is therefore
/// included as a module (`#[path = "..."] mod name;`), not with `include!`.
/// A backend uses only part of each file, and nothing in it is reachable from
/// outside the crate; `cargo fmt` leaves the files as generated.
const MODULE_ATTRIBUTES: &str = "#![allow(dead_code, unreachable_pub, missing_docs, missing_debug_implementations)]\n#![cfg_attr(rustfmt, rustfmt::skip)]\n";

/// Writes the common header of every generated file.
pub fn push_header(out: &mut String, title: &str, lines: &[String]) {
    out.push_str("// @generated by build/generate.rs -- do not edit by hand.\n");
    out.push_str(&format!("// {title}.\n"));
    out.push_str("//\n");
    for line in lines {
        out.push_str(&format!("// {line}\n"));
    }
    out.push_str(&format!("// Regenerate: {REGENERATE}\n"));
    out.push_str("// Check: .ci/regen-check.sh\n\n");
}

/// wit-bindgen does not comment its `unsafe` code; put a `// SAFETY:` line
/// above every line that opens an `unsafe` block or `unsafe impl`, saying what
/// it relies on.
fn annotate_unsafe_blocks(src: &str) -> String {
    const BLOCK: &str = "// SAFETY: canonical-ABI glue: pointers, lengths and handles follow the \
                         WIT signature, and buffers live until the import returns.";
    const RESOURCE: &str = "// SAFETY: `drop` passes a handle this resource owns to the host's \
                            resource-drop import for this resource type, once.";
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    let mut previous = "";
    for line in src.lines() {
        let trimmed = line.trim_start();
        let comment =
            if trimmed.starts_with("//") || previous.trim_start().starts_with("// SAFETY:") {
                None
            } else if trimmed.starts_with("unsafe impl _rt::WasmResource for ") {
                Some(RESOURCE)
            } else if trimmed.contains("unsafe {") || trimmed.starts_with("unsafe impl") {
                Some(BLOCK)
            } else {
                None
            };
        if let Some(comment) = comment {
            out.push_str(&line[..line.len() - trimmed.len()]);
            out.push_str(comment);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Fails when Cargo.toml's generator pins and the versions named in the
/// headers disagree.
fn check_pins(root: &Path) -> Result<()> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let pins = [
        ("wit-bindgen-rust", WIT_BINDGEN_VERSION),
        ("wit-bindgen-core", WIT_BINDGEN_VERSION),
        ("wit-parser", WIT_PARSER_VERSION),
    ];
    for (name, version) in pins {
        let wanted = format!("{name} = {{ version = \"={version}\"");
        if !manifest
            .lines()
            .any(|line| line.trim_start().starts_with(&wanted))
        {
            bail!("Cargo.toml must pin `{name}` to `={version}` (the version build/generate.rs names)");
        }
    }
    let witx = format!("witx = {{ version = \"{WITX_VERSION}");
    if !manifest
        .lines()
        .any(|line| line.trim_start().starts_with(&witx))
    {
        bail!("Cargo.toml must depend on witx {WITX_VERSION}.x");
    }
    Ok(())
}

/// Runs `rustfmt` on generated text with a fixed configuration, ignoring any
/// `rustfmt.toml` of the checkout, so the result depends only on the input and
/// the (stable, edition-2021 style) formatting rules.
struct Rustfmt {
    program: PathBuf,
    config: PathBuf,
}

impl Rustfmt {
    fn new() -> Result<Rustfmt> {
        let out = PathBuf::from(std::env::var_os("OUT_DIR").context("OUT_DIR is not set")?);
        let config = out.join("generated-rustfmt.toml");
        fs::write(
            &config,
            "edition = \"2021\"\nstyle_edition = \"2021\"\nnewline_style = \"Unix\"\n",
        )
        .context("writing rustfmt configuration")?;
        let program = std::env::var_os("RUSTFMT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("rustfmt"));
        Ok(Rustfmt { program, config })
    }

    fn format(&self, src: &str) -> Result<String> {
        use std::io::Write;
        use std::process::{Command, Stdio};

        let mut child = Command::new(&self.program)
            .arg("--edition=2021")
            .arg("--emit=stdout")
            .arg("--quiet")
            .arg("--config-path")
            .arg(&self.config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "running {} (install it with `rustup component add rustfmt`)",
                    self.program.display()
                )
            })?;
        let mut stdin = child.stdin.take().context("rustfmt stdin")?;
        let input = src.to_string();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().context("waiting for rustfmt")?;
        writer
            .join()
            .map_err(|_| anyhow::anyhow!("rustfmt input thread panicked"))?
            .context("feeding rustfmt")?;
        if !output.status.success() {
            bail!(
                "rustfmt failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        String::from_utf8(output.stdout).context("rustfmt output is not UTF-8")
    }
}
