"""Scoring: the one engine. docs/javascripts/questionnaire.js mirrors `evaluate` in the browser
over the JSON that page.payload puts on the page; a browser test compares the two over many
answer sets, so a change here is a change there.
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


def outcome_of(rules: Rules, answers: Answers) -> str:
    """Only the outcome (no reasons, no flips): what the flips need, fast."""
    scores, leader, ranked = _rank(rules, _fired(rules, answers))
    return EITHER if scores[leader] - scores[ranked[1]] <= rules.tie_band else leader


def chosen(answers: Answers, question_id: str) -> tuple[str, ...]:
    """The answer to a question; unanswered is "Don't know"."""
    return answers.get(question_id) or (DONT_KNOW,)


def _fired(rules: Rules, answers: Answers) -> list[int]:
    return [
        i
        for i, effect in enumerate(rules.effects)
        if all(any(o in chosen(answers, q) for o in options) for q, options in effect.when)
    ]


def _rank(rules: Rules, fired: list[int]) -> tuple[dict[str, int], str, list[str]]:
    scores = dict.fromkeys(OUTCOMES, 0)
    for i in fired:
        effect = rules.effects[i]
        if effect.to is not None:
            scores[effect.to] += effect.points
    ranked = sorted(OUTCOMES, key=lambda o: (-scores[o], OUTCOMES.index(o)))
    return scores, ranked[0], ranked


def _flips(rules: Rules, answers: Answers, current: str) -> list[Flip]:
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
            outcome = outcome_of(rules, {**answers, question.id: values})
            if outcome != current:
                flips.append(Flip(question.id, option.id, change, outcome))
    return flips
