"""The command line: user errors without tracebacks, and docs that match the commands."""

from __future__ import annotations

import re

from generator.cli import cli

from .conftest import FEATURE_YML, ROOT, feature_files


def test_unknown_feature_is_a_clear_error_without_traceback(make_project, cli_runner):
    project = make_project(feature_files("autodiff"))
    result = cli_runner(project, "run", "autodif")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert (
        "Error: No feature 'autodif' under snippets/. Did you mean 'autodiff'?\n"
        "Known features: autodiff."
    ) in result.output


def test_check_reports_validation_errors_and_fails(make_project, cli_runner):
    yml = FEATURE_YML.format(id="fake") + "tags: [test]\n"  # a key dropped: nothing used it
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    result = cli_runner(project, "check")
    assert result.exit_code == 2
    assert (
        "snippets/fake/feature.yml: key 'tags': expected one of the known keys (id, title, "
    ) in result.output
    assert "found an unknown key. Remove it." in result.output
    assert "Fix the files above, then run `fieldguide check` again." in result.output


def test_outside_a_project_says_where_to_run(tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["render"])
    assert result.exit_code == 2
    assert "not inside a Field Guide project" in result.output
    assert "Run fieldguide from the project root." in result.output


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert re.search(rf"`fieldguide {name}\b", readme), f"README.md does not mention {name}"


def test_methodology_page_states_the_protocol_in_code():
    from generator.model import Protocol

    page = (ROOT / "docs" / "methodology.md").read_text()
    default, quick = Protocol.for_mode("default", 1), Protocol.for_mode("quick", 1)
    assert f"| processes per snippet | {default.processes} | {quick.processes} |" in page
    assert f"| samples per process | {default.samples} | {quick.samples} |" in page
    assert (
        f"| minimum sample length | {default.min_sample_s * 1000:g} ms | "
        f"{quick.min_sample_s * 1000:g} ms |"
    ) in page
    assert (
        f"| warm-up | at least {default.warmup_calls} calls and {default.warmup_s:g} s | "
        f"{quick.warmup_calls} call |"
    ) in page


def test_check_offers_no_quick_flag_and_run_does():
    from click.testing import CliRunner

    check_help = CliRunner().invoke(cli, ["check", "--help"]).output
    run_help = CliRunner().invoke(cli, ["run", "--help"]).output
    assert "--quick" not in check_help and "--quick" in run_help
    assert "never into results/" in " ".join(check_help.split())


def test_check_shows_metrics_sends_fixes_to_check_and_says_what_quick_mode_leaves_out(
    make_project, cli_runner, monkeypatch
):
    """A failing snippet's fix is tried with `check`, never with `run` (which writes the
    published results); declared metrics are shown; a declared `work:` says why there is no
    roofline."""
    from generator import commands

    from .fakes import FAKES

    real_check = commands.check
    monkeypatch.setattr(
        commands, "check", lambda *a, **k: real_check(*a, **{**k, "frameworks": FAKES})
    )
    yml = FEATURE_YML.format(id="fake") + (
        "metrics:\n  - id: calls\n    label: Calls\n    unit: count\n    better: lower\n"
        "work:\n  flops: 4.0e+6\n  bytes: 100\n"
    )
    counting = (
        "def setup(inputs):\n    return {'calls': 0}\n\n\n"
        "def run(state):\n    state['calls'] += 1\n    return {'sum': 1.25}\n\n\n"
        "def metrics(state):\n    return {'calls': 7}\n"
    )
    broken = counting.replace("state['calls'] += 1", "1 / 0")
    files = feature_files(
        "fake", **{"feature.yml": yml, "with_pytorch.py": counting, "with_tensorflow.py": broken}
    )
    result = cli_runner(make_project(files), "check")
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "Metrics" in said and "calls 7" in said
    assert "→ fix, then `fieldguide check fake`" in said
    assert "fieldguide run fake`" not in said.replace("(`fieldguide run fake`)", "")
    assert (
        "fake: declares `work:`, but check runs no peak suite, so it shows no roofline; a "
        "publication run (`fieldguide run fake`) measures the peaks."
    ) in said
