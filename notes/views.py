"""Reader pages. Each view asks a selector and hands the result to a template."""

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.annotations.services import annotation_for_owner, annotations_on_note
from accounts.annotations.views import annotation_anchor_json, annotations_root
from accounts.study.progress import STATES as PROGRESS_STATES
from accounts.study.progress import marks_for_note
from notes import selectors
from notes.diffs import inline_diff, revision_changes, side_by_side
from notes.editorial.guide import authoring_guide
from notes.graph import selectors as graph_selectors
from notes.models import Note


def home(request):
    return render(request, "notes/home.html", {"areas": selectors.areas_with_notes()})


def topic_detail(request, slug):
    topic, notes = selectors.topic_for_reader(slug)
    return render(request, "notes/topic.html", {"topic": topic, "notes": notes})


def _is_anonymous_without_state(request) -> bool:
    """True when the page cannot differ from what any other anonymous reader gets."""
    cookies = request.COOKIES
    return (
        not request.user.is_authenticated and settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies
    )


def note_detail(request, slug):
    # Anonymous readers share one cached copy of the page per content version: the page is
    # hundreds of kilobytes of stored HTML, and reading it back from the database and
    # through the template costs far more than the cache lookup.
    if _is_anonymous_without_state(request):
        key = selectors.note_page_key(slug)
        body = cache.get(key)
        if body is None:
            body = render_to_string("notes/note.html", _note_page(slug), request).encode()
            cache.set(key, body, timeout=3600)
        return HttpResponse(body)
    context = _note_page(slug)
    note, revision = context["note"], context["revision"]
    if request.user.is_authenticated:
        derivations = revision.derivations.all()
        marks = marks_for_note(request.user, note, derivations)
        for d in derivations:  # the prefetched rows the template lists
            d.mark = marks[d.key]
        annotations = annotations_on_note(request.user, note)
        context["annotations"] = annotations
        # 200 annotations are 200 panel entries and 200 items for the script: paths are joined
        # from one root rather than reversed per annotation, and bodies travel once (panel).
        root = annotations_root()
        context["annotations_root"] = root
        context["annotation_data"] = {
            "note": note.slug,
            "revision": revision.number,
            "create_url": reverse("accounts:annotation_new"),
            "root": root,
            "items": [annotation_anchor_json(a) for a in annotations],
        }
        context["progress"] = {
            "done": sum(m.done for m in marks.values()),
            "stale": sum(m.stale for m in marks.values()),
            "total": len(marks),
        }
        context["body_html"] = _with_progress_controls(request, note, revision.html, marks)
    return render(request, "notes/note.html", context)


def _note_page(slug: str) -> dict:
    note = selectors.note_for_reader(slug)
    revision = note.live_revision
    return {
        "note": note,
        "revision": revision,
        "body_html": revision.html,
        "references": selectors.references_into(note),
        "graph_context": graph_selectors.note_graph_context(note),
    }


def _with_progress_controls(request, note, html: str, marks: dict) -> str:
    """The stored note HTML with the reader's progress control after each derivation's heading.

    The controls are per reader, so they cannot be stored with the revision; the stored
    markup is ours (`<section ... data-derivation="key">` then the heading), so splicing
    after each heading is exact, and costs a string search per derivation.
    """
    states = list(PROGRESS_STATES.items())
    for key, mark in marks.items():
        start = html.find(f'data-derivation="{key}">')
        end = html.find("</header>", start) if start >= 0 else -1
        if end < 0:
            continue
        end += len("</header>")
        control = render_to_string(
            "accounts/_progress_control.html", {"note": note, "mark": mark, "states": states}, request
        )
        html = html[:end] + control + html[end:]
    return html


def note_uses(request, slug, anchor):
    """The notes that use an equation, derivation or section: the no-JavaScript popover."""
    target = selectors.link_target_for_reader(slug, anchor)
    citations = selectors.references_into(target.note).uses_of(anchor)
    return render(request, "notes/uses.html", {"target": target, "citations": citations})


def link_preview(request, slug):
    """A hover preview of a link target, assembled from fields stored at render time."""
    anchor = request.GET.get("anchor", "")
    if len(anchor) > 120:
        raise Http404("No such anchor")
    target = selectors.link_target_for_reader(slug, anchor)
    return render(request, "notes/_preview.html", {"target": target})


def about(request):
    return render(request, "notes/about.html")


def guide(request):
    return render(request, "notes/guide.html", {"guide": authoring_guide()})


def note_history(request, slug):
    note = get_object_or_404(Note.objects.select_related("live_revision"), slug=slug)
    revisions = selectors.history_for_user(note, request.user)
    if not revisions:
        raise Http404("No such note")
    return render(request, "notes/history.html", {"note": note, "revisions": revisions})


def revision_detail(request, slug, number):
    note = get_object_or_404(Note, slug=slug)
    revision = selectors.revision_for_user(note, number, request.user)
    context = {"note": note, "revision": revision}
    if "annotation" in request.GET:
        # An orphan shown where it was last anchored: only its owner, only on that revision.
        annotation = annotation_for_owner(request.user, request.GET["annotation"])
        if annotation.note_id != note.pk or annotation.revision_id != revision.pk:
            raise Http404("That annotation is not anchored in this revision")
        context["annotation"] = annotation
        context["annotation_item"] = annotation_anchor_json(annotation)
    return render(request, "notes/revision.html", context)


def revision_diff(request, slug):
    note = get_object_or_404(Note, slug=slug)
    try:
        old_number, new_number = int(request.GET.get("from", "")), int(request.GET.get("to", ""))
    except ValueError:
        raise Http404("Give two revision numbers: ?from=1&to=2") from None
    old = selectors.revision_for_user(note, old_number, request.user)
    new = selectors.revision_for_user(note, new_number, request.user)
    context = {
        "note": note,
        "old": old,
        "new": new,
        "view": "inline" if request.GET.get("view") == "inline" else "side",
        "inline": inline_diff(old.source, new.source),
        "rows": side_by_side(old.source, new.source),
        "changes": revision_changes(old, new),
    }
    return render(request, "notes/diff.html", context)
