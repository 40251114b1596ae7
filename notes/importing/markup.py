"""Site-generator markup around the text: Liquid tags, kramdown attribute lists, Hugo
shortcodes, HTML comments and simple raw HTML. Tags go, the text they wrap stays; HTML with a
safe Markdown equivalent is converted, anything else is reported (the platform shows raw HTML as
text). Only prose is touched, never code or TeX.
"""

import re
import textwrap
from functools import partial

from .containers import admonition
from .report import CONVERTED, DROPPED, LEFT, Context
from .scan import TEXT, outside_fences, rewrite
from .wikilinks import wikilink

HIGHLIGHT = re.compile(r"^\{%-?\s*highlight\s+(\w+)[^%]*%\}[ \t]*$|^\{%-?\s*endhighlight\s*-?%\}[ \t]*$", re.M)
LIQUID_TAG = re.compile(r"\{%-?\s*(\w+)[^%]*?-?%\}")
LIQUID_OUTPUT = re.compile(r"\{\{-?\s*[^{}<%]*?-?\}\}")
KEEP_TEXT_TAGS = {
    "raw",
    "endraw",
    "comment",
    "endcomment",
    "capture",
    "endcapture",
    "if",
    "endif",
    "unless",
    "endunless",
}
TOC = re.compile(r"^[ \t]*[*-][ \t]+(?:TOC|Table of contents)[ \t]*\n\{:\s*toc\s*\}[ \t]*\n?", re.M | re.I)
IAL = re.compile(r"\{::?[^}\n]*\}")
KRAMDOWN_COMMENT = re.compile(r"\{::comment\}.*?\{:/comment\}", re.S)
SHORTCODE = re.compile(r"\{\{([<%])\s*(/?)\s*([\w/.-]+)([^}]*?)\s*[>%]\}\}")
COMMENT = re.compile(r"<!--.*?-->", re.S)
NATIVE_OWN = r"#(?:[a-z0-9][a-z0-9-]*|eq:[\w.:-]+)(?:\|[^\]\n]*)?\]\]"  # [[#anchor]] in the note itself
DETAILS = re.compile(
    r"^([ \t]*)<details\b[^>]*>[ \t]*\n?(?:[ \t]*<summary\b[^>]*>((?:(?!<details\b|</summary>).)*)</summary>)?[ \t]*\n?"
    r"((?:(?!<details\b).)*?)\n?[ \t]*</details>[ \t]*$",
    re.S | re.M | re.I,
)
HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*?/?>")


def liquid_highlight(text: str, ctx: Context) -> str:
    """`{% highlight x %}` ... `{% endhighlight %}` becomes a code fence."""

    def fence(m: re.Match) -> str:
        ctx.add(text, m.start(), CONVERTED, "liquid.highlight", "{% highlight %} -> fenced code", m.group(0))
        return f"```{m.group(1)}" if m.group(1) else "```"

    return HIGHLIGHT.sub(fence, text)


def liquid_tags(text: str, ctx: Context) -> str:
    """Liquid tags go, the text between them stays; `{{ output }}` goes."""

    def prose(piece: str, seg) -> str:
        def tag(m: re.Match) -> str:
            name = m.group(1)
            if name not in KEEP_TEXT_TAGS:
                ctx.add(
                    text, seg.start + m.start(), DROPPED, "liquid.tag", f"Liquid tag {{% {name} %}} removed", m.group(0)
                )
            return ""

        def output(m: re.Match) -> str:
            ctx.add(
                text, seg.start + m.start(), DROPPED, "liquid.output", f"Liquid output {m.group(0)} removed", m.group(0)
            )
            return ""

        return LIQUID_OUTPUT.sub(output, LIQUID_TAG.sub(tag, piece))

    return rewrite(text, (TEXT,), prose)


def kramdown_ial(text: str, ctx: Context) -> str:
    """`{: .class}`, `{:toc}` (with its `* TOC` line), `{::options /}` and `{::comment}` go."""

    def fix(piece: str, offset: int) -> str:
        for pattern, message in ((TOC, "kramdown table of contents removed (the page has its own)"),
                                 (KRAMDOWN_COMMENT, "kramdown comment removed"),
                                 (IAL, "kramdown attribute list removed")):  # fmt: skip
            for m in pattern.finditer(piece):
                ctx.add(text, offset + m.start(), DROPPED, "kramdown.ial", message, m.group(0))
            piece = pattern.sub("", piece)
        return re.sub(r"(?m)^[ \t]+$", "", piece)

    return outside_fences(text, fix)


def shortcodes(text: str, ctx: Context) -> str:
    """Hugo shortcodes: math ones become math, figures images, the rest go with their text kept."""

    def fix(piece: str, offset: int) -> str:
        piece = re.sub(
            r"\{\{[<%]\s*(katex|math)\s*(display)?[^}]*?[>%]\}\}(.*?)\{\{[<%]\s*/\s*\1\s*[>%]\}\}",
            lambda m: _math_shortcode(m, text, offset, ctx),
            piece,
            flags=re.S,
        )

        def one(m: re.Match) -> str:
            name = m.group(3)
            if name == "figure" or name == "img":
                src = re.search(r'src="([^"]*)"', m.group(4))
                caption = re.search(r'(?:caption|alt|title)="([^"]*)"', m.group(4))
                if src:
                    ctx.add(
                        text, offset + m.start(), CONVERTED, "shortcode.figure", "figure shortcode -> image", m.group(0)
                    )
                    return f"![{caption.group(1) if caption else ''}]({src.group(1)})"
            ctx.add(
                text, offset + m.start(), DROPPED, "shortcode", f"shortcode {name} removed, its text kept", m.group(0)
            )
            return ""

        return SHORTCODE.sub(one, piece)

    return outside_fences(text, fix)


def _math_shortcode(m: re.Match, text: str, offset: int, ctx: Context) -> str:
    ctx.add(text, offset + m.start(), CONVERTED, "shortcode.math", f"{m.group(1)} shortcode -> math", m.group(0))
    body = m.group(3).strip()
    return f"\n$$\n{body}\n$$\n" if m.group(2) else f"${body}$"


def html(text: str, ctx: Context) -> str:
    """<br>, <sub>, <sup>, <em>, <strong>, <img> become Markdown; the rest is reported."""

    def prose(piece: str, seg) -> str:
        piece = _html_pairs(piece, text, seg.start, ctx)
        for m in HTML_TAG.finditer(piece):
            ctx.add(
                text, seg.start + m.start(), LEFT, "html.kept", f"raw HTML <{m.group(1)}> shown as text", m.group(0)
            )
        return piece

    return rewrite(text, (TEXT,), prose)


def details(text: str, ctx: Context) -> str:
    """`<details><summary>S</summary>...</details>` (innermost first) -> a note admonition
    titled S with the body kept: the platform has no collapsible box, so it shows open."""

    def fix(piece: str, offset: int) -> str:
        def one(m: re.Match) -> str:
            title = re.sub(r"<[^>]*>|[*_`]", "", m.group(2) or "") or "Details"
            body = textwrap.dedent(m.group(3)).split("\n")
            what = "<details> -> note admonition titled by its summary (shown open: no collapsible box here)"
            ctx.add(text, offset + m.start(), CONVERTED, "html.details", what, "<details")
            return "\n" + "\n".join(m.group(1) + ln if ln else "" for ln in admonition("note", title, body))

        while True:
            new = DETAILS.sub(one, piece)
            if new == piece:
                return piece
            piece = new

    return outside_fences(text, fix)


def comments(text: str, ctx: Context) -> str:
    """HTML comments go (the platform would print them)."""

    def prose(piece: str, seg) -> str:
        def comment(m: re.Match) -> str:
            ctx.add(text, seg.start + m.start(), DROPPED, "html.comment", "HTML comment removed", m.group(0))
            return ""

        return COMMENT.sub(comment, piece)

    return rewrite(text, (TEXT,), prose)


def _html_pairs(piece: str, text: str, offset: int, ctx: Context) -> str:
    def report(m: re.Match, what: str) -> None:
        ctx.add(text, offset + m.start(), CONVERTED, "html.converted", what, m.group(0))

    def br(m: re.Match) -> str:
        report(m, "<br> -> line break")
        line_start = piece.rfind("\n", 0, m.start()) + 1
        return " " if piece[line_start:].lstrip().startswith("|") else "\\\n"

    def wrap(marker: str):
        def one(m: re.Match) -> str:
            report(m, f"<{m.group(1)}> -> {marker}...{marker}")
            return f"{marker}{m.group(2).strip()}{marker}"

        return one

    def script(m: re.Match) -> str:
        report(m, f"<{m.group(1)}> -> math")
        mark = "_" if m.group(1).lower() == "sub" else "^"
        return f"${mark}{{\\text{{{m.group(2)}}}}}$"

    def img(m: re.Match) -> str:
        src = re.search(r'src="([^"]*)"', m.group(0))
        alt = re.search(r'alt="([^"]*)"', m.group(0))
        if not src:
            return m.group(0)
        report(m, "<img> -> image")
        return f"![{alt.group(1) if alt else ''}]({src.group(1)})"

    piece = re.sub(r"<br\s*/?>[ \t]*(?:\n(?=[ \t]*\S))?", br, piece, flags=re.I)
    piece = re.sub(r"<(em|i)>([^<>\n]+)</\1>", wrap("*"), piece, flags=re.I)
    piece = re.sub(r"<(strong|b)>([^<>\n]+)</\1>", wrap("**"), piece, flags=re.I)
    piece = re.sub(r"<(sub|sup)>([\w .,+-]+)</\1>", script, piece, flags=re.I)
    return re.sub(r"<img\b[^<>]*>", img, piece, flags=re.I)


def obsidian(text: str, ctx: Context) -> str:
    """Obsidian `%%comments%%`, `![[embeds]]`, `[[wikilinks]]` (notes.importing.wikilinks) and `==highlights==`."""

    def prose(piece: str, seg) -> str:
        def report(m: re.Match, action: str, kind: str, message: str) -> None:
            ctx.add(text, seg.start + m.start(), action, kind, message, m.group(0))

        def embed(m: re.Match) -> str:
            target = m.group(1).split("|")[0]
            if re.search(r"\.(png|jpe?g|gif|svg|webp)$", target, re.I):
                report(m, CONVERTED, "obsidian.embed", "image embed -> image")
                return f"![{target}]({target.replace(' ', '%20')})"
            report(m, DROPPED, "obsidian.embed", f"embedded note {target!r} removed: import it and link it")
            return ""

        piece = re.sub(
            r"%%.*?%%", lambda m: report(m, DROPPED, "obsidian.comment", "comment removed") or "", piece, flags=re.S
        )
        piece = re.sub(r"!\[\[([^\]\n]+)\]\]", embed, piece)
        link = partial(wikilink, ctx=ctx, report=report)
        piece = re.sub(r"\[\[(?!" + NATIVE_OWN + r")([^\]\n]+)\]\]", link, piece)
        return re.sub(
            r"==([^=\n]+)==",
            lambda m: report(m, CONVERTED, "obsidian.highlight", "highlight -> bold") or f"**{m.group(1)}**",
            piece,
        )

    return rewrite(text, (TEXT,), prose)
