"""The built site in a real browser (Debian's Chromium via Playwright), served on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def served_site(built_site):
    project, proc = built_site
    assert proc.returncode == 0, proc.stdout + proc.stderr
    handler = functools.partial(QuietHandler, directory=str(project.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup --test.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served_site):
    context = browser.new_context()
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def test_feature_page_tabs_switch_code_and_persist(page, served_site):
    page.goto(f"{served_site}/features/core/autodiff/")
    pytorch_code = page.get_by_text("torch.autograd.grad(loss, w, create_graph=True)")
    tensorflow_code = page.get_by_text("with tf.GradientTape() as outer:")
    assert pytorch_code.is_visible() and not tensorflow_code.is_visible()
    page.locator("label", has_text="TensorFlow").first.click()
    assert tensorflow_code.is_visible() and not pytorch_code.is_visible()
    # content.tabs.link: the choice follows the reader to the next page.
    page.goto(f"{served_site}/features/training/training-loop/")
    assert page.get_by_text("model.fit(").first.is_visible()
    assert page.errors == []


def test_page_shows_verdict_numbers_and_chart(page, served_site):
    page.goto(f"{served_site}/features/performance/graph-compilation/")
    assert page.get_by_text("Same result? Yes").is_visible()
    assert page.get_by_role("cell", name="Steady state, per call", exact=True).is_visible()
    chart = page.locator("figure img")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "median with 95% confidence interval" in chart.get_attribute("alt")


def test_site_works_offline(page, served_site):
    for path in ("/", "/features/core/autodiff/", "/methodology/"):
        page.goto(served_site + path)
        page.wait_for_load_state("networkidle")
    outside = [
        url
        for url in page.requests
        if not url.startswith(served_site) and not url.startswith("data:")
    ]
    assert outside == []
    assert page.errors == []


def test_home_scoreboard_links_every_starter(page, served_site):
    page.goto(served_site + "/")
    for title in ("Automatic differentiation", "Graph compilation", "Training loop"):
        page.get_by_role("link", name=title).first.click()
        assert page.get_by_role("heading", level=1).inner_text().rstrip("¶") == title
        page.go_back()
