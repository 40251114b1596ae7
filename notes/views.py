"""Reader pages. Each view asks a selector and hands the result to a template."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from . import selectors
from .guide import authoring_guide


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
            note = selectors.note_for_reader(slug)
            context = {"note": note, "revision": note.live_revision}
            body = render_to_string("notes/note.html", context, request).encode()
            cache.set(key, body, timeout=3600)
        return HttpResponse(body)
    note = selectors.note_for_reader(slug)
    return render(request, "notes/note.html", {"note": note, "revision": note.live_revision})


def about(request):
    return render(request, "notes/about.html")


def guide(request):
    return render(request, "notes/guide.html", {"guide": authoring_guide()})
