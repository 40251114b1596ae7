"""A note's searchable blocks as plain text with typeset formulas beside them, for snippets.

Search snippets must never show Markdown or TeX, nor typeset anything per request. So at
render time each block a reader might see in a snippet (a paragraph, a heading, a list item or
derivation step, a display formula) is stored as one line of plain text in which every formula
is a placeholder, `FORMULA_OPEN n FORMULA_TEX tex FORMULA_CLOSE`, and `search_formulas[n]` is
that formula's sanitized KaTeX HTML. The TeX travels inside the placeholder so a snippet can
find the formula a query names (`\\KL`, `softmax`) without loading any HTML; only the formulas
a snippet shows are read back (notes.search.snippets).

Code blocks are not snippet material (they are source), and neither is a formula that
typesets to nothing (a display holding only \\newcommand lines).

The blocks are also grouped into the units a search result can land on (`search_units`): each
section (the blocks under a heading, up to the next), each derivation, and each labelled
equation (its display), with the page anchor a link goes to.
"""

import re
from html import unescape
from html.parser import HTMLParser

from markdown_it.token import Token

FORMULA_OPEN, FORMULA_TEX, FORMULA_CLOSE = "\ue002", "\ue003", "\ue004"
BLOCK_SEPARATOR = "\n"
_PRIVATE = re.compile("[\ue000-\ue00f]")
_INVISIBLE = re.compile(r"[\s\u200b]+")
# KaTeX keeps the TeX in the MathML as an annotation, for copying from the note's page; a
# snippet is for reading, and its HTML carries no source at all.
_TEX_ANNOTATION = re.compile(r"<annotation encoding=\"application/x-tex\">.*?</annotation>", re.S)
_DRAWN = re.compile(r'<span class="katex-html"[^>]*>')
_TEXT = re.compile(r">([^<]+)")  # the text after a tag, up to the next one


class _VisibleText(HTMLParser):
    """The text KaTeX draws (its HTML part), leaving out the MathML copy for screen readers."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 inside the MathML
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth or "katex-mathml" in (dict(attrs).get("class") or ""):
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def typesets_to_nothing(html: str) -> bool:
    """True for KaTeX output with nothing to see: only macro definitions, or empty."""
    if "<svg" in html:  # a lone \sqrt{} or arrow draws without text
        return False
    # KaTeX's drawn part comes last, after the MathML copy: its text is what a reader sees.
    drawn = _DRAWN.search(html)
    if drawn is not None:
        return _draws_nothing(html, drawn.end())
    parser = _VisibleText()
    parser.feed(html)
    return not _INVISIBLE.sub("", "".join(parser.parts))


def _draws_nothing(html: str, drawn: int) -> bool:
    # Reading the drawn part's text between the tags until one shows something is a hundred
    # times faster than parsing the HTML, and most formulas show something in their first
    # text (this runs once per distinct formula, in the engines' threads:
    # notes.rendering.formula_cache). The HTML is KaTeX's or the sanitizer's, so no "<" or "&"
    # in its text is left bare.
    return not any(_INVISIBLE.sub("", unescape(text[1])) for text in _TEXT.finditer(html, drawn - 1))


def formula_is_blank(html: str) -> bool:
    """True for a typeset formula (sanitized KaTeX HTML) a snippet would show as nothing."""
    if not html:
        return True
    # The TeX annotation sits in the MathML copy, before the drawn part, and its "<" are
    # escaped: a tag found anywhere is not in it, and the drawn part is after it. Cutting it
    # out first is needed only when there is no drawn part (typesets_to_nothing's parser).
    if "<svg" in html:
        return False
    drawn = _DRAWN.search(html)
    if drawn is not None:
        return _draws_nothing(html, drawn.end())
    return typesets_to_nothing(_TEX_ANNOTATION.sub("", html))


def _clean(text: str) -> str:  # one line, no placeholder characters
    return " ".join(_PRIVATE.sub("", text).split())


class _Collector:
    def __init__(self, clean):
        self.clean = clean  # the pipeline's: sanitize, then put the formulas back
        self.formulas: list[str] = []
        self.numbers: dict[str, int] = {}  # html -> n: a formula that recurs is stored once

    def formula(self, token: Token) -> str:
        html = _TEX_ANNOTATION.sub("", self.clean(token.meta.get("html", "")))
        # The pipeline says whether a formula draws nothing (the formula cache keeps it).
        blank = token.meta.get("blank")
        if not html or (typesets_to_nothing(html) if blank is None else blank):
            return ""
        number = self.numbers.get(html)
        if number is None:
            number = self.numbers[html] = len(self.formulas)
            self.formulas.append(html)
        return f"{FORMULA_OPEN}{number}{FORMULA_TEX}{_clean(token.content)}{FORMULA_CLOSE}"

    def inline(self, token: Token) -> str:
        parts = []
        for child in token.children or []:
            if child.type in {"text", "code_inline"}:
                parts.append(_PRIVATE.sub("", child.content))
            elif child.type == "math_inline":
                parts.append(self.formula(child))
            elif child.type == "wikilink":
                parts.append(_PRIVATE.sub("", child.meta.get("label") or child.meta.get("text") or ""))
            elif child.type in {"softbreak", "hardbreak"}:
                parts.append(" ")
        return " ".join("".join(parts).split())


class _Units:
    """The units being filled as blocks arrive in page order."""

    def __init__(self, numbers: dict[str, int]):
        self.numbers = numbers  # equation label -> its number
        self.units: list[dict] = []
        self.section: dict | None = None
        self.derivation: dict | None = None

    def open(self, kind: str, anchor: str, title: str) -> dict:
        unit = {"kind": kind, "anchor": anchor, "title": title, "lines": []}
        self.units.append(unit)
        return unit

    def block(self, line: int, token: Token) -> None:
        """Block number `line` joins the derivation or section it is in; a labelled display is
        also a unit of its own (found by its TeX and its label's words)."""
        owner = self.derivation or self.section
        if owner is not None:
            owner["lines"].append(line)
        for label in token.meta.get("labels") or [] if token.type in {"math_block", "amsmath"} else []:
            self.open("equation", label, f"Equation ({self.numbers.get(label, '?')})")["lines"] = [line]


def search_fragments(tokens: list[Token], clean, numbers: dict[str, int]) -> tuple[str, list[str], list[dict]]:
    """(blocks, one a line, formulas as placeholders; each placeholder's HTML; the units), in
    page order. A unit is {kind: section | derivation | equation, anchor, title, lines}, its
    lines the numbers of its blocks; blocks before the first heading belong to no unit (a
    result there lands on the note itself)."""
    collector, units = _Collector(clean), _Units(numbers)
    blocks: list[str] = []
    heading = None  # a section whose title is its heading's line, formulas as placeholders
    for token in tokens:
        if token.type == "heading_open":
            units.section = heading = units.open("section", token.attrGet("id") or "", token.meta.get("text", ""))
        elif token.type == "container_derivation_open":
            units.derivation = units.open("derivation", token.meta.get("key", ""), token.meta.get("title", ""))
        elif token.type == "container_derivation_close":
            units.derivation = None
        elif token.type == "inline" or token.type in {"math_block", "amsmath"}:
            block = collector.inline(token) if token.type == "inline" else collector.formula(token)
            block = " ".join(block.split())
            if heading is not None:
                heading["title"], heading = block or heading["title"], None
            if block:
                blocks.append(block)
                units.block(len(blocks) - 1, token)
    found = [unit for unit in units.units if unit["anchor"] and unit["lines"]]
    return BLOCK_SEPARATOR.join(blocks), collector.formulas, found
