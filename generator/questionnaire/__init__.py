"""The framework-selection questionnaire: rules as data, validated, bound to measurements, scored.

The rules live in docs/questionnaire.yml (project content, like snippets/: its evidence names
this project's features, and the page publishes the file beside itself). What flows where:

- `rules`: the frozen data (Rules, Question, Option, Choice, Effect, Evidence, Measurement) and
  the constants every module shares.
- `validation` (with `references`): `load_rules` reads the file and checks it with
  generator.schema's typed fields, plus the references between its parts and its coverage;
  it raises RulesError listing every problem.
- `evidence`: `resolve` binds each measured effect to results from a store.Snapshot (through
  compare.row, as the feature pages do): it sets the effect's outcome, points and reason.
- `engine`: the one scoring engine, `evaluate` (and `outcome_of`, the outcome alone).
  docs/javascripts/questionnaire.js mirrors it over the JSON `page.payload` puts on the page;
  a browser test compares the two over many answer sets.
- `answers`: `--answers` text in (`parse_answers`), the share link's query out
  (`query_string`).
- `page`: `files` renders docs/features/_questionnaire.md from resolved rules.
- `terminal`: `fieldguide ask` (`ask`, `explain`), the page's words in a terminal.

Loading and resolving are the caller's (generator.commands): load_rules -> resolve -> files
or ask. No module here reads results or imports the commands.
"""

from .answers import parse_answers, query_string
from .engine import Flip, Result, evaluate, outcome_of
from .evidence import resolve
from .page import files, payload
from .rules import DONT_KNOW, EITHER, PAGE_FILE, PAGE_URL, Answers, Rules, RulesError
from .terminal import ask, explain, headline
from .validation import load_rules

__all__ = [
    "DONT_KNOW",
    "EITHER",
    "PAGE_FILE",
    "PAGE_URL",
    "Answers",
    "Flip",
    "Result",
    "Rules",
    "RulesError",
    "ask",
    "evaluate",
    "explain",
    "files",
    "headline",
    "load_rules",
    "outcome_of",
    "parse_answers",
    "payload",
    "query_string",
    "resolve",
]
