"""Reads: what pages and commands ask of the database, in a fixed number of queries."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.db.models import F, Max, Prefetch, Subquery
from django.http import Http404

from config.statements import Statement, compiled
from notes.graph import order as graph
from notes.models import Derivation, Equation, Figure, Link, Note, Prerequisite, PublishRecord, Revision, Topic
from notes.recent import Recent
from notes.rendering.figures import StoredFigures
from notes.rendering.links import NoteInfo
from notes.rendering.pipeline import derivation_of_step
from notes.rendering.version import RENDERER_VERSION


class LiveNoteIndex:
    """The NoteIndex of live notes: the notes a render prefetched (those its note links to) in
    one small query and this process's memo (live_infos), or else every live note in two."""

    def __init__(self) -> None:
        self._all: dict[str, NoteInfo] | None = None
        self._some: dict[str, NoteInfo | None] = {}  # prefetched, found or not

    def prefetch(self, slugs: set[str]) -> None:
        wanted = set(slugs) - set(self._some)
        if wanted and self._all is None:
            found = _prefetched_infos(wanted)
            self._some.update({slug: found.get(slug) for slug in wanted})

    def lookup(self, slug: str) -> NoteInfo | None:
        if slug in self._some:
            return self._some[slug]
        if self._all is None:
            self._all = {slug: info for slug, (*_, info) in _load_infos().items()}
        return self._all.get(slug)


# What a link needs of a live note (title, anchors, equation numbers), by its slug and its
# live revision's content hash: all of it comes from the revision's own source, so an entry
# made from a row this renderer version wrote is never stale; rows another version wrote
# (before a `rerender`) are read each time. Every editor's preview resolves the same few
# notes' links; reading their anchors and equation numbers was a fifth of a long note's
# preview. (The key leaves out the columns stored after the page's HTML: on SQLite, reading
# one of those walks the row's overflow pages.)
live_infos: Recent[NoteInfo] = Recent(size=512)


def _prefetched_infos(slugs: set[str]) -> dict[str, NoteInfo]:
    """The live notes among `slugs`: one small query when this process has met their live
    revisions."""
    live = list(Note.objects.with_live().filter(slug__in=slugs).values_list("slug", "live_revision__content_hash"))
    found = {slug: info for slug, digest in live if (info := live_infos.get((slug, digest))) is not None}
    missing = {slug for slug, _ in live} - set(found)
    if missing:
        for slug, (key, current, info) in _load_infos(missing).items():
            if current:
                live_infos.put(key, info)
            found[slug] = info
    return found


def _load_infos(slugs: set[str] | None = None) -> dict[str, tuple[tuple, bool, NoteInfo]]:
    """{slug: ((slug, content hash), whether this renderer version wrote it, its NoteInfo)} of
    the live notes (of `slugs`), in two queries; the key is read with the infos, so a publish
    meanwhile cannot mislabel them."""
    notes = Note.objects.with_live().only(
        "slug",
        "live_revision__title",
        "live_revision__summary",
        "live_revision__anchors",
        "live_revision__front_matter",
        "live_revision__content_hash",
        "live_revision__renderer_version",
    )
    if slugs is None:
        notes, live_equations = list(notes), Equation.objects.filter(revision__note__live_revision=F("revision"))
    else:  # the equations of the very revisions read, which a memo may keep
        notes = list(notes.filter(slug__in=slugs))
        live_equations = Equation.objects.filter(revision__in=[n.live_revision_id for n in notes])
    equations = defaultdict(dict)
    for revision, label, number in live_equations.values_list("revision_id", "label", "number"):
        equations[revision][label] = number
    return {
        n.slug: (
            (n.slug, n.live_revision.content_hash),
            n.live_revision.renderer_version == RENDERER_VERSION,
            NoteInfo(
                slug=n.slug,
                title=n.live_revision.title,
                summary=n.live_revision.summary,
                anchors=n.live_revision.anchors,
                equations=equations[n.live_revision_id],
                short_title=n.live_revision.front_matter.get("short_title", ""),
            ),
        )
        for n in notes
    }


def live_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for slug, prereq in Prerequisite.objects.filter(revision__note__live_revision=F("revision")).values_list(
        "revision__note__slug", "prerequisite__slug"
    ):
        edges[slug].add(prereq)
    return edges


def live_note_names() -> dict[str, str]:
    """{name: slug or slug#anchor} of the live notes, by slug, title and front matter aliases (an
    alias that names a part leads there): what an imported note's wikilinks may name
    (notes.importing.wikilinks). One query."""
    names: dict[str, str] = {}
    for note in Note.objects.with_live().only("slug", "live_revision__title", "live_revision__front_matter"):
        names.setdefault(note.slug, note.slug)
        names.setdefault(note.live_revision.title, note.slug)
        for alias in note.live_revision.front_matter.get("aliases") or []:
            if isinstance(alias, str):
                names.setdefault(alias, note.slug)
            elif isinstance(alias, dict):
                for name, anchor in alias.items():
                    names.setdefault(str(name), f"{note.slug}{anchor if str(anchor).startswith('#') else ''}")
    return names


def _ordered_notes(notes: list[Note], edges: dict[str, set[str]]) -> list[Note]:
    by_slug = {n.slug: n for n in notes}
    titles = sorted(by_slug, key=lambda s: by_slug[s].live_revision.title.lower())
    rank = {slug: i for i, slug in enumerate(titles)}
    return [by_slug[s] for s in graph.reading_order(titles, edges, rank.__getitem__)]


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


# Placeholders for the note's slug and the reader, replaced in the compiled statement per call.
_SLUG, _READER = "note-slug-placeholder-7100004", -7_100_005
_VERSION_COLUMNS = ("pk", "live_revision_id", "live_revision__rendered_at", "last_publish", "last_check")


@lru_cache(maxsize=4)
def _note_page_version_statement(reader_columns=None) -> Statement:
    # Compiled by the ORM once per process (per reader layer): building this query costs about
    # twenty times running it, and it runs on every view of a note page.
    query = (
        Note.objects.live()
        .filter(slug=_SLUG)
        .annotate(
            last_publish=Subquery(PublishRecord.objects.order_by("-pk").values("pk")[:1]),
            last_check=Max("live_revision__check_results__checked_at"),
        )
        .order_by()
    )
    if reader_columns is None:
        return compiled(query.values_list(*_VERSION_COLUMNS), slug=_SLUG)
    columns = reader_columns(reader_id=_READER)
    query = query.annotate(**columns).values_list(*_VERSION_COLUMNS, *columns)
    return compiled(query, slug=_SLUG, **({"reader": _READER} if columns else {}))


def note_page_version(slug: str, *, reader_columns=None, reader_id: int | None = None) -> tuple[int, str, tuple]:
    """A live note's id, a cache key for its page that changes whenever its content could, and
    for a signed-in reader, the values of `reader_columns` (ReaderLayer.note_page_stamp_columns)
    for `reader_id` (else ()).

    One small query: the live revision, when it was last rendered (a re-render refreshes a
    cited equation number), the newest publish anywhere (a prerequisite's title) and the
    newest check result of its derivations (the badges); the reader's columns in the same.
    """
    statement = _note_page_version_statement(reader_columns)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(slug=slug, reader=reader_id))
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such note")
    version, reader = row[: len(_VERSION_COLUMNS)], row[len(_VERSION_COLUMNS) :]
    digest = hashlib.sha256(repr(version).encode()).hexdigest()[:32]  # timestamps hold spaces
    return row[0], f"note-page:{slug}:{digest}", reader


def note_for_reader(slug: str) -> Note:
    """A live note with its live revision, topics and derivations prefetched."""
    derivations = Prefetch("live_revision__derivations", queryset=Derivation.objects.with_checks())
    note = Note.objects.with_live().filter(slug=slug).prefetch_related("topics", derivations).first()
    if note is None:
        raise Http404("No such note")
    return note


@dataclass
class Citation:
    """One place in another live note that links here: the note and the sentence around it."""

    slug: str
    title: str
    context_html: str


@dataclass
class References:
    """Who points at a live note: whole-note backlinks grouped by citing note, and "used by"
    per anchor (an equation, a derivation, a section). A link to a derivation's step also
    counts as a use of the derivation."""

    linked_from: list[tuple[str, str, list[Citation]]] = field(default_factory=list)  # slug, title, places
    used_by: dict[str, list[Citation]] = field(default_factory=dict)
    # (anchor, what a link to it says, citations) in the order the anchors appear in the note
    used_in_order: list[tuple[str, str, list[Citation]]] = field(default_factory=list)

    def uses_of(self, anchor: str) -> list[Citation]:
        return self.used_by.get(anchor, [])


def references_into(note: Note) -> References:
    """Live links into `note` from other live notes, in one query. Drafts' links never count."""
    rows = (
        Link.objects.filter(target_note_id=note.pk, revision__note__live_revision=F("revision"))
        .exclude(revision__note_id=note.pk)
        .order_by("revision__title", "revision__note__slug", "pk")
        .values_list("anchor", "context_html", "revision__note__slug", "revision__title")
    )
    refs = References()
    grouped: dict[str, tuple[str, str, list[Citation]]] = {}
    for anchor, context, slug, title in rows:
        citation = Citation(slug, title, context)
        grouped.setdefault(slug, (slug, title, []))[2].append(citation)
        if anchor:
            refs.used_by.setdefault(anchor, []).append(citation)
            key = derivation_of_step(anchor)
            if key:
                refs.used_by.setdefault(key, []).append(citation)
    refs.linked_from = list(grouped.values())
    revision = note.live_revision
    present = [a for a in refs.used_by if a in revision.anchors]
    position = {a: revision.html.find(f'id="{a}"') for a in present}
    refs.used_in_order = [(a, revision.anchors[a], refs.used_by[a]) for a in sorted(present, key=position.__getitem__)]
    return refs


def live_note_or_404(slug: str) -> Note:
    note = Note.objects.with_live().filter(slug=slug).first()
    if note is None:
        raise Http404("No such note")
    return note


@dataclass
class Target:
    """What a cross-link points at, described from stored, already rendered fields."""

    note: Note
    anchor: str
    kind: str  # "note", "equation", "derivation", "step", "section"
    label: str  # "(3)", a derivation's or a section's title
    html: str = ""  # the equation or the derivation's statement, sanitized at render time


def link_target_for_reader(slug: str, anchor: str = "") -> Target:
    """The live note (and anchor in it) a link points at, or 404: drafts, unknown anchors."""
    note = live_note_or_404(slug)
    revision = note.live_revision
    if not anchor:
        return Target(note, "", "note", revision.title)
    if anchor not in revision.anchors:
        raise Http404("No such anchor in this note")
    label = revision.anchors[anchor]
    if anchor.startswith("eq:"):
        html = Equation.objects.filter(revision=revision, label=anchor).values_list("html", flat=True).first()
        return Target(note, anchor, "equation", label, html or "")
    step = derivation_of_step(anchor)
    key = step or anchor
    derivation = (
        Derivation.objects.filter(revision=revision, key=key).values("title", "statement_html", "steps").first()
    )
    if derivation is None:
        return Target(note, anchor, "section", label)
    if step:
        html = next((s["html"] for s in derivation["steps"] if s["id"] == anchor), "")
        return Target(note, anchor, "step", label, html)
    return Target(note, anchor, "derivation", derivation["title"], derivation["statement_html"])


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


def live_links_into(note: Note):
    """Links from other notes' live revisions into `note`, with the citing note loaded."""
    return (
        Link.objects.filter(target_note_id=note.pk, revision__note__live_revision=F("revision"))
        .exclude(revision__note_id=note.pk)
        .select_related("revision__note")
        .defer("revision__html", "revision__source", "revision__plain_text")
        .order_by("revision__note__slug", "anchor")
    )


def live_derivation_or_404(slug: str, key: str) -> tuple[Note, Derivation]:
    """The live note and its live derivation `key`, or 404 (drafts, unknown or removed keys)."""
    note = live_note_or_404(slug)
    derivation = Derivation.objects.filter(revision=note.live_revision, key=key).first()
    if derivation is None:
        raise Http404("No such derivation in the live revision")
    return note, derivation


def stored_figures(revision: Revision) -> StoredFigures:
    """The figures' data written with `revision`, to draw them again without running anything."""
    return StoredFigures(dict(Figure.objects.filter(revision=revision).values_list("key", "data")))
