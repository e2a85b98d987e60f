"""Shared fixtures: a factory for small projects, stdlib-only fake frameworks, a CLI runner."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.child.harness import encode_output
from generator.model import Machine, ProcessRecord, Project, Protocol, RunResult, Status

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current rendering.",
    )


FEATURE_YML = """\
id: {id}
title: Fake feature
section: Core
summary: A stdlib-only feature for runner tests.
timed: Sums a list.
comparison:
  rtol: 1.0e-9
  atol: 0.0
claims:
  - text: Both sides return the same sum.
    quantity: output
    expect: same
"""

INPUTS_PY = """\
import numpy as np

SEED = 7


def make_inputs(seed: int = SEED) -> dict:
    return {"x": np.random.default_rng(seed).standard_normal(64)}
"""

# Without inputs.py, so that its child processes need not import NumPy (a third of a second
# each): the runner tests start dozens. Tests of the inputs add INPUTS_PY and INPUTS_SNIPPET_PY.
SNIPPET_PY = """\
def setup(inputs):
    return [0.5, 0.25, 0.5]


def run(state):
    return {"sum": sum(state)}
"""

INPUTS_SNIPPET_PY = """\
def setup(inputs):
    return [float(v) for v in inputs["x"]]


def run(state):
    return {"sum": sum(state)}
"""


def feature_files(feature_id: str = "fake", **overrides: str) -> dict[str, str]:
    """Files of one fake feature; `overrides` maps a file name to new text, e.g.
    `feature_files(**{"with_pytorch.py": "..."})`."""
    files = {
        f"snippets/{feature_id}/feature.yml": FEATURE_YML.format(id=feature_id),
        f"snippets/{feature_id}/with_pytorch.py": SNIPPET_PY,
        f"snippets/{feature_id}/with_tensorflow.py": SNIPPET_PY,
    }
    for name, text in overrides.items():
        files[f"snippets/{feature_id}/{name}"] = textwrap.dedent(text)
    return files


def inputs_feature_files(feature_id: str = "fake", **overrides: str) -> dict[str, str]:
    """A fake feature whose snippets read NumPy inputs from inputs.py."""
    with_inputs = {
        "inputs.py": INPUTS_PY,
        "with_pytorch.py": INPUTS_SNIPPET_PY,
        "with_tensorflow.py": INPUTS_SNIPPET_PY,
    }
    return feature_files(feature_id, **{**with_inputs, **overrides})


# Recorded results: fixed numbers, as if measured, for rendering and scoring tests.
MACHINE_ID = "test-machine"
MACHINE = Machine(
    machine_id=MACHINE_ID,
    cpu_model="Test CPU",
    isa_flags=("avx2", "fma"),
    physical_cores=2,
    logical_cores=4,
    memory_bytes=8 * 2**30,
    os="Linux 6.0",
    python="CPython 3.11.7",
    gpus=(),
)


def recorded(
    framework: str,
    scale: float,
    feature: str = "fake",
    device: str = "cpu",
    output_text: str = "",
    status=Status.OK,
    message: str = "",
) -> RunResult:
    """A result with fixed numbers, as if measured: 3 processes x 10 samples."""
    processes = tuple(
        ProcessRecord(
            import_s=1.5 * scale + p * 0.01,
            setup_s=0.002 * scale,
            first_call_s=0.3 * scale + p * 0.001,
            warmup_calls=3,
            loops=8,
            samples=tuple(0.004 * scale * (1 + 0.01 * ((i * 7 + p) % 5)) for i in range(10)),
            peak_rss_bytes=int(400e6 * scale),
            children_peak_rss_bytes=0,
            gpu_peak_bytes=None,
            metrics={},
            load_s=0.05 * scale,
            first_result_s=2.0 * scale + p * 0.01,
            import_rss_bytes=int(300e6 * scale),
            modules={"import": 900, "load": 2, "setup": 40, "first_call": 5},
        )
        for p in range(3)
    )
    return RunResult(
        feature=feature,
        framework=framework,
        status=status,
        cache_key="k",
        protocol=Protocol.for_mode("default", 2),
        device=device,
        machine=MACHINE,
        runtime={},
        created="2026-11-25T12:00:00+00:00",
        message=message,
        framework_info={"version": "9.9.9"},
        processes=processes if status is Status.OK else (),
        output=encode_output({"sum": 1.25}) if status is Status.OK else None,
        output_text=output_text,
        inputs_sha256="same",
    )


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch):
    """Build a small project in a temp dir from a dict of relative path -> text, and work
    inside it (messages name files relative to the project)."""

    def make(files: dict[str, str]) -> Project:
        root = tmp_path / "project"
        (root / "snippets").mkdir(parents=True, exist_ok=True)
        (root / "mkdocs.yml").write_text("site_name: test\n")
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        monkeypatch.chdir(root)
        return Project(root)

    return make


@pytest.fixture
def cli_runner(monkeypatch):
    """Invoke the CLI inside a project directory; returns click's Result."""
    from generator.cli import cli

    def invoke(project: Project, *args: str):
        monkeypatch.chdir(project.root)
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """A copy of the repository, built once with `fieldguide build --quick`."""
    import os
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("built") / "project"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for name, ignore in (
        ("generator", ("__pycache__",)),
        ("docs", ("features",)),
        ("snippets", ("__pycache__",)),
    ):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns(*ignore))
    # The browser feature's runtime (npm), where the snippets look for it: in the project root.
    (root / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--quick"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    return Project(root), proc


# Browser tests: Debian's Chromium driven by Playwright, the built site served on 127.0.0.1.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@dataclass
class Served:
    url: str
    root: Path
    server: http.server.ThreadingHTTPServer


def serve(directory: Path) -> Served:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Served(f"http://127.0.0.1:{server.server_address[1]}", directory, server)


@pytest.fixture(scope="session")
def site(built_site):
    project, proc = built_site
    assert proc.returncode == 0, proc.stdout + proc.stderr
    served = serve(project.site)
    yield served
    served.server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup --test.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.outside, page.errors = [], []

    def route(request_route):
        url = request_route.request.url
        if re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:|about:)", url):
            request_route.continue_()
        else:
            page.outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


@pytest.fixture
def page(browser):
    page = open_page(browser)
    yield page
    page.context.close()
