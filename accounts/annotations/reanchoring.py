"""Moving every reader's annotations into a note's new live revision.

Runs inside the publish, through the `revision_published` signal (notes.hooks), never on a
reader's request, so a page shows stored anchors only. The work itself is
`accounts.annotations.anchoring.plan_reanchor`; this module loads, groups and writes.

Orphans are retried on every publish, from the revision they were last anchored to (which
they keep, so the old passage can still be shown). The case that decides it is a rollback:
a revision that deleted a section orphans its annotations, and rolling back restores the
text exactly; a reader should not have to re-attach a hundred notes by hand because the
editor undid a mistake. An orphan that is still not found is left exactly as it was.
"""

from collections import Counter, defaultdict

from django.db import connection
from django.utils import timezone

from accounts.annotations.anchoring import BLOCK, DIFF, FUZZY, ORPHAN, TEXT_KIND, Anchor, Outcome, plan_reanchor
from accounts.models import Annotation
from notes.models import Derivation, Equation, Note, Revision

METHODS = {
    DIFF: Annotation.Method.DIFF,
    BLOCK: Annotation.Method.BLOCK,
    FUZZY: Annotation.Method.FUZZY,
    ORPHAN: Annotation.Method.ORPHAN,
}
ANCHOR_FIELDS = ["kind", "block_id", "quote", "prefix", "suffix", "start", "end"]
# quote_html is emptied when the quote changes: the publish renders nothing under its lock; the
# quotes are typeset once it has committed (accounts.reader_layer.reanchor_on_publish).
WRITTEN_FIELDS = ["revision", *ANCHOR_FIELDS, "quote_html", "state", "anchored_by", "anchor_score", "changed_at"]


def _blocks(revision: Revision) -> dict[tuple[str, str], str]:
    """(kind, block id) -> the text an annotation of that block quotes, in `revision`."""
    blocks = {
        (Annotation.Kind.EQUATION.value, label): tex
        for label, tex in Equation.objects.filter(revision=revision).values_list("label", "tex")
    }
    for key, title, steps in Derivation.objects.filter(revision=revision).values_list("key", "title", "steps"):
        blocks[(Annotation.Kind.DERIVATION.value, key)] = title
        blocks.update(((Annotation.Kind.STEP.value, step["id"]), step["source"]) for step in steps)
    return blocks


def _plan(note: Note, revision: Revision) -> list[tuple[Annotation, Outcome]]:
    """Every annotation of the note not already anchored to `revision`, with where it would go.

    Queries: the annotations, their revisions' texts, and (when there are block annotations)
    the new revision's equations and derivations; one diff per distinct old revision.
    """
    rows = list(
        Annotation.objects.filter(note=note)
        .exclude(state=Annotation.State.ANCHORED, revision=revision)
        .only("id", "revision_id", "state", "anchored_by", "anchor_score", "quote_html", *ANCHOR_FIELDS)
        .order_by("pk")
    )
    if not rows:
        return []
    texts = dict(Revision.objects.filter(pk__in={row.revision_id for row in rows}).values_list("pk", "plain_text"))
    blocks = _blocks(revision) if any(row.kind != TEXT_KIND for row in rows) else {}
    groups: dict[int, list[Annotation]] = defaultdict(list)
    for row in rows:
        groups[row.revision_id].append(row)
    planned = []
    for revision_id, group in groups.items():
        anchors = [Anchor(**{name: getattr(row, name) for name in ANCHOR_FIELDS}) for row in group]
        planned += zip(group, plan_reanchor(texts[revision_id], revision.plain_text, anchors, blocks), strict=True)
    return planned


def annotations_reanchor(*, note: Note, revision: Revision) -> Counter:
    """Anchor every reader's annotations of `note` in `revision`, which has just gone live.

    Each annotation not yet anchored there is followed by its block id, through the diff, or
    by fuzzy quote matching (`accounts.annotations.anchoring`), and records how (`anchored_by`, plus
    `anchor_score` for fuzzy matches); one that is not found becomes an orphan and keeps its
    last anchored revision and passage. Nothing is deleted; `made_on`, bodies and
    `updated_at` (the reader's last edit) are untouched; `changed_at` says the page changed. The caller's transaction covers it,
    so a refused publish moves nothing. Returns how many annotations took each method.
    """
    changed, counts, now = [], Counter(), timezone.now()
    for row, outcome in _plan(note, revision):
        counts[outcome.method] += 1
        if outcome.method == ORPHAN:
            if row.state == Annotation.State.ORPHANED:
                continue
            row.state, row.anchored_by, row.anchor_score = Annotation.State.ORPHANED, METHODS[ORPHAN], None
        else:
            # a block's rendering also prints equation numbers, which the new revision may change
            if outcome.quote != row.quote or outcome.kind != TEXT_KIND:
                row.quote_html = ""
            for name in ANCHOR_FIELDS:
                setattr(row, name, getattr(outcome, name))
            row.revision = revision
            row.state, row.anchored_by, row.anchor_score = (
                Annotation.State.ANCHORED,
                METHODS[outcome.method],
                outcome.score,
            )
        row.changed_at = now
        changed.append(row)
    _write(changed)
    return counts


def _write(rows: list[Annotation]) -> None:
    """One parameterised UPDATE, executed for every row in one call.

    Not `bulk_update`: it builds a CASE over every row for every column, which is quadratic
    work for the database and for Django (seconds for a thousand annotations), and SQLite's
    parameter limit splits it into a query per 76 rows.
    """
    if not rows:
        return
    meta, quote = Annotation._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in WRITTEN_FIELDS]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        + [meta.pk.get_db_prep_value(row.pk, connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def orphan_count(*, note: Note, revision: Revision) -> int:
    """How many annotations, across all readers, publishing `revision` would orphan (a dry run:
    nothing is written; annotations that are orphans already are not counted)."""
    return sum(
        1
        for row, outcome in _plan(note, revision)
        if outcome.method == ORPHAN and row.state == Annotation.State.ANCHORED
    )
