"""Answers as text: `fieldguide ask --answers` (parse_answers) and the page's share-link query
(query_string, mirrored by docs/javascripts/questionnaire.js's toQuery)."""

from __future__ import annotations

import re

from ..errors import FieldGuideError
from ..text import did_you_mean
from .rules import DONT_KNOW, SITE_PARAMS, Answers, Rules


def parse_answers(rules: Rules, text: str) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """`id=value,id=value2` (or a pasted query string: `&` works too; a multiple-choice
    question takes `id=a,b` or `id=a+b`). Returns the answers and the `rv` given, if any.
    Unlike the page, which ignores junk in a link, a typo here is an error; parameters the site
    itself adds to links (SITE_PARAMS: a search's `h`) are ignored by both."""
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
            if current in SITE_PARAMS:
                current = None
                continue
            if rules.question(current) is None:
                known = [q.id for q in rules.questions]
                hint = did_you_mean(current, known) or "Questions: " + ", ".join(known) + "."
                problems.append(f"No question '{current}'. {hint}")
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
                hint = did_you_mean(option_id, options)
                problems.append(
                    f"Question '{current}' has no answer '{option_id}'. "
                    + (f"{hint} " if hint else "")
                    + f"Answers: {', '.join(options)}."
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
