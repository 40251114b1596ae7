"""Math delimiters left as text: every `$`, `$$`, `\\(` or `\\[` that a paragraph shows as
text instead of typesetting, with the cause, so the author knows what to fix.

Markdown keeps such text without complaint, and each cause needs a different fix: a `$$`
display straight after a text line (also inside a list item or a `>` quote) needs a blank line
before it; a display with a blank line inside is cut in two; `$$...$$` in a sentence comes out
as inline math with a `$` on each side; `$ x$` has a space inside; a lone `$` is a dollar sign
or an unclosed formula; `\\(` and `\\[` are not delimiters here at all. A `\\$` the author
escaped is a dollar sign on purpose and is not reported: the paragraph is read again with its
escapes kept apart (parser.escapes_parser).
"""

import re
from dataclasses import dataclass

from markdown_it.token import Token

from .parser import escapes_parser
from .result import Problem

ESCAPED = re.compile(r"(?<!\\)\\[(\[]")  # \( or \[ in the source, which Markdown shows as ( or [

AFTER_TEXT = (
    "a `$$` display directly after a text line is not a display: put a blank line before it "
    "(in a list item or a `>` quote too)"
)
UNCLOSED_DISPLAY = (
    "a `$$` left as text: its display is not closed in this paragraph; a display formula cannot "
    "contain a blank line, and needs `$$` on both sides"
)
DISPLAY_IN_SENTENCE = (
    "`$$...$$` inside a sentence is typeset as inline math with a `$` left on each side: write "
    "`$...$` in a sentence, or put the display on lines of its own with a blank line before it"
)
DISPLAY_AS_TEXT = "`$$...$$` left as text: put the display on lines of its own, with a blank line before it"
SPACE_INSIDE = "`$ ... $` with a space just inside a dollar is not math: write `$x$`, no space inside the dollars"
LONE_DOLLAR = (
    "a lone `$` is shown as a dollar sign: inline math opens and closes within one paragraph (a "
    "blank line ends it); write `\\$` for a dollar sign"
)
DOUBLED_PAREN = "`\\(` is shown as text: it is no math delimiter here; write `$...$` for inline math"
DOUBLED_BRACKET = "`\\[` is shown as text: it is no math delimiter here; write a `$$` display on lines of its own"
ESCAPED_PAREN = "`\\(...\\)` is no math here, and Markdown drops its backslashes: write `$...$`"
ESCAPED_BRACKET = (
    "`\\[...\\]` is no display here, and Markdown drops its backslashes: write the formula between `$$` lines"
)

MESSAGES = (
    AFTER_TEXT,
    UNCLOSED_DISPLAY,
    DISPLAY_IN_SENTENCE,
    DISPLAY_AS_TEXT,
    SPACE_INSIDE,
    LONE_DOLLAR,
    DOUBLED_PAREN,
    DOUBLED_BRACKET,
    ESCAPED_PAREN,
    ESCAPED_BRACKET,
)


@dataclass
class _Piece:
    kind: str  # text, escape (a Markdown escape, shown as its character), math, break, other
    text: str
    start: int  # offset in the paragraph's source


def _pieces(raw: str) -> list[_Piece]:
    """The paragraph's inline tokens, escapes apart, each with where it starts in `raw`."""
    out, cursor = [], 0
    for child in escapes_parser().parseInline(raw, {})[0].children or []:
        if child.type == "text_special":
            kind, needle = "escape", child.markup
        elif child.type in ("text", "math_inline", "softbreak", "hardbreak"):
            kind = {"math_inline": "math", "softbreak": "break", "hardbreak": "break"}.get(child.type, "text")
            needle = child.content if kind != "break" else "\n"
        else:
            kind, needle = "other", child.content
        found = raw.find(needle, cursor) if needle else -1
        start = found if found >= 0 else cursor
        cursor = start + len(needle) if found >= 0 else cursor
        out.append(_Piece(kind, child.content if kind != "break" else "\n", start))
    return out


def leftover_delimiters(token: Token, lines: list[str]) -> list[Problem]:
    """Long because each cause is told apart by where its dollars stand in the paragraph.

    Warnings for the delimiters an inline block (`token`: a paragraph, heading or table cell)
    leaves as text; `lines` are the note's source lines."""
    raw = token.content
    shown = "".join(c.content for c in token.children or [] if c.type == "text")
    if not ("$" in shown or "\\" in shown or ESCAPED.search(raw)):
        return []  # every dollar is math's (most paragraphs): no second reading
    pieces = _pieces(raw)
    found: dict[str, int] = {}  # message -> offset in raw of the first place it applies

    def note(message: str, offset: int) -> None:
        found.setdefault(message, offset)

    dollars: list[int] = []  # offsets of unescaped dollars shown as text
    stray: set[int] = set()
    for n, piece in enumerate(pieces):
        if piece.kind != "text":
            continue
        after = pieces[n + 1] if n + 1 < len(pieces) else None
        if piece.text.endswith("$") and after and after.kind == "math":
            following = pieces[n + 2] if n + 2 < len(pieces) else None
            if following and following.kind == "text" and following.text.startswith("$"):
                note(DISPLAY_IN_SENTENCE, piece.start + len(piece.text) - 1)
                stray |= {piece.start + len(piece.text) - 1, following.start}
        dollars += [piece.start + m.start() for m in re.finditer(r"\$", piece.text)]
    dollars = [d for d in dollars if d not in stray]
    doubles = [d for d in dollars if raw.startswith("$$", d) and d - 1 not in dollars]
    singles = [d for d in dollars if d not in doubles and d - 1 not in doubles]
    if doubles:
        first = doubles[0]
        line_start = raw.rfind("\n", 0, first) + 1
        at_line_start = not raw[line_start:first].strip()
        if len(doubles) % 2:
            note(UNCLOSED_DISPLAY, first)
        elif at_line_start and line_start > 0:
            note(AFTER_TEXT, first)
        else:
            note(DISPLAY_AS_TEXT, first)
    if singles:
        spaced = [d for d in singles if raw[d + 1 : d + 2] in (" ", "\t") or raw[d - 1 : d] in (" ", "\t")]
        if len(singles) > 1 and len(spaced) > 0 and len(singles) % 2 == 0:
            note(SPACE_INSIDE, singles[0])
        else:
            note(LONE_DOLLAR, singles[0])
    _brackets(pieces, note)
    return [Problem(*_where(token, lines, raw, offset), message) for message, offset in found.items()]


def _brackets(pieces: list[_Piece], note) -> None:
    """`\\(`/`\\[` shown as text (a doubled backslash), and `\\(...\\)` whose escapes Markdown ate."""
    shown, starts = "", []
    for piece in pieces:
        if piece.kind in ("text", "escape"):
            # An escape's character stands one place on from its backslash in the source.
            starts += [piece.start + (1 if piece.kind == "escape" else k) for k in range(len(piece.text))]
            shown += piece.text
        else:
            starts.append(piece.start)
            shown += "\0"
    for pattern, message in ((r"\\\(", DOUBLED_PAREN), (r"\\\[", DOUBLED_BRACKET)):
        if match := re.search(pattern, shown):
            note(message, starts[match.start()] - 1)
    escaped = [p for p in pieces if p.kind == "escape"]
    for open_, close, message in (("\\(", "\\)", ESCAPED_PAREN), ("\\[", "\\]", ESCAPED_BRACKET)):
        opens = [p for p in escaped if p.text == open_[1]]
        if opens and any(p.text == close[1] and p.start > opens[0].start for p in escaped):
            note(message, opens[0].start)


def _where(token: Token, lines: list[str], raw: str, offset: int) -> tuple[int, int]:
    """The note's line and column of `offset` in the inline block's source."""
    if not token.map:
        return 1, 1
    index = raw.count("\n", 0, offset)
    line_start = raw.rfind("\n", 0, offset) + 1
    line = token.map[0] + index
    text = raw[line_start : raw.find("\n", offset) if "\n" in raw[offset:] else len(raw)]
    source = lines[line] if line < len(lines) else ""
    prefix = source.find(text) if text else -1
    return line + 1, (prefix if prefix >= 0 else 0) + offset - line_start + 1
