"""The floors: config ← collectors ← alerting ← dashboard ← gateway.

A package imports only the floors to its left, and no module imports itself round a cycle.
Pure: the imports are read from the source (ast), nothing is imported. Imports inside
functions and under ``TYPE_CHECKING`` count too, since they hide the same dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ("config", "collectors", "alerting", "dashboard", "gateway")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for floor in FLOORS
        for path in sorted((ROOT / floor).rglob("*.py"))
        if "node_modules" not in path.parts
    }


def imported(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in the file, relative imports resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            # `from package import module` names a module as much as `import package.module`.
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import refers to (the longest known prefix), or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph() -> dict[str, dict[str, int]]:
    modules = project_modules()
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, {})
        for line, name in imported(path, module):
            target = resolve(name, modules)
            if target is not None and target != module and not module.startswith(target + "."):
                edges.setdefault(target, line)
    return graph


def floor_of(module: str) -> int:
    return FLOORS.index(module.split(".")[0])


def upward_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    return [
        f"{modules_path(source)}:{line}: {source} imports {target}, a floor above it"
        for source, edges in sorted(graph.items())
        for target, line in sorted(edges.items())
        if floor_of(target) > floor_of(source)
    ]


def modules_path(module: str) -> str:
    return module.replace(".", "/") + ".py"


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_every_floor_imports_only_the_floors_to_its_left() -> None:
    assert upward_imports(import_graph()) == []


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_floors_are_all_there() -> None:
    graph = import_graph()
    assert {module.split(".")[0] for module in graph} == set(FLOORS)
    assert len(graph) > 60  # the walk found the code, not an empty tree


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"config.a": {"gateway.b": 3}, "gateway.b": {}}, ["config/a.py:3"]),
        ({"gateway.b": {"config.a": 1}, "config.a": {}}, []),
        ({"alerting.x": {"dashboard.y": 7}, "dashboard.y": {}}, ["alerting/x.py:7"]),
    ],
)
def test_the_floor_check_catches_an_upward_import(
    graph: dict[str, dict[str, int]], expected: list[str]
) -> None:
    found = upward_imports(graph)
    assert [problem.split(": ")[0] for problem in found] == expected


def test_the_cycle_check_catches_a_cycle() -> None:
    graph = {"config.a": {"config.b": 1}, "config.b": {"config.c": 1}, "config.c": {"config.a": 1}}
    assert cycles(graph) == [["config.a", "config.b", "config.c"]]
    assert cycles({"config.a": {"config.b": 1}, "config.b": {}}) == []
