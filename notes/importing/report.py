"""What a conversion did, entry by entry, with the line and column of the original file.

Passes rewrite the whole text one after another; each reports positions in the text it was
given. `Context` keeps, for every line of the current text, the line of the original file it
came from, so an entry made by a late pass still points at the author's own line.
"""

import difflib
from dataclasses import dataclass, field

from notes.rendering.leftovers import MESSAGES as LEFTOVERS

from .scan import MATH, scan

CONVERTED, DROPPED, LEFT = "converted", "dropped", "left"


@dataclass(frozen=True)
class Entry:
    line: int
    col: int
    action: str  # converted, dropped (removed, with the reason) or left (kept as text: look at it)
    kind: str  # a short key such as "math.kramdown-inline", for counting
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.action}: {self.kind}: {self.message}"


@dataclass
class Context:
    """One file's conversion state: the report, the line map, and what passes learn on the way."""

    dialect: str
    original: list[str]
    origin: list[int] = field(default_factory=list)  # 1-based original line of each current line
    entries: list[Entry] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)  # equation labels defined, as eq:name
    links: dict[str, str] | None = None  # wikilink names -> slug (notes.importing.wikilinks)
    citations: list[str] = field(default_factory=list)  # keys cited, in order (notes.importing.citations)

    def at(self, text: str, pos: int, snippet: str = "") -> tuple[int, int]:
        """The original line and column of `pos` in `text`, the current text of the pass."""
        index = text.count("\n", 0, pos)
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        line = self.origin[index] if index < len(self.origin) else (self.origin[-1] if self.origin else 1)
        source = self.original[line - 1] if 0 < line <= len(self.original) else ""
        found = source.find(snippet.split("\n", 1)[0]) if snippet else -1
        return line, (found + 1 if found >= 0 else col)

    def add(self, text: str, pos: int, action: str, kind: str, message: str, snippet: str = "") -> None:
        line, col = self.at(text, pos, snippet)
        self.entries.append(Entry(line, col, action, kind, message))

    def add_line(self, index: int, action: str, kind: str, message: str, col: int = 1) -> None:
        """An entry at line `index` (0-based) of the current text."""
        line = self.origin[min(index, len(self.origin) - 1)] if self.origin else index + 1
        self.entries.append(Entry(line, col, action, kind, message))

    def follow(self, before: str, after: str) -> None:
        """Carry the line map across a pass that changed the number of lines."""
        old, new = before.split("\n"), after.split("\n")
        if len(old) == len(new):
            return
        origin = [0] * len(new)
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for k in range(j1, j2):
                if tag == "equal":
                    origin[k] = self.origin[min(i1 + k - j1, len(self.origin) - 1)]
                else:  # replaced or inserted lines belong to the nearest old line
                    origin[k] = self.origin[min(i1 + (k - j1), max(i2 - 1, i1), len(self.origin) - 1)]
        self.origin = origin


def untypeset(text: str, problems) -> list[str]:
    """Each formula of a converted note the renderer did not typeset, as
    "line:col: untypeset: `first 60 characters`: why": KaTeX's errors (problems whose message
    starts "math:") and delimiters left as text (notes.rendering.leftovers).
    Lines and columns are the converted file's."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    segments = [s for s in scan(text) if s.kind in MATH]
    out = []
    for problem in sorted(problems, key=lambda p: (p.line, p.col)):
        math_error = problem.message.startswith("math: ")
        if not math_error and problem.message not in LEFTOVERS:
            continue
        offset = starts[min(problem.line, len(lines)) - 1] + problem.col - 1
        if math_error:
            # A display's problem points at its first line; one on one line at the failing character.
            found = [s for s in segments if s.start <= offset < s.end or s.start >= offset]
            formula = text[found[0].start : found[0].end] if found else lines[problem.line - 1]
            why = problem.message.removeprefix("math: ")
        else:
            formula, why = text[offset:].split("\n\n", 1)[0], f"left as text: {problem.message}"
        out.append(f"{problem.line}:{problem.col}: untypeset: `{' '.join(formula.split())[:60]}`: {why}")
    return out


def report_text(conversions, rendered: dict | None = None) -> str:
    """The import report: per file the dialect and why, every entry as line:col of the original,
    then (given `rendered`: {name: problems of its render}) every formula left untypeset, as
    line:col of the converted file."""
    lines = []
    for c in conversions:
        lines.append(f"{c.name} -> {c.slug}.md ({c.dialect}: {c.reason})")
        if c.error:
            lines.append(f"{c.name}:1:1: error: {c.error}")
        lines += [f"{c.name}:{e}" for e in c.entries]
        if rendered is not None:
            lines += [f"{c.slug}.md:{u}" for u in untypeset(c.text, rendered.get(c.name, []))]
    return "\n".join(lines) + "\n"
