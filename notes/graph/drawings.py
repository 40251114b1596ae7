"""The graph's drawings: read by the pages, made by a job.

Laying a graph out runs ELK for up to a minute (notes.graph.layout), so no page view does it.
A page looks the drawing up by the hash of what it shows: in this process's cache, then in
the database (GraphDrawing), which every web process and machine shares. When it is in
neither, the page queues the layout job and shows the notes as a list meanwhile; the job
stores the drawing, and the next view of the page finds it.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.safestring import mark_safe

from jobs.models import Job
from jobs.services import enqueue, job_function
from notes.graph import svg
from notes.graph.models import GraphDrawing

CACHE_SECONDS = 7 * 24 * 3600
# A layout that failed every attempt (ELK's timeout on a huge graph) is not queued again by
# every page view; after this long a view tries once more.
FAILED_PAUSE = timedelta(hours=1)
PENDING = svg.Drawing(svg=mark_safe(""), width=0, height=0, state="pending")
FAILED = svg.Drawing(svg=mark_safe(""), width=0, height=0, state="failed")


def _stored(digest: str) -> svg.Drawing | None:
    row = GraphDrawing.objects.filter(digest=digest).values_list("svg", "width", "height").first()
    if row is None:
        return None
    found = svg.Drawing(svg=mark_safe(row[0]), width=row[1], height=row[2])  # noqa: S308 - our own markup, escaped when drawn
    cache.set(f"graph:svg:{digest}", found, timeout=CACHE_SECONDS)
    return found


@job_function
def graph_drawing_make(*, digest: str, nodes: list, edges: list, focus: str) -> None:
    """Lay out and store one drawing. Idempotent: a drawing already stored is left alone."""
    if GraphDrawing.objects.filter(digest=digest).exists():
        return
    made = svg.draw(nodes, edges, focus)
    try:
        with transaction.atomic():
            GraphDrawing.objects.create(digest=digest, svg=str(made.svg), width=made.width, height=made.height)
    except IntegrityError:  # another worker stored the same drawing meanwhile: it is the same
        pass


def drawing(nodes: list[svg.DrawnNode], edges: list[tuple[str, str]], *, focus: str = "") -> svg.Drawing:
    """The drawing of these notes (in the order the layout should keep) and edges
    (prerequisite, dependent): ready, or PENDING with its layout queued, or FAILED."""
    if not nodes:
        return svg.Drawing(svg=mark_safe(""), width=0, height=0)
    shown = svg.shown(nodes)
    digest = svg.digest(shown, edges, focus)
    found = cache.get(f"graph:svg:{digest}") or _stored(digest)
    if found is not None:
        return found
    key = f"graph-layout:{digest}"
    last = Job.objects.filter(key=key).order_by("-pk").values_list("state", "finished_at").first()
    if last and last[0] in (Job.State.QUEUED, Job.State.RUNNING):
        return PENDING
    if last and last[0] == Job.State.FAILED and last[1] > timezone.now() - FAILED_PAUSE:
        return FAILED
    enqueue(
        graph_drawing_make,
        key=key,
        label=f"Draw the prerequisite graph ({len(nodes)} notes)",
        digest=digest,
        nodes=shown,
        edges=[list(edge) for edge in edges],
        focus=focus,
    )
    # Under a backend that runs jobs at once (tests, commands) the drawing is there now.
    return _stored(digest) or PENDING
