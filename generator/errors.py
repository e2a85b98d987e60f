"""User-facing errors: one exception family that the CLI prints without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class FieldGuideError(Exception):
    """A problem the user can fix. The message says what is wrong and what to do next."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located precisely enough to fix without searching."""

    file: str
    key: str
    expected: str
    found: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file if self.key == "(file)" else f"{self.file}: key '{self.key}'"
        text = f"{where}: expected {self.expected}, found {self.found}."
        return f"{text} {self.hint}" if self.hint else text


class ValidationError(FieldGuideError):
    """All validation problems of a run, reported together."""

    def __init__(
        self,
        problems: list[Problem],
        subject: str = "snippets metadata",
        next_step: str = "Fix the files above, then run `fieldguide check` again.",
    ):
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        lines = [f"Invalid {subject} ({count}):"]
        lines += [f"  - {p}" for p in problems]
        lines.append(next_step)
        super().__init__("\n".join(lines))
