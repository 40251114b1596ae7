"""The rendering pipeline end to end, with real KaTeX."""

import re

import pytest
from django.test import override_settings

from notes.rendering import render
from notes.rendering.links import MappingIndex, NoteInfo
from tests.conftest import note_source

OTHER = NoteInfo(
    slug="other",
    title="The other note",
    summary="Elsewhere.",
    anchors={"eq:far": "(7)", "a-section": "A section", "some-derivation": "Some derivation"},
    equations={"eq:far": 7},
)


def rendered(body, **kwargs):
    return render(note_source(body=body, **kwargs), slug="here", index=MappingIndex([OTHER]))


def messages(result):
    return [str(p) for p in result.errors]


def test_a_clean_note_renders_with_no_problems():
    result = rendered("Hello $x^2$.\n\n$$\na = b\n$$")
    assert result.ok, messages(result)
    assert result.title == "A note"
    assert result.html.count('class="katex"') == 2
    assert 'class="katex-display"' in result.html
    assert "<math" in result.html  # MathML kept for assistive technology


def test_no_math_javascript_and_no_raw_html_passes_through():
    result = rendered("<script>alert(1)</script> and <b>bold</b>\n\n[x](javascript:alert(1))")
    assert "<script" not in result.html
    assert "<b>" not in result.html
    assert "&lt;b&gt;" in result.html
    assert 'href="javascript' not in result.html
    assert "<a" not in result.html


# -- equations ------------------------------------------------------------------------------


def test_labelled_equations_are_numbered_in_order_and_referenced():
    body = r"""
    See [[#eq:second]] before it appears.

    $$
    a = 1 \label{eq:first}
    $$

    $$
    b = 2
    $$

    \begin{align}
    c &= 3 \label{eq:second} \\
    d &= 4 \label{eq:third}
    \end{align}
    """
    result = rendered(body)
    assert result.ok, messages(result)
    assert [(e.label, e.number) for e in result.equations] == [("eq:first", 1), ("eq:second", 2), ("eq:third", 3)]
    assert '<a class="eqref" href="#eq:second" title="Equation (2)">(2)</a>' in result.html
    assert 'id="eq:first"' in result.html and 'id="eq:third"' in result.html
    # KaTeX draws the tags; the unlabelled equation has none
    assert result.html.count(">(</span>") == 3  # KaTeX draws the tags (1), (2), (3)
    assert result.html.count('class="math-display equation"') == 2


def test_cross_note_equation_reference_names_the_other_note():
    result = rendered("As in [[other#eq:far]] and [[other#eq:far|that equation]].")
    assert result.ok, messages(result)
    expected = (
        '<a class="eqref" href="/notes/other/#eq:far" title="Equation (7) in The other note">The other note (7)</a>'
    )
    assert expected in result.html
    assert ">that equation</a>" in result.html
    assert [(link.target_slug, link.anchor) for link in result.links] == [("other", "eq:far"), ("other", "eq:far")]


@pytest.mark.parametrize(
    "body, message",
    [
        ("$$\na \\label{eq:x}\n$$\n\n$$\nb \\label{eq:x}\n$$", "duplicate equation label 'eq:x'"),
        ("$$\na \\label{x}\n$$", "must look like eq:name"),
        ("Inline $a \\label{eq:y}$ here.", "belongs in a display formula"),
        ("$$\na \\label{eq:a} = b \\label{eq:b}\n$$", "one \\label per display formula"),
        ("$$\na \\tag{3}\n$$", "equation numbers are automatic"),
        ("See [[#eq:nowhere]].", "unknown anchor 'eq:nowhere' in this note"),
        ("See [[other#eq:nowhere]].", "unknown anchor 'eq:nowhere' in 'other'"),
    ],
)
def test_equation_label_errors(body, message):
    result = rendered(body)
    assert any(message in m for m in messages(result)), messages(result)


# -- math errors ----------------------------------------------------------------------------


def test_katex_error_carries_line_column_and_formula_position():
    result = rendered("First line.\n\nBad: $\\frac{1}{$ here.")
    # front matter is 5 lines + blank, so the body's third line is line 9; the formula starts
    # at column 7 and KaTeX stops at its end, 9 characters in
    (error,) = result.errors
    assert (error.line, error.col) == (9, 16)
    assert error.formula_pos == 9
    assert "Unexpected end of input" in error.message
    assert "position 9" in error.message


def test_error_position_maps_through_label_rewriting():
    result = rendered("$$\nx \\label{eq:ok} + \\unknownmacro\n$$")
    (error,) = result.errors
    assert "\\unknownmacro" in error.message
    # offsets count from the first character after $$, here the newline
    assert error.formula_pos == len("\nx \\label{eq:ok} + ")


@pytest.mark.parametrize(
    "tex, message",
    [
        (r"\def\a{\a\a}\a", "Too many expansions"),
        ("{" * 150 + "x" + "}" * 150, "formula nests 150 levels deep"),
        ("\\left(" * 1400 + "x" + "\\right)" * 1400, "formula nests 1400 levels deep"),  # see test_nesting.py
        ("x" * 20_001, "the limit is 20000"),
        (r"\href{javascript:alert(1)}{x}", "\\href is not allowed"),
        (r"\htmlClass{evil}{x}", "\\htmlClass is not allowed"),
        (r"\includegraphics{x.png}", "\\includegraphics is not allowed"),
    ],
)
def test_hostile_formulas_are_refused_and_the_renderer_keeps_working(tex, message):
    result = rendered(f"$${tex}$$")
    assert any(message in m for m in messages(result)), messages(result)
    assert rendered("$x$").ok  # the engine still serves


@override_settings(KATEX_TIMEOUT_SECONDS=0.001)
def test_a_batch_that_times_out_is_an_error_and_the_engine_recovers():
    result = rendered(" ".join(f"$x_{{{i}}}^{{2}}$" for i in range(400)))
    assert any("took longer than" in m for m in messages(result)), messages(result)


def test_after_a_timeout_the_next_render_works():
    with override_settings(KATEX_TIMEOUT_SECONDS=0.001):
        rendered(" ".join(f"$x_{{{i}}}$" for i in range(400)))
    assert rendered("$y$").ok


# -- macros ---------------------------------------------------------------------------------


def test_site_macros_work_in_every_note():
    result = rendered(r"$\R^n$, $\E[\bx]$, $\KL(p \| q)$, $\bW\T \bx$, $\norm{\bx}$, $\softmax(\bz)$")
    assert result.ok, messages(result)
    assert '<span class="mord mathbb">R</span>' in result.html  # \R -> \mathbb{R}


def test_note_macros_reach_later_formulas_but_not_other_notes():
    result = rendered(r"Define $\newcommand{\loss}{\mathcal{L}}\loss$ then $\loss(\theta)$.")
    assert result.ok, messages(result)
    other = rendered(r"Here $\loss$ is unknown.")
    assert any("\\loss" in m for m in messages(other)), messages(other)


def test_formula_before_the_definition_cannot_use_the_macro():
    result = rendered(r"$\later$ then $\newcommand{\later}{x}\later$.")
    assert any("\\later" in m for m in messages(result))


# -- derivations ----------------------------------------------------------------------------

DERIVATION = r"""
## Setting

::: derivation {#sq-grad} Gradient of a square
Let $f(x) = x^2$.

1. Expand $f(x+h) = x^2 + 2xh + h^2$.
2. Divide the difference by $h$:

   $$
   \frac{f(x+h) - f(x)}{h} = 2x + h \label{eq:quotient}
   $$
3. Let $h \to 0$ in [[#eq:quotient]].

So $f'(x) = 2x$.
:::

Step two is [[#sq-grad-step-2|here]].
"""


def test_derivation_has_steps_result_and_anchors():
    result = rendered(DERIVATION)
    assert result.ok, messages(result)
    (d,) = result.derivations
    assert (d.key, d.title, len(d.steps)) == ("sq-grad", "Gradient of a square", 3)
    assert [s["id"] for s in d.steps] == ["sq-grad-step-1", "sq-grad-step-2", "sq-grad-step-3"]
    assert d.steps[0]["source"] == "1. Expand $f(x+h) = x^2 + 2xh + h^2$."
    assert "katex" in d.steps[1]["html"]
    assert "f'(x) = 2x" in d.result_html or "katex" in d.result_html
    assert "Let" in d.statement_html
    assert '<section class="derivation" id="sq-grad"' in result.html
    assert 'id="sq-grad-step-2"' in result.html
    assert '<a class="xref" href="#sq-grad-step-2"' in result.html
    assert {"sq-grad", "sq-grad-step-3", "eq:quotient", "setting"} <= set(result.anchors)
    assert result.anchors["sq-grad-step-3"] == "Gradient of a square, step 3"
    assert result.anchors["setting"] == "Setting"


def test_fingerprint_changes_with_content_but_not_with_whitespace_or_title():
    base = rendered(DERIVATION).derivations[0].fingerprint
    spaced = rendered(DERIVATION.replace("x^2$.", "x^2$.   ").replace("2. Divide", "\n2. Divide"))
    assert spaced.derivations[0].fingerprint == base
    changed = rendered(DERIVATION.replace("2x + h", "2x + h^1"))
    assert changed.derivations[0].fingerprint != base
    retitled = rendered(DERIVATION.replace("Gradient of a square", "The gradient of a square"))
    assert retitled.derivations[0].title == "The gradient of a square"
    assert retitled.derivations[0].fingerprint == base  # a new title leaves readers' marks valid


@pytest.mark.parametrize(
    "body, message",
    [
        ("::: derivation Title only\n1. a\n\nResult.\n:::", "needs an id"),
        ("::: derivation {#Bad_Id} T\n1. a\n\nResult.\n:::", "must be lowercase"),
        ("::: derivation {#d1}\n1. a\n\nResult.\n:::", "needs a title"),
        ("::: derivation {#d1} T\nJust prose.\n:::", "needs its steps as a numbered list"),
        ("::: derivation {#d1} T\n1. a\n2. b\n:::", "needs a result"),
        (
            "::: derivation {#d1} T\n1. a\n\nR.\n:::\n\n::: derivation {#d1} U\n1. a\n\nR.\n:::",
            "duplicate derivation id 'd1'",
        ),
        (":::: derivation {#d1} T\n::: derivation {#d2} U\n1. a\n\nR.\n:::\n1. a\n\nR.\n::::", "cannot be nested"),
    ],
)
def test_derivation_errors(body, message):
    result = rendered(body)
    assert any(message in m for m in messages(result)), messages(result)


# -- links ----------------------------------------------------------------------------------


def test_cross_links_in_all_forms():
    body = "[[other]], [[other|see there]], [[other#a-section]], [[other#some-derivation|its derivation]]"
    result = rendered(body)
    assert result.ok, messages(result)
    html = result.html
    assert '<a class="xref" href="/notes/other/" title="The other note">The other note</a>' in html
    assert ">see there</a>" in html
    assert 'href="/notes/other/#a-section" title="The other note">The other note § A section</a>' in html
    assert ">its derivation</a>" in html
    assert [link.anchor for link in result.links] == ["", "", "a-section", "some-derivation"]


def test_unknown_link_target_is_an_error_with_its_location():
    result = rendered("Line one.\n\nSee [[nowhere]] and [[other#missing]].")
    assert [(e.line, e.col) for e in result.errors] == [(9, 5), (9, 21)]
    assert "unknown link target 'nowhere'" in result.errors[0].message
    assert "unknown anchor 'missing' in 'other'" in result.errors[1].message
    assert 'class="xref-broken"' in result.html


def test_wikilinks_inside_code_and_math_are_left_alone():
    result = rendered("`[[nowhere]]` and $[[a]]$\n\n```\n[[nowhere]]\n```")
    assert result.ok, messages(result)
    assert result.links == []


# -- headings, toc, admonitions, other syntax -------------------------------------------------


def test_heading_ids_are_math_safe_and_unique_and_build_the_toc():
    result = rendered("## The $\\sqrt{d}$ scaling\n\n### Details\n\n## Details\n\n#### Deep")
    assert result.ok, messages(result)
    assert [(t.level, t.id) for t in result.toc] == [(2, "the-sqrt-d-scaling"), (3, "details"), (2, "details-2")]
    assert "katex" in result.toc[0].html
    assert 'id="deep"' in result.html


def test_a_display_formula_broken_by_a_blank_line_is_a_warning():
    result = rendered("$$\na = b\n\nc = d\n$$")
    assert any("cannot contain a blank line" in str(w) for w in result.warnings)


def test_h1_in_the_body_is_a_warning():
    result = rendered("# Title again")
    assert result.ok
    assert any("start sections at ##" in str(w) for w in result.warnings)


def test_admonitions_of_the_five_kinds_and_an_unknown_one():
    kinds = ["note", "important", "warning", "info", "tip"]
    body = "\n\n".join(f'!!! {kind} "A {kind}"\n    Body with $x$.' for kind in kinds)
    result = rendered(body)
    assert result.ok, messages(result)
    for kind in kinds:
        assert f'class="admonition {kind}"' in result.html
    bad = rendered("!!! danger\n    Boom.")
    assert any("unknown admonition 'danger'" in m for m in messages(bad))


def test_footnotes_tables_task_lists_and_highlighted_code():
    body = """
    Claim[^1].

    | a | b |
    |---|---|
    | $x$ | 2 |

    - [ ] to do
    - [x] done

    ```python
    def f(x):
        return x
    ```

    [^1]: The proof is $y$.
    """
    result = rendered(body)
    assert result.ok, messages(result)
    assert 'class="footnotes"' in result.html and 'class="footnote-ref"' in result.html
    assert "<table>" in result.html and "katex" in result.html.split("<table>")[1]
    assert 'class="task-list-item-checkbox"' in result.html
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in result.html


def test_plain_text_holds_prose_and_tex_and_word_count_counts_prose():
    result = rendered("Gradients of $f(x)$ flow.\n\n$$\na = b\n$$")
    assert result.plain_text == "Gradients of $f(x)$ flow.\n\n$$a = b$$"
    assert result.word_count == 3


# -- front matter and size ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, where, message",
    [
        ("No front matter.", (1, 1), "starts with front matter"),
        ("---\ntitle: [unclosed\n---\n", (2, 17), "not valid YAML"),
        ("---\n- a list\n---\n", (2, 1), "must be a mapping"),
        ("---\ntitle: T\nsummary: S\n---\n", (2, 1), "needs 'topics'"),
        ("---\ntitle: T\ntopics: [foundations]\n---\n", (2, 1), "needs a non-empty 'summary'"),
        (
            "---\ntitle: T\nsummary: S\ntopics: [foundations]\ncolour: red\n---\n",
            (5, 1),
            "unknown front matter key 'colour'",
        ),
        ("---\ntitle: T\nsummary: S\ntopics: [Not A Slug]\n---\n", (4, 1), "'topics' must be a list of slugs"),
        ("---\ntitle: T\nsummary: S\ntopics: [a]\nslug: Bad Slug\n---\n", (5, 1), "'slug' must be lowercase"),
    ],
)
def test_front_matter_errors_are_located(source, where, message):
    result = render(source, slug="here")
    assert any(message in p.message and (p.line, p.col) == where for p in result.errors), messages(result)


def test_a_note_over_one_megabyte_is_refused():
    source = note_source(body="x" * 1_000_001)
    result = render(source, slug="here")
    assert messages(result) == [f"1:1: note is {len(source):,} bytes; the limit is 1,000,000 bytes (1 MB)"]


def test_katex_output_attributes_survive_and_no_error_span_appears():
    result = rendered(r"$$\sqrt{x^2+1} \xrightarrow{a} \widehat{abc} \color{red}{r}$$")
    assert result.ok, messages(result)
    assert "viewBox=" in result.html
    assert re.search(r'style="[^"]*height:', result.html)
    assert "katex-error" not in result.html


def test_ids_and_titles_are_bounded_to_fit_their_columns():
    long_words = " ".join(["word"] * 60)
    result = rendered(f"## {long_words}\n\n::: derivation {{#d}} {'T' * 201}\n1. a\n\nR.\n:::")
    assert len(result.toc[0].id) <= 80
    assert any("keep it under 200" in m for m in messages(result))
    result = rendered(f"$$\nx \\label{{eq:{'a' * 90}}}\n$$\n\n::: derivation {{#{'d' * 81}}} T\n1. a\n\nR.\n:::")
    assert any("at most 80 characters" in m for m in messages(result))
    assert any("hyphens (at most 80)" in m for m in messages(result))


def test_a_reference_uses_the_other_notes_short_title():
    from dataclasses import replace

    short = replace(OTHER, short_title="Other")
    result = render(note_source(body="By [[other#eq:far]]."), slug="here", index=MappingIndex([short]))
    assert ">Other (7)</a>" in result.html


def test_a_reference_in_the_authors_parentheses_is_not_doubled():
    body = "$$\na = b \\label{eq:ab}\n$$\n\nBy the identity ([[#eq:ab]]) and ([[other#eq:far]]), done."
    result = rendered(body)
    assert result.ok, messages(result)
    assert 'title="Equation (1)">1</a>)' in result.html  # reads "(1)", not "((1))"
    assert ">The other note (7)</a>)" in result.html
    assert "((" not in result.html.replace("<", " ")


@pytest.mark.parametrize(
    "value, message",
    [
        ("x" * 41, "'short_title' is 41 characters; keep it under 40"),
        ("", "front matter needs a non-empty 'short_title'"),
    ],
)
def test_a_short_title_is_checked(value, message):
    result = render(note_source(body="Text.").replace("summary:", f"short_title: '{value}'\nsummary:", 1), slug="here")
    assert any(message in m for m in messages(result)), messages(result)


@pytest.mark.parametrize(
    "value, message",
    [
        ("backprop", "'aliases' must be a list of names"),
        ("[backprop, '']", "'aliases' must be a list of names"),
        ("[" + ", ".join(f"a{n}" for n in range(13)) + "]", "'aliases' lists 13 names; keep it to 12"),
        ("[" + "x" * 61 + "]", "is 61 characters; keep each under 60"),
        ("[SGD, sgd]", "'aliases' lists the same name twice"),
    ],
)
def test_aliases_are_checked(value, message):
    result = render(note_source(body="Text.").replace("summary:", f"aliases: {value}\nsummary:", 1), slug="here")
    assert any(message in m for m in messages(result)), messages(result)


def test_aliases_are_kept_in_the_front_matter():
    result = render(note_source(body="Text.").replace("summary:", "aliases: [backprop,  BP]\nsummary:", 1), slug="here")
    assert result.front_matter["aliases"] == ["backprop", "BP"]
