"""`fieldguide ask`: the page's recommendation, reasons, flips and evidence in a terminal."""

from __future__ import annotations

from dataclasses import replace

from click.testing import CliRunner

from generator.cli import cli
from generator.questionnaire import ask, evaluate, explain

from ..conftest import MACHINE_ID, feature_files
from .conftest import RULES, answers, measure, rules_of


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
        "What would change the answer\n"
        "  4 single-answer changes would decide it: 1 to PyTorch, 2 to TensorFlow, 1 to Keras 3.\n"
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


def test_a_recommendation_names_its_confidence_and_what_is_worth_no_points(project):
    rules = rules_of(project)  # not measured: speed is worth nothing yet
    given = answers(code="tensorflow", needs="phones+speed")
    text = explain(rules, given, evaluate(rules, given))
    assert text.startswith(
        "Recommendation: TensorFlow, moderate confidence (ahead of PyTorch by 6 points; 2 "
        "single-answer changes would change it).\nUse TensorFlow.\n"
    )
    assert "\nWhy TensorFlow\n  +4 TensorFlow: You have TensorFlow code.\n" in text
    assert (
        "\nAlso considered (no points)\n"
        "  0: You need speed. Steady state of the fake feature: not measured yet on a CPU on "
        "this site, so this answer adds no points.\n"
        '      because you answered "Speed" to "What do you need?"\n'
        "      [Not measured yet] Steady state of the fake feature: docs/features/core/fake.md\n"
        "        Not measured yet on a CPU.\n"
    ) in text
    assert (
        "\nWhat would change the answer\n"
        "  2 single-answer changes would change it: 1 to PyTorch, 1 to Either (a tie).\n"
        '  If you answered "PyTorch code" to "What code do you have?" → PyTorch\n'
        '  If you answered "Keras code" to "What code do you have?" → Either (a tie)\n'
    ) in text
    wide = replace(rules, tie_band=10)  # every result is a tie
    text = explain(wide, given, evaluate(wide, given))
    assert text.startswith("Either TensorFlow, PyTorch or Keras 3: a tie (within 10 points).\n")
    assert (
        "\nWhat would change the answer\n  No single change to your answers would change " in text
    )


def test_a_reason_that_is_our_judgement_says_so_and_cites_nothing(make_project):
    rules_text = RULES.replace(
        "    reason: You have PyTorch code.\n    evidence: [docs]\n",
        "    reason: You have PyTorch code.\n    judgement: true\n",
    ).replace("pytorch: {code: pytorch}\n      ", "")
    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": rules_text})
    rules = rules_of(project)
    given = answers(code="pytorch")
    assert explain(rules, given, evaluate(rules, given)).split("\n")[4:8] == [
        "Why PyTorch",
        "  +4 PyTorch: You have PyTorch code.",
        '      because you answered "PyTorch code" to "What code do you have?"',
        "      [Our judgement] No source backs this reason: weigh it yourself.",
    ]


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
    # code: 3) Keras code; needs: a wrong reply, then 2) Phones.
    result = CliRunner().invoke(cli, ["ask", "--machine", MACHINE_ID], input="3\n9\n2\n")
    assert result.exit_code == 0, result.output
    assert "1. What code do you have?\n   1) PyTorch code\n" in result.output
    assert "Please answer with numbers, separated by commas from 1 to 3." in result.output
    assert "Either Keras 3 or TensorFlow: a tie (within 1 point)." in result.output


def test_the_prompt_offers_dont_know_by_default_and_takes_several_ticks(project):
    rules = rules_of(project)
    replies = iter(["", "2, 1"])  # Enter: the default; then Phones and Speed
    asked = []

    def prompt(text: str, default: str) -> str:
        asked.append((text, default))
        return next(replies) or default

    text = ask(rules, None, prompt=prompt)
    assert asked == [("Number", "5"), ("Numbers, separated by commas", "3")]
    assert text.endswith(f"choose/?needs=speed,phones&rv={rules.version}")


def test_ask_outside_a_project_with_rules_says_what_to_do(make_project, cli_runner):
    project = make_project(feature_files("fake"))
    result = cli_runner(project, "ask", "--answers", "code=pytorch")
    assert result.exit_code == 2
    assert "docs/questionnaire.yml: no questionnaire rules file." in result.output
