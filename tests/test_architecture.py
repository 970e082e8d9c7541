"""The house's import rules (docs/architecture.md), checked on the source: a small walk over its syntax.

Every ``import`` counts, at module level or inside a function; imports under ``if TYPE_CHECKING:`` run
only for the type checker, so they count for the direction of layers but not for cycles. The rules:

1. Layers point one way: a module imports only modules of its own layer or below (``LAYERS``).
2. No cycles between the top-level packages (a module at the top, such as ``services.py``, is its own).
3. No cycles between modules.

A new top-level package is a domain package unless it is added to ``LAYERS`` (and to the document).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import clopos_server

ROOT = Path(clopos_server.__file__).parent
PACKAGE = "clopos_server"

# Bottom to top. Anything not named here is a domain package (layer "domain").
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("settings", frozenset({"settings"})),
    ("foundation", frozenset({"errors", "kit", "db", "jsonio", "timeutil", "logs", "metrics"})),
    ("domain", frozenset()),
    ("http", frozenset({"api", "board"})),
    ("entry", frozenset({"app", "cli", "commands", "sandbox", "serving", "testing"})),
)
DOMAIN = "domain"
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    typing_only: bool


def top(module: str) -> str:
    """The top-level package (or module) of ``clopos_server.a.b``: ``a``; the package itself: ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(module: str) -> str:
    name = top(module)
    for layer, members in LAYERS:
        if name in members:
            return layer
    return DOMAIN


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts  # alembic's scripts, loaded by file path
    }


def _type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, typing_only
        yield from _imports(node, typing_only or _type_checking_block(node))


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def edges_in(module: str, tree: ast.AST, is_package: bool, known: Mapping[str, Path]) -> Iterator[Edge]:
    """Each import of one of our modules: ``from a import b`` names ``a.b`` when that is a module."""
    for node, typing_only in _imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            origin = _resolve(module, is_package, node)
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        for target in targets:
            if target.split(".")[0] == PACKAGE and target != module:
                yield Edge(module, target, node.lineno, typing_only)


@functools.cache
def all_edges() -> tuple[Edge, ...]:
    """Every edge of the source, read once per process (a walk costs ~1.6 s of CPU; three tests use it)."""
    known = source_modules()
    return tuple(
        edge
        for module, path in known.items()
        for edge in edges_in(
            module, ast.parse(path.read_text(encoding="utf-8")), path.name == "__init__.py", known
        )
    )


def layer_violations(edges: Iterable[Edge]) -> list[str]:
    return [
        f"{e.source}:{e.line} ({layer_of(e.source)}) imports {e.target} ({layer_of(e.target)})"
        for e in edges
        if RANK[layer_of(e.target)] > RANK[layer_of(e.source)]
    ]


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def runtime_graph(edges: Iterable[Edge], by_package: bool = False) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for e in edges:
        if e.typing_only:
            continue
        source, target = (top(e.source), top(e.target)) if by_package else (e.source, e.target)
        if source != target and source and target:
            graph.setdefault(source, set()).add(target)
    return graph


def _explain(component: list[str], edges: Iterable[Edge], by_package: bool) -> str:
    members = set(component)
    name = top if by_package else (lambda m: m)
    links = sorted(
        {
            f"{e.source}:{e.line} -> {e.target}"
            for e in edges
            if not e.typing_only
            and name(e.source) in members
            and name(e.target) in members
            and name(e.source) != name(e.target)
        }
    )
    return " <-> ".join(component) + "\n    " + "\n    ".join(links)


def test_layers_point_one_way() -> None:
    violations = layer_violations(all_edges())
    assert not violations, "imports against the layer order (docs/architecture.md):\n" + "\n".join(violations)


def test_no_cycles_between_packages() -> None:
    edges = all_edges()
    found = cycles(runtime_graph(edges, by_package=True))
    assert not found, "packages that import each other:\n" + "\n".join(
        _explain(c, edges, True) for c in found
    )


def test_no_cycles_between_modules() -> None:
    edges = all_edges()
    found = cycles(runtime_graph(edges))
    assert not found, "modules that import each other:\n" + "\n".join(
        _explain(c, edges, False) for c in found
    )


def test_the_walk_sees_function_level_and_relative_imports() -> None:
    """The checker itself: an import inside a function is an edge, one under TYPE_CHECKING is typing-only."""
    known = {
        "clopos_server.a": Path("a.py"),
        "clopos_server.b": Path("b.py"),
        "clopos_server.c": Path("c.py"),
    }
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from clopos_server import c\n"
        "def f():\n    from clopos_server.b import thing\n"
    )
    found = [(e.target, e.typing_only) for e in edges_in("clopos_server.a", tree, False, known)]
    assert found == [("clopos_server.c", True), ("clopos_server.b", False)]
    assert cycles({"x": {"y"}, "y": {"x"}, "z": {"x"}}) == [["x", "y"]]
