"""The search row of one live note, as plain data: what readers search and how math is indexed.

Math is searchable by its TeX control sequences: `\\KL` in a formula is stored as the word
`texKL` (a form both engines index as one distinct token), and a query term `\\KL` is
translated to it. A bare `KL` or `softmax` also finds formulas, because the body keeps each
formula's TeX, which both engines split at the backslash into words.
"""

import re

from notes.rendering.fragments import BLOCK_SEPARATOR, FORMULA_CLOSE, FORMULA_OPEN, FORMULA_TEX

# Snippet highlights come back from the engine between these private-use characters, which
# never occur in a note (build_document strips them), so the text can be HTML-escaped first
# and the markers turned into <mark> tags after: the only markup in a snippet is ours.
MARK_START = "\ue000"
MARK_STOP = "\ue001"

MATH_PREFIX = "tex"
_FORMULA_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)
# Control sequences, plus operator names spelled out (\operatorname{softmax}), which stand
# for a control sequence the author did not define.
_CONTROL_RE = re.compile(r"\\(?:operatorname\*?|mathrm)\{([A-Za-z]{2,})\}|\\([A-Za-z]+)")


def formulas_of(plain_text: str) -> list[str]:
    """Every formula's TeX in a revision's plain text (`$...$` inline, `$$...$$` display)."""
    return [" ".join((display or inline).split()) for display, inline in _FORMULA_RE.findall(plain_text)]


def math_tokens(formulas: list[str]) -> list[str]:
    """Each control sequence of each formula as an indexable word, in order, repeats kept
    (a note that uses \\KL forty times is more about it than one that uses it once)."""
    return [MATH_PREFIX + (named or command) for tex in formulas for named, command in _CONTROL_RE.findall(tex)]


def _unmarked(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_STOP, "")


def build_document(
    *,
    title: str,
    aliases: list[str],
    alias_anchors: dict[str, str],
    summary: str,
    plain_text: str,
    derivation_titles: list[str],
    labels: list[str],
    areas: list[str],
) -> dict:
    """The search row's fields for one live revision, as plain data."""
    formulas = formulas_of(plain_text)
    return {
        "title": _unmarked(title),
        "aliases": _unmarked("\n".join(aliases)),
        "alias_anchors": alias_anchors,
        "summary": _unmarked(summary),
        "body": _unmarked(plain_text),
        "derivations": _unmarked("\n".join(derivation_titles)),
        "equations": " ".join(labels),
        "math": " ".join(math_tokens(formulas)),
        # Padded so a filter can ask for " slug " and never match part of another slug.
        "areas": f" {' '.join(sorted(set(areas)))} ",
    }


def area_slugs(topics) -> list[str]:
    """The areas (root topics) the given topics belong to; topics need `parent` loaded."""
    slugs = set()
    for topic in topics:
        while topic.parent is not None:
            topic = topic.parent
        slugs.add(topic.slug)
    return sorted(slugs)


_PLACEHOLDER = re.compile(f"{FORMULA_OPEN}(\\d+){FORMULA_TEX}([^{FORMULA_CLOSE}]*){FORMULA_CLOSE}")


def fragment_plain(text: str) -> str:
    """A search_text line as plain text, each formula as its TeX (what the engines index)."""
    return _PLACEHOLDER.sub(lambda m: f" {m.group(2)} ", text)


def fragment_prose(text: str) -> str:
    """A search_text line's words alone, formulas left out."""
    return _PLACEHOLDER.sub(" ", text)


def build_units(search_text: str, units: list[dict]) -> list[dict]:
    """The search rows of a revision's units (notes.rendering.fragments): each one's title as
    shown (a search_text line, formulas as placeholders), the plain text of its blocks, its
    control sequences, and its blocks as snippet material. An equation also answers to its
    label's words (eq:elbo-decomposition: elbo decomposition)."""
    lines = search_text.split(BLOCK_SEPARATOR)
    rows = []
    for position, unit in enumerate(units):
        own = [lines[i] for i in unit["lines"] if 0 <= i < len(lines)]
        body = " ".join(fragment_plain(line) for line in own)
        if unit["kind"] == "equation":
            body += " " + re.sub(r"[-_.:]", " ", unit["anchor"].removeprefix("eq:"))
        formulas = [m.group(2) for line in own for m in _PLACEHOLDER.finditer(line)]
        rows.append(
            {
                "position": position,
                "kind": unit["kind"],
                "anchor": unit["anchor"],
                "title": unit["title"][:300],
                "body": _unmarked(body),
                "math": " ".join(math_tokens(formulas)),
                "snippet_text": BLOCK_SEPARATOR.join(own),
            }
        )
    return rows


_WORD = re.compile(r"[^\W\d_][^\W_]{2,39}")
# A search document's fields whose words go into the vocabulary (`_WORD` takes no word of two
# letters: the "eq" of equation labels stays out).
VOCABULARY_FIELDS = ("title", "aliases", "summary", "derivations", "equations")


def vocabulary(document: dict, units: list[dict], search_text: str) -> set[str]:
    """The words of a note a misspelling can be corrected to: its title, aliases, summary,
    headings, derivation titles and equation labels' words (eq:rope-score: rope, score), and
    the words of its prose (never TeX), lowercased."""
    names = [document[name] for name in VOCABULARY_FIELDS]
    names += [fragment_prose(unit["title"]) for unit in units]
    return {word.casefold() for text in [*names, fragment_prose(search_text)] for word in _WORD.findall(text)}
