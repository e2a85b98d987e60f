"""Variants: another snippet of one framework, measured beside the headline pair and labelled,
never mistaken for it (discover, run, render and check)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from generator import commands, store
from generator.commands import render
from generator.discover import discover
from generator.errors import ValidationError
from generator.run import RunOptions, run_features

from .conftest import FEATURE_YML, SNIPPET_PY, feature_files, inputs_feature_files, recorded
from .fakes import FAKES
from .test_run import results_of

QUICK = RunOptions(mode="quick")
VARIANTS = """\
variants:
  - id: fit
    framework: tensorflow
    label: One fit call
    timed: One call of a higher-level API, with its per-call set-up.
"""
# Longer than the headline snippet, so that a claim about code size can tell them apart.
LONG_SNIPPET = SNIPPET_PY.replace(
    '    return {"sum": sum(state)}',
    "    a = state[0]\n    b = state[1]\n    c = state[2]\n    d = a + b\n"
    '    return {"sum": d + c}',
)


def variant_files(yml_extra: str = "", **overrides: str) -> dict[str, str]:
    yml = FEATURE_YML.format(id="fake") + VARIANTS + yml_extra
    return feature_files(
        "fake", **{"feature.yml": yml, "with_tensorflow_fit.py": SNIPPET_PY, **overrides}
    )


def problems_of(project) -> list[str]:
    with pytest.raises(ValidationError) as info:
        discover(project.snippets)
    return [str(p) for p in info.value.problems]


def test_a_variant_is_its_own_snippet_beside_the_headline_pair(make_project):
    (feature,) = discover(make_project(variant_files()).snippets)
    assert feature.keys == ("pytorch", "tensorflow", "tensorflow_fit")
    snippet = feature.snippets["tensorflow_fit"]
    assert (snippet.framework, snippet.variant, snippet.path.name) == (
        "tensorflow",
        "fit",
        "with_tensorflow_fit.py",
    )
    assert feature.framework_of("tensorflow_fit") == "tensorflow"


def test_a_variant_without_its_file_is_reported_with_the_fix(make_project):
    files = variant_files()
    del files["snippets/fake/with_tensorflow_fit.py"]
    assert problems_of(make_project(files)) == [
        "snippets/fake/with_tensorflow_fit.py: expected a tensorflow snippet, "
        "found no such file. Write it, or remove variant 'fit' from feature.yml."
    ]


def test_a_variant_of_an_unsupported_framework_is_refused(make_project):
    problems = problems_of(make_project(variant_files("unsupported:\n  tensorflow: Cannot.\n")))
    assert (
        "snippets/fake/feature.yml: key 'variants[0].framework': expected a framework not "
        "declared unsupported, found 'tensorflow'. Remove the variant or the `unsupported` entry."
    ) in problems


def test_two_variants_with_one_id_are_refused(make_project):
    again = "  - id: fit\n    framework: pytorch\n    label: Again\n    timed: Again.\n"
    files = variant_files(again, **{"with_pytorch_fit.py": SNIPPET_PY})
    assert problems_of(make_project(files)) == [
        "snippets/fake/feature.yml: key 'variants[1].id': expected an id no other variant has, "
        "found 'fit'."
    ]


def test_a_claim_may_only_name_a_declared_variant(make_project):
    claim = "  - text: Shorter.\n    quantity: loc\n    expect: tensorflow\n    variant: fitt\n"
    yml = FEATURE_YML.format(id="fake") + claim + VARIANTS
    files = feature_files("fake", **{"feature.yml": yml, "with_tensorflow_fit.py": SNIPPET_PY})
    assert problems_of(make_project(files)) == [
        "snippets/fake/feature.yml: key 'claims[1].variant': expected one of the ids under "
        "`variants` (fit), found 'fitt'."
    ]


def test_a_variant_runs_in_the_same_rounds_and_is_stored_under_its_own_name(make_project):
    project = make_project(variant_files())
    features = discover(project.snippets)
    outcomes = run_features(
        features, RunOptions(mode="default"), results_of(project), frameworks=FAKES
    )
    by_key = {o.result.key: o.result for o in outcomes}
    assert set(by_key) == {"pytorch", "tensorflow", "tensorflow_fit"}
    variant = by_key["tensorflow_fit"]
    assert (variant.framework, variant.variant, variant.ok) == ("tensorflow", "fit", True)
    assert len(variant.processes) == len(by_key["tensorflow"].processes) == 20
    path = results_of(project).path("fake", "tensorflow_fit")
    assert path.name == "tensorflow_fit.json" and path.is_file()
    assert results_of(project).load("fake", "tensorflow").variant == ""


def test_editing_a_variant_reruns_only_the_variant(make_project):
    project = make_project(variant_files())
    features = discover(project.snippets)
    run_features(features, QUICK, results_of(project), frameworks=FAKES)
    path = project.snippets / "fake" / "with_tensorflow_fit.py"
    path.write_text(path.read_text() + "\n# edited\n")
    outcomes = run_features(
        discover(project.snippets), QUICK, results_of(project), frameworks=FAKES
    )
    assert {o.result.key for o in outcomes if o.executed} == {"tensorflow_fit"}


def test_check_compares_a_variant_with_the_other_frameworks_headline(make_project):
    other = "def setup(inputs):\n    return None\n\n\ndef run(state):\n    return {'sum': 1.5}\n"
    project = make_project(variant_files(**{"with_tensorflow_fit.py": other}))
    _, problems = commands.check(project, [], QUICK, frameworks=FAKES)
    (problem,) = problems
    assert problem.text.startswith("outputs differ (pytorch vs tensorflow_fit): ")


def rendered_variant_page(make_project, claim: str = "") -> str:
    yml = FEATURE_YML.format(id="fake") + claim + VARIANTS
    files = inputs_feature_files(
        "fake", **{"feature.yml": yml, "with_tensorflow_fit.py": LONG_SNIPPET}
    )
    project = make_project({**files, "docs/index.md": "# Home\n"})
    results = store.Store(project.results, "test-machine")
    results.save(recorded("pytorch", 1.0))
    results.save(recorded("tensorflow", 2.0))
    results.save(replace(recorded("tensorflow", 6.0), variant="fit"))
    render(project, "test-machine")
    return (project.generated / "core" / "fake.md").read_text()


def test_the_page_shows_a_variant_against_its_own_headline_not_in_the_headline_table(
    make_project,
):
    page = rendered_variant_page(make_project)
    numbers = page.split("## Numbers\n", 1)[1].split("\n## ", 1)[0]
    # The headline table compares the headline pair only: 1 vs 2, a ratio of 0.50.
    assert "| Steady state, per call | " in numbers and "| 0.50 (" in numbers
    section = page.split("## Other ways to write it\n", 1)[1].split("\n## ", 1)[0]
    assert "### TensorFlow: One fit call" in section
    assert "**Timed:** One call of a higher-level API, with its per-call set-up." in section
    assert "Same result as PyTorch: **yes**" in section
    assert (
        "| Steady state, per call | 8.16 ms | 24.5 ms | 3.00 (2.96–3.03) | 3.0× slower |" in section
    )
    assert "| 4 statements | 8 statements | 2.00 | 2.0× longer |" in section
    assert '=== "TensorFlow: One fit call"' in page  # its code has a tab of its own


def test_a_claim_naming_a_variant_is_judged_with_the_variant_standing_in(make_project):
    claim = (
        "  - text: The higher-level API needs more code.\n    quantity: loc\n"
        "    expect: pytorch\n    variant: fit\n"
        "  - text: The headline pair is as long.\n    quantity: loc\n    expect: same\n"
    )
    page = rendered_variant_page(make_project, claim)
    claims = page.split("## Claims checked\n", 1)[1]
    assert (
        "| The higher-level API needs more code. | **supported** | With the variant “One fit "
        "call” for TensorFlow: Code size" in claims
    )
    assert "| The headline pair is as long. | **supported** |" in claims
