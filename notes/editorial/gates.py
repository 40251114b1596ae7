"""Reads that decide whether a revision may go live, or a live note be retired.

Every gate answers with reasons written for the editor: what is wrong and what to do.
"""

from django.db.models import F

from notes.graph.order import cycle_message, find_cycle
from notes.models import CheckResult, Link, Note, Prerequisite, Revision, Topic
from notes.selectors import live_edges, live_links_into


class PublishRefused(Exception):
    """The revision cannot go live; `reasons` lists every gate that refused it."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def broken_incoming_links(revision: Revision, *, except_from: set[str] = frozenset()) -> list[Link]:
    """Links from other live notes into this note whose anchor the revision does not have."""
    # Decided in the database: a popular note is cited hundreds of times, and loading every
    # citing link with its revision cost most of a publish; the broken ones are usually none.
    incoming = live_links_into(revision.note).exclude(revision__note__slug__in=except_from).exclude(anchor="")
    return list(incoming.exclude(anchor__in=list(revision.anchors)))


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
    graph = live_edges()
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


def retire_blockers(note: Note) -> list[str]:
    """Why a live note cannot be taken offline: other live notes that link to it or need it."""
    reasons = []
    linking: dict[str, int] = {}
    for link in live_links_into(note):
        linking[link.revision.note.slug] = linking.get(link.revision.note.slug, 0) + 1
    for slug, count in sorted(linking.items()):
        reasons.append(f"'{slug}' links here ({count} link{'s' if count > 1 else ''}); remove or retarget them first")
    needing = Prerequisite.objects.filter(prerequisite=note, revision__note__live_revision=F("revision")).exclude(
        revision__note=note
    )
    for slug in sorted(needing.values_list("revision__note__slug", flat=True)):
        reasons.append(f"'{slug}' lists it as a prerequisite; remove that edge first")
    return reasons
