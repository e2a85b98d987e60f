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
    yml = FEATURE_YML.format(id="fake").replace("tags: [test]", "tags: []")
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    result = cli_runner(project, "check")
    assert result.exit_code == 2
    assert (
        "snippets/fake/feature.yml: key 'tags': expected a non-empty list of lowercase "
        "words, found []."
    ) in result.output
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
