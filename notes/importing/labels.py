"""Equation labels and references, from every dialect's syntax to `\\label{eq:...}` and `[[#eq:...]]`.

Dialect passes only move a label into its formula as `\\label{name}` and turn a reference into
`\\eqref{name}`; the shared passes then give every label the platform's `eq:` form and resolve
every reference against the labels the note defines, so one rule names them all.
"""

import re

from .report import CONVERTED, DROPPED, LEFT, Context
from .scan import DISPLAY, INLINE, MATH, TEXT, apply_edits, rewrite, scan

LABEL = re.compile(r"\\label\{([^{}]*)\}")
TAG = re.compile(r"\\tag\*?\{([^{}]*)\}")
REF = re.compile(r"\\(?:eqref|ref|cref|Cref|autoref)\{([^{}]*)\}")
REF_ONLY = re.compile(r"\A\$\s*\(?\s*\\(?:eqref|ref|cref|Cref|autoref)\{([^{}]*)\}\s*\)?\s*\$\Z")


def eq_label(raw: str) -> str:
    """Any label name as the platform's: `eq:` and letters, digits, - _ . : only."""
    name = re.sub(r"^(?:eq|eqn|equation)[:\-_]", "", raw.strip(), flags=re.I)
    name = re.sub(r"[^A-Za-z0-9\-_.:]+", "-", name).strip("-") or "unnamed"
    return f"eq:{name}"


def label_after_display(text: str, ctx: Context, pattern: re.Pattern, kind: str) -> str:
    """A label written just after a `$$` block (Quarto `{#eq-x}`, MyST `(x)`, d2l `:eqlabel:`)
    moved inside it, before the closing `$$`."""
    edits = []
    for seg in scan(text):
        match = pattern.match(text, seg.end) if seg.kind == DISPLAY else None
        if match:
            ctx.add(
                text,
                match.start(),
                CONVERTED,
                kind,
                f"label {match.group(1)!r} moved into its formula",
                match.group(0).strip(),
            )
            body = text[seg.start : seg.end - 2].rstrip()
            edits.append((seg.start, match.end(), f"{body} \\label{{{match.group(1)}}}\n$$"))
    return apply_edits(text, edits)


def label_before_display(text: str, ctx: Context, pattern: re.Pattern, kind: str) -> str:
    """A target line just before a `$$` block (MyST `(x)=`) moved inside it as a label."""
    edits = []
    for seg in scan(text):
        if seg.kind != DISPLAY:
            continue
        window = max(0, seg.start - 300)
        match = pattern.search(text, window, seg.start)
        while match and text[match.end() : seg.start].strip():
            match = pattern.search(text, match.end(), seg.start)
        if match:
            ctx.add(
                text,
                match.start(),
                CONVERTED,
                kind,
                f"target {match.group(1)!r} made the formula's label",
                match.group(0).strip(),
            )
            body = text[seg.start : seg.end - 2].rstrip()
            edits.append((match.start(), seg.end, f"{body} \\label{{{match.group(1)}}}\n$$"))
    return apply_edits(text, edits)


def latex_labels(text: str, ctx: Context) -> str:
    """`\\label{any}` -> `\\label{eq:any}`; `\\tag` (refused by the platform) becomes a label or goes."""

    def fix(piece: str, seg) -> str:
        if seg.kind == INLINE:
            if LABEL.search(piece) or TAG.search(piece):
                ctx.add(text, seg.start, DROPPED, "label.inline", "\\label or \\tag in inline math removed", piece[:2])
            return TAG.sub("", LABEL.sub("", piece))
        rows = re.split(r"(\\\\)", piece)
        for i, row in enumerate(rows):
            for tag in TAG.finditer(row):
                if LABEL.search(row):
                    ctx.add(
                        text,
                        seg.start,
                        DROPPED,
                        "label.tag",
                        f"\\tag{{{tag.group(1)}}} removed: the row has a label",
                        tag.group(0),
                    )
                else:
                    ctx.add(
                        text, seg.start, CONVERTED, "label.tag", f"\\tag{{{tag.group(1)}}} made a label", tag.group(0)
                    )
            rows[i] = (
                row
                if not TAG.search(row)
                else TAG.sub("", row)
                if LABEL.search(row)
                else TAG.sub(lambda m: f"\\label{{tag-{m.group(1)}}}", row, count=1)
            )
        piece = "".join(rows)

        def one(m: re.Match) -> str:
            name = eq_label(m.group(1))
            if name in ctx.labels:
                ctx.add(text, seg.start, LEFT, "label.duplicate", f"label {name} defined twice", m.group(0))
            ctx.labels.add(name)
            if name != m.group(1):
                ctx.add(
                    text,
                    seg.start,
                    CONVERTED,
                    "label.latex",
                    f"\\label{{{m.group(1)}}} -> \\label{{{name}}}",
                    m.group(0),
                )
            return f"\\label{{{name}}}"

        return LABEL.sub(one, piece)

    return rewrite(text, MATH, fix)


def references(text: str, ctx: Context) -> str:
    """`\\eqref{x}`, `\\ref{x}` (in prose, or as an inline formula of their own) -> `[[#eq:x]]`
    when the note defines the label; otherwise the name in parentheses, reported."""

    def link(m: re.Match, start: int, whole: str) -> str:
        name = eq_label(m.group(1))
        if name in ctx.labels:
            ctx.add(text, start, CONVERTED, "ref.equation", f"reference {m.group(1)!r} -> [[#{name}]]", whole)
            return f"[[#{name}]]"
        ctx.add(
            text,
            start,
            LEFT,
            "ref.unknown",
            f"reference to {m.group(1)!r}, which labels no equation here: kept as text",
            whole,
        )
        return f"({m.group(1)})"

    def fix(piece: str, seg) -> str:
        if seg.kind == INLINE:
            only = REF_ONLY.match(piece)
            return link(only, seg.start, piece) if only else piece
        return REF.sub(lambda m: link(m, seg.start + m.start(), m.group(0)), piece)

    return rewrite(text, (TEXT, INLINE), fix)
