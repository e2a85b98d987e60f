"""The built site in a real browser (Debian's Chromium via Playwright), served on 127.0.0.1."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_feature_page_tabs_switch_code_and_persist(page, site):
    page.goto(f"{site.url}/features/core/autodiff/")
    # .first: the snippet itself; the same line is in its folded self-contained script too.
    pytorch_code = page.get_by_text("torch.autograd.grad(loss, w, create_graph=True)").first
    tensorflow_code = page.get_by_text("with tf.GradientTape() as outer:").first
    assert pytorch_code.is_visible() and not tensorflow_code.is_visible()
    page.locator("label", has_text="TensorFlow").first.click()
    assert tensorflow_code.is_visible() and not pytorch_code.is_visible()
    # content.tabs.link: the choice follows the reader to the next page.
    page.goto(f"{site.url}/features/training/training-loop/")
    assert page.get_by_text("optimizer.apply_gradients(").first.is_visible()
    assert page.errors == []


def test_page_shows_verdict_numbers_and_chart(page, site):
    page.goto(f"{site.url}/features/performance/graph-compilation/")
    assert page.get_by_text("Same result? Yes").is_visible()
    assert page.get_by_role("cell", name="Steady state, per call", exact=True).is_visible()
    chart = page.locator("figure img:visible")  # the light scheme's; the dark one is hidden
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "median with 95% confidence interval" in chart.get_attribute("alt")


def test_site_works_offline(page, site):
    for path in ("/", "/features/core/autodiff/", "/methodology/"):
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    assert page.outside == []
    assert page.errors == []


def test_home_scoreboard_links_every_starter(page, site):
    page.goto(site.url + "/")
    for title in ("Automatic differentiation", "Graph compilation", "Training loop"):
        page.get_by_role("link", name=title).first.click()
        assert page.get_by_role("heading", level=1).inner_text().rstrip("¶") == title
        page.go_back()
