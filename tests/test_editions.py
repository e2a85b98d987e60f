"""Editions: names, the edition data, and the changes page on two recorded result sets (one
feature 2× slower, one changed only inside the noise)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from generator import editions
from generator.articles import Fact
from generator.errors import FieldGuideError
from generator.model import Feature, Tolerance

from .conftest import recorded

FOLDER = "test-machine"


def feature(feature_id: str) -> Feature:
    return Feature(
        id=feature_id,
        title=feature_id.title(),
        section="Core",
        summary="s",
        timed="t",
        comparison=Tolerance(rtol=1e-5, atol=1e-8),
        claims=(),
        directory=Path("."),
    )


def noisy(framework: str, feature_id: str, scale: float, seed: int):
    """A recorded result whose steady samples carry ±10% noise from `seed`, times `scale`."""
    rng = np.random.default_rng(seed)
    result = recorded(framework, 1.0, feature=feature_id)
    processes = tuple(
        dataclasses.replace(
            p, samples=tuple(0.004 * scale * (1 + 0.1 * rng.uniform(-1, 1)) for _ in p.samples)
        )
        for p in result.processes
    )
    return dataclasses.replace(result, processes=processes)


FACT = Fact(
    "hub", "Model hubs", "tensorflow", "TF Hub moved.", "https://example.org", "2026-01-01", "cited"
)


def edition(name: str, slow_scale: float, steady_scale: float, seed: int, facts=(FACT,)):
    results = {
        ("slow", fw): noisy(fw, "slow", slow_scale if fw == "pytorch" else 1.0, seed + i)
        for i, fw in enumerate(("pytorch", "tensorflow"))
    }
    results |= {
        ("steady", fw): noisy(fw, "steady", steady_scale, seed + 10 + i)
        for i, fw in enumerate(("pytorch", "tensorflow"))
    }
    versions = {"pytorch": "2.13.0+cpu", "tensorflow": "2.21.0"}
    return editions.Edition(name, versions, "abc123", "2026-12-03", {FOLDER: results}, facts)


def test_the_name_comes_from_the_measured_versions_and_can_be_refused():
    versions = editions.versions_of([recorded("pytorch", 1.0), recorded("tensorflow", 1.0)])
    assert versions == {"pytorch": "9.9.9", "tensorflow": "9.9.9"}
    assert editions.default_name({"pytorch": "2.13.0+cpu", "tensorflow": "2.21.0"}) == (
        "tf2.21-pt2.13"
    )
    assert editions.check_name("tf2.21-pt2.13") == "tf2.21-pt2.13"
    for bad in ("latest", "../x", "", "a b"):
        with pytest.raises(FieldGuideError, match="is not an edition name"):
            editions.check_name(bad)


def test_edition_data_survives_its_file_form():
    one = edition("tf2.21-pt2.13", 1.0, 1.0, seed=1)
    back = editions.Edition.decode(one.encode(), "x")
    assert back == one
    assert one.encode() == one.encode()  # byte-stable: no timestamp in the gzip header
    with pytest.raises(FieldGuideError, match="not an edition's data"):
        editions.Edition.decode(b"not gzip", "gh-pages:old/features/edition.json.gz")


def test_a_twofold_slowdown_is_reported_and_a_change_inside_the_noise_is_not():
    old = edition("tf2.20-pt2.12", 1.0, 1.0, seed=1)
    added = Fact("serving", "Serving", "both", "New.", "https://example.org", "2026-12-03", "cited")
    moved = dataclasses.replace(FACT, checked="2026-12-03")
    new = edition("tf2.21-pt2.13", 2.0, 1.02, seed=100, facts=(moved, added))
    changes = editions.changes(old, new, [feature("slow"), feature("steady")])
    (change,) = changes.timings
    assert (change.feature.id, change.label, change.quantity) == (
        "slow",
        "PyTorch",
        "Steady state, per call",
    )
    assert change.slower and change.describe().startswith(f"{change.ratio.value:.2f}× slower")
    assert 1.8 < change.ratio.value < 2.2
    assert changes.compared == 12  # 2 features x 2 snippets x 3 quantities, all judged
    assert changes.not_judged == 0
    assert [(f.fact_id, f.what) for f in changes.facts] == [
        ("hub", "changed"),
        ("serving", "added"),
    ]
    assert changes.machines == (FOLDER,) and changes.equivalence == ()


def test_quick_mode_results_are_not_judged_as_change():
    old = edition("a", 1.0, 1.0, seed=1)
    quick = {
        key: dataclasses.replace(r, protocol=dataclasses.replace(r.protocol, mode="quick"))
        for key, r in edition("b", 2.0, 1.0, seed=5).results[FOLDER].items()
    }
    new = dataclasses.replace(old, name="b", results={FOLDER: quick})
    changes = editions.changes(old, new, [feature("slow"), feature("steady")])
    assert changes.timings == () and changes.compared == 0 and changes.not_judged == 12


def test_the_changes_page_lists_the_change_and_says_how_it_was_judged():
    old = edition("tf2.20-pt2.12", 1.0, 1.0, seed=1)
    new = edition("tf2.21-pt2.13", 2.0, 1.02, seed=100)
    changes = editions.changes(old, new, [feature("slow"), feature("steady")])
    page = editions.changes_page(changes, "tf2.21-pt2.13").decode()
    assert "# What changed since tf2.20-pt2.12" in page
    row = next(line for line in page.splitlines() if line.startswith("| `test-machine` | [Slow]"))
    assert "(core/slow.md) | PyTorch | Steady state, per call |" in row and "× slower" in row
    assert "[Steady]" not in page  # inside the noise: not listed
    assert "12 comparisons were judged" in page
    assert "Every pair that computed the same result before still does" in page
    first = editions.changes_page(None, "tf2.21-pt2.13").decode()
    assert "This is the first edition of the guide (tf2.21-pt2.13)" in first
