"""Charts: the cache returns the bytes drawing gives, hits never import matplotlib, and exactly
what a chart draws decides whether it is drawn again. Real matplotlib throughout."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator import charts
from generator.compare import Roofline, Row, Summary

ROOT = Path(__file__).resolve().parent.parent
FEATURE = SimpleNamespace(id="fake", title="Fake feature")
# SHA-256 of the SVGs (light scheme) the charts of steady_rows() and roofline_data() give
# (matplotlib 3.11.2; redrawn for phone width and transparent backgrounds, checked by eye): the
# cache must not change a byte. A matplotlib upgrade or a change to the drawing changes them;
# check the charts by eye, then update these.
STEADY_SHA256 = "2b4d1ce97450d49fbc5ad8c676cc01eae58a6219a9f111f2383289908b18e0dc"
ROOFLINE_SHA256 = "39e6ff88a65798414efc3c0e77ae6ee58a69ea986984029d4ba4d39b0c5abdf9"


def summary(median: float, spread: float = 0.05) -> Summary:
    low, high = median * (1 - spread), median * (1 + spread)
    return Summary(median, low, high, median * 0.9, low, high, 30, 3)


def steady_rows(steady_s: float = 0.004) -> tuple[Row, ...]:
    return (
        Row("import", "Import", "s", "lower", summary(1.5), summary(2.1), None),
        Row(
            "first_call",
            "First call (incl. tracing/compilation)",
            "s",
            "lower",
            summary(0.3),
            summary(0.62),
            None,
        ),
        Row("steady", "Steady state, per call", "s", "lower", summary(steady_s), None, None),
    )


def roofline_data(achieved: float = 3.2) -> tuple[dict, list]:
    roofs = {"pytorch": (120.5, 15.1), "tensorflow": (98.0, 12.0)}
    points = [
        SimpleNamespace(
            title="Autodiff",
            framework="pytorch",
            roofline=Roofline(achieved, 0.5, 120.5, 15.1, False),
        ),
        SimpleNamespace(
            title="Training loop",
            framework="tensorflow",
            roofline=Roofline(1.1, 2.0, 98.0, 12.0, False),
        ),
    ]
    return roofs, points


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def svgs(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_cached_bytes_are_the_drawn_bytes_and_a_hit_reads_the_stored_file(tmp_path):
    drawn = charts.steady_chart(FEATURE, steady_rows())
    assert sha256(drawn) == STEADY_SHA256, "the chart's bytes changed (see STEADY_SHA256)"
    cache = tmp_path / "charts"
    assert charts.steady_chart(FEATURE, steady_rows(), cache=cache) == drawn  # a miss
    (name,) = svgs(cache)  # nothing else: no temporary file left behind
    assert len(name) == 64 + len(".svg") and name.endswith(".svg")
    assert (cache / name).read_bytes() == drawn
    assert charts.steady_chart(FEATURE, steady_rows(), cache=cache) == drawn  # a hit
    # A hit returns the stored file, whatever it holds: nothing was drawn.
    (cache / name).write_bytes(b"<svg>stored</svg>\n")
    assert charts.steady_chart(FEATURE, steady_rows(), cache=cache) == b"<svg>stored</svg>\n"


def test_a_stored_file_cut_short_is_drawn_again(tmp_path):
    drawn = charts.steady_chart(FEATURE, steady_rows(), cache=tmp_path)
    (name,) = svgs(tmp_path)
    (tmp_path / name).write_bytes(drawn[:1000])
    assert charts.steady_chart(FEATURE, steady_rows(), cache=tmp_path) == drawn
    assert (tmp_path / name).read_bytes() == drawn


def test_a_cache_hit_does_not_import_matplotlib(tmp_path):
    drawn = charts.steady_chart(FEATURE, steady_rows(), cache=tmp_path)
    roofs, points = roofline_data()
    roofline = charts.roofline_chart(roofs, points, cache=tmp_path)
    script = textwrap.dedent(
        f"""
        import hashlib, json, sys
        from pathlib import Path
        from types import SimpleNamespace
        sys.path.insert(0, {str(ROOT)!r})
        from generator import charts
        from tests.test_charts import FEATURE, roofline_data, steady_rows
        imported = ["matplotlib" in sys.modules]
        steady = charts.steady_chart(FEATURE, steady_rows(), cache=Path({str(tmp_path)!r}))
        roofline = charts.roofline_chart(*roofline_data(), cache=Path({str(tmp_path)!r}))
        imported.append(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
        print(json.dumps([imported, hashlib.sha256(steady).hexdigest(),
                          hashlib.sha256(roofline).hexdigest()]))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    imported, steady_sha, roofline_sha = json.loads(proc.stdout)
    assert imported == [False, []]
    assert (steady_sha, roofline_sha) == (sha256(drawn), sha256(roofline))


def test_importing_the_charts_module_does_not_import_matplotlib():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import generator.charts; print('matplotlib' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert proc.stdout.strip() == "False"


def test_what_the_steady_chart_draws_decides_the_key(tmp_path):
    base = steady_rows()
    drawn = charts.steady_chart(FEATURE, base, cache=tmp_path)
    first = svgs(tmp_path)
    # Not drawn: the import row, units, verdicts, ratios, the feature, a row's q1/q3/counts.
    not_drawn = [
        (dataclasses.replace(base[0], pytorch=summary(9.9)), *base[1:]),
        tuple(dataclasses.replace(r, better="higher", unit="ms") for r in base),
        (
            *base[:2],
            dataclasses.replace(
                base[2],
                pytorch=dataclasses.replace(
                    base[2].pytorch, q1=0.001, q3=0.009, minimum=0.0, n_values=3
                ),
            ),
        ),
    ]
    for rows in not_drawn:
        assert charts.steady_chart(SimpleNamespace(title="Other"), rows, cache=tmp_path) == drawn
    assert svgs(tmp_path) == first
    # Drawn: a median, an interval bound, a label, a side appearing.
    drawn_changes = [
        steady_rows(steady_s=0.005),
        (
            *base[:2],
            dataclasses.replace(
                base[2], pytorch=dataclasses.replace(base[2].pytorch, ci_high=0.0045)
            ),
        ),
        (base[0], dataclasses.replace(base[1], label="Warm-up call (incl. tracing)"), base[2]),
        (*base[:2], dataclasses.replace(base[2], tensorflow=summary(0.008))),
    ]
    outputs = {drawn}
    for n, rows in enumerate(drawn_changes, start=2):
        outputs.add(charts.steady_chart(FEATURE, rows, cache=tmp_path))
        assert len(svgs(tmp_path)) == n
    assert len(outputs) == len(drawn_changes) + 1


def test_roofline_chart_cached_bytes_are_the_drawn_bytes(tmp_path):
    roofs, points = roofline_data()
    drawn = charts.roofline_chart(roofs, points, cache=tmp_path)  # a miss: drawn
    assert sha256(drawn) == ROOFLINE_SHA256, "the chart's bytes changed (see ROOFLINE_SHA256)"
    (name,) = svgs(tmp_path)
    assert (tmp_path / name).read_bytes() == drawn
    assert charts.roofline_chart(roofs, points, cache=tmp_path) == drawn  # a hit


@pytest.mark.slow
def test_what_the_roofline_draws_decides_the_key(tmp_path):
    roofs, points = roofline_data()
    drawn = charts.roofline_chart(roofs, points, cache=tmp_path)
    first = svgs(tmp_path)
    # Not drawn: a point's peaks and degraded flag, a framework that is not charted.
    undrawn = [
        SimpleNamespace(
            title=p.title,
            framework=p.framework,
            roofline=dataclasses.replace(p.roofline, peak_gflops=1.0, degraded=True),
        )
        for p in points
    ]
    assert charts.roofline_chart({**roofs, "jax": (1.0, 1.0)}, undrawn, cache=tmp_path) == drawn
    assert svgs(tmp_path) == first
    # Drawn: a point's achieved GFLOP/s, a roof, a framework's roof missing, and which points
    # are one feature's (they share a number on the chart: here both become one feature's).
    renamed = [SimpleNamespace(**{**vars(points[0]), "title": points[1].title}), points[1]]
    changed = [
        roofline_data(achieved=3.3),
        ({**roofs, "tensorflow": (98.0, 12.5)}, points),
        ({"pytorch": roofs["pytorch"]}, points),
        (roofs, renamed),
    ]
    for n, (r, p) in enumerate(changed, start=2):
        assert charts.roofline_chart(r, p, cache=tmp_path) != drawn
        assert len(svgs(tmp_path)) == n


def test_other_drawing_code_misses(tmp_path, monkeypatch):
    charts.steady_chart(FEATURE, steady_rows(), cache=tmp_path)
    monkeypatch.setattr(charts, "_salt", lambda: b"another charts.py or matplotlib")
    charts.steady_chart(FEATURE, steady_rows(), cache=tmp_path)
    assert len(svgs(tmp_path)) == 2
