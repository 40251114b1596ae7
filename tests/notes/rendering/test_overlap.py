"""The page drawn while the engines typeset (notes.rendering.note_math, formula_cache.typeset_start):
whether the formulas come from the engines, the table or this process's memo, and whatever
fails, a render is the same; real KaTeX, a real database."""

from pathlib import Path

import pytest

from notes.formula_store import formulas_forget
from notes.rendering import formula_cache, outline, render
from notes.rendering.formula_cache import NoStore
from notes.rendering.links import MappingIndex
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[3] / "notes" / "corpus"


def test_every_starter_note_renders_the_same_cold_from_the_table_from_memory_and_without_a_cache():
    sources = {path.stem: path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.md"))}
    index = MappingIndex([outline(source, slug=slug) for slug, source in sources.items()])
    cold = {slug: render(source, slug=slug, index=index) for slug, source in sources.items()}  # engines
    memory = {slug: render(source, slug=slug, index=index) for slug, source in sources.items()}
    formulas_forget()
    table = {slug: render(source, slug=slug, index=index) for slug, source in sources.items()}
    previous = formula_cache.use_store(NoStore())
    try:
        bare = {slug: render(source, slug=slug, index=index) for slug, source in sources.items()}
    finally:
        formula_cache.use_store(previous)
    for slug in sources:
        assert cold[slug].ok, (slug, cold[slug].errors[:3])
        assert memory[slug] == cold[slug] == table[slug], slug
        # Without any cache every formula is typeset in the render's own batch: the same page.
        assert bare[slug].html == cold[slug].html and bare[slug].equations == cold[slug].equations, slug


BROKEN = r"""
See [[no-such-note]] first.

Fine $a^2$, refused $\href{https://example.org}{x}$, broken $\frac{1}{$ and fine $b^2$.

$$
c = d \label{eq:c}
$$
"""


@pytest.mark.parametrize("cached", [False, True])
def test_a_formula_that_fails_is_drawn_as_its_error_and_its_problems_come_first(cached):
    if cached:
        render(note_source(body=BROKEN), slug="broken")  # the same verdicts, from the cache
    result = render(note_source(body=BROKEN), slug="broken")
    messages = [p.message for p in result.errors]
    assert len(messages) == 3, messages
    assert "\\href is not allowed" in messages[0] and "position" in messages[1]  # the formulas' first,
    assert "unknown link target 'no-such-note'" in messages[2]  # then the links', as ever
    assert result.errors[1].formula_pos is not None
    assert result.html.count('class="math-error"') == 2  # the page was drawn again around them
    assert result.html.count('class="katex"') == 3 and "\ue000" not in result.html
    assert result.html.count(r"\frac{1}{") == 1  # the broken formula's source, escaped, once


def test_a_preview_after_a_one_formula_edit_is_the_page_a_render_without_cache_draws(monkeypatch):
    counted = formula_cache.Timings()
    monkeypatch.setattr(formula_cache, "timings", counted)
    body = "Known $x^2$ and $y^2$.\n\n$$\nz = 1 \\label{eq:z}\n$$\n"
    render(note_source(body=body), slug="p")
    before = counted.typeset
    edited = note_source(body=body.replace("y^2", "y^3"))
    preview = render(edited, slug="p", preview=True)  # the page drawn while y^3 is typeset
    assert counted.typeset == before + 1
    previous = formula_cache.use_store(NoStore())
    try:
        assert preview.ok and preview.html == render(edited, slug="p").html
    finally:
        formula_cache.use_store(previous)


# A formula the blocks seem to hold but the inline pass does not find (in a link's address), and
# one the blocks do not show (the summary's, in the front matter).
GUESSED = "Fine $a^2$ and $b^2$; [a page](https://example.org/$zz^{9}$) and $a^2$ again."


def test_a_cold_render_starts_on_the_formulas_its_blocks_show_and_keeps_only_those_it_has():
    from notes.formula_store import RenderedFormula
    from notes.rendering.formula_cache import Formula, Timings, formula_keys
    from notes.rendering.pipeline import formulas_of

    source = note_source(body=GUESSED, summary="About $s^2$.")
    formula_cache.timings = Timings()
    try:
        result = render(source, slug="guessed")
        typeset = formula_cache.timings.typeset
    finally:
        formula_cache.timings = None
    assert result.ok, result.errors
    assert result.html.count('class="katex"') == 3 and 'class="katex"' in result.summary_html
    assert typeset == 4  # a², b² and the guess ahead, then s²: none of them twice
    kept = set(RenderedFormula.objects.values_list("key", flat=True))
    assert kept == set(formula_keys(formulas_of(source)))  # a², b², s²: the guess is not kept
    assert formula_keys([Formula("zz^{9}", False)])[0] not in kept
