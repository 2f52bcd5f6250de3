//! Binding generator, compiled into the build script only with the
//! `regenerate-bindings` feature.
//!
//! It writes fresh bindings from the interface files under `wit/` into
//! `$OUT_DIR/generated/`, and the crate then compiles those instead of the
//! committed copies under `generated/` (see `generated_bindings!` in
//! src/macros.rs). It never writes into the source tree: a build script may
//! only write to `OUT_DIR`, and packaged or vendored sources are read-only.
//! `cargo xtask regenerate` copies the result into `generated/`;
//! `cargo xtask regenerate --check` (the `regen-check` suite) fails when the
//! two differ.
//!
//! - every component-model snapshot in [`COMPONENT_SNAPSHOTS`] (today only
//!   `wit/wasi-0.2`) goes through `wit-bindgen-rust`, followed by the raw
//!   imports the snapshot lists (see [`RawImports`]);
//! - the preview-1 WITX goes through our own emitter in `witx_gen.rs`.
//!
//! Output is byte-for-byte deterministic: it depends only on the interface
//! files, the pinned generator crates and the emitter, never on the time, the
//! machine or the paths involved.

#[path = "witx_gen.rs"]
mod witx_gen;

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use wit_bindgen_core::WorldGenerator;
use wit_parser::abi::WasmType;
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve, WasmImport, WorldItem};

/// Versions of the generator crates, named in the headers. The build checks
/// the first against the version wit-bindgen-rust reports in its own output;
/// `cargo xtask regenerate` checks all of them against the versions
/// `cargo metadata` resolved for this build (it reads the header lines).
const WIT_BINDGEN_VERSION: &str = "0.63.0";
const WIT_PARSER_VERSION: &str = "0.262.0";
pub const WITX_VERSION: &str = "0.9.1";

/// The command that refreshes `generated/`, quoted in every header.
pub const REGENERATE: &str = "cargo xtask regenerate";

/// One component-model snapshot: its directory under `wit/`, the world in its
/// main package, the output file, a title for the header, and the raw imports
/// to emit after wit-bindgen's output.
struct ComponentSnapshot {
    dir: &'static str,
    world: &'static str,
    output: &'static str,
    title: &'static str,
    raw_imports: &'static [RawImports],
}

/// Functions of one imported interface that the backend calls through bare
/// `extern "C"` declarations instead of wit-bindgen's wrappers, because the
/// wrappers allocate (they copy a `list` argument into a fresh `Vec`) or
/// because the backend needs the raw handle form.
///
/// They are emitted into `raw::<namespace>::<package>::<interface>` of the
/// snapshot's file, with the core-wasm signature and import names wit-parser
/// computes from the WIT, so the WASI version they import is the snapshot's
/// and nothing is written by hand. A function missing from the WIT fails the
/// build.
struct RawImports {
    /// `namespace:package/interface`, without a version.
    interface: &'static str,
    /// WIT function names (`[method]resource.name` for methods).
    functions: &'static [&'static str],
    /// Lowered asynchronously (WASI 0.3): the import is named
    /// `[async-lower]...`, takes its parameters and a result area by
    /// pointer where they do not fit flat, and returns the subtask state
    /// and handle.
    asynchronous: bool,
}

const COMPONENT_SNAPSHOTS: &[ComponentSnapshot] = &[
    ComponentSnapshot {
        dir: "wasi-0.2",
        world: "backend",
        output: "wasi_p2.rs",
        title: "WASI 0.2 imports of the wasm32-wasip2 backend",
        raw_imports: &[RawImports {
            interface: "wasi:io/poll",
            functions: &["poll", "[method]pollable.ready", "[method]pollable.block"],
            asynchronous: false,
        }],
    },
    ComponentSnapshot {
        dir: "wasi-0.3",
        world: "backend",
        output: "wasi_p3.rs",
        title: "WASI 0.3 imports and `run` export of the WASI 0.3 backend",
        // The calls the backend starts as subtasks and waits for in its
        // waitable set.
        raw_imports: &[
            RawImports {
                interface: "wasi:clocks/monotonic-clock",
                functions: &["wait-for"],
                asynchronous: true,
            },
            RawImports {
                interface: "wasi:sockets/types",
                functions: &[
                    "[method]tcp-socket.connect",
                    "[method]udp-socket.send",
                    "[method]udp-socket.receive",
                ],
                asynchronous: true,
            },
            RawImports {
                interface: "wasi:sockets/ip-name-lookup",
                functions: &["resolve-addresses"],
                asynchronous: true,
            },
        ],
    },
];

pub fn run() -> Result<()> {
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").context("CARGO_MANIFEST_DIR is not set")?,
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").context("OUT_DIR is not set")?);
    println!("cargo:rerun-if-changed=wit");
    println!("cargo:rerun-if-changed=build");

    let out_dir = out.join("generated");
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let rustfmt = Rustfmt::new(&out)?;

    for snapshot in COMPONENT_SNAPSHOTS {
        let text = component_bindings(&root, snapshot)
            .with_context(|| format!("generating bindings for wit/{}", snapshot.dir))?;
        write_if_changed(&out_dir.join(snapshot.output), &text)?;
    }

    for file in witx_gen::generate(&root.join("wit/preview1"))? {
        let body = rustfmt
            .format(&file.body)
            .with_context(|| format!("formatting {}", file.name))?;
        let text = format!("{}{body}", file.header);
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
    let reported = format!("// Generated by `wit-bindgen` {WIT_BINDGEN_VERSION}. ");
    if !body.starts_with(&reported) {
        let first = body.lines().next().unwrap_or_default();
        bail!(
            "build/generate.rs names wit-bindgen-rust {WIT_BINDGEN_VERSION}, but the generator \
             built for this build reports `{first}`: update WIT_BINDGEN_VERSION (and \
             WIT_PARSER_VERSION) with the Cargo.toml pins"
        );
    }
    let raw = raw_imports(&resolve, world, snapshot.raw_imports)?;

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
    text.push_str(&annotate_unsafe_blocks(&body));
    text.push_str(&raw);
    Ok(text)
}

/// Emits the `raw` module: bare import declarations for the functions listed
/// in `wanted`, one module per interface.
fn raw_imports(
    resolve: &Resolve,
    world: wit_parser::WorldId,
    wanted: &[RawImports],
) -> Result<String> {
    if wanted.is_empty() {
        return Ok(String::new());
    }
    let mut out = String::new();
    out.push_str("\n/// Bare imports of functions the backend calls without the generated\n");
    out.push_str(
        "/// wrappers above (which allocate, or cannot lower asynchronously); listed in\n",
    );
    out.push_str("/// build/generate.rs, names and signatures computed from the WIT.\n");
    out.push_str("#[rustfmt::skip]\npub mod raw {\n");
    // Module path (`wasi`, `sockets`, `types`) -> its declarations; emitted
    // as one tree so that interfaces of one package share their parents.
    let mut modules: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for group in wanted {
        let (key, id) = resolve.worlds[world]
            .imports
            .iter()
            .find_map(|(key, item)| match item {
                WorldItem::Interface { id, .. } => {
                    let name = resolve.name_world_key(key);
                    let bare = name.split('@').next().unwrap_or_default();
                    (bare == group.interface).then_some((key, *id))
                }
                _ => None,
            })
            .with_context(|| format!("the world does not import {}", group.interface))?;
        let interface = &resolve.interfaces[id];
        let path: Vec<String> = group.interface.split([':', '/']).map(rust_ident).collect();
        let mut body = String::new();
        let module_name = resolve.name_world_key(key);
        body.push_str(&format!("//! Raw imports of `{module_name}`.\n"));
        let mangling = ManglingAndAbi::Legacy(if group.asynchronous {
            LiftLowerAbi::AsyncCallback
        } else {
            LiftLowerAbi::Sync
        });
        for name in group.functions {
            let func = interface
                .functions
                .get(*name)
                .with_context(|| format!("{module_name} has no function `{name}`"))?;
            let (module, field) = resolve.wasm_import_name(
                mangling,
                WasmImport::Func {
                    interface: Some(key),
                    func,
                },
            );
            let sig = resolve.wasm_signature(mangling.import_variant(), func);
            let rust_name = rust_ident(field.rsplit(']').next().unwrap_or(&field));
            let params: Vec<String> = sig
                .params
                .iter()
                .enumerate()
                .map(|(i, ty)| format!("arg{i}: {}", wasm_type(*ty)))
                .collect();
            let result = match sig.results.as_slice() {
                [] => String::new(),
                [ty] => format!(" -> {}", wasm_type(*ty)),
                _ => bail!("{module_name}#{name} returns more than one core value"),
            };
            let params = params.join(", ");
            let mut notes = Vec::new();
            if sig.indirect_params {
                notes.push("the first argument points at the parameters");
            }
            if sig.retptr {
                notes.push("the last argument points at the return area");
            }
            if group.asynchronous {
                notes.push("returns the subtask state (low 4 bits) and handle");
            }
            let doc = format!(
                "/// `{name}` as the core-wasm import `{module}#{field}`{}.\n",
                notes.iter().map(|n| format!("; {n}")).collect::<String>()
            );
            body.push_str("#[cfg(target_arch = \"wasm32\")]\n");
            body.push_str(&format!("#[link(wasm_import_module = \"{module}\")]\n"));
            body.push_str("extern \"C\" {\n");
            body.push_str(&format!("    {doc}"));
            body.push_str(&format!("    #[link_name = \"{field}\"]\n"));
            body.push_str(&format!("    pub fn {rust_name}({params}){result};\n"));
            body.push_str("}\n");
            body.push_str(&doc);
            body.push_str("#[cfg(not(target_arch = \"wasm32\"))]\n");
            let ignored: Vec<String> = sig
                .params
                .iter()
                .map(|ty| format!("_: {}", wasm_type(*ty)))
                .collect();
            body.push_str(&format!(
                "pub unsafe extern \"C\" fn {rust_name}({}){result} {{\n",
                ignored.join(", ")
            ));
            body.push_str(&format!(
                "    unreachable!(\"{module} exists only on wasm32\")\n}}\n"
            ));
        }
        if modules.insert(path, body).is_some() {
            bail!("{} is listed twice", group.interface);
        }
    }
    let mut open: Vec<String> = Vec::new();
    for (path, body) in &modules {
        let common = open.iter().zip(path).take_while(|(a, b)| a == b).count();
        for _ in common..open.len() {
            out.push_str("}\n");
        }
        open.truncate(common);
        for segment in &path[common..] {
            out.push_str(&format!("pub mod {segment} {{\n"));
            open.push(segment.clone());
        }
        out.push_str(body);
    }
    for _ in &open {
        out.push_str("}\n");
    }
    out.push_str("}\n");
    Ok(out)
}

/// A WIT name as a Rust identifier (`pollable.ready` -> `pollable_ready`).
fn rust_ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The Rust type of a core-wasm value on wasm32.
fn wasm_type(ty: WasmType) -> &'static str {
    match ty {
        WasmType::I32 => "i32",
        WasmType::I64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
        WasmType::Pointer => "*mut u8",
        WasmType::PointerOrI64 => "::core::mem::MaybeUninit<u64>",
        WasmType::Length => "usize",
    }
}

/// Writes the common header of every generated file.
pub fn push_header(out: &mut String, title: &str, lines: &[String]) {
    out.push_str("// @generated by build/generate.rs -- do not edit by hand.\n");
    out.push_str(&format!("// {title}.\n"));
    out.push_str("//\n");
    for line in lines {
        out.push_str(&format!("// {line}\n"));
    }
    out.push_str(&format!("// Regenerate: {REGENERATE}\n"));
    out.push_str(&format!("// Check: {REGENERATE} --check\n"));
    out.push_str("// Included with `include!` by `generated_bindings!` (src/macros.rs).\n\n");
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

/// Runs `rustfmt` on generated text with a fixed configuration, ignoring any
/// `rustfmt.toml` of the checkout, so the result depends only on the input and
/// the (stable, edition-2021 style) formatting rules.
struct Rustfmt {
    program: PathBuf,
    config: PathBuf,
}

impl Rustfmt {
    fn new(out: &Path) -> Result<Rustfmt> {
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
