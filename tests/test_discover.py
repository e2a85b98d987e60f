"""Validation of feature.yml and the snippet files: exact messages, all problems at once."""

from __future__ import annotations

import pytest

from generator.discover import discover
from generator.errors import FieldGuideError, ValidationError

from .conftest import FEATURE_YML, feature_files


def problems_of(project) -> list[str]:
    with pytest.raises(ValidationError) as info:
        discover(project.snippets)
    return [str(p) for p in info.value.problems]


def test_valid_feature_is_discovered(make_project):
    project = make_project(feature_files("fake"))
    (feature,) = discover(project.snippets)
    assert feature.id == "fake"
    assert feature.comparison.rtol == 1e-9
    assert feature.claims[0].quantity == "output"


def test_unknown_key_gets_did_you_mean(make_project):
    yml = FEATURE_YML.format(id="fake") + "measured: once\n"
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    assert problems_of(project) == [
        "snippets/fake/feature.yml: key 'measured': expected one of the known keys (id, title, "
        "section, summary, timed, comparison, claims, metrics, unsupported, measure, "
        "timeout_s, memory_limit_mib, work, variants, limits, matters, pitfalls, docs), found "
        "an unknown key. Did you mean 'measure'?"
    ]


def test_unknown_nested_key_gets_did_you_mean(make_project):
    yml = FEATURE_YML.format(id="fake").replace("  rtol:", "  rtoll:")
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    assert problems_of(project) == [
        "snippets/fake/feature.yml: key 'comparison.rtoll': expected one of the known keys "
        "(rtol, atol, none), found an unknown key. Did you mean 'rtol'?",
        "snippets/fake/feature.yml: key 'comparison.rtol': expected a number >= 0 (e.g. 1.0e-5), "
        "found None. Or write `none: <reason>` if outputs are not comparable.",
    ]


def test_all_problems_of_all_features_are_reported_together(make_project):
    bad_section = FEATURE_YML.format(id="one").replace("section: Core", "section: Basics")
    missing_title = FEATURE_YML.format(id="two").replace("title: Fake feature\n", "")
    files = {
        **feature_files("one", **{"feature.yml": bad_section}),
        **feature_files("two", **{"feature.yml": missing_title}),
    }
    project = make_project(files)
    with pytest.raises(ValidationError) as info:
        discover(project.snippets)
    assert str(info.value) == (
        "Invalid snippets metadata (2 problems):\n"
        "  - snippets/one/feature.yml: key 'section': expected one of Core, Training, "
        "Performance, Deployment, Distributed, Ecosystem, Developer experience, found 'Basics'.\n"
        "  - snippets/two/feature.yml: key 'title': expected a non-empty title, found nothing. "
        "Add the key.\n"
        "Fix the files above, then run `fieldguide check` again."
    )


def test_id_must_match_folder(make_project):
    project = make_project(feature_files("fake", **{"feature.yml": FEATURE_YML.format(id="other")}))
    assert problems_of(project) == [
        "snippets/fake/feature.yml: key 'id': expected 'fake' (the folder name), found 'other'. "
        "Rename the folder or fix the id."
    ]


def test_claim_about_undeclared_quantity(make_project):
    yml = FEATURE_YML.format(id="fake").replace("quantity: output", "quantity: speed")
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    assert problems_of(project) == [
        "snippets/fake/feature.yml: key 'claims[0].quantity': expected one of output, "
        "first_result, import, load, setup, first_call, steady, import_rss, growth_rss, "
        "peak_rss, loc, found 'speed'."
    ]


def test_yaml_syntax_error_names_the_line(make_project):
    yml = FEATURE_YML.format(id="fake") + "tags: [unclosed\n"
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    (problem,) = problems_of(project)
    assert problem.startswith(
        "snippets/fake/feature.yml: expected valid YAML, found a syntax error at line "
    )


def test_missing_snippet_and_contract_functions(make_project):
    files = feature_files("fake", **{"with_pytorch.py": "def setup(inputs):\n    return 1\n"})
    del files["snippets/fake/with_tensorflow.py"]
    project = make_project(files)
    assert problems_of(project) == [
        "snippets/fake/with_pytorch.py: key 'run': expected a top-level function `run`, found "
        "none. See CONTRIBUTING.md, 'The snippet contract'.",
        "snippets/fake/with_tensorflow.py: expected a tensorflow snippet, found no such file. "
        "Write it, or declare `unsupported: {tensorflow: <reason>}` in feature.yml.",
    ]


def test_snippet_must_not_import_the_other_framework(make_project):
    code = "import tensorflow as tf\n\n\ndef setup(inputs):\n    pass\n\n\ndef run(s):\n    pass\n"
    project = make_project(feature_files("fake", **{"with_pytorch.py": code}))
    assert problems_of(project) == [
        "snippets/fake/with_pytorch.py: key 'import': expected only pytorch imports, found an "
        "import of tensorflow. One framework per snippet: never import both."
    ]


def test_declared_unsupported_side_needs_no_file(make_project):
    yml = FEATURE_YML.format(id="fake") + "unsupported:\n  tensorflow: No TF API for this.\n"
    files = feature_files("fake", **{"feature.yml": yml})
    del files["snippets/fake/with_tensorflow.py"]
    (feature,) = discover(make_project(files).snippets)
    assert feature.unsupported == {"tensorflow": "No TF API for this."}


def test_unknown_feature_on_the_command_line(make_project):
    project = make_project(feature_files("autodiff"))
    with pytest.raises(FieldGuideError) as info:
        discover(project.snippets, ["autodif"])
    assert str(info.value) == (
        "No feature 'autodif' under snippets/. Did you mean 'autodiff'?\nKnown features: autodiff."
    )


def test_repository_snippets_are_valid():
    from .conftest import ROOT

    features = discover(ROOT / "snippets")
    assert {f.id for f in features} >= {"autodiff", "graph-compilation", "training-loop"}


def test_the_contributor_template_is_valid(make_project):
    from .conftest import ROOT

    files = {
        f"snippets/your-feature-id/{p.name}": p.read_text()
        for p in (ROOT / "snippets" / "_template").iterdir()
    }
    (feature,) = discover(make_project(files).snippets)
    assert feature.id == "your-feature-id"


def test_work_with_a_yaml_exponent_that_reads_as_text(make_project):
    yml = FEATURE_YML.format(id="fake") + "work:\n  flops: 4.0e6\n  bytes: 100\n"
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    assert problems_of(project) == [
        "snippets/fake/feature.yml: key 'work': expected a mapping with flops and bytes, both "
        "positive numbers per run() call (YAML reads 4.0e6 as text: write 4.0e+6 or 4000000), "
        "found {'flops': '4.0e6', 'bytes': 100}."
    ]
