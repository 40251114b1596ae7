"""Search snippets, cut in Python from the fragments a render stored (notes.rendering.fragments).

Neither engine's own snippet function fits: both work on the indexed body, which keeps the
TeX so that formulas can be found, and would show that TeX to readers. A snippet is instead
cut from the row's `snippet_text`, one block a line with each formula a numbered placeholder
that carries its TeX: the block that matches the most query terms is chosen, a window of words
around its first match is kept, matched words are marked, everything is escaped, and each
placeholder becomes the formula's stored KaTeX HTML (marked as a whole when the query named
it). Both engines therefore show the same snippet for the same note.

Words match by prefix, as the engines' stemming would (`entropies` marks `entropy`). A
formula matches a `\\name` term when it uses that control sequence, and a bare word of two or
more letters when it is a control sequence or operator name there (`softmax` marks
`\\softmax(\\bz)`; `x` marks nothing).
"""

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notes.rendering.fragments import FORMULA_CLOSE, FORMULA_OPEN, FORMULA_TEX
from notes.search.query import ParsedQuery

WINDOW = 30  # words and formulas kept around the first match
LEAD = 8  # of which before it
_TOKEN = re.compile(
    rf"(\s*)(?:{FORMULA_OPEN}(\d+){FORMULA_TEX}([^{FORMULA_CLOSE}]*){FORMULA_CLOSE}|([^\s{FORMULA_OPEN}]+))"
)
_FORMULA = re.compile(rf"{FORMULA_OPEN}\d+{FORMULA_TEX}([^{FORMULA_CLOSE}]*){FORMULA_CLOSE}")


@dataclass(frozen=True)
class _Token:
    space: bool  # preceded by whitespace
    word: str = ""
    formula: int = -1  # the placeholder's number
    keys: frozenset[str] = frozenset()  # the query terms it matches


@dataclass(frozen=True)
class Snippet:
    """A cut snippet before its formulas are read: escaped text and formula numbers."""

    parts: tuple[str | tuple[int, bool], ...]  # escaped HTML, or (formula number, matched)

    @property
    def numbers(self) -> set[int]:
        return {part[0] for part in self.parts if isinstance(part, tuple)}

    def html(self, formulas: dict[int, str]) -> SafeString:
        """The snippet with each formula's stored (sanitized at render time) HTML."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            number, matched = part
            typeset = f'<span class="snippet-formula">{formulas.get(number, "")}</span>'
            out.append(f"<mark>{typeset}</mark>" if matched else typeset)
        return mark_safe("".join(out))


def formula_numbers(text: str) -> set[int]:
    """The placeholders' numbers in a search_text line."""
    return {int(number) for _, number, _, _ in _TOKEN.findall(text) if number}


def fragment_html(text: str, formulas: dict[int, str]) -> SafeString:
    """A search_text line (a heading, say) as HTML: its words escaped, its formulas typeset."""
    out = []
    for space, number, _, word in _TOKEN.findall(text):
        out.append(" " if space and out else "")
        if number:
            out.append(f'<span class="snippet-formula">{formulas.get(int(number), "")}</span>')
        else:
            out.append(escape(word))
    return mark_safe("".join(out))


class SnippetCutter:
    """Cuts snippets for one query."""

    def __init__(self, query: ParsedQuery):
        prefixes = set()
        self.names: dict[str, str] = {}  # control sequence name -> the key of its term
        for term in query.positive_terms():
            if term.math:
                self.names[term.words[0].casefold()] = "\\" + term.words[0].casefold()
                continue
            keys = [w[: max(4, len(w) - 2)].casefold() for w in term.words]
            prefixes |= set(keys)
            if len(term.words) == 1 and len(term.words[0]) >= 2:
                # The same term as the word: `softmax` in prose and \softmax count once.
                self.names[term.words[0].casefold()] = keys[0]
        self.prefixes = prefixes
        # A word of three letters or more matches as a prefix (longest first, so `divi` wins
        # over `d` in "divide"); a shorter one (`d`, `k`) only as a whole word.
        longer = sorted((p for p in prefixes if len(p) >= 3), key=lambda p: (-len(p), p))
        short = sorted(p for p in prefixes if len(p) < 3)
        pattern = "|".join([*(f"{re.escape(p)}(?=\\w*)" for p in longer), *(f"{re.escape(p)}(?!\\w)" for p in short)])
        self.words = re.compile(rf"(?<!\w)({pattern})\w*", re.I)
        self.has_words = bool(prefixes)
        # A control sequence, or an operator name spelled out (\operatorname{softmax}).
        self.formula = re.compile(r"\\([A-Za-z]+)|\\(?:operatorname\*?|mathrm)\{([A-Za-z]+)\}")
        self._held: dict[str, frozenset[str]] = {}
        # Whether a text may hold a formula the query names: if not, no block can be preferred
        # for one. (A control sequence with the name, or the name spelled as an operator.)
        names = "|".join(sorted(map(re.escape, self.names), key=lambda n: (-len(n), n)))
        self._named = re.compile(rf"(?:\\|\{{)({names})(?![A-Za-z])", re.I) if names else None

    @property
    def term_count(self) -> int:
        """How many distinct terms the query has (a word and its TeX name count once)."""
        return len(self.prefixes | set(self.names.values()))

    def terms_in(self, text: str) -> frozenset[str]:
        """The query's terms a search_text line (a heading, say) holds; remembered, since
        the many parts of the notes found share titles ("Equation (3)")."""
        if text not in self._held:
            self._held[text] = self._score(text)[0]
        return self._held[text]

    def _score(self, block: str) -> tuple[frozenset[str], bool]:
        """The query's terms a line holds and whether a formula matches: what picks a
        snippet's block, read from the line as a whole (one regex pass over its prose, one
        over each formula) rather than token by token, since most lines are only scored and
        never shown."""
        keys: set[str] = set()
        if self.has_words:
            keys |= {match.group(1).casefold() for match in self.words.finditer(_FORMULA.sub(" ", block))}
        formula_matched = False
        if self.names:
            for tex in _FORMULA.findall(block):
                found = self._keys_of_formula(tex)
                keys |= found
                formula_matched = formula_matched or bool(found)
        return frozenset(keys), formula_matched

    def matching_alias(self, aliases: str) -> str:
        """Of a note's aliases (one a line), the one holding most of the query's words (the
        shorter of equals: the closer name), or ""."""
        if not self.has_words:
            return ""
        scored = [(len(self.terms_in(alias)), -len(alias), alias) for alias in aliases.split("\n") if alias]
        best = max(scored, default=(0, 0, ""))
        return best[2] if best[0] else ""

    def _may_match(self, block: str) -> bool:
        """A quick look before a block is cut into tokens: most blocks of a note match nothing."""
        if self.has_words and self.words.search(block):
            return True
        lowered = block.casefold()
        return any(name in lowered for name in self.names)

    def _keys_of_word(self, word: str) -> frozenset[str]:
        if not self.has_words:
            return frozenset()
        return frozenset(m.group(1).casefold() for m in self.words.finditer(word))

    def _keys_of_formula(self, tex: str) -> frozenset[str]:
        used = {(a or b).casefold() for a, b in self.formula.findall(tex)}
        return frozenset(self.names[name] for name in used & self.names.keys())

    def _matches(self, space: str, number: str, tex: str, word: str) -> bool:
        if number:
            return bool(self._keys_of_formula(tex))
        return self.has_words and self.words.search(word) is not None

    def _token(self, space: str, number: str, tex: str, word: str) -> _Token:
        if number:
            return _Token(bool(space), formula=int(number), keys=self._keys_of_formula(tex))
        return _Token(bool(space), word=word, keys=self._keys_of_word(word))

    def cut(self, text: str | None) -> Snippet | None:
        """The snippet of the block matching the most terms, or None. Among equals, one where
        a formula matches (a reader who types `softmax` wants to see it), then the first, where
        the note introduces the words; so the first block that holds every term (and a matching
        formula, when the query names one) ends the search."""
        text = text or ""
        best, best_score = None, (0, False)
        enough = (self.term_count, bool(self.names and self._named.search(text)))
        for block in text.split("\n"):
            if not block or not self._may_match(block):
                continue
            keys, formula_matched = self._score(block)
            score = (len(keys), formula_matched)
            if keys and score > best_score:
                best, best_score = block, score
                if score >= enough:
                    break
        return self._window(best) if best else None

    def _mark(self, word: str) -> str:
        if not self.has_words:
            return escape(word)
        out, last = [], 0
        for match in self.words.finditer(word):
            out += [escape(word[last : match.start()]), f"<mark>{escape(match.group())}</mark>"]
            last = match.end()
        return "".join(out) + escape(word[last:])

    def _window(self, block: str) -> Snippet:
        """The window around the block's first match; only the tokens up to that match and
        those shown are matched against the query."""
        raw = _TOKEN.findall(block)
        first = next(i for i, parts in enumerate(raw) if self._matches(*parts))
        start = max(0, min(first - LEAD, len(raw) - WINDOW))
        end = min(len(raw), start + WINDOW)
        parts: list[str | tuple[int, bool]] = ["… "] if start else []
        for i, token in enumerate(self._token(*shown) for shown in raw[start:end]):
            if token.space and i:
                parts.append(" ")
            parts.append((token.formula, bool(token.keys)) if token.formula >= 0 else self._mark(token.word))
        if end < len(raw):
            parts.append(" …")
        return Snippet(tuple(parts))
