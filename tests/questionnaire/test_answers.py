"""Answers as text: what `fieldguide ask --answers` takes and the share link the page makes."""

from __future__ import annotations

import pytest

from generator.errors import FieldGuideError
from generator.questionnaire import parse_answers, query_string

from .conftest import loaded


def test_answers_take_commas_ampersands_and_plus_signs(project):
    rules = loaded(project)
    assert parse_answers(rules, "code=keras,needs=phones+speed") == (
        {"code": ("keras",), "needs": ("phones", "speed")},
        None,
    )
    pasted = "code=keras&needs=speed,phones,speed&rv=0ld"  # a share link's query string
    assert parse_answers(rules, pasted) == (
        {"code": ("keras",), "needs": ("speed", "phones")},
        "0ld",
    )
    assert parse_answers(rules, "  ") == ({}, None)


def test_every_mistake_is_reported_at_once_with_what_would_be_right(project):
    rules = loaded(project)
    with pytest.raises(FieldGuideError) as caught:
        parse_answers(
            rules, "x,cod=pytorch,colour=red,needs=phone,needs=tablets,code=pytorch+keras"
        )
    assert str(caught.value) == (
        "'x' is not of the form question=answer.\n"
        "No question 'cod'. Did you mean 'code'?\n"
        "No question 'colour'. Questions: code, needs.\n"
        "Question 'needs' has no answer 'phone'. Did you mean 'phones'? Answers: speed, phones, "
        "dont-know.\n"
        "Question 'needs' has no answer 'tablets'. Answers: speed, phones, dont-know.\n"
        "Question 'code' takes one answer; got pytorch, keras.\n"
        "Run `fieldguide ask` without --answers to be asked instead."
    )


def test_the_share_link_lists_answers_in_rules_order_with_the_rules_version(project):
    rules = loaded(project)
    given = {"needs": ("phones", "speed"), "code": ("dont-know",)}
    link = query_string(rules, given)
    assert link == f"?needs=speed,phones&rv={rules.version}"  # "don't know" alone is left out
    assert parse_answers(rules, link.lstrip("?")) == ({"needs": ("speed", "phones")}, rules.version)
    assert query_string(rules, {}) == f"?rv={rules.version}"


def test_parameters_the_site_adds_to_its_links_are_no_answers(project):
    rules = loaded(project)
    searched = "code=keras&h=gradient+tape&needs=speed&rv=0ld"  # a search result's link: `h`
    assert parse_answers(rules, searched) == ({"code": ("keras",), "needs": ("speed",)}, "0ld")
    with pytest.raises(FieldGuideError, match="No question 'hh'"):
        parse_answers(rules, "hh=gradient")  # only the site's own parameters
