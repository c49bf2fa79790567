"""The harness's layers (docs/architecture.md, "Layers") hold: who may import whom, no cycles.

Read from the source with ``ast`` (nothing is imported): every ``import harness...`` /
``from harness... import ...`` of every module, also those inside functions, for the layer rules;
the module-level ones (outside ``if TYPE_CHECKING:``) for the cycle check, since those are the
ones Python runs while a module is being imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

from harness.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "harness"
BASICS = {"harness", "harness.errors", "harness.paths", "harness.process_group",
          "harness.progress", "harness.signals"}
# layer -> the layers it may import (besides itself and the basics)
ALLOWED = {
    "basics": set(),
    "build": set(),
    "board": set(),
    "network": set(),
    "emulator": {"board", "build"},  # a Board on UART0; where build output (images) is
    "plugins": {"board", "build", "emulator", "network", "cli"},
    "cli": {"board", "build", "emulator", "network"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _layer(module: str) -> str:
    if module in BASICS:
        return "basics"
    return module.split(".")[1]


def _target(name: str, imported: str | None) -> str:
    """The harness module an import statement loads (a submodule when ``imported`` is one)."""
    if imported and f"{name}.{imported}" in MODULES:
        return f"{name}.{imported}"
    return name


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("harness"))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.startswith("harness"):
                found.update(_target(node.module, a.name) for a in node.names)
            elif isinstance(node, ast.If) and _is_type_checking(node):
                if not top_level_only:
                    visit(node.body, top)
                visit(node.orelse, top)
            elif top_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.ClassDef)):
                continue
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        visit([c for c in children if isinstance(c, ast.stmt)]
                              + [s for h in children if isinstance(h, ast.ExceptHandler)
                                 for s in h.body], top)

    visit(tree.body, True)
    found.discard(module)
    return {m for m in found if m in MODULES}


def test_no_relative_imports():
    offenders = [str(path.relative_to(REPO_ROOT)) for path in MODULES.values()
                 if any(isinstance(n, ast.ImportFrom) and n.level
                        for n in ast.walk(ast.parse(path.read_text())))]
    assert offenders == [], "use absolute harness.* imports"


def test_layers_import_only_what_they_may():
    wrong = []
    for module in MODULES:
        if module == "harness":
            continue  # the package's lazy exports name every layer
        layer = _layer(module)
        for imported in _imports(module, top_level_only=False):
            other = _layer(imported)
            if other not in ("basics", layer) and other not in ALLOWED[layer]:
                wrong.append(f"{module} ({layer}) imports {imported} ({other})")
    assert wrong == []


def test_no_import_cycles():
    graph = {m: _imports(m, top_level_only=True) for m in MODULES}
    cycles = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
    assert cycles == []


def test_the_rules_see_the_imports():
    """The checker itself: it finds a known import and a known lazy one."""
    assert "harness.emulator.command" in _imports("harness.emulator.service", True)
    assert "harness.cli.targets" in _imports("harness.plugins.board", False)
    assert "harness.cli.targets" not in _imports("harness.plugins.board", True)
