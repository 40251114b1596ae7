"""Citations into footnotes: MyST `{cite}` roles, d2l `:cite:`, Pandoc/Quarto `[@key]` and
`@key`, jekyll-scholar `{% cite key %}`.

The platform's Markdown has footnotes (`[^key]` and a `[^key]: text` line, markdown-it's
footnote plugin) and no bibliography, so each cited key becomes a footnote whose text is the
key, each reported: the author writes the reference out. A key cited twice shares its footnote.
"""

import re

from .report import CONVERTED, Context
from .scan import TEXT, outside_fences, rewrite

KEY = r"[A-Za-z0-9_][\w:.#$%&+?<>~/-]*?"
SCHOLAR = re.compile(r"\{%-?\s*cite\s+([^%]*?)\s*-?%\}")
BRACKETED = re.compile(r"\[((?:[^\[\]\n]*?;)?[^\[\]\n]*?(?<![\w\\])-?@" + KEY + r"[^\[\]\n]*)\](?![(\[:])")
IN_BRACKETS = re.compile(r"(?<![\w\\])-?@(" + KEY + r")(?=[\s,;.:]|$)")
BARE = re.compile(r"(?<![\w@\\\[])-?@(" + KEY + r")(?=[\s,;.:!?)]|$)")
LABEL_CHARS = re.compile(r"[^\w:.-]+")
DEFINED = re.compile(r"^\[\^([^\]\s]+)\]:", re.M)


def cite(keys: list[str], ctx: Context) -> str:
    """Footnote references for `keys`, which `footnotes` later defines."""
    labels = []
    for key in keys:
        label = LABEL_CHARS.sub("-", key.strip()).strip("-")
        if label:
            labels.append(label)
            if label not in ctx.citations:
                ctx.citations.append(label)
    return "".join(f"[^{label}]" for label in labels)


def citation_message(what: str, refs: str) -> str:
    return f"citation {what} -> footnote {refs} (its text is the key: write the reference out)"


def scholar(text: str, ctx: Context) -> str:
    """jekyll-scholar's `{% cite a b --file refs %}` (before the Liquid pass removes tags)."""

    def fix(piece: str, offset: int) -> str:
        def one(m: re.Match) -> str:
            keys = [k for k in re.split(r"\s+", m.group(1).split("--", 1)[0].strip()) if k]
            refs = cite(keys, ctx)
            ctx.add(text, offset + m.start(), CONVERTED, "citation", citation_message(m.group(0), refs), m.group(0))
            return refs

        return SCHOLAR.sub(one, piece)

    return outside_fences(text, fix)


def pandoc(text: str, ctx: Context) -> str:
    """Pandoc/Quarto `[@a; @b]`, `[see @a, p. 3]` and in-text `@a` (cross-references such as
    `@eq-x` are taken by the Quarto pass before this one)."""

    def prose(piece: str, seg) -> str:
        def bracketed(m: re.Match) -> str:
            parts = [p.strip() for p in m.group(1).split(";")]
            if not all(IN_BRACKETS.search(p) for p in parts):
                return m.group(0)
            out = [IN_BRACKETS.sub(lambda k: cite([k.group(1)], ctx), p) for p in parts]
            refs = "".join(out) if all(IN_BRACKETS.fullmatch(p) for p in parts) else f"({'; '.join(out)})"
            ctx.add(text, seg.start + m.start(), CONVERTED, "citation", citation_message(m.group(0), refs), m.group(0))
            return refs

        def bare(m: re.Match) -> str:
            refs = cite([m.group(1)], ctx)
            ctx.add(text, seg.start + m.start(), CONVERTED, "citation", citation_message(m.group(0), refs), m.group(0))
            return refs

        return BARE.sub(bare, BRACKETED.sub(bracketed, piece))

    return rewrite(text, (TEXT,), prose)


def footnotes(text: str, ctx: Context) -> str:
    """The footnotes of the keys cited, after the body (a note's own `[^key]:` stays its own)."""
    defined = set(DEFINED.findall(text))
    missing = [label for label in ctx.citations if label not in defined]
    if not missing:
        return text
    return text.rstrip("\n") + "\n\n" + "\n".join(f"[^{label}]: {label}" for label in missing) + "\n"
