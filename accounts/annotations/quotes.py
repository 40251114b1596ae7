"""Where an annotation's passage is in a revision's plain text.

The reader's browser describes a selection as a quote with a little context (the Web
Annotation TextQuoteSelector), in the same form as `Revision.plain_text`: prose as text,
formulas as `$tex$`. Whitespace differs between the page and the stored text (line breaks,
indentation), so matching is done on whitespace-collapsed text and mapped back to positions in
the stored text.
"""

import re
from dataclasses import dataclass

WHITESPACE = re.compile(r"\s+")
CONTEXT = 32  # characters of prefix and suffix kept with a quote
MAX_QUOTE_CHARS = 2_000  # the longest passage one annotation may quote


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class Collapsed:
    """A text with runs of whitespace collapsed to one space, and the way back to positions in
    the original."""

    def __init__(self, text: str):
        self.original = text
        pieces, positions = [], []
        for match in re.finditer(r"\s+|\S+", text):
            if match.group().isspace():
                pieces.append(" ")
                positions.append(match.start())
            else:
                pieces.append(match.group())
                positions.extend(range(match.start(), match.end()))
        self.text = "".join(pieces)
        self._positions = positions  # collapsed index -> original index

    def to_original(self, start: int, end: int) -> Span:
        if start >= len(self._positions):
            return Span(len(self.original), len(self.original))
        last = self._positions[end - 1] + 1 if end > start else self._positions[start]
        return Span(self._positions[start], last)


def collapse(text: str) -> str:
    return WHITESPACE.sub(" ", text)


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of the given context agree with the text around [start, end)."""
    score = 0
    before = text[max(0, start - len(prefix)) : start]
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        score += 1
    after = text[end : end + len(suffix)]
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


def find_quote(text: str, quote: str, prefix: str = "", suffix: str = "", near: float | None = None) -> Span | None:
    """The exact occurrence of `quote` in `text` that best fits its context, or None.

    Among several occurrences the one whose surrounding text agrees longest with prefix and
    suffix wins; then the one nearest `near` (a fraction of the text's length, where the
    reader's selection was).
    """
    quote, prefix, suffix = collapse(quote).strip(), collapse(prefix), collapse(suffix)
    if not quote:
        return None
    collapsed = Collapsed(text)
    haystack = collapsed.text
    best, best_key = None, None
    at = haystack.find(quote)
    while at >= 0:
        score = _context_score(haystack, at, at + len(quote), prefix.lstrip(), suffix.rstrip())
        distance = abs(at / max(1, len(haystack)) - near) if near is not None else 0.0
        key = (-score, distance, at)
        if best_key is None or key < best_key:
            best, best_key = at, key
        at = haystack.find(quote, at + 1)
    if best is None:
        return None
    return collapsed.to_original(best, best + len(quote))


def context_of(text: str, span: Span) -> tuple[str, str]:
    """The prefix and suffix kept with a quote at `span`."""
    return text[max(0, span.start - CONTEXT) : span.start], text[span.end : span.end + CONTEXT]
