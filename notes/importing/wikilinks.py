"""Obsidian `[[wikilinks]]` into the platform's links.

`[[Title]]`, `[[Title|text]]` and `[[Title#Heading]]` name a note by its file name, title or an
alias; the platform links by slug (`[[slug]]`, `[[slug#heading-id|text]]`). Which names lead to
which slugs is given to the converter (`Context.links`, from `link_names`): the notes converted
in the same batch, and the notes already on the site, which the import command looks up. A
name that leads nowhere becomes plain text, with a warning.
"""

import re

from notes.rendering.ids import heading_id

from .frontmatter import DATE_PREFIX, split
from .report import CONVERTED, LEFT, Context

HEADING = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
ANCHOR = re.compile(r"[a-z0-9][a-z0-9-]*|eq:[\w.:-]+")
# [[slug]], [[slug#anchor|text]]: the platform's own links, left for its checker to resolve.
NATIVE_TARGET = r"[a-z0-9]+(?:-[a-z0-9]+)*(?:#[\w:.-]+)?(?:\|[^\]\n]*)?\]\]"
NATIVE = re.compile(r"\[\[" + NATIVE_TARGET)


def link_key(name: str) -> str:
    """Names match whatever their case and spacing, as in Obsidian."""
    return " ".join(name.casefold().split())


def names_of(path_name: str, text: str) -> list[str]:
    """The names a file's notes are linked by: its file name, its title, its aliases."""
    stem = path_name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    names = [stem, DATE_PREFIX.sub("", stem)]
    _, data, body, _ = split(text.replace("\r\n", "\n").lstrip("\ufeff"))
    title = data.get("title")
    if isinstance(title, str) and title.strip():
        names.append(title)
    elif heading := HEADING.match(body):
        names.append(heading.group(1))
    for key in ("aliases", "alias"):
        value = data.get(key)
        for alias in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
            if isinstance(alias, str):
                names.append(alias)
    return [n for n in dict.fromkeys(names) if n.strip()]


def link_names(files: list[tuple[str, str, str]]) -> dict[str, str]:
    """{name key: slug} for (path name, text, slug) files; the first file to claim a name has it."""
    found: dict[str, str] = {}
    for path_name, text, slug in files:
        for name in names_of(path_name, text):
            found.setdefault(link_key(name), slug)
    return found


def wikilink(m: re.Match, ctx: Context, report) -> str:
    """One `[[target]]` (m.group(1) is inside the brackets) as a platform link or plain text."""
    target, _, text = m.group(1).partition("|")
    page, _, heading = target.partition("#")
    if heading.startswith("^"):  # a block reference: the platform links headings only
        report(m, LEFT, "obsidian.block-link", f"block reference #{heading} dropped from the link")
        heading = ""
    if not page.strip():
        anchor = heading.strip() if ANCHOR.fullmatch(heading.strip()) else heading_id(heading)
        report(m, CONVERTED, "obsidian.wikilink", f"link to heading {heading!r} -> [[#{anchor}]]")
        return f"[[#{anchor}{'|' + text.strip() if text.strip() else ''}]]"
    found = (ctx.links or {}).get(link_key(page))
    if found is None and NATIVE.fullmatch(m.group(0)):
        return m.group(0)  # the platform's own [[slug]]: its checker says whether the note exists
    if found is None:
        report(m, LEFT, "obsidian.wikilink", f"link to {page.strip()!r}: no note of that name here or on the site")
        return text.strip() or page.strip()
    slug, _, alias_anchor = found.partition("#")
    anchor = (
        (heading.strip() if ANCHOR.fullmatch(heading.strip()) else heading_id(heading)) if heading else alias_anchor
    )
    link = f"[[{slug}{f'#{anchor}' if anchor else ''}{f'|{text.strip()}' if text.strip() else ''}]]"
    if link != m.group(0):
        report(m, CONVERTED, "obsidian.wikilink", f"link to {target.strip()!r} -> {link}")
    return link
