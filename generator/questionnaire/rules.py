"""The rules as data: what docs/questionnaire.yml holds once validated (validation.py).

Frozen dataclasses and the constants every other module of the package shares. `resolve`
(evidence.py) fills in the measured parts; nothing else changes a Rules after loading.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field

from .. import compare
from ..errors import Problem, ValidationError

PAGE_FILE = "_questionnaire.md"  # under docs/features/, inserted into docs/choose.md
PAGE_URL = "choose/"  # where docs/choose.md is served, for the share link `ask` prints
SCHEMA_VERSION = 2
OUTCOMES = ("pytorch", "tensorflow", "keras3")
EITHER = "either"
DONT_KNOW = "dont-know"
KINDS = ("measured", "documented", "community")
KIND_LABELS = {"measured": "Measured here", "documented": "Documented", "community": "Community"}
MAX_POINTS = 5
JUDGEMENT = "Our judgement"  # the badge of a reason that no source backs, as the reader sees it
# Query parameters the site itself adds to its links, which a share link's answers ignore:
# mkdocs-material's search.highlight appends `h=<search terms>` to the results it links to, and
# a share link made in a published edition carries `ed=<edition>` (the page says when a link
# was made in another edition than the one reading it).
SITE_PARAMS = ("h", "ed")

Answers = Mapping[str, tuple[str, ...]]  # question id -> chosen option ids (one for single)


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
class Choice:
    """One of the results the questionnaire can give: a framework, Keras 3, or Either."""

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
    claim: str | None = None  # the claim of the claims page (docs/claims.yml) it bears on
    # documented and community: the effects it may back, as outcome -> question -> options.
    # An effect may cite it only for an outcome listed here and an answer listed under it.
    supports: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

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
    judgement: bool = False  # our judgement, backed by no source (and citing none)


@dataclass(frozen=True)
class Related:
    """Outcomes that are one codebase for the readers `when` matches: for them what counts for
    one of the outcomes does not count against the others (tf.keras code is Keras 3 from
    TensorFlow 2.16 on, so for its authors TensorFlow and Keras 3 are not rivals)."""

    outcomes: tuple[str, ...]
    when: tuple[tuple[str, tuple[str, ...]], ...]
    note: str  # why, as the reader sees it
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Threshold:
    """What a confidence word needs: a lead of at least `margin` points over the best outcome
    not related to the leader, and at most `flips` single-answer changes that would change
    the result."""

    margin: int
    flips: int


@dataclass(frozen=True)
class Rules:
    source: str  # the rules file, as messages name it
    updated: str
    tie_band: int
    moderate: Threshold
    strong: Threshold
    outcomes: tuple[Choice, ...]  # pytorch, tensorflow, keras3, either
    questions: tuple[Question, ...]
    effects: tuple[Effect, ...]
    evidence: Mapping[str, Evidence]
    related: tuple[Related, ...] = ()

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def outcome(self, outcome_id: str) -> Choice:
        return next(o for o in self.outcomes if o.id == outcome_id)

    def question_text(self, question_id: str) -> str:
        question = self.question(question_id)
        return question.text if question else question_id

    def option_label(self, question_id: str, option_id: str) -> str:
        question = self.question(question_id)
        option = question.option(option_id) if question else None
        return option.label if option else option_id

    @property
    def version(self) -> str:
        """The rules version a share link carries: a digest of everything that can change a
        result, so new measurements change it only when they change a verdict's points."""
        scoring = {
            "questions": [[q.id, q.multiple, [o.id for o in q.options]] for q in self.questions],
            "effects": [[list(map(list, e.when)), e.to, e.points] for e in self.effects],
            "bands": [self.tie_band, *map(astuple, (self.moderate, self.strong))],
            "related": [[list(r.outcomes), list(map(list, r.when))] for r in self.related],
        }
        text = json.dumps(scoring, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:8]


class RulesError(ValidationError):
    """All problems of the rules file, reported together."""

    def __init__(self, problems: list[Problem], source: str):
        super().__init__(
            problems, "questionnaire rules", f"Fix {source}, then run `fieldguide check` again."
        )
