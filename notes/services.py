"""Writes: every change to notes goes through these functions.

Each is keyword-only, runs in one transaction, and states in its docstring what it guarantees.
"""

import hashlib
from graphlib import CycleError, TopologicalSorter

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.annotations.reanchoring import annotations_reanchor
from notes.models import (
    CheckResult,
    Derivation,
    Equation,
    Link,
    Note,
    Prerequisite,
    PublishRecord,
    Review,
    Revision,
    Topic,
)
from notes.rendering import RENDERER_VERSION, RenderResult, render
from notes.rendering.katex import katex_version
from notes.rendering.links import NoteIndex
from notes.search.selectors import search_document_update

EDITORS_GROUP = "editors"
EDITOR_PERMISSIONS = ("add_note", "change_note", "view_note", "submit_note", "publish_note")
# Reviewers read every revision, comment, request changes and publish; they do not write.
REVIEWERS_GROUP = "reviewers"
REVIEWER_PERMISSIONS = ("view_note", "publish_note")


class PublishRefused(Exception):
    """The revision cannot go live; `reasons` lists every gate that refused it."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def content_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _group_ensure(name: str, codenames: tuple[str, ...]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="notes", codename__in=codenames))
    return group


def editors_group_ensure() -> Group:
    """The `editors` and `reviewers` groups exist and hold their permissions (idempotent)."""
    _group_ensure(REVIEWERS_GROUP, REVIEWER_PERMISSIONS)
    return _group_ensure(EDITORS_GROUP, EDITOR_PERMISSIONS)


def reviewers_group() -> Group:
    editors_group_ensure()
    return Group.objects.get(name=REVIEWERS_GROUP)


def render_fields(result: RenderResult) -> dict:
    return {
        "html": result.html,
        "toc": [vars(entry) for entry in result.toc],
        "plain_text": result.plain_text,
        "anchors": result.anchors,
        "errors": [p.as_dict() for p in result.errors],
        "warnings": [p.as_dict() for p in result.warnings],
        "word_count": result.word_count,
        "renderer_version": RENDERER_VERSION,
        "katex_version": katex_version(),
        "rendered_at": timezone.now(),
    }


def _first_of_each(items, key):
    """A revision with errors is still stored; a duplicated id keeps its first occurrence."""
    seen = set()
    for item in items:
        if key(item) and key(item) not in seen:
            seen.add(key(item))
            yield item


def _write_extracted(revision: Revision, result: RenderResult) -> None:
    """Derivations, equations, links and prerequisite edges of one revision."""
    Derivation.objects.bulk_create(
        Derivation(
            revision=revision,
            key=d.key,
            title=d.title,
            position=d.position,
            statement_html=d.statement_html,
            steps=d.steps,
            result_html=d.result_html,
            source=d.source,
            fingerprint=d.fingerprint,
        )
        for d in _first_of_each(result.derivations, lambda d: d.key)
    )
    Equation.objects.bulk_create(
        Equation(revision=revision, label=e.label, number=e.number, tex=e.tex, html=e.html, position=e.position)
        for e in _first_of_each(result.equations, lambda e: e.label)
    )
    slugs = {link.target_slug for link in result.links} | set(result.prerequisites)
    notes = {n.slug: n for n in Note.objects.filter(slug__in=slugs)}
    Link.objects.bulk_create(
        Link(
            revision=revision,
            target_note=notes[link.target_slug],
            anchor=link.anchor,
            text=link.text[:300],
            context_html=link.context_html,
        )
        for link in result.links
        if link.target_slug in notes
    )
    Prerequisite.objects.bulk_create(
        Prerequisite(revision=revision, prerequisite=notes[slug], position=i)
        for i, slug in enumerate(result.prerequisites)
        if slug in notes
    )


@transaction.atomic
def revision_create(
    *,
    note: Note,
    source: str,
    author=None,
    message: str = "",
    result: RenderResult | None = None,
    index: NoteIndex | None = None,
) -> Revision | None:
    """Write a new revision of `note` and make it the latest.

    Returns None when `source` equals the latest revision's source: a save that changes
    nothing writes nothing. The revision is stored even with render errors (an editor's work
    is never lost); such a revision cannot be published. Callers that hold the note's row
    lock pass `result`, rendered before they took it, so KaTeX never runs under the lock.
    """
    if result is None:
        result = render(source, slug=note.slug, index=index)
    note = Note.objects.select_for_update().get(pk=note.pk)
    digest = content_hash(source)
    latest = note.latest_revision
    if latest is not None and latest.content_hash == digest:
        return None
    revision = Revision.objects.create(
        note=note,
        number=(latest.number + 1) if latest else 1,
        parent=latest,
        title=result.title or note.slug,
        summary=result.summary,
        source=source,
        front_matter=result.front_matter,
        content_hash=digest,
        author=author,
        message=message[:500],
        **render_fields(result),
    )
    _write_extracted(revision, result)
    note.latest_revision = revision
    note.save(update_fields=["latest_revision"])
    return revision


def live_prerequisite_graph() -> dict[str, set[str]]:
    """slug -> the slugs it builds on, over live revisions."""
    graph: dict[str, set[str]] = {}
    rows = Prerequisite.objects.filter(revision__note__live_revision=F("revision")).values_list(
        "revision__note__slug", "prerequisite__slug"
    )
    for slug, prereq in rows:
        graph.setdefault(slug, set()).add(prereq)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the graph as a closed path [a, b, ..., a], or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = list(exc.args[1])
        # graphlib lists the cycle from a node back to itself following "depends on" edges;
        # print it in reading order (prerequisite first).
        return list(reversed(cycle))
    return None


def cycle_message(cycle: list[str]) -> str:
    return "prerequisite cycle: " + " → ".join(cycle) + " (each note is a prerequisite of the next; remove one edge)"


def live_links_into(note: Note):
    """Links from other notes' live revisions into `note`, with the citing note loaded."""
    return (
        Link.objects.filter(target_note_id=note.pk, revision__note__live_revision=F("revision"))
        .exclude(revision__note_id=note.pk)
        .select_related("revision__note")
        .defer("revision__html", "revision__source", "revision__plain_text")
        .order_by("revision__note__slug", "anchor")
    )


def broken_incoming_links(revision: Revision, *, except_from: set[str] = frozenset()) -> list[Link]:
    """Links from other live notes into this note whose anchor the revision does not have."""
    incoming = live_links_into(revision.note).exclude(revision__note__slug__in=except_from).exclude(anchor="")
    return [link for link in incoming if link.anchor not in revision.anchors]


def publish_gates(revision: Revision, *, pending: dict[str, set[str]] | None = None) -> list[str]:
    """Every reason this revision may not go live; empty when it may.

    `pending` holds other notes' prerequisite edges that go live in the same batch.
    """
    reasons = [f"{e['line']}:{e['col']}: {e['message']}" for e in revision.errors]
    failed = CheckResult.objects.applying_to(revision).failed()
    reasons += [f"numerical check of derivation '{r.derivation_key}' failed: {r.detail}" for r in failed]
    for link in broken_incoming_links(revision, except_from=set(pending or ())):
        reasons.append(
            f"'{link.revision.note.slug}' links to '#{link.anchor}', which this revision removes; "
            "update that note first or keep the anchor"
        )
    graph = live_prerequisite_graph()
    graph.update(pending or {})
    graph[revision.note.slug] = set(revision.prerequisites.values_list("prerequisite__slug", flat=True))
    cycle = find_cycle(graph)
    if cycle:
        reasons.append(cycle_message(cycle))
    declared = revision.front_matter.get("prerequisites", [])
    existing = set(Note.objects.filter(slug__in=declared).values_list("slug", flat=True))
    reasons += [f"unknown prerequisite {slug!r}" for slug in declared if slug not in existing]
    topics = revision.front_matter.get("topics", [])
    known = set(Topic.objects.filter(slug__in=topics).values_list("slug", flat=True))
    reasons += [f"unknown topic {slug!r}" for slug in topics if slug not in known]
    return reasons


@transaction.atomic
def revision_publish(
    *,
    revision: Revision,
    user=None,
    action: str = PublishRecord.Action.PUBLISH,
    pending: dict[str, set[str]] | None = None,
) -> Revision:
    """Put `revision` live, or raise PublishRefused listing every failed gate.

    The note row is locked first: two publishes of the same note serialize, so the gates are
    checked against the state the publish actually writes over. The publish is recorded
    (who, when, from which revision to which) and an open review of the note is closed.
    """
    note = Note.objects.select_for_update().get(pk=revision.note_id)
    if note.live_revision_id == revision.pk:
        raise PublishRefused([f"revision {revision.number} is already live"])
    reasons = publish_gates(revision, pending=pending)
    if reasons:
        raise PublishRefused(reasons)
    PublishRecord.objects.create(
        note=note, from_revision_id=note.live_revision_id, to_revision=revision, action=action, user=user
    )
    Review.objects.open().filter(note=note).update(
        state=Review.State.PUBLISHED, decided_by=user, decided_at=timezone.now()
    )
    note.live_revision = revision
    note.save(update_fields=["live_revision"])
    annotations_reanchor(note=note, revision=revision)
    topics = Topic.objects.filter(slug__in=revision.front_matter.get("topics", []))
    note.topics.set(topics)
    search_document_update(note=note)
    return revision


def revision_rerender(*, revision: Revision, index: NoteIndex | None = None) -> Revision:
    """Re-render a stored revision with the current pipeline.

    Only the render cache changes (RENDER_FIELDS and the extracted rows); the source, the
    author, the message and the number stay as written, and so do the numerical check
    results, which are kept apart (CheckResult). The render runs before the note's row lock
    is taken; the lock is held only for the write.
    """
    result = render(revision.source, slug=revision.note.slug, index=index)
    with transaction.atomic():
        Note.objects.select_for_update().filter(pk=revision.note_id).first()
        Revision.objects.filter(pk=revision.pk).update(**render_fields(result))
        for related in (revision.derivations, revision.equations, revision.links, revision.prerequisites):
            related.all().delete()
        _write_extracted(revision, result)
        search_document_update(note=revision.note)
    return Revision.objects.get(pk=revision.pk)


def dependents_rerender(*, changed: set[str], index: NoteIndex | None = None) -> list[Revision]:
    """Re-render live revisions of other notes that link into `changed` notes.

    A cross-note reference prints the target's equation number and title at render time;
    when the target changes, the referring pages are refreshed so "(4)" stays the right
    number. The referring revisions' sources are untouched. Call it after the publish has
    committed: each note is rendered with no lock held and locked only for its own write.
    """
    revisions = (
        Revision.objects.filter(note__live_revision=F("pk"), links__target_note__slug__in=changed)
        .exclude(note__slug__in=changed)
        .select_related("note")
        .distinct()
    )
    return [revision_rerender(revision=revision, index=index) for revision in revisions]
