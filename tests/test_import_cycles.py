"""No import cycles in `submit` (src/) or `training`, counting imports inside functions: a lazy import
keeps start-up fast, it does not make two modules independent.

An edge is one import statement, at any depth (module level, a function, `if TYPE_CHECKING:`):
`import a.b` is an edge to a.b; `from a import b` to a.b when a/b.py or a/b/ exists, else to a.
A module has no edge to the packages above it although Python runs their __init__ first: with it,
every package whose __init__ re-exports from its own modules would be a cycle, and it is harmless
unless the module takes a name from that __init__, which is an edge of its own (`from a import x`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"submit": REPO / "src" / "submit", "training": REPO / "training"}


def test_submit_and_training_have_no_import_cycle():
    edges = import_edges(PACKAGES)
    cycles = cycles_in({source: set(targets) for source, targets in edges.items()})
    assert not cycles, "import cycles:\n" + "\n".join(_describe(cycle, edges) for cycle in cycles)


def test_the_cycle_finder_reports_each_cycle_once_and_ignores_chains_and_self_imports():
    graph = {
        "a": {"b"}, "b": {"c"}, "c": {"a", "d"},  # a -> b -> c -> a
        "d": {"e"}, "e": {"d"},  # d <-> e, reached from the first cycle
        "f": {"f", "a"},  # a self-import is no cycle between modules
        "g": set(), "h": {"g", "missing"},  # a chain, and an edge to a module outside the graph
    }  # fmt: skip
    assert cycles_in(graph) == [["a", "b", "c"], ["d", "e"]]
    assert cycles_in({"x": {"y"}, "y": set()}) == []


def test_edges_count_imports_inside_functions_and_resolve_from_imports(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "one.py").write_text("def f():\n    from pkg import two, VALUE\n    import pkg.sub\n")
    (package / "two.py").write_text("from . import one\nfrom .sub import thing\nimport os\n")
    edges = import_edges({"pkg": package})
    assert {source: sorted(targets) for source, targets in edges.items()} == {
        "pkg": [], "pkg.sub": [], "pkg.one": ["pkg", "pkg.sub", "pkg.two"], "pkg.two": ["pkg.one", "pkg.sub"],
    }  # fmt: skip
    assert edges["pkg.one"]["pkg.two"] == "pkg/one.py:2"
    assert cycles_in({source: set(targets) for source, targets in edges.items()}) == [["pkg.one", "pkg.two"]]


def import_edges(packages: Mapping[str, Path]) -> dict[str, dict[str, str]]:
    """module -> {imported module: where the first such import is (path:line)}, within `packages`."""
    files = {name: path for package, root in packages.items() for name, path in _modules(package, root)}
    edges: dict[str, dict[str, str]] = {}
    for module, path in files.items():
        found = edges.setdefault(module, {})
        shown = path.relative_to(REPO if path.is_relative_to(REPO) else packages[module.split(".")[0]].parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, module, path.name == "__init__.py", files):
                if target != module:
                    found.setdefault(target, f"{shown.as_posix()}:{node.lineno}")
    return edges


def cycles_in(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, each sorted: the modules that
    reach each other (one depth-first search per module; the graph has a few dozen)."""
    reach = {node: _reachable(graph, node) for node in graph}
    components = {frozenset({node, *(other for other in reach[node] if node in reach[other])}) for node in graph}
    return sorted(sorted(component) for component in components if len(component) > 1)


def _reachable(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [target for target in graph[start] if target in graph]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(target for target in graph[node] if target in graph)
    return seen


def _modules(package: str, root: Path) -> Iterable[tuple[str, Path]]:
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _targets(node: ast.AST, module: str, is_package: bool, known: Mapping[str, Path]) -> Iterable[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield from _known(alias.name, known)
    elif isinstance(node, ast.ImportFrom):
        base = _absolute(node, module, is_package)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            yield from _known(submodule if submodule in known else base, known)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]  # `from . import x` in a/__init__.py means a.x
    anchor = anchor[: len(anchor) - node.level + 1]
    return ".".join([*anchor, node.module] if node.module else anchor)


def _known(name: str, known: Mapping[str, Path]) -> Iterable[str]:
    """The longest prefix of `name` that is one of our modules (none for another package's)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            yield ".".join(parts[:end])
            return


def _describe(cycle: list[str], edges: Mapping[str, Mapping[str, str]]) -> str:
    members = set(cycle)
    inside = [
        f"    {source} -> {target} ({where})"
        for source in cycle
        for target, where in sorted(edges[source].items())
        if target in members
    ]
    return "  " + " <-> ".join(cycle) + ":\n" + "\n".join(inside)
