"""Learning plans and the fringe: where a learner stands in the prerequisite graph.

Rules (also stated on the plan page):

- A note is *done* for a learner when every derivation of its live revision has a valid
  worked-through mark (stale marks do not count). A note without derivations has nothing to
  mark: it is never pruned from a plan, and it never holds back the notes that build on it.
- A plan for a target note is the target's prerequisite closure in reading order (every note
  after all of its prerequisites; ties by title), without the notes already done.
- The time left is estimated as reading time plus working time:
  words / READING_WPM minutes for each note not yet done, plus MINUTES_PER_DERIVATION for each
  derivation not yet worked through (MINUTES_PER_DERIVATION / 2 for one marked "working on
  it"). Technical prose with formulas reads far slower than ordinary prose, hence 120 wpm;
  a derivation worked with pencil and paper takes a quarter of an hour on average.
- The fringe is every live note not yet done whose prerequisites are all done (or have no
  derivations): what the learner can study next without a gap.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.http import Http404

from accounts.models import DerivationProgress
from accounts.study.selectors import marks_for_note
from notes.graph.order import reading_order
from notes.selectors import live_derivation_or_404, live_edges

READING_WPM = 120
MINUTES_PER_DERIVATION = 15

# The target's prerequisite closure over live revisions, computed in the database so a plan
# reads only the notes it needs, however large the site; each query below starts with it.
CLOSURE = """
WITH RECURSIVE closure(note_id) AS (
    SELECT id FROM notes_note WHERE slug = %s AND live_revision_id IS NOT NULL
    UNION
    SELECT p.prerequisite_id
    FROM closure c
    JOIN notes_note n ON n.id = c.note_id
    JOIN notes_prerequisite p ON p.revision_id = n.live_revision_id
)
"""

# Each note of `{notes}` with its derivation count and the learner's marks sorted against the
# live fingerprints: done (worked through and not stale), working, stale, by the one rule of
# staleness (DerivationProgress.STALE_SQL, the SQL form of `is_stale_against`); a mark whose
# key left the live revision joins no derivation and counts nowhere. One aggregate query, for
# a plan's closure or for the whole site.
STANDINGS = """
SELECT n.slug, r.title, r.word_count,
    (SELECT COUNT(*) FROM notes_derivation d WHERE d.revision_id = r.id),
    COALESCE(SUM(CASE WHEN d.id IS NOT NULL AND p.state = '{worked_through}' AND NOT {stale} THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN d.id IS NOT NULL AND p.state = '{working}' THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN d.id IS NOT NULL AND {stale} THEN 1 ELSE 0 END), 0)
FROM {notes} c
JOIN notes_note n ON n.id = c.note_id
JOIN notes_revision r ON r.id = n.live_revision_id
LEFT JOIN accounts_derivationprogress p ON p.note_id = n.id AND p.owner_id = %s
LEFT JOIN notes_derivation d ON d.revision_id = r.id AND d.key = p.derivation_key
GROUP BY n.slug, r.id, r.title, r.word_count
"""


def _standings_sql(notes: str) -> str:
    return STANDINGS.format(
        notes=notes,
        stale=DerivationProgress.STALE_SQL.format(mark="p", live_fingerprint="d.fingerprint"),
        worked_through=DerivationProgress.State.WORKED_THROUGH.value,
        working=DerivationProgress.State.WORKING.value,
    )


STANDINGS_SQL = CLOSURE + _standings_sql("closure")
SITE_STANDINGS_SQL = _standings_sql("(SELECT id AS note_id FROM notes_note WHERE live_revision_id IS NOT NULL)")

EDGES_SQL = (
    CLOSURE
    + """
SELECT n.slug, needed.slug
FROM closure c
JOIN notes_note n ON n.id = c.note_id
JOIN notes_prerequisite p ON p.revision_id = n.live_revision_id
JOIN notes_note needed ON needed.id = p.prerequisite_id
"""
)


@dataclass
class NoteStanding:
    slug: str
    title: str
    words: int
    total: int = 0  # derivations in the live revision
    done: int = 0  # valid worked-through marks
    working: int = 0
    stale: int = 0

    @property
    def is_done(self) -> bool:
        return self.total > 0 and self.done == self.total

    @property
    def minutes_left(self) -> float:
        if self.is_done:
            return 0.0
        todo = self.total - self.done - self.working
        return self.words / READING_WPM + MINUTES_PER_DERIVATION * (todo + self.working / 2)


@dataclass
class Plan:
    target: NoteStanding
    derivation: str = ""  # a derivation of the target note, when that is the goal
    steps: list[NoteStanding] = field(default_factory=list)  # still to do, in reading order
    done: list[NoteStanding] = field(default_factory=list)  # pruned, already done

    @property
    def minutes_left(self) -> int:
        return round(sum(s.minutes_left for s in self.steps))


def fringe(standings: dict[str, NoteStanding], edges: dict[str, set[str]]) -> list[NoteStanding]:
    """Notes not done whose prerequisites are all done or have nothing to mark; by title."""

    def satisfied(slug: str) -> bool:
        s = standings.get(slug)
        return s is None or s.is_done or s.total == 0

    ready = [
        s
        for slug, s in standings.items()
        if not s.is_done and s.total > 0 and all(satisfied(p) for p in edges.get(slug, ()))
    ]
    return sorted(ready, key=lambda s: s.title.lower())


def _standings(cursor, sql: str, params: list) -> dict[str, NoteStanding]:
    cursor.execute(sql, params)
    return {
        row[0]: NoteStanding(row[0], row[1], row[2], total=row[3], done=row[4], working=row[5], stale=row[6])
        for row in cursor.fetchall()
    }


def learning_plan(owner, target_slug: str, derivation: str = "") -> Plan:
    """The owner's plan to reach a live note, in two queries (404 for drafts and unknown slugs).

    With a derivation key the target is that derivation: the plan still needs every
    prerequisite note, but of the target note only that derivation (one more query).
    """
    with connection.cursor() as cursor:
        standings = _standings(cursor, STANDINGS_SQL, [target_slug, owner.pk])
        if target_slug not in standings:
            raise Http404("No such note")
        cursor.execute(EDGES_SQL, [target_slug])
        edges: dict[str, set[str]] = defaultdict(set)
        for slug, needed in cursor.fetchall():
            edges[slug].add(needed)
    if derivation:
        standings[target_slug] = _derivation_standing(owner, standings[target_slug], derivation)
    titles = {s: standings[s].title.lower() for s in standings}
    order = reading_order(list(standings), edges, titles.__getitem__)
    plan = Plan(target=standings[target_slug], derivation=derivation)
    for slug in order:
        standing = standings[slug]
        (plan.done if standing.is_done else plan.steps).append(standing)
    return plan


def _derivation_standing(owner, note: NoteStanding, key: str) -> NoteStanding:
    """The target note narrowed to one of its live derivations (404 if it has no such key)."""
    live_note, derivation = live_derivation_or_404(note.slug, key)
    mark = marks_for_note(owner, live_note, [derivation])[key]
    return NoteStanding(
        note.slug,
        note.title,
        note.words,
        total=1,
        done=int(mark.done),
        working=int(mark.state == DerivationProgress.State.WORKING),
        stale=int(mark.stale),
    )


def note_standings(owner) -> dict[str, NoteStanding]:
    """The owner's standing on every live note, by slug (one query)."""
    with connection.cursor() as cursor:
        return _standings(cursor, SITE_STANDINGS_SQL, [owner.pk])


def site_standings(owner) -> tuple[dict[str, NoteStanding], dict[str, set[str]]]:
    """The owner's standing on every live note and the live prerequisite edges (two queries)."""
    return note_standings(owner), live_edges()
