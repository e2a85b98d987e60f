"""Editions end to end: real mike on a real temporary git repository (no remote), a copy of
this repository with its committed reference results, two editions published, the gh-pages
branch served over http and read in Debian's Chromium."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from generator import commands, editions, store
from generator.model import Project

from .conftest import ROOT, open_page

pytestmark = pytest.mark.slow

OLD, NEW = "tf2.20-pt2.12", "tf2.21-pt2.13"
REFERENCE = "intel-xeon-2c-24g-0952d4b3"
SLOWER, NOISY = "autodiff", "training-loop"  # 2× slower; changed only inside the noise


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rescaled(project: Project, feature: str, factor, seed: int) -> None:
    """Rewrite the reference machine's PyTorch result of `feature` with its steady samples
    multiplied by `factor(rng)`, as a result set recorded after a release would be."""
    folder = store.Store(project.results, REFERENCE)
    result = folder.load(feature, "pytorch")
    assert result is not None and result.protocol.mode == "default"
    rng = np.random.default_rng(seed)
    processes = tuple(
        dataclasses.replace(p, samples=tuple(s * factor(rng) for s in p.samples))
        for p in result.processes
    )
    store.write_json(
        folder.path(feature, "pytorch"),
        store.encode(dataclasses.replace(result, processes=processes)),
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two editions of a copy of the repository, published with mike into its gh-pages."""
    root = tmp_path_factory.mktemp("editions") / "project"
    for name in ("generator", "docs", "snippets", "overrides", "results"):
        shutil.copytree(
            ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "features")
        )
    for name in ("mkdocs.yml", "mkdocs.edition.yml"):
        shutil.copy(ROOT / name, root / name)
    (root / ".gitignore").write_text("site/\n.fieldguide/\ndocs/features/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Field Guide tests")
    git(root, "config", "user.email", "tests@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    port = free_port()
    saved = {k: os.environ.get(k) for k in ("SITE_URL",)}
    os.environ["SITE_URL"] = f"http://127.0.0.1:{port}/"
    project = Project(root)
    try:
        first = commands.publish(project, OLD)
        rescaled(project, SLOWER, lambda rng: 2.0, seed=1)
        rescaled(project, NOISY, lambda rng: 1.01 * rng.uniform(0.97, 1.03), seed=2)
        git(root, "commit", "-qam", "new results")
        second = commands.publish(project, NEW)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    out = root.parent / "out"
    out.mkdir()
    archive = root.parent / "gh-pages.tar"
    with open(archive, "wb") as handle:
        subprocess.run(["git", "archive", "gh-pages"], cwd=root, stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return project, first, second, out, port


def test_two_editions_with_the_alias_on_the_newer(published):
    project, first, second, out, _ = published
    assert (first.edition, first.previous) == (OLD, None)
    assert (second.edition, second.previous) == (NEW, OLD)
    versions = json.loads(git(project.root, "show", "gh-pages:versions.json"))
    assert [(v["version"], v["aliases"]) for v in versions] == [(NEW, ["latest"]), (OLD, [])]
    assert versions[0]["title"] == "TensorFlow 2.21.0 · PyTorch 2.13.0"  # as measured
    # Copy aliases: a real folder, no symlink (GitHub Pages artifacts reject them).
    assert (out / "latest" / "index.html").is_file() and not (out / "latest").is_symlink()
    assert (out / OLD / "features" / editions.DATA_FILE).is_file()
    assert git(project.root, "status", "--porcelain", "--untracked-files=no") == ""


def test_the_changes_page_reports_the_slowdown_and_not_the_noise(published):
    _, _, second, out, _ = published
    page = (out / NEW / "features" / "changes" / "index.html").read_text()
    assert f"What changed since {OLD}" in page
    rows = [r.split("</tr>")[0] for r in page.split("<tr>")[1:] if REFERENCE in r]
    slower = [r for r in rows if "Autodiff" in r or "autodiff" in r]
    assert slower and any("2.00× slower" in r for r in slower), slower
    assert not [r for r in rows if "training-loop" in r or "Training loop" in r]
    assert second.changes == len(rows)
    first = (out / OLD / "features" / "changes" / "index.html").read_text()
    assert "This is the first edition of the guide" in first


@pytest.fixture(scope="module")
def served(published):
    *_, out, port = published
    import functools
    import http.server
    import threading

    from .conftest import QuietHandler

    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_the_root_redirect_keeps_the_query_and_the_hash(served, browser):
    page = open_page(browser)
    page.goto(f"{served}/?existing=pytorch#result")
    page.wait_for_url("**/latest/**")
    assert page.url == f"{served}/latest/?existing=pytorch#result"
    page.context.close()


def test_the_selector_lists_both_editions_and_the_old_one_says_it_is_old(served, browser):
    page = open_page(browser)
    page.goto(f"{served}/latest/")
    selector = page.locator(".md-version")
    selector.wait_for()
    assert selector.locator(".md-version__current").inner_text().startswith("TensorFlow 2.21")
    links = selector.locator(".md-version__list .md-version__link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs] == [NEW, OLD]
    assert page.locator("[data-md-component=outdated]").is_hidden()
    page.goto(f"{served}/{OLD}/")
    banner = page.locator("[data-md-component=outdated]")
    banner.wait_for(state="visible")
    assert "older framework versions" in banner.inner_text()
    assert page.errors == [], page.errors
    page.context.close()


def test_a_link_shared_from_the_old_edition_says_where_it_was_made(served, browser):
    page = open_page(browser)
    page.goto(f"{served}/latest/choose/?existing=pytorch&ed={OLD}")
    notice = page.locator(".fg-quiz__notice", has_text="This link was made in the edition")
    notice.wait_for()
    assert f"made in the edition {OLD}; you are reading {NEW}" in notice.inner_text()
    href = notice.locator("a").get_attribute("href")
    assert href == f"{served}/{OLD}/choose/?existing=pytorch&ed={OLD}"
    shared = page.locator(".fg-quiz__link").input_value()
    assert shared.endswith(f"ed={NEW}")
    page.context.close()
