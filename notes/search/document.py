"""The search row of one live note, as plain data: what readers search and how math is indexed.

Math is searchable by its TeX control sequences: `\\KL` in a formula is stored as the word
`texKL` (a form both engines index as one distinct token), and a query term `\\KL` is
translated to it. A bare `KL` or `softmax` also finds formulas, because the body keeps each
formula's TeX, which both engines split at the backslash into words.
"""

import re

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
    *, title: str, summary: str, plain_text: str, derivation_titles: list[str], labels: list[str], areas: list[str]
) -> dict:
    """The search row's fields for one live revision; plain data, so migrations reuse it."""
    formulas = formulas_of(plain_text)
    return {
        "title": _unmarked(title),
        "summary": _unmarked(summary),
        "body": _unmarked(plain_text),
        "derivations": _unmarked("\n".join(derivation_titles)),
        "equations": " ".join(labels),
        "math": " ".join(math_tokens(formulas)),
        "formulas": _unmarked("\n".join(formulas)),
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
