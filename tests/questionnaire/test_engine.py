"""The scoring engine: points, ties and confidence words, reasons, flips, reachability."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

from generator.questionnaire import DONT_KNOW, EITHER, evaluate, headline, outcome_of
from generator.questionnaire.rules import Threshold

from ..conftest import feature_files
from .conftest import RULES, answers, measure, random_answers, rules_of

# tf.keras-like: for readers with TensorFlow code, TensorFlow and Keras 3 are one codebase.
RELATED = """\
related:
  - outcomes: [tensorflow, keras3]
    when: {code: tensorflow}
    note: Your TensorFlow code is Keras code.
    evidence: [docs]
"""


def test_points_add_up_and_the_margin_and_the_flips_give_the_confidence_word(project):
    rules = rules_of(project)  # not measured: the speed effect gives nothing
    cases = {  # outcome, confidence, margin, single-answer changes that change the outcome
        "code=pytorch": ("pytorch", "moderate", 4, 3),
        # 6 points would be strong, but two single changes (PyTorch or Keras code) turn it
        "code=tensorflow,needs=phones": ("tensorflow", "moderate", 6, 2),
        "needs=phones": ("tensorflow", "weak", 2, 3),
        "code=keras,needs=phones": (EITHER, "tie", 1, 4),
        "": (EITHER, "tie", 0, 4),
    }
    for text, expected in cases.items():
        given = answers(**dict(p.split("=") for p in text.split(",") if p))
        result = evaluate(rules, given)
        assert (result.outcome, result.confidence, result.margin, result.changes) == expected
    lenient = replace(rules, strong=Threshold(margin=5, flips=2))
    assert evaluate(lenient, answers(code="tensorflow", needs="phones")).confidence == "strong"
    strict = replace(rules, moderate=Threshold(margin=3, flips=2))
    assert evaluate(strict, answers(code="pytorch")).confidence == "weak"  # 3 changes turn it
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
    assert all(f.counts for f in result.flips)  # nothing is related here
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
        "rival": "tensorflow",
        "lead": 2,
        "confidence": "weak",
        "related": [],
        "note": None,
        "for": [0],
        "alsoFor": [],
        "against": [3],
        "neutral": [],
        "flips": [
            ["code", "tensorflow", "choose", "tensorflow", True],
            ["code", "keras", "choose", EITHER, True],  # Keras 3 3, TensorFlow 2: a tie
            ["code", "none", "choose", "tensorflow", True],
        ],
    }


def test_related_outcomes_are_no_rivals_for_the_readers_they_apply_to(make_project):
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": RULES + RELATED})
    rules = rules_of(project)
    given = answers(code="tensorflow", needs="phones")  # TensorFlow 6, Keras 3 0, PyTorch 0
    result = evaluate(rules, given)
    assert (result.leader, result.related, result.rival, result.note) == (
        "tensorflow",
        ("keras3",),
        "pytorch",
        0,
    )
    # Keras code would make it a tie of TensorFlow and Keras 3: the same code, so it does not
    # count; PyTorch code would make it PyTorch, which does. One change: strong.
    assert [(f.option, f.outcome, f.counts) for f in result.flips] == [
        ("pytorch", "pytorch", True),
        ("keras", EITHER, False),
    ]
    assert (result.changes, result.confidence) == (1, "strong")
    assert headline(rules, result) == (
        "Recommendation: TensorFlow, strong confidence (ahead of PyTorch by 6 points; "
        "1 single-answer change would change it)."
    )
    keras = evaluate(rules, answers(code="tensorflow", needs="phones+speed"))
    assert keras.reasons_related == ()  # no Keras 3 reason fired
    # Without TensorFlow code nothing is related: Keras 3 is a rival again.
    other = evaluate(rules, answers(code="keras"))
    assert (other.related, other.note, other.rival) == ((), None, "pytorch")


def test_what_counts_for_a_related_outcome_is_not_listed_against_the_leader(make_project):
    boost = RULES.replace(
        "  - when: {needs: phones}\n",
        "  - when: {needs: phones}\n    to: keras3\n    points: 1\n    reason: Keras on phones.\n"
        "    evidence: [docs]\n  - when: {needs: phones}\n",
    ).replace("keras3: {code: keras}", "keras3: {code: keras, needs: phones}")
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": boost + RELATED})
    rules = rules_of(project)
    result = evaluate(rules, answers(code="tensorflow", needs="phones"))
    assert result.scores == {"pytorch": 0, "tensorflow": 6, "keras3": 1}
    assert [rules.effects[i].reason for i in result.reasons_related] == ["Keras on phones."]
    assert result.reasons_against == ()
    assert (result.margin, result.lead) == (5, 6)  # the lead is over PyTorch, not Keras 3


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
