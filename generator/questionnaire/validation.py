"""Loading docs/questionnaire.yml: `load_rules` checks it and reports every problem at once.

The shape of the file is declared here with generator.schema's typed fields (`_fields`), top
to bottom in the order it is checked. The parts that refer to other parts of the file (an
effect's questions, options and evidence, and whether that evidence supports it; what a source
supports; a measured evidence's feature and quantity; the confidence margins above the tie
band) and the coverage checks over the whole file are in references.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import schema
from ..errors import FieldGuideError
from ..model import Feature
from ..schema import INVALID, Checker, Said, check_keys, read_yaml
from .references import (
    KIND,
    Confidence,
    EvidenceId,
    Measured,
    MeasuredId,
    Refs,
    Supports,
    When,
    backed,
    coverage,
)
from .rules import (
    DONT_KNOW,
    EITHER,
    MAX_POINTS,
    OUTCOMES,
    SCHEMA_VERSION,
    Choice,
    Effect,
    Evidence,
    Option,
    Question,
    Related,
    Rules,
    RulesError,
    Threshold,
)


def load_rules(
    path: Path, source: str, features: Sequence[Feature], unavailable: Sequence[str] = ()
) -> Rules:
    """Parse and validate the rules file; raises RulesError listing every problem. `source` is
    how messages name the file (docs/questionnaire.yml); `features` are those evidence may cite.
    `unavailable` are features whose feature.yml is invalid: evidence may cite them (the site
    is published without them, and the questionnaire says their numbers are missing).
    """
    if not path.is_file():
        raise FieldGuideError(
            f"{source}: no questionnaire rules file. Restore it from git "
            "(`git checkout -- docs/questionnaire.yml`), or run fieldguide from the project root."
        )
    checker = Checker(source)
    data = read_yaml(path, checker)
    rules = None if data is INVALID else _rules(data, checker, features, unavailable)
    if rules is None or checker.problems:
        raise RulesError(checker.problems, source)
    return rules


def _rules(
    data: Any, checker: Checker, features: Sequence[Feature], unavailable: Sequence[str] = ()
) -> Rules | None:
    refs = Refs({f.id: f for f in features}, frozenset(unavailable))
    fields = _fields(refs)
    if not isinstance(data, dict):
        checker.problem("(file)", "a mapping with the keys " + ", ".join(fields), data)
        return None
    check_keys(data, fields, "", checker)
    values: dict[str, Any] = {}
    for name, item in fields.items():  # in order: the effects refer to what comes before
        if name in data:
            values[name] = item.check(data[name], name, checker)
        else:
            values[name] = INVALID if item.required else item.default
        refs.note(name, values[name], data.get(name))
    coverage(refs, data.get("effects"), data.get("evidence"), checker, data.get("related"))
    if checker.problems:
        return None
    return Rules(
        source=checker.source,
        updated=values["updated"],
        tie_band=values["tie_band"],
        moderate=Threshold(**values["confidence"]["moderate"]),
        strong=Threshold(**values["confidence"]["strong"]),
        outcomes=tuple(Choice(o, v["label"], v["summary"]) for o, v in values["outcomes"].items()),
        questions=tuple(values["questions"]),
        effects=tuple(map(_effect, values["effects"])),
        evidence={e: _evidence(e, v, refs) for e, v in values["evidence"].items()},
        related=tuple(values["related"]),
    )


def _fields(refs: Refs) -> dict[str, schema.Field]:
    """The top-level keys, in the order they are checked."""
    outcome = schema.Mapping(
        {"label": schema.Text("a short label"), "summary": schema.Text("one or two sentences")},
        "a mapping with label and summary",
    )
    cited = EvidenceId(refs, "the id of an entry under 'evidence'")
    effect: dict[str, schema.Field] = {
        "when": When(refs, "a mapping of question id to an option id (or a list of them)"),
        "to": schema.Choice(
            OUTCOMES,
            "an outcome: " + ", ".join(OUTCOMES),
            suggest=True,
            hint="'Either' is not a target: it is the result of a tie.",
        ),
        "points": schema.Whole(
            f"a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0",
            minimum=-MAX_POINTS,
            maximum=MAX_POINTS,
            nonzero=True,
        ),
        "reason": schema.Text("one sentence the reader sees"),
        "evidence": schema.ListOf(
            cited, "a non-empty list of evidence ids", non_empty=True, required=False, default=[]
        ),
        "judgement": schema.Flag(
            "true when the reason is our judgement and no source backs it",
            required=False,
            default=False,
        ),
    }
    measured_effect = {
        "when": effect["when"],
        "measured": MeasuredId(refs, "the id of a measured evidence"),
        "points": schema.Whole(
            f"the most points the measurement can give, 1 to {MAX_POINTS}",
            minimum=1,
            maximum=MAX_POINTS,
        ),
        "reason": effect["reason"],
        "evidence": schema.ListOf(
            cited, "a non-empty list of evidence ids", required=False, default=[]
        ),
    }
    source = _cited(refs)
    sources: dict[Any, schema.Field] = {
        "measured": Measured(refs),
        "documented": source,
        "community": source,
    }
    related = _Related(
        {
            "outcomes": schema.ListOf(
                schema.Choice(OUTCOMES, "an outcome: " + ", ".join(OUTCOMES), suggest=True),
                "a list of at least two outcomes",
                non_empty=True,
            ),
            "when": effect["when"],
            "note": schema.Text("one or two sentences the reader sees: why they are related"),
            "evidence": schema.ListOf(cited, "a non-empty list of evidence ids", non_empty=True),
        },
        "a mapping (outcomes, when, note, evidence)",
    )
    return {
        "schema": schema.Choice(
            (SCHEMA_VERSION,),
            str(SCHEMA_VERSION),
            hint="This file was written for another version of fieldguide.",
        ),
        "updated": schema.Date("the date the rules were last reviewed (YYYY-MM-DD)"),
        "tie_band": schema.Whole("a whole number of points >= 0", minimum=0),
        "confidence": Confidence(refs),
        "outcomes": schema.Mapping(
            dict.fromkeys((*OUTCOMES, EITHER), outcome),
            "a mapping of " + ", ".join((*OUTCOMES, EITHER)),
        ),
        "questions": schema.MappingList(
            _QUESTION,
            "a non-empty list of questions",
            minimum=1,
            unique="id",
            unique_expected="an id no other question has",
        ),
        "evidence": schema.DictOf(
            schema.Identifier("an id of lowercase words joined by '-'"),
            schema.OneOf(sources, "a mapping (kind, title, ...)", tag="kind"),
            "a mapping of evidence id to its source",
        ),
        "effects": schema.ListOf(
            schema.OneOf(
                {
                    True: _Backed(measured_effect, "a measured effect", refs=refs),
                    False: _Backed(effect, "an effect", refs=refs),
                },
                "a mapping (when, to, points, reason, evidence)",
                tag="measured",
                pick=lambda value: "measured" in value,
            ),
            "a non-empty list of effects",
            non_empty=True,
        ),
        "related": schema.ListOf(
            related,
            "a list of outcomes that are one codebase for some readers",
            required=False,
            default=[],
        ),
    }


class _Backed(schema.Mapping):
    """An effect whose reason its evidence supports, or that says it is our judgement."""

    def __init__(self, fields: dict[str, schema.Field], expected: str, *, refs: Refs) -> None:
        super().__init__(fields, expected)
        self.refs = refs

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        v = super().check(value, key, checker)
        if v is not INVALID:
            backed(self.refs, v, value, key, checker)
        return v


class _Related(schema.Mapping):
    def check(self, value: Any, key: str, checker: Checker) -> Any:
        v = super().check(value, key, checker)
        if v is INVALID or not schema.valid(*v.values()):
            return INVALID
        outcomes = tuple(o for o in OUTCOMES if o in v["outcomes"])
        if not 2 <= len(outcomes) < len(OUTCOMES):
            expected = "two or more different outcomes, but not all: one must stay a rival"
            checker.problem(f"{key}.outcomes", expected, v["outcomes"])
            return INVALID
        return Related(outcomes, v["when"], v["note"], tuple(v["evidence"]))


class _Option(schema.Mapping):
    def check(self, value: Any, key: str, checker: Checker) -> Any:
        v = super().check(value, key, checker)
        if v is INVALID or v["id"] is INVALID:
            return INVALID
        neutral = "" if v["neutral"] is INVALID else v["neutral"]  # reported: not "no effect"
        return Option(v["id"], v["label"], neutral)


class _Options(schema.MappingList):
    """At least two options, one of them "don't know"."""

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        options = super().check(value, key, checker)
        if options is not INVALID and options and not any(o.id == DONT_KNOW for o in options):
            checker.problem(
                key,
                f"an option with id '{DONT_KNOW}' (label: Don't know / doesn't matter)",
                Said("none"),
                "Every question lets the reader skip it.",
            )
        return options


class _Question(schema.Mapping):
    """A Question once its id is valid, so that effects naming it are checked against it."""

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        v = super().check(value, key, checker)
        if v is INVALID or v["id"] is INVALID:
            return INVALID
        options = () if v["options"] is INVALID else tuple(v["options"])
        return Question(v["id"], v["text"], v["why"], v["type"] == "multi", options)


_OPTION = _Option(
    {
        "id": schema.Identifier(),
        "label": schema.Text("a label"),
        "neutral": schema.Text("why this option has no effect", required=False),
    },
    "a mapping (id, label, and optionally neutral)",
)
_QUESTION = _Question(
    {
        "id": schema.Identifier(),
        "text": schema.Text("the question, as the reader sees it"),
        "why": schema.Text("one sentence on why it is asked"),
        "type": schema.Choice(
            ("single", "multi"), "'single' (radio buttons) or 'multi' (checkboxes)"
        ),
        "options": _Options(
            _OPTION,
            "a list of at least two options",
            minimum=2,
            unique="id",
            unique_expected="an id no other option of this question has",
        ),
    },
    "a mapping (id, text, why, type, options)",
    named_by="id",
)


def _cited(refs: Refs) -> schema.Mapping:
    """Documented and community evidence."""
    return schema.Mapping(
        {
            "kind": KIND,
            "title": schema.Text("a title"),
            "url": schema.Link(),
            "date": schema.Date(
                "the source's date, or the month it was checked (YYYY-MM or YYYY-MM-DD)"
            ),
            "supports": Supports(
                refs,
                "the effects it backs: a mapping of outcome to the answers "
                "(question id: option ids) whose effects on that outcome it backs",
            ),
            # Checked against docs/claims.yml by the caller, which loads both files.
            "claim": schema.Identifier(
                "the id of the claim on the claims page (docs/claims.yml) this source bears on",
                required=False,
            ),
        },
        "a source",
    )


def _effect(v: dict[str, Any]) -> Effect:
    measured = v.get("measured")
    return Effect(
        when=v["when"],
        to=None if measured else v["to"],
        points=v["points"],
        reason=v["reason"],
        evidence=(measured, *v["evidence"]) if measured else tuple(v["evidence"]),
        measured=measured,
        judgement=bool(v.get("judgement")),
    )


def _evidence(evidence_id: str, v: dict[str, Any], refs: Refs) -> Evidence:
    if v["kind"] != "measured":
        return Evidence(
            evidence_id,
            v["kind"],
            v["title"],
            url=v["url"],
            date=v["date"],
            claim=v["claim"],
            supports=v["supports"],
        )
    feature = refs.features.get(v["feature"])
    if feature is None:  # unavailable: its feature.yml is invalid, so it has no page
        return Evidence(
            evidence_id,
            "measured",
            v["title"],
            feature=v["feature"],
            quantity=v["quantity"],
            device=v["device"],
        )
    return Evidence(
        evidence_id,
        "measured",
        v["title"],
        feature=feature.id,
        quantity=v["quantity"],
        device=v["device"],
        page="features/" + feature.page_path,
    )
