"""Moving every reader's annotations into a note's new live revision.

Runs in the background once a publish has committed (`accounts.background`, a job the publish
queues), never on a reader's request, so a page shows stored anchors only; until it has run,
the note page shows the annotations still anchored in an older revision as being updated.
The work itself is `accounts.annotations.anchoring.Reanchoring`; this module loads, groups and
writes, a chunk at a time: a popular note has a hundred thousand annotations, and readers
keep editing them while the job runs.

Orphans are retried on every publish, from the revision they were last anchored to (which
they keep, so the old passage can still be shown). The case that decides it is a rollback:
a revision that deleted a section orphans its annotations, and rolling back restores the
text exactly; a reader should not have to re-attach a hundred notes by hand because the
editor undid a mistake. An orphan that is still not found is left exactly as it was.
"""

from collections import Counter, defaultdict

from django.db import connection, transaction
from django.utils import timezone

from accounts.annotations.anchoring import BLOCK, DIFF, FUZZY, ORPHAN, TEXT_KIND, Anchor, Outcome, Reanchoring
from accounts.models import Annotation
from notes.models import Derivation, Equation, Note, Revision

METHODS = {
    DIFF: Annotation.Method.DIFF,
    BLOCK: Annotation.Method.BLOCK,
    FUZZY: Annotation.Method.FUZZY,
    ORPHAN: Annotation.Method.ORPHAN,
}
ANCHOR_FIELDS = ["kind", "block_id", "quote", "prefix", "suffix", "start", "end"]
# quote_html is emptied when the quote changes; the job typesets the new quotes once every
# annotation has moved (accounts.background.annotations_follow_live).
# A chunk: planned and written in one short transaction (well under the database's statement
# bound, DATABASE_STATEMENT_MS, on a busy machine), a few MB of rows in memory.
CHUNK = 1_000
# Times an annotation its reader changed while the job planned it is planned again.
RETRIES = 3
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


class _Planner:
    """Plans of annotations into one revision, chunk after chunk: the old revisions' texts, the
    new revision's blocks and each diff are read or computed once for the whole job."""

    def __init__(self, revision: Revision):
        self.revision = revision
        self._texts: dict[int, str] = {}
        self._engine = Reanchoring(revision.plain_text, {})
        self._blocks_read = False

    def plan(self, rows: list[Annotation]) -> list[tuple[Annotation, Outcome]]:
        """Queries: the texts of revisions not seen yet, and once per job (when there are block
        annotations) the new revision's equations and derivations."""
        missing = {row.revision_id for row in rows} - self._texts.keys()
        if missing:
            self._texts.update(Revision.objects.filter(pk__in=missing).values_list("pk", "plain_text"))
        if not self._blocks_read and any(row.kind != TEXT_KIND for row in rows):
            self._engine.blocks.update(_blocks(self.revision))
            self._blocks_read = True
        groups: dict[int, list[Annotation]] = defaultdict(list)
        for row in rows:
            groups[row.revision_id].append(row)
        planned = []
        for revision_id, group in groups.items():
            anchors = [Anchor(**{name: getattr(row, name) for name in ANCHOR_FIELDS}) for row in group]
            planned += zip(group, self._engine.plan(self._texts[revision_id], anchors), strict=True)
        return planned


def _pending(note: Note, revision: Revision):
    """The note's annotations not already anchored in `revision`, in primary-key order (random:
    the keys are UUID4, so any prefix of this order is a fair sample)."""
    return (
        Annotation.objects.filter(note=note)
        .exclude(state=Annotation.State.ANCHORED, revision=revision)
        .only("id", "revision_id", "state", "anchored_by", "anchor_score", "quote_html", "changed_at", *ANCHOR_FIELDS)
        .order_by("pk")
    )


def annotations_reanchor(*, note: Note, revision: Revision, chunk: int = CHUNK) -> Counter:
    """Anchor every reader's annotations of `note` in `revision`, its live revision.

    Each annotation not yet anchored there is followed by its block id, through the diff, or
    by fuzzy quote matching (`accounts.annotations.anchoring`), and records how (`anchored_by`, plus
    `anchor_score` for fuzzy matches); one that is not found becomes an orphan and keeps its
    last anchored revision and passage. Nothing is deleted; `made_on`, bodies and
    `updated_at` (the reader's last edit) are untouched; `changed_at` says the page changed.

    `chunk` annotations at a time, in key order: each chunk is read, planned, and written in a
    transaction of its own, so memory and locks stay small whatever the note holds. A write
    applies only where `changed_at` is still what the plan read: an annotation its reader
    edited, re-attached or deleted meanwhile keeps what the reader did; if it still needs
    moving (an edited body), it is planned again from its new state, up to RETRIES times.
    Returns how many annotations took each method.
    """
    planner, counts, after = _Planner(revision), Counter(), None
    changed_meanwhile: list = []
    while True:
        rows = _pending(note, revision)
        rows = list((rows.filter(pk__gt=after) if after is not None else rows)[:chunk])
        if not rows:
            break
        after = rows[-1].pk
        changed_meanwhile += _move(planner, rows, counts)
    for _ in range(RETRIES):
        if not changed_meanwhile:
            break
        ids, changed_meanwhile = changed_meanwhile, []
        for at in range(0, len(ids), chunk):
            rows = list(_pending(note, revision).filter(pk__in=ids[at : at + chunk]))
            changed_meanwhile += _move(planner, rows, counts)
    return counts


def _move(planner: _Planner, rows: list[Annotation], counts: Counter) -> list:
    """Plan and write one chunk; returns the ids of annotations a reader changed meanwhile."""
    changed, now = [], timezone.now()
    for row, outcome in planner.plan(rows):
        counts[outcome.method] += 1
        read_at = row.changed_at
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
            row.revision = planner.revision
            row.state, row.anchored_by, row.anchor_score = (
                Annotation.State.ANCHORED,
                METHODS[outcome.method],
                outcome.score,
            )
        row.changed_at = now
        changed.append((row, read_at))
    written = _write(changed)
    if written == len(changed):
        return []
    ids = [row.pk for row, _ in changed]
    return list(Annotation.objects.filter(pk__in=ids).exclude(changed_at=now).values_list("pk", flat=True))


def _write(rows: list[tuple[Annotation, object]]) -> int:
    """One parameterised UPDATE, executed for every row in one call, in one short transaction;
    each applies only if the row's `changed_at` is still the one read. Returns how many did.

    Not `bulk_update`: it builds a CASE over every row for every column, which is quadratic
    work for the database and for Django (seconds for a thousand annotations), and SQLite's
    parameter limit splits it into a query per 76 rows.
    """
    if not rows:
        return 0
    meta, quote = Annotation._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in WRITTEN_FIELDS]
    changed_at = meta.get_field("changed_at")
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s AND {quote(changed_at.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        + [meta.pk.get_db_prep_value(row.pk, connection), changed_at.get_db_prep_value(read_at, connection)]
        for row, read_at in rows
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
        # Summed over the rows by both drivers (sqlite3 and psycopg); -1 would mean unknown.
        return cursor.rowcount


def orphan_estimate(*, note: Note, revision: Revision, sample: int | None) -> tuple[int, int, int]:
    """How many annotations, across all readers, publishing `revision` would orphan (a dry run:
    nothing is written; annotations that are orphans already are not counted).

    Bounded for the editors' review page, which shows it on every view: at most `sample`
    annotations are planned (None: all), the first in key order (UUID4 keys, so a uniform random sample,
    the same one on every view), and the count is scaled to all of them. Returns (count,
    planned, of): exact when `planned == of`, an estimate otherwise.
    """
    anchored = _pending(note, revision).filter(state=Annotation.State.ANCHORED)
    rows = list(anchored[:sample] if sample is not None else anchored)
    if not rows:
        return 0, 0, 0
    total = len(rows) if sample is None or len(rows) < sample else anchored.count()
    orphans = sum(1 for _, outcome in _Planner(revision).plan(rows) if outcome.method == ORPHAN)
    return (orphans if total == len(rows) else round(orphans * total / len(rows))), len(rows), total


def orphan_count(*, note: Note, revision: Revision) -> int:
    """The exact count (`orphan_estimate` over every annotation): for tests and commands."""
    return orphan_estimate(note=note, revision=revision, sample=None)[0]
