"""Hostile snippets and metadata: what a stranger's pull request can try, and what it gets."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
import yaml
from rich.console import Console

from generator import launch, store
from generator import run as run_module
from generator.child import sandbox
from generator.commands import render
from generator.discover import discover
from generator.errors import FieldGuideError, ValidationError
from generator.launch import RUN_MARKER
from generator.model import Status
from generator.run import DEFAULT_TIMEOUT_S, run_features

from .conftest import FEATURE_YML, SNIPPET_PY, feature_files, recorded
from .fakes import FAKES
from .test_run import QUICK, results_of, run

ROOT = Path(__file__).resolve().parent.parent


def problems_of(project) -> list[str]:
    with pytest.raises(ValidationError) as info:
        discover(project.snippets)
    return [str(p) for p in info.value.problems]


def with_field(key: str, value: str) -> dict[str, str]:
    """The fake feature with one top-level text field replaced (quoted as YAML)."""
    line = f"{key}: {json.dumps(value)}"  # a JSON string is a YAML double-quoted scalar
    yml = re.sub(rf"^{key}: .*$", lambda _: line, FEATURE_YML.format(id="fake"), flags=re.M)
    return feature_files("fake", **{"feature.yml": yml})


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [
        ("title", "<script>alert(1)</script>", "raw HTML"),
        ("title", "`<img src=x onerror=alert(1)>`", "raw HTML"),  # a title has no code spans
        ("summary", "Sums a list.</p><script>alert(1)</script>", "raw HTML"),
        ("summary", "See [the docs](javascript:alert(1)).", "a link that is not http(s)"),
        ("timed", "One call.{: onclick=alert(1) }", "an attribute list ({...})"),
        ("timed", "One call <!-- hidden -->", "raw HTML"),
    ],
)
def test_markup_that_could_run_script_is_refused_where_it_is_written(
    make_project, key, value, what
):
    (problem,) = problems_of(make_project(with_field(key, value)))
    assert problem.startswith(f"snippets/fake/feature.yml: key '{key}': expected ")
    assert f"It holds {what}, which text fields may not" in problem


def test_plain_comparisons_and_code_spans_are_text(make_project):
    project = make_project(with_field("summary", "Sums a list (a < b), `List<int>` and `{x}`."))
    (feature,) = discover(project.snippets)
    assert feature.summary == "Sums a list (a < b), `List<int>` and `{x}`."


def test_a_title_with_quotes_and_backslashes_keeps_its_front_matter(make_project):
    title = 'Say "hi" \\ and it\'s: #1 *bold*'
    project = make_project({**with_field("title", title), "docs/index.md": "# Home\n"})
    results = store.Store(project.results, "test-machine")
    results.save(recorded("pytorch", 1.0))
    results.save(recorded("tensorflow", 2.0))
    render(project, "test-machine")
    page = (project.generated / "core" / "fake.md").read_text()
    front = page.split("---\n")[1]
    assert yaml.safe_load(front) == {"title": title}  # written by the YAML serialiser
    assert '# Say "hi" \\\\ and it\'s: #1 \\*bold\\*\n' in page  # the heading shows it literally
    scoreboard = (project.generated / "_scoreboard.md").read_text()
    assert '[Say "hi" \\\\ and it\'s: #1 \\*bold\\*](features/core/fake.md)' in scoreboard


# --- processes, memory, output -------------------------------------------------------------


def hostile_run(
    make_project, run_body: str, setup_body: str = "return None", yml_extra="", tensorflow=None
):
    """Quick-run a PyTorch side (a stdlib stand-in) whose run() is `run_body`; the TensorFlow
    side is the well-behaved fake unless `tensorflow` replaces it. Beside it, a bystander
    feature with stored results: every hostile run must leave those bytes as they were and
    no process of the run alive. Returns both sides' results."""
    snippet = (
        "import os, signal, subprocess, sys, time\n\n\n"
        f"def setup(inputs):\n    {setup_body}\n\n\n"
        f"def run(state):\n    {run_body}\n    return {{'sum': 1.25}}\n"
    )
    yml = FEATURE_YML.format(id="fake") + yml_extra
    other = {"with_tensorflow.py": tensorflow} if tensorflow else {}
    files = feature_files("fake", **{"with_pytorch.py": snippet, "feature.yml": yml, **other})
    project = make_project({**files, **feature_files("bystander")})
    results = results_of(project)
    for framework in ("pytorch", "tensorflow"):
        results.save(recorded(framework, 1.0, feature="bystander"))
    before = {p: p.read_bytes() for p in sorted(project.results.rglob("*.json"))}
    outcomes = run(project, only=["fake"])
    assert {p: p.read_bytes() for p in before} == before, "a bystander's result changed"
    assert processes_of_runs(results) == [], "a process of the run is still running"
    return outcomes["fake", "pytorch"].result, outcomes["fake", "tensorflow"].result


def processes_of_runs(results: store.Store) -> list[psutil.Process]:
    """Live processes that a run for these results started (they carry its marker)."""
    owner = str(results.folder.resolve())
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            marker = process.environ().get(RUN_MARKER, "")
            if marker.endswith(f":{owner}") and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


def sleepers(seconds: str) -> list[psutil.Process]:
    """`sleep <seconds>` processes: each test sleeps its own number of seconds, so that tests
    running in parallel never see each other's."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if process.info["cmdline"] == ["sleep", seconds]:
            found.append(process)
    return found


@pytest.mark.parametrize(
    ("start", "seconds"),
    [
        ("subprocess.Popen(['sleep', '3601'])", "3601"),  # in the snippet's process group
        ("subprocess.Popen(['sleep', '3602'], start_new_session=True)", "3602"),  # out of it
        # Double fork: the sleeper's parent exits at once, so it is orphaned before any poll.
        ("subprocess.run(['sh', '-c', 'setsid sleep 3603 & exit 0'])", "3603"),
    ],
)
def test_a_process_left_running_is_killed_and_fails_the_snippet(make_project, start, seconds):
    before = {p.pid for p in sleepers(seconds)}
    result, other = hostile_run(make_project, "pass", f"{start}\n    return None")
    assert result.status is Status.FAILED
    assert result.message.startswith("It left 1 process(es) running after it ended: ")
    assert "(sleep)" in result.message and "They were killed." in result.message
    assert [p for p in sleepers(seconds) if p.pid not in before] == []  # none outlives the run
    assert other.status is Status.OK  # the other side's result is untouched


def test_a_memory_hog_is_stopped_at_its_limit_with_the_phase(make_project):
    result, other = hostile_run(
        make_project,
        "pass",
        "blob = bytearray(600 * 2**20)\n    time.sleep(2)\n    return blob",
        "memory_limit_mib: 256\n",
    )
    assert result.status is Status.FAILED
    assert result.message.startswith("Stopped in setup: the process and its children held ")
    assert "over the limit of 256 MiB (memory_limit_mib in feature.yml)" in result.message
    assert other.status is Status.OK


def test_a_flood_of_output_is_stopped(make_project):
    # 80 MiB printed in setup (the timed calls print to /dev/null, so only setup and the
    # first call can flood).
    flood = "for _ in range(80):\n        sys.stdout.write('x' * 2**20 + '\\n')\n    return None"
    result, _ = hostile_run(make_project, "pass", flood)
    assert result.status is Status.FAILED
    assert result.message.startswith("Stopped: it printed more than 64 MiB while loading, in setup")
    assert len(result.message) < 10_000


def test_a_crash_names_its_signal_and_phase(make_project):
    result, _ = hostile_run(make_project, "os.kill(os.getpid(), signal.SIGSEGV)")
    assert result.status is Status.FAILED
    assert result.message.startswith(
        "The child process was killed by SIGSEGV in first call, before writing a result."
    )


def test_a_memory_spike_between_two_samples_is_caught_by_the_peak(make_project, monkeypatch):
    """The limit is watched every 0.1 s; a spike shorter than that shows in the peak RSS the
    harness records, and fails the snippet after the fact. (The watch is slowed down here so
    that it cannot see the spike itself.)"""
    monkeypatch.setattr(launch, "POLL_S", 30.0)
    result, _ = hostile_run(
        make_project, "pass", "bytearray(600 * 2**20)\n    return None", "memory_limit_mib: 256\n"
    )
    assert result.status is Status.FAILED
    assert result.message.startswith("Its peak memory was ")
    assert (
        "over the limit of 256 MiB (memory_limit_mib in feature.yml), in a spike" in result.message
    )


def test_printed_output_is_capped_in_the_result(make_project):
    result, _ = hostile_run(make_project, "print('y' * 200_000)")
    assert result.status is Status.OK
    assert len(result.output_text) < 70_000
    assert result.output_text.endswith("more characters of output cut: kept the first 65,536]")


def test_quick_mode_without_a_declared_timeout_gets_the_quick_default(make_project, monkeypatch):
    monkeypatch.setitem(DEFAULT_TIMEOUT_S, "quick", 0.5)  # 180 s in earnest
    result, _ = hostile_run(make_project, "time.sleep(60)")
    assert result.status is Status.TIMEOUT
    assert result.message.startswith(
        "Killed after 0.5 s (the default; set timeout_s in feature.yml) in first call."
    )


def start_runner(project, tmp_path, force: bool = False) -> subprocess.Popen[bytes]:
    """`fieldguide run` (quick, on the stdlib stand-ins) in a process of its own."""
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\nfrom generator.commands import run\nfrom generator.model import Project\n"
        "from generator.run import RunOptions\nfrom tests.fakes import FAKES\n"
        f"from pathlib import Path\nroot = Path({str(project.root)!r})\n"
        f"run(Project(root), [], RunOptions(mode='quick', force={force}), frameworks=FAKES)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(script)], cwd=project.root, env=env, stderr=subprocess.PIPE
    )


def test_sigterm_of_a_run_ends_its_snippet(make_project, tmp_path):
    """`fieldguide run` terminated mid-snippet: the snippet and what it started end with it."""
    snippet = (
        "import subprocess, time\n\n\ndef setup(inputs):\n    return None\n\n\n"
        "def run(state):\n    subprocess.Popen(['sleep', '3604'], start_new_session=True)\n"
        "    time.sleep(3600)\n"
    )
    project = make_project(feature_files("fake", **{"with_pytorch.py": snippet}))
    before = {p.pid for p in sleepers("3604")}
    runner = start_runner(project, tmp_path)
    deadline = time.monotonic() + 60
    while not [p for p in sleepers("3604") if p.pid not in before] and time.monotonic() < deadline:
        assert runner.poll() is None, runner.stderr.read().decode() if runner.stderr else ""
        time.sleep(0.1)
    started = [p for p in sleepers("3604") if p.pid not in before]
    assert len(started) == 1  # the snippet is running, and has started its process
    snippet = [p for p in psutil.Process(runner.pid).children() if p.is_running()]
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) != 0
    assert "KeyboardInterrupt: SIGTERM" in runner.stderr.read().decode()
    for process in started + snippet:
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_run_killed_while_it_writes_loses_nothing_and_leaves_nothing(make_project, tmp_path, sig):
    """A forced re-run of six features, killed at six moments spread over its saves (once it
    has rewritten 0, 2, 4, ... of the 12 results): every result stays readable and good (the
    old one or the new one, never half of either), and the next run ends what a SIGKILL left
    and sweeps its half-written temporary files."""
    ids = [f"f{i}" for i in range(6)]
    project = make_project({k: v for i in ids for k, v in feature_files(i).items()})
    results = results_of(project)
    run(project)
    rewritten = []  # per kill, how many of the 12 results the killed run had written anew
    for target in (0, 2, 4, 6, 8, 10):
        before = {p: p.read_bytes() for p in project.results.rglob("*.json")}

        def changed(before: dict = before) -> int:
            return sum(p.read_bytes() != data for p, data in before.items())

        runner = start_runner(project, tmp_path, force=True)
        deadline = time.monotonic() + 60
        time.sleep(0.3)
        while changed() < target and runner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        runner.send_signal(sig)
        runner.wait(timeout=30)
        for feature in ids:
            for framework in ("pytorch", "tensorflow"):
                result = results.load(feature, framework)  # raises if half-written
                assert result is not None and result.status is Status.OK
        rewritten.append(changed())
    print("results rewritten before each kill:", rewritten)
    assert any(0 < n < 12 for n in rewritten)  # some kills landed between the saves
    run(project)  # ends the SIGKILLed run's processes before it measures
    assert processes_of_runs(results) == []
    assert list(project.results.rglob("*.tmp")) == []


def test_a_new_run_ends_what_a_killed_run_left_behind(make_project):
    """SIGKILL gives no chance to clean up: the next run finds the orphans by their marker."""
    project = make_project(feature_files())
    owner = str(results_of(project).folder.resolve())
    # Marked by a runner that no longer exists, for this project's results.
    env = {**os.environ, RUN_MARKER: f"999999999:{owner}"}
    orphan = subprocess.Popen(["sleep", "3605"], env=env, start_new_session=True)
    try:
        console = Console(record=True, width=200)
        run_features(discover(project.snippets), QUICK, results_of(project), console, FAKES)
        orphan.wait(timeout=10)  # reaped already by the run: Popen then reads 0
        assert not psutil.pid_exists(orphan.pid)
        said = console.export_text()
        assert f"Ended 1 process(es) that an earlier run left running: {orphan.pid} (sleep)" in said
    finally:
        orphan.kill()


def test_the_other_framework_imported_by_a_computed_name_fails_the_snippet(make_project):
    """Static validation refuses `import tensorflow` in a PyTorch file; a name built at run
    time gets past it, and the harness catches the module itself."""
    # Stand-ins: "pytorch" runs on json, "tensorflow" on wave (stdlib modules neither imports).
    frameworks = {**FAKES, "tensorflow": replace(FAKES["tensorflow"], module="wave")}
    snippet = (
        "import importlib\n\n\ndef setup(inputs):\n    return None\n\n\n"
        "def run(state):\n    importlib.import_module('wa' + 've')\n    return {'sum': 1.25}\n"
    )
    project = make_project(feature_files("fake", **{"with_pytorch.py": snippet}))
    results = run(project, frameworks=frameworks)
    result = results["fake", "pytorch"].result
    assert result.status is Status.FAILED
    assert result.message == (
        "The snippet imported wave in setup or the first call: a pytorch snippet must not use "
        "the other framework (its import and memory would be charged to this side). Remove the "
        "import, however it is written."
    )
    assert results["fake", "tensorflow"].result.status is Status.OK


def test_printed_bytes_and_c_level_output_are_captured_as_when_run_alone(make_project):
    """stdout is a real file: `.buffer` and `fileno()` work, undecodable bytes and strings are
    shown with replacement, and output written below Python (os.write) is captured too."""
    body = (
        "sys.stdout.buffer.write(b'raw \\xff\\xfe\\x80\\n'); sys.stdout.flush()\n"
        "    print('lone surrogate \\udcff')\n"
        "    os.write(sys.stdout.fileno(), b'from the file descriptor\\n')"
    )
    result, _ = hostile_run(make_project, body)
    assert result.status is Status.OK
    assert "raw \ufffd\ufffd\ufffd" in result.output_text
    assert "lone surrogate \\udcff" in result.output_text
    assert "from the file descriptor" in result.output_text


def test_a_crash_keeps_what_was_printed_before_it(make_project):
    result, _ = hostile_run(
        make_project, "pass", "print('about to crash', flush=True)\n    os._exit(3)"
    )
    assert result.status is Status.FAILED
    assert result.message.endswith("Last output:\nabout to crash")


def test_colour_codes_and_local_paths_never_reach_the_message(make_project):
    body = (
        "raise ValueError('\\x1b[31mred\\x1b[0m at ' + os.path.abspath('.') + ' in ' + sys.prefix)"
    )
    result, _ = hostile_run(make_project, body)
    assert result.status is Status.FAILED
    assert "\x1b" not in result.message and sys.prefix not in result.message
    assert "ValueError: red at <tmp>/" in result.message and " in <venv>" in result.message


def test_a_corrupted_result_marks_its_snippet_and_the_rest_still_renders(make_project):
    """A snippet can write anywhere its user can: one that overwrote another feature's result
    used to stop every page from rendering."""
    files = {**feature_files("one"), **feature_files("two"), "docs/index.md": "# Home\n"}
    project = make_project(files)
    results = store.Store(project.results, "test-machine")
    for feature in ("one", "two"):
        results.save(recorded("pytorch", 1.0, feature=feature))
        results.save(recorded("tensorflow", 2.0, feature=feature))
    results.path("two", "pytorch").write_text("garbage")
    with pytest.raises(FieldGuideError) as info:
        render(project, "test-machine")
    assert str(info.value).startswith(
        "1 result file(s) could not be read; the other pages were rendered"
    )
    assert "- results/test-machine/two/pytorch.json: cannot be read as JSON" in str(info.value)
    one = (project.generated / "core" / "one.md").read_text()
    two = (project.generated / "core" / "two.md").read_text()
    assert "| Steady state, per call | " in one
    assert '!!! failure "Its stored result cannot be read"' in two
    assert "Run `fieldguide run --force two` to measure again." in two
    assert str(project.root) not in two


def test_a_childs_peak_memory_is_its_own_not_its_parents(make_project):
    """getrusage's peak survives exec: a child of a 600 MiB parent reported 600 MiB, and a
    memory limit below that failed a snippet that used 20 MiB."""
    ballast = b"x" * (600 * 2**20)  # written, so resident: the runner (this process) grows
    result, other = hostile_run(make_project, "pass", yml_extra="memory_limit_mib: 256\n")
    assert result.status is Status.OK and other.status is Status.OK
    assert result.processes[0].peak_rss_bytes < 256 * 2**20
    del ballast


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("sys.exit(0)", "The snippet raised SystemExit: 0 during first call at with_pytorch.py"),
        ("os.abort()", "The child process was killed by SIGABRT in first call"),
        ("raise KeyboardInterrupt", "The snippet raised KeyboardInterrupt during first call"),
    ],
)
def test_exits_and_aborts_are_statuses_that_name_what_happened(make_project, body, says):
    result, other = hostile_run(make_project, body)
    assert result.status is Status.FAILED
    assert result.message.startswith(says)
    assert other.status is Status.OK


# --- the contract, broken ------------------------------------------------------------------


def test_a_syntax_error_is_refused_before_anything_runs(make_project):
    broken = "def setup(inputs):\n    return None\n\n\ndef run(state):\n    return {'sum': 1.25\n"
    (problem,) = problems_of(make_project(feature_files("fake", **{"with_pytorch.py": broken})))
    assert problem == (
        "snippets/fake/with_pytorch.py: expected valid Python, found a syntax error at line 6: "
        "'{' was never closed."
    )


def test_a_missing_module_fails_in_load_and_names_it(make_project):
    snippet = "import fieldguide_no_such_module\n\n\n" + SNIPPET_PY
    project = make_project(feature_files("fake", **{"with_pytorch.py": snippet}))
    outcomes = run(project)
    result = outcomes["fake", "pytorch"].result
    assert result.status is Status.FAILED
    assert result.message.startswith(
        "The snippet raised ModuleNotFoundError: No module named 'fieldguide_no_such_module' "
        "during load at with_pytorch.py, line 1: import fieldguide_no_such_module"
    )
    assert outcomes["fake", "tensorflow"].result.status is Status.OK


def test_an_exception_in_setup_names_the_phase_and_the_line(make_project):
    result, _ = hostile_run(make_project, "pass", "raise RuntimeError('no weights')")
    assert result.status is Status.FAILED
    assert result.message.startswith(
        "The snippet raised RuntimeError: no weights during setup at with_pytorch.py, line 5: "
        "raise RuntimeError('no weights')"
    )


def test_markup_in_printed_output_is_shown_as_text(make_project):
    """Printed output goes into a code fence longer than any backtick run inside it: a snippet
    cannot close the fence and put HTML on the page."""
    result, _ = hostile_run(make_project, "print('````\\n<script>alert(1)</script>\\n````')")
    assert result.status is Status.OK
    from generator.text import fence

    block = fence(result.output_text)
    assert block.startswith("`````text\n") and block.endswith("\n`````")
    assert "<script>alert(1)</script>" in block  # inside the fence: escaped by the highlighter


NONDETERMINISTIC = (
    "import time\n\n\ndef setup(inputs):\n    return None\n\n\n"
    "def run(state):\n    return {'sum': float(time.time_ns() % 1000)}\n"
)


def test_a_result_that_changes_between_processes_is_not_deterministic(make_project):
    """Every process starts from the same inputs: a result seeded from the clock matches the
    other side only by luck, and `check` runs each snippet twice to see it."""
    from generator.commands import check

    project = make_project(feature_files("fake", **{"with_pytorch.py": NONDETERMINISTIC}))
    outcomes, problems = check(project, [], QUICK, frameworks=FAKES)
    (result,) = [o.result for o in outcomes if o.result.framework == "pytorch"]
    assert result.status is Status.FAILED
    assert result.message.startswith(
        "Not deterministic: two processes given the same inputs returned different results. "
        "Outside rtol=1e-09, atol=0. sum: process 1 "
    )
    assert result.message.endswith(
        "Derive every random value from the inputs or a fixed seed, never from the clock, the "
        "process id or an unseeded generator."
    )
    assert [p.text.split(":")[0] for p in problems] == ["pytorch failed"]


RETURNS = "def setup(inputs):\n    return None\n\n\ndef run(state):\n    return {}\n"


@pytest.mark.parametrize(
    ("tensorflow", "says", "structural"),
    [
        (
            RETURNS.format("{'total': 1.25}"),
            "outputs differ (pytorch vs tensorflow): result: PyTorch returned ['sum'], "
            "TensorFlow returned ['total']; both must return the same structure.",
            True,
        ),
        (
            RETURNS.format("{'sum': [1.25]}"),
            "outputs differ (pytorch vs tensorflow): Different layouts: sum: shape () from "
            "PyTorch, (1,) from TensorFlow. Both must return the same keys, shapes and layout.",
            True,
        ),
        (
            RETURNS.format("{'sum': float('nan')}"),
            "outputs differ (pytorch vs tensorflow): Outside rtol=1e-09, atol=0. sum: NaN from "
            "TensorFlow only, at [] (1 of 1 elements).",
            False,
        ),
    ],
    ids=["keys", "shape", "nan-one-side"],
)
def test_outputs_that_differ_say_how_and_where(make_project, tensorflow, says, structural):
    from generator.commands import check

    project = make_project(feature_files("fake", **{"with_tensorflow.py": tensorflow}))
    _, problems = check(project, [], QUICK, frameworks=FAKES)
    (problem,) = [p.text for p in problems]
    fix = (
        "Fix the snippets." if structural else "Fix the snippets, or the tolerance in feature.yml."
    )
    assert problem == f"{says} {fix}"


# --- writes outside the scratch folder -----------------------------------------------------

# Garbage into every result file of the project, found from the snippet's own path, and a
# new file beside them: what a hostile snippet did to another feature's results.
OVERWRITE = (
    "import pathlib\n    results = pathlib.Path(__file__).resolve().parents[2] / 'results'\n"
    "    for path in results.rglob('*.json'):\n        path.write_text('garbage')\n"
    "    (results / 'planted.json').write_text('{}')"
)


@pytest.mark.skipif(not sandbox.works(), reason="no working Landlock here")
def test_a_write_to_the_results_is_refused_by_the_kernel(make_project):
    result, other = hostile_run(make_project, OVERWRITE)
    assert result.status is Status.FAILED
    assert result.message.startswith(
        "The snippet raised PermissionError: [Errno 13] Permission denied: '<project>/results/"
    )
    assert "(a snippet may write only beneath its scratch folder: the `workdir`" in result.message
    assert result.runtime["writes"].startswith("scratch folder and /dev only (Landlock ABI ")
    assert other.status is Status.OK


def test_where_writes_are_not_confined_a_changed_result_is_restored(make_project, monkeypatch):
    """Without Landlock (old kernels), the runner compares the results after every process
    and puts back what a snippet changed; hostile_run checks the bystander's bytes."""
    monkeypatch.setattr(run_module, "CONFINE_WRITES", False)
    result, other = hostile_run(make_project, OVERWRITE)
    assert result.status is Status.FAILED
    machine = result.machine.machine_id
    assert result.message.startswith(
        "It changed 3 file(s) outside its scratch folder, among the project's results: "
        f"results/{machine}/bystander/pytorch.json, results/{machine}/bystander/tensorflow.json, "
        "results/planted.json."
    )
    assert result.message.endswith(
        ". They were restored. A snippet may write only beneath its scratch folder (the "
        "`workdir` that setup() can ask for)."
    )
    assert result.runtime["writes"].startswith("not confined (no working Landlock here)")
    assert other.status is Status.OK


def test_a_snippet_may_write_in_its_scratch_folder_and_temporary_files(make_project):
    body = (
        "import tempfile\n    with tempfile.NamedTemporaryFile() as f:\n        f.write(b'x')\n"
        "    open(os.path.join(state, 'model.bin'), 'wb').write(b'weights')"
    )
    snippet = (
        "import os\n\n\ndef setup(inputs, workdir):\n    return workdir\n\n\n"
        f"def run(state):\n    {body}\n    return {{'sum': 1.25}}\n"
    )
    project = make_project(feature_files("fake", **{"with_pytorch.py": snippet}))
    assert run(project)["fake", "pytorch"].result.status is Status.OK


def test_a_run_sweeps_the_temporary_files_of_a_write_that_was_killed(make_project):
    project = make_project(feature_files())
    results = results_of(project)
    left = results.folder / "fake" / ".pytorch.json.abc123.tmp"  # as write_json names them
    left.parent.mkdir(parents=True)
    left.write_text('{"half": ')
    run(project)
    assert not left.exists()
    assert results.load("fake", "pytorch").status is Status.OK


def invalid_feature_project(make_project):
    """Two features, one with a broken feature.yml that the questionnaire cites, both measured
    and rendered once while still valid."""
    from .questionnaire.conftest import RULES

    files = {**feature_files("fake"), **feature_files("good"), "docs/index.md": "# Home\n"}
    project = make_project({**files, "docs/questionnaire.yml": RULES})
    results = store.Store(project.results, "test-machine")
    for feature in ("fake", "good"):
        results.save(recorded("pytorch", 1.0, feature=feature))
        results.save(recorded("tensorflow", 2.0, feature=feature))
    render(project, "test-machine")
    assert (project.generated / "core" / "fake.md").is_file()
    yml = project.snippets / "fake" / "feature.yml"
    yml.write_text(yml.read_text().replace("section: Core", "section: Nowhere"))
    return project


def test_an_invalid_feature_yml_leaves_its_feature_out_and_the_rest_renders(make_project):
    project = invalid_feature_project(make_project)
    with pytest.raises(FieldGuideError) as info:
        render(project, "test-machine")
    said = str(info.value)
    assert said.startswith("Invalid snippets metadata (1 problem):\n  - snippets/fake/feature.yml")
    assert "key 'section'" in said
    assert said.endswith(
        "The other features were rendered; fake was left out. Fix the files above, then run "
        "`fieldguide check` again."
    )
    assert "| Steady state, per call | " in (project.generated / "core" / "good.md").read_text()
    assert not (project.generated / "core" / "fake.md").exists()  # no stale page is published
    scoreboard = (project.generated / "_scoreboard.md").read_text()
    assert "good" in scoreboard and "features/core/fake.md" not in scoreboard
    questionnaire = "".join(p.read_text() for p in project.generated.glob("_questionnaire*"))
    assert "Not shown: the feature 'fake' has an invalid feature.yml" in questionnaire


def test_a_snippet_is_a_module_in_sys_modules_as_when_imported(make_project):
    """torch.compile reads a traced function's globals through sys.modules[__name__]: a
    snippet loaded without its entry failed there with ModuleNotFoundError."""
    result, _ = hostile_run(make_project, "assert sys.modules[__name__].run is run")
    assert result.status is Status.OK


def test_a_run_with_nothing_to_measure_still_ends_what_a_killed_run_left(make_project):
    """An orphan has no runner left to time it out: a run that finds every result cached
    ends it too."""
    project = make_project(feature_files())
    run(project)  # every result cached from now on
    owner = str(results_of(project).folder.resolve())
    env = {**os.environ, RUN_MARKER: f"999999999:{owner}"}
    orphan = subprocess.Popen(["sleep", "3606"], env=env, start_new_session=True)
    try:
        outcomes = run(project)
        assert not any(o.executed for o in outcomes.values())
        orphan.wait(timeout=10)
        assert not psutil.pid_exists(orphan.pid)
    finally:
        orphan.kill()
