"""Front matter in, the platform's front matter out: title, summary, topics, and a slug.

Input may carry YAML between `---` lines, TOML between `+++` lines, or nothing. Keys the
platform has no place for are reported, never a reason to refuse the file. A front matter that
is already the platform's own (known keys only, title, summary and topics present) is kept
byte for byte, so converting a native note changes nothing.
"""

import re
import tomllib
import unicodedata

import yaml

from notes.rendering.frontmatter import KNOWN_KEYS, MAX_ALIAS, MAX_ALIASES, MAX_SUMMARY, MAX_TITLE

from .report import CONVERTED, DROPPED, LEFT, Context, Entry
from .scan import fenced_lines

YAML_BLOCK = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)
TOML_BLOCK = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(?:\n|\Z)", re.S)
DATE_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[-_ ]+")
SUMMARY_KEYS = ("summary", "description", "excerpt", "abstract", "subtitle")
TOPIC_KEYS = ("topics", "categories", "tags", "category", "keywords")
MAPPED = {"title", *SUMMARY_KEYS, *TOPIC_KEYS, "short_title", "prerequisites", "slug", "aliases", "alias"}


def slug_from_name(path_name: str) -> str:
    """`2019-03-15-My Post.md` -> `my-post`; a page bundle's `index.md` takes its folder's name."""
    parts = path_name.replace("\\", "/").split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    if stem.lower() in ("index", "_index", "readme") and len(parts) > 1:
        stem = parts[-2]
    stem = DATE_PREFIX.sub("", stem)
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100].strip("-")
    return slug or "note"


def split(text: str) -> tuple[str, dict, str, int]:
    """(front matter text, parsed data, body, number of lines the front matter took)."""
    for pattern, loader in ((YAML_BLOCK, yaml.safe_load), (TOML_BLOCK, tomllib.loads)):
        match = pattern.match(text)
        if match:
            raw = match.group(1) or ""
            try:
                data = loader(raw) if raw.strip() else {}
            except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
                data = {"__error__": str(exc).split("\n")[0]}
            if not isinstance(data, dict):
                data = {"__error__": "front matter is not a mapping"}
            return match.group(0), data, text[match.end() :], match.group(0).count("\n")
    return "", {}, text, 0


def is_native(data: dict) -> bool:
    return bool(data) and set(data) <= KNOWN_KEYS and all(data.get(k) for k in ("title", "summary", "topics"))


def _words(value) -> list[str]:
    if isinstance(value, str):
        return [w for w in re.split(r"[,;]\s*|\s+", value) if w]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def topics_for(data: dict, topic: str | None, known: set[str] | None) -> list[str]:
    if topic:
        return [topic]
    found: list[str] = []
    for key in TOPIC_KEYS:
        for word in _words(data.get(key)):
            slug = slug_from_name(word)
            if (known is None and key == "topics" or known is not None and slug in known) and slug not in found:
                found.append(slug)
    return found


def plain_summary(paragraph: str) -> str:
    """A paragraph as a summary: links become their text; images, footnote references, display
    math and markup go."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", paragraph)
    text = re.sub(r"\[\[[^\]|]*\|([^\]]*)\]\]|\[\[([^\]]*)\]\]", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[\^[^\]\s]+\]", "", text)  # footnote references (citations)
    text = " ".join(text.split())
    if len(text) > MAX_SUMMARY:
        cut = text[: MAX_SUMMARY - 1]
        cut = cut[: cut.rfind(". ") + 1] or cut[: cut.rfind(" ")]
        text = cut if cut.count("$") % 2 == 0 else cut[: cut.rfind("$")].rstrip()
    return text


def first_paragraph(body: str) -> str:
    paragraph: list[str] = []
    code = fenced_lines(body)
    for index, line in enumerate(body.split("\n")):
        stripped = line.strip()
        if index in code:
            continue
        if not stripped:
            if paragraph:
                break
            continue
        if re.match(r"(#|\$\$|\\begin|!!!|:::|>|[-*+] |\d+[.)] |\||<|\{|\[\^)", stripped):
            if paragraph:
                break
            continue
        paragraph.append(stripped)
    return " ".join(paragraph)


def render_front(title: str, summary: str, topics: list[str], extra: dict) -> str:
    def scalar(value: str) -> str:
        return yaml.safe_dump(value, allow_unicode=True, width=10**6).removesuffix("\n...\n").strip()

    lines = ["---", f"title: {scalar(title)}", f"summary: {scalar(summary)}", f"topics: [{', '.join(topics)}]"]
    flow = {"default_flow_style": True, "allow_unicode": True, "width": 10**6}
    lines += [f"{key}: {yaml.safe_dump(value, **flow).strip()}" for key, value in extra.items()]
    return "\n".join(lines) + "\n---\n"


def convert_front(
    ctx: Context, raw: str, data: dict, body: str, *, name: str, topic: str | None, known: set[str] | None
) -> tuple[str, str]:
    """Long because each key of the platform has its own fallback chain, reported as it goes.

    Returns (front matter text, body), the body without a leading `#` title heading."""
    if is_native(data) and not topic:
        return raw, body
    if "__error__" in data:
        ctx.entries.append(_entry(ctx, raw, "title", DROPPED, f"front matter unreadable ({data['__error__']})"))
        data = {}
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    heading = re.match(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\n|\Z)", body)
    if not title.strip() and heading:
        title = heading.group(1)
        ctx.entries.append(_entry(ctx, raw, "", CONVERTED, "title taken from the first # heading"))
    if heading and " ".join(heading.group(1).split()) == " ".join(title.split()):
        body = body[heading.end() :].lstrip("\n")
    if not title.strip():
        title = name.replace("-", " ").capitalize()
        ctx.entries.append(_entry(ctx, raw, "", CONVERTED, f"no title: taken from the file name ({title})"))
    title = " ".join(re.sub(r"[*_`]", "", title).split())[:MAX_TITLE]
    summary = next((data[k] for k in SUMMARY_KEYS if isinstance(data.get(k), str) and data[k].strip()), "")
    if not summary:
        summary = first_paragraph(body)
        message = "summary taken from the first paragraph" if summary else "no summary: title used; write one"
        ctx.entries.append(_entry(ctx, raw, "", CONVERTED if summary else LEFT, message))
    summary = plain_summary(summary) or title
    topics = topics_for(data, topic, known)
    if not topics:
        ctx.entries.append(_entry(ctx, raw, "", LEFT, "no known topic in categories or tags: pass --topic"))
    extra = {}
    prereq = data.get("prerequisites")
    if isinstance(prereq, list) and all(isinstance(p, str) for p in prereq):
        extra["prerequisites"] = [slug_from_name(p) for p in prereq]
    aliases = _aliases(ctx, raw, data, title)
    if aliases:
        extra["aliases"] = aliases
    for key in sorted(set(data) - MAPPED - {"__error__"}):
        ctx.entries.append(_entry(ctx, raw, key, DROPPED, f"front matter key {key!r} has no place in a note"))
    return render_front(title, summary, topics, extra), body


def _aliases(ctx: Context, raw: str, data: dict, title: str) -> list[str]:
    """Obsidian's `aliases` (or `alias`) as the platform's: names readers search by, within its
    limits (notes.rendering.frontmatter); the rest reported."""
    value = data.get("aliases", data.get("alias"))
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    kept: list[str] = []
    for name in names:
        name = " ".join(str(name).split()) if isinstance(name, str | int | float) else ""
        if not name or len(name) > MAX_ALIAS or len(kept) == MAX_ALIASES or name.casefold() == title.casefold():
            ctx.entries.append(
                _entry(
                    ctx,
                    raw,
                    "alias",
                    DROPPED,
                    f"alias {name[:40]!r} dropped (empty, too long, the title, or past {MAX_ALIASES})",
                )
            )
        elif name.casefold() not in {k.casefold() for k in kept}:
            kept.append(name)
    return kept


def _entry(ctx: Context, raw: str, key: str, action: str, message: str) -> Entry:
    line = 1
    for number, text in enumerate(raw.split("\n"), start=1):
        if key and re.match(rf"\s*{re.escape(key)}\s*[:=]", text):
            line = number
            break
    return Entry(line, 1, action, "front-matter", message)
