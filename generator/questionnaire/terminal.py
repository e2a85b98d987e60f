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
from .rules import DONT_KNOW, EITHER, OUTCOMES, PAGE_URL, Answers, Effect, Rules


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
