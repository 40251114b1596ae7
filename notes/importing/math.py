"""Math delimiters and TeX into what the platform typesets.

Every delimiter real notes use becomes `$...$` or a `$$` block on lines of its own with blank
lines around, or a bare amsmath environment; TeX that KaTeX lacks (eqnarray, multline) becomes
an environment it has; Markdown escapes written to protect TeX from other renderers are undone.
"""

import re

from .report import CONVERTED, Context
from .scan import DISPLAY, ENV, MATH, PREFIX, TEXT, apply_edits, line_prefix, outside_fences, rewrite, scan

BRACKETS = re.compile(r"(?<!\\)(\\\\?)(\[|\()(.+?)(?<!\\)\1(\]|\))", re.S)
ROLE = re.compile(r"(?<![\w\\])\{math\}`([^`]+)`")
LIQUID_MATH = re.compile(r"\{%-?\s*math\s*-?%\}(.*?)\{%-?\s*endmath\s*-?%\}", re.S)
RELATION = r"=|<|>|\\le|\\ge|\\leq|\\geq|\\approx|\\equiv|\\sim|\\simeq|\\propto|\\ne|\\neq|\\to|:="
ENV_NAMES = {
    "eqnarray": "align",
    "multline": "gather",
    "flalign": "align",
    "displaymath": "equation",
    "math": "equation",
}
MBOX = re.compile(r"\\mbox(?![A-Za-z])")  # LaTeX's text box: KaTeX lacks it, and \text is the same box
NEW_BLOCK = re.compile(r"[ \t>]*(?:[-*+]|\d{1,9}[.)]|:::|!!!)(?:[ \t]|$)")  # may follow a display directly
WHOLE_ENV = re.compile(
    r"\A\s*\\begin\{(equation|align|alignat|gather|multline|flalign|eqnarray)(\*?)\}.*\\end\{\1\2\}\s*\Z", re.S
)


def brackets(text: str, ctx: Context) -> str:
    """`\\(x\\)`, `\\[x\\]` and their doubled-backslash forms, written where prose is."""

    def prose(piece: str, seg) -> str:
        def one(m: re.Match) -> str:
            body = m.group(3)
            if "\n\n" in body or (m.group(2) == "(") != (m.group(4) == ")"):
                return m.group(0)
            display = m.group(2) == "["
            ctx.add(
                text,
                seg.start + m.start(),
                CONVERTED,
                "math.delimiters",
                f"{m.group(1)}{m.group(2)}...: math",
                m.group(0),
            )
            if display:
                return f"\n$${body.strip()}$$\n"
            return f"${' '.join(body.split())}$"

        return BRACKETS.sub(one, piece)

    return rewrite(text, (TEXT,), prose)


def roles_and_liquid(text: str, ctx: Context) -> str:
    """MyST `{math}` roles and Liquid `{% math %}` blocks (fenced code untouched)."""

    def fix(piece: str, offset: int) -> str:
        def role(m: re.Match) -> str:
            ctx.add(text, offset + m.start(), CONVERTED, "math.role", "{math} role: inline math", m.group(0))
            return f"${m.group(1).strip()}$"

        def liquid(m: re.Match) -> str:
            ctx.add(text, offset + m.start(), CONVERTED, "math.liquid", "{% math %} block: display math", "{%")
            return f"\n$$\n{m.group(1).strip()}\n$$\n"

        return LIQUID_MATH.sub(liquid, ROLE.sub(role, piece))

    return outside_fences(text, fix)


def displays(text: str, ctx: Context, *, mid_sentence_inline: bool) -> str:
    """Long because a display's whole neighbourhood decides its form: alone on its lines it gets
    blank lines around and its container's prefix on every line; inside a sentence it is inline
    math (kramdown) or breaks the paragraph (everyone else); a `$$` that only wraps an
    environment is unwrapped; punctuation right after it moves inside."""
    edits = []
    for seg in scan(text):
        if seg.kind not in (DISPLAY, ENV):
            continue
        line_start = text.rfind("\n", 0, seg.start) + 1
        line_end = text.find("\n", seg.end)
        line_end = len(text) if line_end < 0 else line_end
        before, after = text[line_start : seg.start], text[seg.end : line_end]
        prefix = line_prefix(text[line_start:line_end])
        only_container = bool(PREFIX.fullmatch(before))
        piece = text[seg.start : seg.end]
        if seg.kind == DISPLAY and not (only_container and not after.strip()) and mid_sentence_inline:
            if piece[2:-2].strip():
                ctx.add(
                    text, seg.start, CONVERTED, "math.kramdown-inline", "$$...$$ inside a sentence: inline math", piece
                )
                edits.append((seg.start, seg.end, f"${' '.join(piece[2:-2].split())}$"))
            continue
        punct = re.match(r"\s*([.,;:])(?=\s*$)", after)
        if punct:
            after = after[punct.end() :]
        body = _body(piece, seg.kind, prefix, punct.group(1) if punct else "")
        if seg.kind == DISPLAY and WHOLE_ENV.match("\n".join(body[1:-1])):
            ctx.add(text, seg.start, CONVERTED, "math.unwrapped-env", "$$ around an environment removed", "$$")
            body = body[1:-1]
        block = [(before if only_container else prefix) + body[0]] + [prefix + ln for ln in body[1:]]
        blank = prefix.rstrip(" \t")
        head = [] if only_container else [before.rstrip(), blank]
        tail = [blank, prefix + after.strip()] if after.strip() else []
        prev_line = text[: max(line_start - 1, 0)].rsplit("\n", 1)[-1] if line_start else ""
        next_line = text[line_end + 1 :].split("\n", 1)[0] if line_end < len(text) else ""
        if not head and prev_line.strip(" \t>"):
            head = [blank]
        if not tail and next_line.strip(" \t>") and not NEW_BLOCK.match(next_line):
            tail = [blank]
        new = "\n".join(head + block + tail)
        original = text[line_start:line_end]
        if new == original or ("\n" not in original and not head and not tail and not after.strip()):
            continue  # already native (a one-line $$x$$ alone between blank lines is native too)
        ctx.add(
            text,
            seg.start,
            CONVERTED,
            "math.display-layout",
            "display math on lines of its own, blank lines around",
            piece[:2],
        )
        edits.append((line_start, line_end, new))
    return apply_edits(text, edits)


def _body(piece: str, kind: str, prefix: str, punct: str) -> list[str]:
    """A display's or environment's lines without their container prefix or blank lines."""

    def bare(line: str) -> str:
        return line[len(prefix) :] if line.startswith(prefix) else line.lstrip(" \t>")

    if kind == DISPLAY:
        inner = piece[2:-2].split("\n")
        inner[0] = inner[0].strip()
        inner[-1] = inner[-1].rstrip()
        lines = [inner[0]] + [bare(ln) for ln in inner[1:]]
        lines = [ln for ln in lines if ln.strip(" \t>")]
        if punct and lines:
            lines[-1] += punct
        return ["$$", *lines, "$$"]
    lines = piece.split("\n")
    lines = [lines[0]] + [bare(ln) for ln in lines[1:] if ln.strip(" \t>")]
    if punct:
        lines[-1] = re.sub(r"(\\end\{[^}]*\})$", punct + r"\1", lines[-1])
    return lines


TEXT_GROUP = re.compile(r"\\(?:text\w*|mbox|operatorname\*?|mathrm|mathtt)\s*\{")


def _unescape(piece: str) -> str:
    """`\\_` and `\\*` written for Markdown's sake, undone; inside `\\text{}` and the like an
    escaped underscore is TeX's own (a literal underscore) and stays."""
    keep = []
    for m in TEXT_GROUP.finditer(piece):
        depth, k = 1, m.end()
        while k < len(piece) and depth:
            depth += {"{": 1, "}": -1}.get(piece[k], 0) if piece[k - 1] != "\\" else 0
            k += 1
        keep.append((m.end(), k))

    def one(m: re.Match) -> str:
        inside = any(a <= m.start() < b for a, b in keep)
        return m.group(0) if inside and m.group(1) == "_" else m.group(1)

    return re.sub(r"(?<!\\)\\([_*])", one, piece)


def tex(text: str, ctx: Context) -> str:
    """Inside TeX: Markdown escapes undone, environments and `\\mbox` KaTeX lacks renamed, top-level `&`."""

    def fix(piece: str, seg) -> str:
        new = _unescape(piece)
        if new != piece:
            ctx.add(text, seg.start, CONVERTED, "math.escapes", r"Markdown escapes (\_ \*) undone in TeX", piece[:2])
        for old, good in ENV_NAMES.items():
            if re.search(rf"\\(?:begin|end)\{{{old}\*?\}}", new):
                ctx.add(
                    text,
                    seg.start,
                    CONVERTED,
                    "math.environment",
                    f"{old} (not in KaTeX) rewritten as {good}",
                    piece[:2],
                )
                new = re.sub(rf"\\(begin|end)\{{{old}(\*?)\}}", rf"\\\1{{{good}\2}}", new)
                if old == "eqnarray":
                    new = re.sub(rf"&\s*({RELATION})\s*&[ \t]*", r"&\1 ", new)
        if MBOX.search(new):
            ctx.add(text, seg.start, CONVERTED, "math.command", r"\mbox (not in KaTeX) rewritten as \text", piece[:2])
            new = MBOX.sub(r"\\text", new)
        if seg.kind == DISPLAY and "&" in new and "\\begin" not in new and new.count("\\label") <= 1:
            ctx.add(text, seg.start, CONVERTED, "math.aligned", "top-level & in a display: wrapped in aligned", "$$")
            inner = new[2:-2].strip("\n")
            label = re.search(r"\\label\{[^}]*\}", inner)
            inner = inner.replace(label.group(0), "") if label else inner
            new = (
                f"$$\n\\begin{{aligned}}\n{inner.strip()}\n\\end{{aligned}}{' ' + label.group(0) if label else ''}\n$$"
            )
        return new

    return rewrite(text, MATH, fix)
