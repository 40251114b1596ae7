"""The KaTeX faces a note page preloads: read from real KaTeX output, only the top of the body."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from notes.font_preloads import TOP_CHARS, katex_faces
from notes.rendering.pipeline import render
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

FONTS = Path(settings.BASE_DIR) / "static" / "vendor" / "katex" / "fonts"


def faces_of(body: str) -> set[str]:
    result = render(note_source("Faces", body=body))
    assert not result.errors, result.errors
    return {Path(path).name.removeprefix("KaTeX_").removesuffix(".woff2") for path in katex_faces(result.html)}


def test_each_face_a_formula_sets_text_in_and_no_other():
    assert faces_of("Plain text, no formula.") == set()
    assert faces_of("A variable $x$.") == {"Main-Regular", "Math-Italic"}
    assert faces_of(r"Sets $\mathbb{R}$ and $\mathcal{L}$, a vector $\mathbf{v}$.") == {
        "Main-Regular",
        "AMS-Regular",
        "Caligraphic-Regular",
        "Main-Bold",
    }
    # A big operator in a display is set in Size2, inline in Size1; a sized delimiter in its size.
    assert "Size2-Regular" in faces_of(r"$$\sum_i x_i$$")
    assert "Size1-Regular" in faces_of(r"Inline $\sum_i x_i$.")
    assert "Size1-Regular" in faces_of(r"A pair $\big( x \big)$.")
    # A font size alone ("sizing size3" in KaTeX's markup) sets no face of its own.
    assert faces_of(r"Small $\scriptsize x$.") == {"Main-Regular", "Math-Italic"}


def test_every_face_named_is_a_file_katex_ships():
    result = render(
        note_source(
            "All", body=r"$\mathbb{R} \mathcal{L} \mathbf{v} \boldsymbol{\mu} \mathfrak{g}$ $$\sum_i \Big( x \Big)$$"
        )
    )
    paths = katex_faces(result.html)
    assert len(paths) >= 7
    for path in paths:
        assert (FONTS / Path(path).name).is_file(), path


def test_only_the_top_of_the_body_counts():
    filler = "Words without math. " * (TOP_CHARS // 20 + 10)
    result = render(note_source("Long", body=f"First $x$.\n\n{filler}\n\nMuch later $\\mathcal{{L}}$."))
    faces = {Path(path).name for path in katex_faces(result.html)}
    assert "KaTeX_Math-Italic.woff2" in faces
    assert "KaTeX_Caligraphic-Regular.woff2" not in faces


def test_note_page_preloads_the_faces_of_its_summary_and_top(client, publish):
    publish("faces", note_source("Faces", summary=r"About $\mathcal{L}$.", body=r"Text with $\mathbb{R}$ and $x$."))
    html = client.get(reverse("notes:note", args=["faces"])).content.decode()
    head = html[: html.index("</head>")]
    for face in ("Caligraphic-Regular", "AMS-Regular", "Main-Regular", "Math-Italic"):
        assert (
            f'<link rel="preload" href="/static/vendor/katex/fonts/KaTeX_{face}.woff2" as="font" type="font/woff2" crossorigin>'
            in head
        )
    assert "KaTeX_Main-Bold" not in head
