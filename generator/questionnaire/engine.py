"""Scoring: the one engine. docs/javascripts/questionnaire.js mirrors `evaluate` in the browser
over the JSON that page.payload puts on the page; a browser test compares the two over many
answer sets, so a change here is a change there.

The confidence word weighs two things: the lead over the best outcome that is not related to
the leader (Rules.related: for a tf.keras author, Keras 3 is no rival of TensorFlow), and how
many single-answer changes would change the result. A result that one more answer could turn
into a tie is not a strong one, however many points it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .rules import DONT_KNOW, EITHER, OUTCOMES, Answers, Rules


@dataclass(frozen=True)
class Flip:
    """One change of a single answer that would change the result."""

    question: str
    option: str
    change: str  # "choose" (single), "add" or "remove" (multi)
    outcome: str
    counts: bool  # False when it only moves between outcomes related to the current one


@dataclass(frozen=True)
class Result:
    outcome: str  # an outcome id, or "either"
    candidates: tuple[str, ...]  # the outcomes within the tie band of the leader
    leader: str  # the outcome with most points (ties: the first in rules order)
    scores: dict[str, int]
    margin: int  # leader's points minus the runner-up's: within the tie band, "Either"
    rival: str  # the best outcome not related to the leader (the runner-up, unless related)
    lead: int  # leader's points minus the rival's
    confidence: str  # "strong", "moderate", "weak", or "tie" for Either
    related: tuple[str, ...]  # outcomes related to the leader for these answers
    note: int | None  # the index of the Rules.related entry that relates them
    reasons_for: tuple[int, ...]  # effect indexes that favour the leader
    reasons_related: tuple[int, ...]  # effects for or against an outcome related to it
    reasons_against: tuple[int, ...]  # effect indexes that favour another outcome
    neutral: tuple[int, ...]  # effects that matched but give no points (e.g. no difference)
    flips: tuple[Flip, ...]

    @property
    def changes(self) -> int:
        """The single-answer changes that weigh against the confidence."""
        return sum(f.counts for f in self.flips)

    def as_json(self) -> dict[str, Any]:
        """The shape the browser engine returns, for the parity test."""
        return {
            "outcome": self.outcome,
            "candidates": list(self.candidates),
            "leader": self.leader,
            "scores": dict(self.scores),
            "margin": self.margin,
            "rival": self.rival,
            "lead": self.lead,
            "confidence": self.confidence,
            "related": list(self.related),
            "note": self.note,
            "for": list(self.reasons_for),
            "alsoFor": list(self.reasons_related),
            "against": list(self.reasons_against),
            "neutral": list(self.neutral),
            "flips": [[f.question, f.option, f.change, f.outcome, f.counts] for f in self.flips],
        }


def evaluate(rules: Rules, answers: Answers) -> Result:
    """Score the answers. Unanswered questions count as "Don't know"."""
    fired = _fired(rules, answers)
    scores, ranked = _rank(rules, fired)
    leader = ranked[0]
    outcome, candidates = _decide(rules, scores, ranked)
    note, related = _related(rules, answers, leader)
    rival = next(o for o in ranked[1:] if o not in related)
    lead = scores[leader] - scores[rival]
    same = set() if outcome == EITHER else {leader, *related}  # where a change is no change
    flips = tuple(_flips(rules, answers, outcome, same))
    order = sorted(fired, key=lambda i: (-abs(rules.effects[i].points), i))
    favours = [i for i in order if rules.effects[i].points]
    also = tuple(i for i in favours if rules.effects[i].to in related)
    reasons_for = tuple(
        i
        for i in favours
        if i not in also and (rules.effects[i].to == leader) == (rules.effects[i].points > 0)
    )
    return Result(
        outcome=outcome,
        candidates=candidates,
        leader=leader,
        scores=scores,
        margin=scores[leader] - scores[ranked[1]],
        rival=rival,
        lead=lead,
        confidence=_confidence(rules, outcome, lead, sum(f.counts for f in flips)),
        related=related,
        note=note,
        reasons_for=reasons_for,
        reasons_related=also,
        reasons_against=tuple(i for i in favours if i not in reasons_for and i not in also),
        neutral=tuple(i for i in order if not rules.effects[i].points),
        flips=flips,
    )


def outcome_of(rules: Rules, answers: Answers) -> str:
    """Only the outcome (no reasons, no flips): what the flips need, fast."""
    return _decide(rules, *_rank(rules, _fired(rules, answers)))[0]


def chosen(answers: Answers, question_id: str) -> tuple[str, ...]:
    """The answer to a question; unanswered is "Don't know"."""
    return answers.get(question_id) or (DONT_KNOW,)


def matches(answers: Answers, when: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    """Whether every condition holds: each question has one of its listed options chosen."""
    return all(any(o in chosen(answers, q) for o in options) for q, options in when)


def _fired(rules: Rules, answers: Answers) -> list[int]:
    return [i for i, effect in enumerate(rules.effects) if matches(answers, effect.when)]


def _rank(rules: Rules, fired: list[int]) -> tuple[dict[str, int], list[str]]:
    scores = dict.fromkeys(OUTCOMES, 0)
    for i in fired:
        effect = rules.effects[i]
        if effect.to is not None:
            scores[effect.to] += effect.points
    return scores, sorted(OUTCOMES, key=lambda o: (-scores[o], OUTCOMES.index(o)))


def _decide(rules: Rules, scores: dict[str, int], ranked: list[str]) -> tuple[str, tuple[str, ...]]:
    """The outcome, and the candidates within the tie band of the leader."""
    leader = ranked[0]
    candidates = tuple(o for o in ranked if scores[leader] - scores[o] <= rules.tie_band)
    return (EITHER, candidates) if len(candidates) > 1 else (leader, candidates)


def _related(rules: Rules, answers: Answers, leader: str) -> tuple[int | None, tuple[str, ...]]:
    """The first Rules.related entry that holds for these answers and includes the leader, and
    the other outcomes it relates to the leader (in rules order)."""
    for index, entry in enumerate(rules.related):
        if leader in entry.outcomes and matches(answers, entry.when):
            return index, tuple(o for o in OUTCOMES if o in entry.outcomes and o != leader)
    return None, ()


def _confidence(rules: Rules, outcome: str, lead: int, changes: int) -> str:
    if outcome == EITHER:
        return "tie"
    for word, needs in (("strong", rules.strong), ("moderate", rules.moderate)):
        if lead >= needs.margin and changes <= needs.flips:
            return word
    return "weak"


def _flips(rules: Rules, answers: Answers, current: str, same: set[str]) -> list[Flip]:
    """Every single-answer change that changes the outcome. A change counts against the
    confidence unless it only leads to an outcome in `same` (the leader and the outcomes
    related to it), or to a tie among them."""
    flips = []
    for question in rules.questions:
        given = answers.get(question.id, ())
        for option in question.scored_options:
            if question.multiple:
                change = "remove" if option.id in given else "add"
                values = (
                    tuple(o for o in given if o != option.id)
                    if change == "remove"
                    else (*given, option.id)
                )
            elif option.id in given:
                continue
            else:
                change, values = "choose", (option.id,)
            outcome, candidates = _decide(
                rules, *_rank(rules, _fired(rules, {**answers, question.id: values}))
            )
            if outcome != current:
                counts = not set(candidates) <= same
                flips.append(Flip(question.id, option.id, change, outcome, counts))
    return flips
