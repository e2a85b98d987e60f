"""The shape of the package: imports flow one way, down the layers of the pipeline.

Every module of generator/ has a layer; a module may import only modules of lower layers (or,
inside a package, of its own layer). A new module must be placed here, which is the point: its
place in the pipeline is decided, not accidental.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "generator"
# Lowest first. Within one layer, modules do not import each other unless listed together.
LAYERS: list[tuple[str, ...]] = [
    ("text", "errors"),  # helpers that import nothing of ours
    ("schema", "model"),
    ("outputs",),  # a snippet's result, and the comparison of two
    ("environment",),
    ("discover",),  # stage 1
    ("child", "child.records", "child.sandbox"),  # the child side of every process boundary
    ("child.adapters",),
    ("child.harness", "child.peaks"),
    ("launch",),  # the parent side of the process boundary
    ("peaks",),
    ("store",),  # the results store, which run writes and commands read
    ("provenance",),  # stale or current, verified or not: of any stored result
    ("collect",),  # results made elsewhere, into the store
    ("run",),  # stage 2
    ("compare",),  # stage 4
    ("charts",),
    ("articles",),  # the claims page's claims and the ecosystem facts, judged by compare
    ("questionnaire.rules",),  # the data types of the rules
    ("questionnaire.references", "questionnaire.engine"),
    ("questionnaire.validation", "questionnaire.evidence", "questionnaire.answers"),
    ("questionnaire.page", "questionnaire.terminal"),
    ("questionnaire",),
    ("render",),  # stage 5
    ("site", "mkdocs_hooks"),  # stage 6
    ("editions",),  # an edition's data, its changes page, mike
    ("report",),
    ("commands",),
    ("cli",),
    ("__main__",),
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if name:
            found[name] = path
    return found


def imported(path: Path, name: str) -> set[str]:
    """The generator modules `path` imports, at any depth (function-level imports too)."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    known = set(modules())
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.startswith("generator"):
                module = node.module.removeprefix("generator").lstrip(".")
            else:
                continue
            targets = [module] + [f"{module}.{a.name}".lstrip(".") for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [
                a.name.removeprefix("generator").lstrip(".")
                for a in node.names
                if a.name.startswith("generator")
            ]
        found |= {t for t in targets if t in known and t != name}
    return found


def test_every_module_has_a_layer():
    assert sorted(set(modules()) - set(LAYER)) == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_only_go_down_the_layers(name):
    path = modules()[name]
    upward = sorted(
        other for other in imported(path, name) if LAYER.get(other, -1) > LAYER.get(name, -1)
    )
    assert upward == [], f"{name} (layer {LAYER.get(name)}) imports higher layers: {upward}"


def test_no_import_cycle():
    graph = {name: imported(path, name) for name, path in modules().items()}
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        if seen.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join([*stack, node]))
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for other in sorted(graph[node]):
            # A package's __init__ re-exporting its modules is not a cycle with them.
            if not other.startswith(node + "."):
                visit(other, [*stack, node])
        seen[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_the_child_side_imports_no_heavy_module():
    """The child measures the import of one framework: it must not pull in anything else."""
    for name in (
        "child.records",
        "child.sandbox",
        "child.adapters",
        "child.harness",
        "child.peaks",
    ):
        source = modules()[name].read_text(encoding="utf-8")
        tree = ast.parse(source)
        top = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
        }
        assert top <= STDLIB_OR_NUMPY, f"{name} imports {sorted(top - STDLIB_OR_NUMPY)}"


STDLIB_OR_NUMPY = set(sys.stdlib_module_names) | {"__future__", "numpy"}
