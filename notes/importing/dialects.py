"""One small converter per dialect, each an ordered list of passes over the shared ones, and
`detect`, which picks a dialect for a file from the syntax it finds and says why.

Order matters: structure first (front matter, containers and directives, which decide what is
code and what is math), then dialect labels and references into the common `\\label`/`\\eqref`
form, then delimiters and layout of math, then TeX, labels and references, then prose markup.
"""

import re
from collections.abc import Callable
from functools import partial

from . import citations, markup, math, syntax
from .containers import convert_containers
from .labels import latex_labels, references
from .report import Context
from .wikilinks import NATIVE_TARGET

Pass = Callable[[str, Context], str]


def containers(text: str, ctx: Context) -> str:
    return "\n".join(convert_containers(text.split("\n"), ctx))


def shared_head() -> list[Pass]:
    return [math.roles_and_liquid, markup.comments, markup.details, markup.html, math.brackets]


def shared_tail(*, kramdown: bool = False) -> list[Pass]:
    return [
        partial(math.displays, mid_sentence_inline=kramdown),
        math.tex,
        latex_labels,
        references,
    ]


def pipeline(dialect: str) -> list[Pass]:
    """The passes of one dialect, in order."""
    head, tail = shared_head(), shared_tail()
    if dialect == "kramdown":
        return [
            markup.liquid_highlight,
            math.roles_and_liquid,
            citations.scholar,
            markup.liquid_tags,
            markup.kramdown_ial,
            containers,
            *head,
            *shared_tail(kramdown=True),
        ]
    if dialect == "hugo":
        return [containers, markup.shortcodes, *head, *tail]
    if dialect == "myst":
        return [
            syntax.myst_comments,
            containers,
            *head,
            syntax.myst_labels,
            syntax.myst_targets,
            syntax.myst_roles,
            *tail,
        ]
    if dialect == "d2l":
        return [syntax.code_chunks, containers, *head, syntax.d2l_labels, syntax.d2l_roles, *tail]
    if dialect == "quarto":
        return [syntax.code_chunks, containers, markup.shortcodes, *head, syntax.quarto, citations.pandoc, *tail]
    if dialect == "obsidian":
        return [containers, *head, markup.obsidian, *tail]
    return [containers, *head, *tail]  # plain Markdown, or a note already native


DIALECTS = ("kramdown", "myst", "d2l", "quarto", "obsidian", "hugo")

# (dialect, pattern, what it is); each match is a vote for its dialect.
SIGNS = [
    ("quarto", re.compile(r"\{#eq-[\w-]+\}"), "{#eq-} labels"),
    ("quarto", re.compile(r"(?<![\w@])@eq-\w"), "@eq- references"),
    ("quarto", re.compile(r"^:{3,}\s*\{\.callout", re.M), "::: {.callout} blocks"),
    ("quarto", re.compile(r"^```\{(?:python|r|julia|ojs)\}", re.M), "```{python} chunks"),
    ("myst", re.compile(r"^(?:`{3,}|:{3,})\{[\w:-]+\}", re.M), "```{directive} fences"),
    ("myst", re.compile(r"\{(?:eq|math|numref|ref|cite|doc)\}`"), "{role}` roles"),
    ("myst", re.compile(r"^\([\w:.-]+\)=\s*$", re.M), "(target)= lines"),
    ("d2l", re.compile(r":(?:label|eqlabel|eqref|numref|begin_tab):`"), ":label:`` roles"),
    ("d2l", re.compile(r"^```\{\.\w+ \.input", re.M), "```{.python .input} cells"),
    ("obsidian", re.compile(r"^>\s?\[![\w-]+\]", re.M), "> [!callouts]"),
    ("obsidian", re.compile(r"!\[\[[^\]]+\]\]"), "![[embeds]]"),
    ("obsidian", re.compile(r"\[\[(?!#)(?!" + NATIVE_TARGET + r")[^\]\n]+\]\]"), "[[Wiki Links]]"),
    ("hugo", re.compile(r"\{\{[<%]"), "{{< shortcodes >}}"),
    ("hugo", re.compile(r"\A\+\+\+\s*\n"), "+++ TOML front matter"),
    ("kramdown", re.compile(r"\{:[^}\n]*\}"), "{: attribute lists}"),
    ("kramdown", re.compile(r"\{%-?\s*\w+"), "{% Liquid %} tags"),
    ("kramdown", re.compile(r"[^\s$]\s*\$\$[^$\n]+\$\$|\$\$[^$\n]+\$\$\s*[^\s$]"), "$$...$$ inside sentences"),
    ("kramdown", re.compile(r"\A---\s*\n(?:.*\n)*?(?:layout|permalink|comments):", re.M), "Jekyll front matter keys"),
]
EXTENSIONS = {".qmd": "quarto", ".markdown": "kramdown", ".mdx": "markdown"}


def detect(text: str, name: str = "") -> tuple[str, str]:
    """(dialect, why): the dialect with most signs; `markdown` (shared passes only) when none."""
    votes: dict[str, list[str]] = {}
    for dialect, pattern, what in SIGNS:
        count = len(pattern.findall(text))
        if count:
            votes.setdefault(dialect, []).append(f"{count} {what}")
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in EXTENSIONS and EXTENSIONS[suffix] != "markdown":
        votes.setdefault(EXTENSIONS[suffix], []).append(f"a {suffix} file")
    if not votes:
        return "markdown", "no dialect-specific syntax found: shared conversions only"

    def weight(dialect: str) -> int:
        return sum(int(v.split(" ", 1)[0]) for v in votes[dialect] if v[0].isdigit()) + 100 * any(
            v.startswith("a .") for v in votes[dialect]
        )

    best = max(votes, key=weight)
    return best, f"{best}: " + ", ".join(votes[best])
