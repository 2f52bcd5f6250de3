//! WITX to Rust emitter for the preview-1 bindings.
//!
//! For each selected function it emits
//!
//! - a raw import in `mod raw`: `#[link(wasm_import_module = ...)]`, with the
//!   exact core-wasm signature (`i32`/`i64` only) that witx's ABI rules give;
//! - a typed `unsafe fn` wrapper that converts the arguments, passes
//!   out-pointers for the results and returns `Result<T, Errno>`;
//!
//! and for every type those functions reach, a Rust definition with the
//! preview-1 memory layout: aliases for integers and handles, `#[repr(transparent)]`
//! newtypes with associated constants for enums and flags, `#[repr(C)]` structs
//! for records, and a tag plus `#[repr(C)]` union for unions. Each struct's
//! size, alignment and field offsets are checked against witx's layout by
//! `const` assertions, so a wrong layout does not compile.
//!
//! The text is formatted afterwards by `rustfmt` (see generate.rs), so this
//! file only has to produce valid Rust.

use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;
use witx::{
    BuiltinType, Document, IntRepr, Layout, NamedType, RecordKind, Type, TypeRef, WasmType,
};

/// The standard preview-1 functions the `poll_oneoff` backend calls, in the
/// order they are emitted.
const PREVIEW1_FUNCS: &[&str] = &[
    "poll_oneoff",
    "clock_time_get",
    "fd_close",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_read",
    "fd_write",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// Module name the preview-1 file is included under; the extension file
/// imports the standard types it shares from `super::<this>`.
const PREVIEW1_MODULE: &str = "wasi_p1";

pub struct GeneratedFile {
    pub name: &'static str,
    /// Comment header, kept out of formatting.
    pub header: String,
    /// Rust code, to be formatted.
    pub body: String,
}

pub fn generate(dir: &Path) -> Result<Vec<GeneratedFile>> {
    let load = |file: &str| -> Result<Document> {
        let path = dir.join(file);
        witx::load(&[&path]).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.report()))
    };
    let standard = load("wasi_snapshot_preview1.witx")?;
    let extension = load("wasmedge_sock.witx")?;
    let typenames = load("typenames.witx")?;
    let standard_names: BTreeSet<String> = typenames
        .typenames()
        .map(|t| t.name.as_str().to_string())
        .collect();

    let std_module = single_module(&standard)?;
    let ext_module = single_module(&extension)?;

    let mut std_funcs = Vec::new();
    for name in PREVIEW1_FUNCS {
        let func = std_module
            .func(&witx::Id::new(name))
            .with_context(|| format!("wasi_snapshot_preview1.witx has no function `{name}`"))?;
        std_funcs.push(func);
    }
    let ext_funcs: Vec<_> = ext_module.funcs().collect();

    // Types: the preview-1 file defines every standard type either file
    // needs; the extension file defines only its own.
    let mut std_types = BTreeSet::new();
    for f in &std_funcs {
        reach_func(f, &mut std_types);
    }
    let mut ext_reach = BTreeSet::new();
    for f in &ext_funcs {
        reach_func(f, &mut ext_reach);
    }
    let mut ext_types = BTreeSet::new();
    for name in ext_reach {
        if standard_names.contains(&name) {
            std_types.insert(name);
        } else {
            ext_types.insert(name);
        }
    }

    let p1_title = "WASI preview 1 (`wasi_snapshot_preview1`): the functions and types of the poll_oneoff backend";
    let p1 = Emitter::new(None).file(
        p1_title,
        &[
            "Interface: wit/preview1/typenames.witx and wit/preview1/wasi_snapshot_preview1.witx,"
                .to_string(),
            format!(
                "vendored from {}.",
                crate::generate::snapshot_field(dir, "source-package")?
            ),
            format!("Functions: {}.", PREVIEW1_FUNCS.join(", ")),
            format!(
                "Generator: build/witx_gen.rs with witx {}.",
                super::WITX_VERSION
            ),
        ],
        &standard,
        &std_types,
        &std_funcs,
        std_module.name.as_str(),
    )?;
    let ext = Emitter::new(Some(&standard_names)).file(
        "WasmEdge socket extension to WASI preview 1 (not available on other hosts)",
        &[
            "Interface: wit/preview1/wasmedge_sock.witx (this crate's own description of the"
                .to_string(),
            "WasmEdge host ABI); standard types come from the sibling `wasi_p1` module."
                .to_string(),
            format!(
                "Generator: build/witx_gen.rs with witx {}.",
                super::WITX_VERSION
            ),
        ],
        &extension,
        &ext_types,
        &ext_funcs,
        ext_module.name.as_str(),
    )?;
    Ok(vec![
        GeneratedFile {
            name: "wasi_p1.rs",
            header: p1.0,
            body: p1.1,
        },
        GeneratedFile {
            name: "wasmedge_sock.rs",
            header: ext.0,
            body: ext.1,
        },
    ])
}

fn single_module(doc: &Document) -> Result<Rc<witx::Module>> {
    let mut modules = doc.modules();
    let module = modules.next().context("WITX document declares no module")?;
    if modules.next().is_some() {
        bail!("WITX document declares more than one module");
    }
    Ok(module)
}

fn reach_func(func: &witx::InterfaceFunc, out: &mut BTreeSet<String>) {
    for p in func.params.iter().chain(func.results.iter()) {
        reach(&p.tref, out);
    }
}

/// Collects the names of every named type `tref` mentions, transitively.
fn reach(tref: &TypeRef, out: &mut BTreeSet<String>) {
    match tref {
        TypeRef::Name(named) => {
            if out.insert(named.name.as_str().to_string()) {
                reach(&named.tref, out);
            }
        }
        TypeRef::Value(ty) => match &**ty {
            Type::Record(r) => r.members.iter().for_each(|m| reach(&m.tref, out)),
            Type::Variant(v) => v
                .cases
                .iter()
                .filter_map(|c| c.tref.as_ref())
                .for_each(|t| reach(t, out)),
            Type::List(t) | Type::Pointer(t) | Type::ConstPointer(t) => reach(t, out),
            Type::Handle(_) | Type::Builtin(_) => {}
        },
    }
}

/// Rust identifier for a witx type name: `subscription_fd_readwrite` becomes
/// `SubscriptionFdReadwrite`.
fn type_ident(name: &str) -> String {
    let mut out = String::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// Rust identifier for an enum case or flag: `2big` becomes `_2BIG`.
fn const_ident(name: &str) -> String {
    let upper = name.to_uppercase();
    if upper.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{upper}")
    } else {
        upper
    }
}

/// Rust identifier for a field, parameter or function.
fn value_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

fn int_repr(repr: IntRepr) -> &'static str {
    match repr {
        IntRepr::U8 => "u8",
        IntRepr::U16 => "u16",
        IntRepr::U32 => "u32",
        IntRepr::U64 => "u64",
    }
}

fn builtin(b: BuiltinType) -> &'static str {
    match b {
        BuiltinType::Char => "char",
        BuiltinType::U8 { .. } => "u8",
        BuiltinType::U16 => "u16",
        BuiltinType::U32 { .. } => "u32",
        BuiltinType::U64 => "u64",
        BuiltinType::S8 => "i8",
        BuiltinType::S16 => "i16",
        BuiltinType::S32 => "i32",
        BuiltinType::S64 => "i64",
        BuiltinType::F32 => "f32",
        BuiltinType::F64 => "f64",
    }
}

fn wasm_type(t: WasmType) -> &'static str {
    match t {
        WasmType::I32 => "i32",
        WasmType::I64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
    }
}

fn push_docs(out: &mut String, docs: &str) {
    for line in docs.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str("///\n");
        } else {
            let _ = writeln!(out, "/// {line}");
        }
    }
}

/// The argument a parameter becomes at the core-wasm level.
enum Lowered {
    /// One value; the string is the Rust expression.
    One(String),
    /// A list: pointer and length.
    PtrLen(String),
}

struct Emitter<'a> {
    /// In the extension file: the names defined by the standard file, which
    /// are imported instead of defined.
    imported: Option<&'a BTreeSet<String>>,
    /// Standard names the extension file refers to.
    used_imports: std::cell::RefCell<BTreeSet<String>>,
}

impl<'a> Emitter<'a> {
    fn new(imported: Option<&'a BTreeSet<String>>) -> Emitter<'a> {
        Emitter {
            imported,
            used_imports: Default::default(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn file(
        &self,
        title: &str,
        header: &[String],
        doc: &Document,
        types: &BTreeSet<String>,
        funcs: &[Rc<witx::InterfaceFunc>],
        import_module: &str,
    ) -> Result<(String, String)> {
        let mut body = String::new();
        for named in doc.typenames() {
            if types.contains(named.name.as_str()) {
                self.typedef(&mut body, &named)?;
            }
        }

        body.push_str("/// Raw imports with their exact core-wasm signatures.\n");
        body.push_str("pub mod raw {\n");
        let _ = writeln!(body, "#[link(wasm_import_module = \"{import_module}\")]");
        body.push_str("extern \"C\" {\n");
        for func in funcs {
            self.raw_import(&mut body, func)?;
        }
        body.push_str("}\n}\n\n");

        for func in funcs {
            self.wrapper(&mut body, func)?;
        }

        let mut head = String::new();
        crate::generate::push_header(&mut head, title, header);
        let mut text = String::new();
        text.push_str("use core::fmt;\nuse core::mem::MaybeUninit;\n");
        let used = self.used_imports.borrow();
        if !used.is_empty() {
            let list: Vec<String> = used.iter().map(|n| type_ident(n)).collect();
            let _ = writeln!(
                text,
                "use super::{PREVIEW1_MODULE}::{{{}}};",
                list.join(", ")
            );
        }
        text.push('\n');
        text.push_str(&body);
        Ok((head, text))
    }

    /// Name of a named type in Rust, noting imports.
    fn named(&self, named: &NamedType) -> String {
        if let Some(imported) = self.imported {
            if imported.contains(named.name.as_str()) {
                self.used_imports
                    .borrow_mut()
                    .insert(named.name.as_str().to_string());
            }
        }
        type_ident(named.name.as_str())
    }

    /// Rust type of a value stored in memory (field, result, pointee).
    fn rust_type(&self, tref: &TypeRef) -> Result<String> {
        match tref {
            TypeRef::Name(named) => {
                if let Type::List(_) = &**named.type_() {
                    bail!(
                        "list type `{}` cannot be stored in memory here",
                        named.name.as_str()
                    );
                }
                Ok(self.named(named))
            }
            TypeRef::Value(ty) => match &**ty {
                Type::Builtin(b) => Ok(builtin(*b).to_string()),
                Type::Pointer(t) => Ok(format!("*mut {}", self.rust_type(t)?)),
                Type::ConstPointer(t) => Ok(format!("*const {}", self.rust_type(t)?)),
                Type::Handle(_) => Ok("u32".to_string()),
                other => bail!("anonymous {} types are not supported", other.kind()),
            },
        }
    }

    /// Whether `#[derive(Debug)]` works for a type (unions do not).
    fn debuggable(tref: &TypeRef) -> bool {
        match &**tref.type_() {
            Type::Variant(v) => v.is_enum(),
            Type::Record(r) => {
                r.bitflags_repr().is_some() || r.members.iter().all(|m| Self::debuggable(&m.tref))
            }
            _ => true,
        }
    }

    fn typedef(&self, out: &mut String, named: &NamedType) -> Result<()> {
        let ident = type_ident(named.name.as_str());
        match &named.tref {
            TypeRef::Name(other) => {
                push_docs(out, &named.docs);
                let _ = writeln!(out, "pub type {ident} = {};\n", self.named(other));
                return Ok(());
            }
            TypeRef::Value(_) => {}
        }
        match &**named.type_() {
            Type::Builtin(b) => {
                push_docs(out, &named.docs);
                let _ = writeln!(out, "pub type {ident} = {};\n", builtin(*b));
            }
            Type::Handle(_) => {
                push_docs(out, &named.docs);
                let _ = writeln!(out, "pub type {ident} = u32;\n");
            }
            // Lists are only parameters; wrappers take them as slices.
            Type::List(_) => {}
            Type::Pointer(_) | Type::ConstPointer(_) => {
                push_docs(out, &named.docs);
                let _ = writeln!(
                    out,
                    "pub type {ident} = {};\n",
                    self.rust_type(&named.tref)?
                );
            }
            Type::Variant(v) if v.is_enum() => {
                self.enum_def(out, named, &ident, v)?;
            }
            Type::Variant(v) => {
                self.union_def(out, named, &ident, v)?;
            }
            Type::Record(r) => match r.kind {
                RecordKind::Bitflags(repr) => self.flags_def(out, named, &ident, r, repr)?,
                RecordKind::Tuple | RecordKind::Other => {
                    push_docs(out, &named.docs);
                    out.push_str("#[repr(C)]\n");
                    if Self::debuggable(&named.tref) {
                        out.push_str("#[derive(Copy, Clone, Debug)]\n");
                    } else {
                        out.push_str("#[derive(Copy, Clone)]\n");
                    }
                    let _ = writeln!(out, "pub struct {ident} {{");
                    for m in &r.members {
                        push_docs(out, &m.docs);
                        let _ = writeln!(
                            out,
                            "pub {}: {},",
                            value_ident(m.name.as_str()),
                            self.rust_type(&m.tref)?
                        );
                    }
                    out.push_str("}\n");
                    let mut checks = Vec::new();
                    for layout in r.member_layout() {
                        checks.push(format!(
                            "core::mem::offset_of!({ident}, {}) == {}",
                            value_ident(layout.member.name.as_str()),
                            layout.offset
                        ));
                    }
                    layout_asserts(out, named, &ident, &checks);
                }
            },
        }
        Ok(())
    }

    fn enum_def(
        &self,
        out: &mut String,
        named: &NamedType,
        ident: &str,
        v: &witx::Variant,
    ) -> Result<()> {
        let repr = int_repr(v.tag_repr);
        push_docs(out, &named.docs);
        out.push_str("///\n/// A newtype over the raw value, so values the host adds later stay representable.\n");
        out.push_str(
            "#[repr(transparent)]\n#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]\n",
        );
        let _ = writeln!(out, "pub struct {ident}(pub {repr});\n");
        let _ = writeln!(out, "impl {ident} {{");
        for (i, case) in v.cases.iter().enumerate() {
            push_docs(out, &case.docs);
            let _ = writeln!(
                out,
                "pub const {}: {ident} = {ident}({i});",
                const_ident(case.name.as_str())
            );
        }
        out.push_str("\n/// The name of a known value, `None` for any other.\n");
        out.push_str("pub const fn name(self) -> Option<&'static str> {\nmatch self.0 {\n");
        for (i, case) in v.cases.iter().enumerate() {
            let _ = writeln!(out, "{i} => Some(\"{}\"),", const_ident(case.name.as_str()));
        }
        out.push_str("_ => None,\n}\n}\n}\n\n");
        let _ = writeln!(out, "impl fmt::Debug for {ident} {{");
        out.push_str("fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n");
        out.push_str("match self.name() {\n");
        let _ = writeln!(out, "Some(name) => write!(f, \"{ident}::{{name}}\"),");
        let _ = writeln!(out, "None => write!(f, \"{ident}({{}})\", self.0),");
        out.push_str("}\n}\n}\n");
        layout_asserts(out, named, ident, &[]);
        Ok(())
    }

    fn flags_def(
        &self,
        out: &mut String,
        named: &NamedType,
        ident: &str,
        r: &witx::RecordDatatype,
        repr: IntRepr,
    ) -> Result<()> {
        let repr = int_repr(repr);
        push_docs(out, &named.docs);
        out.push_str(
            "#[repr(transparent)]\n#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]\n",
        );
        let _ = writeln!(out, "pub struct {ident}(pub {repr});\n");
        let _ = writeln!(out, "impl {ident} {{");
        for (i, m) in r.members.iter().enumerate() {
            push_docs(out, &m.docs);
            let _ = writeln!(
                out,
                "pub const {}: {ident} = {ident}(1 << {i});",
                const_ident(m.name.as_str())
            );
        }
        out.push_str("\n/// Every named flag, with its name.\n");
        let _ = writeln!(
            out,
            "pub const NAMED: &'static [(&'static str, {ident})] = &["
        );
        for m in &r.members {
            let c = const_ident(m.name.as_str());
            let _ = writeln!(out, "(\"{c}\", {ident}::{c}),");
        }
        out.push_str("];\n");
        out.push_str("\n/// No flag set.\n");
        let _ = writeln!(out, "pub const fn empty() -> {ident} {{ {ident}(0) }}");
        out.push_str("\n/// Whether every flag of `other` is set in `self`.\n");
        let _ = writeln!(
            out,
            "pub const fn contains(self, other: {ident}) -> bool {{ self.0 & other.0 == other.0 }}"
        );
        out.push_str("\n/// Whether any flag of `other` is set in `self`.\n");
        let _ = writeln!(
            out,
            "pub const fn intersects(self, other: {ident}) -> bool {{ self.0 & other.0 != 0 }}"
        );
        out.push_str("}\n\n");
        for (trait_, method, op) in [("BitOr", "bitor", "|"), ("BitAnd", "bitand", "&")] {
            let _ = writeln!(
                out,
                "impl core::ops::{trait_} for {ident} {{ type Output = {ident}; \
                 fn {method}(self, rhs: {ident}) -> {ident} {{ {ident}(self.0 {op} rhs.0) }} }}\n"
            );
        }
        let _ = writeln!(
            out,
            "impl core::ops::BitOrAssign for {ident} {{ fn bitor_assign(&mut self, rhs: {ident}) {{ self.0 |= rhs.0; }} }}\n"
        );
        let _ = writeln!(out, "impl fmt::Debug for {ident} {{");
        out.push_str("fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n");
        let _ = writeln!(out, "f.write_str(\"{ident}(\")?;");
        out.push_str("let mut rest = self.0;\nlet mut separator = \"\";\n");
        out.push_str("for (name, flag) in Self::NAMED {\n");
        out.push_str("if self.contains(*flag) {\nwrite!(f, \"{separator}{name}\")?;\nseparator = \" | \";\nrest &= !flag.0;\n}\n}\n");
        out.push_str("if rest != 0 {\nwrite!(f, \"{separator}{rest:#x}\")?;\n}\n");
        out.push_str("f.write_str(\")\")\n}\n}\n");
        layout_asserts(out, named, ident, &[]);
        Ok(())
    }

    fn union_def(
        &self,
        out: &mut String,
        named: &NamedType,
        ident: &str,
        v: &witx::Variant,
    ) -> Result<()> {
        let tag = int_repr(v.tag_repr);
        let payload = format!("{ident}Payload");
        push_docs(out, &named.docs);
        out.push_str("///\n/// `tag` is the index of the case; `u` holds that case's payload.\n");
        out.push_str("#[repr(C)]\n#[derive(Copy, Clone)]\n");
        let _ = writeln!(
            out,
            "pub struct {ident} {{\npub tag: {tag},\npub u: {payload},\n}}\n"
        );
        let _ = writeln!(
            out,
            "/// The payload of [`{ident}`], selected by its `tag`."
        );
        out.push_str("#[repr(C)]\n#[derive(Copy, Clone)]\n");
        let _ = writeln!(out, "pub union {payload} {{");
        let mut has_payload = false;
        for case in &v.cases {
            if let Some(t) = &case.tref {
                has_payload = true;
                push_docs(out, &case.docs);
                let _ = writeln!(
                    out,
                    "pub {}: {},",
                    value_ident(case.name.as_str()),
                    self.rust_type(t)?
                );
            }
        }
        if !has_payload {
            bail!("union `{}` has no payload", named.name.as_str());
        }
        out.push_str("}\n\n");
        let _ = writeln!(out, "impl {ident} {{");
        for (i, case) in v.cases.iter().enumerate() {
            let field = value_ident(case.name.as_str());
            let const_name = const_ident(case.name.as_str());
            let _ = writeln!(out, "/// Tag of the `{}` case.", case.name.as_str());
            let _ = writeln!(out, "pub const {const_name}: {tag} = {i};");
            if let Some(t) = &case.tref {
                let _ = writeln!(out, "/// The `{}` case.", case.name.as_str());
                let _ = writeln!(
                    out,
                    "pub const fn {field}(payload: {}) -> {ident} {{ {ident} {{ tag: {i}, u: {payload} {{ {field}: payload }} }} }}",
                    self.rust_type(t)?
                );
            }
        }
        out.push_str("}\n");
        let checks = vec![format!(
            "core::mem::offset_of!({ident}, u) == {}",
            v.payload_offset()
        )];
        layout_asserts(out, named, ident, &checks);
        Ok(())
    }

    /// Parameter: Rust type in the wrapper, and how it lowers.
    fn param(&self, name: &str, tref: &TypeRef) -> Result<(String, Lowered)> {
        let ty = tref.type_();
        if let Type::List(elem) = &**ty {
            let is_string = matches!(&**elem.type_(), Type::Builtin(BuiltinType::Char));
            let rust = if is_string {
                "&str".to_string()
            } else {
                format!("&[{}]", self.rust_type(elem)?)
            };
            return Ok((rust, Lowered::PtrLen(name.to_string())));
        }
        let rust = self.rust_type(tref)?;
        let lowered = match &**ty {
            Type::Builtin(BuiltinType::U64 | BuiltinType::S64) => format!("{name} as i64"),
            Type::Builtin(BuiltinType::F32 | BuiltinType::F64) => {
                bail!("float parameters are not supported")
            }
            Type::Builtin(_) | Type::Handle(_) => format!("{name} as i32"),
            Type::Pointer(_) | Type::ConstPointer(_) => format!("{name} as usize as i32"),
            Type::Variant(v) if v.is_enum() => format!("{name}.0 as i32"),
            Type::Record(r) => match r.bitflags_repr() {
                Some(IntRepr::U64) => format!("{name}.0 as i64"),
                Some(_) => format!("{name}.0 as i32"),
                None => bail!("record parameters are not supported"),
            },
            other => bail!("{} parameters are not supported", other.kind()),
        };
        Ok((rust, Lowered::One(lowered)))
    }

    /// The values of `(expected T (error $errno))`: one per out-pointer.
    fn results(&self, func: &witx::InterfaceFunc) -> Result<Vec<String>> {
        let name = func.name.as_str();
        if func.noreturn {
            bail!("`{name}`: noreturn functions are not supported");
        }
        let [result] = func.results.as_slice() else {
            bail!("`{name}` must have exactly one result");
        };
        let Type::Variant(v) = &**result.tref.type_() else {
            bail!("`{name}`: result is not `expected`");
        };
        let Some((ok, err)) = v.as_expected() else {
            bail!("`{name}`: result is not `expected`");
        };
        match err {
            Some(TypeRef::Name(e)) if e.name.as_str() == "errno" => {}
            _ => bail!("`{name}`: error type must be `$errno`"),
        }
        let Some(ok) = ok else { return Ok(Vec::new()) };
        match &**ok.type_() {
            Type::Record(r) if r.is_tuple() => {
                r.members.iter().map(|m| self.rust_type(&m.tref)).collect()
            }
            _ => Ok(vec![self.rust_type(ok)?]),
        }
    }

    fn core_params(&self, func: &witx::InterfaceFunc) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for p in &func.params {
            let n = value_ident(p.name.as_str());
            match self.param(&n, &p.tref)?.1 {
                Lowered::One(_) => names.push(n),
                Lowered::PtrLen(_) => {
                    names.push(format!("{n}_ptr"));
                    names.push(format!("{n}_len"));
                }
            }
        }
        for i in 0..self.results(func)?.len() {
            names.push(format!("result{i}_ptr"));
        }
        Ok(names)
    }

    fn raw_import(&self, out: &mut String, func: &witx::InterfaceFunc) -> Result<()> {
        let name = func.name.as_str();
        let (params, results) = func.wasm_signature();
        let names = self.core_params(func)?;
        if names.len() != params.len() {
            bail!(
                "`{name}`: {} core parameters expected, {} derived",
                params.len(),
                names.len()
            );
        }
        let args: Vec<String> = names
            .iter()
            .zip(&params)
            .map(|(n, t)| format!("{n}: {}", wasm_type(*t)))
            .collect();
        let ret = match results.as_slice() {
            [] => String::new(),
            [one] => format!(" -> {}", wasm_type(*one)),
            _ => bail!("`{name}`: more than one core result"),
        };
        let _ = writeln!(out, "/// Core-wasm import `{name}`.");
        let _ = writeln!(
            out,
            "pub fn {}({}){ret};",
            value_ident(name),
            args.join(", ")
        );
        Ok(())
    }

    fn wrapper(&self, out: &mut String, func: &witx::InterfaceFunc) -> Result<()> {
        let name = func.name.as_str();
        let fn_ident = value_ident(name);
        let results = self.results(func)?;

        push_docs(out, &func.docs);
        let documented: Vec<_> = func
            .params
            .iter()
            .filter(|p| !p.docs.trim().is_empty())
            .collect();
        if !documented.is_empty() {
            out.push_str("///\n/// Parameters:\n");
            for p in documented {
                let text = p.docs.split_whitespace().collect::<Vec<_>>().join(" ");
                let _ = writeln!(out, "/// - `{}`: {text}", value_ident(p.name.as_str()));
            }
        }
        let result_docs = func.results[0]
            .docs
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !result_docs.is_empty() && !results.is_empty() {
            let _ = writeln!(out, "///\n/// Returns: {result_docs}");
        }
        out.push_str("///\n/// # Safety\n///\n");
        out.push_str(
            "/// Every pointer, including those inside records and slices, must be valid for\n\
             /// the reads and writes the host makes through it for the duration of the call,\n\
             /// and every file descriptor must be one the caller may use this way.\n",
        );

        let mut sig = Vec::new();
        let mut args = Vec::new();
        for p in &func.params {
            let n = value_ident(p.name.as_str());
            let (rust, lowered) = self.param(&n, &p.tref)?;
            sig.push(format!("{n}: {rust}"));
            match lowered {
                Lowered::One(e) => args.push(e),
                Lowered::PtrLen(n) => {
                    args.push(format!("{n}.as_ptr() as usize as i32"));
                    args.push(format!("{n}.len() as i32"));
                }
            }
        }
        let ok = match results.len() {
            0 => "()".to_string(),
            1 => results[0].clone(),
            _ => format!("({})", results.join(", ")),
        };
        let errno = self.errno_ident(func)?;
        let _ = writeln!(
            out,
            "pub unsafe fn {fn_ident}({}) -> Result<{ok}, {errno}> {{",
            sig.join(", ")
        );
        for (i, ty) in results.iter().enumerate() {
            let _ = writeln!(out, "let mut result{i} = MaybeUninit::<{ty}>::uninit();");
            args.push(format!("result{i}.as_mut_ptr() as usize as i32"));
        }
        if results.is_empty() {
            out.push_str(
                "// SAFETY: the caller upholds this function's contract, and every argument\n",
            );
            out.push_str("// is the core-wasm form the import's signature expects.\n");
        } else {
            out.push_str(
                "// SAFETY: the caller upholds this function's contract, every argument is\n",
            );
            out.push_str("// the core-wasm form the import's signature expects, and the result\n");
            out.push_str("// pointers point at writable `MaybeUninit`s of the result types.\n");
        }
        let _ = writeln!(
            out,
            "let errno = unsafe {{ raw::{fn_ident}({}) }};",
            args.join(", ")
        );
        let _ = writeln!(
            out,
            "if errno != 0 {{\nreturn Err({errno}(errno as u16));\n}}"
        );
        match results.len() {
            0 => out.push_str("Ok(())\n"),
            n => {
                out.push_str("// SAFETY: on success the host has written every result.\n");
                let values: Vec<String> =
                    (0..n).map(|i| format!("result{i}.assume_init()")).collect();
                if n == 1 {
                    let _ = writeln!(out, "Ok(unsafe {{ {} }})", values[0]);
                } else {
                    let _ = writeln!(out, "Ok(unsafe {{ ({}) }})", values.join(", "));
                }
            }
        }
        out.push_str("}\n\n");
        Ok(())
    }

    fn errno_ident(&self, func: &witx::InterfaceFunc) -> Result<String> {
        let Type::Variant(v) = &**func.results[0].tref.type_() else {
            bail!("`{}`: result is not `expected`", func.name.as_str());
        };
        match v.as_expected() {
            Some((_, Some(TypeRef::Name(e)))) => {
                let Type::Variant(ev) = &**e.type_() else {
                    bail!("`$errno` is not an enum")
                };
                if ev.tag_repr != IntRepr::U16 {
                    bail!("`$errno` is expected to be a u16 enum");
                }
                Ok(self.named(e))
            }
            _ => bail!("`{}`: error type must be `$errno`", func.name.as_str()),
        }
    }
}

/// Whether a type's layout depends on the pointer width.
fn has_pointer(tref: &TypeRef) -> bool {
    match &**tref.type_() {
        Type::Pointer(_) | Type::ConstPointer(_) | Type::List(_) => true,
        Type::Record(r) => r.members.iter().any(|m| has_pointer(&m.tref)),
        Type::Variant(v) => v
            .cases
            .iter()
            .filter_map(|c| c.tref.as_ref())
            .any(has_pointer),
        Type::Handle(_) | Type::Builtin(_) => false,
    }
}

/// Emits the layout checks. Types holding pointers only have the witx layout
/// on 32-bit targets, so their checks apply there alone.
fn layout_asserts(out: &mut String, named: &NamedType, ident: &str, extra: &[String]) {
    let sa = named.mem_size_align();
    if has_pointer(&named.tref) {
        out.push_str("\n#[cfg(target_pointer_width = \"32\")]");
    }
    let _ = writeln!(out, "\nconst _: () = {{");
    let _ = writeln!(
        out,
        "assert!(core::mem::size_of::<{ident}>() == {});",
        sa.size
    );
    let _ = writeln!(
        out,
        "assert!(core::mem::align_of::<{ident}>() == {});",
        sa.align
    );
    for check in extra {
        let _ = writeln!(out, "assert!({check});");
    }
    out.push_str("};\n\n");
}
