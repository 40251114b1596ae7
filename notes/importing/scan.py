"""Where code and math lie in a note's text, so that each pass rewrites only what it means to.

`scan` cuts a text into segments: fenced code, inline code, display math (`$$...$$`), inline
math (`$...$`), bare amsmath environments at the start of a line, and the prose between. A pass
that rewrites prose must never touch code or TeX, and one that rewrites TeX must never touch
prose; `rewrite` applies a function to the segments of the kinds asked for.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

TEXT, FENCE, CODE, DISPLAY, INLINE, ENV = "text", "fence", "code", "display", "inline", "env"
MATH = (DISPLAY, INLINE, ENV)
MATH_ENVS = (
    "equation",
    "align",
    "alignat",
    "gather",
    "multline",
    "flalign",
    "eqnarray",
    "split",
    "math",
    "displaymath",
)
FENCE_LINE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
ENV_OPEN = re.compile(r"\\begin\{(" + "|".join(MATH_ENVS) + r")(\*?)\}")


@dataclass(frozen=True)
class Segment:
    kind: str
    start: int
    end: int


def fences(text: str) -> list[tuple[int, int, str]]:
    """(start, end, info) of every fenced code block; an unclosed fence runs to the end."""
    found, pos, lines = [], 0, text.split("\n")
    i = 0
    offsets = []
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    while i < len(lines):
        match = FENCE_LINE.match(lines[i])
        if match and (match.group(1)[0] == "~" or "`" not in lines[i][match.end() :]):
            marker, info = match.group(1), lines[i][match.end() :].strip()
            close = re.compile(rf"^[ \t>]*{re.escape(marker[0])}{{{len(marker)},}}\s*$")
            j = next((k for k in range(i + 1, len(lines)) if close.match(lines[k])), len(lines) - 1)
            found.append((offsets[i], offsets[j] + len(lines[j]), info))
            i = j + 1
        else:
            i += 1
    return found


def fenced_lines(text: str) -> set[int]:
    """The indices of the lines of `text` inside fenced code blocks, their fences included."""
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return {i for start, end, _ in fences(text) for i, at in enumerate(starts) if start <= at <= end}


def scan(text: str) -> list[Segment]:
    """Long because one left-to-right walk decides every kind, each needing its own end rule."""
    segments: list[Segment] = []
    blocks = fences(text)
    start = pos = 0
    n = len(text)

    def emit(kind: str, a: int, b: int) -> None:
        nonlocal start
        if start < a:
            segments.append(Segment(TEXT, start, a))
        segments.append(Segment(kind, a, b))
        start = b

    while pos < n:
        if blocks and pos >= blocks[0][0]:
            a, b, _ = blocks.pop(0)
            emit(FENCE, a, b)
            pos = b
            continue
        limit = blocks[0][0] if blocks else n
        char = text[pos]
        if char == "\\":
            env = ENV_OPEN.match(text, pos)
            if env and re.fullmatch(r"[ \t>]*", text[text.rfind("\n", 0, pos) + 1 : pos]):
                tail = f"\\end{{{env.group(1)}{env.group(2)}}}"
                end = text.find(tail, env.end(), limit)
                if end >= 0:
                    emit(ENV, pos, end + len(tail))
                    pos = start
                    continue
            pos += 2
            continue
        if char == "`":
            run = re.match(r"`+", text[pos:])
            ticks = run.group(0)
            close = re.compile(rf"(?<!`){ticks}(?!`)").search(text, pos + len(ticks), limit)
            if close:
                emit(CODE, pos, close.end())
                pos = close.end()
            else:
                pos += len(ticks)
            continue
        if char == "$":
            end = _dollar_end(text, pos, limit)
            if end:
                emit(DISPLAY if text.startswith("$$", pos) else INLINE, pos, end)
                pos = end
                continue
        pos += 1
    if start < n:
        segments.append(Segment(TEXT, start, n))
    return segments


def _dollar_end(text: str, pos: int, limit: int) -> int:
    """The end of the math that opens at `pos`, or 0 when this dollar opens none."""
    if text.startswith("$$", pos):
        close = pos + 2
        while True:
            close = text.find("$$", close, limit)
            if close < 0:
                return 0
            if text[close - 1] != "\\":
                return close + 2
            close += 2
    if pos + 1 >= limit or text[pos + 1] in " \t\n$":
        return 0
    close = pos + 1
    while True:
        close = text.find("$", close, limit)
        if close < 0 or "\n\n" in text[pos:close] or re.search(r"\n[ \t>]*\n", text[pos:close]):
            return 0
        if text[close - 1] == "\\" or text[close - 1] in " \t\n":
            close += 1
            continue
        return close + 1


def rewrite(text: str, kinds: tuple[str, ...], fn: Callable[[str, Segment], str]) -> str:
    """`text` with every segment of the given kinds replaced by fn(piece, segment)."""
    out = []
    for seg in scan(text):
        piece = text[seg.start : seg.end]
        out.append(fn(piece, seg) if seg.kind in kinds else piece)
    return "".join(out)


def outside_fences(text: str, fn: Callable[[str, int], str]) -> str:
    """`text` with fn(piece, offset) applied to everything outside fenced code blocks."""
    out, pos = [], 0
    for start, end, _ in fences(text):
        out += [fn(text[pos:start], pos), text[start:end]]
        pos = end
    out.append(fn(text[pos:], pos))
    return "".join(out)


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace (start, end, new) spans, skipping any that overlaps one already applied."""
    out, pos = [], 0
    for start, end, new in sorted(edits):
        if start < pos:
            continue
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)


PREFIX = re.compile(r"[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?")


def line_prefix(line: str) -> str:
    """What a block inside this line's container repeats: `>` markers, indentation, and a list
    marker's width as spaces."""
    match = PREFIX.match(line)
    quote = re.match(r"[ \t>]*", line).group(0)
    return quote + " " * (match.end() - len(quote))
