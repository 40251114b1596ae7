"""The layout rules of docs/architecture.md, checked on the source so they cannot drift.

- `notes` never imports `accounts` (accounts plugs in through notes.hooks);
- no import cycle between the project's modules, counting imports inside functions too;
- migrations import nothing of the live code (they must replay the same way forever);
- no module over 500 lines, no function over 60, outside the corpus checks and benchmarks,
  unless its docstring says why it is long ("Long because ...").
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("notes", "accounts", "config")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
LONG_REASON = "Long because"


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and "corpus" not in path.parts:
                yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports, anywhere in it (top level or inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    paths = list(_sources())
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imported(p, modules) for p in paths}


def test_notes_never_imports_accounts():
    offenders = {
        module: sorted(m for m in imports if m.split(".")[0] == "accounts")
        for module, imports in _graph().items()
        if module.split(".")[0] == "notes"
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle found by a depth-first walk, as "a → b → a"."""
    cycles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    # The rule above must be able to fail: two modules that import each other, one of them
    # inside a function, are a cycle.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\n")
    (tmp_path / "pkg" / "b.py").write_text("def later():\n    from pkg.a import thing\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    modules = {"pkg", "pkg.a", "pkg.b", "pkg.c"}
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    graph = {m: _imported(tmp_path / (m.replace(".", "/") + ".py"), modules) for m in modules - {"pkg"}}
    graph["pkg"] = set()
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert _cycles(graph) == ["pkg.a → pkg.b → pkg.a"]


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "notes" / "migrations").glob("0*.py")) + sorted((ROOT / "accounts" / "migrations").glob("0*.py")),
    ids=lambda p: f"{p.parent.parent.name}/{p.name}",
)
def test_migrations_import_no_live_code(path):
    imports = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imports.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imports.update(alias.name.split(".")[0] for alias in node.names)
    assert not imports & set(PACKAGES), f"{path.name} imports {sorted(imports & set(PACKAGES))}"


def test_modules_and_functions_stay_small():
    too_long = []
    for path in _sources():
        source = path.read_text()
        relative = path.relative_to(ROOT)
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES and LONG_REASON not in (ast.get_docstring(ast.parse(source)) or ""):
            too_long.append(f"{relative}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and LONG_REASON not in (ast.get_docstring(node) or ""):
                    too_long.append(f"{relative}: {node.name}() {length} lines")
    assert too_long == []
