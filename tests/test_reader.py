"""What a new reader sees, in Debian's Chromium: the home page, a feature page, the hardware page
and the questionnaire at a phone's 390 px and a laptop's 1280 px, in the light and the dark
scheme. Each is screenshotted (into FIELDGUIDE_SCREENSHOTS when set, else a temporary folder)
and checked: nothing overflows the main column sideways, no table hides columns off to the
side, chart text is at least 11 px as drawn, and the charts shown are the ones for the scheme.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import open_page

pytestmark = pytest.mark.slow

VIEWPORTS = {"phone": (390, 844), "laptop": (1280, 900)}
PAGES = {
    "home": "/",
    "feature": "/features/performance/graph-compilation/",
    "hardware": "/features/hardware/",
    "questionnaire": "/choose/",
}
MIN_CHART_PX = 11

# Elements of the main column whose content is wider than they are (hidden to the side), as
# [description, scrollWidth, clientWidth]: the main column itself and every table wrapper.
OVERFLOWING = """() => {
  const main = document.querySelector(".md-content");
  const found = [];
  const wide = (el) => el.scrollWidth > el.clientWidth + 1;
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    found.push(["the page", document.documentElement.scrollWidth, window.innerWidth]);
  if (wide(main)) found.push(["the main column", main.scrollWidth, main.clientWidth]);
  for (const wrap of main.querySelectorAll(".fg-reflow .md-typeset__scrollwrap")) {
    if (wide(wrap)) {
      const head = wrap.closest(".fg-reflow").className;
      found.push([head, wrap.scrollWidth, wrap.clientWidth]);
    }
  }
  return found;
}"""

# For every chart shown: its file, the smallest text in it in SVG units (matplotlib draws text
# as glyph paths scaled by font size / 100), the SVG's width in its own units, and the width
# it is drawn at in CSS px.
CHART_TEXT = """async () => {
  const shown = [...document.querySelectorAll(".md-content figure img")]
    .filter((img) => img.getBoundingClientRect().width > 0);
  const found = [];
  for (const img of shown) {
    const svg = await (await fetch(img.src)).text();
    const scales = [...svg.matchAll(/scale\\(([0-9.]+) -[0-9.]+\\)/g)].map((m) => +m[1]);
    const viewBox = svg.match(/viewBox="([^"]+)"/)[1].split(/\\s+/).map(Number);
    found.push([img.getAttribute("src"), Math.min(...scales) * 100, viewBox[2],
                img.getBoundingClientRect().width]);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("FIELDGUIDE_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def set_scheme(page, scheme: str) -> None:
    """Click the theme's own toggle until the page is in `scheme` (default or slate)."""
    for _ in range(2):
        if page.evaluate("document.body.dataset.mdColorScheme") == scheme:
            return
        page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate("document.body.dataset.mdColorScheme") == scheme


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_fit_the_screen_and_charts_stay_legible(browser, site, shots, viewport, scheme):
    width, height = VIEWPORTS[viewport]
    page = open_page(browser, viewport={"width": width, "height": height})
    try:
        for name, path in PAGES.items():
            page.goto(site.url + path)
            page.wait_for_load_state("networkidle")
            set_scheme(page, scheme)
            page.screenshot(path=shots / f"{name}-{viewport}-{scheme}.png", full_page=False)
            assert page.evaluate(OVERFLOWING) == [], f"{name} at {width} px overflows sideways"
            charts = page.evaluate(CHART_TEXT)
            if name == "feature":  # the hardware page's roofline needs a publication run
                assert charts, f"no chart shown on the {name} page"
            for src, font, view_width, drawn_width in charts:
                assert src.endswith("-dark.svg#only-dark" if scheme == "slate" else "#only-light")
                px = font * drawn_width / view_width
                assert px >= MIN_CHART_PX, f"{src}: text drawn at {px:.1f} px at {width} px"
        assert page.outside == [] and page.errors == []
    finally:
        page.context.close()


def test_home_page_leads_with_where_and_the_verdict_in_words(page, site):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + "/")
    caption = page.locator(".fg-caption").first
    table = page.locator(".fg-reflow--scoreboard table")
    assert "Measured on" in caption.inner_text()
    assert "PyTorch 2.13.0" in caption.inner_text() and "TensorFlow 2.21.0" in caption.inner_text()
    assert caption.bounding_box()["y"] < table.bounding_box()["y"], "the caption is above"
    verdict = table.locator("tbody tr").first.locator("td").nth(2).locator("strong")
    assert re.fullmatch(
        r"(PyTorch|TensorFlow) [0-9.]+× (faster|smaller|shorter|higher|lower)"
        r"|no measurable difference|not judged \(.+\)",
        verdict.inner_text(),
    )
    # The three kinds of visitor each have a way in from the first screen.
    routes = page.locator(".fg-routes a")
    hrefs = [routes.nth(i).get_attribute("href") for i in range(routes.count())]
    assert {"choose/", "contributing/"} <= set(hrefs)
    for i in range(routes.count()):
        assert routes.nth(i).bounding_box()["y"] < 900
    assert page.get_by_role("link", name="This machine").first.is_visible()


def test_a_phone_sees_every_scoreboard_column_labelled(page, site):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site.url + "/")
    first = page.locator(".fg-reflow--scoreboard tbody tr").first
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels[1:] == [
        '"Same result?"',
        '"Steady state"',
        '"Time to first result"',
        '"First call"',
        '"Memory the snippet adds"',
        '"Code size"',
    ]
    for cell in first.locator("td").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_the_copy_button_covers_no_code(page, site):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + "/features/core/autodiff/")
    block = page.locator(".tabbed-block:visible pre").first
    button = block.locator(".md-code__nav, .md-clipboard").first
    first_line = block.locator("code > span").first
    assert button.is_visible()
    button_box, line_box = button.bounding_box(), first_line.bounding_box()
    assert line_box["y"] >= button_box["y"] + button_box["height"] - 1
