"""The YAML header of a note: parsed with safe_load, checked key by key."""

import copy
import re
from functools import lru_cache

import yaml

from .result import Problem

# Bounded so every slug fits the database columns that hold it.
SLUG = re.compile(r"(?=.{1,100}$)[a-z0-9]+(?:-[a-z0-9]+)*")
# The rule in words, for every message that refuses a slug (front matter, files, editor).
SLUG_RULE = "lowercase letters, digits and single hyphens, at most 100 characters"
KNOWN_KEYS = {"title", "short_title", "aliases", "slug", "summary", "topics", "prerequisites"}
MAX_TITLE = 200
MAX_SHORT_TITLE = 40  # it stands in running text: "as in Gaussian KL (3)"
MAX_SUMMARY = 600
# Other names readers search by (backprop, SGD, ELBO): searched with the title's weight.
MAX_ALIASES = 12
MAX_ALIAS = 60


def key_line(content: str, key: str) -> int:
    """0-based line of `key:` inside the front matter, or 0 when it is absent."""
    for number, line in enumerate(content.splitlines()):
        if re.match(rf"\s*{re.escape(key)}\s*:", line):
            return number
    return 0


# Front matter this long or shorter is remembered (an editor's preview re-renders the same
# header on every pause in typing; YAML in pure Python costs milliseconds).
REMEMBERED_CHARS = 4096


def _mapping(content: str) -> tuple[dict, tuple[int, int, str] | None]:
    """The front matter as a mapping, or the problem that it is not one."""
    try:
        data = yaml.safe_load(content) if content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        line, col = (mark.line, mark.column + 1) if mark else (0, 1)
        return {}, (line, col, f"front matter is not valid YAML: {reason}")
    if not isinstance(data, dict):
        return {}, (0, 1, "front matter must be a mapping of keys (title: ..., summary: ...)")
    return data, None


def parse_front_matter(content: str) -> tuple[dict, list[tuple[int, int, str]]]:
    """Return the cleaned front matter and problems as (line within content, col, message).

    Lines are 0-based within the front matter; the caller adds the offset of the `---`.
    """
    if len(content) > REMEMBERED_CHARS:
        return _parse(content)
    return copy.deepcopy(_remembered(content))


@lru_cache(maxsize=256)
def _remembered(content: str) -> tuple[dict, list[tuple[int, int, str]]]:
    return _parse(content)


def _parse(content: str) -> tuple[dict, list[tuple[int, int, str]]]:
    problems: list[tuple[int, int, str]] = []
    data, refused = _mapping(content)
    if refused:
        return {}, [refused]

    def problem(key: str, message: str) -> None:
        problems.append((key_line(content, key), 1, message))

    for key in sorted(set(data) - KNOWN_KEYS):
        problem(key, f"unknown front matter key {key!r}; known keys: {', '.join(sorted(KNOWN_KEYS))}")

    clean: dict = {}
    texts = (("title", MAX_TITLE, True), ("summary", MAX_SUMMARY, True), ("short_title", MAX_SHORT_TITLE, False))
    for key, limit, required in texts:
        value = data.get(key)
        if key not in data and not required:
            continue
        if not isinstance(value, str) or not value.strip():
            problem(key, f"front matter needs a non-empty '{key}' (text)")
        elif len(value) > limit:
            problem(key, f"'{key}' is {len(value)} characters; keep it under {limit}")
        else:
            clean[key] = " ".join(value.split())

    if "aliases" in data:
        aliases, anchors, message = _aliases(data["aliases"])
        if message:
            problem("aliases", message)
        else:
            clean["aliases"] = aliases
            if anchors:
                clean["alias_anchors"] = anchors

    if "slug" in data:
        slug = data["slug"]
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            problem("slug", f"'slug' must be {SLUG_RULE}")
        else:
            clean["slug"] = slug

    for key, required in (("topics", True), ("prerequisites", False)):
        value = data.get(key, [] if not required else None)
        if value is None or (required and value == []):
            problem(key, f"front matter needs '{key}': a list of slugs, e.g. [optimization]")
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and SLUG.fullmatch(v) for v in value):
            problem(key, f"'{key}' must be a list of slugs ({SLUG_RULE})")
            continue
        if len(set(value)) != len(value):
            problem(key, f"'{key}' lists the same slug twice")
            continue
        clean[key] = value
    return clean, problems


def _aliases(value) -> tuple[list[str], dict[str, str], str]:
    """The aliases cleaned (spaces collapsed), those that name one part of the note with that
    part's anchor (`{MHA: "#multi-head-attention"}`, as a redirect to a section), or a
    message saying what to fix."""
    usage = "'aliases' must be a list of names readers search by, e.g. [backprop, BP, {MHA: \"#multi-head\"}]"
    if not isinstance(value, list):
        return [], {}, usage
    aliases, anchors = [], {}
    for item in value:
        if isinstance(item, dict) and len(item) == 1:
            ((name, anchor),) = item.items()
            if not isinstance(name, str) or not isinstance(anchor, str) or not anchor.strip("# "):
                return [], {}, usage
            name = " ".join(name.split())
            anchors[name] = anchor.strip().lstrip("#")
        elif isinstance(item, str):
            name = " ".join(item.split())
        else:
            return [], {}, usage
        if not name:
            return [], {}, usage
        aliases.append(name)
    if len(aliases) > MAX_ALIASES:
        return [], {}, f"'aliases' lists {len(aliases)} names; keep it to {MAX_ALIASES}"
    long = next((a for a in aliases if len(a) > MAX_ALIAS), None)
    if long:
        return [], {}, f"alias {long[:20]!r}... is {len(long)} characters; keep each under {MAX_ALIAS}"
    if len({a.casefold() for a in aliases}) != len(aliases):
        return [], {}, "'aliases' lists the same name twice"
    return aliases, anchors, ""


def alias_anchor_problems(source: str, front_matter: dict, anchors: dict[str, str]) -> list[Problem]:
    """An alias that names one part of the note must name a heading, derivation or equation of
    it; each that does not is an error at the `aliases:` line of the note's `source`."""
    line = key_line(source, "aliases") + 1
    return [
        Problem(
            line, 1, f"alias {name!r} points at #{anchor}, which is not a heading, derivation or equation of this note"
        )
        for name, anchor in front_matter.get("alias_anchors", {}).items()
        if anchor not in anchors
    ]
