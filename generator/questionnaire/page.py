"""The questionnaire's page: docs/features/_questionnaire.md, inserted into docs/choose.md.

`files` renders pages/questionnaire.md.j2 with a PageContext: the form with its result bar, the
rules as JSON for the browser engine (`payload`, in a data attribute), what a reader without
JavaScript can do instead, one folded table per question of how each answer counts, and the
sources.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import jinja2

from .answers import query_string
from .rules import (
    DONT_KNOW,
    JUDGEMENT,
    KINDS,
    PAGE_FILE,
    PAGE_URL,
    SITE_PARAMS,
    Effect,
    Evidence,
    Question,
    Rules,
)

# How a reader without JavaScript gets the same result: in a checkout of this project, the
# generator alone (no frameworks) answers the questionnaire in a terminal.
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -e ."
ASK = ".venv/bin/fieldguide ask"

TEMPLATE = "pages/questionnaire.md.j2"


@dataclass(frozen=True)
class TableRow:
    """One line of the static "how each answer affects the result" table."""

    answer: str
    effect: str
    reason: str
    evidence: tuple[Evidence, ...]
    judgement: bool = False  # the reason is our judgement: no source backs it


@dataclass(frozen=True)
class PageContext:
    rules: Rules
    data: str  # the payload as JSON, escaped for an HTML attribute
    tables: tuple[tuple[Question, tuple[TableRow, ...]], ...]
    evidence: tuple[Evidence, ...]  # in the order the page lists the sources
    # each Rules.related entry: its outcomes, the answers it holds for, and why, in words
    related: tuple[tuple[str, str, str], ...] = ()
    example: str = ""  # answers as a shared link carries them, for the no-JavaScript help
    install: str = INSTALL
    ask: str = ASK
    page_url: str = PAGE_URL
    judgement: str = JUDGEMENT


def files(rules: Rules, env: jinja2.Environment) -> dict[str, bytes]:
    """The page, for docs/features/. `rules` are resolved; `env` has the project's filters
    (`cell` and `link_text` among them)."""
    data = json.dumps(payload(rules), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    context = PageContext(
        rules=rules,
        data=html.escape(data, quote=True),
        tables=tuple((q, tuple(table_rows(rules, q))) for q in rules.questions),
        evidence=tuple(
            sorted(rules.evidence.values(), key=lambda e: (KINDS.index(e.kind), e.title))
        ),
        example=example_answers(rules),
        related=tuple(
            (
                " and ".join(rules.outcome(o).label for o in r.outcomes),
                "; and ".join(
                    " or ".join(f'"{rules.option_label(q, o)}"' for o in options)
                    + f' to "{rules.question_text(q)}"'
                    for q, options in r.when
                ),
                r.note,
            )
            for r in rules.related
        ),
    )
    text = env.get_template(TEMPLATE).render(page=context)
    return {PAGE_FILE: text.encode("utf-8")}


def example_answers(rules: Rules) -> str:
    """What a shared link's query looks like, without its `rv`: the first answer of the first
    two questions."""
    given = {q.id: (q.scored_options[0].id,) for q in rules.questions[:2] if q.scored_options}
    return query_string(rules, given).lstrip("?").rsplit("&rv=", 1)[0]


def payload(rules: Rules) -> dict[str, Any]:
    """Everything the browser engine needs, as JSON data on the page."""
    return {
        "rv": rules.version,
        "updated": rules.updated,
        "tie_band": rules.tie_band,
        "confidence": {
            word: {"margin": needs.margin, "flips": needs.flips}
            for word, needs in (("moderate", rules.moderate), ("strong", rules.strong))
        },
        "ignore": list(SITE_PARAMS),
        "outcomes": [{"id": o.id, "label": o.label, "summary": o.summary} for o in rules.outcomes],
        "questions": [
            {
                "id": q.id,
                "text": q.text,
                "multiple": q.multiple,
                "options": [{"id": o.id, "label": o.label} for o in q.options],
            }
            for q in rules.questions
        ],
        "effects": [
            {
                "when": [[q, list(options)] for q, options in e.when],
                "to": e.to,
                "points": e.points,
                "reason": e.reason,
                "evidence": list(e.evidence),
                "judgement": e.judgement,
            }
            for e in rules.effects
        ],
        "related": [
            {
                "outcomes": list(r.outcomes),
                "when": [[q, list(options)] for q, options in r.when],
                "note": r.note,
                "evidence": list(r.evidence),
            }
            for r in rules.related
        ],
        "evidence": {
            e.id: {"badge": e.badge, "title": e.title, "date": e.date, "detail": e.detail}
            for e in rules.evidence.values()
        },
    }


def table_rows(rules: Rules, question: Question) -> list[TableRow]:
    """Each effect is listed under the first question it names, in option order."""
    rows = []
    for option in question.options:
        matching = [
            e for e in rules.effects if e.when[0][0] == question.id and option.id in e.when[0][1]
        ]
        for effect in matching:
            also = [
                rules.question_text(q)
                + " "
                + " or ".join(rules.option_label(q, o) for o in options)
                for q, options in effect.when[1:]
            ]
            answer = option.label + "".join(f", and: {a}" for a in also)
            rows.append(
                TableRow(
                    answer,
                    _effect_text(rules, effect),
                    effect.reason,
                    tuple(rules.evidence[e] for e in effect.evidence),
                    effect.judgement,
                )
            )
        if not matching and (option.neutral or option.id == DONT_KNOW):
            rows.append(TableRow(option.label, "none", option.neutral or "Counts for nothing.", ()))
        elif option.neutral:
            rows.append(TableRow(option.label, "none on its own", option.neutral, ()))
    return rows


def _effect_text(rules: Rules, effect: Effect) -> str:
    """The table's Effect column: the points and whom they go to, marked when measured."""
    if effect.to is None:
        return "0 (measured)" if effect.measured else "0"
    text = f"{effect.points:+d} {rules.outcome(effect.to).label}"
    return text + " (measured)" if effect.measured else text
