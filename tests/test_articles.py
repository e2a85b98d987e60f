"""The claims page's claims and the ecosystem facts: loading, validation, computed verdicts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from generator import articles
from generator.compare import ClaimCheck
from generator.discover import discover
from generator.errors import ValidationError
from generator.model import Claim, Feature, Tolerance

ROOT = Path(__file__).resolve().parents[1]
FACTS = """facts:
  - id: a-fact
    topic: Serving
    framework: both
    fact: Something dated.
    source: https://example.org/a
    checked: 2026-12-03
    how: cited
"""
CLAIMS = """claims:
  - id: graph-faster
    text: Graphs are faster.
    scope: CPU.
    reading: Read it so.
  - id: community
    text: More people.
    scope: Not measured.
    reading: Read it so.
    measurable: false
    settle: A survey.
    facts: [a-fact]
"""


def feature(*claims: Claim) -> Feature:
    return Feature("f", "F", "Core", "s", "t", Tolerance(), claims, Path("."))


def write(tmp_path: Path, claims: str = CLAIMS, facts: str = FACTS) -> tuple[Path, Path]:
    (tmp_path / "claims.yml").write_text(claims)
    (tmp_path / "ecosystem.yml").write_text(facts)
    return tmp_path / "claims.yml", tmp_path / "ecosystem.yml"


def test_the_projects_own_files_load_with_every_feature():
    loaded = articles.load(
        ROOT / "docs" / "claims.yml", ROOT / "docs" / "ecosystem.yml", discover(ROOT / "snippets")
    )
    assert len(loaded.claims) >= 8 and len(loaded.facts) >= 8
    assert all(f.checked[:4].isdigit() for f in loaded.facts)


def test_an_unknown_article_id_names_the_feature_file_and_key(tmp_path):
    said = Claim("Graphs win.", "steady", "tensorflow", article="graph-fastr")
    with pytest.raises(ValidationError) as error:
        articles.load(*write(tmp_path), [feature(said)])
    assert "snippets/f/feature.yml: key 'claims[0].article'" in str(error.value)
    assert "graph-faster, community" in str(error.value)


def test_unknown_facts_and_a_missing_settle_are_reported_together(tmp_path):
    broken = CLAIMS.replace("facts: [a-fact]", "facts: [no-such-fact]").replace(
        "    settle: A survey.\n", ""
    )
    with pytest.raises(ValidationError) as error:
        articles.load(*write(tmp_path, broken), [])
    text = str(error.value)
    assert "docs/claims.yml: key 'claims (community).facts'" in text
    assert "'no-such-fact'" in text
    assert "claims (community).settle" in text


def test_a_bad_fact_names_its_key(tmp_path):
    with pytest.raises(ValidationError) as error:
        articles.load(*write(tmp_path, facts=FACTS.replace("how: cited", "how: guessed")), [])
    assert "docs/ecosystem.yml: key 'facts[0] (a-fact).how'" in str(error.value)


def check(verdict: str, article: str = "graph-faster") -> articles.Evidence:
    return articles.Evidence(feature(), ClaimCheck("c", None, verdict, "e", article))


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["supported", "supported"], "supported"),
        (["contradicted", "no measurable difference"], "contradicted"),
        (["supported", "contradicted"], "mixed"),
        (["supported", "not judged (quick mode)"], "supported"),
        (["not judged (quick mode)"], "not judged yet"),
        ([], "not measured yet"),
    ],
)
def test_a_verdict_is_computed_from_the_feature_claims_that_name_it(tmp_path, verdicts, expected):
    loaded = articles.load(*write(tmp_path), [])
    judged = articles.judge(loaded, [check(v) for v in verdicts] + [check("supported", "x")])
    graph = next(j for j in judged if j.claim.id == "graph-faster")
    assert graph.verdict == expected
    assert len(graph.evidence) == len(verdicts)


def test_a_claim_nothing_measures_shows_its_dated_facts(tmp_path):
    loaded = articles.load(*write(tmp_path), [])
    community = next(j for j in articles.judge(loaded, []) if j.claim.id == "community")
    assert community.verdict == "not measurable here"
    assert [f.id for f in community.facts] == ["a-fact"]
    # Measured evidence wins over the label: a claim someone did measure is judged.
    measured = articles.judge(loaded, [check("contradicted", "community")])
    assert next(j for j in measured if j.claim.id == "community").verdict == "contradicted"


def test_the_claims_page_links_each_feature_and_the_feature_page_links_back(tmp_path):
    from generator import render
    from generator.store import MachineResults

    said = Claim("Graphs win.", "steady", "tensorflow", article="graph-faster")
    f = replace(feature(said), id="f")
    machine = MachineResults("m", {}, {})
    files = render.pages([f], machine, None, claims=articles.load(*write(tmp_path), [f]))
    claims_page = files[articles.CLAIMS_PAGE].decode()
    assert "[F](core/f.md)" in claims_page and "{ #graph-faster }" in claims_page
    assert "(../claims.md#graph-faster)" in files[f.page_path].decode()
    assert "https://example.org/a" in files[articles.ECOSYSTEM_PAGE].decode()
