"""The framework-selection questionnaire: rules as data, validated, bound to measurements, scored.

The rules live in docs/questionnaire.yml (project content, like snippets/: its evidence links
name this project's features, and the page publishes the file beside itself). This module
loads and validates them, resolves the measured effects against results/, and holds the one
scoring engine: `evaluate`. docs/javascripts/questionnaire.js mirrors `evaluate` in the browser
over the JSON that `payload` puts on the page; a test compares the two over many answer sets.
`fieldguide ask` is `ask` below.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import html
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

import click
import yaml

from . import compare, store
from .errors import FieldGuideError, Problem, ValidationError
from .model import DEVICES, FRAMEWORK_LABELS, QUANTITIES, Feature, Project, RunResult

RULES_FILE = "questionnaire.yml"  # under docs/
PAGE_FILE = "_questionnaire.md"  # under docs/features/, inserted into docs/choose.md
PAGE_URL = "choose/"  # where docs/choose.md is served, for the share link `ask` prints
SCHEMA_VERSION = 1
OUTCOMES = ("pytorch", "tensorflow", "keras3")
EITHER = "either"
DONT_KNOW = "dont-know"
KINDS = ("measured", "documented", "community")
KIND_LABELS = {"measured": "Measured here", "documented": "Documented", "community": "Community"}
MAX_POINTS = 5
# A measured effect gets all its points when the confidence interval shows at least this factor.
LARGE_FACTOR = 2.0
# What "lower is better" means in words, per unit.
BETTER_WORDS = {"s": "faster", "bytes": "smaller", "lines": "shorter"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QUOTE_HINT = "Quote yes/no/on/off: YAML reads them as true/false."
URL_PATTERN = re.compile(r"^https://[^\s()<>\"'\\]+$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")

Answers = Mapping[str, tuple[str, ...]]  # question id -> chosen option ids (one for single)


# The rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    neutral: str | None = None  # why this option has no effect of its own


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    why: str
    multiple: bool
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def scored_options(self) -> tuple[Option, ...]:
        """The options that can change a score: all but 'don't know'."""
        return tuple(o for o in self.options if o.id != DONT_KNOW)


@dataclass(frozen=True)
class Outcome:
    id: str
    label: str
    summary: str


@dataclass(frozen=True)
class Measurement:
    """A measured PyTorch/TensorFlow comparison, as one measured effect uses it."""

    feature: str
    quantity: str
    label: str
    unit: str
    better: str
    device: str
    pytorch: float
    tensorflow: float
    ratio: compare.Ratio
    machine_id: str | None  # None for counts taken from the sources (lines of code)
    hardware: str
    date: str | None
    mode: str | None


@dataclass(frozen=True)
class Evidence:
    id: str
    kind: str
    title: str
    url: str | None = None
    date: str | None = None
    feature: str | None = None  # measured: the feature whose numbers are used
    quantity: str | None = None
    device: str = "cpu"
    page: str | None = None  # measured: the feature page, relative to docs/
    measurement: Measurement | None = None  # set by `resolve`
    detail: str | None = None  # set by `resolve`: where and when it was measured

    @property
    def badge(self) -> str:
        """The evidence grade, as the reader sees it."""
        if self.kind != "measured":
            return KIND_LABELS[self.kind]
        if self.measurement is None:
            return "Not measured yet"
        return "Counted here" if self.measurement.machine_id is None else "Measured here"


@dataclass(frozen=True)
class Effect:
    when: tuple[tuple[str, tuple[str, ...]], ...]  # (question id, option ids), all must match
    to: str | None  # None: a measured effect before `resolve`, or one without a verdict
    points: int
    reason: str
    evidence: tuple[str, ...]
    measured: str | None = None  # the measured evidence that decides `to` and `points`


@dataclass(frozen=True)
class Rules:
    source: str  # the rules file, as messages name it
    updated: str
    tie_band: int
    moderate: int
    strong: int
    outcomes: tuple[Outcome, ...]  # pytorch, tensorflow, keras3, either
    questions: tuple[Question, ...]
    effects: tuple[Effect, ...]
    evidence: Mapping[str, Evidence]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def outcome(self, outcome_id: str) -> Outcome:
        return next(o for o in self.outcomes if o.id == outcome_id)

    @property
    def version(self) -> str:
        """The rules version a share link carries: a digest of everything that can change a
        result, so new measurements change it only when they change a verdict's points."""
        scoring = {
            "questions": [[q.id, q.multiple, [o.id for o in q.options]] for q in self.questions],
            "effects": [[list(map(list, e.when)), e.to, e.points] for e in self.effects],
            "bands": [self.tie_band, self.moderate, self.strong],
        }
        text = json.dumps(scoring, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:8]


class RulesError(ValidationError):
    """All problems of the rules file, reported together."""

    def __init__(self, problems: list[Problem], source: str):
        super().__init__(
            problems, "questionnaire rules", f"Fix {source}, then run `fieldguide check` again."
        )


def rules_path(project: Project) -> Path:
    return project.docs / RULES_FILE


# Loading and validation ----------------------------------------------------------------------


def load_rules(project: Project, features: list[Feature]) -> Rules:
    """Parse and validate docs/questionnaire.yml; raises RulesError listing every problem."""
    path = rules_path(project)
    source = _display(path, project)
    if not path.is_file():
        raise FieldGuideError(
            f"{source}: no questionnaire rules file. Restore it from git "
            "(`git checkout -- docs/questionnaire.yml`), or run fieldguide from the project root."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark else "an unknown position"
        raise RulesError(
            [Problem(source, "(file)", "valid YAML", f"a syntax error at {at}", "Fix the syntax.")],
            source,
        ) from exc
    checker = _Checker(source, {f.id: f for f in features})
    rules = checker.rules(data)
    if checker.problems or rules is None:
        raise RulesError(checker.problems, source)
    return rules


class _Said(str):
    """A description of what was found, shown as is rather than as a value."""


class _Checker:
    """Validates the parsed YAML into Rules, collecting every problem instead of stopping."""

    TOP_KEYS: tuple[str, ...] = (
        "schema",
        "updated",
        "tie_band",
        "confidence",
        "outcomes",
        "questions",
        "evidence",
        "effects",
    )

    def __init__(self, source: str, features: dict[str, Feature]):
        self.source = source
        self.features = features
        self.problems: list[Problem] = []
        self.evidence_ids: set[str] = set()

    def problem(self, key: str, expected: str, found: Any, hint: str = "") -> None:
        shown = found if isinstance(found, _Said) else repr(found)
        self.problems.append(Problem(self.source, key, expected, shown, hint))

    def rules(self, data: Any) -> Rules | None:
        if not isinstance(data, dict):
            self.problem("(file)", "a mapping with the keys " + ", ".join(self.TOP_KEYS), data)
            return None
        self.keys(data, "", self.TOP_KEYS, self.TOP_KEYS)
        if data.get("schema") != SCHEMA_VERSION:
            self.problem(
                "schema",
                str(SCHEMA_VERSION),
                data.get("schema"),
                "This file was written for another version of fieldguide.",
            )
        updated = _date_text(data.get("updated"))
        if updated is None:
            self.problem(
                "updated", "the date the rules were last reviewed (YYYY-MM-DD)", data.get("updated")
            )
        tie_band, moderate, strong = self.bands(data)
        outcomes = self.outcomes(data.get("outcomes"))
        questions = self.questions(data.get("questions"))
        evidence = self.evidence(data.get("evidence"))
        effects = self.effects(data.get("effects"), questions, evidence)
        self.coverage(questions, data.get("effects"), data.get("evidence"))
        if self.problems:
            return None
        return Rules(
            source=self.source,
            updated=updated or "",
            tie_band=tie_band,
            moderate=moderate,
            strong=strong,
            outcomes=tuple(outcomes),
            questions=tuple(questions),
            effects=tuple(effects),
            evidence=evidence,
        )

    def keys(self, data: dict, prefix: str, allowed: tuple, required: tuple) -> None:
        for name in data:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1)
                self.problem(
                    prefix + str(name),
                    "one of the known keys (" + ", ".join(allowed) + ")",
                    _Said("an unknown key"),
                    f"Did you mean '{close[0]}'?" if close else "Remove it.",
                )
        for name in required:
            if name not in data:
                self.problem(
                    prefix + name, f"a value for '{name}'", _Said("nothing"), "Add the key."
                )

    def text(self, data: dict, key: str, prefix: str, expected: str) -> str:
        value = data.get(key)
        if key in data and not (isinstance(value, str) and value.strip()):
            self.problem(prefix + key, expected, value)
            return ""
        return " ".join(str(value or "").split())

    def bands(self, data: dict) -> tuple[int, int, int]:
        tie_band = data.get("tie_band")
        if not (_whole(tie_band) and tie_band >= 0):
            self.problem("tie_band", "a whole number of points >= 0", tie_band)
            tie_band = 0
        confidence = data.get("confidence")
        if not isinstance(confidence, dict):
            self.problem("confidence", "a mapping with 'moderate' and 'strong' margins", confidence)
            return tie_band, 1, 1
        self.keys(confidence, "confidence.", ("moderate", "strong"), ("moderate", "strong"))
        moderate, strong = confidence.get("moderate"), confidence.get("strong")
        if not (_whole(moderate) and _whole(strong) and tie_band < moderate <= strong):
            self.problem(
                "confidence",
                f"whole numbers with tie_band ({tie_band}) < moderate <= strong",
                confidence,
            )
            return tie_band, tie_band + 1, tie_band + 1
        return tie_band, moderate, strong

    def outcomes(self, data: Any) -> list[Outcome]:
        wanted = (*OUTCOMES, EITHER)
        if not isinstance(data, dict):
            self.problem("outcomes", "a mapping of " + ", ".join(wanted), data)
            return [Outcome(o, o, "") for o in wanted]
        self.keys(data, "outcomes.", wanted, wanted)
        outcomes = []
        for outcome_id in wanted:
            item = data.get(outcome_id)
            if outcome_id in data and not isinstance(item, dict):
                self.problem(f"outcomes.{outcome_id}", "a mapping with label and summary", item)
            item = item if isinstance(item, dict) else {}
            prefix = f"outcomes.{outcome_id}."
            if outcome_id in data:
                self.keys(item, prefix, ("label", "summary"), ("label", "summary"))
            outcomes.append(
                Outcome(
                    outcome_id,
                    self.text(item, "label", prefix, "a short label") or outcome_id,
                    self.text(item, "summary", prefix, "one or two sentences"),
                )
            )
        return outcomes

    def questions(self, data: Any) -> list[Question]:
        if not isinstance(data, list) or not data:
            self.problem("questions", "a non-empty list of questions", data)
            return []
        questions: list[Question] = []
        for i, item in enumerate(data):
            key = f"questions[{i}]"
            if not isinstance(item, dict):
                self.problem(key, "a mapping (id, text, why, type, options)", item)
                continue
            allowed = ("id", "text", "why", "type", "options")
            self.keys(item, key + ".", allowed, allowed)
            question_id = item.get("id")
            if not _identifier(question_id):
                self.problem(key + ".id", "lowercase words joined by '-'", question_id)
                continue
            key = f"questions[{i}] ({question_id})"
            if any(q.id == question_id for q in questions):
                self.problem(key + ".id", "an id no other question has", question_id)
            if item.get("type") not in ("single", "multi"):
                self.problem(
                    key + ".type",
                    "'single' (radio buttons) or 'multi' (checkboxes)",
                    item.get("type"),
                )
            questions.append(
                Question(
                    question_id,
                    self.text(item, "text", key + ".", "the question, as the reader sees it"),
                    self.text(item, "why", key + ".", "one sentence on why it is asked"),
                    item.get("type") == "multi",
                    tuple(self.options(item.get("options"), key + ".options")),
                )
            )
        return questions

    def options(self, data: Any, key: str) -> list[Option]:
        if not isinstance(data, list) or len(data) < 2:
            self.problem(key, "a list of at least two options", data)
            return []
        options: list[Option] = []
        for i, item in enumerate(data):
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                self.problem(where, "a mapping (id, label, and optionally neutral)", item)
                continue
            self.keys(item, where + ".", ("id", "label", "neutral"), ("id", "label"))
            option_id = item.get("id")
            if not _identifier(option_id):
                hint = QUOTE_HINT if isinstance(option_id, bool) else ""
                self.problem(where + ".id", "lowercase words joined by '-'", option_id, hint)
                continue
            if any(o.id == option_id for o in options):
                self.problem(where + ".id", "an id no other option of this question has", option_id)
            neutral = self.text(item, "neutral", where + ".", "why this option has no effect")
            options.append(
                Option(option_id, self.text(item, "label", where + ".", "a label"), neutral or None)
            )
        if options and not any(o.id == DONT_KNOW for o in options):
            self.problem(
                key,
                f"an option with id '{DONT_KNOW}' (label: Don't know / doesn't matter)",
                _Said("none"),
                "Every question lets the reader skip it.",
            )
        return options

    def evidence(self, data: Any) -> dict[str, Evidence]:
        if not isinstance(data, dict):
            self.problem("evidence", "a mapping of evidence id to its source", data)
            return {}
        self.evidence_ids = {str(e) for e in data}  # broken ones too: reported once, here
        evidence = {}
        for evidence_id, item in data.items():
            key = f"evidence.{evidence_id}"
            if not _identifier(evidence_id):
                self.problem(key, "an id of lowercase words joined by '-'", evidence_id)
                continue
            if not isinstance(item, dict):
                self.problem(key, "a mapping (kind, title, ...)", item)
                continue
            kind = item.get("kind")
            if kind == "measured":
                allowed: tuple = ("kind", "title", "feature", "quantity", "device")
                self.keys(item, key + ".", allowed, ("kind", "title", "feature", "quantity"))
                found = self.measured(item, key)
                if found is None:
                    continue
                feature, quantity, device = found
                section = "-".join(re.findall(r"[a-z0-9]+", feature.section.lower()))
                evidence[evidence_id] = Evidence(
                    evidence_id,
                    kind,
                    self.text(item, "title", key + ".", "a title"),
                    feature=feature.id,
                    quantity=quantity,
                    device=device,
                    page=f"features/{section}/{feature.id}.md",
                )
                continue
            if kind not in KINDS:
                self.problem(key + ".kind", "one of " + ", ".join(KINDS), kind)
                continue
            allowed = ("kind", "title", "url", "date")
            self.keys(item, key + ".", allowed, allowed)
            url, date = item.get("url"), _date_text(item.get("date"))
            if "url" in item and not (isinstance(url, str) and URL_PATTERN.match(url)):
                self.problem(key + ".url", "a link starting with https:// (no spaces)", url)
            if "date" in item and date is None:
                self.problem(
                    key + ".date",
                    "the source's date, or the month it was checked (YYYY-MM or YYYY-MM-DD)",
                    item.get("date"),
                )
            evidence[evidence_id] = Evidence(
                evidence_id,
                kind,
                self.text(item, "title", key + ".", "a title"),
                url=url if isinstance(url, str) else None,
                date=date,
            )
        return evidence

    def measured(self, item: dict, key: str) -> tuple[Feature, str, str] | None:
        feature = self.features.get(item.get("feature"))  # type: ignore[arg-type]
        if feature is None:
            close = difflib.get_close_matches(str(item.get("feature")), list(self.features), n=1)
            self.problem(
                key + ".feature",
                "the id of a feature under snippets/ (" + ", ".join(sorted(self.features)) + ")",
                item.get("feature"),
                f"Did you mean '{close[0]}'?" if close else "Add the feature, or cite another.",
            )
            return None
        quantities = [q for q in QUANTITIES if q != "output"] + [m.id for m in feature.metrics]
        quantity = item.get("quantity")
        if quantity not in quantities:
            self.problem(
                key + ".quantity",
                f"a quantity measured by '{feature.id}' (" + ", ".join(quantities) + ")",
                quantity,
            )
            return None
        device = item.get("device", "cpu")
        if device not in DEVICES:
            self.problem(key + ".device", "one of " + ", ".join(DEVICES), device)
            return None
        return feature, quantity, device

    def effects(
        self, data: Any, questions: list[Question], evidence: dict[str, Evidence]
    ) -> list[Effect]:
        if not isinstance(data, list) or not data:
            self.problem("effects", "a non-empty list of effects", data)
            return []
        effects = []
        for i, item in enumerate(data):
            key = f"effects[{i}]"
            if not isinstance(item, dict):
                self.problem(key, "a mapping (when, to, points, reason, evidence)", item)
                continue
            before = len(self.problems)
            measured = item.get("measured")
            if "measured" in item:
                allowed: tuple = ("when", "measured", "points", "reason", "evidence")
                self.keys(item, key + ".", allowed, ("when", "measured", "points", "reason"))
                target = evidence.get(measured)  # type: ignore[arg-type]
                if target is None and measured in self.evidence_ids:
                    pass  # the evidence itself is broken, and reported
                elif target is None or target.kind != "measured":
                    measured_ids = [e for e, v in evidence.items() if v.kind == "measured"]
                    self.problem(
                        key + ".measured",
                        "the id of a measured evidence (" + ", ".join(measured_ids) + ")",
                        measured,
                        self.did_you_mean(measured, measured_ids),
                    )
                points = item.get("points")
                if not (_whole(points) and 0 < points <= MAX_POINTS):
                    self.problem(
                        key + ".points",
                        f"the most points the measurement can give, 1 to {MAX_POINTS}",
                        points,
                    )
            else:
                allowed = ("when", "to", "points", "reason", "evidence")
                self.keys(item, key + ".", allowed, allowed)
                to = item.get("to")
                if "to" in item and to not in OUTCOMES:
                    self.problem(
                        key + ".to",
                        "an outcome: " + ", ".join(OUTCOMES),
                        to,
                        self.did_you_mean(to, OUTCOMES)
                        or "'Either' is not a target: it is the result of a tie.",
                    )
                points = item.get("points")
                if "points" in item and not (
                    _whole(points) and points != 0 and abs(points) <= MAX_POINTS
                ):
                    self.problem(
                        key + ".points",
                        f"a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0",
                        points,
                    )
            when = self.when(item.get("when"), key + ".when", questions)
            cited = item.get("evidence", [])
            if not isinstance(cited, list) or ("measured" not in item and not cited):
                self.problem(key + ".evidence", "a non-empty list of evidence ids", cited)
                cited = []
            for j, evidence_id in enumerate(cited):
                if evidence_id not in self.evidence_ids:
                    self.problem(
                        f"{key}.evidence[{j}]",
                        "the id of an entry under 'evidence'",
                        evidence_id,
                        self.did_you_mean(evidence_id, list(evidence))
                        or "Add the source under 'evidence', or remove the link.",
                    )
            reason = self.text(item, "reason", key + ".", "one sentence the reader sees")
            if len(self.problems) == before:
                effects.append(
                    Effect(
                        when=when,
                        to=None if measured else item["to"],
                        points=item["points"],
                        reason=reason,
                        evidence=tuple(cited) if not measured else (measured, *cited),
                        measured=measured,
                    )
                )
        return effects

    def when(
        self, data: Any, key: str, questions: list[Question]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(data, dict) or not data:
            self.problem(key, "a mapping of question id to an option id (or a list of them)", data)
            return ()
        conditions = []
        known = [q.id for q in questions]
        for question_id, value in data.items():
            question = next((q for q in questions if q.id == question_id), None)
            if question is None:
                self.problem(
                    f"{key}.{question_id}",
                    "a question id (" + ", ".join(known) + ")",
                    question_id,
                    self.did_you_mean(question_id, known),
                )
                continue
            values = value if isinstance(value, list) else [value]
            options = [o.id for o in question.options]
            for option_id in values:
                if option_id not in options:
                    hint = self.did_you_mean(option_id, options)
                    if isinstance(option_id, bool):
                        hint = QUOTE_HINT
                    self.problem(
                        f"{key}.{question_id}",
                        f"an option of question '{question_id}' (" + ", ".join(options) + ")",
                        option_id,
                        hint,
                    )
            conditions.append((question_id, tuple(str(v) for v in values)))
        if conditions and all(DONT_KNOW in options for _, options in conditions):
            self.problem(
                key,
                "at least one condition on a real answer",
                data,
                f"'{DONT_KNOW}' must not count for or against anything on its own; it may only "
                "narrow an effect of another answer (e.g. which device's measurements apply).",
            )
        return tuple(conditions)

    def coverage(self, questions: list[Question], effects: Any, evidence: Any) -> None:
        """Every answer does something (or says why not), every question can change a result,
        every outcome can win, and every source is cited. Read from the raw effects, so that a
        broken effect reported above does not also show up here as a missing one."""
        items = [e for e in effects if isinstance(e, dict)] if isinstance(effects, list) else []
        conditions = [_raw_when(item) for item in items]
        mentioned = {(q, o) for when in conditions for q, options in when.items() for o in options}
        scoring = {
            q
            for item, when in zip(items, conditions, strict=True)
            for q in when
            if item.get("points")
        }
        for question in questions:
            for option in question.scored_options:
                if option.neutral is None and (question.id, option.id) not in mentioned:
                    self.problem(
                        f"questions ({question.id}).options ({option.id})",
                        "an effect that mentions this option, or `neutral: <why it has no effect>`",
                        _Said("no effect mentions it"),
                        "Add an effect for it, mark it neutral, or remove the option.",
                    )
            if question.id not in scoring:
                self.problem(
                    f"questions ({question.id})",
                    "at least one effect with points that mentions the question",
                    _Said("none: the question cannot change any outcome"),
                    "Add an effect, or remove the question.",
                )
        winners = {
            str(item.get("to"))
            for item in items
            if _whole(item.get("points")) and item["points"] > 0 and "measured" not in item
        }
        if any("measured" in item for item in items):
            winners |= set(FRAMEWORK_LABELS)  # a measurement favours PyTorch or TensorFlow
        for outcome in OUTCOMES:
            if outcome not in winners:
                self.problem(
                    "effects",
                    f"at least one effect that gives points to '{outcome}'",
                    _Said("none: this outcome can never win"),
                    "Add one, or the outcome can never be recommended.",
                )
        cited = {str(item.get("measured")) for item in items}
        for item in items:
            if isinstance(item.get("evidence"), list):
                cited |= {str(c) for c in item["evidence"]}
        for evidence_id in evidence if isinstance(evidence, dict) else ():
            if str(evidence_id) not in cited:
                self.problem(
                    f"evidence.{evidence_id}",
                    "a source that an effect cites",
                    _Said("no effect cites it"),
                    "Cite it from an effect, or remove it.",
                )

    @staticmethod
    def did_you_mean(value: Any, choices: Any) -> str:
        close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
        return f"Did you mean '{close[0]}'?" if close else ""


def _raw_when(item: dict) -> dict[str, list[str]]:
    when = item.get("when")
    if not isinstance(when, dict):
        return {}
    return {str(q): [str(o) for o in (v if isinstance(v, list) else [v])] for q, v in when.items()}


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _identifier(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def _date_text(value: Any) -> str | None:
    if isinstance(value, datetime.date):  # YAML reads 2026-11-25 as a date
        return value.isoformat()
    if isinstance(value, str) and DATE_PATTERN.match(value):
        return value
    return None


def _display(path: Path, project: Project) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return str(path)


# Binding the measured effects to results -----------------------------------------------------


def resolve(rules: Rules, project: Project, features: list[Feature], machine_id: str) -> Rules:
    """Rules whose measured effects carry the outcome and points that the measurements give.

    CPU evidence comes from `machine_id` (the machine whose pages are rendered); evidence for
    another device comes from that machine if it measured on it, else from the machine that
    measured it most recently. Without a result the effect gives no points and says so.
    """
    by_id = {f.id: f for f in features}
    evidence = dict(rules.evidence)
    for evidence_id, item in rules.evidence.items():
        if item.kind != "measured":
            continue
        feature = by_id[item.feature or ""]
        measurement = _measure(feature, item, project, machine_id)
        evidence[evidence_id] = replace(
            item,
            measurement=measurement,
            date=measurement.date if measurement else None,
            detail=_measurement_detail(measurement, item),
        )
    effects = tuple(
        _resolved_effect(e, evidence[e.measured]) if e.measured else e for e in rules.effects
    )
    return replace(rules, evidence=evidence, effects=effects)


def _measure(
    feature: Feature, item: Evidence, project: Project, machine_id: str
) -> Measurement | None:
    quantity = item.quantity or ""
    if quantity == "loc":
        return _lines_of_code(feature)
    machines = [machine_id]
    if project.results.is_dir():
        machines += sorted(
            p.name for p in project.results.iterdir() if p.is_dir() and p.name != machine_id
        )
    found: list[tuple[str, str, RunResult, RunResult]] = []
    for machine in machines:
        results = store.Store(project.results, machine)
        try:
            pair = results.load(feature.id, "pytorch"), results.load(feature.id, "tensorflow")
        except FieldGuideError:
            if machine == machine_id:
                raise
            continue  # another machine's unreadable file is that machine's problem
        pytorch, tensorflow = pair
        if not (pytorch and tensorflow and pytorch.ok and tensorflow.ok):
            continue
        if pytorch.device != item.device or tensorflow.device != item.device:
            continue
        found.append((max(pytorch.created, tensorflow.created), machine, pytorch, tensorflow))
        if machine == machine_id:
            break
    if not found:
        return None
    # This build's machine when it measured the device, else the most recent measurement.
    created, machine, pytorch, tensorflow = (
        found[-1] if found[-1][1] == machine_id else max(found, key=lambda f: (f[0], f[1]))
    )
    groups = compare.per_process(pytorch, quantity), compare.per_process(tensorflow, quantity)
    ratio = compare.ratio(*groups)
    summaries = compare.summarize(groups[0]), compare.summarize(groups[1])
    if ratio is None or summaries[0] is None or summaries[1] is None:
        return None
    metric = feature.metric(quantity)
    label, unit = compare.QUANTITY_LABELS.get(quantity, ("", ""))
    if metric:
        label, unit = metric.label, metric.unit
    m = pytorch.machine
    gpus = ", ".join(g["name"] for g in m.get("gpus", []))
    hardware = f"{m['cpu_model']}, {m['logical_cores']} logical cores" + (
        f", {gpus}" if gpus else ""
    )
    return Measurement(
        feature=feature.id,
        quantity=quantity,
        label=label,
        unit=unit,
        better=metric.better if metric else "lower",
        device=item.device,
        pytorch=summaries[0].median,
        tensorflow=summaries[1].median,
        ratio=ratio,
        machine_id=machine,
        hardware=hardware,
        date=created[:10],
        mode=pytorch.protocol.mode,
    )


def _lines_of_code(feature: Feature) -> Measurement | None:
    from .render import logical_lines  # render imports this module

    counts = []
    for framework in ("pytorch", "tensorflow"):
        path = feature.snippet_path(framework)
        if not path.is_file():
            return None
        counts.append(logical_lines(path.read_text(encoding="utf-8")))
    if not all(counts):
        return None
    value = counts[0] / counts[1]
    verdict = "same" if counts[0] == counts[1] else "pytorch" if value < 1 else "tensorflow"
    return Measurement(
        feature=feature.id,
        quantity="loc",
        label="Lines of code (logical, without imports)",
        unit="lines",
        better="lower",
        device="any",
        pytorch=float(counts[0]),
        tensorflow=float(counts[1]),
        ratio=compare.Ratio(value, value, value, verdict),
        machine_id=None,
        hardware="counted in the snippets",
        date=None,
        mode=None,
    )


def _measurement_detail(measurement: Measurement | None, item: Evidence) -> str:
    device = "an NVIDIA GPU" if item.device == "cuda" else "a CPU"
    if measurement is None:
        return f"Not measured yet on {device}."
    if measurement.machine_id is None:
        return "Counted in the snippets of this site."
    mode = " (quick mode: few samples)" if measurement.mode == "quick" else ""
    return (
        f"Measured on {measurement.hardware} (machine {measurement.machine_id}, device "
        f"{measurement.device}){mode}, {measurement.date}."
    )


def _resolved_effect(effect: Effect, evidence: Evidence) -> Effect:
    """The outcome and points a measurement gives, and the sentence that says why."""
    from .render import format_ratio, format_value  # render imports this module

    m = evidence.measurement
    if m is None:
        device = "an NVIDIA GPU" if evidence.device == "cuda" else "a CPU"
        return replace(
            effect,
            to=None,
            points=0,
            reason=f"{effect.reason} {evidence.title}: not measured yet on {device} on this "
            "site, so this answer adds no points.",
        )
    values = (
        f"{m.label}: PyTorch {format_value(m.pytorch, m.unit)}, "
        f"TensorFlow {format_value(m.tensorflow, m.unit)}"
    )
    ratio = f"PyTorch ÷ TensorFlow {format_ratio(m.ratio)}"
    if m.ratio.ci_low != m.ratio.ci_high:
        ratio = ratio.replace(" (", " (95% CI ")
    verdict = m.ratio.verdict
    if verdict in ("same", "unknown"):
        why = "no measurable difference" if verdict == "same" else "too few samples to tell"
        return replace(
            effect,
            to=None,
            points=0,
            reason=f"{effect.reason} {values}; {ratio}: {why}, so no points.",
        )
    lower = verdict
    winner = lower if m.better == "lower" else ("tensorflow" if lower == "pytorch" else "pytorch")
    near = 1 / m.ratio.ci_high if lower == "pytorch" else m.ratio.ci_low  # the cautious factor
    factor = 1 / m.ratio.value if lower == "pytorch" else m.ratio.value
    # A ratio is undefined when one side is zero (a count): the order alone is then decisive.
    large = not math.isfinite(near) or near >= LARGE_FACTOR
    points = effect.points if large else max(1, effect.points // 2)
    word = BETTER_WORDS.get(m.unit, "lower") if m.better == "lower" else "higher"
    size = f"{factor:.3g}× {word}" if math.isfinite(factor) else word
    plural = "s" if points != 1 else ""
    return replace(
        effect,
        to=winner,
        points=points,
        reason=f"{effect.reason} {values}; {ratio}: {FRAMEWORK_LABELS[winner]} is {size}, "
        f"so {points} point{plural} to {FRAMEWORK_LABELS[winner]}.",
    )


# Scoring: the one engine ---------------------------------------------------------------------


@dataclass(frozen=True)
class Flip:
    """One change of a single answer that would change the result."""

    question: str
    option: str
    change: str  # "choose" (single), "add" or "remove" (multi)
    outcome: str


@dataclass(frozen=True)
class Result:
    outcome: str  # an outcome id, or "either"
    candidates: tuple[str, ...]  # the outcomes within the tie band of the leader
    leader: str  # the outcome with most points (ties: the first in rules order)
    scores: dict[str, int]
    margin: int  # leader's points minus the runner-up's
    confidence: str  # "strong", "moderate", "weak", or "tie" for Either
    reasons_for: tuple[int, ...]  # effect indexes that favour the leader
    reasons_against: tuple[int, ...]  # effect indexes that favour another outcome
    neutral: tuple[int, ...]  # effects that matched but give no points (e.g. no difference)
    flips: tuple[Flip, ...]

    def as_json(self) -> dict[str, Any]:
        """The shape the browser engine returns, for the parity test."""
        return {
            "outcome": self.outcome,
            "candidates": list(self.candidates),
            "leader": self.leader,
            "scores": dict(self.scores),
            "margin": self.margin,
            "confidence": self.confidence,
            "for": list(self.reasons_for),
            "against": list(self.reasons_against),
            "neutral": list(self.neutral),
            "flips": [[f.question, f.option, f.change, f.outcome] for f in self.flips],
        }


def evaluate(rules: Rules, answers: Answers) -> Result:
    """Score the answers. Unanswered questions count as "Don't know"."""
    fired = _fired(rules, answers)
    scores, leader, ranked = _rank(rules, fired)
    margin = scores[ranked[0]] - scores[ranked[1]]
    candidates = tuple(o for o in ranked if scores[leader] - scores[o] <= rules.tie_band)
    if margin <= rules.tie_band:
        outcome, confidence = EITHER, "tie"
    else:
        outcome = leader
        confidence = (
            "strong"
            if margin >= rules.strong
            else "moderate"
            if margin >= rules.moderate
            else "weak"
        )
        candidates = (leader,)
    order = sorted(fired, key=lambda i: (-abs(rules.effects[i].points), i))
    favours = [i for i in order if rules.effects[i].points]
    reasons_for = tuple(
        i for i in favours if (rules.effects[i].to == leader) == (rules.effects[i].points > 0)
    )
    return Result(
        outcome=outcome,
        candidates=candidates,
        leader=leader,
        scores=scores,
        margin=margin,
        confidence=confidence,
        reasons_for=reasons_for,
        reasons_against=tuple(i for i in favours if i not in reasons_for),
        neutral=tuple(i for i in order if not rules.effects[i].points),
        flips=tuple(_flips(rules, answers, outcome)),
    )


def _fired(rules: Rules, answers: Answers) -> list[int]:
    return [
        i
        for i, effect in enumerate(rules.effects)
        if all(any(o in _chosen(answers, q) for o in options) for q, options in effect.when)
    ]


def _chosen(answers: Answers, question_id: str) -> tuple[str, ...]:
    """The answer to a question; unanswered is "Don't know"."""
    return answers.get(question_id) or (DONT_KNOW,)


def _rank(rules: Rules, fired: list[int]) -> tuple[dict[str, int], str, list[str]]:
    scores = dict.fromkeys(OUTCOMES, 0)
    for i in fired:
        effect = rules.effects[i]
        if effect.to is not None:
            scores[effect.to] += effect.points
    ranked = sorted(OUTCOMES, key=lambda o: (-scores[o], OUTCOMES.index(o)))
    return scores, ranked[0], ranked


def outcome_of(rules: Rules, answers: Answers) -> str:
    """Only the outcome (no reasons, no flips): what `_flips` needs, fast."""
    scores, leader, ranked = _rank(rules, _fired(rules, answers))
    return EITHER if scores[leader] - scores[ranked[1]] <= rules.tie_band else leader


def _flips(rules: Rules, answers: Answers, current: str) -> list[Flip]:
    flips = []
    for question in rules.questions:
        chosen = answers.get(question.id, ())
        for option in question.scored_options:
            if question.multiple:
                change = "remove" if option.id in chosen else "add"
                values = (
                    tuple(o for o in chosen if o != option.id)
                    if change == "remove"
                    else (*chosen, option.id)
                )
            elif option.id in chosen:
                continue
            else:
                change, values = "choose", (option.id,)
            outcome = outcome_of(rules, {**answers, question.id: values})
            if outcome != current:
                flips.append(Flip(question.id, option.id, change, outcome))
    return flips


# Answers: from the command line, and as the query string the page uses ---------------------


def parse_answers(rules: Rules, text: str) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """`id=value,id=value2` (or a pasted query string: `&` works too; a multiple-choice
    question takes `id=a,b` or `id=a+b`). Returns the answers and the `rv` given, if any.
    Unlike the page, which ignores junk in a link, a typo here is an error."""
    answers: dict[str, list[str]] = {}
    version = None
    problems = []
    current: str | None = None
    for token in re.split(r"[,&\s]+", text.strip()):
        if not token:
            continue
        if "=" in token:
            current, value = (part.strip() for part in token.split("=", 1))
            if current == "rv":
                version, current = value, None
                continue
            if rules.question(current) is None:
                known = [q.id for q in rules.questions]
                problems.append(
                    f"No question '{current}'. "
                    + (_Checker.did_you_mean(current, known) or "Questions: " + ", ".join(known))
                )
                current = None
                continue
            answers.setdefault(current, [])
        elif current is None:
            problems.append(f"'{token}' is not of the form question=answer.")
            continue
        else:
            value = token
        if current is None:
            continue
        question = rules.question(current)
        assert question is not None
        for option_id in value.split("+"):
            if question.option(option_id) is None:
                options = [o.id for o in question.options]
                problems.append(
                    f"Question '{current}' has no answer '{option_id}'. "
                    f"{_Checker.did_you_mean(option_id, options)} "
                    f"Answers: {', '.join(options)}."
                )
            elif option_id not in answers[current]:
                answers[current].append(option_id)
    for question_id, values in answers.items():
        question = rules.question(question_id)
        if question and not question.multiple and len(values) > 1:
            problems.append(f"Question '{question_id}' takes one answer; got {', '.join(values)}.")
    if problems:
        raise FieldGuideError(
            "\n".join(problems) + "\nRun `fieldguide ask` without --answers to be asked instead."
        )
    return {q: tuple(v) for q, v in answers.items()}, version


def query_string(rules: Rules, answers: Answers) -> str:
    """The page's share-link query: question ids in rules order, `rv` last."""
    parts = []
    for question in rules.questions:
        values = [o.id for o in question.options if o.id in answers.get(question.id, ())]
        if values and values != [DONT_KNOW]:
            parts.append(f"{question.id}={','.join(values)}")
    parts.append(f"rv={rules.version}")
    return "?" + "&".join(parts)


# The page ------------------------------------------------------------------------------------


def payload(rules: Rules) -> dict[str, Any]:
    """Everything the browser engine needs, as JSON data on the page."""
    return {
        "rv": rules.version,
        "updated": rules.updated,
        "tie_band": rules.tie_band,
        "confidence": {"moderate": rules.moderate, "strong": rules.strong},
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
            }
            for e in rules.effects
        ],
        "evidence": {
            e.id: {"badge": e.badge, "title": e.title, "date": e.date, "detail": e.detail}
            for e in rules.evidence.values()
        },
    }


@dataclass(frozen=True)
class TableRow:
    """One line of the static "how each answer affects the result" table."""

    answer: str
    effect: str
    reason: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class PageContext:
    rules: Rules
    data: str  # the payload as JSON, escaped for an HTML attribute
    tables: tuple[tuple[Question, tuple[TableRow, ...]], ...]
    evidence: tuple[Evidence, ...]  # in the order the page lists the sources


def render_files(
    project: Project, features: list[Feature], results: store.Store, env: Any
) -> dict[str, bytes]:
    """The questionnaire for docs/features/ (empty when the project has no rules file)."""
    if not rules_path(project).is_file():
        return {}
    rules = resolve(load_rules(project, features), project, features, results.machine_id)
    data = json.dumps(payload(rules), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    context = PageContext(
        rules=rules,
        data=html.escape(data, quote=True),
        tables=tuple((q, tuple(_table_rows(rules, q))) for q in rules.questions),
        evidence=tuple(
            sorted(rules.evidence.values(), key=lambda e: (KINDS.index(e.kind), e.title))
        ),
    )
    env.filters["link_text"] = link_text
    text = env.get_template("pages/questionnaire.md.j2").render(page=context)
    return {PAGE_FILE: text.encode("utf-8")}


def link_text(text: str) -> str:
    """Text made safe for the text of one Markdown link."""
    return re.sub(r"([\\`*_\[\]<|])", r"\\\1", " ".join(str(text).split()))


def _table_rows(rules: Rules, question: Question) -> list[TableRow]:
    """Each effect is listed under the first question it names, in option order."""
    rows = []
    for option in question.options:
        matching = [
            e for e in rules.effects if e.when[0][0] == question.id and option.id in e.when[0][1]
        ]
        for effect in matching:
            also = [
                f"{_question_text(rules, q)} {' or '.join(_label(rules, q, o) for o in options)}"
                for q, options in effect.when[1:]
            ]
            answer = option.label + "".join(f", and: {a}" for a in also)
            rows.append(
                TableRow(
                    answer,
                    _points_text(rules, effect),
                    effect.reason,
                    tuple(rules.evidence[e] for e in effect.evidence),
                )
            )
        if not matching and (option.neutral or option.id == DONT_KNOW):
            rows.append(TableRow(option.label, "none", option.neutral or "Counts for nothing.", ()))
        elif option.neutral:
            rows.append(TableRow(option.label, "none on its own", option.neutral, ()))
    return rows


def _points_text(rules: Rules, effect: Effect) -> str:
    if effect.to is None:
        return "0 (measured)" if effect.measured else "0"
    text = f"{effect.points:+d} {rules.outcome(effect.to).label}"
    return text + " (measured)" if effect.measured else text


def _question_text(rules: Rules, question_id: str) -> str:
    question = rules.question(question_id)
    return question.text if question else question_id


def _label(rules: Rules, question_id: str, option_id: str) -> str:
    question = rules.question(question_id)
    option = question.option(option_id) if question else None
    return option.label if option else option_id


# `fieldguide ask` ----------------------------------------------------------------------------


def ask(
    project: Project,
    answers_text: str | None,
    machine_id: str | None = None,
    prompt: Callable[..., Any] = click.prompt,
) -> str:
    """Answer the questionnaire (from `answers_text`, or by prompting) and explain the result."""
    from .discover import discover
    from .environment import current_machine

    features = discover(project.snippets)
    rules = resolve(
        load_rules(project, features),
        project,
        features,
        machine_id or current_machine().machine_id,
    )
    version = None
    if answers_text is None:
        answers = prompt_answers(rules, prompt)
    else:
        answers, version = parse_answers(rules, answers_text)
    return explain(rules, answers, evaluate(rules, answers), version)


def prompt_answers(rules: Rules, prompt: Callable[..., Any]) -> dict[str, tuple[str, ...]]:
    answers = {}
    for number, question in enumerate(rules.questions, 1):
        lines = [f"{number}. {question.text}"]
        lines += [f"   {i}) {o.label}" for i, o in enumerate(question.options, 1)]
        default = str(next(i for i, o in enumerate(question.options, 1) if o.id == DONT_KNOW))
        click.echo("\n".join(lines))
        hint = "Numbers, separated by commas" if question.multiple else "Number"
        while True:
            reply = str(prompt(hint, default=default))
            picked = _picked(reply, len(question.options), question.multiple)
            if picked:
                break
            click.echo(f"Please answer with {hint.lower()} from 1 to {len(question.options)}.")
        answers[question.id] = tuple(question.options[i - 1].id for i in picked)
    return answers


def _picked(reply: str, count: int, multiple: bool) -> list[int]:
    parts = [p for p in re.split(r"[,\s]+", reply.strip()) if p]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
        return []
    if not multiple and len(parts) > 1:
        return []
    return sorted({int(p) for p in parts})


def explain(rules: Rules, answers: Answers, result: Result, version: str | None = None) -> str:
    """The result as text: the same recommendation, reasons, flips and evidence as the page."""
    labels = {o.id: o.label for o in rules.outcomes}
    lines = []
    if version and version != rules.version:
        lines += [
            f"Note: these answers were saved with rules version {version}; the current rules "
            f"are version {rules.version}, so the result may differ from the one shared.",
            "",
        ]
    lines += [headline(rules, result), rules.outcome(result.outcome).summary]
    scores = ", ".join(f"{labels[o]} {result.scores[o]}" for o in OUTCOMES)
    lines.append(f"Points: {scores} (margin {result.margin}; {rules.tie_band} or less is a tie).")
    titles = section_titles(rules, result)
    for title, indexes in zip(
        titles, (result.reasons_for, result.reasons_against, result.neutral), strict=True
    ):
        if not indexes:
            continue
        lines += ["", title]
        for i in indexes:
            lines += _reason_lines(rules, answers, i)
    lines += ["", "When the other wins"]
    if result.flips:
        for flip in result.flips:
            lines.append(f"  {flip_text(rules, flip)} → {labels[flip.outcome]}")
    else:
        lines.append("  No single change to your answers would change this result.")
    lines += [
        "",
        f"Rules version {rules.version}, updated {rules.updated}. The same answers on the site: "
        f"{PAGE_URL}{query_string(rules, answers)}",
    ]
    return "\n".join(lines)


def headline(rules: Rules, result: Result) -> str:
    """The one-line result, the same words as the page's live region."""
    labels = {o.id: o.label for o in rules.outcomes}
    if result.outcome == EITHER:
        names = [labels[o] for o in result.candidates]
        joined = ", ".join(names[:-1]) + " or " + names[-1]
        unit = "point" if rules.tie_band == 1 else "points"
        return f"Either {joined}: a tie (within {rules.tie_band} {unit})."
    return (
        f"Recommendation: {labels[result.outcome]}, {result.confidence} confidence "
        f"(ahead by {result.margin} {'point' if result.margin == 1 else 'points'})."
    )


def section_titles(rules: Rules, result: Result) -> tuple[str, str, str]:
    """Headings of the reasons for the leader, against it, and of those worth no points."""
    leader = rules.outcome(result.leader).label
    if result.outcome == EITHER:
        return f"What favours {leader}", "What favours the others", "Also considered (no points)"
    return f"Why {leader}", f"Against {leader}", "Also considered (no points)"


def flip_text(rules: Rules, flip: Flip) -> str:
    question = rules.question(flip.question)
    assert question is not None
    label = _label(rules, flip.question, flip.option)
    if flip.change == "choose":
        return f'If you answered "{label}" to "{question.text}"'
    verb = "ticked" if flip.change == "add" else "unticked"
    return f'If you {verb} "{label}" in "{question.text}"'


def answer_text(rules: Rules, answers: Answers, effect: Effect) -> str:
    """Which of the reader's answers made the effect count."""
    parts = []
    for question_id, options in effect.when:
        chosen = [o for o in options if o in _chosen(answers, question_id)]
        question = rules.question(question_id)
        assert question is not None
        labels = " and ".join(f'"{_label(rules, question_id, o)}"' for o in chosen)
        parts.append(f'{labels} to "{question.text}"')
    return "because you answered " + "; and ".join(parts)


def points_text(rules: Rules, effect: Effect) -> str:
    return f"{effect.points:+d} {rules.outcome(effect.to).label}" if effect.to else "0"


def _reason_lines(rules: Rules, answers: Answers, index: int) -> list[str]:
    effect = rules.effects[index]
    lines = [
        f"  {points_text(rules, effect)}: {effect.reason}",
        f"      {answer_text(rules, answers, effect)}",
    ]
    for evidence_id in effect.evidence:
        e = rules.evidence[evidence_id]
        badge = f"{e.badge}, {e.date}" if e.date else e.badge
        lines.append(f"      [{badge}] {e.title}: {e.url or f'docs/{e.page}'}")
        if e.detail:
            lines.append(f"        {e.detail}")
    return lines
