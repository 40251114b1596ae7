"""Reader pages. Each view asks a selector and hands the result to a template."""

from django.shortcuts import render

from . import selectors
from .guide import authoring_guide


def home(request):
    return render(request, "notes/home.html", {"areas": selectors.areas_with_notes()})


def topic_detail(request, slug):
    topic, notes = selectors.topic_for_reader(slug)
    return render(request, "notes/topic.html", {"topic": topic, "notes": notes})


def note_detail(request, slug):
    note = selectors.note_for_reader(slug)
    return render(request, "notes/note.html", {"note": note, "revision": note.live_revision})


def about(request):
    return render(request, "notes/about.html")


def guide(request):
    return render(request, "notes/guide.html", {"guide": authoring_guide()})
