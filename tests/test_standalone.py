"""The self-contained script each code tab offers to copy: the snippet with the project files
it imports inlined above it (text.self_contained), so that it runs outside the project."""

from __future__ import annotations

import ast
import subprocess
import sys

from generator.discover import discover
from generator.text import self_contained

from .conftest import ROOT

HELPER = '''"""Inputs."""
from __future__ import annotations

from scale import FACTOR


def make_inputs():
    return [1, 2, 3]


if __name__ == "__main__":
    print("helper run as a script")
'''
SNIPPET = '''"""A snippet."""
from __future__ import annotations


def run(xs):
    return [FACTOR * x for x in xs]


if __name__ == "__main__":
    from inputs import make_inputs

    print(run(make_inputs()))
'''


def test_helpers_are_inlined_in_dependency_order_and_the_script_runs(tmp_path):
    helpers = {"inputs": HELPER, "scale": "FACTOR = 10\n"}
    script = self_contained(SNIPPET, helpers)
    assert script is not None
    assert script.index("FACTOR = 10") < script.index("def make_inputs") < script.index("def run")
    assert script.startswith("from __future__ import annotations\n")  # hoisted, once
    assert script.count("from __future__") == 1
    assert "import make_inputs" not in script and "from scale" not in script
    assert "helper run as a script" not in script  # a helper's own __main__ block is dropped
    (tmp_path / "script.py").write_text(script)
    ran = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (ran.returncode, ran.stdout) == (0, "[10, 20, 30]\n"), ran.stderr


def test_a_helper_imported_as_a_module_is_not_inlined():
    snippet = "import inputs\n\nprint(inputs.make_inputs())\n"
    assert self_contained(snippet, {"inputs": HELPER, "scale": "FACTOR = 1\n"}) is None
    assert self_contained(SNIPPET, {"inputs": "import scale\n", "scale": ""}) is None


def test_every_catalog_snippet_has_one_that_parses_and_imports_no_project_file():
    features = discover(ROOT / "snippets")
    local = {p.stem for p in (ROOT / "snippets").rglob("*.py")}
    missing = []
    for feature in features:
        for key, snippet in feature.snippets.items():
            if snippet.standalone is None:
                missing.append((f"{feature.id}/{key}", snippet.variant))
                continue
            imported: set[str] = set()
            for node in ast.walk(ast.parse(snippet.standalone)):
                if isinstance(node, ast.ImportFrom):
                    imported.add(node.module or "")
                elif isinstance(node, ast.Import):
                    imported.update(alias.name for alias in node.names)
            assert not imported & local, f"{feature.id}/{key} still imports {imported & local}"
    # Only variants that build on their headline snippet (they import it) have none.
    for name, variant in missing:
        assert variant, f"{name}: a headline snippet without a self-contained script"


def test_the_autodiff_script_runs_from_an_empty_folder(tmp_path):
    (feature,) = [f for f in discover(ROOT / "snippets") if f.id == "autodiff"]
    script = feature.snippets["pytorch"].standalone
    (tmp_path / "autodiff.py").write_text(script)
    ran = subprocess.run(
        [sys.executable, "autodiff.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert "'grad': tensor(" in ran.stdout and "'hvp': tensor(" in ran.stdout
