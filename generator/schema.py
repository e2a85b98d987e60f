"""Typed fields for the project's YAML files: feature.yml and docs/questionnaire.yml alike.

In the spirit of mkdocs' `config_options`: each field knows what it expects, checks a value and
converts it; a `Mapping` knows its keys and says "Did you mean ...?" for unknown ones. Checking
never stops at the first problem: every problem goes into a `Checker` with the file, the key,
what was expected and what was found, and the caller raises one ValidationError for all.

Why not pydantic: our messages name the key the way a YAML author reads it (`claims[0].quantity`,
`questions[0] (code).options`), say what was found in the author's terms ("an unknown key",
"nothing") and carry a fix; most of our checks cross-reference other files (features, questions,
evidence). pydantic would need a translation layer for every error type and custom validators for
the cross-references, which is more code than these fields.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem
from .text import did_you_mean, one_line

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QUOTE_HINT = "Quote yes/no/on/off: YAML reads them as true/false."
URL_PATTERN = re.compile(r"^https://[^\s()<>\"'\\]+$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
# The C loader reads the same data as safe_load, ten times faster; PyYAML without libyaml has none.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Said(str):
    """A description of what was found ("an unknown key"), shown as is rather than as a value."""


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()  # what a field returns for a value it reported as a problem


@dataclass
class Checker:
    """The problems of one file, collected instead of raised."""

    source: str  # the file, as messages name it
    problems: list[Problem] = field(default_factory=list)

    def problem(self, key: str, expected: str, found: Any, hint: str = "") -> None:
        shown = found if isinstance(found, Said) else repr(found)
        self.problems.append(Problem(self.source, key, expected, shown, hint))


def read_yaml(path: Path, checker: Checker) -> Any:
    """The parsed file, or INVALID after reporting a syntax error with its line."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark else "unknown position"
        hint = "Fix the syntax."
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in line[: len(line) - len(line.lstrip())] or "\t" in str(exc):
            hint = "YAML does not allow tabs for indentation: indent with spaces."
        elif getattr(exc, "problem", None):
            hint = f"YAML says: {exc.problem}. Fix the syntax."  # type: ignore[attr-defined]
        checker.problem("(file)", "valid YAML", Said(f"a syntax error at {at}"), hint)
        return INVALID


def join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


class Field:
    """One value: what it expects, whether it must be there, and how it converts."""

    def __init__(
        self, expected: str, *, required: bool = True, default: Any = None, hint: str = ""
    ) -> None:
        self.expected = expected
        self.required = required
        self.default = default
        self.hint = hint

    def accepts(self, value: Any) -> bool:
        return True

    def convert(self, value: Any) -> Any:
        return value

    def hint_for(self, value: Any) -> str:
        return self.hint

    def refused(self, value: Any, key: str, checker: Checker) -> bool:
        """Reports a value this field does not accept; True when it did."""
        if self.accepts(value):
            return False
        checker.problem(key, self.expected, value, self.hint_for(value))
        return True

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        return INVALID if self.refused(value, key, checker) else self.convert(value)


# What a text field may not hold, outside `code spans`: text fields land in Markdown, HTML,
# front matter, the nav and JSON, so markup that could run script is refused where it is
# written and no page has to trust it. Raw HTML: a tag, comment or declaration ("a < b" is
# fine). A link or reference definition whose target has a scheme other than http(s)
# (javascript:, data:). An attribute list, `{: onclick=... }`, which attr_list would apply.
UNSAFE_MARKUP = (
    (re.compile(r"<[A-Za-z/!?]"), "raw HTML"),
    (
        re.compile(
            r"\]\(\s*<?\s*(?!https?://)[A-Za-z][A-Za-z0-9+.-]*:|\]:\s*(?!https?://)[A-Za-z][A-Za-z0-9+.-]*:"
        ),
        "a link that is not http(s)",
    ),
    (re.compile(r"\{\s*[:#.A-Za-z][^}]*\}"), "an attribute list ({...})"),
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CODE_SPAN = re.compile(r"`[^`]*`")


class Text(Field):
    """Non-empty text without unsafe markup or control characters; runs of whitespace become
    single spaces. The text may use inline Markdown, and anything inside a `code span` is shown
    as code; `plain` text (a title or a label, which also land in the nav, tab titles and the
    page's <title>) may not hold markup even there."""

    def __init__(self, expected: str, *, plain: bool = False, **options: Any) -> None:
        super().__init__(expected, **options)
        self.plain = plain

    def unsafe(self, value: str) -> str:
        """What unsafe markup the text holds, in words; "" when none."""
        checked = value if self.plain else CODE_SPAN.sub("", value)
        return next((what for pattern, what in UNSAFE_MARKUP if pattern.search(checked)), "")

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, str)
            and bool(value.strip())
            and not self.unsafe(value)
            and not CONTROL.search(value)
        )

    def hint_for(self, value: Any) -> str:
        if isinstance(value, str) and self.unsafe(value):
            inside = "" if self.plain else " (markup inside `backticks` is shown as code)"
            return (
                f"It holds {self.unsafe(value)}, which text fields may not: write plain text "
                f"or inline Markdown with https links{inside}; a '<' followed by a space is "
                "text."
            )
        if isinstance(value, str) and CONTROL.search(value):
            return "Remove the control characters."
        return self.hint

    def convert(self, value: Any) -> Any:
        return one_line(value)


class Identifier(Field):
    """Lowercase words joined by '-', as ids and folder names are."""

    def __init__(self, expected: str = "lowercase words joined by '-'", **options: Any) -> None:
        super().__init__(expected, **options)

    def accepts(self, value: Any) -> bool:
        return is_identifier(value)

    def hint_for(self, value: Any) -> str:
        return QUOTE_HINT if isinstance(value, bool) else self.hint


class Pattern(Field):
    def __init__(self, expected: str, pattern: re.Pattern[str], **options: Any) -> None:
        super().__init__(expected, **options)
        self.pattern = pattern

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and bool(self.pattern.match(value))


class Link(Pattern):
    def __init__(self, expected: str = "a link starting with https:// (no spaces)", **options: Any):
        super().__init__(expected, URL_PATTERN, **options)


class Date(Field):
    """YYYY-MM or YYYY-MM-DD, as text (YAML reads 2026-11-25 as a date: it is converted back)."""

    def accepts(self, value: Any) -> bool:
        return date_text(value) is not None

    def convert(self, value: Any) -> Any:
        return date_text(value)


class Choice(Field):
    """One of a fixed set of values."""

    def __init__(
        self,
        choices: Sequence[Any],
        expected: str | None = None,
        *,
        suggest: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(expected or "one of " + ", ".join(map(str, choices)), **options)
        self.choices = tuple(choices)
        self.suggest = suggest

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (str, int, float, bool)) and value in self.choices

    def hint_for(self, value: Any) -> str:
        return (did_you_mean(value, self.choices) if self.suggest else "") or self.hint


class Flag(Field):
    def __init__(self, expected: str = "true or false", **options: Any) -> None:
        super().__init__(expected, **options)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


class Number(Field):
    """A number (not a bool) >= `minimum`, or > it when `above`."""

    def __init__(self, expected: str, *, minimum: float = 0, above: bool = False, **options: Any):
        super().__init__(expected, **options)
        self.minimum, self.above = minimum, above

    def accepts(self, value: Any) -> bool:
        if not is_number(value):
            return False
        return bool(value > self.minimum if self.above else value >= self.minimum)

    def convert(self, value: Any) -> Any:
        return float(value)


class Whole(Field):
    """A whole number (not a bool) from `minimum` to `maximum`, optionally never 0."""

    def __init__(
        self,
        expected: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        nonzero: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(expected, **options)
        self.minimum, self.maximum, self.nonzero = minimum, maximum, nonzero

    def accepts(self, value: Any) -> bool:
        return (
            is_whole(value)
            and (self.minimum is None or value >= self.minimum)
            and (self.maximum is None or value <= self.maximum)
            and not (self.nonzero and value == 0)
        )


class Check(Field):
    """A value checked by a predicate, for shapes no other field describes."""

    def __init__(self, expected: str, predicate: Callable[[Any], bool], **options: Any):
        super().__init__(expected, **options)
        self.predicate = predicate

    def accepts(self, value: Any) -> bool:
        return self.predicate(value)


class ListOf(Field):
    """A list whose items are each checked by `item`; invalid items are left out."""

    def __init__(self, item: Field, expected: str, *, non_empty: bool = False, **options: Any):
        super().__init__(expected, **options)
        self.item, self.non_empty = item, non_empty

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list) and (bool(value) or not self.non_empty)

    def convert(self, value: Any) -> Any:  # pragma: no cover - check() does the work
        return value

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if self.refused(value, key, checker):
            return INVALID
        items = (self.item.check(v, f"{key}[{i}]", checker) for i, v in enumerate(value))
        return [v for v in items if v is not INVALID]


class Mapping(Field):
    """A mapping with known keys. Unknown keys get "Did you mean ...?"; a missing required key
    says what it expects; each present value is checked by its field, in declaration order.

    `named_by`: in a list of such mappings, the key of a field (e.g. "id") that names the item:
    once it is valid, the other keys of the item are reported as `questions[0] (code).text`.
    Returns a dict with every declared key: the converted value, its default, or INVALID.
    """

    def __init__(
        self,
        fields: dict[str, Field],
        expected: str,
        *,
        named_by: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(expected, **options)
        self.fields = fields
        self.named_by = named_by

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dict)

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if self.refused(value, key, checker):
            return INVALID
        check_keys(value, self.fields, key, checker)
        checked: dict[str, Any] = {}
        named = key
        for name, item in self.fields.items():
            if name not in value:
                checked[name] = INVALID if item.required else item.default
                continue
            checked[name] = item.check(value[name], join(named, name), checker)
            if name == self.named_by and checked[name] is not INVALID:
                named = f"{key} ({checked[name]})"
        return checked


def check_keys(value: dict[Any, Any], fields: dict[str, Field], key: str, checker: Checker) -> None:
    """Unknown keys (with a suggestion) and missing required ones, before any value is checked."""
    for name in value:
        if name not in fields:
            checker.problem(
                join(key, str(name)),
                "one of the known keys (" + ", ".join(fields) + ")",
                Said("an unknown key"),
                did_you_mean(name, fields) or "Remove it.",
            )
    for name, item in fields.items():
        if name not in value and item.required:
            checker.problem(join(key, name), item.expected, Said("nothing"), "Add the key.")


def is_identifier(value: Any) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def date_text(value: Any) -> str | None:
    if isinstance(value, datetime.date):  # YAML reads 2026-11-25 as a date
        return value.isoformat()
    if isinstance(value, str) and DATE_PATTERN.match(value):
        return value
    return None


def valid(*values: Any) -> bool:
    """None of the values is INVALID."""
    return all(v is not INVALID for v in values)


# Added for docs/questionnaire.yml; general enough for any file. ------------------------------


class MappingList(ListOf):
    """A list of at least `minimum` mappings (`item`), where no two items may share the value of
    their `unique` key (an id): a repeat is reported at that key, expecting `unique_expected`.
    Invalid items are left out, as in ListOf."""

    def __init__(
        self,
        item: Mapping,
        expected: str,
        *,
        minimum: int = 0,
        unique: str | None = None,
        unique_expected: str = "",
        **options: Any,
    ) -> None:
        super().__init__(item, expected, non_empty=minimum > 0, **options)
        self.mapping, self.minimum = item, minimum
        self.unique, self.unique_expected = unique, unique_expected

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list) and len(value) >= self.minimum

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if self.refused(value, key, checker):
            return INVALID
        items, seen = [], []
        for i, raw in enumerate(value):
            item = self.mapping.check(raw, f"{key}[{i}]", checker)
            if item is INVALID:
                continue
            items.append(item)
            if self.unique is None or not isinstance(raw, dict) or self.unique not in raw:
                continue
            name = raw[self.unique]
            if name in seen:
                named = self.mapping.named_by == self.unique
                where = f"{key}[{i}] ({name})" if named else f"{key}[{i}]"
                checker.problem(join(where, self.unique), self.unique_expected, name)
            seen.append(name)
        return items


class DictOf(Field):
    """A mapping of names to values of one shape (e.g. evidence id -> source): each name is
    checked by `names`, each value by `values` (at `key.name`). Invalid entries are left out."""

    def __init__(self, names: Field, values: Field, expected: str, **options: Any) -> None:
        super().__init__(expected, **options)
        self.names, self.values = names, values

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dict)

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if self.refused(value, key, checker):
            return INVALID
        checked = {}
        for name, item in value.items():
            where = join(key, str(name))
            if self.names.check(name, where, checker) is INVALID:
                continue
            item = self.values.check(item, where, checker)
            if item is not INVALID:
                checked[name] = item
        return checked


class OneOf(Field):
    """A mapping of one of several shapes (`variants`, each a Mapping), told apart by its `tag`
    key: by the tag's value, or by what `pick` returns for the whole mapping (e.g. whether the
    tag is there at all). A value no variant is named for is reported at the tag's key."""

    def __init__(
        self,
        variants: dict[Any, Field],
        expected: str,
        *,
        tag: str,
        tag_expected: str | None = None,
        pick: Callable[[dict[str, Any]], Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(expected, **options)
        self.variants, self.tag = variants, tag
        self.tag_expected = tag_expected or "one of " + ", ".join(map(str, variants))
        self.pick = pick or (lambda value: value.get(tag))

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dict)

    def check(self, value: Any, key: str, checker: Checker) -> Any:
        if self.refused(value, key, checker):
            return INVALID
        name = self.pick(value)
        if not isinstance(name, (str, int, float, bool)) or name not in self.variants:
            if self.tag in value:
                checker.problem(join(key, self.tag), self.tag_expected, value[self.tag])
            else:
                checker.problem(
                    join(key, self.tag), self.tag_expected, Said("nothing"), "Add the key."
                )
            return INVALID
        return self.variants[name].check(value, key, checker)
