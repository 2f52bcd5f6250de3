//! Checks the `wasi_snapshot_preview1` imports of wasm modules against the
//! WITX under `wit/preview1/`.
//!
//! Every function a module imports from `wasi_snapshot_preview1` must be
//! declared in `wasi_snapshot_preview1.witx` or (when WasmEdge imports are
//! allowed) in `wasmedge_sock.witx`, with exactly the core-wasm parameter
//! and result types the declaration lowers to. A build without the
//! `wasmedge` feature may import nothing that only WasmEdge provides.
//!
//! The expected signatures come from the `witx` crate's model and its
//! preview-1 lowering (`InterfaceFunc::wasm_signature`), the same ones the
//! binding generator (`build/witx_gen.rs`) writes the raw imports from;
//! `wasmparser` reads the modules.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use wasmparser::{Parser, Payload, TypeRef, ValType};

use crate::harness::{Context, Fallible};

/// The import module of WASI preview 1 (WasmEdge's sockets use it too).
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A core-wasm value type as imports use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Core {
    I32,
    I64,
    F32,
    F64,
    /// Anything else (v128, references): never right for a WASI import.
    Other,
}

impl fmt::Display for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Core::I32 => "i32",
            Core::I64 => "i64",
            Core::F32 => "f32",
            Core::F64 => "f64",
            Core::Other => "other",
        })
    }
}

impl From<witx::WasmType> for Core {
    fn from(t: witx::WasmType) -> Core {
        match t {
            witx::WasmType::I32 => Core::I32,
            witx::WasmType::I64 => Core::I64,
            witx::WasmType::F32 => Core::F32,
            witx::WasmType::F64 => Core::F64,
        }
    }
}

impl From<ValType> for Core {
    fn from(t: ValType) -> Core {
        match t {
            ValType::I32 => Core::I32,
            ValType::I64 => Core::I64,
            ValType::F32 => Core::F32,
            ValType::F64 => Core::F64,
            _ => Core::Other,
        }
    }
}

/// A core function type: parameters and results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub params: Vec<Core>,
    pub results: Vec<Core>,
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[Core]| v.iter().map(Core::to_string).collect::<Vec<_>>().join(", ");
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// One function import of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncImport {
    pub module: String,
    pub name: String,
    pub sig: Signature,
}

/// The signatures the WITX declares: the standard functions and WasmEdge's.
pub struct Expected {
    pub standard: BTreeMap<String, Signature>,
    pub wasmedge: BTreeMap<String, Signature>,
}

impl Expected {
    /// Reads `wasi_snapshot_preview1.witx` and `wasmedge_sock.witx` from
    /// `dir` (normally `wit/preview1`).
    pub fn load(dir: &Path) -> Fallible<Expected> {
        Ok(Expected {
            standard: witx_signatures(&dir.join("wasi_snapshot_preview1.witx"))?,
            wasmedge: witx_signatures(&dir.join("wasmedge_sock.witx"))?,
        })
    }

    /// The problems of a module's imports (none: it passes); with
    /// `allow_wasmedge` false, WasmEdge-only imports are problems too.
    pub fn problems(&self, imports: &[FuncImport], allow_wasmedge: bool) -> Vec<String> {
        let mut problems = Vec::new();
        for import in imports.iter().filter(|i| i.module == MODULE) {
            let name = &import.name;
            let want = if let Some(sig) = self.standard.get(name) {
                sig
            } else if let Some(sig) = self.wasmedge.get(name) {
                if !allow_wasmedge {
                    problems.push(format!(
                        "imports WasmEdge-only `{name}` in a build without `wasmedge`"
                    ));
                    continue;
                }
                sig
            } else {
                problems.push(format!("imports `{name}`, which no WITX declares"));
                continue;
            };
            if import.sig != *want {
                problems.push(format!("`{name}` is {}, WITX says {want}", import.sig));
            }
        }
        problems
    }

    /// Checks the module at `path`: `Ok(number of preview-1 imports)`, or
    /// every problem, one per line.
    pub fn check_file(&self, path: &Path, allow_wasmedge: bool) -> Fallible<usize> {
        let bytes = std::fs::read(path).context(format!("reading {}", path.display()))?;
        let imports = func_imports(&bytes).context(path.display())?;
        let problems = self.problems(&imports, allow_wasmedge);
        if problems.is_empty() {
            Ok(imports.iter().filter(|i| i.module == MODULE).count())
        } else {
            Err(problems.join("\n"))
        }
    }
}

/// Name → core signature of every function of the (single) module a WITX
/// file declares, with the preview-1 lowering.
fn witx_signatures(path: &Path) -> Fallible<BTreeMap<String, Signature>> {
    let doc = witx::load(&[path]).map_err(|e| format!("{}: {}", path.display(), e.report()))?;
    let mut sigs = BTreeMap::new();
    for module in doc.modules() {
        for func in module.funcs() {
            let (params, results) = func.wasm_signature();
            sigs.insert(
                func.name.as_str().to_string(),
                Signature {
                    params: params.into_iter().map(Core::from).collect(),
                    results: results.into_iter().map(Core::from).collect(),
                },
            );
        }
    }
    if sigs.is_empty() {
        return Err(format!("{}: declares no function", path.display()));
    }
    Ok(sigs)
}

/// The function imports of a core wasm module, with their types.
pub fn func_imports(bytes: &[u8]) -> Fallible<Vec<FuncImport>> {
    let mut types: Vec<Option<Signature>> = Vec::new();
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.context("not a readable wasm module")? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.context("type section")?.into_types() {
                        types.push(match sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => Some(Signature {
                                params: f.params().iter().copied().map(Core::from).collect(),
                                results: f.results().iter().copied().map(Core::from).collect(),
                            }),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.context("import section")?;
                    let index = match import.ty {
                        TypeRef::Func(i) | TypeRef::FuncExact(i) => i,
                        _ => continue,
                    };
                    let sig = types.get(index as usize).cloned().flatten().ok_or(format!(
                        "import `{}`: no function type {index}",
                        import.name
                    ))?;
                    imports.push(FuncImport {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        sig,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// A minimal wasm module importing each `(name, signature)` from
/// [`MODULE`]: for the checker's self-test.
pub fn fake_module(imports: &[(&str, &Signature)]) -> Vec<u8> {
    fn uleb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    fn name(s: &str, out: &mut Vec<u8>) {
        uleb(s.len(), out);
        out.extend_from_slice(s.as_bytes());
    }
    fn valtype(t: Core) -> u8 {
        match t {
            Core::I32 => 0x7f,
            Core::I64 => 0x7e,
            Core::F32 => 0x7d,
            Core::F64 => 0x7c,
            Core::Other => 0x7b, // v128
        }
    }
    fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        uleb(body.len(), out);
        out.extend_from_slice(body);
    }

    let mut types = Vec::new();
    uleb(imports.len(), &mut types);
    for (_, sig) in imports {
        types.push(0x60);
        uleb(sig.params.len(), &mut types);
        types.extend(sig.params.iter().map(|t| valtype(*t)));
        uleb(sig.results.len(), &mut types);
        types.extend(sig.results.iter().map(|t| valtype(*t)));
    }
    let mut entries = Vec::new();
    uleb(imports.len(), &mut entries);
    for (i, (func, _)) in imports.iter().enumerate() {
        name(MODULE, &mut entries);
        name(func, &mut entries);
        entries.push(0x00); // a function
        uleb(i, &mut entries);
    }
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    section(1, &types, &mut module);
    section(2, &entries, &mut module);
    module
}

/// The checker accepts the right signatures and rejects wrong ones (each
/// case goes through a module written and read back): `Err` names the
/// cases it got wrong.
pub fn self_test(expected: &Expected) -> Fallible {
    let sig = |params: usize, results: usize| Signature {
        params: vec![Core::I32; params],
        results: vec![Core::I32; results],
    };
    let cases: [(&str, Signature, bool); 8] = [
        // WasmEdge's 2-argument V1 `sock_accept` must be caught.
        ("sock_accept", sig(2, 1), false),
        ("sock_accept", sig(3, 1), true),
        ("poll_oneoff", sig(4, 1), true),
        // clock_time_get's precision is an i64.
        ("clock_time_get", sig(3, 1), false),
        (
            "clock_time_get",
            Signature {
                params: vec![Core::I32, Core::I64, Core::I32],
                results: vec![Core::I32],
            },
            true,
        ),
        ("sock_recv_from", sig(8, 1), true),
        ("sock_recv_from", sig(7, 1), false),
        ("no_such_function", sig(0, 0), false),
    ];
    let mut wrong = Vec::new();
    for (name, sig, accept) in &cases {
        let module = fake_module(&[(name, sig)]);
        let parsed = func_imports(&module)?;
        let want = [FuncImport {
            module: MODULE.into(),
            name: name.to_string(),
            sig: sig.clone(),
        }];
        let accepted = expected.problems(&parsed, true).is_empty();
        if parsed != want || accepted != *accept {
            wrong.push(format!(
                "`{name}` {sig}: expected {}",
                if *accept { "a match" } else { "a mismatch" }
            ));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected::load(&crate::harness::checkout().join("wit/preview1")).unwrap()
    }

    fn i32s(params: usize) -> Signature {
        Signature {
            params: vec![Core::I32; params],
            results: vec![Core::I32],
        }
    }

    #[test]
    fn self_test_passes() {
        self_test(&expected()).unwrap();
    }

    #[test]
    fn witx_lowering() {
        let e = expected();
        // fd_read(fd, iovs: list) -> expected size: fd, ptr, len, out-pointer.
        assert_eq!(e.standard["fd_read"], i32s(4));
        assert_eq!(
            e.standard["proc_exit"],
            Signature {
                params: vec![Core::I32],
                results: vec![]
            }
        );
        assert!(e.wasmedge.contains_key("sock_open"));
        assert!(!e.standard.contains_key("sock_open"));
    }

    #[test]
    fn wasmedge_only_imports_need_the_feature() {
        let e = expected();
        let sig = e.wasmedge["sock_open"].clone();
        let imports = func_imports(&fake_module(&[("sock_open", &sig)])).unwrap();
        assert!(e.problems(&imports, true).is_empty());
        let problems = e.problems(&imports, false);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("WasmEdge-only"), "{problems:?}");
    }

    #[test]
    fn other_modules_are_not_checked() {
        let mut imports = func_imports(&fake_module(&[("anything", &i32s(9))])).unwrap();
        imports[0].module = "env".into();
        assert!(expected().problems(&imports, false).is_empty());
    }

    #[test]
    fn garbage_is_not_a_module() {
        assert!(func_imports(b"not wasm").is_err());
    }
}
