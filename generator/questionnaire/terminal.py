"""`fieldguide ask`: the questionnaire in a terminal, with the same words as the page.

`ask` takes resolved rules (generator.commands loads them), gets the answers from
`--answers` text (answers.parse_answers) or by prompting, scores them (engine.evaluate) and
returns the explanation: recommendation, reasons with their evidence, flips, share link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from .answers import parse_answers, query_string
from .engine import Flip, Result, chosen, evaluate
from .rules import (
    DONT_KNOW,
    EITHER,
    JUDGEMENT,
    OUTCOMES,
    PAGE_URL,
    Answers,
    Effect,
    Evidence,
    Rules,
)


def ask(rules: Rules, answers_text: str | None, prompt: Callable[..., Any] = click.prompt) -> str:
    """Answer the questionnaire (from `answers_text`, or by prompting) and explain the result."""
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
    sections = (result.reasons_for, result.reasons_related, result.reasons_against, result.neutral)
    for n, (title, indexes) in enumerate(zip(titles, sections, strict=True)):
        if not indexes:
            continue
        lines += ["", title]
        if n == 1 and result.note is not None:
            lines.append(f"  {rules.related[result.note].note}")
        for i in indexes:
            lines += _reason_lines(rules, answers, i)
    lines += ["", CHANGES_TITLE, f"  {flips_summary(rules, result)}"]
    for flip in ordered_flips(rules, result):
        lines.append(f"  {flip_text(rules, flip)} → {target_label(rules, flip.outcome)}")
    lines += [
        "",
        f"Rules version {rules.version}, updated {rules.updated}. The same answers on the site: "
        f"{PAGE_URL}{query_string(rules, answers)}",
    ]
    return "\n".join(lines)


CHANGES_TITLE = "What would change the answer"


def headline(rules: Rules, result: Result) -> str:
    """The one-line result, the same words as the page's live region."""
    labels = {o.id: o.label for o in rules.outcomes}
    if result.outcome == EITHER:
        names = [labels[o] for o in result.candidates]
        joined = ", ".join(names[:-1]) + " or " + names[-1]
        return f"Either {joined}: a tie (within {_count(rules.tie_band, 'point')})."
    changes = (
        f"{_count(result.changes, 'single-answer change')} would change it"
        if result.changes
        else "no single-answer change would change it"
    )
    return (
        f"Recommendation: {labels[result.outcome]}, {result.confidence} confidence (ahead of "
        f"{labels[result.rival]} by {_count(result.lead, 'point')}; {changes})."
    )


def section_titles(rules: Rules, result: Result) -> tuple[str, str, str, str]:
    """Headings of the reasons for the leader, for the outcomes related to it, against it, and
    of those worth no points."""
    leader = rules.outcome(result.leader).label
    related = " and ".join(rules.outcome(o).label for o in result.related)
    also = f"{related}: one codebase with {leader} for you"
    if result.outcome == EITHER:
        return f"What favours {leader}", also, "What favours the others", NO_POINTS
    return f"Why {leader}", also, f"Against {leader}", NO_POINTS


NO_POINTS = "Also considered (no points)"


def target_label(rules: Rules, outcome: str) -> str:
    """Where a flip leads: an outcome's label, or a tie."""
    return "Either (a tie)" if outcome == EITHER else rules.outcome(outcome).label


def flips_summary(rules: Rules, result: Result) -> str:
    """How many single-answer changes would change the result, and to what."""
    if not result.flips:
        return "No single change to your answers would change this result."
    targets = [o.id for o in rules.outcomes if any(f.outcome == o.id for f in result.flips)]
    counts = [sum(f.outcome == t for f in result.flips) for t in targets]
    verb = "decide" if result.outcome == EITHER else "change"
    text = f"{_count(len(result.flips), 'single-answer change')} would {verb} it: " + ", ".join(
        f"{n} to {target_label(rules, t)}" for t, n in zip(targets, counts, strict=True)
    )
    free = len(result.flips) - result.changes
    if result.outcome != EITHER and free:
        related = " or ".join(rules.outcome(o).label for o in result.related)
        tie = "a tie with it" if len(result.related) == 1 else "a tie among them"
        text += (
            f". {free} of them {'leads' if free == 1 else 'lead'} only to {related} (or {tie}), "
            f"one codebase with {rules.outcome(result.leader).label} for you, so "
            f"{'it does' if free == 1 else 'they do'} not lower the confidence"
        )
    return text + "."


def ordered_flips(rules: Rules, result: Result) -> list[Flip]:
    """The flips grouped by where they lead, in the rules' order of outcomes (a tie last)."""
    order = [o.id for o in rules.outcomes]
    return sorted(result.flips, key=lambda f: order.index(f.outcome))


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def flip_text(rules: Rules, flip: Flip) -> str:
    question = rules.question(flip.question)
    assert question is not None
    label = rules.option_label(flip.question, flip.option)
    if flip.change == "choose":
        return f'If you answered "{label}" to "{question.text}"'
    verb = "ticked" if flip.change == "add" else "unticked"
    return f'If you {verb} "{label}" in "{question.text}"'


def answer_text(rules: Rules, answers: Answers, effect: Effect) -> str:
    """Which of the reader's answers made the effect count."""
    parts = []
    for question_id, options in effect.when:
        given = [o for o in options if o in chosen(answers, question_id)]
        question = rules.question(question_id)
        assert question is not None
        labels = " and ".join(f'"{rules.option_label(question_id, o)}"' for o in given)
        parts.append(f'{labels} to "{question.text}"')
    return "because you answered " + "; and ".join(parts)


def badge_text(evidence: Evidence) -> str:
    return f"{evidence.badge}, {evidence.date}" if evidence.date else evidence.badge


def points_text(rules: Rules, effect: Effect) -> str:
    return f"{effect.points:+d} {rules.outcome(effect.to).label}" if effect.to else "0"


def _reason_lines(rules: Rules, answers: Answers, index: int) -> list[str]:
    effect = rules.effects[index]
    lines = [
        f"  {points_text(rules, effect)}: {effect.reason}",
        f"      {answer_text(rules, answers, effect)}",
    ]
    if effect.judgement:
        lines.append(f"      [{JUDGEMENT}] No source backs this reason: weigh it yourself.")
    for evidence_id in effect.evidence:
        e = rules.evidence[evidence_id]
        lines.append(f"      [{badge_text(e)}] {e.title}: {e.url or f'docs/{e.page}'}")
        if e.detail:
            lines.append(f"        {e.detail}")
    return lines
