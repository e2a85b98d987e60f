"""The questionnaire: rules validation, the scoring engine, measured effects, the page, `ask`."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from generator import mkdocs_hooks, questionnaire, store
from generator.discover import discover
from generator.errors import FieldGuideError
from generator.model import Project
from generator.questionnaire import DONT_KNOW, EITHER, evaluate, load_rules, resolve
from generator.render import render

from .conftest import MACHINE_ID, ROOT, feature_files, recorded

GOLDEN = Path(__file__).parent / "golden"

# A small, complete rules file for a project whose only feature is "fake" (section Core).
RULES = """\
schema: 1
updated: 2026-11-25
tie_band: 1
confidence: {moderate: 3, strong: 5}
outcomes:
  pytorch: {label: PyTorch, summary: Use PyTorch.}
  tensorflow: {label: TensorFlow, summary: Use TensorFlow.}
  keras3: {label: Keras 3, summary: Use Keras 3.}
  either: {label: Either, summary: Either will do.}
questions:
  - id: code
    text: What code do you have?
    why: Porting costs more than anything measured.
    type: single
    options:
      - {id: pytorch, label: PyTorch code}
      - {id: tensorflow, label: TensorFlow code}
      - {id: keras, label: Keras code}
      - {id: none, label: None yet, neutral: Nothing to port.}
      - {id: dont-know, label: Don't know}
  - id: needs
    text: What do you need?
    why: Some needs favour one side.
    type: multi
    options:
      - {id: speed, label: Speed}
      - {id: phones, label: Phones}
      - {id: dont-know, label: Don't know}
evidence:
  docs:
    kind: documented
    title: A documented fact
    url: https://example.org/fact
    date: 2026-01-02
  speed:
    kind: measured
    title: Steady state of the fake feature
    feature: fake
    quantity: steady
effects:
  - when: {code: pytorch}
    to: pytorch
    points: 4
    reason: You have PyTorch code.
    evidence: [docs]
  - when: {code: tensorflow}
    to: tensorflow
    points: 4
    reason: You have TensorFlow code.
    evidence: [docs]
  - when: {code: keras}
    to: keras3
    points: 3
    reason: Keras code runs on any backend.
    evidence: [docs]
  - when: {needs: phones}
    to: tensorflow
    points: 2
    reason: LiteRT runs TensorFlow models on phones.
    evidence: [docs]
  - when: {needs: speed}
    measured: speed
    points: 2
    reason: You need speed.
"""


@pytest.fixture
def project(make_project):
    return make_project(
        {**feature_files("fake"), "docs/index.md": "# Home\n", "docs/questionnaire.yml": RULES}
    )


def measure(project: Project, pytorch: float, tensorflow: float, feature: str = "fake") -> None:
    results = store.Store(project.results, MACHINE_ID)
    results.save(recorded("pytorch", pytorch, feature))
    results.save(recorded("tensorflow", tensorflow, feature))


def rules_of(project: Project):
    features = discover(project.snippets)
    return resolve(load_rules(project, features), project, features, MACHINE_ID)


def answers(**given: str) -> dict[str, tuple[str, ...]]:
    return {q: tuple(v.split("+")) for q, v in given.items()}


# Validation ----------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_file_key_expected_found_and_fix(make_project):
    broken = (
        RULES.replace("to: keras3\n", "to: keras\n")  # unknown outcome
        .replace(
            "evidence: [docs]\n  - when: {needs: phones}",
            "evidence: [doc]\n  - when: {needs: phones}",
        )
        .replace("feature: fake", "feature: fak")  # dangling feature link
        .replace(
            "      - {id: phones, label: Phones}\n",
            "      - {id: phones, label: Phones}\n      - {id: tablets, label: Tablets}\n",
        )
        .replace("    reason: LiteRT", "    colour: red\n    reason: LiteRT")
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": broken})
    with pytest.raises(FieldGuideError) as caught:
        load_rules(project, discover(project.snippets))
    assert str(caught.value) == (
        "Invalid questionnaire rules (6 problems):\n"
        "  - docs/questionnaire.yml: key 'evidence.speed.feature': expected the id of a feature "
        "under snippets/ (fake), found 'fak'. Did you mean 'fake'?\n"
        "  - docs/questionnaire.yml: key 'effects[2].to': expected an outcome: pytorch, "
        "tensorflow, keras3, found 'keras'. Did you mean 'keras3'?\n"
        "  - docs/questionnaire.yml: key 'effects[2].evidence[0]': expected the id of an entry "
        "under 'evidence', found 'doc'. Did you mean 'docs'?\n"
        "  - docs/questionnaire.yml: key 'effects[3].colour': expected one of the known keys "
        "(when, to, points, reason, evidence), found an unknown key. Remove it.\n"
        "  - docs/questionnaire.yml: key 'questions (needs).options (tablets)': expected an "
        "effect that mentions this option, or `neutral: <why it has no effect>`, found no effect "
        "mentions it. Add an effect for it, mark it neutral, or remove the option.\n"
        "  - docs/questionnaire.yml: key 'effects': expected at least one effect that gives "
        "points to 'keras3', found none: this outcome can never win. Add one, or the outcome "
        "can never be recommended.\n"
        "Fix docs/questionnaire.yml, then run `fieldguide check` again."
    )


def test_an_option_no_effect_mentions_and_a_question_that_changes_nothing_are_errors(
    make_project,
):
    rules = RULES.replace(
        "      - {id: phones, label: Phones}\n",
        "      - {id: phones, label: Phones}\n      - {id: tablets, label: Tablets}\n",
    ).replace(
        "evidence:\n  docs:",
        "  - id: colour\n    text: Favourite colour?\n    why: No reason.\n    type: single\n"
        "    options:\n      - {id: red, label: Red, neutral: Colour is irrelevant.}\n"
        "      - {id: dont-know, label: Don't know}\nevidence:\n  docs:",
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules})
    with pytest.raises(FieldGuideError) as caught:
        load_rules(project, discover(project.snippets))
    assert str(caught.value).splitlines()[1:3] == [
        "  - docs/questionnaire.yml: key 'questions (needs).options (tablets)': expected an "
        "effect that mentions this option, or `neutral: <why it has no effect>`, found no effect "
        "mentions it. Add an effect for it, mark it neutral, or remove the option.",
        "  - docs/questionnaire.yml: key 'questions (colour)': expected at least one effect with "
        "points that mentions the question, found none: the question cannot change any outcome. "
        "Add an effect, or remove the question.",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (
                "- {id: dont-know, label: Don't know}\n  - id: needs",
                "- {id: other, label: Other}\n  - id: needs",
            ),
            "key 'questions[0] (code).options': expected an option with id 'dont-know' (label: "
            "Don't know / doesn't matter), found none. Every question lets the reader skip it.",
        ),
        (
            (
                "{id: none, label: None yet, neutral: Nothing to port.}",
                "{id: no, label: No, neutral: x}",
            ),
            "key 'questions[0] (code).options[3].id': expected lowercase words joined by '-', "
            "found False. Quote yes/no/on/off: YAML reads them as true/false.",
        ),
        (
            ("url: https://example.org/fact", "url: http://example.org/fact"),
            "key 'evidence.docs.url': expected a link starting with https:// (no spaces), found "
            "'http://example.org/fact'.",
        ),
        (
            ("quantity: steady", "quantity: speed"),
            "key 'evidence.speed.quantity': expected a quantity measured by 'fake' (import, setup, "
            "first_call, steady, peak_rss, loc), found 'speed'.",
        ),
        (
            ("when: {needs: phones}", "when: {needs: dont-know}"),
            "key 'effects[3].when': expected at least one condition on a real answer, found "
            "{'needs': 'dont-know'}. 'dont-know' must not count for or against anything on its "
            "own; it may only narrow an effect of another answer (e.g. which device's "
            "measurements apply).",
        ),
        (
            ("to: pytorch\n    points: 4", "to: either\n    points: 4"),
            "key 'effects[0].to': expected an outcome: pytorch, tensorflow, keras3, found "
            "'either'. 'Either' is not a target: it is the result of a tie.",
        ),
        (
            ("confidence: {moderate: 3, strong: 5}", "confidence: {moderate: 1, strong: 5}"),
            "key 'confidence': expected whole numbers with tie_band (1) < moderate <= strong, "
            "found {'moderate': 1, 'strong': 5}.",
        ),
    ],
)
def test_schema_errors_name_the_key_and_say_what_to_do(make_project, change, message):
    old, new = change
    assert old in RULES
    project = make_project(
        {**feature_files("fake"), "docs/questionnaire.yml": RULES.replace(old, new)}
    )
    with pytest.raises(FieldGuideError) as caught:
        load_rules(project, discover(project.snippets))
    assert f"  - docs/questionnaire.yml: {message}" in str(caught.value).splitlines()


def test_the_published_rules_are_valid_and_every_outcome_is_reachable():
    rules = published_rules()
    rng = random.Random(4)
    seen = {evaluate(rules, random_answers(rules, rng)).outcome for _ in range(3000)}
    assert seen == {"pytorch", "tensorflow", "keras3", EITHER}


def test_every_published_question_can_change_a_result():
    """GOV.UK-style reachability: for each question there is a reader whose result changes
    when only that answer changes (the static check only proves it has points)."""
    rules = published_rules()
    rng = random.Random(5)
    bases = [random_answers(rules, rng) for _ in range(400)]
    for question in rules.questions:
        assert any(
            any(flip.question == question.id for flip in evaluate(rules, base).flips)
            for base in bases
        ), question.id


def published_rules():
    """docs/questionnaire.yml as if every measurement were decisive (for PyTorch: the side
    does not matter here), so that the measured questions count too."""
    project = Project(ROOT)
    rules = load_rules(project, discover(project.snippets))
    return replace(
        rules,
        effects=tuple(replace(e, to="pytorch") if e.measured else e for e in rules.effects),
    )


def random_answers(rules, rng: random.Random) -> dict[str, tuple[str, ...]]:
    given = {}
    for question in rules.questions:
        ids = [o.id for o in question.options]
        if question.multiple:
            picked = tuple(o for o in ids if o != DONT_KNOW and rng.random() < 0.3)
        else:
            picked = (rng.choice(ids),)
        if picked and rng.random() < 0.9:
            given[question.id] = picked
    return given


# Scoring ---------------------------------------------------------------------------------------


def test_points_add_up_and_the_margin_gives_the_confidence_word(project):
    rules = rules_of(project)  # not measured: the speed effect gives nothing
    cases = {
        "code=pytorch": ("pytorch", "moderate", 4),
        "code=tensorflow,needs=phones": ("tensorflow", "strong", 6),
        "needs=phones": ("tensorflow", "weak", 2),
        "code=keras,needs=phones": (EITHER, "tie", 1),
        "": (EITHER, "tie", 0),
    }
    for text, (outcome, confidence, margin) in cases.items():
        result = evaluate(rules, questionnaire.parse_answers(rules, text)[0])
        assert (result.outcome, result.confidence, result.margin) == (outcome, confidence, margin)
    tie = evaluate(rules, answers(code="keras", needs="phones"))
    assert tie.candidates == ("keras3", "tensorflow")
    assert (
        questionnaire.headline(rules, tie)
        == "Either Keras 3 or TensorFlow: a tie (within 1 point)."
    )


def test_reasons_are_split_for_and_against_and_flips_are_single_answer_changes(project):
    rules = rules_of(project)
    result = evaluate(rules, answers(code="keras", needs="phones+speed"))
    assert result.leader == "keras3"
    assert result.reasons_for == (2,)  # +3 Keras 3
    assert result.reasons_against == (3,)  # +2 TensorFlow
    assert result.neutral == (4,)  # speed: not measured yet, so no points
    assert [(f.question, f.option, f.change, f.outcome) for f in result.flips] == [
        ("code", "pytorch", "choose", "pytorch"),
        ("code", "tensorflow", "choose", "tensorflow"),
        ("code", "none", "choose", "tensorflow"),  # Phones alone: TensorFlow by 2
        ("needs", "phones", "remove", "keras3"),
    ]
    assert "not measured yet on a CPU on this site" in rules.effects[4].reason


def test_unanswered_is_dont_know_and_answer_order_does_not_matter(project):
    rules = rules_of(project)
    assert evaluate(rules, {}) == evaluate(rules, answers(code=DONT_KNOW, needs=DONT_KNOW))
    assert evaluate(rules, answers(needs="phones+speed")) == evaluate(
        rules, answers(needs="speed+phones")
    )


# Measured effects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pytorch", "tensorflow", "to", "points", "says"),
    [
        (1.0, 3.0, "pytorch", 2, "PyTorch is 3× faster, so 2 points to PyTorch."),
        (3.0, 1.0, "tensorflow", 2, "TensorFlow is 3× faster, so 2 points to TensorFlow."),
        (1.0, 1.3, "pytorch", 1, "PyTorch is 1.3× faster, so 1 point to PyTorch."),
        (1.0, 1.0, None, 0, "no measurable difference, so no points."),
    ],
)
def test_a_measured_effect_gives_its_points_to_the_side_the_numbers_favour(
    project, pytorch, tensorflow, to, points, says
):
    measure(project, pytorch, tensorflow)
    effect = rules_of(project).effects[4]
    assert (effect.to, effect.points) == (to, points)
    assert effect.reason.startswith("You need speed. Steady state, per call: PyTorch ")
    assert effect.reason.endswith(says)


def test_the_recommendation_changes_when_the_evidence_changes(project):
    given = answers(code="keras", needs="speed")  # Keras 3 +3; speed +2 to the faster side
    measure(project, 1.0, 3.0)
    assert evaluate(rules_of(project), given).outcome == EITHER  # Keras 3 3, PyTorch 2
    measure(project, 1.0, 1.0)
    assert evaluate(rules_of(project), given).outcome == "keras3"  # no difference: 3 to 0
    measure(project, 3.0, 1.0)
    rules = rules_of(project)
    result = evaluate(rules, given)
    assert result.outcome == EITHER and result.candidates == ("keras3", "tensorflow")
    speed = rules.evidence["speed"]
    assert speed.badge == "Measured here" and speed.date == "2026-11-25"
    assert speed.detail == (
        "Measured on Test CPU, 4 logical cores (machine test-machine, device cpu), 2026-11-25."
    )


def test_gpu_evidence_comes_from_a_machine_that_measured_on_a_gpu(project):
    rules_text = (project.docs / "questionnaire.yml").read_text()
    (project.docs / "questionnaire.yml").write_text(
        rules_text.replace("quantity: steady", "quantity: steady\n    device: cuda")
    )
    measure(project, 1.0, 3.0)  # CPU results on this machine do not count for a GPU
    assert rules_of(project).evidence["speed"].detail == "Not measured yet on an NVIDIA GPU."
    gpu = store.Store(project.results, "gpu-box")
    gpu.save(recorded("pytorch", 3.0, device="cuda"))
    gpu.save(recorded("tensorflow", 1.0, device="cuda"))
    rules = rules_of(project)
    assert rules.effects[4].to == "tensorflow"
    assert "(machine gpu-box, device cuda)" in (rules.evidence["speed"].detail or "")


def test_the_rules_version_changes_only_when_a_result_could_change(project):
    measure(project, 1.0, 3.0)
    first = rules_of(project).version
    measure(project, 1.0, 3.1)  # other numbers, same verdict and points
    assert rules_of(project).version == first
    measure(project, 3.0, 1.0)  # the verdict flips
    assert rules_of(project).version != first


# The page ------------------------------------------------------------------------------------


def test_questionnaire_page_matches_golden(project, request):
    measure(project, 1.0, 3.0)
    render(project, MACHINE_ID)
    page = (project.generated / "_questionnaire.md").read_text()
    golden = GOLDEN / "questionnaire.md"
    if request.config.getoption("--update-golden"):
        golden.write_text(page)
    assert page == golden.read_text(), "Run pytest --update-golden if the change is intended."


def test_rendering_the_questionnaire_twice_is_byte_identical(project):
    measure(project, 1.0, 3.0)
    assert project.generated / "_questionnaire.md" in render(project, MACHINE_ID)
    before = (project.generated / "_questionnaire.md").read_bytes()
    assert render(project, MACHINE_ID) == []
    assert (project.generated / "_questionnaire.md").read_bytes() == before


def test_a_project_without_rules_renders_no_questionnaire(make_project):
    project = make_project({**feature_files("fake"), "docs/index.md": "# Home\n"})
    render(project, MACHINE_ID)
    assert not (project.generated / "_questionnaire.md").exists()


def test_the_page_carries_the_rules_in_a_data_attribute_not_a_script(project):
    render(project, MACHINE_ID)
    page = (project.generated / "_questionnaire.md").read_text()
    assert "<script" not in page
    data = re.search(r'data-rules="([^"]*)"', page)
    assert data and "&quot;rv&quot;:&quot;" in data.group(1)
    rules = rules_of(project)
    assert f"&quot;rv&quot;:&quot;{rules.version}&quot;" in data.group(1)


def test_untrusted_text_is_escaped_in_the_form_the_table_and_the_data(make_project):
    hostile = '<img src=x onerror=alert(1)> "quoted" | pipe'
    rules = RULES.replace("label: PyTorch code", f"label: '{hostile}'").replace(
        "reason: You have PyTorch code.", f"reason: '{hostile}'"
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules})
    render(project, MACHINE_ID)
    page = (project.generated / "_questionnaire.md").read_text()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;quoted&#34; | pipe</label>" in page
    assert '| &lt;img src=x onerror=alert(1)> "quoted" \\| pipe |' in page


def test_the_hook_puts_the_questionnaire_at_its_marker(tmp_path):
    marker = "<!-- fieldguide:questionnaire -->"
    config = {"docs_dir": str(tmp_path)}
    missing = mkdocs_hooks.on_page_markdown(f"# Choose\n\n{marker}\n", None, config, None)
    assert "The questionnaire has not been generated yet" in missing
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "_questionnaire.md").write_text("GENERATED\n")
    page = mkdocs_hooks.on_page_markdown(f"# Choose\n\n{marker}\n", None, config, None)
    assert page == "# Choose\n\nGENERATED\n\n"


# `fieldguide ask` ------------------------------------------------------------------------------


def test_ask_with_answers_prints_the_result_reasons_flips_and_evidence(project, cli_runner):
    measure(project, 1.0, 3.0)
    result = cli_runner(
        project, "ask", "--machine", MACHINE_ID, "--answers", "code=keras,needs=phones"
    )
    assert result.exit_code == 0, result.output
    rules = rules_of(project)
    assert result.output == (
        "Either Keras 3 or TensorFlow: a tie (within 1 point).\n"
        "Either will do.\n"
        "Points: PyTorch 0, TensorFlow 2, Keras 3 3 (margin 1; 1 or less is a tie).\n"
        "\n"
        "What favours Keras 3\n"
        "  +3 Keras 3: Keras code runs on any backend.\n"
        '      because you answered "Keras code" to "What code do you have?"\n'
        "      [Documented, 2026-01-02] A documented fact: https://example.org/fact\n"
        "\n"
        "What favours the others\n"
        "  +2 TensorFlow: LiteRT runs TensorFlow models on phones.\n"
        '      because you answered "Phones" to "What do you need?"\n'
        "      [Documented, 2026-01-02] A documented fact: https://example.org/fact\n"
        "\n"
        "When the other wins\n"
        '  If you answered "PyTorch code" to "What code do you have?" → PyTorch\n'
        '  If you answered "TensorFlow code" to "What code do you have?" → TensorFlow\n'
        '  If you answered "None yet" to "What code do you have?" → TensorFlow\n'
        '  If you unticked "Phones" in "What do you need?" → Keras 3\n'
        "\n"
        f"Rules version {rules.version}, updated 2026-11-25. The same answers on the site: "
        f"choose/?code=keras&needs=phones&rv={rules.version}\n"
    )


def test_ask_shows_measured_numbers_and_where_they_were_measured(project, cli_runner):
    measure(project, 1.0, 3.0)
    result = cli_runner(project, "ask", "--machine", MACHINE_ID, "--answers", "needs=speed")
    assert "  +2 PyTorch: You need speed. Steady state, per call: PyTorch 4.08 ms" in result.output
    assert (
        "      [Measured here, 2026-11-25] Steady state of the fake feature: "
        "docs/features/core/fake.md\n"
        "        Measured on Test CPU, 4 logical cores (machine test-machine, device cpu), "
        "2026-11-25.\n"
    ) in result.output


def test_ask_accepts_a_pasted_share_link_and_notes_an_older_rules_version(project, cli_runner):
    result = cli_runner(
        project,
        "ask",
        "--machine",
        MACHINE_ID,
        "--answers",
        "code=pytorch&needs=phones,speed&rv=0ld",
    )
    assert result.exit_code == 0
    assert result.output.startswith(
        "Note: these answers were saved with rules version 0ld; the current rules are version "
    )
    assert "choose/?code=pytorch&needs=speed,phones&rv=" in result.output


def test_ask_refuses_unknown_questions_and_answers_with_suggestions(project, cli_runner):
    result = cli_runner(project, "ask", "--answers", "cod=pytorch,needs=phone,code=pytorch+keras")
    assert result.exit_code == 2
    assert result.output == (
        "Error: No question 'cod'. Did you mean 'code'?\n"
        "Question 'needs' has no answer 'phone'. Did you mean 'phones'? Answers: speed, phones, "
        "dont-know.\n"
        "Question 'code' takes one answer; got pytorch, keras.\n"
        "Run `fieldguide ask` without --answers to be asked instead.\n"
    )


def test_ask_prompts_for_each_question_when_no_answers_are_given(project):
    from click.testing import CliRunner

    from generator.cli import cli

    # code: 3) Keras code; needs: a wrong reply, then 2) Phones.
    result = CliRunner().invoke(cli, ["ask", "--machine", MACHINE_ID], input="3\n9\n2\n")
    assert result.exit_code == 0, result.output
    assert "1. What code do you have?\n   1) PyTorch code\n" in result.output
    assert "Please answer with numbers, separated by commas from 1 to 3." in result.output
    assert "Either Keras 3 or TensorFlow: a tie (within 1 point)." in result.output


def test_ask_outside_a_project_with_rules_says_what_to_do(make_project, cli_runner):
    project = make_project(feature_files("fake"))
    result = cli_runner(project, "ask", "--answers", "code=pytorch")
    assert result.exit_code == 2
    assert "docs/questionnaire.yml: no questionnaire rules file." in result.output
