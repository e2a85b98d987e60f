"""Every hardware target on the pages: a feature page compares the machines that measured it
(with their stale and unverified marks), the hardware page describes each, and the scoreboard
has a tab per target. Rendered from recorded results with render.pages."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from generator import charts, render, store
from generator.compare import Row, Summary
from generator.discover import discover
from generator.model import Gpu, Machine, Project, Protocol, RunResult
from generator.peaks import FrameworkPeaks, PeakRecord
from generator.provenance import Provenance, load_reference

from .conftest import FEATURE_YML, MACHINE, ROOT, feature_files, inputs_feature_files, recorded
from .test_render import PEAK

PRIMARY = "test-machine"
OTHER = replace(
    MACHINE, machine_id="other-machine", cpu_model="Other CPU", physical_cores=8, logical_cores=16
)
GPU_MACHINE = replace(MACHINE, gpus=(Gpu("Test GPU", 80 * 2**30, "550.1"),))
CUDA = store.results_key(PRIMARY, "cuda")  # test-machine-cuda
WORK = "work:\n  flops: 4.0e+6\n  bytes: 1000000\n"


def on(result: RunResult, machine: Machine, device: str = "cpu") -> RunResult:
    """The result as measured on `machine` at its default thread count (its physical cores)."""
    protocol = Protocol.for_mode(result.protocol.mode, machine.physical_cores)
    return replace(result, machine=machine, device=device, protocol=protocol)


def steady_times(result: RunResult, factor: float) -> RunResult:
    """The result with only its steady-state samples scaled."""
    processes = tuple(
        replace(p, samples=tuple(s * factor for s in p.samples)) for p in result.processes
    )
    return replace(result, processes=processes)


def current(project: Project, result: RunResult) -> RunResult:
    """The result with the cache key its feature's files give now: not stale."""
    (feature,) = [f for f in discover(project.snippets) if f.id == result.feature]
    key = store.cache_key(
        feature,
        result.key,
        machine_id=store.folder_key(result),
        device=result.device,
        protocol=result.protocol,
        framework_version=result.framework_info["version"],
    )
    return replace(result, cache_key=key)


def in_run(result: RunResult, run_id: str) -> RunResult:
    return replace(result, runtime={**result.runtime, "run_id": run_id})


@pytest.fixture
def project(make_project):
    """A feature that declares its work, and a second feature, in a project with no results."""
    yml = FEATURE_YML.format(id="fake") + WORK
    return make_project(
        {
            **inputs_feature_files("fake", **{"feature.yml": yml}),
            **feature_files("second"),
            "docs/index.md": "# Home\n",
        }
    )


def save(project: Project, folder: str, *results: RunResult) -> None:
    results_store = store.Store(project.results, folder)
    for result in results:
        results_store.save(result)


def measure_three_targets(project: Project, *, fresh: tuple[str, ...] = ()) -> None:
    """The primary (PyTorch 2x faster in steady state), another machine where TensorFlow is
    2x faster in steady state (everything else as on the primary), and the primary's GPU, 100x
    faster than its CPU. The folders named in `fresh` hold current results; the others' cache
    key is the recorded "k", so they are stale."""

    def maybe_current(folder: str, result: RunResult) -> RunResult:
        return current(project, result) if folder in fresh else result

    pairs = {
        PRIMARY: (recorded("pytorch", 1.0), recorded("tensorflow", 2.0)),
        "other-machine": (
            on(steady_times(recorded("pytorch", 1.0), 4.0), OTHER),
            on(recorded("tensorflow", 2.0), OTHER),
        ),
        CUDA: (
            on(steady_times(recorded("pytorch", 1.0), 0.01), GPU_MACHINE, "cuda"),
            on(steady_times(recorded("tensorflow", 2.0), 0.01), GPU_MACHINE, "cuda"),
        ),
    }
    for folder, pair in pairs.items():
        save(project, folder, *(maybe_current(folder, r) for r in pair))


def reference(project: Project, *machine_ids: str) -> None:
    lines = "".join(f"  - {m}\n" for m in machine_ids)
    project.results.mkdir(parents=True, exist_ok=True)
    (project.results / "reference-machines.yml").write_text(f"reference:\n{lines}")


def rendered(project: Project, primary: str = PRIMARY, **options) -> dict[str, str]:
    """render.pages of the project's results as `fieldguide render` would call it: the other
    hardware targets and the provenance of every result. Text files decoded, SVGs kept out."""
    files = rendered_bytes(project, primary, **options)
    return {name: data.decode() for name, data in files.items() if name.endswith(".md")}


def rendered_bytes(project: Project, primary: str = PRIMARY, hardware: bool = True, **options):
    features = discover(project.snippets)
    snapshot = store.load_snapshot(project.results, features)
    provenance = Provenance(load_reference(project.results), snapshot, {f.id: f for f in features})
    return render.pages(
        features,
        snapshot.machine(primary),
        None,
        hardware=snapshot.other_hardware(primary) if hardware else (),
        provenance=provenance,
        **options,
    )


def section(page: str, heading: str) -> str:
    return page.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of the table rows whose first cell is `first_cell`."""
    return [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in text.splitlines()
        if line.startswith(f"| {first_cell} |")
    ]


# The feature page: "On each machine" ----------------------------------------------------------


def test_a_feature_page_compares_every_machine_that_measured_it(project):
    measure_three_targets(project)
    page = rendered(project)["core/fake.md"]
    machines = section(page, "## On each machine")
    assert "| Quantity | Machine | Measured | PyTorch | TensorFlow | Verdict |" in machines
    steady = table_rows(machines, "Steady state, per call")
    # The page's machine first, then the others in key order, each linking to its section.
    assert [row[1] for row in steady] == [
        "[Test CPU (2 cores)](../hardware.md#machine-test-machine) (above)",
        "[Other CPU (8 cores)](../hardware.md#machine-other-machine)",
        "[Test GPU (CUDA)](../hardware.md#machine-test-machine-cuda)",
    ]
    assert [row[3:] for row in steady] == [
        ["4.08 ms [4.04 ms – 4.12 ms]", "8.16 ms [8.08 ms – 8.24 ms]", "**PyTorch 2.0× faster**"],
        [
            "16.3 ms [16.2 ms – 16.5 ms]",
            "8.16 ms [8.08 ms – 8.24 ms]",
            "**TensorFlow 2.0× faster**",
        ],
        ["40.8 µs [40.4 µs – 41.2 µs]", "81.6 µs [80.8 µs – 82.4 µs]", "**PyTorch 2.0× faster**"],
    ]
    assert all(row[2].startswith("publication mode, 2026-11-25") for row in steady)
    # Each headline quantity a machine changes gets its rows; code size is the same everywhere.
    for quantity in ("Time to first result", "First call", "Memory the snippet adds"):
        assert len(table_rows(machines, quantity)) == 3, quantity
    assert "Code size" not in machines
    # It reflows into cards like the page's other tables.
    assert '<div class="fg-reflow fg-reflow--machines" markdown>' in machines
    css = (ROOT / "docs" / "stylesheets" / "extra.css").read_text()
    for n, label in enumerate(("Machine", "Measured", "PyTorch", "TensorFlow", "Verdict"), 2):
        assert f'.fg-reflow--machines td:nth-child({n})::before {{ content: "{label}"; }}' in css


def test_a_verdict_that_differs_between_machines_is_said_above_the_table(project):
    measure_three_targets(project)
    machines = section(rendered(project)["core/fake.md"], "## On each machine")
    said = machines.split("| Quantity | Machine |", 1)[0]
    assert (
        "**The verdict depends on the machine.** Steady state, per call: **PyTorch 2.0× faster** "
        "on Test CPU (2 cores), **TensorFlow 2.0× faster** on Other CPU (8 cores), **PyTorch 2.0× "
        "faster** on Test GPU (CUDA).\n"
    ) in said
    # Only steady state differs: no other quantity is named.
    assert "First call" not in said and "Time to first result" not in said


def test_verdicts_that_agree_everywhere_say_nothing_above_the_table(project):
    save(project, PRIMARY, recorded("pytorch", 1.0), recorded("tensorflow", 2.0))
    save(project, "other-machine", *(on(recorded(fw, s), OTHER) for fw, s in FW_SCALES))
    machines = section(rendered(project)["core/fake.md"], "## On each machine")
    assert len(table_rows(machines, "Steady state, per call")) == 2
    assert "The verdict depends on the machine" not in machines


FW_SCALES = (("pytorch", 1.0), ("tensorflow", 2.0))


def test_a_quick_result_elsewhere_reads_not_judged_and_is_not_called_a_difference(project):
    save(project, PRIMARY, recorded("pytorch", 1.0), recorded("tensorflow", 2.0))
    quick = [
        replace(on(recorded(fw, s), OTHER), protocol=Protocol.for_mode("quick", 8))
        for fw, s in (("pytorch", 2.0), ("tensorflow", 1.0))
    ]
    save(project, "other-machine", *quick)
    machines = section(rendered(project)["core/fake.md"], "## On each machine")
    other = table_rows(machines, "Steady state, per call")[1]
    assert other[2].startswith("quick mode, 2026-11-25<br>")
    assert other[5] == "**not judged (quick mode)**"
    assert "The verdict depends on the machine" not in machines


def test_without_another_machine_measuring_the_feature_its_page_is_unchanged(project):
    save(project, PRIMARY, recorded("pytorch", 1.0), recorded("tensorflow", 2.0))
    # Another machine measured only the second feature.
    second = [on(recorded(fw, 1.0, feature="second"), OTHER) for fw in ("pytorch", "tensorflow")]
    save(project, "other-machine", *second)
    with_hardware = rendered_bytes(project)
    alone = rendered_bytes(project, hardware=False)
    assert with_hardware["core/fake.md"] == alone["core/fake.md"]
    assert "core/fake-machines.svg" not in with_hardware
    assert "## On each machine" in with_hardware["core/second.md"].decode()


# Stale and unverified ---------------------------------------------------------------------


def machine_cells(project: Project) -> dict[str, str]:
    """Machine name -> the Measured cell of its steady-state row."""
    machines = section(rendered(project)["core/fake.md"], "## On each machine")
    rows = table_rows(machines, "Steady state, per call")
    return {re.match(r"\[([^\]]+)\]", row[1]).group(1): row[2] for row in rows}


BOTH = (
    "publication mode, 2026-11-25<br><small>[stale](#machines-stale), "
    "[unverified](#machines-unverified)</small>"
)
PLAIN = "publication mode, 2026-11-25"


def test_stale_and_unverified_results_are_marked_and_explained(project):
    measure_three_targets(project)  # no reference machines, every cache key out of date
    page = rendered(project)["core/fake.md"]
    assert set(machine_cells(project).values()) == {BOTH}
    machines = section(page, "## On each machine")
    assert (
        "**stale**: measured from other files than the code on this page (an older snippet, "
        "helpers, `feature.yml` or inputs) or by another version of the harness, so the numbers "
        "may not be those of this code. Running `fieldguide run fake` on that machine measures "
        "it again.\n{ #machines-stale .fg-care }"
    ) in machines
    assert (
        "A reference machine measuring that snippet clears the mark.\n"
        "{ #machines-unverified .fg-care }"
    ) in machines
    # The page's own numbers say so too, under the numbers table.
    numbers = section(page, "## Numbers")
    assert (
        "**Stale:** PyTorch and TensorFlow were measured from other files than the code above "
        "(snippet, helpers, `feature.yml`, inputs) or by another version of the harness; "
        "`fieldguide run fake` on this machine measures them again.\n{ .fg-provenance }"
    ) in numbers
    assert "**Unverified:** PyTorch and TensorFlow were measured on a machine that is not" in (
        numbers
    )


def test_a_reference_machine_with_current_results_has_no_mark(project):
    reference(project, PRIMARY)
    measure_three_targets(project, fresh=(PRIMARY, CUDA))
    cells = machine_cells(project)
    assert cells["Test CPU (2 cores)"] == PLAIN
    # The GPU folder is the same (reference) machine, and current.
    assert cells["Test GPU (CUDA)"] == PLAIN
    assert cells["Other CPU (8 cores)"] == BOTH
    page = rendered(project)["core/fake.md"]
    assert "**Stale:**" not in page and "**Unverified:**" not in page  # quiet when all is well


def test_a_current_result_from_a_machine_no_reference_machine_confirms_is_only_unverified(project):
    reference(project, PRIMARY)
    measure_three_targets(project, fresh=("other-machine",))  # the reference's own are stale
    cells = machine_cells(project)
    assert cells["Other CPU (8 cores)"] == (
        "publication mode, 2026-11-25<br><small>[unverified](#machines-unverified)</small>"
    )
    assert cells["Test CPU (2 cores)"] == (
        "publication mode, 2026-11-25<br><small>[stale](#machines-stale)</small>"
    )
    machines = section(rendered(project)["core/fake.md"], "## On each machine")
    assert "{ #machines-stale .fg-care }" in machines
    assert "{ #machines-unverified .fg-care }" in machines


def test_a_mark_on_one_side_only_names_that_side(project):
    reference(project, PRIMARY)
    save(project, PRIMARY, *(current(project, recorded(fw, s)) for fw, s in FW_SCALES))
    other = [on(recorded(fw, s), OTHER) for fw, s in FW_SCALES]
    save(project, "other-machine", current(project, other[0]), other[1])  # TensorFlow's stale
    cells = machine_cells(project)
    # PyTorch's is current and the reference machine measured the same snippet: verified.
    assert cells["Other CPU (8 cores)"] == (
        "publication mode, 2026-11-25<br><small>[stale](#machines-stale) (TensorFlow), "
        "[unverified](#machines-unverified) (TensorFlow)</small>"
    )


# The chart grouped by machine -------------------------------------------------------------


def test_the_steady_state_chart_grouped_by_machine_comes_in_both_schemes(project, tmp_path):
    measure_three_targets(project)
    files = rendered_bytes(project)
    light, dark = files["core/fake-machines.svg"], files["core/fake-machines-dark.svg"]
    for svg in (light, dark):
        assert svg.startswith(b"<?xml") and svg.rstrip().endswith(b"</svg>")
    assert light != dark
    assert b"#c2410c" in light and b"#fb923c" in dark  # PyTorch's colour in each scheme
    assert rendered_bytes(project)["core/fake-machines.svg"] == light  # deterministic
    cached = rendered_bytes(project, chart_cache=tmp_path / "charts")
    assert cached["core/fake-machines-dark.svg"] == dark
    # The page's own chart and the grouped one, in two schemes (no peaks: no roofline).
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 4
    page = files["core/fake.md"].decode()
    alt = (
        "Bar chart of Fake feature, steady state per call on each machine, median with 95% "
        "confidence interval, logarithmic time axis; Test CPU (2 cores): PyTorch 4.08 ms, "
        "TensorFlow 8.16 ms; Other CPU (8 cores): PyTorch 16.3 ms, TensorFlow 8.16 ms; Test GPU "
        "(CUDA): PyTorch 40.8 µs, TensorFlow 81.6 µs. The same numbers are in the table above."
    )
    assert f"![{alt}](fake-machines.svg#only-light)" in page
    assert f"![{alt}](fake-machines-dark.svg#only-dark)" in page
    assert "on a logarithmic time axis" in section(page, "## On each machine")


def test_the_grouped_chart_is_keyed_on_its_numbers(tmp_path):
    def steady(median: float) -> Row:
        s = Summary(median, median, median, median, median * 0.99, median * 1.01, 30, 3)
        return Row("steady", "Steady state, per call", "s", "lower", s, s, None)

    cache = tmp_path / "charts"
    drawn = charts.machines_chart([("A", steady(0.004)), ("B", steady(0.008))])
    assert charts.machines_chart([("A", steady(0.004)), ("B", steady(0.008))]) == drawn
    assert charts.machines_chart([("A", steady(0.004)), ("B", steady(0.008))], cache=cache) == (
        drawn
    )
    assert charts.machines_chart([("A", steady(0.004)), ("B", steady(0.009))], cache=cache) != (
        drawn
    )
    assert len(list(cache.glob("*.svg"))) == 2  # one file per set of numbers


# The hardware page ------------------------------------------------------------------------


def test_the_hardware_page_has_a_section_per_machine_that_feature_pages_link_to(project):
    reference(project, PRIMARY)
    measure_three_targets(project)
    # The other machine ran the peak suite, and its feature results belong to that run.
    judged = FrameworkPeaks.judge(PEAK, PEAK)
    other_store = store.Store(project.results, "other-machine")
    other_store.save_peaks(PeakRecord("run9", {"pytorch": judged, "tensorflow": judged}))
    for framework, scale in FW_SCALES:
        other_store.save(in_run(on(recorded(framework, scale), OTHER), "run9"))
    files = rendered_bytes(project)
    hardware = files["hardware.md"].decode()
    assert hardware.startswith("---\ntitle: The machines and their peaks\n---\n")
    assert (
        "The site's pages show the numbers of [Test CPU (2 cores)](#machine-test-machine); it "
        "also has results from [Other CPU (8 cores)](#machine-other-machine) and [Test GPU "
        "(CUDA)](#machine-test-machine-cuda), which each feature page compares"
    ) in hardware
    headings = re.findall(r"^## (.+)$", hardware, flags=re.M)
    assert headings == [
        "Test CPU (2 cores) { #machine-test-machine }",
        "Other CPU (8 cores) { #machine-other-machine }",
        "Test GPU (CUDA) { #machine-test-machine-cuda }",
    ]
    primary, other, gpu = (section(hardware, f"## {heading}") for heading in headings)
    assert primary.startswith(
        "\nTest CPU (AVX2), 2 physical / 4 logical cores, 8 GiB; Linux 6.0; CPython 3.11.7. "
        "Device `cpu`; machine id `test-machine`, results in `results/test-machine/`."
    )
    assert "**Reference machine**: listed in `results/reference-machines.yml`." in primary
    assert "Other CPU (AVX2), 8 physical / 16 logical cores, 8 GiB" in other
    assert "**Unverified**: not one of the project's reference machines" in other
    assert "; GPU: Test GPU, 80 GiB, driver 550.1;" in gpu and "Device `cuda`" in gpu
    assert "**Reference machine**" in gpu  # the same machine as the primary
    # Its own peaks and roofline; the primary has none.
    assert "Latest run: `run9` on `other-machine`." in other
    assert "| GEMM fp32 (GFLOP/s) | 100.0 | 100.0 | 100.0 | 100.0 | " in other
    assert "](hardware-other-machine.svg#only-light)" in other
    assert "](hardware-other-machine-dark.svg#only-dark)" in other
    assert {"hardware-other-machine.svg", "hardware-other-machine-dark.svg"} <= set(files)
    assert "hardware.svg" not in files
    assert '!!! info "Not measured yet"' in primary
    # Every machine a feature page links to has its section.
    page = files["core/fake.md"].decode()
    anchors = set(re.findall(r"\]\(\.\./hardware\.md#([\w-]+)\)", page))
    assert anchors == {"machine-test-machine", "machine-other-machine", "machine-test-machine-cuda"}
    assert all(f"{{ #{a} }}" in hardware for a in anchors)


def test_machines_that_share_a_name_are_told_apart_by_their_folder(project):
    twin = replace(MACHINE, machine_id="twin-machine", memory_bytes=16 * 2**30)
    save(project, PRIMARY, *(recorded(fw, s) for fw, s in FW_SCALES))
    save(project, "twin-machine", *(on(recorded(fw, s), twin) for fw, s in FW_SCALES))
    pages = rendered(project)
    assert "## Test CPU (2 cores), test-machine { #machine-test-machine }" in pages["hardware.md"]
    assert "## Test CPU (2 cores), twin-machine { #machine-twin-machine }" in pages["hardware.md"]
    assert '=== "Test CPU (2 cores), twin-machine"' in pages["_scoreboard.md"]


# The scoreboard ---------------------------------------------------------------------------


def busy(result: RunResult) -> RunResult:
    """Measured while other processes used a core: a "Read with care" mark."""
    return replace(result, runtime={**result.runtime, "other_cpu_cores": 1.0})


def test_the_scoreboard_has_a_tab_per_machine_with_notes_of_its_own(project):
    save(project, PRIMARY, *(busy(recorded(fw, s)) for fw, s in FW_SCALES))
    save(project, "other-machine", *(busy(on(recorded(fw, s), OTHER)) for fw, s in FW_SCALES))
    scoreboard = rendered(project)["_scoreboard.md"]
    assert re.findall(r'^=== "(.+)"$', scoreboard, flags=re.M) == [
        "Test CPU (2 cores)",
        "Other CPU (8 cores)",
    ]
    # One reflowing wrapper around the tabs: Markdown parses no HTML block inside a tab.
    body = scoreboard.split("-->\n", 1)[1]
    assert body.startswith('<div class="fg-reflow fg-reflow--scoreboard" markdown>\n\n=== ')
    assert body.rstrip().endswith("</div>") and body.count("<div") == 1
    tabs = body.split('=== "')[1:]
    assert (
        "[This machine](features/hardware.md#machine-test-machine)\n    { .fg-caption }"
        in (tabs[0])
    )
    assert "**Measured on** Other CPU, 8 cores, 8 GiB (`other-machine`)" in tabs[1]
    assert "[This machine](features/hardware.md#machine-other-machine)" in tabs[1]
    # Each tab's table and its "Read with care" notes, with ids unique on the page.
    for tab, key in zip(tabs, (PRIMARY, "other-machine"), strict=True):
        assert "    | Feature | Same result? | Steady state |" in tab
        assert f'<sup>[1](#care-{key}-fake "Read with care")</sup>' in tab
        assert f"{{ #care-{key}-fake .fg-care }}" in tab
    ids = re.findall(r"\{ #([\w-]+)", scoreboard)
    assert sorted(ids) == ["care-other-machine-fake", "care-test-machine-fake"]


def test_with_one_machine_the_scoreboard_has_no_tabs(project):
    save(project, PRIMARY, *(busy(recorded(fw, s)) for fw, s in FW_SCALES))
    scoreboard = rendered(project)["_scoreboard.md"]
    assert "===" not in scoreboard
    assert scoreboard.split("-->\n", 1)[1].startswith('<p class="fg-caption" markdown="span">')
    assert "[This machine](features/hardware.md)</p>" in scoreboard
    assert "{ #care-fake .fg-care }" in scoreboard
    hardware = rendered(project)["hardware.md"]
    assert hardware.startswith("---\ntitle: This machine's peaks\n---\n")
    assert "it also has results from" not in hardware


# The site ---------------------------------------------------------------------------------


class Ids(HTMLParser):
    """The ids and the radio inputs of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.radios: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        # pymdownx.tabbed's radio buttons (the theme's colour-scheme toggle has radios too).
        if tag == "input" and found.get("type") == "radio" and found["name"].startswith("__tab"):
            self.radios.append(found)


@pytest.mark.slow
def test_a_site_with_two_machines_builds_strict_and_its_tabs_need_no_javascript(project):
    from generator.site import build_site

    (project.root / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    (project.root / "generator").mkdir()
    (project.root / "generator" / "mkdocs_hooks.py").write_text(
        (ROOT / "generator" / "mkdocs_hooks.py").read_text()
    )
    for folder in ("stylesheets", "javascripts"):
        shutil.copytree(ROOT / "docs" / folder, project.docs / folder)
    (project.docs / "index.md").write_text(
        "# Home\n\n## Scoreboard\n\n<!-- fieldguide:scoreboard -->\n"
    )
    (project.docs / "methodology.md").write_text(
        "# Methodology\n\n## Comparing the two frameworks\n"
    )
    measure_three_targets(project)
    save(project, PRIMARY, *(busy(recorded(fw, s)) for fw, s in FW_SCALES))
    render.sync(project.generated, rendered_bytes(project))
    build_site(project.root, project.site)  # strict: any warning (a broken anchor) fails it

    home = Ids()
    home.feed((project.site / "index.html").read_text())
    assert len(home.ids) == len(set(home.ids)), "duplicate ids on the home page"
    # pymdownx.tabbed's tabs are radio buttons with labels: they switch with CSS alone.
    names = [r["name"] for r in home.radios]
    assert len(home.radios) == 3 and len(set(names)) == 1
    assert "checked" in home.radios[0] and all("checked" not in r for r in home.radios[1:])
    html = (project.site / "index.html").read_text()
    assert re.findall(r'<label for="__tabbed_1_\d">([^<]+)</label>', html) == [
        "Test CPU (2 cores)",
        "Other CPU (8 cores)",
        "Test GPU (CUDA)",
    ]
    assert html.count("<table>") == 3
    assert 'id="care-test-machine-fake"' in html and 'id="care-other-machine-fake"' not in html
    hardware = (project.site / "features" / "hardware" / "index.html").read_text()
    for key in (PRIMARY, "other-machine", CUDA):
        assert f'id="machine-{key}"' in hardware
    feature = (project.site / "features" / "core" / "fake" / "index.html").read_text()
    assert 'href="../../hardware/#machine-other-machine"' in feature
    assert 'class="fg-reflow fg-reflow--machines"' in feature
    assert "fake-machines-dark.svg#only-dark" in feature
    assert (project.site / "features" / "core" / "fake-machines.svg").is_file()


def test_a_machines_own_text_cannot_break_the_pages_or_the_chart(project):
    hostile = replace(
        OTHER, cpu_model="Evil <script>alert(1)</script> | *CPU* $x$", os="Linux <b>", python="3|x"
    )
    save(project, PRIMARY, *(recorded(fw, s) for fw, s in FW_SCALES))
    save(project, "other-machine", *(on(recorded(fw, s), hostile) for fw, s in FW_SCALES))
    files = rendered_bytes(project)
    assert files["core/fake-machines.svg"].rstrip().endswith(b"</svg>")  # `$x$` is no mathtext
    for name, data in files.items():
        if name.endswith(".md"):
            assert "<script>" not in data.decode() and "<b>" not in data.decode(), name
    hardware = files["hardware.md"].decode()
    name = "Evil &lt;script>alert(1)&lt;/script> \\| \\*CPU\\* $x$ (8 cores)"
    assert f"## {name} {{ #machine-other-machine }}" in hardware
    assert "Linux &lt;b>; 3\\|x." in hardware
    scoreboard = files["_scoreboard.md"].decode()
    assert f'=== "{name}"' in scoreboard
    page = files["core/fake.md"].decode()
    assert f"[{name}](../hardware.md#machine-other-machine)" in page
