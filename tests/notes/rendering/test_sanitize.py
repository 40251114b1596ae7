"""The sanitizer keeps KaTeX's output exactly and removes everything dangerous."""

from html.parser import HTMLParser

import pytest

from notes.rendering.katex import render_batch
from notes.rendering.sanitize import sanitize

FORMULAS = [
    (r"\frac{a}{b} + \sqrt{x^2 + 1} + \sqrt[3]{y}", True),
    (r"\sum_{i=1}^n \int_0^\infty e^{-x^2}\,\dd x", True),
    (r"\widehat{abc} \overbrace{x+y}^{n} \underbrace{a}_{b} \xrightarrow[below]{above}", True),
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix} \begin{cases} 1 & x>0 \\ 0 \end{cases}", True),
    (r"\begin{align*} a &= b \tag{1} \\ c &= d \end{align*}", True),
    (r"\color{red}{x} \colorbox{yellow}{y} \boxed{z} \cancel{w} \phantom{v}", True),
    (r"\left( \frac{1}{2} \right) \Big[ x \Big] \overline{z} \vec{v} \hat{\bW}", False),
    (r"\mathbb{R} \mathcal{N} \mathbf{x} \boldsymbol{\theta} \operatorname{softmax}", False),
    (r"\text{if } x \ne 0 \quad \KL(p \| q) \, \norm{\bx}_2", False),
]


@pytest.mark.parametrize("tex, display", FORMULAS, ids=[f[0][:25] for f in FORMULAS])
def test_katex_output_is_unchanged_by_sanitizing(tex, display):
    (out,) = render_batch([(tex, display)])
    assert "html" in out, out
    html = out["html"]
    # nh3 re-serializes (attribute quoting, a style's trailing ';'), so compare what a
    # parser reads: every element, attribute, style declaration and text node, in order.
    cleaned = sanitize(html)
    assert parsed(cleaned) == parsed(html)
    assert 'class="katex-html"' in cleaned


class _Events(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events = []

    def handle_starttag(self, tag, attrs):
        normalized = []
        for name, value in attrs:
            if name == "style":
                value = ";".join(part.strip() for part in (value or "").split(";") if part.strip())
            normalized.append((name, value))
        self.events.append(("start", tag, tuple(sorted(normalized))))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        self.events.append(("text", data))


def parsed(html):
    parser = _Events()
    parser.feed(html)
    parser.close()
    return parser.events


@pytest.mark.parametrize(
    "dirty, forbidden",
    [
        ('<img src=x onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ("<script>alert(1)</script>", "<script"),
        ('<span style="background:url(https://evil/x.png)">x</span>', "url("),
        ('<svg><foreignObject><iframe src="//evil"></iframe></foreignObject></svg>', "iframe"),
        ("<math><mtext><style>*{}</style></mtext></math>", "<style"),
        ('<div onclick="x()">x</div>', "onclick"),
    ],
)
def test_dangerous_markup_is_removed(dirty, forbidden):
    assert forbidden not in sanitize(dirty)
