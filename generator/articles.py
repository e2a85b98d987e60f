"""The claims of the usual "TensorFlow vs PyTorch" article, and the dated ecosystem facts.

Both are project content under docs/: `claims.yml` (the claims, their scope and our reading)
and `ecosystem.yml` (facts with a source and the date they were last checked). A claim's
verdict is never written by hand: it is computed (`judge`) from the feature claims that name it
(`article: <id>` in feature.yml) as their measurements judged them. A claim that nothing here
can measure says so (`measurable: false`), what would settle it, and which dated facts bear on
it. Loading validates both files and every `article:` reference, reporting every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .compare import ClaimCheck
from .errors import FieldGuideError, Problem, ValidationError
from .model import FRAMEWORKS, Feature

CLAIMS_SOURCE = "docs/claims.yml"
FACTS_SOURCE = "docs/ecosystem.yml"
CLAIMS_PAGE = "claims.md"  # under docs/features/
ECOSYSTEM_PAGE = "ecosystem.md"

# A feature claim's verdict (compare.check_claim) counted for or against the article's claim;
# anything else (not judged in quick mode, not measured, not shown) is pending.
FOR = ("supported",)
AGAINST = ("contradicted", "no measurable difference")


@dataclass(frozen=True)
class Fact:
    id: str
    topic: str
    framework: str  # "pytorch", "tensorflow" or "both"
    fact: str
    source: str
    checked: str  # the date the fact was last checked, YYYY-MM-DD
    how: str  # "verified" (run here with the pinned versions) or "cited" (read in the source)


@dataclass(frozen=True)
class ArticleClaim:
    id: str
    text: str
    scope: str
    reading: str
    measurable: bool = True
    settle: str | None = None  # what would settle a claim not measurable here
    facts: tuple[str, ...] = ()  # ids of dated facts that bear on it


@dataclass(frozen=True)
class Evidence:
    """A feature claim that names an article claim, as its feature page judged it."""

    feature: Feature
    check: ClaimCheck


@dataclass(frozen=True)
class Judged:
    claim: ArticleClaim
    verdict: str  # supported, contradicted, mixed, not measured yet, not measurable here
    evidence: tuple[Evidence, ...]
    facts: tuple[Fact, ...]
    tally: str  # e.g. "2 supported, 1 against, 1 pending"


@dataclass(frozen=True)
class Articles:
    claims: tuple[ArticleClaim, ...]
    facts: tuple[Fact, ...]

    def fact(self, fact_id: str) -> Fact:
        return next(f for f in self.facts if f.id == fact_id)


FACT = schema.Mapping(
    {
        "id": schema.Identifier(),
        "topic": schema.Text("a short topic, e.g. Serving", plain=True),
        "framework": schema.Choice((*FRAMEWORKS, "both"), "'pytorch', 'tensorflow' or 'both'"),
        "fact": schema.Text("the fact, in a sentence or two"),
        "source": schema.Link(),
        "checked": schema.Date("the date it was last checked (YYYY-MM-DD)"),
        "how": schema.Choice(("verified", "cited"), "'verified' (run here) or 'cited'"),
    },
    "a mapping (id, topic, framework, fact, source, checked, how)",
    named_by="id",
)
CLAIM = schema.Mapping(
    {
        "id": schema.Identifier(),
        "text": schema.Text("the claim, as articles make it"),
        "scope": schema.Text("what the evidence below covers"),
        "reading": schema.Text("a short paragraph: how to read the claim today"),
        "measurable": schema.Flag(required=False, default=True),
        "settle": schema.Text("what would settle the claim", required=False),
        "facts": schema.ListOf(
            schema.Identifier("the id of a fact in docs/ecosystem.yml"),
            "a list of fact ids",
            required=False,
            default=[],
        ),
    },
    "a mapping (id, text, scope, reading)",
    named_by="id",
)


def load(claims_path: Path, facts_path: Path, features: Sequence[Feature]) -> Articles:
    """Both files, validated together with the `article:` ids the features' claims name;
    raises ValidationError listing every problem."""
    problems: list[Problem] = []
    facts = _read(facts_path, FACTS_SOURCE, "facts", FACT, problems)
    claims = _read(claims_path, CLAIMS_SOURCE, "claims", CLAIM, problems)
    known = {f["id"] for f in facts}
    checker = schema.Checker(CLAIMS_SOURCE)
    for claim in claims:
        where = f"claims ({claim['id']})"
        for fact_id in claim["facts"]:
            if fact_id not in known:
                checker.problem(
                    f"{where}.facts",
                    f"ids of facts in {FACTS_SOURCE}",
                    fact_id,
                    "Add the fact there, or remove the id.",
                )
        if not claim["measurable"] and not claim["settle"]:
            checker.problem(
                f"{where}.settle",
                "what would settle a claim not measurable here",
                schema.Said("nothing"),
                "Add `settle:`.",
            )
    ids = [c["id"] for c in claims]
    for feature in features:
        for index, said in enumerate(feature.claims):
            if said.article is not None and said.article not in ids:
                problems.append(
                    Problem(
                        f"snippets/{feature.id}/feature.yml",
                        f"claims[{index}].article",
                        f"the id of a claim in {CLAIMS_SOURCE} (" + ", ".join(ids) + ")",
                        repr(said.article),
                        "Fix the id, or add the claim to " + CLAIMS_SOURCE + ".",
                    )
                )
    problems += checker.problems
    if problems:
        raise ValidationError(problems, "claims or ecosystem facts")
    return Articles(
        tuple(
            ArticleClaim(
                c["id"],
                c["text"],
                c["scope"],
                c["reading"],
                bool(c["measurable"]),
                c["settle"],
                tuple(c["facts"]),
            )
            for c in claims
        ),
        tuple(Fact(**f) for f in facts),
    )


def _read(
    path: Path, source: str, key: str, item: schema.Mapping, problems: list[Problem]
) -> list[dict[str, Any]]:
    if not path.is_file():
        raise FieldGuideError(
            f"{source}: missing. Restore it from git (`git checkout -- {source}`), or run "
            "fieldguide from the project root."
        )
    checker = schema.Checker(source)
    data = schema.read_yaml(path, checker)
    values: Any = schema.INVALID
    if data is not schema.INVALID:
        field = schema.Mapping(
            {
                key: schema.MappingList(
                    item, f"a list of {key}", unique="id", unique_expected="a unique id"
                )
            },
            f"a mapping with the key '{key}'",
        )
        checked = field.check(data, "", checker)
        values = checked[key] if isinstance(checked, dict) else schema.INVALID
    problems += checker.problems
    return values if isinstance(values, list) and not checker.problems else []


def judge(articles: Articles, evidence: Sequence[Evidence]) -> list[Judged]:
    """Each claim with its verdict, computed from the feature claims that name it."""
    judged = []
    for claim in articles.claims:
        found = tuple(e for e in evidence if e.check.article == claim.id)
        pro = sum(e.check.verdict in FOR for e in found)
        con = sum(e.check.verdict in AGAINST for e in found)
        pending = len(found) - pro - con
        if pro and con:
            verdict = "mixed"
        elif pro:
            verdict = "supported"
        elif con:
            verdict = "contradicted"
        elif found:  # measured, but not judged (quick mode, a busy machine) or not yet run
            verdict = "not judged yet"
        elif not claim.measurable:
            verdict = "not measurable here"
        else:
            verdict = "not measured yet"
        parts = [f"{pro} supported", f"{con} against"] + ([f"{pending} pending"] if pending else [])
        judged.append(
            Judged(
                claim,
                verdict,
                found,
                tuple(articles.fact(f) for f in claim.facts),
                ", ".join(parts) if found else "no measured evidence",
            )
        )
    return judged
