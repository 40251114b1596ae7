"""Reader pages. Each view asks a selector and hands the result to a template."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from notes import page_assembly, selectors
from notes.diffs import inline_diff, revision_changes, side_by_side
from notes.editorial.guide import authoring_guide
from notes.hooks import reader_layer
from notes.models import Note


def home(request):
    areas = selectors.areas_with_notes()
    context = {"areas": areas}
    # The reader's progress on each note and where to continue, from accounts via notes.hooks.
    context.update(reader_layer().note_list(request, notes=[n for _, notes in areas for n in notes]))
    return render(request, "notes/home.html", context)


def topic_detail(request, slug):
    topic, notes = selectors.topic_for_reader(slug)
    context = {"topic": topic, "notes": notes}
    context.update(reader_layer().note_list(request, notes=notes))
    return render(request, "notes/topic.html", context)


def note_detail(request, slug):
    # Everyone's page comes from the cache: one shared body, with a signed-in reader's own
    # parts (progress, annotations, their header) spliced in (notes.page_assembly).
    return page_assembly.note_page(request, slug)


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
    context.update(reader_layer().revision_page(request, note=note, revision=revision))
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
