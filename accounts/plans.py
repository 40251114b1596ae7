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
from django.db.models import F
from django.http import Http404

from notes.graph import reading_order
from notes.models import Derivation, Note, Prerequisite

from .models import DerivationProgress

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

# Each closure note with its derivation count and the learner's marks sorted against the live
# fingerprints: a mark whose key left the live revision joins no derivation and counts nowhere.
STANDINGS_SQL = (
    CLOSURE
    + """
SELECT n.slug, r.title, r.word_count,
    (SELECT COUNT(*) FROM notes_derivation d WHERE d.revision_id = r.id),
    COALESCE(SUM(CASE WHEN p.state = 'worked_through' AND d.fingerprint = p.fingerprint THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN p.state = 'working' AND d.id IS NOT NULL THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN p.state = 'worked_through' AND d.fingerprint <> p.fingerprint THEN 1 ELSE 0 END), 0)
FROM closure c
JOIN notes_note n ON n.id = c.note_id
JOIN notes_revision r ON r.id = n.live_revision_id
LEFT JOIN accounts_derivationprogress p ON p.note_id = n.id AND p.owner_id = %s
LEFT JOIN notes_derivation d ON d.revision_id = r.id AND d.key = p.derivation_key
GROUP BY n.slug, r.id, r.title, r.word_count
"""
)

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


def _standings(owner, notes) -> dict[str, NoteStanding]:
    """Standing of each given live note (a queryset), in three queries."""
    rows = list(notes.values_list("pk", "slug", "live_revision__title", "live_revision__word_count"))
    by_pk = {pk: NoteStanding(slug, title, words) for pk, slug, title, words in rows}
    live = {}
    for note_id, key, fingerprint in Derivation.objects.filter(
        revision__note__live_revision=F("revision"), revision__note_id__in=by_pk
    ).values_list("revision__note_id", "key", "fingerprint"):
        live[note_id, key] = fingerprint
        by_pk[note_id].total += 1
    marks = DerivationProgress.objects.filter(owner=owner, note_id__in=by_pk).values_list(
        "note_id", "derivation_key", "state", "fingerprint"
    )
    for note_id, key, state, fingerprint in marks:
        if (note_id, key) not in live:
            continue  # removed from the live revision: kept, but counts nowhere
        standing = by_pk[note_id]
        if state == DerivationProgress.State.WORKING:
            standing.working += 1
        elif fingerprint == live[note_id, key]:
            standing.done += 1
        else:
            standing.stale += 1
    return {s.slug: s for s in by_pk.values()}


def _edges_among(note_ids) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for slug, prereq in Prerequisite.objects.filter(
        revision__note__live_revision=F("revision"), revision__note_id__in=note_ids
    ).values_list("revision__note__slug", "prerequisite__slug"):
        edges[slug].add(prereq)
    return edges


def learning_plan(owner, target_slug: str, derivation: str = "") -> Plan:
    """The owner's plan to reach a live note, in two queries (404 for drafts and unknown slugs).

    With a derivation key the target is that derivation: the plan still needs every
    prerequisite note, but of the target note only that derivation (one more query).
    """
    with connection.cursor() as cursor:
        cursor.execute(STANDINGS_SQL, [target_slug, owner.pk])
        standings = {
            row[0]: NoteStanding(row[0], row[1], row[2], total=row[3], done=row[4], working=row[5], stale=row[6])
            for row in cursor.fetchall()
        }
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
    live = (
        Derivation.objects.filter(revision__note__slug=note.slug, revision__note__live_revision=F("revision"), key=key)
        .values_list("fingerprint", flat=True)
        .first()
    )
    if live is None:
        raise Http404("No such derivation in the live revision")
    mark = DerivationProgress.objects.filter(owner=owner, note__slug=note.slug, derivation_key=key).first()
    narrowed = NoteStanding(note.slug, note.title, note.words, total=1)
    if mark and mark.state == DerivationProgress.State.WORKING:
        narrowed.working = 1
    elif mark and mark.fingerprint == live:
        narrowed.done = 1
    elif mark:
        narrowed.stale = 1
    return narrowed


def site_standings(owner) -> tuple[dict[str, NoteStanding], dict[str, set[str]]]:
    """The owner's standing on every live note and the live prerequisite edges."""
    notes = Note.objects.live()
    return _standings(owner, notes), _edges_among(notes.values("pk"))
