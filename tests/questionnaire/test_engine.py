"""The scoring engine: points, ties and confidence words, reasons, flips, reachability."""

from __future__ import annotations

import itertools
import random

from generator.questionnaire import DONT_KNOW, EITHER, evaluate, headline, outcome_of

from .conftest import answers, measure, random_answers, rules_of


def test_points_add_up_and_the_margin_gives_the_confidence_word(project):
    rules = rules_of(project)  # not measured: the speed effect gives nothing
    cases = {
        "code=pytorch": ("pytorch", "moderate", 4),
        "code=tensorflow,needs=phones": ("tensorflow", "strong", 6),
        "needs=phones": ("tensorflow", "weak", 2),
        "code=keras,needs=phones": (EITHER, "tie", 1),
        "": (EITHER, "tie", 0),
    }
    for text, (outcome, confidence, margin) in cases.items():
        given = answers(**dict(p.split("=") for p in text.split(",") if p))
        result = evaluate(rules, given)
        assert (result.outcome, result.confidence, result.margin) == (outcome, confidence, margin)
    tie = evaluate(rules, answers(code="keras", needs="phones"))
    assert tie.candidates == ("keras3", "tensorflow")
    assert tie.scores == {"pytorch": 0, "tensorflow": 2, "keras3": 3}
    assert headline(rules, tie) == "Either Keras 3 or TensorFlow: a tie (within 1 point)."


def test_reasons_are_split_for_and_against_and_flips_are_single_answer_changes(project):
    rules = rules_of(project)
    result = evaluate(rules, answers(code="keras", needs="phones+speed"))
    assert result.leader == "keras3"
    assert result.reasons_for == (2,)  # +3 Keras 3
    assert result.reasons_against == (3,)  # +2 TensorFlow
    assert result.neutral == (4,)  # speed: not measured yet, so no points
    assert [(f.question, f.option, f.change, f.outcome) for f in result.flips] == [
        ("code", "pytorch", "choose", "pytorch"),
        ("code", "tensorflow", "choose", "tensorflow"),
        ("code", "none", "choose", "tensorflow"),  # Phones alone: TensorFlow by 2
        ("needs", "phones", "remove", "keras3"),
    ]
    assert "not measured yet on a CPU on this site" in rules.effects[4].reason


def test_unanswered_is_dont_know_and_answer_order_does_not_matter(project):
    rules = rules_of(project)
    assert evaluate(rules, {}) == evaluate(rules, answers(code=DONT_KNOW, needs=DONT_KNOW))
    assert evaluate(rules, answers(needs="phones+speed")) == evaluate(
        rules, answers(needs="speed+phones")
    )


def test_the_result_has_the_browser_engines_shape(project):
    result = evaluate(rules_of(project), answers(code="pytorch", needs="phones"))
    assert result.as_json() == {
        "outcome": "pytorch",
        "candidates": ["pytorch"],
        "leader": "pytorch",
        "scores": {"pytorch": 4, "tensorflow": 2, "keras3": 0},
        "margin": 2,
        "confidence": "weak",
        "for": [0],
        "against": [3],
        "neutral": [],
        "flips": [
            ["code", "tensorflow", "choose", "tensorflow"],
            ["code", "keras", "choose", EITHER],  # Keras 3 3, TensorFlow 2: a tie
            ["code", "none", "choose", "tensorflow"],
        ],
    }


def test_outcome_of_is_the_outcome_evaluate_gives_for_every_answer_set(project):
    measure(project, 1.0, 3.0)  # speed: +2 PyTorch
    rules = rules_of(project)
    code, needs = (rules.question(q) for q in ("code", "needs"))
    assert code and needs
    seen = set()
    for single in code.options:
        for ticked in itertools.product((False, True), repeat=len(needs.options)):
            picked = tuple(o.id for o, on in zip(needs.options, ticked, strict=True) if on)
            given = {"code": (single.id,), "needs": picked}
            seen.add(outcome_of(rules, given))
            assert outcome_of(rules, given) == evaluate(rules, given).outcome, given
    assert seen == {"pytorch", "tensorflow", "keras3", EITHER}


def test_the_published_rules_can_reach_every_outcome(published):
    rng = random.Random(4)
    seen = set()
    for _ in range(3000):  # seen much sooner: stop then
        seen.add(outcome_of(published, random_answers(published, rng)))
        if seen == {"pytorch", "tensorflow", "keras3", EITHER}:
            break
    assert seen == {"pytorch", "tensorflow", "keras3", EITHER}


def test_every_published_question_can_change_a_result(published):
    """GOV.UK-style reachability: for each question there is a reader whose result changes
    when only that answer changes (the static check only proves it has points)."""
    rules = published
    rng = random.Random(5)
    bases = [random_answers(rules, rng) for _ in range(400)]
    remaining = {q.id for q in rules.questions}
    for base in bases:
        remaining -= {flip.question for flip in evaluate(rules, base).flips}
        if not remaining:
            break
    assert remaining == set()
