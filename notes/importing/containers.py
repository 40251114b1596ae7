"""Boxes and directives: Obsidian callouts, MyST directive fences, `:::` divs (MyST, Quarto,
pandoc) and paired Hugo shortcodes, turned into the platform's five admonitions, `$$` blocks,
images or plain text.

The walk is over lines and recursive: a container's body is converted first, then indented
under its `!!!` line. `::: derivation` and `::: figure` blocks are the platform's own and pass through.
"""

import re

from .report import CONVERTED, DROPPED, LEFT, Context

KINDS = {"note", "tip", "warning", "important", "info"}
PLATFORM_BLOCKS = {"derivation", "figure"}  # `:::` blocks of the platform's own Markdown
NEAREST = {
    **dict.fromkeys(("caution", "attention", "danger", "error", "bug", "failure", "fail", "missing"), "warning"),
    **dict.fromkeys(("hint", "success", "check", "done", "help", "faq", "question", "todo", "exercise"), "tip"),
    **dict.fromkeys(("abstract", "summary", "tldr", "example", "quote", "cite", "seealso", "aside"), "info"),
    **dict.fromkeys(("theorem", "lemma", "proposition", "corollary", "definition", "key", "remark"), "important"),
}
CALLOUT = re.compile(r"^>[ \t]?\[!([\w-]+)\]([+-]?)[ \t]*(.*)$")
COLON_OPEN = re.compile(r"^(:{3,})[ \t]*(\{[^}]*\}|[\w.:-]+)[ \t]*(.*)$")
COLON_CLOSE = re.compile(r"^(:{3,})[ \t]*$")
BACKTICK_OPEN = re.compile(r"^(`{3,}|~{3,})[ \t]*\{([\w:.-]+)\}[ \t]*(.*)$")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
SHORTCODE_OPEN = re.compile(
    r"^\{\{([<%])\s*(hint|notice|admonition|callout|alert|tip|note|warning|details)\b\s*(.*?)\s*[>%]\}\}\s*$"
)
SHORTCODE_CLOSE = re.compile(
    r"^\{\{[<%]\s*/\s*(hint|notice|admonition|callout|alert|tip|note|warning|details)\s*[>%]\}\}\s*$"
)
CODE_LANGS = {"python", "r", "julia", "ojs", "bash", "sh", "sql", "js", "javascript"}  # Quarto chunks
DROP_DIRECTIVES = {"toctree", "tableofcontents", "bibliography", "contents", "glue:figure", "include"}


def kind_for(raw: str, ctx: Context, index: int) -> str:
    name = raw.lower().removeprefix("callout-").removeprefix("prf:").removeprefix(".")
    if name in KINDS:
        return name
    kind = NEAREST.get(name, "note")
    ctx.add_line(index, CONVERTED, "container.kind", f"box kind {raw!r} has no match here: shown as {kind!r}")
    return kind


def admonition(kind: str, title: str, body: list[str]) -> list[str]:
    title = " ".join(title.replace('"', "'").split())
    head = f'!!! {kind} "{title}"' if title else f"!!! {kind}"
    while body and not body[0].strip():
        body = body[1:]
    while body and not body[-1].strip():
        body = body[:-1]
    return [head, *("    " + ln if ln.strip() else "" for ln in body), ""]


def convert_containers(lines: list[str], ctx: Context, base: int = 0) -> list[str]:
    """Long because each container syntax finds its own end; all share the recursion below."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if match := CALLOUT.match(line):
            j = i + 1
            while j < len(lines) and lines[j].startswith(">"):
                j += 1
            body = [re.sub(r"^>[ \t]?", "", ln) for ln in lines[i + 1 : j]]
            ctx.add_line(base + i, CONVERTED, "container.callout", f"callout [!{match.group(1)}] -> admonition")
            kind = kind_for(match.group(1), ctx, base + i)
            out += _blank_before(out) + admonition(kind, match.group(3), convert_containers(body, ctx, base + i + 1))
            i = j
        elif match := BACKTICK_OPEN.match(line):
            j = _close(lines, i, re.compile(rf"^{re.escape(match.group(1)[0])}{{{len(match.group(1))},}}[ \t]*$"))
            body = lines[i + 1 : j]
            out += _blank_before(out) + directive(match.group(2), match.group(3), body, ctx, base + i)
            i = j + 1
        elif FENCE.match(line):
            marker = FENCE.match(line).group(1)
            j = _close(lines, i, re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$"))
            out += lines[i : j + 1]
            i = j + 1
        elif (match := COLON_OPEN.match(line)) or (match := SHORTCODE_OPEN.match(line)):
            j = _colon_close(lines, i)
            body = convert_containers(lines[i + 1 : j], ctx, base + i + 1)
            if match.re is COLON_OPEN and match.group(2) in PLATFORM_BLOCKS:
                out += [line, *body, *lines[j : j + 1]]
            elif match.re is SHORTCODE_OPEN:
                out += _blank_before(out) + shortcode_box(match, body, ctx, base + i)
            else:
                out += _blank_before(out) + div(match.group(2), match.group(3), body, ctx, base + i)
            i = j + 1
        else:
            out.append(line)
            i += 1
    return out


def _blank_before(out: list[str]) -> list[str]:
    return [""] if out and out[-1].strip() else []


def _close(lines: list[str], i: int, pattern: re.Pattern) -> int:
    return next((k for k in range(i + 1, len(lines)) if pattern.match(lines[k])), len(lines))


def _colon_close(lines: list[str], i: int) -> int:
    """The line closing the `:::` div (or shortcode) opened at i, counting nested openings."""
    depth, k = 0, i + 1
    while k < len(lines):
        if COLON_OPEN.match(lines[k]) or SHORTCODE_OPEN.match(lines[k]):
            depth += 1
        elif COLON_CLOSE.match(lines[k]) or SHORTCODE_CLOSE.match(lines[k]):
            if depth == 0:
                return k
            depth -= 1
        k += 1
    return len(lines)


def _options(body: list[str]) -> tuple[dict, list[str]]:
    """MyST directive options: `:key: value` lines, or a `---` YAML-ish block, at the top."""
    options: dict = {}
    if body and body[0].strip() == "---":
        end = next((k for k in range(1, len(body)) if body[k].strip() == "---"), 0)
        for ln in body[1:end]:
            key, _, value = ln.partition(":")
            options[key.strip()] = value.strip()
        return options, body[end + 1 :]
    k = 0
    while k < len(body) and (m := re.match(r"^[ \t]*:([\w-]+):[ \t]*(.*)$", body[k])):
        options[m.group(1)] = m.group(2).strip()
        k += 1
    return options, body[k:]


def directive(name: str, argument: str, body: list[str], ctx: Context, index: int) -> list[str]:
    """One MyST directive fence (```{name} argument) as what the platform has."""
    options, content = _options(body)
    if name == "math":
        label = options.get("label") or options.get("name")
        ctx.add_line(index, CONVERTED, "math.directive", "{math} directive -> display math")
        chunks = "\n".join(content).split("\n\n")
        out = []
        for n, chunk in enumerate(c for c in chunks if c.strip()):
            tail = f" \\label{{{label}}}" if label and n == 0 else ""
            out += ["$$", *chunk.strip("\n").split("\n")[:-1], chunk.strip("\n").split("\n")[-1] + tail, "$$", ""]
        return out
    if name in ("code-cell", "code-block", "code", "sourcecode") or name in CODE_LANGS:
        argument = argument or name
        ctx.add_line(index, CONVERTED, "container.code", f"{{{name}}} -> fenced code")
        return ["```" + argument.split(" ")[0], *content, "```", ""]
    if name in ("figure", "image"):
        alt = options.get("alt", "")
        caption = " ".join(ln.strip() for ln in content if ln.strip())
        ctx.add_line(index, CONVERTED, "container.figure", f"{{{name}}} -> image with caption")
        return [f"![{alt or caption}]({argument.strip()})", *([f"*{caption}*"] if caption else []), ""]
    if name == "raw":  # output for one format (html, latex, jupyter), never the page's text
        ctx.add_line(
            index, DROPPED, "container.dropped", f"{{raw}} {argument.strip()} directive: output for one format"
        )
        return []
    if name in DROP_DIRECTIVES:
        ctx.add_line(index, DROPPED, "container.dropped", f"{{{name}}} directive: a book's structure, not a note's")
        return []
    title = argument
    kind_name = options.get("class", "").split(" ")[0] if name == "admonition" else name
    inner = convert_containers(content, ctx, index + 1)
    if name.startswith("prf:") or kind_name.lower() in KINDS | set(NEAREST) or name in ("admonition", "dropdown"):
        ctx.add_line(index, CONVERTED, "container.directive", f"{{{name}}} directive -> admonition")
        return admonition(
            kind_for(kind_name or "note", ctx, index),
            title or (name.removeprefix("prf:").title() if name.startswith("prf:") else ""),
            inner,
        )
    ctx.add_line(index, LEFT, "container.unknown", f"{{{name}}} directive unknown: its content kept as text")
    return [*inner, ""]


def div(spec: str, argument: str, body: list[str], ctx: Context, index: int) -> list[str]:
    """A `:::` div: MyST colon directive, Quarto callout or theorem, or a pandoc class."""
    classes = re.findall(r"\.([\w-]+)", spec) if spec.startswith("{.") or spec.startswith("{#") else []
    name = spec.strip("{}") if not classes and not spec.startswith("{#") else ""
    title_attr = re.search(r'title="([^"]*)"', spec + " " + argument)
    title = title_attr.group(1) if title_attr else ("" if spec.startswith("{.") else argument)
    if body and (heading := re.match(r"^#{1,6}[ \t]+(.*)$", body[0])) and not title:
        title, body = heading.group(1), body[1:]
    theorem = re.match(r"\{#(thm|lem|cor|prp|def|exm|exr|cnj|rem)-", spec)
    kind = next((c for c in classes if c.startswith("callout")), None) or name
    if theorem:
        kind = {"def": "definition", "rem": "remark", "exm": "example", "exr": "exercise"}.get(
            theorem.group(1), "theorem"
        )
    if kind and (
        kind.lower().removeprefix("callout-").removeprefix("prf:") in KINDS | set(NEAREST) or kind == "callout"
    ):
        ctx.add_line(index, CONVERTED, "container.div", f"::: {spec} -> admonition")
        return admonition(kind_for(kind if kind != "callout" else "note", ctx, index), title, body)
    ctx.add_line(index, DROPPED, "container.div", f"::: {spec} wrapper removed, its content kept")
    return [*body, ""]


def shortcode_box(match: re.Match, body: list[str], ctx: Context, index: int) -> list[str]:
    args = re.findall(r'"([^"]*)"|(\S+)', match.group(3))
    words = [a or b for a, b in args]
    raw = (
        words[0] if words and match.group(2) in ("hint", "notice", "admonition", "callout", "alert") else match.group(2)
    )
    title = " ".join(words[1:]) if raw == (words[0] if words else "") else " ".join(words)
    ctx.add_line(index, CONVERTED, "shortcode.box", f"{{{{< {match.group(2)} >}}}} -> admonition")
    return admonition(kind_for(raw, ctx, index), title, body)
