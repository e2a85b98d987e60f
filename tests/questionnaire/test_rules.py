"""Validation of docs/questionnaire.yml: every problem at once, each with its key and a fix."""

from __future__ import annotations

import pytest

from generator.errors import FieldGuideError
from generator.questionnaire import RulesError, load_rules
from generator.questionnaire.rules import Threshold

from ..conftest import ROOT, feature_files
from .conftest import RULES, SOURCE, loaded

TABLETS = (
    "      - {id: phones, label: Phones}\n",
    "      - {id: phones, label: Phones}\n      - {id: tablets, label: Tablets}\n",
)


def problems(make_project, rules_text: str) -> list[str]:
    """The lines of the error that loading `rules_text` raises."""
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules_text})
    with pytest.raises(RulesError) as caught:
        loaded(project)
    return str(caught.value).splitlines()


def test_every_problem_is_reported_at_once_with_file_key_expected_found_and_fix(make_project):
    broken = (
        RULES.replace("to: keras3\n", "to: keras\n")  # unknown outcome
        .replace(
            "evidence: [docs]\n  - when: {needs: phones}",
            "evidence: [doc]\n  - when: {needs: phones}",
        )
        .replace("feature: fake", "feature: fak")  # dangling feature link
        .replace(*TABLETS)
        .replace("    reason: LiteRT", "    colour: red\n    reason: LiteRT")
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": broken})
    with pytest.raises(FieldGuideError) as caught:
        loaded(project)
    assert str(caught.value) == (
        "Invalid questionnaire rules (6 problems):\n"
        "  - docs/questionnaire.yml: key 'evidence.speed.feature': expected the id of a feature "
        "under snippets/ (fake), found 'fak'. Did you mean 'fake'?\n"
        "  - docs/questionnaire.yml: key 'effects[2].to': expected an outcome: pytorch, "
        "tensorflow, keras3, found 'keras'. Did you mean 'keras3'?\n"
        "  - docs/questionnaire.yml: key 'effects[2].evidence[0]': expected the id of an entry "
        "under 'evidence', found 'doc'. Did you mean 'docs'?\n"
        "  - docs/questionnaire.yml: key 'effects[3].colour': expected one of the known keys "
        "(when, to, points, reason, evidence, judgement), found an unknown key. Remove it.\n"
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
    rules = RULES.replace(*TABLETS).replace(
        "evidence:\n  docs:",
        "  - id: colour\n    text: Favourite colour?\n    why: No reason.\n    type: single\n"
        "    options:\n      - {id: red, label: Red, neutral: Colour is irrelevant.}\n"
        "      - {id: dont-know, label: Don't know}\nevidence:\n  docs:",
    )
    assert problems(make_project, rules)[1:3] == [
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
                "{id: no, label: None yet, neutral: Nothing to port.}",
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
            "key 'evidence.speed.quantity': expected a quantity measured by 'fake' (first_result, "
            "import, load, setup, first_call, steady, import_rss, growth_rss, peak_rss, loc), "
            "found 'speed'.",
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
            ("moderate: {margin: 3, flips: 3}", "moderate: {margin: 1, flips: 3}"),
            "key 'confidence': expected margins with tie_band (1) < moderate <= strong, found "
            "{'moderate': {'margin': 1, 'flips': 3}, 'strong': {'margin': 5, 'flips': 1}}.",
        ),
        (
            ("strong: {margin: 5, flips: 1}", "strong: {margin: 5, flips: 4}"),
            "key 'confidence': expected no more flips for a strong recommendation than for a "
            "moderate one, found {'moderate': {'margin': 3, 'flips': 3}, 'strong': {'margin': 5, "
            "'flips': 4}}.",
        ),
        (
            ("strong: {margin: 5, flips: 1}", "strong: {margin: 5}"),
            "key 'confidence.strong.flips': expected the most single-answer changes that may "
            "change the result, found nothing. Add the key.",
        ),
        (
            ("  - id: needs\n", "  - id: code\n"),
            "key 'questions[1] (code).id': expected an id no other question has, found 'code'.",
        ),
        (
            ("{id: keras, label: Keras code}", "{id: tensorflow, label: Keras code}"),
            "key 'questions[0] (code).options[2].id': expected an id no other option of this "
            "question has, found 'tensorflow'.",
        ),
        (
            ("measured: speed", "measured: docs"),
            "key 'effects[4].measured': expected the id of a measured evidence (speed), found "
            "'docs'.",
        ),
        (
            ("when: {code: pytorch}", "when: {cod: pytorch}"),
            "key 'effects[0].when.cod': expected a question id (code, needs), found 'cod'. "
            "Did you mean 'code'?",
        ),
        (
            ("when: {code: pytorch}", "when: {code: pytorc}"),
            "key 'effects[0].when.code': expected an option of question 'code' (pytorch, "
            "tensorflow, keras, none, dont-know), found 'pytorc'. Did you mean 'pytorch'?",
        ),
        (
            ("quantity: steady", "quantity: steady\n    device: tpu"),
            "key 'evidence.speed.device': expected one of cpu, cuda, found 'tpu'.",
        ),
        (
            ("kind: documented", "kind: documentd"),
            "key 'evidence.docs.kind': expected one of measured, documented, community, found "
            "'documentd'.",
        ),
        (
            ("kind: documented", "kind: community\n    page: x"),
            "key 'evidence.docs.page': expected one of the known keys (kind, title, url, date, "
            "supports, claim), found an unknown key. Remove it.",
        ),
        (
            ("schema: 2", "schema: 1"),
            "key 'schema': expected 2, found 1. This file was written for another version of "
            "fieldguide.",
        ),
        (
            ("tie_band: 1", "tie_band: 1\ntie_bnd: 2"),
            "key 'tie_bnd': expected one of the known keys (schema, updated, tie_band, confidence, "
            "outcomes, questions, evidence, effects, related), found an unknown key. Did you mean "
            "'tie_band'?",
        ),
    ],
)
def test_schema_errors_name_the_key_and_say_what_to_do(make_project, change, message):
    old, new = change
    assert old in RULES
    assert f"  - docs/questionnaire.yml: {message}" in problems(
        make_project, RULES.replace(old, new)
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    text: What do you need?\n",
            "",
            "key 'questions[1].text': expected the question, as the reader sees it, found "
            "nothing. Add the key.",
        ),
        (
            "    kind: documented\n",
            "",
            "key 'evidence.docs.kind': expected one of measured, documented, community, found "
            "nothing. Add the key.",
        ),
        (
            "  either: {label: Either, summary: Either will do.}\n",
            "",
            "key 'outcomes.either': expected a mapping with label and summary, found nothing. "
            "Add the key.",
        ),
        (
            "    measured: speed\n    points: 2\n",
            "    measured: speed\n",
            "key 'effects[4].points': expected the most points the measurement can give, 1 to 5, "
            "found nothing. Add the key.",
        ),
    ],
)
def test_a_missing_key_is_reported_once_with_what_it_expects(make_project, old, new, message):
    assert old in RULES
    assert problems(make_project, RULES.replace(old, new))[:2] == [
        "Invalid questionnaire rules (1 problem):",
        f"  - docs/questionnaire.yml: {message}",
    ]


def test_values_of_the_wrong_shape_are_reported_not_crashed_on(make_project):
    broken = (
        RULES.replace("feature: fake", "feature: [fake]")
        .replace("measured: speed", "measured: [speed]")
        .replace(
            "evidence: [docs]\n  - when: {needs: phones}",
            "evidence: [{a: 1}]\n  - when: {needs: phones}",
        )
    )
    lines = problems(make_project, broken)
    assert lines[1:4] == [
        "  - docs/questionnaire.yml: key 'evidence.speed.feature': expected the id of a feature "
        "under snippets/ (fake), found ['fake']. Did you mean 'fake'?",
        "  - docs/questionnaire.yml: key 'effects[2].evidence[0]': expected the id of an entry "
        "under 'evidence', found {'a': 1}. Add the source under 'evidence', or remove the link.",
        "  - docs/questionnaire.yml: key 'effects[4].measured': expected the id of a measured "
        "evidence (), found ['speed'].",
    ]


def test_a_yaml_syntax_error_names_its_line(make_project):
    assert problems(make_project, RULES.replace("tie_band: 1", "tie_band: [1")) == [
        "Invalid questionnaire rules (1 problem):",
        "  - docs/questionnaire.yml: expected valid YAML, found a syntax error at line 4. "
        "YAML says: did not find expected ',' or ']'. Fix the syntax.",
        "Fix docs/questionnaire.yml, then run `fieldguide check` again.",
    ]


def test_a_file_that_is_not_a_mapping_lists_the_keys_it_should_have(make_project):
    assert problems(make_project, "- a\n- b\n")[1] == (
        "  - docs/questionnaire.yml: expected a mapping with the keys schema, updated, "
        "tie_band, confidence, outcomes, questions, evidence, effects, related, found ['a', 'b']."
    )


def test_a_missing_rules_file_says_how_to_restore_it(make_project):
    project = make_project(feature_files("fake"))
    with pytest.raises(FieldGuideError) as caught:
        loaded(project)
    assert str(caught.value) == (
        "docs/questionnaire.yml: no questionnaire rules file. Restore it from git "
        "(`git checkout -- docs/questionnaire.yml`), or run fieldguide from the project root."
    )


def test_valid_rules_load_as_data(project):
    rules = loaded(project)
    assert [o.id for o in rules.outcomes] == ["pytorch", "tensorflow", "keras3", "either"]
    assert rules.outcome("keras3").label == "Keras 3"
    assert (rules.updated, rules.tie_band) == ("2026-11-25", 1)
    assert (rules.moderate, rules.strong) == (Threshold(3, 3), Threshold(5, 1))
    code = rules.question("code")
    assert code and not code.multiple and code.option("none").neutral == "Nothing to port."
    assert [o.id for o in code.scored_options] == ["pytorch", "tensorflow", "keras", "none"]
    assert rules.effects[0].when == (("code", ("pytorch",)),)
    measured = rules.effects[4]
    assert (measured.to, measured.measured, measured.evidence) == (None, "speed", ("speed",))
    speed = rules.evidence["speed"]
    assert (speed.feature, speed.quantity, speed.device) == ("fake", "steady", "cpu")
    assert speed.page == "features/core/fake.md" and speed.badge == "Not measured yet"
    assert rules.evidence["docs"].date == "2026-01-02"  # YAML's date, as text


def test_the_published_rules_are_valid(repository):
    _, rules = repository  # loading them raised nothing
    assert len(rules.questions) >= 10 and all(e.evidence or e.judgement for e in rules.effects)


PYTORCH_EFFECT = "reason: You have PyTorch code.\n    evidence: [docs]\n"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (  # the source backs other outcomes, not this one
            "      pytorch: {code: pytorch}\n",
            "",
            "key 'effects[0].evidence[0]': expected a source whose `supports` lists pytorch for "
            "one of this effect's answers (code: pytorch), found 'docs', which supports "
            "tensorflow for code: tensorflow, needs: phones; keras3 for code: keras. Cite a "
            "source that backs this reason; add the answer to the source's `supports` only if "
            "the source truly backs it; or mark the reason `judgement: true` and cite nothing.",
        ),
        (  # the source backs this outcome, but for another answer
            "      pytorch: {code: pytorch}\n",
            "      pytorch: {needs: speed}\n",
            "key 'effects[0].evidence[0]': expected a source whose `supports` lists pytorch for "
            "one of this effect's answers (code: pytorch), found 'docs', which supports pytorch "
            "for needs: speed; tensorflow for code: tensorflow, needs: phones; keras3 for code: "
            "keras.",
        ),
        (  # a measurement cited beside a reason it does not decide
            PYTORCH_EFFECT,
            "reason: You have PyTorch code.\n    evidence: [docs, speed]\n",
            "key 'effects[0].evidence[1]': expected documented or community evidence, found the "
            "measured evidence 'speed'. A measurement backs only the effect it decides, and only "
            "when it shows a difference: give it an effect of its own (`measured: speed`).",
        ),
        (
            PYTORCH_EFFECT,
            "reason: You have PyTorch code.\n",
            "key 'effects[0].evidence': expected a non-empty list of evidence ids, or "
            "`judgement: true` for a reason no source backs, found nothing. Cite the source "
            "that backs the reason, or mark the reason as our judgement.",
        ),
        (
            PYTORCH_EFFECT,
            PYTORCH_EFFECT + "    judgement: true\n",
            "key 'effects[0].judgement': expected either evidence or `judgement: true`, not "
            "both, found both. A reason that a source backs is not only our judgement: remove "
            "one of the two.",
        ),
        (
            "      keras3: {code: keras}\n",
            "      keras: {code: keras}\n",
            "key 'evidence.docs.supports.keras': expected an outcome (pytorch, tensorflow, "
            "keras3), found 'keras'. Did you mean 'keras3'?",
        ),
        (
            "      keras3: {code: keras}\n",
            "      keras3: {code: kras}\n",
            "key 'evidence.docs.supports.keras3.code': expected an option of question 'code' "
            "(pytorch, tensorflow, keras, none, dont-know), found 'kras'. Did you mean 'keras'?",
        ),
        (
            "    supports:\n      pytorch: {code: pytorch}\n",
            "    supports_:\n      pytorch: {code: pytorch}\n",
            "key 'evidence.docs.supports': expected the effects it backs: a mapping of outcome "
            "to the answers (question id: option ids) whose effects on that outcome it backs, "
            "found nothing. Add the key.",
        ),
    ],
)
def test_a_reason_cites_only_sources_that_support_it_or_says_it_is_our_judgement(
    make_project, old, new, message
):
    assert old in RULES
    found = problems(make_project, RULES.replace(old, new))
    assert any(line.startswith(f"  - docs/questionnaire.yml: {message}") for line in found), found


def test_a_reason_marked_as_our_judgement_cites_nothing_and_loads(make_project):
    rules_text = RULES.replace(
        PYTORCH_EFFECT, "reason: You have PyTorch code.\n    judgement: true\n"
    )
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules_text})
    effect = loaded(project).effects[0]
    assert (effect.judgement, effect.evidence) == (True, ())
    assert not loaded(project).effects[1].judgement


# The citations the "Reader first" review found wrong, as the published rules had them: each
# reason cited a source that does not back it. Loading the published rules with any of them
# back must fail, at that citation and nowhere else.
FOUND_WRONG = [  # reason, what it cites now, what it cited, the position of the wrong source
    (  # "Model.fit keeps the first programs short", cited to a count of 33 against 33
        "Keras 3 skills carry over to whichever backend you use later, so a learner need not "
        "pick a framework first.",
        "evidence: [keras3-backends]",
        "evidence: [keras3-backends, measured-training-loc]",
        1,
    ),
    (  # cited to a download ranking then; to a source about something else here
        "Your team already reads and debugs PyTorch.",
        "judgement: true",
        "evidence: [hf-transformers-v5]",
        0,
    ),
    (  # cited to "TensorFlow Serving is still released"
        "Your TensorFlow code keeps working; porting it would cost more than any measured "
        "difference.",
        "judgement: true",
        "evidence: [tf-serving]",
        0,
    ),
    (  # cited to TensorFlow's install guide
        "PyTorch publishes CUDA builds for native Windows.",
        "evidence: [torch-windows]",
        "evidence: [tf-install]",
        0,
    ),
]


@pytest.mark.parametrize(("reason", "now", "wrong", "position"), FOUND_WRONG)
def test_the_published_rules_refuse_evidence_that_does_not_back_its_reason(
    tmp_path, repository, reason, now, wrong, position
):
    features, rules = repository
    published = (ROOT / "docs" / "questionnaire.yml").read_text()
    written = f"    reason: {reason}\n    {now}\n"
    assert published.count(written) == 1
    changed = tmp_path / "questionnaire.yml"
    changed.write_text(published.replace(written, f"    reason: {reason}\n    {wrong}\n"))
    with pytest.raises(RulesError) as caught:
        load_rules(changed, SOURCE, features)
    index = next(i for i, e in enumerate(rules.effects) if e.reason == reason)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].key == f"effects[{index}].evidence[{position}]"


def test_every_published_citation_is_one_its_source_supports(repository):
    """The allowed list, read back from the loaded rules: every cited source lists the
    effect's outcome and one of its answers, and no effect cites a measurement beside its
    reason (only the effect a measurement decides names it)."""
    _, rules = repository
    for effect in rules.effects:
        cited = [rules.evidence[e] for e in effect.evidence if e != effect.measured]
        assert all(e.kind != "measured" for e in cited), effect.reason
        assert effect.judgement != bool(cited or effect.measured), effect.reason
        for source in cited:
            allowed = source.supports[effect.to or ""]
            assert any(set(o) & set(allowed.get(q, ())) for q, o in effect.when), (
                f"{source.id} does not back: {effect.reason}"
            )
