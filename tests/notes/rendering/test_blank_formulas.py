"""Which typeset formulas show nothing (notes.rendering.fragments.formula_is_blank): search
snippets leave them out. The quick reading of the drawn part's text is held against an HTML
parser that reads the whole formula and leaves out its MathML copy."""

from pathlib import Path

import pytest

from notes.rendering.fragments import _INVISIBLE, _VisibleText, formula_is_blank
from notes.rendering.katex import engine_pool
from notes.rendering.pipeline import formulas_of
from notes.rendering.sanitize import sanitize

CORPUS = Path(__file__).resolve().parents[3] / "notes" / "corpus"


def parsed_blank(html: str) -> bool:
    parser = _VisibleText()
    parser.feed(html)
    return not _INVISIBLE.sub("", "".join(parser.parts))


def typeset(items) -> list[str]:
    group = [(tex, display, True) for tex, display in items]
    outputs = engine_pool().submit(lambda engine: engine.render_groups([group], 10, {})).result()
    return [sanitize(out["html"]) for out in outputs if "html" in out]


def test_every_formula_of_the_starter_notes_shows_what_a_parser_reads_in_it():
    items = {(f.tex, f.display) for path in sorted(CORPUS.glob("*.md")) for f in formulas_of(path.read_text())}
    htmls = typeset(sorted(items))
    assert len(htmls) > 1000
    for html in htmls:
        assert formula_is_blank(html) == parsed_blank(html), html[:300]


@pytest.mark.parametrize(
    ("tex", "blank"),
    [
        (r"\newcommand{\foo}{x}", True),
        (r"\gdef\bar{y}\newcommand{\baz}[1]{#1}", True),
        (r"\,\;\quad", True),
        (r"\text{ }", True),
        (r"\ ", True),
        ("x", False),
        (r"\newcommand{\foo}{x}\foo", False),
        (r"\text{\&}", False),  # a character reference in the drawn text
        (r"\phantom{x}", False),  # drawn, in transparent ink: it takes its room
        (r"\sqrt{}", False),  # a radical sign without text
    ],
)
def test_a_formula_that_defines_or_spaces_only_shows_nothing(tex, blank):
    [html] = typeset([(tex, True)])
    assert formula_is_blank(html) is blank
    assert parsed_blank(html) is blank or "<svg" in html
