"""What an import adds beyond one file's syntax: a site's macros (--macros), wikilinks resolved by
title or alias, citations as footnotes, <details>, notebooks; each with its exact converted
Markdown and rendered by the real pipeline."""

from pathlib import Path

import pytest

from notes.importing import convert, convert_batch
from notes.importing.macros import MacrosFileError, read_macros
from notes.importing.notebook import notebook_markdown
from notes.rendering import render
from notes.rendering.macros import MacroDefinition

SITE = Path(__file__).parent / "site"
FRONT = "---\ntitle: T\nsummary: S.\ntopics: [foundations]\n---\n"


def body(source: str, dialect: str = "markdown", **options) -> str:
    return convert(FRONT + source, name="t.md", dialect=dialect, **options).text.removeprefix(FRONT)


def rendered(source: str):
    result = render(FRONT + source, slug="t")
    assert [str(e) for e in result.errors] == []
    return result


def test_mathjax_and_katex_json_and_a_preamble_are_read_alike():
    mathjax, problems = read_macros((SITE / "mathjax.json").read_text())
    assert problems == []
    assert mathjax == [
        MacroDefinition("\\R", 0, "\\mathbb{R}"),
        MacroDefinition("\\norm", 1, "\\left\\lVert #1 \\right\\rVert"),
        MacroDefinition("\\risk", 2, "\\mathcal{R}_{#1}(#2)", "n"),
    ]
    katex, _ = read_macros((SITE / "katex.json").read_text())
    assert [d.tex() for d in katex] == ["\\newcommand{\\R}{\\mathbb{R}}", "\\newcommand{\\loss}{\\mathcal{L}}"]
    preamble, _ = read_macros((SITE / "preamble.tex").read_text())
    assert [d.name for d in preamble] == ["\\R", "\\KL", "\\loss", "\\vec", "\\argmin", "\\ip"]
    assert read_macros('{"ok": "x", "bad": 3, "1": "y"}')[1] == [
        "bad: expected a string, or [body, number of arguments(, default)]"
    ]
    with pytest.raises(MacrosFileError, match="not valid JSON"):
        read_macros("{")


PREAMBLE, _ = read_macros((SITE / "preamble.tex").read_text())
MACRO_CASES = [
    (  # the first formula that uses one gets them all; a site macro alike is not repeated
        "Let $x \\in \\R$ be fixed and\n\n$$\n\\loss(x) = \\ip{x}{x}\n$$\n\nthen $\\loss$ again.\n",
        "Let $x \\in \\R$ be fixed and\n\n$$\n\\newcommand{\\loss}{\\mathcal{L}}\n"
        "\\newcommand{\\ip}[2]{\\langle #1, #2 \\rangle}\n\\loss(x) = \\ip{x}{x}\n$$\n\nthen $\\loss$ again.\n",
        ["8:3: math: \\ip is a site macro; this note's definition overrides it here"],
    ),
    (  # a bare environment cannot hold definitions: a block before it
        "\\begin{align}\n\\vec{x} &= \\argmin_y \\loss(y)\n\\end{align}\n",
        "$$\n\\newcommand{\\loss}{\\mathcal{L}}\n\\def\\vec#1{\\boldsymbol{#1}}\n"
        "\\def\\argmin{\\operatorname*{arg\\,min}}\n$$\n\n\\begin{align}\n\\vec{x} &= \\argmin_y \\loss(y)\n\\end{align}\n",
        [],
    ),
    (  # the site's \KL means something else: the file's overrides it, and the page says so
        "The divergence $\\KL(p, q)$.\n",
        "The divergence $\\newcommand{\\KL}{\\mathrm{KL}}\\KL(p, q)$.\n",
        ["6:17: math: \\KL is a site macro; this note's definition overrides it here"],
    ),
    (  # the note's own definition wins over the file's
        "Own $\\newcommand{\\loss}{\\ell}\\loss$ and $\\R$.\n",
        "Own $\\newcommand{\\loss}{\\ell}\\loss$ and $\\R$.\n",
        [],
    ),
]


@pytest.mark.parametrize(("source", "expected", "warnings"), MACRO_CASES)
def test_a_site_s_macros_go_to_the_notes_that_use_them(source, expected, warnings):
    assert body(source, macros=PREAMBLE) == expected
    result = rendered(expected)
    assert [str(w) for w in result.warnings] == warnings


def test_the_macros_are_reported_where_they_are_defined():
    conversion = convert(FRONT + "A $\\KL + \\loss + \\R$.\n", name="t.md", dialect="markdown", macros=PREAMBLE)
    assert [str(e) for e in conversion.entries] == [
        "6:3: converted: macros.added: macros from --macros defined here: \\KL, \\loss",
        "6:3: left: macros.override: \\KL differs from the site's \\KL: the file's definition overrides it in this note",
        "6:3: converted: macros.site: \\R: the site defines them alike, not repeated",
    ]


def test_wikilinks_resolve_by_file_name_title_or_alias_in_the_batch_and_on_the_site():
    files = [
        (
            "vault/2021-05-01 Gradient Descent.md",
            "---\naliases: [GD]\n---\n# Gradient descent\n\nSteps.\n## Step size\n",
        ),
        (
            "vault/Momentum.md",
            "---\ntags: [foundations]\n---\nUnlike [[gd|plain steps]], see [[Gradient Descent#Step size]], "
            "[[2021-05-01 Gradient Descent]], [[KL Divergence]], [[Spread]] and [[Nowhere]].\n",
        ),
    ]
    site = {"KL divergence": "kl-gaussians", "Spread": "variance#eq:var"}
    _, momentum = convert_batch(files, dialect="obsidian", known_topics={"foundations"}, links=site)
    assert momentum.text.split("---\n", 2)[2] == (
        "Unlike [[gradient-descent|plain steps]], see [[gradient-descent#step-size]], [[gradient-descent]], "
        "[[kl-gaussians]], [[variance#eq:var]] and Nowhere.\n"
    )
    assert [e.message for e in momentum.entries if e.kind == "obsidian.wikilink"][-1] == (
        "link to 'Nowhere': no note of that name here or on the site"
    )


def test_citations_and_details_render_as_footnotes_and_an_admonition():
    source = body("By {cite}`knuth84`.\n\n<details>\n<summary>Why</summary>\n\nBecause $x$.\n</details>\n", "myst")
    assert source == 'By [^knuth84].\n\n!!! note "Why"\n    Because $x$.\n\n[^knuth84]: knuth84\n'
    html = rendered(source).html
    assert 'class="footnote-ref"' in html and "knuth84" in html.split('class="footnote-item"')[1]
    assert 'class="admonition note"' in html and "Why" in html


def test_a_notebook_becomes_markdown_with_its_outputs_reported():
    text, entries = notebook_markdown((Path(__file__).parent / "fixtures" / "linear-regression.ipynb").read_text())
    assert text.startswith("# Linear regression\n\nLeast squares fits")
    assert [str(e) for e in entries] == [
        "8:1: converted: notebook.code: code cell 2 -> fenced code (not run)",
        "14:1: dropped: notebook.output: code cell 2: 1 output(s) dropped (a note shows no outputs)",
        "18:1: dropped: notebook.cell: raw cell 4 dropped",
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{", "notebook is not valid JSON: Expecting property name enclosed in double quotes (line 1)"),
        (
            '{"worksheets": []}',
            "not a Jupyter notebook of nbformat 4 (no list of cells): save it with Jupyter 4 or later",
        ),
    ],
)
def test_a_broken_notebook_is_an_error_for_its_file_only(text, error):
    broken, fine = convert_batch([("old.ipynb", text), ("fine.md", "# Fine\n\nText.\n")], topic="foundations")
    assert (broken.error, broken.text) == (error, "")
    assert fine.error is None and fine.text.startswith("---\ntitle: Fine\n")
