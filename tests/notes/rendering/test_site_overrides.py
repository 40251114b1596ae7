"""A note's own `\\newcommand` of a site macro's name overrides the site's meaning in that note,
with a warning, instead of failing the formula; the formula cache keeps overridden and site
meanings apart. Real KaTeX, a real database."""

import pytest

from notes.formula_store import RenderedFormula
from notes.rendering import render
from notes.rendering.macros import MacroDefinition, parse_preamble, site_definitions
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

SCRIPT_Q = '<mi mathvariant="script">Q</mi>'  # \mathcal{Q}, in KaTeX's MathML
DOUBLE_STRUCK_R = '<mi mathvariant="double-struck">R</mi>'  # \mathbb{R}, the site's \R
OVERRIDE = "$$\n\\newcommand{\\R}{\\mathcal{Q}}\\newcommand\\KL{\\operatorname{KLD}}\n$$\n\nUse $\\R$ and $\\KL$.\n"


def test_a_site_macro_defined_by_the_note_overrides_it_there_with_a_warning():
    result = render(note_source(body=OVERRIDE), slug="own")
    assert result.errors == []
    assert [str(w) for w in result.warnings] == [
        "7:3: math: \\R is a site macro; this note's definition overrides it here",
        "7:3: math: \\KL is a site macro; this note's definition overrides it here",
    ]
    assert SCRIPT_Q in result.html and "KLD" in result.html  # the note's \R and \KL
    assert DOUBLE_STRUCK_R not in result.html


def test_another_note_keeps_the_site_meaning_from_the_same_cache():
    assert render(note_source(body=OVERRIDE), slug="own").ok
    stored = RenderedFormula.objects.count()
    plain = render(note_source(body="Use $\\R$ and $\\KL$.\n"), slug="plain")
    assert plain.ok and plain.warnings == []
    assert DOUBLE_STRUCK_R in plain.html and SCRIPT_Q not in plain.html and "KLD" not in plain.html
    assert RenderedFormula.objects.count() == stored + 2  # $\R$ and $\KL$ keyed apart by their scope


def test_a_second_newcommand_of_the_same_name_in_the_note_still_fails_as_in_latex():
    body = "$\\newcommand{\\R}{A}\\R$ and $\\newcommand{\\R}{B}\\R$.\n"
    result = render(note_source(body=body), slug="twice")
    assert [e.message for e in result.errors] == [
        "math: \\newcommand{\\R} attempting to redefine \\R; use \\renewcommand"
    ]
    assert len(result.warnings) == 1


def test_an_error_in_an_overriding_formula_points_at_the_author_s_text():
    result = render(note_source(body="$\\newcommand{\\R}{x}\\frac{1}{$\n"), slug="bad")
    assert len(result.errors) == 1
    assert "(at position 27 in the formula" in result.errors[0].message  # as written, not as rewritten


def test_a_preamble_is_read_into_definitions():
    text = (
        "% site preamble\n"
        "\\newcommand{\\R}{\\mathbb{R}}\n"
        "\\renewcommand\\vec[1]{\\mathbf{#1}}\n"
        "\\newcommand{\\pr}[2][P]{#1(#2)}\n"
        "\\def\\ip#1#2{\\langle #1, #2 \\rangle}\n"
        "\\DeclareMathOperator*{\\argmax}{arg\\,max}\n"
        "\\def\\bad#1.{x}\n"
    )
    definitions, problems = parse_preamble(text)
    assert definitions == [
        MacroDefinition("\\R", 0, "\\mathbb{R}", None, 2),
        MacroDefinition("\\vec", 1, "\\mathbf{#1}", None, 3),
        MacroDefinition("\\pr", 2, "#1(#2)", "P", 4),
        MacroDefinition("\\ip", 2, "\\langle #1, #2 \\rangle", None, 5),
        MacroDefinition("\\argmax", 0, "\\operatorname*{arg\\,max}", None, 6),
    ]
    assert problems == [(7, "\\def\\bad has delimited parameters, which a note cannot take")]
    assert definitions[2].tex() == "\\newcommand{\\pr}[2][P]{#1(#2)}"


def test_the_site_definitions_are_read_from_site_macros_tex():
    site = site_definitions()
    assert site["\\norm"] == MacroDefinition("\\norm", 1, "\\left\\lVert #1 \\right\\rVert", None, site["\\norm"].line)
    assert {"\\R", "\\E", "\\KL", "\\bx"} <= set(site)
