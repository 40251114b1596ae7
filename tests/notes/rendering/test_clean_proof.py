"""The engine's proof that a formula's HTML is clean (katex_clean.js), held against nh3.

A formula proven clean skips the sanitizer, so the proof must never pass what nh3 would
change, beyond re-serializing it; and it must pass what KaTeX writes, or the sanitizer's cost
comes back unseen.
"""

from pathlib import Path

import pytest

from notes.rendering.katex import engine_pool
from notes.rendering.pipeline import formulas_of
from notes.rendering.sanitize import sanitize
from tests.notes.rendering.test_sanitize import parsed

CORPUS = Path(__file__).resolve().parents[3] / "notes" / "corpus"


def proved(html: str) -> bool:
    return engine_pool().submit(lambda engine: engine.proved_clean(html)).result()


def typeset(items):
    group = [(tex, display, True) for tex, display in items]
    return engine_pool().submit(lambda engine: engine.render_groups([group], 10, {})).result()


def test_every_formula_of_the_starter_notes_is_proven_and_nh3_would_keep_it_all():
    items = {(f.tex, f.display) for path in sorted(CORPUS.glob("*.md")) for f in formulas_of(path.read_text())}
    outputs = [out for out in typeset(sorted(items)) if "html" in out]
    assert len(outputs) > 1000
    proven = [out["html"] for out in outputs if out["clean"]]
    # Every proven formula loses nothing to nh3: the same elements, attributes and text.
    for html in proven:
        assert parsed(sanitize(html)) == parsed(html), html[:200]
    assert len(proven) == len(outputs), [out["html"][:120] for out in outputs if not out["clean"]][:3]


@pytest.mark.parametrize(
    "html",
    [
        '<span class="mord" style="height:1em;vertical-align:-0.25em;">x &amp; y &#x27; &#39;</span>',
        '<span class="katex"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><semantics>'
        '<mrow><mi>x</mi><mo stretchy="false">(</mo></mrow><annotation encoding="application/x-tex">x(</annotation>'
        "</semantics></math></span>",
        '<span><svg xmlns="http://www.w3.org/2000/svg" width="400em" height="1em" viewBox="0 0 400000 1000" '
        'preserveAspectRatio="xMinYMin slice"><path d="M0 0h10v10z"/><line x1="0" y1="0" x2="1" y2="1"></line></svg></span>',
        "text only, with > and quotes \" '",
    ],
)
def test_what_katex_writes_is_proven(html):
    assert proved(html)


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<span onclick="alert(1)">x</span>',
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<span style="background:url(https://evil/x.png)">x</span>',
        '<span style="color:red;background-image:x">x</span>',
        '<span style="width:expression(alert(1))">x</span>',
        '<span style="width:1em\\;">x</span>',
        '<svg><use href="#x"></use></svg>',
        "<span>unclosed",
        "<span></div>",
        "</span>",
        "<span><!-- comment --></span>",
        "<!DOCTYPE html>",
        "<![CDATA[x]]>",
        "<?xml version='1.0'?>",
        "<SPAN>x</SPAN>",
        "<span class='single'>x</span>",
        "<span class=unquoted>x</span>",
        '<span class="a" class="b">x</span>',
        "<span>a & b</span>",
        "<span>&#xZZ;</span>",
        '<span title="a &amp b">x</span>',
        "<span/>",
        "<br>",
        "<div>x</div>",
        "<table><tr><td>x</td></tr></table>",
        "<math><span>breaks out of MathML</span></math>",
        "<math><mtext><mrow>read as HTML</mrow></mtext></math>",
        "<svg><math></math></svg>",
        "<math><math></math></math>",
        '<svg><path d="x"><style>*{}</style></path></svg>',
        "<style>*{}</style>",
        "<span>x</span\n>",
        '<span data-x="1">x</span>',
        "<mi>outside math</mi>",
        "<path d='outside svg'/>",
    ],
)
def test_anything_else_is_left_to_the_sanitizer(html):
    assert not proved(html)


def test_text_from_a_formula_is_escaped_and_proven():
    (out,) = typeset([(r"\text{<script>alert(1)</script> \& <img src=x onerror=y>}", False)])
    assert out["clean"] and "<script" not in out["html"] and "<img" not in out["html"]
    assert parsed(sanitize(out["html"])) == parsed(out["html"])
