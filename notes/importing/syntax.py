"""The passes only one dialect needs: MyST roles and targets, d2l's `:label:` family, Quarto's
`{#eq-}`/`@eq-` and code chunks. Each turns its syntax into what the shared passes finish:
`\\label{name}` inside the formula, `\\eqref{name}` for a reference, plain text otherwise.
"""

import re

from .citations import citation_message, cite
from .labels import label_after_display, label_before_display
from .report import CONVERTED, DROPPED, LEFT, Context
from .scan import TEXT, outside_fences, rewrite

MYST_ROLE = re.compile(
    r"(?<![\w\\])\{(eq|numref|ref|doc|term|abbr|download|sub|sup|code|prf:ref|cite(?::\w+)?)\}`([^`]*)`"
)
MYST_TARGET = re.compile(r"^\(([\w:.-]+)\)=[ \t]*\n", re.M)
MYST_TRAILING = re.compile(r"[ \t]*\(([\w:.-]+)\)[ \t]*(?=\n|\Z)")
QUARTO_LABEL = re.compile(r"[ \t]*\{#(eq-[\w:.-]+)\}[ \t]*(?=\n|\Z)")
QUARTO_REF = re.compile(r"(?<![\w@])\[?-?@(eq-[\w:-]*\w)\]?")
QUARTO_OTHER_REF = re.compile(r"(?<![\w@])-?@((?:fig|tbl|sec|thm|lem|def|cor|prp|exm|lst)-[\w:-]*\w)")
D2L_EQLABEL = re.compile(r"[ \t]*\n(?:[ \t]*\n)?[ \t]*:eqlabel:`([^`]+)`[ \t]*(?=\n|\Z)")
D2L_ROLE = re.compile(r":(eqref|numref|ref|cite|label|eqlabel|begin_tab|end_tab):`([^`]*)`")
CODE_CHUNK = re.compile(r"^([ \t]*`{3,})\{\.?([\w+-]+)[^}\n]*\}[ \t]*$", re.M)


def _name_and_text(body: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)\s*<([^<>]+)>$", body)
    return (m.group(2), m.group(1)) if m else (body, "")


def myst_labels(text: str, ctx: Context) -> str:
    """`$$ ... $$ (name)` and a `(name)=` target just before a formula: its label."""
    text = label_after_display(text, ctx, MYST_TRAILING, "label.myst")
    return label_before_display(text, ctx, MYST_TARGET, "label.myst")


def myst_targets(text: str, ctx: Context) -> str:
    """Other `(name)=` targets go: headings get their ids from their text."""

    def target(m: re.Match) -> str:
        ctx.add(
            text,
            m.start(),
            DROPPED,
            "label.myst-target",
            f"target ({m.group(1)})= removed: headings get their own ids",
            m.group(0).strip(),
        )
        return ""

    return outside_fences(text, lambda piece, offset: MYST_TARGET.sub(target, piece))


def myst_roles(text: str, ctx: Context) -> str:
    """{eq} a reference; {cite} footnotes (notes.importing.citations); other roles their text."""

    def fix(piece: str, offset: int) -> str:
        def role(m: re.Match) -> str:
            name, body = m.group(1), m.group(2)
            ref, shown = _name_and_text(body)
            if name == "eq":
                return f"\\eqref{{{ref}}}"
            if name.startswith("cite"):
                return _cite(body, m, text, offset, ctx)
            ctx.add(text, offset + m.start(), CONVERTED, "role.text", f"{{{name}}} role kept as its text", m.group(0))
            return shown or ref

        return MYST_ROLE.sub(role, piece)

    return outside_fences(text, fix)


def _cite(keys: str, m: re.Match, text: str, offset: int, ctx: Context) -> str:
    refs = cite(keys.split(","), ctx)
    ctx.add(text, offset + m.start(), CONVERTED, "citation", citation_message(m.group(0), refs), m.group(0))
    return refs


def myst_comments(text: str, ctx: Context) -> str:
    """MyST `% comment` lines and `+++` cell breaks go."""

    def fix(piece: str, offset: int) -> str:
        for m in re.finditer(r"(?m)^(?:%[^\n]*|\+\+\+[^\n]*)\n?", piece):
            ctx.add(
                text,
                offset + m.start(),
                DROPPED,
                "myst.comment",
                "MyST comment or block break removed",
                m.group(0).strip(),
            )
        return re.sub(r"(?m)^(?:%[^\n]*|\+\+\+[^\n]*)\n?", "", piece)

    return outside_fences(text, fix)


def d2l_labels(text: str, ctx: Context) -> str:
    """`:eqlabel:` onto the formula just above it."""
    return label_after_display(text, ctx, D2L_EQLABEL, "label.d2l")


def d2l_roles(text: str, ctx: Context) -> str:
    """`:eqref:` a reference; `:cite:` footnotes; `:label:` and tabs go; `:numref:` kept as text, reported."""

    def fix(piece: str, offset: int) -> str:
        def role(m: re.Match) -> str:
            name, body = m.group(1), m.group(2)
            if name == "eqref":
                return f"\\eqref{{{body}}}"
            if name in ("label", "eqlabel", "begin_tab", "end_tab"):
                ctx.add(text, offset + m.start(), DROPPED, "d2l.directive", f":{name}: removed", m.group(0))
                return ""
            if name == "cite":
                return _cite(body, m, text, offset, ctx)
            ctx.add(text, offset + m.start(), LEFT, f"d2l.{name}", f":{name}: kept as text", m.group(0))
            return body

        return re.sub(r"(?m)^[ \t]+$", "", D2L_ROLE.sub(role, piece))

    return outside_fences(text, fix)


def quarto(text: str, ctx: Context) -> str:
    """`{#eq-x}` onto its formula; `@eq-x` a reference; other cross-references text (citations: notes.importing.citations)."""
    text = label_after_display(text, ctx, QUARTO_LABEL, "label.quarto")

    def prose(piece: str, seg) -> str:
        def other(m: re.Match) -> str:
            ctx.add(
                text,
                seg.start + m.start(),
                LEFT,
                "quarto.crossref",
                f"cross-reference {m.group(0)} kept as text",
                m.group(0),
            )
            return m.group(1)

        piece = QUARTO_OTHER_REF.sub(other, piece)
        return QUARTO_REF.sub(lambda m: f"\\eqref{{{m.group(1)}}}", piece)

    return rewrite(text, (TEXT,), prose)


def code_chunks(text: str, ctx: Context) -> str:
    """```{python} (Quarto, d2l's ```{.python .input}) -> ```python."""

    def chunk(m: re.Match) -> str:
        ctx.add(
            text,
            m.start(),
            CONVERTED,
            "code.chunk",
            "executable code chunk -> fenced code (not run)",
            m.group(0).strip(),
        )
        return f"{m.group(1)}{m.group(2)}"

    return CODE_CHUNK.sub(chunk, text)
