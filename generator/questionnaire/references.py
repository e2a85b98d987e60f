"""The parts of docs/questionnaire.yml that refer to other parts, and its coverage.

Used by validation.py. The fields here read `Refs`, which notes each part of the file that
later parts may name as soon as it is checked: the tie band (for the confidence margins), the
questions and their options (for an effect's `when`, and for what a source `supports`), the
evidence (for what an effect cites). A measured evidence names a feature, and a quantity that
feature measures. An effect cites only sources that declare they support its outcome for one
of its answers (`Backed`), or says that its reason is our judgement. `coverage` checks the
file as a whole once every part is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import schema
from ..model import DEVICES, FRAMEWORK_LABELS, QUANTITIES, Feature
from ..schema import INVALID, QUOTE_HINT, Checker, Said, is_whole
from ..text import did_you_mean
from .rules import DONT_KNOW, KINDS, OUTCOMES, Question

KIND = schema.Field("one of " + ", ".join(KINDS))  # the source's OneOf has checked it already


@dataclass
class Refs:
    """What later parts of the file refer to, noted as the earlier parts are checked."""

    features: dict[str, Feature]
    unavailable: frozenset[str] = frozenset()  # features whose feature.yml is invalid
    tie_band: int = 0
    questions: dict[str, Question] = field(default_factory=dict)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # the usable entries
    evidence_keys: set[str] = field(default_factory=set)  # every key, broken entries too

    def note(self, name: str, value: Any, raw: Any) -> None:
        if value is INVALID:
            return
        if name == "tie_band":
            self.tie_band = value
        elif name == "questions":
            for question in value:
                self.questions.setdefault(question.id, question)
        elif name == "evidence":
            self.evidence, self.evidence_keys = value, {str(k) for k in raw}


class Measured(schema.Mapping):
    """Measured evidence: a feature of this site, one of its quantities, a device. Unusable
    (INVALID) when one of the three is wrong: there would be no numbers to find."""

    def __init__(self, refs: Refs) -> None:
        ids = sorted({*refs.features, *refs.unavailable})
        fields = {
            "kind": KIND,
            "title": schema.Text("a title"),
            "feature": schema.Choice(
                ids,
                "the id of a feature under snippets/ (" + ", ".join(ids) + ")",
                suggest=True,
                hint="Add the feature, or cite another.",
            ),
            "quantity": schema.Field("a quantity the feature measures, or one of its metrics"),
            "device": schema.Choice(DEVICES, required=False, default="cpu"),
        }
        super().__init__(fields, "a measured source")
        self.refs = refs

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        v = super().check(value, key, checker)
        if v["feature"] in self.refs.unavailable:
            return v  # its quantities cannot be known until its feature.yml is fixed
        feature = self.refs.features.get(v["feature"])
        if feature is None or v["quantity"] is INVALID:
            return INVALID
        quantities = [q for q in QUANTITIES if q != "output"] + [m.id for m in feature.metrics]
        expected = f"a quantity measured by '{feature.id}' (" + ", ".join(quantities) + ")"
        quantity = schema.Choice(quantities, expected).check(
            v["quantity"], f"{key}.quantity", checker
        )
        return v if schema.valid(quantity, v["device"]) else INVALID


class Confidence(schema.Mapping):
    """What a moderate and a strong recommendation need: a margin above the tie band, and at
    most so many single-answer changes that would change the result (a strong one no more than
    a moderate one)."""

    def __init__(self, refs: Refs) -> None:
        word = schema.Mapping(
            {
                "margin": schema.Whole("the smallest lead, in points", minimum=0),
                "flips": schema.Whole(
                    "the most single-answer changes that may change the result", minimum=0
                ),
            },
            "a mapping with 'margin' (points) and 'flips' (single-answer changes)",
        )
        super().__init__(
            {"moderate": word, "strong": word}, "a mapping with 'moderate' and 'strong'"
        )
        self.refs = refs

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        v = super().check(value, key, checker)
        if v is INVALID or not all(isinstance(v[w], dict) for w in ("moderate", "strong")):
            return INVALID
        moderate, strong = v["moderate"], v["strong"]
        if not schema.valid(*moderate.values(), *strong.values()):
            return INVALID
        tie_band = self.refs.tie_band
        if not tie_band < moderate["margin"] <= strong["margin"]:
            expected = f"margins with tie_band ({tie_band}) < moderate <= strong"
            checker.problem(key, expected, value)
            return INVALID
        if strong["flips"] > moderate["flips"]:
            expected = "no more flips for a strong recommendation than for a moderate one"
            checker.problem(key, expected, value)
            return INVALID
        return v


class Ref(schema.Field):
    """A value that names another part of the file."""

    def __init__(self, refs: Refs, expected: str) -> None:
        super().__init__(expected)
        self.refs = refs


class EvidenceId(Ref):
    """An evidence id an effect cites (a broken entry is reported once, under 'evidence')."""

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if isinstance(value, str) and value in self.refs.evidence_keys:
            return value
        hint = did_you_mean(value, self.refs.evidence)
        hint = hint or "Add the source under 'evidence', or remove the link."
        checker.problem(key, self.expected, value, hint)
        return INVALID


class MeasuredId(Ref):
    """The measured evidence whose numbers decide a measured effect."""

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        found = self.refs.evidence.get(value) if isinstance(value, str) else None
        if found is not None and found["kind"] == "measured":
            return value
        if found is None and isinstance(value, str) and value in self.refs.evidence_keys:
            return INVALID  # the evidence itself is broken, and reported
        measured = [e for e, v in self.refs.evidence.items() if v["kind"] == "measured"]
        expected = f"{self.expected} (" + ", ".join(measured) + ")"
        checker.problem(key, expected, value, did_you_mean(value, measured))
        return INVALID


class Supports(Ref):
    """What a documented or community source backs: outcome -> question id -> option id(s).
    An effect may cite the source only when its outcome is listed and one of its answers is
    listed under that outcome."""

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if not (isinstance(value, dict) and value):
            checker.problem(key, self.expected, value)
            return INVALID
        answers = When(self.refs, "a mapping of question id to an option id (or a list of them)")
        supports = {}
        for outcome, given in value.items():
            if outcome not in OUTCOMES:
                expected = "an outcome (" + ", ".join(OUTCOMES) + ")"
                checker.problem(
                    f"{key}.{outcome}", expected, outcome, did_you_mean(outcome, OUTCOMES)
                )
                continue
            when = answers.check(given, f"{key}.{outcome}", checker)
            if when is not INVALID:
                supports[outcome] = dict(when)
        return supports if len(supports) == len(value) else INVALID


class When(Ref):
    """Conditions on the answers, all of which must hold: question id -> option id(s)."""

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if not (isinstance(value, dict) and value):
            checker.problem(key, self.expected, value)
            return INVALID
        conditions = []
        known = list(self.refs.questions)
        for question_id, given in value.items():
            question = self.refs.questions.get(question_id)
            if question is None:
                expected = "a question id (" + ", ".join(known) + ")"
                hint = did_you_mean(question_id, known)
                checker.problem(f"{key}.{question_id}", expected, question_id, hint)
                continue
            options = [o.id for o in question.options]
            expected = f"an option of question '{question_id}' (" + ", ".join(options) + ")"
            given = given if isinstance(given, list) else [given]
            for option_id in given:
                if option_id not in options:
                    hint = QUOTE_HINT if isinstance(option_id, bool) else ""
                    hint = hint or did_you_mean(option_id, options)
                    checker.problem(f"{key}.{question_id}", expected, option_id, hint)
            conditions.append((question_id, tuple(str(o) for o in given)))
        if conditions and all(DONT_KNOW in options for _, options in conditions):
            checker.problem(
                key,
                "at least one condition on a real answer",
                value,
                f"'{DONT_KNOW}' must not count for or against anything on its own; it may only "
                "narrow an effect of another answer (e.g. which device's measurements apply).",
            )
            return INVALID
        return tuple(conditions)


def backed(
    refs: Refs, effect: dict[str, Any], raw: dict[str, Any], key: str, checker: Checker
) -> None:
    """An effect's reason is backed by what it cites, or marked as our judgement (not both).
    What it cites must declare that it supports the effect's outcome for one of its answers;
    a measured evidence backs only the effect it decides (`measured:`), and only with a
    measurable difference, so no effect may cite one beside its reason."""
    cited, judgement, to = (effect.get(k) for k in ("evidence", "judgement", "to"))
    when = effect["when"]  # both kinds of effect have one
    if judgement is INVALID or cited is INVALID:
        return
    if judgement and cited:
        checker.problem(
            f"{key}.judgement",
            "either evidence or `judgement: true`, not both",
            Said("both"),
            "A reason that a source backs is not only our judgement: remove one of the two.",
        )
        return
    if not judgement and "evidence" not in raw and "measured" not in raw:
        checker.problem(
            f"{key}.evidence",
            "a non-empty list of evidence ids, or `judgement: true` for a reason no source backs",
            Said("nothing"),
            "Cite the source that backs the reason, or mark the reason as our judgement.",
        )
        return
    for i, evidence_id in enumerate(cited or ()):
        source = refs.evidence.get(evidence_id)
        if source is None:
            continue  # a broken entry, reported under 'evidence'
        where = f"{key}.evidence[{i}]"
        if source["kind"] == "measured":
            checker.problem(
                where,
                "documented or community evidence",
                Said(f"the measured evidence '{evidence_id}'"),
                "A measurement backs only the effect it decides, and only when it shows a "
                f"difference: give it an effect of its own (`measured: {evidence_id}`).",
            )
            continue
        supports = source["supports"]
        if supports is INVALID or when is INVALID or to is INVALID:
            continue
        outcomes = [to] if to is not None else list(supports)  # a measured effect: any side
        if not any(
            set(options) & set(supports.get(outcome, {}).get(question, ()))
            for outcome in outcomes
            for question, options in when
        ):
            answers = "; ".join(f"{q}: {', '.join(o)}" for q, o in when)
            checker.problem(
                where,
                f"a source whose `supports` lists {to or 'an outcome'} for one of this effect's "
                f"answers ({answers})",
                Said(f"'{evidence_id}', which supports {supports_text(supports)}"),
                "Cite a source that backs this reason; add the answer to the source's "
                "`supports` only if the source truly backs it; or mark the reason "
                "`judgement: true` and cite nothing.",
            )


def supports_text(supports: dict[str, dict[str, tuple[str, ...]]]) -> str:
    return "; ".join(
        f"{outcome} for " + ", ".join(f"{q}: {'/'.join(o)}" for q, o in answers.items())
        for outcome, answers in supports.items()
    )


def coverage(
    refs: Refs, effects: Any, evidence: Any, checker: Checker, related: Any = None
) -> None:
    """Every answer does something (or says why not), every question can change a result,
    every outcome can win, and every source is cited. Read from the raw effects, so that a
    broken effect reported above does not also show up here as a missing one."""
    items = [e for e in effects if isinstance(e, dict)] if isinstance(effects, list) else []
    conditions = [raw_when(item) for item in items]
    mentioned = {(q, o) for when in conditions for q, options in when.items() for o in options}
    scoring = {
        q for i, when in zip(items, conditions, strict=True) if i.get("points") for q in when
    }
    for question in refs.questions.values():
        for option in question.scored_options:
            if option.neutral is None and (question.id, option.id) not in mentioned:
                checker.problem(
                    f"questions ({question.id}).options ({option.id})",
                    "an effect that mentions this option, or `neutral: <why it has no effect>`",
                    Said("no effect mentions it"),
                    "Add an effect for it, mark it neutral, or remove the option.",
                )
        if question.id not in scoring:
            checker.problem(
                f"questions ({question.id})",
                "at least one effect with points that mentions the question",
                Said("none: the question cannot change any outcome"),
                "Add an effect, or remove the question.",
            )
    winners = {
        str(item.get("to"))
        for item in items
        if is_whole(item.get("points")) and item["points"] > 0 and "measured" not in item
    }
    if any("measured" in item for item in items):
        winners |= set(FRAMEWORK_LABELS)  # a measurement favours PyTorch or TensorFlow
    for outcome in OUTCOMES:
        if outcome not in winners:
            checker.problem(
                "effects",
                f"at least one effect that gives points to '{outcome}'",
                Said("none: this outcome can never win"),
                "Add one, or the outcome can never be recommended.",
            )
    cited = {str(item.get("measured")) for item in items}
    for item in [*items, *(r for r in related or () if isinstance(r, dict))]:
        if isinstance(item.get("evidence"), list):
            cited |= {str(c) for c in item["evidence"]}
    for evidence_id in evidence if isinstance(evidence, dict) else ():
        if str(evidence_id) not in cited:
            checker.problem(
                f"evidence.{evidence_id}",
                "a source that an effect cites",
                Said("no effect cites it"),
                "Cite it from an effect, or remove it.",
            )


def raw_when(item: dict[str, Any]) -> dict[str, list[str]]:
    when = item.get("when")
    if not isinstance(when, dict):
        return {}
    return {str(q): [str(o) for o in (v if isinstance(v, list) else [v])] for q, v in when.items()}
