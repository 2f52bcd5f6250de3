#!/usr/bin/env python3
"""Checks the `wasi_snapshot_preview1` imports of wasm modules against WITX.

Usage:
  check-p1-imports.py [--no-wasmedge] MODULE.wasm...

Every function a module imports from `wasi_snapshot_preview1` must be
declared in wit/preview1/wasi_snapshot_preview1.witx or (unless
`--no-wasmedge`) wit/preview1/wasmedge_sock.witx, with exactly the core-wasm
parameter and result types the WITX declaration lowers to. With
`--no-wasmedge` a module may import nothing that only WasmEdge provides.

Prints one line per problem and `N passed, N failed` (one check per module);
exits non-zero on any failure. Standard library only: the WITX reader and
the wasm import-section reader are below.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WITX_DIR = os.path.join(ROOT, "wit", "preview1")
MODULE = "wasi_snapshot_preview1"

# ---------------------------------------------------------------- WITX --


def tokenize(text):
    tokens, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith(";;", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("(;", i):
            j = text.find(";)", i)
            i = n if j < 0 else j + 2
        elif c in "()":
            tokens.append(c)
            i += 1
        elif c == '"':
            j = text.index('"', i + 1)
            tokens.append(text[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            tokens.append(text[i:j])
            i = j
    return tokens


def parse(tokens):
    stack, top = [], []
    for tok in tokens:
        if tok == "(":
            stack.append(top)
            top = []
        elif tok == ")":
            done = top
            top = stack.pop()
            top.append(done)
        else:
            top.append(tok)
    if stack:
        raise ValueError("unbalanced parentheses")
    return top


def load_witx(path, types, funcs):
    with open(path) as f:
        forms = parse(tokenize(f.read()))
    for form in forms:
        if not isinstance(form, list) or not form:
            continue
        if form[0] == "use":
            load_witx(os.path.join(os.path.dirname(path), form[1].strip('"')), types, funcs)
        elif form[0] == "typename":
            types[form[1]] = form[2]
        elif form[0] == "module":
            for item in form[2:]:
                if isinstance(item, list) and item[:2] == ["@interface", "func"]:
                    name = item[2][1].strip('"')
                    params = [x[2] for x in item[3:] if isinstance(x, list) and x[0] == "param"]
                    results = [x[2] for x in item[3:] if isinstance(x, list) and x[0] == "result"]
                    funcs[name] = (params, results)


INT32 = {"u8", "u16", "u32", "s8", "s16", "s32", "char8", "usize"}
INT64 = {"u64", "s64"}


def resolve(ty, types):
    while isinstance(ty, str) and ty.startswith("$"):
        ty = types[ty]
    return ty


def repr_of(ty):
    """The integer representation of an enum/flags/variant: `u8` unless an
    `(@witx tag X)` / `(@witx repr X)` says otherwise."""
    for part in ty[1:]:
        if isinstance(part, list) and part[:1] == ["@witx"] and part[1] in ("tag", "repr"):
            return part[2]
    return "u32"


def lower_value(ty, types):
    """Core types of a value passed as a parameter."""
    ty = resolve(ty, types)
    if isinstance(ty, str):
        if ty in INT32:
            return ["i32"]
        if ty in INT64:
            return ["i64"]
        if ty in ("f32", "f64"):
            return [ty]
        if ty == "string":
            return ["i32", "i32"]
        raise ValueError(f"unknown type {ty}")
    head = ty[0]
    if head == "@witx" and ty[1] in ("pointer", "const_pointer"):
        return ["i32"]
    if head == "list":
        return ["i32", "i32"]
    if head == "handle":
        return ["i32"]
    if head in ("enum", "flags", "variant", "union"):
        return ["i64"] if repr_of(ty) in INT64 else ["i32"]
    if head == "record":
        # Records are passed by pointer in the preview-1 ABI.
        return ["i32"]
    raise ValueError(f"cannot lower {ty}")


def lower_func(params, results, types):
    core_params = []
    for p in params:
        core_params += lower_value(p, types)
    core_results = []
    for r in results:
        r = resolve(r, types)
        if isinstance(r, list) and r[0] == "expected":
            ok = [x for x in r[1:] if not (isinstance(x, list) and x[0] == "error")]
            if ok:
                ok_ty = resolve(ok[0], types)
                count = len(ok_ty) - 1 if isinstance(ok_ty, list) and ok_ty[0] == "tuple" else 1
                core_params += ["i32"] * count  # one out-pointer per value
            core_results.append("i32")  # the errno
        else:
            core_results += lower_value(r, types)
    return core_params, core_results


def expected_signatures(path):
    types, funcs = {}, {}
    load_witx(path, types, funcs)
    return {name: lower_func(p, r, types) for name, (p, r) in funcs.items()}


# ---------------------------------------------------------------- wasm --

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self):
        n = self.uleb()
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def limits(self):
        flags = self.byte()
        self.uleb()
        if flags & 1:
            self.uleb()


def imports_of(path):
    """[(module, name, params, results)] of the functions `path` imports."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\0asm":
        raise ValueError(f"{path}: not a wasm module")
    r = Reader(data, 8)
    functypes, imports = [], []
    while r.pos < len(data):
        section = r.byte()
        size = r.uleb()
        end = r.pos + size
        if section == 1:
            for _ in range(r.uleb()):
                form = r.byte()
                if form != 0x60:
                    raise ValueError(f"unsupported type form {form:#x}")
                params = [VALTYPES[r.byte()] for _ in range(r.uleb())]
                results = [VALTYPES[r.byte()] for _ in range(r.uleb())]
                functypes.append((params, results))
        elif section == 2:
            for _ in range(r.uleb()):
                module, name, kind = r.name(), r.name(), r.byte()
                if kind == 0:
                    params, results = functypes[r.uleb()]
                    imports.append((module, name, params, results))
                elif kind == 1:
                    r.byte()
                    r.limits()
                elif kind == 2:
                    r.limits()
                elif kind == 3:
                    r.byte()
                    r.byte()
                else:
                    raise ValueError(f"unknown import kind {kind}")
        r.pos = end
    return imports


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def fake_module(imports):
    """A wasm module importing `imports`: [(name, params, results)]."""
    codes = {v: k for k, v in VALTYPES.items()}
    types = b"".join(b"\x60" + uleb(len(p)) + bytes(codes[t] for t in p) + uleb(len(r)) + bytes(codes[t] for t in r)
                     for _, p, r in imports)
    types = uleb(len(imports)) + types
    entries = b"".join(uleb(len(MODULE)) + MODULE.encode() + uleb(len(n)) + n.encode() + b"\x00" + uleb(i)
                       for i, (n, _, _) in enumerate(imports))
    entries = uleb(len(imports)) + entries
    return (b"\0asm\x01\0\0\0" + b"\x01" + uleb(len(types)) + types + b"\x02" + uleb(len(entries)) + entries)


def self_test():
    """The checker accepts a right signature and rejects wrong ones."""
    import tempfile
    standard = expected_signatures(os.path.join(WITX_DIR, "wasi_snapshot_preview1.witx"))
    wasmedge = expected_signatures(os.path.join(WITX_DIR, "wasmedge_sock.witx"))
    cases = [
        # WasmEdge's 2-argument V1 `sock_accept` must be caught.
        ("sock_accept", ["i32", "i32"], ["i32"], False),
        ("sock_accept", ["i32", "i32", "i32"], ["i32"], True),
        ("poll_oneoff", ["i32", "i32", "i32", "i32"], ["i32"], True),
        ("clock_time_get", ["i32", "i32", "i32"], ["i32"], False),
        ("sock_recv_from", ["i32"] * 8, ["i32"], True),
        ("sock_recv_from", ["i32"] * 7, ["i32"], False),
        ("no_such_function", [], [], False),
    ]
    bad = 0
    for name, params, results, ok in cases:
        want = standard.get(name) or wasmedge.get(name)
        got_ok = want == (params, results)
        with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
            f.write(fake_module([(name, params, results)]))
        try:
            parsed = imports_of(f.name)
        finally:
            os.unlink(f.name)
        if parsed != [(MODULE, name, params, results)] or got_ok != ok:
            print(f"self-test: {name}{tuple(params)} expected {'match' if ok else 'mismatch'}")
            bad += 1
    print(f"self-test: {len(cases) - bad} passed, {bad} failed")
    return bad == 0


def main():
    args = sys.argv[1:]
    if "--self-test" in args:
        sys.exit(0 if self_test() else 1)
    no_wasmedge = "--no-wasmedge" in args
    modules = [a for a in args if not a.startswith("--")]
    if not modules:
        sys.exit(__doc__)
    standard = expected_signatures(os.path.join(WITX_DIR, "wasi_snapshot_preview1.witx"))
    wasmedge = expected_signatures(os.path.join(WITX_DIR, "wasmedge_sock.witx"))
    passed = failed = 0
    for path in modules:
        problems = []
        count = 0
        for module, name, params, results in imports_of(path):
            if module != MODULE:
                continue
            count += 1
            if name in standard:
                want = standard[name]
            elif name in wasmedge:
                if no_wasmedge:
                    problems.append(f"imports WasmEdge-only `{name}` in a build without `wasmedge`")
                    continue
                want = wasmedge[name]
            else:
                problems.append(f"imports `{name}`, which no WITX declares")
                continue
            if (params, results) != want:
                problems.append(f"`{name}` is ({', '.join(params)}) -> ({', '.join(results)}),"
                                f" WITX says ({', '.join(want[0])}) -> ({', '.join(want[1])})")
        label = os.path.relpath(path)
        if problems:
            failed += 1
            for p in problems:
                print(f"FAIL {label}: {p}")
        else:
            passed += 1
            print(f"ok   {label}: {count} {MODULE} imports match")
    print(f"imports: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
