"""Hostile snippets and metadata: what a stranger's pull request can try, and what it gets."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from generator import store
from generator.commands import render
from generator.discover import discover
from generator.errors import ValidationError

from .conftest import FEATURE_YML, feature_files, recorded


def problems_of(project) -> list[str]:
    with pytest.raises(ValidationError) as info:
        discover(project.snippets)
    return [str(p) for p in info.value.problems]


def with_field(key: str, value: str) -> dict[str, str]:
    """The fake feature with one top-level text field replaced (quoted as YAML)."""
    line = f"{key}: {json.dumps(value)}"  # a JSON string is a YAML double-quoted scalar
    yml = re.sub(rf"^{key}: .*$", lambda _: line, FEATURE_YML.format(id="fake"), flags=re.M)
    return feature_files("fake", **{"feature.yml": yml})


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [
        ("title", "<script>alert(1)</script>", "raw HTML"),
        ("title", "`<img src=x onerror=alert(1)>`", "raw HTML"),  # a title has no code spans
        ("summary", "Sums a list.</p><script>alert(1)</script>", "raw HTML"),
        ("summary", "See [the docs](javascript:alert(1)).", "a link that is not http(s)"),
        ("timed", "One call.{: onclick=alert(1) }", "an attribute list ({...})"),
        ("timed", "One call <!-- hidden -->", "raw HTML"),
    ],
)
def test_markup_that_could_run_script_is_refused_where_it_is_written(
    make_project, key, value, what
):
    (problem,) = problems_of(make_project(with_field(key, value)))
    assert problem.startswith(f"snippets/fake/feature.yml: key '{key}': expected ")
    assert f"It holds {what}, which text fields may not" in problem


def test_plain_comparisons_and_code_spans_are_text(make_project):
    project = make_project(with_field("summary", "Sums a list (a < b), `List<int>` and `{x}`."))
    (feature,) = discover(project.snippets)
    assert feature.summary == "Sums a list (a < b), `List<int>` and `{x}`."


def test_a_title_with_quotes_and_backslashes_keeps_its_front_matter(make_project):
    title = 'Say "hi" \\ and it\'s: #1 *bold*'
    project = make_project({**with_field("title", title), "docs/index.md": "# Home\n"})
    results = store.Store(project.results, "test-machine")
    results.save(recorded("pytorch", 1.0))
    results.save(recorded("tensorflow", 2.0))
    render(project, "test-machine")
    page = (project.generated / "core" / "fake.md").read_text()
    front = page.split("---\n")[1]
    assert yaml.safe_load(front) == {"title": title}  # written by the YAML serialiser
    assert '# Say "hi" \\\\ and it\'s: #1 \\*bold\\*\n' in page  # the heading shows it literally
    scoreboard = (project.generated / "_scoreboard.md").read_text()
    assert '[Say "hi" \\\\ and it\'s: #1 \\*bold\\*](features/core/fake.md)' in scoreboard
