"""A quote as the reader sees it: prose and typeset math, never Markdown or TeX source.

Quotes are stored as source, because anchoring matches them against source: a passage is the
revision's plain text (prose with `$tex$`), a step its Markdown line (wikilinks, list number),
an equation its TeX. Pages show `Annotation.quote_html`, rendered from that source by the
untrusted renderer (the one annotation bodies go through) when the quote is written: on
creation and re-attachment, after an import, and after a publish or re-render moved or
renumbered it (`annotation_quotes_render`, run once the publish has committed: nothing renders
under its lock). A page only reads. In the moment between a publish and that render, a quote
shows as words with its formulas named (`quote_shown`), never as source.
"""

import re

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from accounts.annotations.anchoring import LIST_MARKER
from accounts.models import Annotation
from notes.models import Equation, Revision
from notes.rendering.parser import WIKILINK
from notes.rendering.untrusted import render_untrusted

FORMULA = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$", re.DOTALL)
# A note defines macros inside its own formulas (KaTeX keeps them for the rest of the note);
# a quote using one renders only if those formulas are typeset before it.
DEFINES = re.compile(r"\\(?:re)?newcommand|\\gdef|\\def\b|\\let\b")
MAX_PREAMBLE = 20  # defining formulas carried into one quote's render
LABEL = re.compile(r"\\label\{[^{}]*\}")  # numbering is the note's business; KaTeX refuses it here
PROSE_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&\"'=:])")


def _wikilinks_as_text(source: str, numbers: dict[str, int]) -> str:
    """Each `[[target|text]]` as the words a reader sees: its text, an own equation's number."""

    def words(match: re.Match) -> str:
        slug, _, anchor = match.group(1).strip().partition("#")
        if match.group(2):
            return match.group(2).strip()
        if not slug.strip() and anchor.strip() in numbers:
            return f"({numbers[anchor.strip()]})"
        return slug.strip().replace("-", " ") or anchor.strip().split(":")[-1].replace("-", " ")

    return WIKILINK.sub(words, source)


def _prose_markdown(text: str) -> str:
    """Plain text (prose with `$tex$`) as Markdown that renders to the same words and math."""
    parts, at = [], 0
    for match in FORMULA.finditer(text):
        prose = re.sub(r"\s+", " ", text[at : match.start()])
        parts.append(PROSE_PUNCTUATION.sub(r"\\\1", prose))
        if match.group(1) is not None:
            parts.append(f"\n\n$$\n{match.group(1).strip()}\n$$\n\n")
        else:
            parts.append(f"${match.group(2).strip()}$")
        at = match.end()
    parts.append(PROSE_PUNCTUATION.sub(r"\\\1", re.sub(r"\s+", " ", text[at:])))
    return "".join(parts).strip()


def quote_markdown(kind: str, quote: str, numbers: dict[str, int]) -> str:
    """The Markdown that renders a stored quote as the page shows it."""
    if kind == Annotation.Kind.EQUATION:
        return f"$$\n{quote.strip()}\n$$"
    if kind == Annotation.Kind.TEXT:
        return _prose_markdown(quote)
    return _wikilinks_as_text(LIST_MARKER.sub("", quote, count=1), numbers).strip()


def _plain_fallback(kind: str, quote: str, numbers: dict[str, int]) -> str:
    """Words only, formulas named rather than shown as source: for a quote that will not render."""
    if kind == Annotation.Kind.EQUATION:
        return "<p>[formula]</p>"
    words = FORMULA.sub(" [formula] ", _wikilinks_as_text(LIST_MARKER.sub("", quote, count=1), numbers))
    words = re.sub(r"\s+", " ", words).strip()
    return f"<p>{escape(words)}</p>"


def quote_render(kind: str, quote: str, *, plain_text: str, numbers: dict[str, int], equation_html: str = "") -> str:
    """Sanitized HTML of a quote: its prose, and its math typeset with the note's own macros.

    An equation's own rendering, stored with the revision (`Equation.html`, the pipeline's
    sanitized output), is used as it is when given: it has the note's numbers and macros.
    """
    if kind == Annotation.Kind.EQUATION and equation_html:
        return f'<div class="math-display">{equation_html}</div>'
    defining = [m.group(0) for m in FORMULA.finditer(plain_text) if DEFINES.search(m.group(0))][:MAX_PREAMBLE]
    # Display formulas of the preamble written inline: one paragraph, dropped after rendering.
    preamble = " ".join(f"${(m[2:-2] if m.startswith('$$') else m[1:-1]).strip()}$" for m in defining)
    source = LABEL.sub("", quote_markdown(kind, quote, numbers))
    rendered = render_untrusted(f"{preamble}\n\n{source}" if preamble else source)
    if not rendered.ok:
        return _plain_fallback(kind, quote, numbers)
    html = rendered.html
    if preamble:
        html = html.split("</p>", 1)[1].lstrip()
    return html


def _numbers(revision_ids) -> dict[int, dict[str, int]]:
    numbers: dict[int, dict[str, int]] = {}
    for revision_id, label, number in Equation.objects.filter(revision_id__in=revision_ids).values_list(
        "revision_id", "label", "number"
    ):
        numbers.setdefault(revision_id, {})[label] = number
    return numbers


def quote_shown(item) -> str:
    """What a page shows for an annotation's quote: the stored rendering, or, for a quote whose
    rendering is still to come (just re-anchored by a publish), its words with formulas named."""
    return mark_safe(item.quote_html or _plain_fallback(item.kind, item.quote, {}))  # noqa: S308 - sanitized or escaped


def annotation_quotes_render(*, revision_ids=None, annotation_ids=None, every: bool = False) -> int:
    """Render and store the quotes that have no rendering yet (all of them with `every`), of
    the given revisions or annotations; returns how many were written.

    Write-time work: after a publish has committed (re-anchoring empties the quotes it
    changes), after a re-render (an equation's number or typesetting may have changed) and
    after an import. Each UPDATE applies only while the quote is still the one rendered,
    so a publish that re-anchored it meanwhile wins and its own render follows.
    """
    rows = Annotation.objects.all()
    if revision_ids is not None:
        rows = rows.filter(revision_id__in=list(revision_ids))
    if annotation_ids is not None:
        rows = rows.filter(pk__in=list(annotation_ids))
    if not every:
        rows = rows.filter(quote_html="")
    rows = list(rows.only("id", "revision_id", "kind", "block_id", "quote").order_by("revision_id", "pk"))
    if not rows:
        return 0
    revision_ids = {row.revision_id for row in rows}
    texts = dict(Revision.objects.filter(pk__in=revision_ids).values_list("pk", "plain_text"))
    numbers = _numbers(revision_ids)
    # An equation's quote is the equation as the note typeset it: only those rows' HTML is read.
    quoted = [row.block_id for row in rows if row.kind == Annotation.Kind.EQUATION]
    equations = (
        {
            (revision_id, label): html
            for revision_id, label, html in Equation.objects.filter(
                revision_id__in=revision_ids, label__in=quoted
            ).values_list("revision_id", "label", "html")
        }
        if quoted
        else {}
    )
    for row in rows:
        html = quote_render(
            row.kind,
            row.quote,
            plain_text=texts[row.revision_id],
            numbers=numbers.get(row.revision_id, {}),
            equation_html=equations.get((row.revision_id, row.block_id), "")
            if row.kind == Annotation.Kind.EQUATION
            else "",
        )
        Annotation.objects.filter(pk=row.pk, quote=row.quote).update(quote_html=html, changed_at=timezone.now())
    return len(rows)
