"""Each construct of each dialect, written from the dialect's documented syntax, with the
platform Markdown it must become (body only: front matter is tested in test_files.py)."""

import pytest

from notes.importing import convert, detect
from notes.importing.frontmatter import slug_from_name

FRONT = "---\ntitle: T\nsummary: S.\ntopics: [foundations]\n---\n"


def body(source: str, dialect: str) -> str:
    return convert(FRONT + source, name="t.md", dialect=dialect).text.removeprefix(FRONT)


CASES = [
    # kramdown / Jekyll
    ("kramdown", "Mid-sentence $$x^2$$ here.\n", "Mid-sentence $x^2$ here.\n"),
    ("kramdown", "Text\n$$\na = b\n$$\nmore\n", "Text\n\n$$\na = b\n$$\n\nmore\n"),
    ("kramdown", "See \\\\(a\\_1\\\\) now.\n", "See $a_1$ now.\n"),
    ("kramdown", "Para\n\n\\\\[\nb\n\\\\]\n", "Para\n\n$$b$$\n"),
    ("kramdown", "{% raw %}\n$$\nx\n$$\n{% endraw %}\n", "$$\nx\n$$\n"),
    ("kramdown", "{% math %}\nx = 1\n{% endmath %}\n", "$$\nx = 1\n$$\n"),
    ("kramdown", "A *b*\n{: .note}\n", "A *b*\n"),
    ("kramdown", "{% highlight python %}\nx = 1\n{% endhighlight %}\n", "```python\nx = 1\n```\n"),
    (
        "kramdown",
        "\\begin{eqnarray}\na &=& b \\label{one}\n\\end{eqnarray}\nBy \\eqref{one}.\n",
        "\\begin{align}\na &= b \\label{eq:one}\n\\end{align}\n\nBy [[#eq:one]].\n",
    ),
    ("kramdown", "Unknown \\ref{fig:x} here.\n", "Unknown (fig:x) here.\n"),
    ("kramdown", "> Quote\n> $$\n> x\n> $$\n", "> Quote\n>\n> $$\n> x\n> $$\n"),
    ("kramdown", "1. Step\n   $$\n   x\n   $$\n", "1. Step\n\n   $$\n   x\n   $$\n"),
    ("kramdown", "$$\na &= b \\\\\nc &= d\n$$\n", "$$\n\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}\n$$\n"),
    ("kramdown", "$$\n\\begin{align}\na &= b\n\\end{align}\n$$\n", "\\begin{align}\na &= b\n\\end{align}\n"),
    ("kramdown", "Text \\begin{equation}x\\end{equation}\n", "Text \\begin{equation}x\\end{equation}\n"),
    (
        "kramdown",
        "Before\n\\begin{equation}\nx = 1 \\tag{7}\n\\end{equation}\n",
        "Before\n\n\\begin{equation}\nx = 1 \\label{eq:tag-7}\n\\end{equation}\n",
    ),
    ("kramdown", "`$$x$$` stays code.\n", "`$$x$$` stays code.\n"),
    ("kramdown", "```\n\\(x\\)\n```\n", "```\n\\(x\\)\n```\n"),
    ("kramdown", "$$\n\\text{a\\_b} + c\\_d\n$$\n", "$$\n\\text{a\\_b} + c_d\n$$\n"),
    ("quarto", "$$\nx \\sim \\mbox{Normal}(0, 1) \\mboxed\n$$\n", "$$\nx \\sim \\text{Normal}(0, 1) \\mboxed\n$$\n"),
    # HTML
    ("kramdown", "A<br>\nB <em>c</em> <strong>d</strong>\n", "A\\\nB *c* **d**\n"),
    ("kramdown", "H<sub>2</sub>O, x<sup>n</sup>\n", "H$_{\\text{2}}$O, x$^{\\text{n}}$\n"),
    ("kramdown", '<img src="/media/a.png" alt="A">\n', "![A](/media/a.png)\n"),
    ("kramdown", "Hidden <!-- note --> text\n", "Hidden  text\n"),
    (
        "kramdown",
        "Per {% cite knuth84 vaswani2017 --file refs %}.\n",
        "Per [^knuth84][^vaswani2017].\n\n[^knuth84]: knuth84\n[^vaswani2017]: vaswani2017\n",
    ),
    (
        "kramdown",
        "Text\n<details>\n<summary><b>Proof</b></summary>\n\nIt holds:\n$$\nx=1\n$$\n</details>\nAfter.\n",
        'Text\n\n!!! note "Proof"\n    It holds:\n\n    $$\n    x=1\n    $$\n\nAfter.\n',
    ),
    ("markdown", "<details>\nBody only.\n</details>\n", '!!! note "Details"\n    Body only.\n'),
    (
        "markdown",
        "<details><summary>Outer</summary>\n\n<details><summary>Inner</summary>\nDeep.\n</details>\n</details>\n",
        '!!! note "Outer"\n    !!! note "Inner"\n        Deep.\n',
    ),
    # MyST
    ("myst", "```{math}\n:label: my-eq\nx = 1\n```\n", "$$\nx = 1 \\label{eq:my-eq}\n$$\n"),
    ("myst", "Role {math}`a+b` here.\n", "Role $a+b$ here.\n"),
    ("myst", "(eq-a)=\n$$\nx\n$$\n\nSee {eq}`eq-a`.\n", "$$\nx \\label{eq:a}\n$$\n\nSee [[#eq:a]].\n"),
    ("myst", "$$\ny\n$$ (b)\n\n{eq}`text <b>`\n", "$$\ny \\label{eq:b}\n$$\n\n[[#eq:b]]\n"),
    ("myst", "```{warning}\nCareful.\n```\n", "!!! warning\n    Careful.\n"),
    ("myst", '```{raw} html\n<div><img src="https://x.org/a.svg"></div>\n```\n\nText.\n', "Text.\n"),
    ("myst", ":::{seealso}\nMore.\n:::\n", "!!! info\n    More.\n"),
    ("myst", "```{admonition} Title here\n:class: tip\nBody.\n```\n", '!!! tip "Title here"\n    Body.\n'),
    ("myst", "```{figure} /media/f.png\nA caption.\n```\n", "![A caption.](/media/f.png)\n*A caption.*\n"),
    ("myst", "See {cite}`key`.\n", "See [^key].\n\n[^key]: key\n"),
    ("myst", "Both {cite:p}`a,b` and {cite:t}`a`.\n", "Both [^a][^b] and [^a].\n\n[^a]: a\n[^b]: b\n"),
    # d2l
    ("d2l", "$$a = b$$\n:eqlabel:`eq_ab`\n\nBy :eqref:`eq_ab`.\n", "$$\na = b \\label{eq:ab}\n$$\n\nBy [[#eq:ab]].\n"),
    ("d2l", "## Part\n:label:`sec_part`\n\nText.\n", "## Part\n\nText.\n"),
    ("d2l", "```{.python .input}\nx = 1\n```\n", "```python\nx = 1\n```\n"),
    (
        "d2l",
        "As :cite:`Bridle.1990,Vaswani.2017`.\n",
        "As [^Bridle.1990][^Vaswani.2017].\n\n[^Bridle.1990]: Bridle.1990\n[^Vaswani.2017]: Vaswani.2017\n",
    ),
    # Quarto
    ("quarto", "$$\nx = 1\n$$ {#eq-one}\n\nBy @eq-one.\n", "$$\nx = 1 \\label{eq:one}\n$$\n\nBy [[#eq:one]].\n"),
    ("quarto", "::: {.callout-tip}\n## Hint\nDo it.\n:::\n", '!!! tip "Hint"\n    Do it.\n'),
    ("quarto", '::: {.callout-important title="Key"}\nBody.\n:::\n', '!!! important "Key"\n    Body.\n'),
    ("quarto", "::: {.column-margin}\nSide.\n:::\n", "Side.\n"),
    ("quarto", "As [@knuth84].\n", "As [^knuth84].\n\n[^knuth84]: knuth84\n"),
    ("quarto", "As [@a; @b], [see @a, p. 3].\n", "As [^a][^b], (see [^a], p. 3).\n\n[^a]: a\n[^b]: b\n"),
    (
        "quarto",
        "@vaswani2017 showed; mail a@b.com, \\@x.\n",
        "[^vaswani2017] showed; mail a@b.com, \\@x.\n\n[^vaswani2017]: vaswani2017\n",
    ),
    ("quarto", "Own [^n] and [@n].\n\n[^n]: Mine.\n", "Own [^n] and [^n].\n\n[^n]: Mine.\n"),
    # Obsidian
    ("obsidian", "> [!tip] Try\n> $x$ first.\n", '!!! tip "Try"\n    $x$ first.\n'),
    ("obsidian", "> [!bug]\n> Broken.\n", "!!! warning\n    Broken.\n"),
    ("obsidian", "Link [[Some Note]] and [[Other|alias]].\n", "Link Some Note and alias.\n"),
    ("obsidian", "See [[#Local Part]] and [[#eq:x]].\n", "See [[#local-part]] and [[#eq:x]].\n"),
    ("obsidian", "Native [[kl-gaussians#eq:kl]] stays.\n", "Native [[kl-gaussians#eq:kl]] stays.\n"),
    ("obsidian", "![[fig.png]] %%hidden%% ==hi==\n", "![fig.png](fig.png)  **hi**\n"),
    # Hugo
    ("hugo", "Inline {{< katex >}}x{{< /katex >}} math.\n", "Inline $x$ math.\n"),
    ("hugo", "{{< hint warning >}}\nCareful.\n{{< /hint >}}\n", "!!! warning\n    Careful.\n"),
    ("hugo", '{{< figure src="/media/a.png" caption="Cap" >}}\n', "![Cap](/media/a.png)\n"),
    ("hugo", "{{< youtube id >}}\nText.\n", "Text.\n"),
]


@pytest.mark.parametrize(("dialect", "source", "expected"), CASES)
def test_construct(dialect, source, expected):
    assert body(source, dialect) == expected


def test_every_change_is_reported_with_its_line():
    conversion = convert(FRONT + "Line one\n\nSee $$x$$ and <span>s</span>.\n", name="t.md", dialect="kramdown")
    kinds = {(e.line, e.kind, e.action) for e in conversion.entries}
    assert (8, "math.kramdown-inline", "converted") in kinds
    assert (8, "html.kept", "left") in kinds


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("2019-03-15-My Post.md", "my-post"),
        ("posts/attention/index.md", "attention"),
        ("Über Größen.qmd", "uber-groen"),
        ("a_b.c.md", "a-b-c"),
    ],
)
def test_slug_from_file_name(name, slug):
    assert slug_from_name(name) == slug


@pytest.mark.parametrize(
    ("text", "name", "dialect"),
    [
        ("```{note}\nx\n```\n", "a.md", "myst"),
        ("$$x$$ {#eq-a}\n", "a.md", "quarto"),
        ("x", "a.qmd", "quarto"),
        (":eqref:`a`", "a.md", "d2l"),
        ("> [!note]\n> x\n", "a.md", "obsidian"),
        ("+++\ntitle = 'a'\n+++\n", "a.md", "hugo"),
        ("Inline $$x$$ math.\n{: .c}\n", "a.md", "kramdown"),
        ("Plain $x$.\n", "a.md", "markdown"),
    ],
)
def test_auto_detection_names_the_dialect_and_why(text, name, dialect):
    chosen, why = detect(text, name)
    assert chosen == dialect
    assert why


def test_headings_are_demoted_outside_code_only_even_with_other_fence_markers_inside_it():
    source = "# Top\n\nMid $$x$$ text.\n\n~~~\n```\n# a comment in the code\n~~~\n\n# Next\n"
    expected = "## Top\n\nMid $x$ text.\n\n~~~\n```\n# a comment in the code\n~~~\n\n## Next\n"
    assert body(source, "kramdown") == expected
