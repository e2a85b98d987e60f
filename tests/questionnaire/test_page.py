"""The questionnaire's page: the form, the rules as data, the table of effects, the sources."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest

from generator import commands, mkdocs_hooks, render
from generator.questionnaire import PAGE_FILE, files, parse_answers
from generator.questionnaire.page import table_rows
from generator.questionnaire.rules import RulesError

from ..conftest import MACHINE_ID, ROOT, feature_files
from .conftest import RULES, loaded, measure, rules_of

GOLDEN = Path(__file__).parent.parent / "golden"


def page_of(project) -> str:
    """The page as `fieldguide render` makes it, without the other pages (and their charts)."""
    return files(rules_of(project), render.environment())[PAGE_FILE].decode("utf-8")


def test_questionnaire_page_matches_golden(project, request):
    measure(project, 1.0, 3.0)
    page = page_of(project)
    golden = GOLDEN / "questionnaire.md"
    if request.config.getoption("--update-golden"):
        golden.write_text(page)
    assert page == golden.read_text(), "Run pytest --update-golden if the change is intended."


def test_the_page_is_the_same_bytes_every_time(project):
    measure(project, 1.0, 3.0)  # numbers with bootstrap intervals: seeded, so reproducible
    assert page_of(project) == page_of(project)


def test_render_writes_the_page_once(project):
    assert project.generated / PAGE_FILE in commands.render(project, MACHINE_ID)
    assert (project.generated / PAGE_FILE).read_text() == page_of(project)
    assert commands.render(project, MACHINE_ID) == []


def test_a_project_without_rules_renders_no_questionnaire(make_project):
    project = make_project({**feature_files("fake"), "docs/index.md": "# Home\n"})
    commands.render(project, MACHINE_ID)
    assert (project.generated / "core" / "fake.md").is_file()
    assert not (project.generated / PAGE_FILE).exists()


def test_the_page_is_one_file_and_leaves_the_environment_as_it_found_it(project):
    env = render.environment()
    filters, variables = dict(env.filters), dict(env.globals)
    page = files(rules_of(project), env)
    assert list(page) == [PAGE_FILE] and isinstance(page[PAGE_FILE], bytes)
    assert (dict(env.filters), dict(env.globals)) == (filters, variables)


def test_measured_evidence_links_to_the_feature_page(project):
    assert (
        "- **Not measured yet**: [Steady state of the fake feature](features/core/fake.md#numbers)"
        '{ #source-speed data-evidence="speed" } Not measured yet on a CPU.\n'
    ) in page_of(project)


def test_the_page_carries_the_rules_in_a_data_attribute_not_a_script(project):
    page = page_of(project)
    assert "<script" not in page
    data = re.search(r'data-rules="([^"]*)"', page)
    assert data and "&quot;rv&quot;:&quot;" in data.group(1)
    rules = rules_of(project)
    assert f"&quot;rv&quot;:&quot;{rules.version}&quot;" in data.group(1)


def test_untrusted_text_is_escaped_in_the_form_the_table_and_the_data(make_project):
    # Markup that could run script is refused when the rules are read (tests/test_hostile.py);
    # what gets through is still escaped wherever it lands.
    tricky = 'a < b & "quoted" | pipe'
    rules = RULES.replace("label: PyTorch code", f"label: '{tricky}'").replace(
        "reason: You have PyTorch code.", f"reason: '{tricky}'"
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules})
    page = page_of(project)
    assert "a &lt; b &amp; &#34;quoted&#34; | pipe</label>" in page
    assert '| a &lt; b & "quoted" \\| pipe |' in page


def test_markup_in_the_rules_is_refused_with_the_key(make_project):
    hostile = "<img src=x onerror=alert(1)>"
    rules = RULES.replace("reason: You have PyTorch code.", f"reason: '{hostile}'")
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules})
    with pytest.raises(RulesError) as info:
        page_of(project)
    assert "key 'effects[0].reason': expected one sentence the reader sees" in str(info.value)
    assert "It holds raw HTML" in str(info.value)


def test_the_table_lists_each_effect_under_its_first_question_in_option_order(make_project):
    both = (
        "  - when: {code: keras, needs: [phones, speed]}\n    to: keras3\n    points: 1\n"
        "    reason: Keras 3 runs on phones too.\n    evidence: [docs]\n"
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": RULES + both})
    rules = loaded(project)
    code, needs = rules.question("code"), rules.question("needs")
    assert code and needs
    rows = [(r.answer, r.effect, r.reason) for r in table_rows(rules, code)]
    assert rows == [
        ("PyTorch code", "+4 PyTorch", "You have PyTorch code."),
        ("TensorFlow code", "+4 TensorFlow", "You have TensorFlow code."),
        ("Keras code", "+3 Keras 3", "Keras code runs on any backend."),
        (
            "Keras code, and: What do you need? Phones or Speed",
            "+1 Keras 3",
            "Keras 3 runs on phones too.",
        ),
        ("None yet", "none", "Nothing to port."),
        ("Don't know", "none", "Counts for nothing."),
    ]
    assert [r.evidence[0].id for r in table_rows(rules, code)[:4]] == ["docs"] * 4
    assert [(r.answer, r.effect) for r in table_rows(rules, needs)][:1] == [
        ("Speed", "0 (measured)")  # not resolved: a measured effect gives nothing yet
    ]


def test_the_hook_puts_the_questionnaire_at_its_marker(tmp_path):
    marker = "<!-- fieldguide:questionnaire -->"
    config = {"docs_dir": str(tmp_path)}
    missing = mkdocs_hooks.on_page_markdown(f"# Choose\n\n{marker}\n", None, config, None)
    assert "The questionnaire has not been generated yet" in missing
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / PAGE_FILE).write_text("GENERATED\n")
    page = mkdocs_hooks.on_page_markdown(f"# Choose\n\n{marker}\n", None, config, None)
    assert page == "# Choose\n\nGENERATED\n\n"


def test_without_javascript_the_page_offers_the_terminal_and_hides_the_rest(project):
    page = page_of(project)
    # What needs the script is hidden until it runs (the script removes `hidden`); the help is
    # shown until it runs (the script hides it).
    assert '<div class="fg-quiz__app" hidden>' in page
    assert '<div class="fg-quiz__nojs admonition info">' in page
    assert "<pre><code>python3 -m venv .venv &amp;&amp; .venv/bin/pip install -e .\n" in page
    example = re.search(r"fieldguide ask --answers '([^']*)'", page)
    assert example, "the help shows a shared link's answers passed to `fieldguide ask`"
    text = html.unescape(example.group(1))
    assert text == "code=pytorch&needs=speed"
    assert parse_answers(rules_of(project), text) == (
        {"code": ("pytorch",), "needs": ("speed",)},
        None,
    )
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "fieldguide" in scripts  # what `pip install -e .` puts in .venv/bin


def test_the_rule_tables_are_folded_one_per_question(project):
    page = page_of(project)
    assert page.count('\n??? question "') == 2
    assert (
        '??? question "1. What code do you have?"\n\n    | Answer | Effect | Why | Evidence |\n'
        in page
    )
