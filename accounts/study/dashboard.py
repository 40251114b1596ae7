"""A learner's dashboard and everything they own, for export or deletion."""

import csv
import io
from dataclasses import dataclass

from django.utils import timezone

from accounts.annotations.exchange import annotations_export
from accounts.models import DerivationProgress
from accounts.study.plans import NoteStanding, fringe, site_standings
from accounts.study.selectors import Activity, due_count, export_reviews, recent_marks, recent_reviews
from notes.models import Note, Topic

RECENT_ACTIVITY = 15


@dataclass
class Bar:
    """One row of a progress chart: a topic or an area."""

    slug: str
    title: str
    total: int
    done: int
    stale: int
    indent: bool = False  # a topic inside an area

    @property
    def done_pct(self) -> float:
        return 100 * self.done / self.total if self.total else 0.0

    @property
    def stale_pct(self) -> float:
        return 100 * self.stale / self.total if self.total else 0.0


def progress_bars(standings: dict[str, NoteStanding]) -> list[Bar]:
    """Derivations worked through per area, each followed by its topics, in site order."""
    topics = list(Topic.objects.select_related("parent"))
    placed: dict[int, set[str]] = {t.pk: set() for t in topics}
    for topic_id, slug in Note.topics.through.objects.filter(note__live_revision__isnull=False).values_list(
        "topic_id", "note__slug"
    ):
        placed[topic_id].add(slug)
    by_parent: dict[int | None, list[Topic]] = {}
    for topic in topics:
        by_parent.setdefault(topic.parent_id, []).append(topic)

    def bar(topic: Topic, slugs: set[str], indent: bool) -> Bar:
        rows = [standings[s] for s in slugs if s in standings]
        return Bar(
            topic.slug,
            topic.title,
            sum(r.total for r in rows),
            sum(r.done for r in rows),
            sum(r.stale for r in rows),
            indent,
        )

    bars = []
    for area in by_parent.get(None, []):
        children = by_parent.get(area.pk, [])
        slugs = placed[area.pk].union(*(placed[c.pk] for c in children))
        bars.append(bar(area, slugs, False))
        bars.extend(bar(child, placed[child.pk], True) for child in children if placed[child.pk])
    return bars


def recent_activity(owner) -> list[Activity]:
    """The learner's latest marks and reviews, newest first."""
    items = recent_marks(owner, RECENT_ACTIVITY) + recent_reviews(owner, RECENT_ACTIVITY)
    items.sort(key=lambda a: a.at, reverse=True)
    return items[:RECENT_ACTIVITY]


def dashboard_for(owner) -> dict:
    standings, edges = site_standings(owner)
    totals = NoteStanding("", "", 0)
    for s in standings.values():
        totals.total += s.total
        totals.done += s.done
        totals.stale += s.stale
    return {
        "totals": totals,
        "bars": progress_bars(standings),
        "fringe": fringe(standings, edges),
        "due": due_count(owner=owner, now=timezone.now()),
        "activity": recent_activity(owner),
    }


# -- export and deletion ----------------------------------------------------------------------


def _progress_rows(owner):
    return (
        DerivationProgress.objects.filter(owner=owner)
        .select_related("note", "revision")
        .order_by("note__slug", "derivation_key")
    )


def export_data(owner) -> dict:
    """Everything the learner owns, as plain data (JSON-ready)."""
    return {
        "format": "deep-learning-derived/learner-export",
        "version": 1,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": owner.username,
            "email": owner.email,
            "date_joined": owner.date_joined.isoformat(),
        },
        "progress": [
            {
                "note": p.note.slug,
                "derivation": p.derivation_key,
                "state": p.state,
                "revision": p.revision.number,
                "fingerprint": p.fingerprint,
                "created_at": p.created_at.isoformat(),
                "updated_at": p.updated_at.isoformat(),
            }
            for p in _progress_rows(owner)
        ],
        **export_reviews(owner),
        "annotations": annotations_export(owner),
    }


def export_progress_csv(owner) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["note", "derivation", "state", "revision", "fingerprint", "updated_at"])
    for p in _progress_rows(owner):
        writer.writerow([p.note.slug, p.derivation_key, p.state, p.revision.number, p.fingerprint, p.updated_at])
    return out.getvalue()
