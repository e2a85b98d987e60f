"""The end-of-run summary in the terminal: one row per snippet, with the fix for any failure."""

from __future__ import annotations

from rich.table import Table

from . import compare
from .model import FRAMEWORK_LABELS, Status
from .run import Outcome
from .text import format_value, last_line

STYLES = {
    Status.OK: "green",
    Status.FAILED: "red",
    Status.TIMEOUT: "red",
    Status.SKIPPED: "yellow",
    Status.UNSUPPORTED: "cyan",
}


def summary_table(outcomes: list[Outcome], again: str = "run") -> Table:
    """`again` is the command a failure's fix is tried with: `check` measures into its own
    folder, and its user must never be sent to `run`, which writes the published results."""
    table = Table(title=f"fieldguide {again}", show_lines=False)
    metrics = any(o.result.processes and o.result.processes[0].metrics for o in outcomes)
    columns = ("Feature", "Snippet", "Status", "Steady median", "First call")
    for column in (*columns, *(("Metrics",) if metrics else ()), "Note"):
        table.add_column(column)
    for outcome in sorted(outcomes, key=lambda o: (o.result.feature, o.result.key)):
        r = outcome.result
        steady = compare.summarize(compare.per_process(r, "steady"))
        first = compare.summarize(compare.per_process(r, "first_call"))
        note = "cached" if not outcome.executed else ""
        if r.message:
            note = (note + "; " if note else "") + last_line(r.message)
            if r.status in (Status.FAILED, Status.TIMEOUT):
                note += f" → fix, then `fieldguide {again} {r.feature}`"
        declared = r.processes[0].metrics if r.processes else {}
        table.add_row(
            r.feature,
            FRAMEWORK_LABELS.get(r.framework, r.framework)
            + (f" ({r.variant})" if r.variant else ""),
            f"[{STYLES[r.status]}]{r.status.value}[/]",
            format_value(steady.median, "s") if steady else "—",
            format_value(first.median, "s") if first else "—",
            *(
                (", ".join(f"{k} {v:g}" for k, v in sorted(declared.items())) or "—",)
                if metrics
                else ()
            ),
            note,
        )
    return table
