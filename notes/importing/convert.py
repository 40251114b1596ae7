"""One file through its dialect's converter; a batch of files with their slugs kept apart."""

from dataclasses import dataclass, field

from notes.rendering.macros import MacroDefinition

from .citations import footnotes
from .dialects import DIALECTS, detect, pipeline
from .frontmatter import convert_front, is_native, slug_from_name, split
from .macros import add_macros
from .notebook import NotebookError, notebook_markdown
from .report import LEFT, Context, Entry
from .scan import fenced_lines
from .wikilinks import link_key, link_names

READ_SUFFIXES = (".md", ".markdown", ".mdx", ".qmd", ".ipynb")


@dataclass
class Conversion:
    name: str  # the file's path as given, for messages
    slug: str
    dialect: str
    reason: str  # why this dialect: "chosen with --from" or what auto detection found
    text: str
    entries: list[Entry] = field(default_factory=list)
    error: str | None = None  # the file could not be read (a broken notebook): nothing converted


def convert(
    text: str,
    *,
    name: str,
    dialect: str = "auto",
    topic: str | None = None,
    known_topics: set[str] | None = None,
    macros: list[MacroDefinition] | None = None,
    links: dict[str, str] | None = None,
) -> Conversion:
    """Long because a file's conversion is one sequence: read, passes, front matter, layout.

    `text` (a whole file) in the platform's Markdown, with every change reported. `macros`:
    a site's macros (notes.importing.macros), given to the notes that use them; `links`:
    {name key: slug} for wikilinks (notes.importing.wikilinks; convert_batch adds the batch's)."""
    notebook_entries: list[Entry] = []
    if name.lower().endswith(".ipynb"):
        try:
            text, notebook_entries = notebook_markdown(text)
        except NotebookError as exc:
            return Conversion(name, slug_from_name(name), "notebook", "a .ipynb file", "", error=str(exc))
    if dialect == "auto":
        dialect, reason = detect(text, name)
    elif dialect in DIALECTS or dialect == "markdown":
        reason = "chosen with --from"
    else:
        raise ValueError(f"unknown dialect {dialect!r}; known: auto, {', '.join(DIALECTS)}")
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    slug = slug_from_name(name)
    raw, data, body, front_lines = split(text)
    ctx = Context(dialect=dialect, original=text.split("\n"), links=links, entries=notebook_entries)
    ctx.origin = list(range(front_lines + 1, front_lines + 1 + len(body.split("\n"))))
    native, untouched = is_native(data) and not topic, body
    for step in [*pipeline(dialect), footnotes]:
        new = step(body, ctx)
        ctx.follow(body, new)
        body = new
    front, new = convert_front(ctx, raw, data, body, name=slug, topic=topic, known=known_topics)
    ctx.follow(body, new)
    # After the summary is taken: its formulas are typeset after the body's, seeing their macros.
    body = add_macros(new, ctx, definitions=macros) if macros else new
    if not native or body != untouched:
        body = _tidy(_demote_headings(body, ctx))
    entries = sorted(ctx.entries, key=lambda e: (e.line, e.col))
    return Conversion(name=name, slug=slug, dialect=dialect, reason=reason, text=front + body, entries=entries)


def _tidy(body: str) -> str:
    """Runs of blank lines the passes left become one; the body starts with text, ends with a newline."""
    out: list[str] = []
    for line in body.split("\n"):
        if not line.strip(" \t") and out and not out[-1].strip(" \t"):
            continue
        out.append(line.rstrip(" \t") if not line.strip(" \t") else line)
    return "\n".join(out).strip("\n") + "\n"


def _demote_headings(body: str, ctx: Context) -> str:
    """Sections start at ## on the platform: a body that uses # headings moves every one down."""
    lines = body.split("\n")
    code = fenced_lines(body)
    level_one = [i for i, line in enumerate(lines) if i not in code and line.startswith("# ")]
    if not level_one:
        return body
    ctx.add_line(
        level_one[0], LEFT, "heading.demoted", f"{len(level_one)} level-1 headings: every heading moved one level down"
    )
    for index, line in enumerate(lines):
        if index not in code and line.startswith("#") and line.lstrip("#").startswith(" ") and line.find(" ") < 6:
            lines[index] = "#" + line
    return "\n".join(lines)


def convert_batch(
    files: list[tuple[str, str]],
    *,
    dialect: str = "auto",
    topic: str | None = None,
    known_topics: set[str] | None = None,
    macros: list[MacroDefinition] | None = None,
    links: dict[str, str] | None = None,
) -> list[Conversion]:
    """Each (name, text) converted; a slug two files would share gets -2, -3... and a report
    line. Wikilinks resolve to the files of the batch (by file name, title or alias) before
    `links`, {title or alias: slug} of the notes the caller knows (the site's)."""
    slugs, seen = [], {}
    for name, _ in files:
        base = slug = slug_from_name(name)
        n = 1
        while slug in seen:
            n += 1
            slug = f"{base}-{n}"[:100]
        seen[slug] = name
        slugs.append((base, slug))
    names = {
        **{link_key(k): v for k, v in (links or {}).items()},
        **link_names([(n, t, slug) for (n, t), (_, slug) in zip(files, slugs, strict=True)]),
    }
    out = []
    for (name, text), (base, slug) in zip(files, slugs, strict=True):
        conversion = convert(
            text, name=name, dialect=dialect, topic=topic, known_topics=known_topics, macros=macros, links=names
        )
        conversion.slug = slug
        if slug != base:
            message = f"slug {base!r} is also {seen[base]}'s: this one is {slug!r}"
            conversion.entries.insert(0, Entry(1, 1, LEFT, "slug.collision", message))
        out.append(conversion)
    return out
