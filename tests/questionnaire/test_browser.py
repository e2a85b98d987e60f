"""The questionnaire in a real browser (Debian's Chromium via Playwright), on the built site.

The site is the one `fieldguide build --quick` made in the `built_site` fixture, served on
127.0.0.1. Every test fails on a console error, a page error, or a request that leaves
127.0.0.1 (such requests are also blocked, so a CDN dependency cannot slip through).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from importlib import resources

import pytest

from generator import questionnaire, store
from generator.discover import discover
from generator.environment import current_machine
from generator.questionnaire.page import example_answers

from ..conftest import open_page, serve
from .conftest import SOURCE, random_answers
from .test_personas import PERSONAS

pytestmark = pytest.mark.slow
PARITY_SAMPLES = 10_000
PARITY_SEED = 20261125


@pytest.fixture(scope="module")
def rules(built_site):
    """The rules as Python scores them for the built project: what the page must agree with."""
    project, _ = built_site
    features = discover(project.snippets)
    snapshot = store.load_snapshot(project.results, features)
    loaded = questionnaire.load_rules(project.rules, SOURCE, features)
    return questionnaire.resolve(loaded, features, snapshot, current_machine().machine_id)


def assert_clean(page) -> None:
    assert page.outside == [], "requests left 127.0.0.1"
    assert page.errors == [], "console or page errors"


def headline(page) -> str:
    return page.locator(".fg-quiz__headline").inner_text()


def answer(page, rules, text: str) -> None:
    """Click the labels of the answers, as a reader would."""
    given, _ = questionnaire.parse_answers(rules, text)
    for question_id, options in given.items():
        question = rules.question(question_id)
        for option_id in options:
            page.locator(f"label[for='fg-q-{question_id}-{option_id}']").click()
        assert question is not None


def expected_headline(rules, text: str) -> str:
    given, _ = questionnaire.parse_answers(rules, text)
    return questionnaire.headline(rules, questionnaire.evaluate(rules, given))


PHD = PERSONAS[0].answers


def test_answering_updates_the_result_reasons_and_evidence(page, site, rules):
    page.goto(f"{site.url}/choose/")
    assert headline(page) == expected_headline(rules, "")
    answer(page, rules, PHD)
    assert headline(page) == expected_headline(rules, PHD)
    assert headline(page).startswith("Recommendation: PyTorch, strong confidence")
    reason = page.locator(".fg-quiz__reason", has_text="Transformers v5 supports PyTorch only.")
    assert 'because you answered "Hugging Face Transformers or Diffusers"' in reason.inner_text()
    badge = reason.get_by_role("link", name=re.compile("^Documented, 2025-12-01"))
    assert badge.get_attribute("href") == "https://huggingface.co/blog/transformers-v5"
    team = page.locator(".fg-quiz__reason", has_text="Your team already reads and debugs PyTorch.")
    assert "Our judgement No source backs this reason" in team.inner_text()
    assert team.locator("a").count() == 0  # nothing to pretend it rests on
    assert page.get_by_role("heading", name="Why PyTorch").is_visible()
    assert page.get_by_role("heading", name="What would change the answer").is_visible()
    assert_clean(page)


def test_measured_evidence_links_to_its_feature_page_and_names_the_machine(page, site, rules):
    page.goto(f"{site.url}/choose/?hardware=cpu-only&fast=training")
    reason = page.locator(".fg-quiz__reason", has_text="You need small models to train quickly.")
    text = reason.inner_text()
    assert "Steady state, per call: PyTorch" in text and "PyTorch ÷ TensorFlow" in text
    machine = current_machine().machine_id
    assert f"(machine {machine}, device cpu) (quick mode: few samples)" in text
    link = reason.locator("a.fg-quiz__evidence").first
    link.click()
    page.wait_for_load_state()
    assert page.url == f"{site.url}/features/training/training-loop/#numbers"
    assert page.locator("h2#numbers").is_visible()
    assert_clean(page)


def test_the_result_region_is_live_and_the_form_works_from_the_keyboard(page, site, rules):
    page.goto(f"{site.url}/choose/")
    live = page.locator(".fg-quiz__headline")
    assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
    page.locator("#fg-q-existing-dont-know").focus()
    page.keyboard.press("ArrowUp")  # radio groups move with the arrow keys: "Keras 3 code"
    assert page.locator("#fg-q-existing-keras3").is_checked()
    page.locator("#fg-q-deploy-mobile").focus()
    page.keyboard.press("Space")  # checkboxes toggle with Space
    assert page.locator("#fg-q-deploy-mobile").is_checked()
    assert headline(page) == expected_headline(rules, "existing=keras3,deploy=mobile")
    group = page.get_by_role("group", name=re.compile("What code or models do you already have"))
    assert group.get_by_role("radio", name="PyTorch code").is_visible()
    assert_clean(page)


def test_dont_know_and_the_real_answers_of_a_checkbox_group_exclude_each_other(page, site):
    page.goto(f"{site.url}/choose/")
    page.locator("label[for='fg-q-deploy-server']").click()
    page.locator("label[for='fg-q-deploy-dont-know']").click()
    assert not page.locator("#fg-q-deploy-server").is_checked()
    page.locator("label[for='fg-q-deploy-browser']").click()
    assert not page.locator("#fg-q-deploy-dont-know").is_checked()
    assert "deploy=browser&" in page.url
    assert_clean(page)


def test_answers_travel_in_the_address_and_come_back_from_it(browser, site, rules):
    page = open_page(browser, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{site.url}/choose/")
    answer(page, rules, "existing=tensorflow,deploy=mobile,browser,fast=startup")
    expected = f"{site.url}/choose/?existing=tensorflow&deploy=mobile,browser&fast=startup"
    assert page.url == f"{expected}&rv={rules.version}"
    assert page.locator("#fg-quiz-link").input_value() == page.url
    page.get_by_role("button", name="Copy link").click()
    page.get_by_text("Link copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == page.url
    shown = headline(page)

    again = open_page(browser)
    again.goto(page.url)
    assert again.locator("#fg-q-existing-tensorflow").is_checked()
    assert again.locator("#fg-q-deploy-browser").is_checked()
    assert again.locator("#fg-q-fast-startup").is_checked()
    assert not again.locator("#fg-q-deploy-server").is_checked()
    assert headline(again) == shown
    assert again.locator(".fg-quiz__notice").count() == 0
    assert_clean(page)
    assert_clean(again)
    page.context.close()
    again.context.close()


def test_an_older_rules_version_and_junk_in_the_link_are_reported_never_run(page, site, rules):
    junk = "<img src=x onerror=window.pwned=1>"
    page.goto(
        f"{site.url}/choose/?existing={junk}&goal=research&deploy=server,{junk}"
        f"&colour=blue&onnx=yes,no&rv=00000000"
    )
    notices = page.locator(".fg-quiz__notice").all_inner_texts()
    assert notices[0].startswith("This link was made with an older version of the rules.")
    assert notices[1] == "Parts of the link that match no question or answer were ignored (4)."
    assert page.locator("#fg-q-goal-research").is_checked()
    assert page.locator("#fg-q-deploy-server").is_checked()
    assert page.locator("#fg-q-onnx-yes").is_checked()  # one answer: the first one counts
    assert page.locator("#fg-q-existing-dont-know").is_checked()
    assert page.evaluate("window.pwned") is None
    assert "onerror" not in page.locator("article").inner_html()
    assert page.url.endswith(f"?goal=research&deploy=server&onnx=yes&rv={rules.version}")
    assert_clean(page)


def test_navigating_away_and_back_keeps_the_answers(page, site, rules):
    page.goto(f"{site.url}/")
    page.get_by_role("link", name="Which framework should I use?").first.click()
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    answer(page, rules, "existing=pytorch,deploy=mobile")
    shown = headline(page)
    page.get_by_role("link", name="How the numbers are measured").first.click()
    page.wait_for_load_state()
    page.go_back()
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    assert page.locator("#fg-q-existing-pytorch").is_checked()
    assert headline(page) == shown
    page.get_by_role("link", name="Which framework should I use?").first.click()
    page.wait_for_url(f"{site.url}/choose/")
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    assert headline(page) == expected_headline(rules, "")  # a fresh visit starts empty
    assert page.locator("#fg-quiz[data-ready='true']").count() == 1
    assert_clean(page)


HIDDEN_WITHOUT_JS = (
    ".fg-quiz__bar",
    ".fg-quiz__headline",
    ".fg-quiz__form",
    "#fg-q-existing-pytorch",
    ".fg-quiz__result",
    ".fg-quiz__share",
    "#fg-quiz-link",
    ".fg-quiz__copy",
)


def test_without_javascript_only_what_works_is_shown_and_the_terminal_is_offered(
    browser, site, rules
):
    page = open_page(browser, java_script_enabled=False)
    shared = f"{site.url}/choose/?existing=pytorch&deploy=mobile&rv={rules.version}"
    page.goto(shared)  # a shared link: its answers cannot be restored without the script
    for selector in HIDDEN_WITHOUT_JS:
        assert page.locator(selector).count() == 1 and page.locator(selector).is_hidden(), selector
    assert page.get_by_role("button", name="Copy link").count() == 0
    article = page.locator("article")  # (the header's colour-scheme toggle is a radio too)
    assert article.get_by_role("radio").count() == 0
    assert article.get_by_role("checkbox").count() == 0
    help = page.locator(".fg-quiz__nojs")
    assert help.is_visible()
    text = help.inner_text()
    assert text.startswith("The questionnaire needs JavaScript\n")
    install = help.locator("pre code").inner_text()
    assert (
        install == "python3 -m venv .venv && .venv/bin/pip install -e .\n.venv/bin/fieldguide ask"
    )
    example = example_answers(rules)
    assert example == "existing=none&team=pytorch"
    assert f".venv/bin/fieldguide ask --answers '{example}'" in text
    help.get_by_role("link", name="the tables below").click()
    heading = page.get_by_role("heading", name="How each answer affects the result")
    assert heading.is_visible() and page.url.endswith("#how-each-answer-affects-the-result")
    # The tables are folded, and open without the script (a native <details>).
    row = page.get_by_role("row", name=re.compile("^Hugging Face Transformers or Diffusers"))
    assert row.count() == 0
    page.locator("summary", has_text="Which pretrained models will you build on?").click()
    assert "+4 PyTorch" in row.first.inner_text()
    assert page.locator("a[data-evidence]").count() == len(rules.evidence)
    assert_clean(page)
    page.context.close()


def test_with_javascript_the_help_for_readers_without_it_is_hidden(page, site):
    page.goto(f"{site.url}/choose/")
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    assert page.locator(".fg-quiz__nojs").is_hidden()
    for selector in HIDDEN_WITHOUT_JS:
        assert page.locator(selector).is_visible(), selector
    assert_clean(page)


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 900)], ids=["phone", "laptop"])
def test_the_result_stays_in_view_while_answering(browser, site, rules, viewport):
    width, height = viewport
    page = open_page(browser, viewport={"width": width, "height": height})
    page.goto(f"{site.url}/choose/")
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    bar = page.locator(".fg-quiz__bar")
    header = page.locator(".md-header").bounding_box()
    given = []
    for text in ("existing=pytorch", "fast=memory", "goal=research", "pretrained=huggingface"):
        answer(page, rules, text)  # each click scrolls its answer into view first
        given.append(text)
        assert headline(page) == expected_headline(rules, ",".join(given))
        box = bar.bounding_box()
        assert box["y"] >= header["y"] + header["height"] - 1, "under the site's header"
        assert box["y"] + box["height"] <= height, "off the screen"
        assert box["height"] <= height * 0.3, f"the bar takes {box['height']} px of {height}"
    assert page.evaluate("window.scrollY") > height  # far below where the result started
    top = bar.locator(".fg-quiz__top li:visible").first.inner_text()
    first = page.locator(".fg-quiz__reasons").first.locator(".fg-quiz__reason").first
    assert first.inner_text().startswith(top.split(": ", 1)[0] + ": ")
    # Moving through the answers from the keyboard never leaves the focused one under the bar.
    page.locator("#fg-q-scale-single").focus()
    for _ in range(6):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement").as_element()
        assert focused is not None
        box, covered = focused.bounding_box(), bar.bounding_box()
        assert box["y"] >= covered["y"] + covered["height"] - 1, "focus under the bar"
    assert_clean(page)
    page.context.close()


def test_the_rule_tables_are_folded_until_opened(page, site, rules):
    page.goto(f"{site.url}/choose/")
    folded = page.locator("article details")
    assert folded.count() == len(rules.questions)
    assert (
        page.evaluate("[...document.querySelectorAll('article details')].some(d => d.open)")
        is False
    )
    summary = page.locator("summary", has_text="Where must the trained model run?")
    summary.click()
    row = page.get_by_role("row", name=re.compile("^On Windows PCs with an NVIDIA GPU"))
    assert [r.locator("td").nth(1).inner_text() for r in row.all()] == [
        "-4 TensorFlow",
        "+2 PyTorch",
        "+1 Keras 3",
    ]
    assert_clean(page)


def test_the_search_highlight_parameter_is_no_part_of_the_answers(page, site, rules):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site.url}/")
    page.locator(".md-search__input").fill("questionnaire")
    found = page.locator(".md-search-result__link[href*='choose/?h=']").first
    found.wait_for()
    assert "?h=questionnaire" in (found.get_attribute("href") or "")  # what the search adds
    found.click()
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    assert page.locator(".fg-quiz__notice").count() == 0
    page.goto(f"{site.url}/choose/?existing=pytorch&h=gradient&rv={rules.version}")
    assert page.locator("#fg-q-existing-pytorch").is_checked()
    assert page.locator(".fg-quiz__notice").count() == 0
    assert page.url.endswith(f"/choose/?existing=pytorch&rv={rules.version}")
    assert_clean(page)


def test_axe_finds_no_serious_problem_in_the_questionnaire(page, site, rules):
    axe = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
    page.goto(f"{site.url}/choose/")
    answer(page, rules, PHD)  # with the result panel filled in
    page.add_script_tag(content=axe)
    results = page.evaluate("axe.run({include: [['article']]}, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert results["testEngine"]["version"].startswith("4.")
    assert_clean(page)


def test_browser_and_python_scoring_agree(page, site, rules):
    """All single answers, every persona, and a large seeded sample of answer sets (the full
    product is about 2.7 billion), scored by the page's script and by the Python engine."""
    page.goto(f"{site.url}/choose/")
    on_page = json.loads(page.locator("#fg-quiz").get_attribute("data-rules"))
    assert on_page == questionnaire.payload(rules)  # the page scores with these very rules
    samples: list[dict[str, list[str]]] = [{}]
    for question in rules.questions:
        samples += [{question.id: [option.id]} for option in question.options]
    samples += [
        {q: list(v) for q, v in questionnaire.parse_answers(rules, p.answers)[0].items()}
        for p in PERSONAS
    ]
    rng = random.Random(PARITY_SEED)
    while len(samples) < PARITY_SAMPLES:
        samples.append({q: list(v) for q, v in random_answers(rules, rng).items()})
    in_browser = page.evaluate(
        "([rules, samples]) => samples.map(a => window.FieldGuideQuiz.evaluate(rules, a))",
        [on_page, samples],
    )
    links = page.evaluate(
        "([rules, samples]) => samples.map(a => window.FieldGuideQuiz.toQuery(rules, a))",
        [on_page, samples],
    )
    assert links == [questionnaire.query_string(rules, given) for given in samples]
    differing = [
        (given, js, py)
        for given, js in zip(samples, in_browser, strict=True)
        if js != (py := questionnaire.evaluate(rules, given).as_json())
    ]
    assert len(in_browser) == PARITY_SAMPLES
    assert differing[:3] == []
    outcomes = {r["outcome"] for r in in_browser}
    assert outcomes == {"pytorch", "tensorflow", "keras3", "either"}
    assert_clean(page)


def test_fieldguide_ask_says_what_the_page_says(page, site, rules, built_site, monkeypatch):
    from click.testing import CliRunner

    from generator.cli import cli

    project, _ = built_site
    persona = next(p for p in PERSONAS if p.name.startswith("Web start-up"))  # a tie, both sides
    monkeypatch.chdir(project.root)
    printed = CliRunner().invoke(cli, ["ask", "--answers", persona.answers]).output
    page.goto(f"{site.url}/choose/{questionnaire.query_string(rules, parse(rules, persona))}")
    assert printed.splitlines()[0] == headline(page)
    for section in page.locator(".fg-quiz__details h3").all_inner_texts():
        assert f"\n{section}\n" in printed
    for item in page.locator(".fg-quiz__reason > strong").all():
        line = item.inner_text() + item.evaluate("n => n.nextSibling.textContent").rstrip()
        assert f"  {line}\n" in printed
    assert f"  {page.locator('.fg-quiz__changes').inner_text()}\n" in printed
    flips = page.locator(".fg-quiz__flips li").all_inner_texts()
    assert flips and printed.count(" → ") == len(flips)
    for flip in flips:
        assert f"  {flip}\n" in printed
    assert_clean(page)


def parse(rules, persona):
    return questionnaire.parse_answers(rules, persona.answers)[0]


@pytest.fixture(scope="module")
def instant_site(built_site, tmp_path_factory):
    """The same site built with mkdocs-material's instant navigation, which swaps pages
    without reloading them: the case where inline JSON scripts break and where a script must
    set itself up through document$."""
    project, proc = built_site
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = tmp_path_factory.mktemp("instant")
    for name in ("docs", "generator"):
        shutil.copytree(project.root / name, root / name)
    config = (project.root / "mkdocs.yml").read_text()
    assert "    - navigation.top\n" in config
    (root / "mkdocs.yml").write_text(
        config.replace("    - navigation.top\n", "    - navigation.top\n    - navigation.instant\n")
    )
    out = root / "site"
    out.mkdir()
    served = serve(out)  # the port must be known: instant navigation needs site_url to match
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=root,
        env={**os.environ, "SITE_URL": served.url + "/", "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    yield served
    served.server.shutdown()


def test_instant_navigation_sets_the_questionnaire_up_on_every_visit(page, instant_site, rules):
    site = instant_site
    page.goto(f"{site.url}/")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("link", name="Which framework should I use?").first.click()
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    assert page.evaluate("window.sameDocument") is True  # swapped in, not reloaded
    answer(page, rules, "existing=pytorch,deploy=mobile")
    shown = headline(page)
    assert shown == expected_headline(rules, "existing=pytorch,deploy=mobile")
    page.get_by_role("link", name="How the numbers are measured").first.click()
    page.get_by_role("heading", name="How the numbers are measured", level=1).wait_for()
    page.go_back()
    page.locator("#fg-quiz[data-ready='true']").wait_for()
    assert page.evaluate("window.sameDocument") is True
    assert page.locator("#fg-q-existing-pytorch").is_checked()
    assert headline(page) == shown
    answer(page, rules, "goal=research")
    assert headline(page) == expected_headline(
        rules, "existing=pytorch,deploy=mobile,goal=research"
    )
    assert page.locator("#fg-quiz").count() == 1
    assert_clean(page)
