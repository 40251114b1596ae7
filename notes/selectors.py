"""Reads: what pages and commands ask of the database, in a fixed number of queries."""

import hashlib
from collections import defaultdict
from functools import lru_cache
from graphlib import TopologicalSorter

from django.db import connection
from django.db.models import Case, Exists, F, Max, OuterRef, Prefetch, Q, Subquery, Value, When
from django.http import Http404

from .models import Equation, Note, Prerequisite, PublishRecord, Review, Revision, Topic
from .rendering.links import NoteInfo


class LiveNoteIndex:
    """The NoteIndex of live notes, loaded on first lookup in two queries."""

    def __init__(self) -> None:
        self._infos: dict[str, NoteInfo] | None = None

    def _load(self) -> dict[str, NoteInfo]:
        notes = Note.objects.with_live().only(
            "slug", "live_revision__title", "live_revision__summary", "live_revision__anchors"
        )
        equations = defaultdict(dict)
        for slug, label, number in Equation.objects.filter(revision__note__live_revision=F("revision")).values_list(
            "revision__note__slug", "label", "number"
        ):
            equations[slug][label] = number
        return {
            n.slug: NoteInfo(
                slug=n.slug,
                title=n.live_revision.title,
                summary=n.live_revision.summary,
                anchors=n.live_revision.anchors,
                equations=equations[n.slug],
            )
            for n in notes
        }

    def lookup(self, slug: str) -> NoteInfo | None:
        if self._infos is None:
            self._infos = self._load()
        return self._infos.get(slug)


def reading_order(slugs: list[str], edges: dict[str, set[str]]) -> list[str]:
    """Slugs ordered so each note comes after its prerequisites; ties by the given order.

    Edges to notes outside `slugs` are ignored (another topic's notes come first anyway).
    """
    wanted = set(slugs)
    rank = {slug: i for i, slug in enumerate(slugs)}
    sorter = TopologicalSorter({s: edges.get(s, set()) & wanted for s in slugs})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def live_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for slug, prereq in Prerequisite.objects.filter(revision__note__live_revision=F("revision")).values_list(
        "revision__note__slug", "prerequisite__slug"
    ):
        edges[slug].add(prereq)
    return edges


def _ordered_notes(notes: list[Note], edges: dict[str, set[str]]) -> list[Note]:
    by_slug = {n.slug: n for n in notes}
    titles = sorted(by_slug, key=lambda s: by_slug[s].live_revision.title.lower())
    return [by_slug[s] for s in reading_order(titles, edges)]


def areas_with_notes() -> list[tuple[Topic, list[Note]]]:
    """Every area with its live notes (including its sub-topics') in reading order."""
    areas = list(Topic.objects.areas().prefetch_related("children"))
    notes = list(Note.objects.with_live().prefetch_related("topics").order_by("slug"))
    edges = live_edges()
    area_of = {}
    for area in areas:
        area_of[area.pk] = area
        for child in area.children.all():
            area_of[child.pk] = area
    grouped: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        placed = set()
        for topic in note.topics.all():
            area = area_of.get(topic.pk)
            if area and area.pk not in placed:
                grouped[area.pk].append(note)
                placed.add(area.pk)
    return [(area, _ordered_notes(grouped[area.pk], edges)) for area in areas]


def topic_for_reader(slug: str) -> tuple[Topic, list[Note]]:
    topic = Topic.objects.select_related("parent").filter(slug=slug).first()
    if topic is None:
        raise Http404("No such topic")
    notes = list(Note.objects.with_live().filter(topics__in=[topic, *topic.children.all()]).distinct())
    return topic, _ordered_notes(notes, live_edges())


@lru_cache(maxsize=1)
def _note_page_key_sql() -> str:
    # Compiled by the ORM once per process: building this query costs about twenty times
    # running it, and it runs on every anonymous page view.
    query = (
        Note.objects.live()
        .filter(slug="")
        .annotate(
            last_publish=Subquery(PublishRecord.objects.order_by("-pk").values("pk")[:1]),
            last_check=Max("live_revision__derivations__checked_at"),
        )
        .order_by()
        .values_list("live_revision_id", "live_revision__rendered_at", "last_publish", "last_check")
        .query
    )
    sql, params = query.sql_with_params()
    assert params == ("",), params
    return sql


def note_page_key(slug: str) -> str:
    """A cache key for a live note's page that changes whenever its content could.

    One small query: the live revision, when it was last rendered (a re-render refreshes a
    cited equation number), the newest publish anywhere (a prerequisite's title) and the
    newest check result of its derivations (the badges).
    """
    with connection.cursor() as cursor:
        cursor.execute(_note_page_key_sql(), [slug])
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such note")
    version = hashlib.sha256(repr(row).encode()).hexdigest()[:32]  # timestamps hold spaces
    return f"note-page:{slug}:{version}"


def note_for_reader(slug: str) -> Note:
    """A live note with its live revision, topics and prerequisites (titles) prefetched."""
    prerequisites = Prerequisite.objects.select_related("prerequisite__live_revision").order_by("position")
    note = (
        Note.objects.with_live()
        .filter(slug=slug)
        .prefetch_related(
            "topics",
            Prefetch("live_revision__prerequisites", queryset=prerequisites),
            "live_revision__derivations",
        )
        .first()
    )
    if note is None:
        raise Http404("No such note")
    return note


STATE_LABELS = {
    "draft": "Draft",
    "in_review": "In review",
    "changes_requested": "Changes requested",
    "live": "Live",
    "live_changes": "Live, with unpublished changes",
}


def notes_for_editors(*, q: str = "", state: str = "", topic: str = "") -> list[Note]:
    """Every note with its editorial state (one query), filtered as the editors' list asks."""
    open_review = Review.objects.filter(note=OuterRef("pk"), state=Review.State.IN_REVIEW)
    latest_review_state = Subquery(
        Review.objects.filter(note=OuterRef("pk"), revision=OuterRef("latest_revision"))
        .order_by("-submitted_at", "-pk")
        .values("state")[:1]
    )
    notes = (
        Note.objects.select_related("latest_revision", "live_revision")
        .annotate(latest_review_state=latest_review_state)
        .annotate(
            state=Case(
                When(Exists(open_review), then=Value("in_review")),
                When(Q(latest_review_state=Review.State.CHANGES_REQUESTED), then=Value("changes_requested")),
                When(live_revision__isnull=True, then=Value("draft")),
                When(live_revision=F("latest_revision"), then=Value("live")),
                default=Value("live_changes"),
            )
        )
        .order_by("latest_revision__title", "slug")
    )
    if q:
        notes = notes.filter(latest_revision__title__icontains=q)
    if state:
        notes = notes.filter(state=state)
    notes = list(notes)
    for note in notes:
        note.state_label = STATE_LABELS[note.state]
    if topic:
        notes = [n for n in notes if n.latest_revision and topic in n.latest_revision.front_matter.get("topics", [])]
    return notes


def note_for_editor(slug: str) -> Note:
    note = Note.objects.select_related("latest_revision", "live_revision").filter(slug=slug).first()
    if note is None:
        raise Http404("No such note")
    return note


def published_revision_ids(note: Note) -> set[int]:
    """Revisions of the note that have ever been live (what readers may see in history)."""
    return set(note.publish_records.values_list("to_revision_id", flat=True))


def revision_for_user(note: Note, number: int, user) -> Revision:
    """A revision of the note, or 404: readers see only revisions that were published."""
    revision = note.revisions.select_related("author").filter(number=number).first()
    if revision is None:
        raise Http404("No such revision")
    if not user.has_perm("notes.view_note") and revision.pk not in published_revision_ids(note):
        raise Http404("No such revision")
    return revision


def history_for_user(note: Note, user) -> list[Revision]:
    revisions = note.revisions.select_related("author").order_by("-number")
    published = published_revision_ids(note)
    if not user.has_perm("notes.view_note"):
        revisions = revisions.filter(pk__in=published)
    rows = list(revisions)
    for revision in rows:
        revision.was_published = revision.pk in published
        revision.is_live = revision.pk == note.live_revision_id
    return rows
