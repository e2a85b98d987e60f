"""Results at another thread count: stored beside the default ones, and shown on the page
where their verdicts differ."""

from __future__ import annotations

import re
from dataclasses import replace

from generator import commands, store
from generator.environment import current_machine
from generator.model import Protocol
from generator.run import RunOptions

from .conftest import FEATURE_YML, feature_files, recorded
from .fakes import FAKES
from .test_run import results_of


def test_another_thread_count_is_stored_beside_the_default_and_replaces_nothing(make_project):
    project = make_project(feature_files())
    commands.run(project, [], RunOptions(mode="quick"), frameworks=FAKES)
    default = results_of(project).load("fake", "pytorch")
    other = current_machine().physical_cores + 1
    commands.run(project, [], RunOptions(mode="quick", threads=other), frameworks=FAKES)
    key = store.results_key(current_machine().machine_id, "cpu", other)
    assert key.endswith(f"-threads{other}")
    moved = store.Store(project.results, key).load("fake", "pytorch")
    assert moved.protocol.threads == other
    assert results_of(project).load("fake", "pytorch") == default  # untouched


def at_threads(framework: str, scale: float, threads: int):
    result = recorded(framework, scale)
    return replace(result, protocol=Protocol.for_mode("default", threads))


CLAIM = "  - text: PyTorch is faster.\n    quantity: steady\n    expect: pytorch\n"


def page_with_one_thread_results(make_project, tensorflow_scale: float) -> str:
    """The feature page, then the scoreboard."""
    yml = FEATURE_YML.format(id="fake") + CLAIM
    project = make_project({**feature_files(**{"feature.yml": yml}), "docs/index.md": "# Home\n"})
    default = store.Store(project.results, "test-machine")
    default.save(recorded("pytorch", 1.0))
    default.save(recorded("tensorflow", 2.0))
    one = store.Store(project.results, store.results_key("test-machine", "cpu", 1))
    one.save(at_threads("pytorch", 1.0, 1))
    one.save(at_threads("tensorflow", tensorflow_scale, 1))
    commands.render(project, "test-machine")
    scoreboard = (project.generated / "_scoreboard.md").read_text()
    return (project.generated / "core" / "fake.md").read_text() + scoreboard


def test_the_page_shows_the_verdicts_that_differ_at_another_thread_count(make_project):
    page = page_with_one_thread_results(make_project, tensorflow_scale=1.0)
    section = page.split("### At 1 intra-op thread\n", 1)[1].split("\n## ", 1)[0]
    assert "these verdicts differ there" in section
    assert "| Quantity | At 2 threads (above): PyTorch / TensorFlow (95% CI) | Verdict |" in section
    assert "| Steady state, per call | 0.50 (" in section
    # Identical work on both sides at 1 thread: no difference claimed there.
    steady = next(line for line in section.splitlines() if line.startswith("| Steady state"))
    assert steady.endswith("| no measurable difference |") or steady.endswith("| equal |")
    assert "| PyTorch better |" in steady
    # A claim the page supports says where the other setting reads differently.
    claim = next(line for line in page.splitlines() if line.startswith("| PyTorch is faster."))
    assert "**supported** | Steady state, per call: PyTorch/TensorFlow = 0.50" in claim
    assert "At 1 intra-op thread it is no measurable difference: Steady state" in claim
    # The scoreboard's cell: the verdict in words, then the ratio and the other setting's verdict.
    assert re.search(
        r"\*\*PyTorch 2\.0× faster\*\*<br><small>0\.50 \([^)]*\); at 1 thread: no measurable "
        r"difference</small>",
        page,
    )


def test_the_page_says_so_when_every_verdict_holds_at_the_other_thread_count(make_project):
    page = page_with_one_thread_results(make_project, tensorflow_scale=2.0)
    section = page.split("### At 1 intra-op thread\n", 1)[1].split("\n## ", 1)[0]
    assert "every verdict in the table above is the same there" in section
    assert "| Steady state" not in section
    claim = next(line for line in page.splitlines() if line.startswith("| PyTorch is faster."))
    assert "intra-op thread" not in claim
