"""Where `$` is and is not math: a table of cases through the full pipeline."""

import re

import pytest

from notes.rendering import render
from tests.conftest import note_source


def math_of(body):
    """The TeX of every formula KaTeX typeset, in order, and the rendered HTML."""
    result = render(note_source(body=body), slug="here")
    assert result.ok, [str(e) for e in result.errors]
    return re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>', result.html, re.S), result.html


CASES = [
    # (markdown, formulas expected, text that must survive outside math)
    ("$a_i * b_j$ and $c_k * d_l$", ["a_i * b_j", "c_k * d_l"], " and "),
    ("It costs \\$5 and \\$10.", [], "It costs $5 and $10."),
    ("Prices $5 and $10 stay prose.", [], "Prices $5 and $10 stay prose."),
    ("Code `$x$` is code.", [], "<code>$x$</code>"),
    ("```\n$x$ in a fence\n```", [], "$x$ in a fence"),
    ("| a | b |\n|---|---|\n| $x_1$ | $\\lVert y \\rVert$ |", ["x_1", "\\lVert y \\rVert"], "<td>"),
    # In a table, GFM reads \| as an escaped cell pipe before math is parsed: the formula
    # receives |y| (documented in the guide: use \lVert or \norm in tables).
    ("| a |\n|---|\n| $\\|y\\|$ |", ["|y|"], "<td>"),
    ("Norm $\\lVert x \\rVert$ and $\\|x\\|$.", ["\\lVert x \\rVert", "\\|x\\|"], "Norm "),
    ('!!! note "T"\n    In an admonition $e^x$.', ["e^x"], "In an admonition "),
    ("- item $a$\n- item $b$", ["a", "b"], "<li>item "),
    ("> quoted $q$", ["q"], "<blockquote>"),
    ("Claim[^1].\n\n[^1]: With $f$.", ["f"], "With "),
    ("$a\n\nb$", [], "$a</p>"),
    ("Emphasis *$x$* stays.", ["x"], "<em>"),
    ("Math $a*b*c$ has no emphasis.", ["a*b*c"], "Math "),
    ("Underscores $a_1 + b_2$ are not emphasis.", ["a_1 + b_2"], "Underscores "),
    ("$$\nx = 1\n$$", ["x = 1"], 'class="math-display"'),
]


@pytest.mark.parametrize("body, formulas, text", CASES, ids=[c[0][:30] for c in CASES])
def test_math_protection(body, formulas, text):
    found, html = math_of(body)
    assert [f.strip() for f in found] == formulas
    assert text in html


def test_a_dollar_never_pairs_across_a_blank_line():
    found, html = math_of("Open $x\n\nclose y$ later.")
    assert found == []
    assert "<p>Open $x</p>" in html
