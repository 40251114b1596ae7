"""The KaTeX faces the top of a note's body uses, for the note page to preload.

A face is asked for only once the browser lays out text set in it, and the note body's first
layout comes while the page is still parsing; so without a preload the faces of the first
screen start loading late, and KaTeX's faces are `font-display: block`: the first screen's
formulas stay blank until they are in. Preloaded from the page's <head>, they load alongside
the stylesheets.

"The top" is the body's first TOP_CHARS characters of HTML: the first screen and what the
browser lays out with it below (content-visibility: auto draws the blocks within a margin of
the screen), on a phone as on a wide screen; KaTeX's markup is dense, so that is a few
screens of a page with math. Only faces seen there are preloaded: the others load when a
reader scrolls to them, as before. The summary's faces are preloaded too: it is the first
screen on a wide one; on a phone it is folded (site.css, "Folds"), so a face that only the
summary uses is fetched there before a reader opens it.
"""

import re

TOP_CHARS = 48_000

# katex.min.css: which class (or pair of classes on one element) sets a face. The face
# every formula's text uses (KaTeX_Main, regular) is added whenever there is a formula.
_BY_CLASS = {
    "mathnormal": "Math-Italic",
    "boldsymbol": "Math-BoldItalic",
    "mathbf": "Main-Bold",
    "textbf": "Main-Bold",
    "mathit": "Main-Italic",
    "textit": "Main-Italic",
    "amsrm": "AMS-Regular",
    "mathbb": "AMS-Regular",
    "textbb": "AMS-Regular",
    "mathcal": "Caligraphic-Regular",
    "mathfrak": "Fraktur-Regular",
    "textfrak": "Fraktur-Regular",
    "mathscr": "Script-Regular",
    "textscr": "Script-Regular",
    "mathsf": "SansSerif-Regular",
    "textsf": "SansSerif-Regular",
    "mathtt": "Typewriter-Regular",
    "texttt": "Typewriter-Regular",
}
# Sized delimiters and big operators: "sizeN" alone is only a font size (KaTeX's "sizing").
_BY_PAIR = {
    ("delimsizing", "size1"): "Size1-Regular",
    ("delimsizing", "size2"): "Size2-Regular",
    ("delimsizing", "size3"): "Size3-Regular",
    ("delimsizing", "size4"): "Size4-Regular",
    ("op-symbol", "small-op"): "Size1-Regular",
    ("op-symbol", "large-op"): "Size2-Regular",
}
_CLASS = re.compile(r'class="([^"]*)"')


def katex_faces(body_html: str) -> list[str]:
    """The static paths of the KaTeX faces (woff2) the top of `body_html` sets text in."""
    top = body_html[:TOP_CHARS]
    faces = set()
    for match in _CLASS.finditer(top):
        classes = match.group(1).split()
        if "katex" in classes:
            faces.add("Main-Regular")
        faces.update(_BY_CLASS[name] for name in classes if name in _BY_CLASS)
        faces.update(face for pair, face in _BY_PAIR.items() if pair[0] in classes and pair[1] in classes)
    return [f"vendor/katex/fonts/KaTeX_{face}.woff2" for face in sorted(faces)]
